package org.dst4j.algorithms.quickselection;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.loss.MeanSquaredError;
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
         * @throws IllegalArgumentException if {@code k} is not in [1, features]
         */
        public Result {
            ranking = Objects.requireNonNull(ranking, "ranking").clone();
            strength = Objects.requireNonNull(strength, "strength").clone();
            history = List.copyOf(Objects.requireNonNull(history, "history"));
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
         * inputs of all (Fashion-MNIST's corner pixels reach 185 standard deviations).
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
        public String label() { return name().toLowerCase(java.util.Locale.ROOT); }

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
        Objects.requireNonNull(cfg, "cfg");
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(scaling, "scaling");
        train.requireTrainingSamples();
        // Before training, not when the result is built after it.
        if (cfg.k() > train.features()) throw new IllegalArgumentException("k " + cfg.k() + " exceeds the " + train.features() + " features of " + train.name());
        Progress p = progress != null ? progress : new Progress() {};
        int d = train.features();
        RngStreams rng = new RngStreams(cfg.seed());
        Standardizer std = scaling.fit(train);
        WeightInit init = WeightInit.parse(cfg.init());
        MlpConfig mlp = new MlpConfig(new int[] {d, cfg.hidden(), d}, "sigmoid", 0f, Activation.parse(cfg.output()), cfg.dropout(),
                new Density.ErdosRenyi(cfg.epsilon()), init);
        Sgd sgd = new Sgd(cfg.momentum(), cfg.weightDecay());
        Trainer.Settings settings = new Trainer.Settings(cfg.epochs(), cfg.batch(), new LearningRate.Constant(cfg.lr()), sgd,
                new MeanSquaredError(), TopologyEvolution.set(cfg.zeta(), init), 1000,
                new InputNoise(cfg.noise(), rng.stream("noise").nextLong(), cfg.freshNoise()));
        List<EpochMetrics> history = new ArrayList<>();
        try (WorkerPool pool = new WorkerPool(cfg.threads());
             SparseMlp net = SparseMlp.create(mlp, rng.stream("init"), rng.stream("dropout").nextLong())) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Trainer.State state = new Trainer.State(rng.stream("shuffle"), rng.stream("evolution"));
            new Trainer(pk, settings).run(net, train, null, std, state, new Trainer.Listener() {
                @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                    history.add(m);
                    p.epoch(m);
                }

                @Override public void batchDone(int epoch, int done, int total) {
                    p.batch(epoch, done, total);
                }
            });
            p.trained(net, std);
            double[] strength = inputStrength(net.layers().getFirst().weights());
            return new Result(rank(strength), strength, history, cfg.k());
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
