package org.dst4j.algorithms.set;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import org.dst4j.algorithms.ResumeChecks;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.MetricsLog;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.loss.SoftmaxCrossEntropy;
import org.dst4j.nn.model.ModelFile;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.Adam;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.optim.Optimizer;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.nn.plot.Charts;
import org.dst4j.nn.plot.LineChart;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.Evaluation;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.random.RngStreams;

/**
 * Sparse Evolutionary Training of an MLP classifier: Erdős–Rényi sparse layers, trained by mini-batch
 * SGD (or Adam), with SET's prune-and-regrow after every epoch but the last.
 *
 * <p>With an output directory it writes {@code metrics.jsonl} (one line per epoch),
 * {@code checkpoint.dst4j} after every epoch (model, optimizer state and training state: what
 * {@link #resume} needs), {@code model.dst4j} at the end and {@code learning-curve.png}.
 */
public final class SetTraining {
    /** Model, optimizer and training state after the latest epoch: what {@link #resume} continues from. */
    public static final String CHECKPOINT = "checkpoint.dst4j";
    /** The trained model, readable by {@link SparseClassifier#load}. */
    public static final String MODEL = "model.dst4j";
    /** One JSON line per epoch (see {@link #record}). */
    public static final String METRICS = "metrics.jsonl";
    /** Train and test accuracy by epoch. */
    public static final String CURVE = "learning-curve.png";

    private static final List<String> OUTPUTS = List.of(MODEL, CHECKPOINT, METRICS, CURVE);

    /** Told after each batch and epoch (for progress display); all methods optional. */
    public interface Progress {
        /** Called once before the first epoch runs, with the run's configuration (on resume: the checkpoint's). */
        default void start(SetConfig cfg) {}

        /** A batch finished: {@code done} of the epoch's {@code total} batches; {@code epoch} counts from 0. */
        default void batch(int epoch, int done, int total) {}

        /** An epoch finished, evaluated on the test set ({@code m.epoch()} counts from 1). */
        default void epoch(EpochMetrics m) {}
    }

    private SetTraining() {}

    /**
     * Trains a classifier from scratch on {@code data.train()}, evaluating it on {@code data.test()} after
     * every epoch.
     *
     * @param cfg the run's hyper-parameters
     * @param data training and test sets
     * @param standardize whether to fit a per-feature standardizer on the training set, apply it to both
     *     sets and save it with the model
     * @param out directory for the files listed on the class (created if missing, earlier files
     *     replaced; an earlier run's checkpoint is removed before this run trains, so that a resume continues this run),
     *     or null to write nothing
     * @param progress told of every batch and epoch, or null for no progress reporting
     * @return the trained classifier; the caller closes it
     * @throws IOException if writing into {@code out} fails
     * @throws IllegalArgumentException if the training set is empty, or a setting does not fit the data
     * @throws Trainer.DivergedException if the loss stops being finite
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted: the run stops before its
     *     next batch, naming the last completed epoch, and the thread's interrupt flag stays set; with {@code out},
     *     {@link #resume} continues it from there
     */
    public static SparseClassifier train(SetConfig cfg, DatasetSplit data, boolean standardize, Path out, Progress progress) throws IOException {
        Objects.requireNonNull(cfg, "cfg");
        Objects.requireNonNull(data, "data");
        data.train().requireTrainingSamples();
        if (progress == null) progress = new Progress() {};
        RngStreams rng = new RngStreams(cfg.seed());
        Standardizer std = standardize ? Standardizer.fit(data.train()) : null;
        MlpConfig mlp = mlpConfig(cfg, data.train().features(), data.train().classes());
        // Before the network exists: the optimizer checks momentum, weight decay and its name.
        Optimizer opt = optimizer(cfg);
        if (out != null) {
            AtomicFiles.createDirectoryFor(out, OUTPUTS);
            // an earlier run's, left by a stop: kept until this run's first save, a resume would have continued it
            Files.deleteIfExists(out.resolve(CHECKPOINT));
        }
        SparseMlp net = SparseMlp.create(mlp, rng.stream("init"), rng.stream("dropout").nextLong());
        Trainer.State state = new Trainer.State(rng.stream("shuffle"), rng.stream("evolution"));
        return run(cfg, data, std, net, opt, state, out, false, progress);
    }

    /**
     * Continues the run whose checkpoint is in {@code dir} to its configured epochs, writing there; the
     * result is the model the uninterrupted run would have ended with.
     *
     * @param dir the interrupted run's output directory, holding {@value #CHECKPOINT}
     * @param data the run's training data (checked by checksum) and a test set
     * @param threads worker threads for the rest of the run (the result does not depend on them)
     * @param progress told of every batch and epoch, or null for no progress reporting
     * @return the trained classifier; the caller closes it
     * @throws IOException if there is no readable checkpoint, the training data differs, or writing fails
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted, as for {@link #train}
     */
    public static SparseClassifier resume(Path dir, DatasetSplit data, int threads, Progress progress) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(data, "data");
        // Checked here: read with the checkpoint's config, a bad count was reported as a bad checkpoint.
        WorkerPool.checkThreads(threads);
        if (progress == null) progress = new Progress() {};
        Path file = dir.resolve(CHECKPOINT);
        // as the other algorithms say it: with what the directory holds instead (a run stopped in its first epoch, a set-aside run)
        if (!Files.exists(file)) throw new IOException(dir + ": " + ResumeChecks.noCheckpoint(dir, CHECKPOINT, null));
        // The optimizer kind is in the header, which we only know after reading it; read twice (small cost, once).
        Map<String, Object> header;
        try (SparseClassifier peek = SparseClassifier.load(file, 1)) {
            header = peek.header();
        }
        // Another command's checkpoint (freetickets keeps one too) is named as such, not as a SET checkpoint missing fields.
        if (header.get("provenance") instanceof Map<?, ?> p && p.get("algorithm") instanceof String a && !a.equals("set")) {
            throw new IOException(dir + ": " + file.getFileName() + " is the checkpoint of a " + a + " run, not of a SET run");
        }
        // Any .dst4j file loads as a model; only a SET checkpoint carries the training state read here.
        Map<String, Object> training;
        SetConfig cfg;
        long expected;
        Long expectedTest;
        Map<String, Object> provenance;
        Trainer.State state = new Trainer.State(new RandomStream(0), new RandomStream(0));
        try {
            training = Json.getObject(header, "training");
            try {
                cfg = configFrom(Json.getObject(training, "config"), threads);
            } catch (IllegalArgumentException e) {
                // A checkpoint whose settings this version no longer accepts (e.g. --zeta 1, allowed before) is still one.
                if (e.getMessage() != null && !e.getMessage().startsWith("field '")) { // not a missing or mistyped field
                    throw new IOException(dir + ": " + file.getFileName() + " cannot be resumed by this version: its run's settings are not"
                            + " accepted any more (" + e.getMessage() + ")");
                }
                throw e;
            }
            provenance = Json.getObject(header, "provenance");
            expected = Json.getLong(provenance, "data_checksum");
            expectedTest = provenance.containsKey("test_checksum") ? Json.getLong(provenance, "test_checksum") : null; // older checkpoints did not record it
            // The training state is read before the model is loaded: a bad field must not strand the network.
            state.epochsDone = Json.getInt(training, "epochs_done");
            state.step = Json.getLong(training, "step");
            // A count cut to 32 bits (2^31 became -2^31) had the run train for ever; a negative step repeats dropout masks.
            if (state.epochsDone < 0 || state.epochsDone > cfg.epochs()) {
                throw new IllegalArgumentException("field 'epochs_done': " + state.epochsDone + " is not in [0, " + cfg.epochs() + "], the run's epochs");
            }
            if (state.step < 0) throw new IllegalArgumentException("field 'step': expected a count >= 0, got " + state.step);
            state.shuffle.restore(Json.getLongs(training, "rng_shuffle"));
            state.evolution.restore(Json.getLongs(training, "rng_evolution"));
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": " + file.getFileName() + " is not a SET training checkpoint (" + e.getMessage() + ")");
        }
        // A finished run's model file has the same header but no optimizer state (it failed on a missing tensor).
        if (!header.containsKey("optimizer_steps")) {
            throw new IOException(dir + ": " + file.getFileName() + " is a trained model without its optimizer state (a copy of a run's "
                    + MODEL + "?), not a training checkpoint");
        }
        ResumeChecks.sameData(dir, expected, expectedTest, provenance, data);
        AtomicFiles.createDirectoryFor(dir, OUTPUTS); // an output blocked by a directory, found before the run goes on
        AtomicFiles.removeTemporaries(dir, OUTPUTS); // of writes a kill interrupted
        Optimizer opt = optimizer(cfg);
        ModelFile.Loaded loaded = ModelFile.load(file, opt);
        // The network is the one the run's settings build for this data, or the file was edited: a network of 8 outputs
        // for 10 classes failed inside the loss kernel, and one unlike its config trained on under the wrong description.
        MlpConfig built = mlpConfig(cfg, data.train().features(), data.train().classes());
        if (!loaded.net().config().equals(built)) {
            loaded.net().close();
            throw new IOException(dir + ": " + file.getFileName() + " holds the network " + loaded.net().config() + ", but its training config on this data makes "
                    + built + " (file edited?)");
        }
        return run(cfg, data, loaded.standardizer(), loaded.net(), opt, state, dir, true, progress);
    }

    // Takes ownership of net: it becomes the classifier returned, or is closed if anything fails.
    static SparseClassifier run(SetConfig cfg, DatasetSplit data, Standardizer std, SparseMlp net, Optimizer opt,
                                Trainer.State state, Path out, boolean resumed, Progress progress) throws IOException {
        boolean ok = false;
        Map<String, Object> classifierHeader;
        try (WorkerPool pool = new WorkerPool(cfg.threads())) {
            Map<String, Object> provenance = provenance(cfg, data); // reads the data: inside the try, which frees net
            progress.start(cfg); // inside the try: if it throws, the network is freed
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            WeightInit init = WeightInit.parse(cfg.init());
            Trainer.Settings settings = new Trainer.Settings(cfg.epochs(), cfg.batch(), LearningRate.parse(cfg.schedule(), cfg.lr(), cfg.epochs()),
                    opt, new SoftmaxCrossEntropy(), TopologyEvolution.set(cfg.zeta(), init), 1000);
            List<EpochMetrics> history = new ArrayList<>();
            MetricsLog log = out == null ? null
                    : resumed ? MetricsLog.resume(out.resolve(METRICS), state.epochsDone) : MetricsLog.create(out.resolve(METRICS));
            if (resumed && out != null) {
                history.addAll(history(out));
            }
            try {
                new Trainer(pk, settings).run(net, data.train(), data.test(), std, state, new Trainer.Listener() {
                    @Override public void batchDone(int epoch, int done, int total) {
                        progress.batch(epoch, done, total);
                    }

                    @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                        history.add(m);
                        progress.epoch(m);
                        if (out == null) return;
                        try {
                            log.append(record(m));
                            ModelFile.save(out.resolve(CHECKPOINT), net, opt, std, header(cfg, s, provenance));
                            Charts.write(out.resolve(CURVE), f -> curve(history).write(f));
                        } catch (IOException e) {
                            // An interrupt that lands in a write closes its channel: report it as the cancellation it is.
                            if (Thread.currentThread().isInterrupted()) {
                                throw interruptedWhileWriting(m.epoch(), e, out);
                            }
                            throw new Trainer.FileWriteException(e);
                        }
                    }
                });
            } catch (Trainer.FileWriteException e) {
                throw e.getCause();
            } finally {
                if (log != null) log.close();
            }
            if (out != null) {
                try {
                    ModelFile.save(out.resolve(MODEL), net, null, std, header(cfg, state, provenance));
                    Charts.write(out.resolve(CURVE), f -> curve(history).write(f));
                } catch (IOException e) {
                    // As an interrupt in an epoch's writes: the checkpoint holds every epoch, and resume writes these.
                    if (Thread.currentThread().isInterrupted()) {
                        throw interruptedWhileWriting(state.epochsDone, e, out);
                    }
                    throw e;
                }
            }
            // The header the run's model file has, as loading it would give it (JSON types): a model saved from the
            // API then records its data and seed, which predict needs to re-draw a single file's held-out split.
            classifierHeader = Json.parseObject(Json.write(header(cfg, state, provenance)));
            ok = true;
        } finally {
            if (!ok) net.close();
        }
        return new SparseClassifier(net, std, classifierHeader, cfg.threads());
    }

    private static CancellationException interruptedWhileWriting(int epoch, IOException e, Path out) {
        return new CancellationException("training interrupted after epoch " + epoch + " while writing its files ("
                + e.getMessage() + "); " + out + " holds the run as of the last file written");
    }

    static MlpConfig mlpConfig(SetConfig cfg, int inputs, int classes) {
        return new MlpConfig(MlpConfig.sizes(inputs, cfg.hidden(), classes), cfg.activation(), cfg.alpha(), Activation.linear(), cfg.dropout(),
                new Density.ErdosRenyi(cfg.epsilon()), WeightInit.parse(cfg.init()));
    }

    static Optimizer optimizer(SetConfig cfg) {
        return switch (cfg.optimizer()) {
            case "sgd" -> new Sgd(cfg.momentum(), cfg.weightDecay());
            case "adam" -> Adam.withWeightDecay(cfg.weightDecay());
            default -> throw new IllegalArgumentException("unknown optimizer '" + cfg.optimizer() + "'; expected sgd or adam");
        };
    }

    private static Map<String, Object> provenance(SetConfig cfg, DatasetSplit data) {
        Map<String, Object> more = new LinkedHashMap<>();
        more.put("test_checksum", data.test().checksum());
        more.put("train_samples", data.train().samples());
        more.put("test_samples", data.test().samples());
        return ModelFile.provenance("set", cfg.seed(), data.train().name(), data.train().checksum(), more);
    }

    private static Map<String, Object> header(SetConfig cfg, Trainer.State s, Map<String, Object> provenance) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("config", cfg.toMap());
        t.put("epochs_done", s.epochsDone);
        t.put("step", s.step);
        t.put("rng_shuffle", s.shuffle.state());
        t.put("rng_evolution", s.evolution.state());
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("training", t);
        h.put("provenance", provenance);
        return h;
    }

    static SetConfig configFrom(Map<String, Object> m, int threads) {
        return new SetConfig(Json.getInts(m, "hidden"), Json.getDouble(m, "epsilon"), Json.getDouble(m, "zeta"), Json.getInt(m, "epochs"),
                Json.getInt(m, "batch"), (float) Json.getDouble(m, "lr"), (float) Json.getDouble(m, "momentum"),
                (float) Json.getDouble(m, "weight_decay"), (float) Json.getDouble(m, "dropout"), Json.getString(m, "activation"),
                (float) Json.getDouble(m, "alpha"), Json.getString(m, "optimizer"), Json.getString(m, "schedule"),
                Json.getString(m, "init"), Json.getLong(m, "seed"), threads);
    }

    /** The metrics line of an epoch. */
    public static Map<String, Object> record(EpochMetrics m) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("epoch", m.epoch());
        r.put("train_loss", m.trainLoss());
        r.put("train_accuracy", m.trainAccuracy());
        r.put("test_loss", m.testLoss());
        r.put("test_accuracy", m.testAccuracy());
        r.put("connections", m.connections());
        r.put("epoch_seconds", m.epochSeconds());
        r.put("evolution_seconds", m.evolutionSeconds());
        r.put("eval_seconds", m.evalSeconds());
        r.put("learning_rate", m.learningRate());
        return r;
    }

    /**
     * Every epoch recorded in the run directory {@code dir}'s {@link #METRICS}, in order.
     *
     * @throws IOException if the file cannot be read, or a record is not an epoch's (naming the record)
     */
    public static List<EpochMetrics> history(Path dir) throws IOException {
        List<EpochMetrics> h = new ArrayList<>();
        List<Map<String, Object>> records = MetricsLog.readAll(dir.resolve(METRICS));
        for (int i = 0; i < records.size(); i++) {
            try {
                h.add(fromRecord(records.get(i)));
            } catch (IllegalArgumentException e) { // a missing or mistyped field: an edited or foreign file, not a bug
                throw new IOException(dir.resolve(METRICS) + ": record " + (i + 1) + ": " + e.getMessage());
            }
        }
        return h;
    }

    private static EpochMetrics fromRecord(Map<String, Object> r) {
        return new EpochMetrics(Json.getInt(r, "epoch"), Json.getDouble(r, "train_loss"), Json.getDouble(r, "train_accuracy"),
                Json.getDouble(r, "test_loss"), Json.getDouble(r, "test_accuracy"), Json.getLong(r, "connections"),
                Json.getDouble(r, "epoch_seconds"), Json.getDouble(r, "evolution_seconds"), Json.getDouble(r, "eval_seconds"),
                (float) Json.getDouble(r, "learning_rate"));
    }

    static LineChart curve(List<EpochMetrics> history) {
        int n = history.size();
        double[] e = new double[n], tr = new double[n], te = new double[n];
        for (int i = 0; i < n; i++) {
            e[i] = history.get(i).epoch();
            tr[i] = history.get(i).trainAccuracy();
            te[i] = history.get(i).testAccuracy();
        }
        return new LineChart("SET learning curve", "epoch", "accuracy").add("train (dropout on)", e, tr).add("test", e, te);
    }

    /** Evaluates a classifier on the test split. */
    public static Evaluation evaluate(SparseClassifier c, DatasetSplit data) {
        return c.evaluate(data.test());
    }
}
