package org.dst4j.algorithms.quickselection;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dst4j.nn.io.Json;
import java.util.Objects;
import org.dst4j.algorithms.ConfigChecks;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.parallel.WorkerPool;

/**
 * QuickSelection's settings; {@link #defaults()} follows the reference code (hidden 1000 sigmoid units,
 * epsilon 13, zeta 0.2, SGD lr 0.01, momentum 0.9, weight decay 1e-5, dropout 0.2, batch 100, noise 0.2,
 * drawn once, linear output). Change fields with the {@code withX} methods; every field is checked when
 * the record is built.
 *
 * @param k features to select, >= 1 and at most the data's features: what
 *     {@link QuickSelection.Result#top()} returns ({@link QuickSelection#select} ranks every feature)
 * @param hidden sigmoid units of the autoencoder's hidden layer, >= 1
 * @param epsilon Erdős–Rényi sparsity of both layers (density {@code epsilon (n_in + n_out) / (n_in n_out)},
 *     capped at 1); finite and > 0
 * @param zeta share of each layer's connections pruned and regrown at random after every epoch but the
 *     last, in [0, 1) (see {@link ConfigChecks#zeta})
 * @param noise factor of the additive N(0, 1) input noise, finite and >= 0
 * @param freshNoise draw new noise every epoch instead of once before training
 * @param epochs training epochs, >= 1
 * @param batch samples per mini-batch, >= 1
 * @param lr constant SGD learning rate, finite and > 0
 * @param momentum SGD momentum, in [0, 1)
 * @param weightDecay SGD weight decay per step, finite and >= 0
 * @param dropout share of hidden units dropped in training, in [0, 1)
 * @param init weight initializer: {@code xavier-uniform}, {@code he-uniform}, {@code normal:<std>}, {@code zero}
 * @param output the reconstruction layer's activation: {@code linear}, or {@code tanh} (the reference's
 *               choice for MADELON)
 * @param seed seed of every random choice (topology, weights, noise, shuffling, dropout, regrowth)
 * @param threads worker threads, >= 1
 */
public record QuickSelectionConfig(int k, int hidden, double epsilon, double zeta, float noise, boolean freshNoise, int epochs,
                                   int batch, float lr, float momentum, float weightDecay, float dropout, String init,
                                   String output, long seed, int threads) {
    /**
     * Checks every field, so that a bad value fails here rather than during {@link QuickSelection#select}.
     *
     * @throws IllegalArgumentException naming the field and its valid range
     * @throws NullPointerException if {@code init} or {@code output} is null
     */
    public QuickSelectionConfig {
        Objects.requireNonNull(init, "init");
        Objects.requireNonNull(output, "output");
        ConfigChecks.atLeast("k", k, 1);
        ConfigChecks.atLeast("hidden", hidden, 1);
        ConfigChecks.positive("epsilon", epsilon);
        ConfigChecks.zeta(zeta);
        if (!(noise >= 0 && Float.isFinite(noise))) throw new IllegalArgumentException("noise must be finite and >= 0, got " + noise);
        ConfigChecks.atLeast("epochs", epochs, 1);
        ConfigChecks.atLeast("batch", batch, 1);
        Sgd.checkSettings(lr, momentum, weightDecay);
        ConfigChecks.belowOne("dropout", dropout);
        WeightInit.parse(init);
        ConfigChecks.oneOf("output", output, "linear", "tanh");
        WorkerPool.checkThreads(threads);
    }

    /** The reference code's settings above, with k 50, 100 epochs, seed 42 and the machine's processor count as threads. */
    public static QuickSelectionConfig defaults() {
        return new QuickSelectionConfig(50, 1000, 13, 0.2, 0.2f, false, 100, 100, 0.01f, 0.9f, 1e-5f, 0.2f, "xavier-uniform", "linear", 42,
                Runtime.getRuntime().availableProcessors());
    }

    /** A copy selecting {@code k} features. */
    public QuickSelectionConfig withK(int k) {
        return new QuickSelectionConfig(k, hidden, epsilon, zeta, noise, freshNoise, epochs, batch, lr, momentum, weightDecay, dropout, init, output, seed, threads);
    }

    /** A copy training for {@code epochs} epochs. */
    public QuickSelectionConfig withEpochs(int epochs) {
        return new QuickSelectionConfig(k, hidden, epsilon, zeta, noise, freshNoise, epochs, batch, lr, momentum, weightDecay, dropout, init, output, seed, threads);
    }

    /** A copy with {@code batch} samples per mini-batch. */
    public QuickSelectionConfig withBatch(int batch) {
        return new QuickSelectionConfig(k, hidden, epsilon, zeta, noise, freshNoise, epochs, batch, lr, momentum, weightDecay, dropout, init, output, seed, threads);
    }

    /** A copy with learning rate {@code lr}. */
    public QuickSelectionConfig withLearningRate(float lr) {
        return new QuickSelectionConfig(k, hidden, epsilon, zeta, noise, freshNoise, epochs, batch, lr, momentum, weightDecay, dropout, init, output, seed, threads);
    }

    /** A copy with seed {@code seed}. */
    public QuickSelectionConfig withSeed(long seed) {
        return new QuickSelectionConfig(k, hidden, epsilon, zeta, noise, freshNoise, epochs, batch, lr, momentum, weightDecay, dropout, init, output, seed, threads);
    }

    /** A copy with {@code threads} worker threads. */
    public QuickSelectionConfig withThreads(int threads) {
        return new QuickSelectionConfig(k, hidden, epsilon, zeta, noise, freshNoise, epochs, batch, lr, momentum, weightDecay, dropout, init, output, seed, threads);
    }

    /** A copy with reconstruction activation {@code output} ({@code linear} or {@code tanh}). */
    public QuickSelectionConfig withOutput(String output) {
        return new QuickSelectionConfig(k, hidden, epsilon, zeta, noise, freshNoise, epochs, batch, lr, momentum, weightDecay, dropout, init, output, seed, threads);
    }

    /** A copy with {@code hidden} hidden units. */
    public QuickSelectionConfig withHidden(int hidden) {
        return new QuickSelectionConfig(k, hidden, epsilon, zeta, noise, freshNoise, epochs, batch, lr, momentum, weightDecay, dropout, init, output, seed, threads);
    }

    /** As a JSON-ready map (for the run's metrics). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("k", k);
        m.put("hidden", hidden);
        m.put("epsilon", epsilon);
        m.put("zeta", zeta);
        m.put("noise", noise);
        m.put("fresh_noise", freshNoise);
        m.put("epochs", epochs);
        m.put("batch", batch);
        m.put("learning_rate", lr);
        m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("dropout", dropout);
        m.put("init", init);
        m.put("output", output);
        m.put("seed", seed);
        return m;
    }

    /**
     * The config {@link #toMap} wrote, with {@code threads} (which a map does not record).
     *
     * @throws IllegalArgumentException naming a missing or mistyped field, or a value the config refuses
     */
    public static QuickSelectionConfig fromMap(Map<String, Object> m, int threads) {
        return new QuickSelectionConfig(Json.getInt(m, "k"), Json.getInt(m, "hidden"), Json.getDouble(m, "epsilon"), Json.getDouble(m, "zeta"),
                (float) Json.getDouble(m, "noise"), Json.getBoolean(m, "fresh_noise"), Json.getInt(m, "epochs"), Json.getInt(m, "batch"),
                (float) Json.getDouble(m, "learning_rate"), (float) Json.getDouble(m, "momentum"), (float) Json.getDouble(m, "weight_decay"),
                (float) Json.getDouble(m, "dropout"), Json.getString(m, "init"), Json.getString(m, "output"), Json.getLong(m, "seed"), threads);
    }
}
