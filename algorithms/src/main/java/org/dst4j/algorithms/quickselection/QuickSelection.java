package org.dst4j.algorithms.quickselection;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.loss.MeanSquaredError;
import org.dst4j.nn.model.ModelFile;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.InputNoise;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.random.RngStreams;
import org.dst4j.runtime.record.ArrayRecords;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * QuickSelection (Atashgahi et al., 2022): train a sparse denoising autoencoder {@code d -> hidden -> d}
 * with SET, then rank the input features by the strength of their input neuron, the summed |w| of its
 * live encoder connections. Everything but the strength is the SET machinery of the nn module.
 *
 * <pre>{@code
 * QuickSelection.Result r = QuickSelection.select(QuickSelectionConfig.defaults().withK(50), train, true, null);
 * int[] features = r.top();   // the 50 strongest
 * }</pre>
 */
public final class QuickSelection {
    private QuickSelection() {}

    /**
     * The ranking of all input features.
     *
     * @param ranking feature indices by decreasing strength (ties: lower index first)
     * @param strength strength of each feature, by feature index
     * @param history one entry per training epoch (train loss = reconstruction loss per sample)
     * @param k the features to select, which {@link #top()} returns: the config's {@link QuickSelectionConfig#k()}
     */
    public record Result(int[] ranking, double[] strength, List<EpochMetrics> history, int k) {
        /**
         * Copies the arrays and the history: changing the caller's afterwards does not change the result.
         *
         * @throws IllegalArgumentException if {@code ranking} is not every feature index of {@code strength} once, or
         *     {@code k} is not in [1, features]
         */
        public Result {
            ranking = Objects.requireNonNull(ranking, "ranking").clone();
            strength = Objects.requireNonNull(strength, "strength").clone();
            history = List.copyOf(Objects.requireNonNull(history, "history"));
            // Otherwise top() handed out indices of features that do not exist, or one feature twice.
            if (ranking.length != strength.length) {
                throw new IllegalArgumentException("ranking has " + ranking.length + " features, strength " + strength.length);
            }
            boolean[] seen = new boolean[ranking.length];
            for (int i = 0; i < ranking.length; i++) {
                int f = ranking[i];
                if (f < 0 || f >= ranking.length || seen[f]) {
                    throw new IllegalArgumentException("ranking[" + i + "] = " + f + ": the ranking must hold each feature index in [0, "
                            + ranking.length + ") once");
                }
                seen[f] = true;
            }
            if (k < 1 || k > ranking.length) throw new IllegalArgumentException("k must be in [1, " + ranking.length + "], got " + k);
        }

        /** A ranking of which every feature is to be selected: {@link #top()} is the whole ranking. */
        public Result(int[] ranking, double[] strength, List<EpochMetrics> history) {
            this(ranking, strength, history, Objects.requireNonNull(ranking, "ranking").length);
        }

        /** Feature indices by decreasing strength (ties: lower index first); a copy. */
        @Override public int[] ranking() { return ranking.clone(); }

        /** Strength of each feature, by feature index; a copy. */
        @Override public double[] strength() { return strength.clone(); }

        /** The {@link #k()} strongest features: the selection the config asked for. */
        public int[] top() {
            return top(k);
        }

        /** The {@code k} strongest features, for another count than the config's (such as an evaluation at several). */
        public int[] top(int k) {
            if (k < 1 || k > ranking.length) throw new IllegalArgumentException("k must be in [1, " + ranking.length + "], got " + k);
            return Arrays.copyOf(ranking, k);
        }

        // By content: the generated methods would compare and print the arrays by identity.
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

        @Override public int hashCode() { return ArrayRecords.hashCode(this); }

        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    /** Told after every batch and epoch; all methods optional. */
    public interface Progress {
        /** A batch finished: {@code done} of the epoch's {@code total} batches; {@code epoch} counts from 0. */
        default void batch(int epoch, int done, int total) {}

        /** An epoch finished; {@code m.trainLoss()} is its reconstruction loss per sample, {@code m.epoch()} counts from 1. */
        default void epoch(EpochMetrics m) {}

        /**
         * Training has ended, before the features are ranked: {@code autoencoder}'s first layer is the encoder
         * whose connections' summed |w| per input (its {@code [hidden x features]} CSR weights, by column) is each
         * feature's strength; {@code scaling} is what the inputs were scaled with (null for {@link Scaling#NONE}).
         * To save or inspect the weights: the network is closed once the selection returns, so do not keep it.
         */
        default void trained(SparseMlp autoencoder, Standardizer scaling) {}
    }

    /**
     * How the inputs are scaled before the autoencoder sees them. The strengths rank features by what the
     * autoencoder spends its weights on, so the scaling changes the selection, not only the training.
     */
    public enum Scaling {
        /** {@code (x - mean) / std} per feature, fitted on the training data: the reference code's StandardScaler. */
        STANDARDIZE,
        /**
         * {@code x - mean} per feature, no division: for features that share one scale, such as pixels. Dividing
         * a nearly constant feature by its tiny standard deviation turns its rare deviations into the largest
         * inputs of all (Fashion-MNIST's corner pixels reach 185 standard deviations: docs/results/quickselection.md).
         */
        CENTER,
        /** The data as given. */
        NONE;

        /** {@code standardize}, {@code center} or {@code none}. */
        public static Scaling parse(String s) {
            Objects.requireNonNull(s, "scaling");
            return switch (s) {
                case "standardize" -> STANDARDIZE;
                case "center" -> CENTER;
                case "none" -> NONE;
                default -> throw new IllegalArgumentException("scaling must be standardize, center or none, got '" + s + "'");
            };
        }

        /** The name the command line takes: {@code standardize}, {@code center} or {@code none}. */
        public String label() { return name().toLowerCase(Locale.ROOT); }

        /** This scaling fitted on {@code train}, or null for {@link #NONE}. */
        public Standardizer fit(Dataset train) {
            return switch (this) {
                case STANDARDIZE -> Standardizer.fit(train);
                case CENTER -> Standardizer.fit(train).centeringOnly();
                case NONE -> null;
            };
        }
    }

    /**
     * {@link #select(QuickSelectionConfig, Dataset, Scaling, Progress)} with {@code STANDARDIZE} or {@code NONE}.
     *
     * @param standardize {@link Scaling#STANDARDIZE} if true, {@link Scaling#NONE} if false
     */
    public static Result select(QuickSelectionConfig cfg, Dataset train, boolean standardize, Progress progress) {
        Objects.requireNonNull(cfg, "cfg");
        Objects.requireNonNull(train, "train");
        return select(cfg, train, standardize ? Scaling.STANDARDIZE : Scaling.NONE, progress);
    }

    /**
     * Trains the autoencoder on {@code train} (scaled as asked, with statistics of {@code train}) and ranks
     * its features. Labels are not used. Writes no files.
     *
     * @param cfg the autoencoder and its training settings; {@code cfg.k()} is how many features
     *     {@link Result#top()} selects (the ranking covers every feature)
     * @param train the data whose features are ranked
     * @param scaling how inputs are scaled before training
     * @param progress told of every batch and epoch, or null for no progress reporting
     * @return every feature ranked, with its strength and the training history
     * @throws IllegalArgumentException if {@code train} has no samples, or {@code cfg.k()} exceeds its features
     * @throws org.dst4j.nn.train.Trainer.DivergedException if the reconstruction loss stops being finite
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted: the run stops before its
     *     next batch, naming the last completed epoch, and the thread's interrupt flag stays set
     */
    public static Result select(QuickSelectionConfig cfg, Dataset train, Scaling scaling, Progress progress) {
        try {
            return select(cfg, train, scaling, progress, null);
        } catch (IOException e) { // nothing is written without a checkpoint file
            throw new UncheckedIOException(e);
        }
    }

    /** The checkpoint's file name in a run directory: what the command line writes with {@link #select} and resumes. */
    public static final String CHECKPOINT = "checkpoint.dst4j";

    /**
     * {@link #select(QuickSelectionConfig, Dataset, Scaling, Progress)}, writing {@code checkpoint} (when not null)
     * atomically after every epoch: the autoencoder with its SGD state, the scaling, the training state and the
     * epochs' figures — what {@link #resume} continues from. The file is left in place at the end; an earlier run's
     * there is removed before this one trains (a resume continues this run, not that one).
     *
     * @throws IOException if {@code checkpoint} is a directory, or writing the checkpoint fails
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted (as for the other
     *     {@code select}); the checkpoint then holds the last completed epoch
     */
    public static Result select(QuickSelectionConfig cfg, Dataset train, Scaling scaling, Progress progress, Path checkpoint) throws IOException {
        Objects.requireNonNull(cfg, "cfg");
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(scaling, "scaling");
        train.requireTrainingSamples();
        // Before training, not when the result is built after it.
        if (cfg.k() > train.features()) throw new IllegalArgumentException("k " + cfg.k() + " exceeds the " + train.features() + " features of " + train.name());
        RngStreams rng = new RngStreams(cfg.seed());
        Standardizer std = scaling.fit(train);
        // A run directory given for the file: an empty one was deleted and replaced by the checkpoint, a full one refused
        // with the JDK's DirectoryNotEmptyException.
        if (checkpoint != null && Files.isDirectory(checkpoint)) {
            throw new IOException(checkpoint + " is a directory, not a checkpoint file (such as " + checkpoint.resolve(CHECKPOINT) + ")");
        }
        // an earlier run's, left by a stop: had it stayed until this run's first save, a resume would have continued it
        if (checkpoint != null) Files.deleteIfExists(checkpoint);
        SparseMlp net = SparseMlp.create(mlpConfig(cfg, train.features()), rng.stream("init"), rng.stream("dropout").nextLong());
        Trainer.State state = new Trainer.State(rng.stream("shuffle"), rng.stream("evolution"));
        return run(cfg, train, scaling, std, net, new Sgd(cfg.momentum(), cfg.weightDecay()), state, new ArrayList<>(), progress, checkpoint);
    }

    /**
     * What a checkpoint's run is, read without loading its network.
     *
     * @param config its settings, with the threads given to {@link #resumable}
     * @param scaling how it scales its inputs
     * @param epochsDone the epochs it has completed (of {@code config.epochs()})
     */
    public record Resumable(QuickSelectionConfig config, Scaling scaling, int epochsDone) {}

    /**
     * Reads what {@code checkpoint}'s run is, so that a caller can load its data (its seed draws a held-out split or a
     * generated dataset) before {@link #resume}.
     *
     * @throws IOException if the file is missing, unreadable or not a QuickSelection checkpoint (naming it and the field)
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     */
    public static Resumable resumable(Path checkpoint, int threads) throws IOException {
        Saved s = readCheckpoint(checkpoint, threads);
        return new Resumable(s.cfg, s.scaling, s.state.epochsDone);
    }

    /**
     * Continues the run whose checkpoint is {@code checkpoint} to its configured epochs, rewriting the checkpoint after
     * each; the result is the one the uninterrupted run would have ended with, its history every epoch of the run.
     * Temporaries a killed save of the checkpoint left beside it are removed (other files' are not).
     *
     * @param train the run's training data, checked against the checkpoint's checksum
     * @param threads worker threads for the rest of the run (the result does not depend on them)
     * @throws IOException if there is no readable checkpoint, it is not a QuickSelection one, the data differs, or
     *     writing fails
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted, as for {@link #select}
     */
    public static Result resume(Path checkpoint, Dataset train, int threads, Progress progress) throws IOException {
        Objects.requireNonNull(checkpoint, "checkpoint");
        Objects.requireNonNull(train, "train");
        Saved s = readCheckpoint(checkpoint, threads);
        if (train.checksum() != s.dataChecksum) {
            throw new IOException(checkpoint + ": the training data differs from the run's, which trained on " + s.dataName + " (" + s.trainSamples
                    + " samples, checksum " + Long.toHexString(s.dataChecksum) + "); give the data options the run was started with");
        }
        Path file = checkpoint.toAbsolutePath();
        AtomicFiles.removeTemporaries(file.getParent(), List.of(file.getFileName().toString())); // of a save a kill interrupted
        Sgd sgd = new Sgd(s.cfg.momentum(), s.cfg.weightDecay());
        ModelFile.Loaded loaded = ModelFile.load(checkpoint, sgd);
        // An edited file: a network unlike its config trained on under the wrong description.
        MlpConfig built = mlpConfig(s.cfg, train.features());
        if (!loaded.net().config().equals(built)) {
            loaded.net().close();
            throw new IOException(checkpoint + " holds the network " + loaded.net().config() + ", but its settings on this data make " + built + " (file edited?)");
        }
        if ((loaded.standardizer() == null) != (s.scaling == Scaling.NONE)) {
            loaded.net().close();
            throw new IOException(checkpoint + ": its scaling is " + s.scaling.label() + " but the file " + (loaded.standardizer() == null ? "holds none" : "holds one")
                    + " (file edited?)");
        }
        return run(s.cfg, train, s.scaling, loaded.standardizer(), loaded.net(), sgd, s.state, new ArrayList<>(s.history), progress, checkpoint);
    }

    private static MlpConfig mlpConfig(QuickSelectionConfig cfg, int d) {
        return new MlpConfig(new int[] {d, cfg.hidden(), d}, "sigmoid", 0f, Activation.parse(cfg.output()), cfg.dropout(),
                new Density.ErdosRenyi(cfg.epsilon()), WeightInit.parse(cfg.init()));
    }

    // Trains net (which it owns: closed at the end, or on failure) from state to cfg.epochs() and ranks the features.
    private static Result run(QuickSelectionConfig cfg, Dataset train, Scaling scaling, Standardizer std, SparseMlp net, Sgd sgd,
                              Trainer.State state, List<EpochMetrics> history, Progress progress, Path checkpoint) throws IOException {
        Progress p = progress != null ? progress : new Progress() {};
        try (net; WorkerPool pool = new WorkerPool(cfg.threads())) {
            RngStreams rng = new RngStreams(cfg.seed());
            WeightInit init = WeightInit.parse(cfg.init());
            Trainer.Settings settings = new Trainer.Settings(cfg.epochs(), cfg.batch(), new LearningRate.Constant(cfg.lr()), sgd,
                    new MeanSquaredError(), TopologyEvolution.set(cfg.zeta(), init), 1000,
                    new InputNoise(cfg.noise(), rng.stream("noise").nextLong(), cfg.freshNoise()));
            Map<String, Object> provenance = checkpoint == null ? null : ModelFile.provenance("quickselection", cfg.seed(), train.name(), train.checksum(),
                    Map.of("train_samples", train.samples()));
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            new Trainer(pk, settings).run(net, train, null, std, state, new Trainer.Listener() {
                @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                    history.add(m);
                    p.epoch(m);
                    if (checkpoint == null) return;
                    try {
                        ModelFile.save(checkpoint, net, sgd, std, header(cfg, scaling, s, history, provenance));
                    } catch (IOException e) {
                        // An interrupt that lands in the write closes its channel: it is the cancellation it is.
                        if (Thread.currentThread().isInterrupted()) {
                            throw new CancellationException("training interrupted after epoch " + m.epoch() + " while writing "
                                    + checkpoint + " (" + e.getMessage() + "); it holds the run as of the last epoch it was written at");
                        }
                        throw new Trainer.FileWriteException(e);
                    }
                }

                @Override public void batchDone(int epoch, int done, int total) {
                    p.batch(epoch, done, total);
                }
            });
            p.trained(net, std);
            double[] strength = inputStrength(net.layers().getFirst().weights());
            return new Result(rank(strength), strength, history, cfg.k());
        } catch (Trainer.FileWriteException e) {
            throw e.getCause();
        }
    }

    private static Map<String, Object> header(QuickSelectionConfig cfg, Scaling scaling, Trainer.State s, List<EpochMetrics> history,
                                              Map<String, Object> provenance) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("config", cfg.toMap());
        t.put("scaling", scaling.label());
        t.put("epochs_done", s.epochsDone);
        t.put("step", s.step);
        t.put("rng_shuffle", s.shuffle.state());
        t.put("rng_evolution", s.evolution.state());
        List<Object> h = new ArrayList<>();
        for (EpochMetrics m : history) h.add(record(m));
        t.put("history", h);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("training", t);
        out.put("provenance", provenance);
        return out;
    }

    /** An epoch's figures as the checkpoint and the command line's {@code metrics.jsonl} record them. */
    public static Map<String, Object> record(EpochMetrics m) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("epoch", m.epoch());
        r.put("train_loss", m.trainLoss());
        r.put("connections", m.connections());
        r.put("epoch_seconds", m.epochSeconds());
        r.put("evolution_seconds", m.evolutionSeconds());
        r.put("learning_rate", m.learningRate());
        return r;
    }

    private record Saved(QuickSelectionConfig cfg, Scaling scaling, Trainer.State state, List<EpochMetrics> history, String dataName, long dataChecksum,
                         long trainSamples) {}

    // The header alone: a bad field is named before any network memory is taken.
    private static Saved readCheckpoint(Path file, int threads) throws IOException {
        WorkerPool.checkThreads(threads);
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such checkpoint");
        Map<String, Object> h;
        try (CheckpointFile.Index ix = CheckpointFile.open(file)) {
            h = ix.header();
        }
        // Another command's checkpoint is named as such, not as a QuickSelection checkpoint missing fields.
        if (h.get("provenance") instanceof Map<?, ?> pv && pv.get("algorithm") instanceof String a && !a.equals("quickselection")) {
            throw new IOException(file + " is the checkpoint of a " + a + " run, not of a QuickSelection run");
        }
        try {
            Map<String, Object> t = Json.getObject(h, "training"), pv = Json.getObject(h, "provenance");
            QuickSelectionConfig cfg = QuickSelectionConfig.fromMap(Json.getObject(t, "config"), threads);
            Scaling scaling = Scaling.parse(Json.getString(t, "scaling"));
            Trainer.State state = new Trainer.State(new RandomStream(0), new RandomStream(0));
            state.epochsDone = Json.getInt(t, "epochs_done");
            state.step = Json.getLong(t, "step");
            if (state.epochsDone < 1 || state.epochsDone > cfg.epochs()) {
                throw new IllegalArgumentException("field 'epochs_done': " + state.epochsDone + " is not in [1, " + cfg.epochs() + "], the run's epochs");
            }
            if (state.step < 0) throw new IllegalArgumentException("field 'step': expected a count >= 0, got " + state.step);
            state.shuffle.restore(Json.getLongs(t, "rng_shuffle"));
            state.evolution.restore(Json.getLongs(t, "rng_evolution"));
            if (!(t.get("history") instanceof List<?> records) || records.size() != state.epochsDone) {
                throw new IllegalArgumentException("field 'history': expected one record per epoch done (" + state.epochsDone + ")");
            }
            List<EpochMetrics> history = new ArrayList<>();
            for (Object o : records) {
                if (!(o instanceof Map<?, ?>)) throw new IllegalArgumentException("field 'history': expected objects");
                @SuppressWarnings("unchecked") Map<String, Object> r = (Map<String, Object>) o;
                history.add(new EpochMetrics(Json.getInt(r, "epoch"), Json.getDouble(r, "train_loss"), Double.NaN, Double.NaN, Double.NaN,
                        Json.getLong(r, "connections"), Json.getDouble(r, "epoch_seconds"), Json.getDouble(r, "evolution_seconds"), 0,
                        (float) Json.getDouble(r, "learning_rate")));
            }
            if (!h.containsKey("optimizer_steps")) throw new IllegalArgumentException("no optimizer state (a copy of a finished model?)");
            return new Saved(cfg, scaling, state, history, Json.getString(pv, "data"), Json.getLong(pv, "data_checksum"), Json.getLong(pv, "train_samples"));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a QuickSelection training checkpoint (" + e.getMessage() + ")");
        }
    }

    /**
     * Strength of every input of a layer whose weights are {@code [outputs x inputs]}: the sum of |w|
     * over the input's live connections (0 for an input with none), summed in storage order.
     */
    public static double[] inputStrength(CsrMatrix w) {
        double[] s = new double[w.cols()];
        for (long k = 0; k < w.nnz(); k++) {
            s[w.colIdx().getAtIndex(JAVA_INT, k)] += Math.abs(w.values().getAtIndex(JAVA_FLOAT, k));
        }
        return s;
    }

    /** Indices by decreasing score; equal scores keep the lower index first. */
    public static int[] rank(double[] score) {
        Integer[] idx = new Integer[score.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(score[b], score[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }
}
