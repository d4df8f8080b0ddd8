package org.dst4j.algorithms.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dst4j.algorithms.ResumeChecks;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.data.DataFormatException;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.runtime.parallel.WorkerPool;

final class SetCommand implements Command {
    @Override public String summary() { return "train a sparse MLP with Sparse Evolutionary Training (SET)"; }

    static Options options(String name, String summary) {
        Options o = new Options(name, summary)
                .option("hidden", "1000,1000,1000", "hidden layer sizes")
                .option("epsilon", "20", "Erdos-Renyi density parameter: density = epsilon (n_in + n_out) / (n_in n_out), capped at 1")
                .option("zeta", "0.3", "fraction of each layer's connections replaced after every epoch but the last")
                .option("epochs", "10", "training epochs")
                .option("batch", "128", "mini-batch size")
                .option("lr", "0.01", "learning rate")
                .option("schedule", "constant", "learning-rate schedule: constant, step:<every>:<gamma>, cosine[:<min>]")
                .option("optimizer", "sgd", "sgd (momentum, weight decay as in the SET code) or adam (decoupled weight decay)")
                .option("momentum", "0.9", "SGD momentum")
                .option("weight-decay", "0.0002", "weight decay")
                .option("dropout", "0.3", "dropout rate on hidden layers")
                .option("activation", "relu", "hidden activation: relu, allrelu, sigmoid, tanh")
                .option("alpha", "0.6", "All-ReLU slope magnitude")
                .option("init", "he-uniform", "weight init: he-uniform, xavier-uniform, normal:<std>, zero")
                .option("seed", "42", "random seed")
                .option("threads", String.valueOf(Runtime.getRuntime().availableProcessors()), "worker threads")
                .option("out", "runs/set", "output directory")
                .option("resume", null, "continue the run whose checkpoint is in this directory, as it was set up (give only --threads, --seed and the data options)");
        return RunDirectory.declare(DataArgs.declare(o));
    }

    static SetConfig config(Options o) throws UsageException {
        if (o.given("alpha") && !o.string("activation").equals("allrelu")) {
            throw new UsageException("--alpha is All-ReLU's slope; it applies only with --activation allrelu, not " + o.string("activation"));
        }
        try {
            return new SetConfig(o.integers("hidden", 1, Integer.MAX_VALUE), o.number("epsilon", 1e-9, 1e9), o.number("zeta", 0, 0.99),
                    o.integer("epochs", 1, 1_000_000), o.integer("batch", 1, 1 << 20), (float) o.number("lr", 1e-12, 1e3),
                    (float) o.number("momentum", 0, 0.999999), (float) o.number("weight-decay", 0, 1), (float) o.number("dropout", 0, 0.99),
                    o.choice("activation", "relu", "allrelu", "sigmoid", "tanh"), (float) o.number("alpha", 0, 10),
                    o.choice("optimizer", "sgd", "adam"), schedule(o), init(o), o.longValue("seed"), o.integer("threads", 1, WorkerPool.MAX_THREADS));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    // LearningRate.parse fills in missing parts and drops extra ones, and SetConfig's range checks name no option:
    // form and ranges are checked here, in the options' names.
    private static String schedule(Options o) throws UsageException {
        String s = o.string("schedule");
        float lr = (float) o.number("lr", 1e-12, 1e3);
        LearningRate r;
        try {
            r = LearningRate.parse(s, lr, 1);
        } catch (IllegalArgumentException e) {
            r = null;
        }
        String[] parts = s.split(":", -1);
        boolean ok = !Arrays.asList(parts).contains("") && switch (r) {
            case LearningRate.Constant c -> parts.length == 1;
            case LearningRate.Step st -> parts.length == 3 && st.gamma() > 0 && st.gamma() <= 1;
            case LearningRate.Cosine c -> parts.length <= 2 && c.min() >= 0 && c.min() <= lr;
            case null, default -> false;
        };
        if (!ok) {
            throw new UsageException("--schedule: expected constant, step:EVERY:GAMMA (EVERY >= 1 epochs, GAMMA in (0, 1]) or cosine[:MIN] (MIN in [0, "
                    + lr + "], the --lr), got '" + s + "'");
        }
        return s;
    }

    static String init(Options o) throws UsageException {
        String s = o.string("init");
        try {
            WeightInit.parse(s); // which also refuses a negative or infinite std
        } catch (IllegalArgumentException e) {
            throw new UsageException("--init: " + e.getMessage());
        }
        return s;
    }

    static final RunDirectory.Outputs OUTPUTS = RunDirectory.Outputs.of(SetTraining.MODEL, SetTraining.CHECKPOINT, SetTraining.METRICS, SetTraining.CURVE)
            .resumableFrom(SetTraining.CHECKPOINT, SetTraining.MODEL);

    @Override
    public int run(String[] args) throws UsageException, UserException, IOException, DataFormatException {
        Options o = options("set", summary());
        if (!o.parse(args)) return 0;
        SetConfig cfg = config(o);
        if ("adam".equals(cfg.optimizer()) && o.given("momentum")) {
            throw new UsageException("--momentum applies to --optimizer sgd; Adam keeps its own moment estimates (beta1 0.9, beta2 0.999)");
        }
        Path resume = o.path("resume");
        if (resume != null) {
            // SetTraining.resume rebuilds the run from its checkpoint and writes into that directory; only where it runs
            // and how the same data is found (data options; --seed draws a single file's hold-out split) still apply.
            RunDirectory.checkResume(o, resume, SetTraining.CHECKPOINT, "hidden", "epsilon", "zeta", "epochs", "batch", "lr", "schedule", "optimizer",
                    "momentum", "weight-decay", "dropout", "activation", "alpha", "init", "out", "no-standardize", "overwrite");
            if (!Files.isRegularFile(resume.resolve(SetTraining.CHECKPOINT))) {
                throw new UserException("--resume " + resume + ": " + ResumeChecks.noCheckpoint(resume, SetTraining.CHECKPOINT, null));
            }
        }
        Progress progress = new Progress(cfg.epochs());
        // A resumed run's held-out split is the one its seed drew, not --seed's default.
        long splitSeed = cfg.seed();
        if (resume != null && !o.given("seed") && DataArgs.heldOut(o)) {
            Long recorded = TrainedOn.ofFile(resume.resolve(SetTraining.CHECKPOINT)).seed();
            if (recorded != null) splitSeed = recorded;
        }
        if (resume == null) RunDirectory.precheck(o, OUTPUTS);
        try (DatasetSplit data = DataArgs.load(o, splitSeed)) {
            Path out = null;
            if (resume == null) {
                int[] sizes = MlpConfig.sizes(data.train().features(), cfg.hidden(), data.train().classes());
                LayerCheck.check(o, "epsilon", "", sizes, new Density.ErdosRenyi(cfg.epsilon()).densities(sizes));
                out = RunDirectory.claim(o, OUTPUTS);
            } else {
                RunDirectory.resuming(resume); // a Ctrl-C waits for the training to stop between batches
            }
            System.err.printf("dst4j set: %s, %d train / %d test samples, %d features, %d classes%n", data.train().name(),
                    data.train().samples(), data.test().samples(), data.train().features(), data.train().classes());
            List<EpochMetrics> history = new ArrayList<>();
            int[] totalEpochs = {cfg.epochs()};
            SetTraining.Progress p = new SetTraining.Progress() {
                @Override public void start(SetConfig run) {
                    totalEpochs[0] = run.epochs();
                    progress.total(run.epochs());
                }

                @Override public void batch(int epoch, int done, int total) {
                    progress.batch(epoch, done, total);
                }

                @Override public void epoch(EpochMetrics m) {
                    history.add(m);
                    progress.epoch(String.format("epoch %d/%d  train loss %.4f acc %.4f  test loss %.4f acc %.4f  connections %d  %.2fs (evolution %.3fs, eval %.2fs)",
                            m.epoch(), totalEpochs[0], m.trainLoss(), m.trainAccuracy(), m.testLoss(), m.testAccuracy(), m.connections(),
                            m.epochSeconds(), m.evolutionSeconds(), m.evalSeconds()), m);
                }
            };
            Path dir = resume != null ? resume : out;
            try (SparseClassifier model = resume != null
                    ? SetTraining.resume(resume, data, cfg.threads(), p)
                    : SetTraining.train(cfg, data, !o.flag("no-standardize"), out, p)) {
                System.out.printf("test accuracy %.4f; wrote %s%n", model.evaluate(data.test()).accuracy(),
                        RunSummary.written(dir.resolve(SetTraining.MODEL), dir.resolve(SetTraining.METRICS), dir.resolve(SetTraining.CURVE)));
            }
            // A resumed run's summary covers the whole run, the epochs before the interruption included.
            if (resume != null && history.isEmpty()) System.out.println("no epochs run: the checkpoint's run had finished");
            System.out.println(RunSummary.of(resume != null ? SetTraining.history(resume) : history));
            return 0;
        }
    }
}
