package org.dst4j.algorithms.cli;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.dst4j.nn.data.DataFormatException;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.train.Evaluation;

final class PredictCommand implements Command {
    @Override public String summary() { return "apply a saved model to the test split of a dataset: accuracy and predictions CSV"; }

    @Override
    public int run(String[] args) throws UsageException, UserException {
        Options o = DataArgs.declare(new Options("predict", summary())
                .option("model", null, "model file (model.dst4j) written by a training command")
                .option("output", "predictions.csv", "where to write the predictions (index,label,predicted,p0..pK)")
                .option("threads", String.valueOf(Runtime.getRuntime().availableProcessors()), "worker threads"));
        if (!o.parse(args)) return 0;
        Path model = o.path("model");
        if (model == null) throw new UsageException("--model is required");
        int threads = o.integer("threads", 1, 4096);
        try (SparseClassifier c = SparseClassifier.load(model, threads);
             DatasetSplit data = DataSources.load(DataArgs.parse(o, 0))) {
            Evaluation ev;
            float[] probs;
            try {
                ev = c.evaluate(data.test());
                probs = c.predictProbabilities(data.test());
            } catch (IllegalArgumentException e) {
                throw new UserException(e.getMessage());
            }
            int k = c.network().outputs();
            Path out = o.path("output");
            AtomicFiles.write(out, raw -> {
                Writer w = new OutputStreamWriter(raw, StandardCharsets.UTF_8);
                StringBuilder sb = new StringBuilder("index,label,predicted");
                for (int j = 0; j < k; j++) sb.append(",p").append(j);
                w.write(sb.append('\n').toString());
                for (int i = 0; i < ev.samples(); i++) {
                    sb.setLength(0);
                    sb.append(i).append(',').append(data.test().label(i)).append(',').append(ev.predictions()[i]);
                    for (int j = 0; j < k; j++) sb.append(',').append(probs[i * k + j]);
                    w.write(sb.append('\n').toString());
                }
                w.flush();
            });
            System.out.printf("accuracy %.4f on %d samples of %s; loss %.4f; wrote %s%n", ev.accuracy(), ev.samples(), data.test().name(), ev.loss(), out);
            return 0;
        } catch (DataFormatException e) {
            throw new UserException(e.getMessage());
        } catch (IOException e) {
            throw new UserException(e.getMessage(), e);
        }
    }
}
