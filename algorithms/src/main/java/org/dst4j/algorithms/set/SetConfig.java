package org.dst4j.algorithms.set;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.dst4j.algorithms.ConfigChecks;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.record.ArrayRecords;

/**
 * Hyper-parameters of a SET run (Mocanu et al. 2018). Defaults follow the truly-sparse SET code:
 * hidden 1000,1000,1000, epsilon 20, zeta 0.3, batch 128, SGD lr 0.01, momentum 0.9, weight decay
 * 0.0002, dropout 0.3, ReLU. Start from {@link #defaults()} and change fields with the {@code withX}
 * methods; every field is checked when the record is built.
 *
 * @param hidden hidden layer sizes, input side first; empty for a single sparse layer from input to output
 * @param epsilon Erdős–Rényi sparsity: a layer of {@code n_in x n_out} starts with density
 *     {@code epsilon (n_in + n_out) / (n_in n_out)}, capped at 1; finite and > 0
 * @param zeta share of each layer's connections pruned after every epoch but the last (the smallest
 *     positive and, separately, the least negative weights) and regrown at random, in [0, 1) (see
 *     {@link ConfigChecks#zeta})
 * @param epochs training epochs, >= 1
 * @param batch samples per mini-batch, >= 1
 * @param lr base learning rate, which {@code schedule} varies; finite and > 0
 * @param momentum SGD momentum, in [0, 1); not used by Adam
 * @param weightDecay weight decay per step, finite and >= 0: SGD subtracts {@code weightDecay * w}
 *     (not scaled by the learning rate), Adam decays decoupled (AdamW)
 * @param dropout share of hidden units dropped in training, in [0, 1)
 * @param activation {@code relu}, {@code allrelu} (slopes -alpha, +alpha, … by layer), {@code sigmoid}, {@code tanh}
 *     (also {@code linear} and {@code leaky:<slope>})
 * @param alpha All-ReLU's slope magnitude; used only with {@code allrelu}, finite
 * @param optimizer {@code sgd} or {@code adam}
 * @param schedule learning-rate schedule: {@code constant}, {@code step:<every>:<gamma>} (times gamma, in (0, 1],
 *     every {@code every} epochs), {@code cosine[:<min>]} (to {@code min}, in [0, lr], over the run)
 * @param init weight initializer: {@code he-uniform}, {@code xavier-uniform}, {@code normal:<std>}, {@code zero}
 * @param seed seed of every random choice (initial topology and weights, shuffling, dropout, regrowth)
 * @param threads worker threads, >= 1; the trained model does not depend on them
 */
public record SetConfig(int[] hidden, double epsilon, double zeta, int epochs, int batch, float lr, float momentum,
                        float weightDecay, float dropout, String activation, float alpha, String optimizer,
                        String schedule, String init, long seed, int threads) {

    /**
     * Checks every field, so that a bad value fails here rather than inside {@link SetTraining#train}.
     *
     * @throws IllegalArgumentException naming the field and its valid range
     * @throws NullPointerException if an array or string is null
     */
    public SetConfig {
        hidden = Objects.requireNonNull(hidden, "hidden").clone();
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(init, "init");
        ConfigChecks.hiddenSizes(hidden);
        ConfigChecks.positive("epsilon", epsilon);
        ConfigChecks.zeta(zeta);
        // As on the command line: 0 epochs returned an untrained model that the run's summary could not describe.
        ConfigChecks.atLeast("epochs", epochs, 1);
        ConfigChecks.atLeast("batch", batch, 1);
        Sgd.checkSettings(lr, momentum, weightDecay);
        ConfigChecks.belowOne("dropout", dropout);
        MlpConfig.checkHiddenActivation(activation);
        if (!Float.isFinite(alpha)) throw new IllegalArgumentException("alpha must be finite, got " + alpha);
        ConfigChecks.oneOf("optimizer", optimizer, "sgd", "adam");
        LearningRate rate = LearningRate.parse(schedule, lr, epochs);
        // As --schedule refuses them: a factor of 0 left the rate 0 after the first period while SGD's weight decay went on
        // shrinking the weights; a factor above 1 or a cosine minimum above lr made the rate rise.
        if (rate instanceof LearningRate.Step s && !(s.gamma() > 0 && s.gamma() <= 1)) {
            throw new IllegalArgumentException("schedule: step gamma must be in (0, 1], got " + s.gamma());
        }
        if (rate instanceof LearningRate.Cosine c && c.min() > lr) {
            throw new IllegalArgumentException("schedule: cosine min must be in [0, " + lr + "] (the lr), got " + c.min());
        }
        WeightInit.parse(init);
        WorkerPool.checkThreads(threads);
    }

    /** The defaults above: 10 epochs, constant schedule, He-uniform weights, seed 42, the machine's processor count as threads. */
    public static SetConfig defaults() {
        return new SetConfig(new int[] {1000, 1000, 1000}, 20, 0.3, 10, 128, 0.01f, 0.9f, 0.0002f, 0.3f, "relu", 0.6f,
                "sgd", "constant", "he-uniform", 42, Runtime.getRuntime().availableProcessors());
    }

    /** The hidden layer sizes; a copy. */
    @Override public int[] hidden() { return hidden.clone(); }

    /** A copy with {@code e} training epochs. */
    public SetConfig withEpochs(int e) {
        return new SetConfig(hidden, epsilon, zeta, e, batch, lr, momentum, weightDecay, dropout, activation, alpha, optimizer, schedule, init, seed, threads);
    }

    /** A copy with hidden layers of sizes {@code h}, input side first (none: input straight to output). */
    public SetConfig withHidden(int... h) {
        return new SetConfig(h, epsilon, zeta, epochs, batch, lr, momentum, weightDecay, dropout, activation, alpha, optimizer, schedule, init, seed, threads);
    }

    /** A copy with {@code b} samples per mini-batch. */
    public SetConfig withBatch(int b) {
        return new SetConfig(hidden, epsilon, zeta, epochs, b, lr, momentum, weightDecay, dropout, activation, alpha, optimizer, schedule, init, seed, threads);
    }

    /** A copy with seed {@code s}. */
    public SetConfig withSeed(long s) {
        return new SetConfig(hidden, epsilon, zeta, epochs, batch, lr, momentum, weightDecay, dropout, activation, alpha, optimizer, schedule, init, s, threads);
    }

    /** A copy with {@code t} worker threads. */
    public SetConfig withThreads(int t) {
        return new SetConfig(hidden, epsilon, zeta, epochs, batch, lr, momentum, weightDecay, dropout, activation, alpha, optimizer, schedule, init, seed, t);
    }

    /** A copy with base learning rate {@code rate}, the schedule kept, as the other algorithms' configs change it. */
    public SetConfig withLearningRate(float rate) {
        return withLearningRate(rate, schedule);
    }

    /** A copy with base learning rate {@code rate} and schedule {@code sched} (see {@link #schedule()}). */
    public SetConfig withLearningRate(float rate, String sched) {
        return new SetConfig(hidden, epsilon, zeta, epochs, batch, rate, momentum, weightDecay, dropout, activation, alpha, optimizer, sched, init, seed, threads);
    }

    /** As a JSON-ready map (for checkpoint headers and metrics). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hidden", hidden.clone());
        m.put("epsilon", epsilon);
        m.put("zeta", zeta);
        m.put("epochs", epochs);
        m.put("batch", batch);
        m.put("lr", lr);
        m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("dropout", dropout);
        m.put("activation", activation);
        m.put("alpha", alpha);
        m.put("optimizer", optimizer);
        m.put("schedule", schedule);
        m.put("init", init);
        m.put("seed", seed);
        return m;
    }

    // By content: the generated methods would compare and print the arrays by identity.
    @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

    @Override public int hashCode() { return ArrayRecords.hashCode(this); }

    @Override public String toString() { return ArrayRecords.toString(this); }
}
