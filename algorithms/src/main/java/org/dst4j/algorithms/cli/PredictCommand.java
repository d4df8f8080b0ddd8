package org.dst4j.algorithms.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dst4j.algorithms.neurotrails.NeuroTrails;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.data.DataFormatException;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.FeatureCountException;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.model.Classifier;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.MultiHeadClassifier;
import org.dst4j.runtime.dense.Argmax;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.parallel.WorkerPool;

final class PredictCommand implements Command {
    static final String MODEL_HELP = "model file (model.dst4j) written by a training command, an ensemble directory (freetickets --out) or a multi-head model directory (neurotrails: DIR/model)";

    @Override public String summary() { return "apply a saved model to a dataset's test split (accuracy and predictions CSV) or to unlabeled samples (--input)"; }

    @Override
    public int run(String[] args) throws UsageException, UserException, IOException, DataFormatException {
        Options o = DataArgs.declare(new Options("predict", summary())
                .option("model", null, MODEL_HELP)
                .option("input", null, "samples without labels to predict: a .csv whose every column is a feature, or a .npy array; - reads standard input (replaces the data options)")
                .option("output", "predictions.csv", "where to write the predictions (index,label,predicted,p0..pK; with --input index,predicted,p0..pK); - is standard output")
                .option("threads", String.valueOf(Runtime.getRuntime().availableProcessors()), "worker threads")
                .option("seed", null, "for a single --data file: the seed that drew its held-out test split (default: the seed the model was trained with; 0 if it records none)"))
                // The model standardizes its input as it was trained (or not); the flag would change nothing and say nothing.
                // Refused after DataArgs declares it: refused before, the flag was declared again and listed by --help.
                .refuse("no-standardize", "does not apply to predict: the model standardizes its input as it was trained");
        if (!o.parse(args)) return 0;
        Path model = model(o);
        int threads = o.integer("threads", 1, WorkerPool.MAX_THREADS);
        // First: a run directory given as --model is the mistake, not an --output inside what is no model directory.
        requireModelDirectory(model);
        Path output = output(o, model);
        if (o.given("input")) return predictUnlabeled(o, model, threads, output);
        boolean heldOut = DataArgs.heldOut(o);
        if (o.given("seed") && !heldOut) {
            throw new UsageException("--seed only chooses a single --data file's held-out test split; this data has its own test set");
        }
        try (Classifier c = loadModel(model, threads)) {
            requireClassifier(c, model);
            Map<String, TrainedOn> parts = TrainedOn.ofEach(c);
            // A single file's test split is drawn by a seed; scored with another one it would mix in training samples.
            long seed = o.given("seed") ? o.longValue("seed") : recordedSeed(parts, heldOut, o, model);
            if (!heldOut) {
                // Data with a test set of its own: the training files are not read.
                try (Dataset test = testForModel(o, c, model)) {
                    String what = o.given("test-data") ? "--test-data " + o.path("test-data") : "the test set " + test.name();
                    warnIfOutOfScale(test, c, what);
                    return report(output, test, c, what);
                }
            }
            // Data of another shape is the mistake to name, before its labels and the split check, which would blame the seed.
            try (DatasetSplit data = loadForModel(o, seed, c, model)) {
                // Every member of an ensemble: one trained on another split would be scored partly on its own training samples.
                for (var part : parts.entrySet()) {
                    String what = part.getKey().isEmpty() ? model.toString() : model + " (member " + part.getKey() + ")";
                    Long sum = part.getValue().checksum();
                    if (sum == null) {
                        System.err.printf("dst4j predict: warning: %s does not record the data it was trained on, so the test split of --data %s"
                                + " (drawn with seed %d) cannot be checked; if the model trained on this file with another split, the score includes"
                                + " training samples%n", what, o.path("data"), seed);
                    } else if (sum != data.train().checksum()) {
                        throw new UserException("--data " + o.path("data") + ": the test split drawn with seed " + seed + " is not the one held out when "
                                + what + " was trained (the training samples differ); give the file, --seed, --test-fraction and --limit-train of that run");
                    }
                }
                // the split's own numbering, which the output's index column follows too
                return report(output, data.test(), c, "the test split held out of --data " + o.path("data"));
            }
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    // The seed that drew the held-out split the model's parts were trained beside. Ensemble members that record different
    // seeds (copied together from several runs) were trained on different splits: no single one is held out from all of them.
    private static long recordedSeed(Map<String, TrainedOn> parts, boolean heldOut, Options o, Path model) throws UsageException, UserException {
        Map<Long, String> bySeed = new LinkedHashMap<>();
        parts.forEach((name, t) -> { if (t.seed() != null) bySeed.putIfAbsent(t.seed(), name); });
        if (heldOut && bySeed.size() > 1) {
            StringBuilder which = new StringBuilder();
            bySeed.forEach((seed, name) -> which.append(which.isEmpty() ? "" : ", ").append(name).append(": seed ").append(seed));
            throw new UserException("--data " + o.path("data") + ": the members of " + model + " were trained beside test splits drawn with different"
                    + " seeds (" + which + "), so no test split of it is held out from all of them; score each member on its own split,"
                    + " or the ensemble on a test set of its own (--test-data)");
        }
        return bySeed.isEmpty() ? 0 : bySeed.keySet().iterator().next();
    }

    // Also export's: --model as predict takes it.
    static Path model(Options o) throws UsageException, UserException {
        Path model = o.path("model");
        if (model == null) throw new UsageException("--model is required");
        // Else reported by the model reader as "M: no such file", which does not name the option.
        if (!Files.exists(model)) throw new UserException("--model " + model + ": no such file or directory");
        return model;
    }

    // The data options of predict, or fewer neurons, are no help when the model itself does not fit. Off-heap memory
    // only: the Java heap running out keeps the general advice (-Xmx, a limiting JAVA_TOOL_OPTIONS), threads Main's own.
    static Classifier loadModel(Path model, int threads) throws IOException {
        try {
            return Classifier.load(model, threads);
        } catch (OutOfMemoryError e) {
            String m = String.valueOf(e.getMessage());
            if (!(e instanceof OffHeap.LimitReached)
                    && (m.contains("Java heap") || m.contains("GC overhead") || m.contains("native thread"))) throw e;
            throw new Main.ModelTooLarge(model, modelBytes(model), e);
        }
    }

    // A QuickSelection checkpoint loads as a network of as many outputs as inputs: its "classes" would be pixels.
    private static void requireClassifier(Classifier c, Path model) throws UserException {
        if (InspectCommand.isAutoencoder(c)) {
            throw new UserException("--model " + model + " is a QuickSelection autoencoder (it reconstructs its " + c.inputs() + " inputs; it does not"
                    + " classify): its selection is the run's features.csv, and `dst4j export` writes its weights");
        }
    }

    // The model's own files: a model file, or a model directory's parts and manifest (not a run's charts and logs beside them).
    private static long modelBytes(Path model) {
        long sum = 0;
        try {
            if (!Files.isDirectory(model)) return Files.size(model);
            try (Stream<Path> files = Files.list(model)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String n = f.getFileName().toString();
                    boolean part = n.endsWith(".dst4j") || n.equals(EnsembleClassifier.MANIFEST) || n.equals(MultiHeadClassifier.MANIFEST);
                    if (part && Files.isRegularFile(f)) sum += Files.size(f);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // only told to the user: what could be read is told
        }
        return sum;
    }

    static void requireModelDirectory(Path model) throws UserException {
        if (Files.isDirectory(model) && !EnsembleClassifier.isEnsemble(model) && !MultiHeadClassifier.isMultiHead(model)) {
            // A training run's directory is the usual mistake: point at the model inside it.
            Path inside = Classifier.modelIn(model), checkpoint = model.resolve(SetTraining.CHECKPOINT); // FreeTickets' has the same name
            // QuickSelection keeps its checkpoint once it has written its selection: that run is not stopped, and its
            // network is an autoencoder, not one predict classifies with.
            Path selection = model.resolve(QuickSelectionCommand.FEATURES);
            String hint = inside != null ? "; did you mean --model " + inside + "?"
                    : Files.isRegularFile(checkpoint) && Files.isRegularFile(selection) ? "; it holds a finished quickselection run: its selection is "
                    + selection + ", and --model " + checkpoint + " reads its autoencoder (export writes its weights, inspect describes it; it does not classify)"
                    : Files.isRegularFile(checkpoint) ? "; it holds a stopped run's checkpoint: --model " + checkpoint
                    + " reads the network as the run left it, and the training command's --resume " + model + " continues the run"
                    : Files.isRegularFile(model.resolve(NeuroTrails.CHECKPOINT))
                    ? "; it holds a NeuroTrails run stopped before its model was saved: --model " + model.resolve(NeuroTrails.CHECKPOINT_DIR)
                    + " reads the network as the run left it, and neurotrails --resume " + model + " continues it" : "";
            throw new UserException("--model " + model + ": a directory, but neither an ensemble (" + EnsembleClassifier.MANIFEST
                    + ") nor a multi-head model (" + MultiHeadClassifier.MANIFEST + ")" + hint);
        }
    }

    private static final String[] DATA_OPTIONS = {"data", "dataset", "test-data", "labels", "test-labels", "label-column",
            "test-fraction", "limit-train", "limit-test", "seed"};

    private static int predictUnlabeled(Options o, Path model, int threads, Path output) throws UsageException, UserException, IOException, DataFormatException {
        for (String n : DATA_OPTIONS) {
            if (o.given(n)) throw new UsageException("--" + n + " chooses labeled data to score; --input " + o.path("input") + " is the data (give one or the other)");
        }
        if (o.string("input").isBlank()) throw new UsageException("--input: expected a .csv or .npy file, got an empty value");
        boolean stdin = o.string("input").equals("-");
        String input = stdin ? STDIN : o.path("input").toString();
        try (Classifier c = loadModel(model, threads);
             Dataset samples = stdin ? DataSources.unlabeled(System.in, STDIN) : DataSources.unlabeled(o.path("input"))) {
            requireClassifier(c, model);
            checkShape("--input " + input, samples.features(), c, model, " (a label column? --input takes feature columns only)");
            warnIfOutOfScale(samples, c, "--input " + input);
            float[] probs = c.predictProbabilities(samples);
            int k = c.classes();
            requireScored(probs, k, samples, "--input " + input);
            write(output, null, probs, k);
            summaryStream(output).printf("predicted %s of %s; wrote %s%n", RunSummary.count(samples.samples(), "sample"), input, output);
            return 0;
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    private static DatasetSplit loadForModel(Options o, long seed, Classifier c, Path model) throws UsageException, UserException, DataFormatException {
        try {
            return DataArgs.loadForModel(o, seed, c.inputs(), c.classes());
        } catch (FeatureCountException e) {
            checkShape(e.data(), e.features(), c, model, "");
            throw e; // not reached: the counts differ
        }
    }

    private static Dataset testForModel(Options o, Classifier c, Path model) throws UsageException, UserException, DataFormatException {
        try {
            return DataArgs.testForModel(o, c.inputs(), c.classes());
        } catch (FeatureCountException e) {
            checkShape(e.data(), e.features(), c, model, "");
            throw e; // not reached: the counts differ
        }
    }

    // oneMore: the hint when there is exactly one feature too many.
    private static void checkShape(String what, int features, Classifier c, Path model, String oneMore) throws UserException {
        if (features == c.inputs()) return;
        Path dir = model.toAbsolutePath().getParent();
        // A head file of a multi-head model loads as a classifier of the backbone's features, not of the data's.
        String head = Files.isRegularFile(model) && dir != null && MultiHeadClassifier.isMultiHead(dir)
                ? " (it is one head of the multi-head model in " + dir + "; give --model " + dir + ")" : "";
        throw new UserException(what + ": " + features + " features per sample; the model " + model + " takes " + c.inputs()
                + (features == c.inputs() + 1 ? oneMore : "") + head);
    }

    // An ensemble's members and a multi-head model's heads are scored too, with how much they differ: what a study of
    // an ensemble (one put together by hand, say) asks next. Their probabilities' mean is the model's, bit for bit.
    private static int report(Path output, Dataset test, Classifier c, String what) throws UserException, IOException {
        List<float[]> parts = switch (c) {
            case EnsembleClassifier e -> e.memberProbabilities(test);
            case MultiHeadClassifier m -> m.headProbabilities(test);
            default -> null;
        };
        int code = report(output, test, parts == null ? c.predictProbabilities(test) : EnsembleMetrics.average(parts), c.classes(), what);
        if (parts != null) summaryStream(output).println(partsLine(EnsembleMetrics.of(parts, test.labels(), c.classes()), c instanceof MultiHeadClassifier ? "heads" : "members"));
        return code;
    }

    // "members: accuracy a / b / c (ensemble minus best member: +x points), NLL ...; mean pairwise disagreement d, KL k nats"
    static String partsLine(EnsembleMetrics m, String what) {
        StringBuilder acc = new StringBuilder(), nll = new StringBuilder();
        double best = Double.NEGATIVE_INFINITY;
        for (EnsembleMetrics.Scores s : m.members()) {
            acc.append(acc.isEmpty() ? "" : " / ").append(String.format("%.4f", s.accuracy()));
            nll.append(nll.isEmpty() ? "" : " / ").append(String.format("%.4f", s.nll()));
            best = Math.max(best, s.accuracy());
        }
        String line = String.format("%s: accuracy %s (ensemble minus best %s: %+.2f points), NLL %s", what, acc,
                what.substring(0, what.length() - 1), 100 * (m.ensemble().accuracy() - best), nll);
        if (m.members().size() < 2) return line;
        return line + String.format("; mean pairwise disagreement %.4f, KL %.4f nats", EnsembleMetrics.meanOffDiagonal(m.disagreement()),
                EnsembleMetrics.meanOffDiagonal(m.kl()));
    }

    private static int report(Path output, Dataset test, float[] probs, int k, String what) throws UserException, IOException {
        int[] labels = test.labels();
        requireScored(probs, k, test, what);
        EnsembleMetrics.Scores scores;
        try {
            scores = EnsembleMetrics.Scores.of(probs, labels, k, EnsembleMetrics.ECE_BINS);
        } catch (IllegalArgumentException e) {
            throw new UserException(test.name() + ": " + e.getMessage());
        }
        write(output, labels, probs, k);
        summaryStream(output).printf("accuracy %.4f on %s of %s; NLL %.4f; ECE %.4f; wrote %s%n", scores.accuracy(), RunSummary.count(labels.length, "sample"),
                test.name(), scores.nll(), scores.ece(), output);
        return 0;
    }

    // Predictions written to standard output (--output /dev/stdout, piped into pandas, say) ended with this summary
    // line, a row that is no CSV: it goes to stderr then, as export's does.
    static PrintStream summaryStream(Path output) {
        return AtomicFiles.isStandardOutput(output) ? System.err : System.out;
    }

    // '--input -': what the summary and the messages call it.
    private static final String STDIN = "standard input";

    // '--output -' is standard output, as for most command-line tools (a file named '-' is './-').
    static Path outputPath(Options o) throws UsageException {
        if (!o.string("output").equals("-")) return o.path("output");
        Path stdout = Path.of("/dev/stdout");
        if (!Files.exists(stdout)) throw new UsageException("--output -: this system has no /dev/stdout; give a file path");
        return stdout;
    }

    // Predictions must never land on the model they came from: --output once replaced a model with a CSV.
    static Path output(Options o, Path model) throws UsageException, IOException {
        if (o.string("output").isBlank()) throw new UsageException("--output: expected a file path, got an empty one");
        Path out = outputPath(o);
        if (Files.isDirectory(out)) {
            throw new UsageException("--output " + out + " is a directory; expected the path of the predictions CSV file");
        }
        // As RunDirectory.precheck: found now, not as "already exists" once the data has been scored.
        Path existing = RunDirectory.nearestExisting(out.toAbsolutePath().getParent());
        if (existing != null && !Files.isDirectory(existing)) {
            throw new UsageException("--output " + out + ": cannot be created, " + existing + " is a file");
        }
        if (out.getFileName().toString().endsWith(".dst4j")) {
            throw new UsageException("--output " + out + ": predictions are a CSV file; .dst4j is the models' extension");
        }
        if (Files.exists(out) && Files.exists(model) && Files.isSameFile(out, model)) {
            throw new UsageException("--output " + out + " is the model file given by --model; write the predictions elsewhere");
        }
        if (insideModelDirectory(out, model, existing)) {
            // Not only an existing file: a CSV added there would sit among the model's parts and outlive a retraining with --overwrite.
            throw new UsageException("--output " + out + " is inside the model directory " + model + "; write the predictions elsewhere");
        }
        // The checks below concern an existing regular file that would be replaced; a device (/dev/stdout, even when
        // it is redirected into a file) or a pipe is written through, never replaced.
        if (!Files.isRegularFile(out) || isStream(out)) return out;
        Path real = out.toRealPath();
        // Nor the data it scores: --data copy.csv --output copy.csv would replace the data by its predictions.
        for (String n : new String[] {"input", "data", "test-data", "labels", "test-labels"}) {
            if (!o.given(n) || o.string(n).isBlank() || n.equals("input") && o.string(n).equals("-")) continue;
            Path in = o.path(n);
            if (!Files.exists(in)) continue;
            if (Files.isDirectory(in) ? isIdxFileIn(real, in) : Files.isSameFile(in, out)) {
                throw new UsageException("--output " + out + (Files.isDirectory(in) ? " is a file of the --" : " is the --") + n
                        + " " + in + "; write the predictions elsewhere");
            }
        }
        // Beside a model file sit the run's other outputs (a member's ensemble.json, metrics, charts): predictions may
        // join them, or replace earlier predictions, but not replace one of them.
        if (!Files.isDirectory(model) && Files.isRegularFile(model)
                && real.getParent().equals(model.toRealPath().getParent()) && !isPredictions(out)) {
            throw new UsageException("--output " + out + " would replace a file beside the model " + model + "; write the predictions elsewhere");
        }
        return out;
    }

    // Also export's. Real paths too, since writes follow links: an existing --output's, and its nearest existing
    // directory's, for a file not yet there reached through a link into the model directory.
    static boolean insideModelDirectory(Path out, Path model, Path existing) throws IOException {
        return Files.isDirectory(model) && (out.toAbsolutePath().normalize().startsWith(model.toAbsolutePath().normalize())
                || Files.exists(out) && out.toRealPath().startsWith(model.toRealPath())
                || existing != null && existing.toRealPath().startsWith(model.toRealPath()));
    }

    // Also export's. By name under /dev and /proc, since /dev/stdout redirected into a file is a link to a regular file; but
    // not a regular file there itself (on /dev/shm), which is checked as any other file: taken for a stream, it was replaced
    // whatever it held.
    static boolean isStream(Path out) {
        Path p = out.toAbsolutePath().normalize();
        return Files.exists(out) && !Files.isRegularFile(out)
                || (p.startsWith("/dev") || p.startsWith("/proc")) && !Files.isRegularFile(out, LinkOption.NOFOLLOW_LINKS);
    }

    // A float .npy of raw 0..255 pixels for a model trained on [0, 1] ones is scored without complaint, and badly:
    // compare the samples with the training data's scale, which the standardizer holds.
    static void warnIfOutOfScale(Dataset samples, Classifier c, String what) {
        Standardizer std = c.standardizer();
        if (std == null) return;
        double typical = std.meanAbsoluteScore(samples);
        // Training data averages below 1 standard deviation from the mean; 10 is far outside, not merely other data.
        if (typical > 10) {
            System.err.printf("dst4j predict: warning: %s lies on average %.3g standard deviations from the training data's means;"
                    + " is it on another scale (e.g. 0..255 pixels for a model trained on 0..1)?%n", what, typical);
        }
    }

    // A sample whose values overflow the network's floats (3.4e38 in a feature trained on values near 1) gets NaN
    // probabilities: they were written with a predicted class of 0 (the argmax of NaNs), and counted in the accuracy.
    private static void requireScored(float[] probs, int k, Dataset samples, String what) throws UserException {
        for (int i = 0; i < probs.length; i++) {
            if (Float.isFinite(probs[i])) continue;
            int s = i / k;
            float largest = 0;
            for (int f = 0; f < samples.features(); f++) largest = Math.max(largest, Math.abs(samples.get(s, f)));
            throw new UserException(what + ": sample " + s + " (counted from 0, as the output's index) gets NaN probabilities from the model: its values"
                    + " (largest magnitude " + largest + ") overflow the network's 32-bit arithmetic; give it on the training data's scale");
        }
    }

    // A file this command wrote earlier (its header): running the same predict again replaces it.
    private static boolean isPredictions(Path file) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = r.readLine();
            return first != null && (first.startsWith("index,predicted,") || first.startsWith("index,label,predicted,"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    // One of an IDX directory's data files (train-*, t10k-*); predictions may be written elsewhere in it.
    private static boolean isIdxFileIn(Path real, Path dir) throws IOException {
        String name = real.getFileName().toString();
        return real.getParent().equals(dir.toRealPath()) && (name.startsWith("train-") || name.startsWith("t10k-"));
    }

    // labels null: samples without labels, and no label column.
    private static void write(Path out, int[] labels, float[] probs, int k) throws IOException {
        AtomicFiles.write(out, raw -> {
            Writer w = new OutputStreamWriter(raw, StandardCharsets.UTF_8);
            StringBuilder sb = new StringBuilder(labels == null ? "index,predicted" : "index,label,predicted");
            for (int j = 0; j < k; j++) sb.append(",p").append(j);
            w.write(sb.append('\n').toString());
            for (int i = 0, n = probs.length / k; i < n; i++) {
                sb.setLength(0);
                sb.append(i).append(',');
                if (labels != null) sb.append(labels[i]).append(',');
                sb.append(Argmax.ofRow(probs, i, k));
                for (int j = 0; j < k; j++) sb.append(',').append(probs[i * k + j]);
                w.write(sb.append('\n').toString());
            }
            w.flush();
        });
    }
}
