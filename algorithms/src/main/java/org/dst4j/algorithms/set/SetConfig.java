package org.dst4j.algorithms.set;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.optim.LearningRate;

/**
 * Hyper-parameters of a SET run (Mocanu et al. 2018). Defaults follow the truly-sparse SET code:
 * hidden 1000,1000,1000, epsilon 20, zeta 0.3, batch 128, SGD lr 0.01, momentum 0.9, weight decay
 * 0.0002, dropout 0.3, ReLU.
 *
 * @param activation {@code relu}, {@code allrelu} (slopes -alpha, +alpha, … by layer), {@code sigmoid}, {@code tanh}
 * @param optimizer {@code sgd} or {@code adam}
 * @param schedule learning-rate schedule: {@code constant}, {@code step:<every>:<gamma>}, {@code cosine[:<min>]}
 * @param init weight initializer: {@code he-uniform}, {@code xavier-uniform}, {@code normal:<std>}, {@code zero}
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
        for (int h : hidden) if (h < 1) throw new IllegalArgumentException("hidden sizes must be >= 1, got " + Arrays.toString(hidden));
        if (!(epsilon > 0 && Double.isFinite(epsilon))) throw new IllegalArgumentException("epsilon must be finite and > 0, got " + epsilon);
        if (!(zeta >= 0 && zeta <= 1)) throw new IllegalArgumentException("zeta must be in [0, 1], got " + zeta);
        if (epochs < 0) throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (!(lr > 0 && Float.isFinite(lr))) throw new IllegalArgumentException("lr must be finite and > 0, got " + lr);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        if (!(weightDecay >= 0 && Float.isFinite(weightDecay))) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        checkActivation(activation);
        if (!Float.isFinite(alpha)) throw new IllegalArgumentException("alpha must be finite, got " + alpha);
        if (!optimizer.equals("sgd") && !optimizer.equals("adam")) throw new IllegalArgumentException("optimizer must be sgd or adam, got " + optimizer);
        LearningRate.parse(schedule, lr, Math.max(1, epochs)); // the syntax; a cosine schedule's epochs >= 1 is checked at training
        WeightInit.parse(init);
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }

    // What the network accepts for hidden layers: allrelu, or a name Activation.parse reads.
    private static void checkActivation(String activation) {
        if (activation.equals("allrelu")) return;
        try {
            Activation.parse(activation);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("activation must be relu, allrelu, sigmoid, tanh, linear or leaky:<slope>, got " + activation);
        }
    }

    /** The defaults, with the machine's processor count as threads. */
    public static SetConfig defaults() {
        return new SetConfig(new int[] {1000, 1000, 1000}, 20, 0.3, 10, 128, 0.01f, 0.9f, 0.0002f, 0.3f, "relu", 0.6f,
                "sgd", "constant", "he-uniform", 42, Runtime.getRuntime().availableProcessors());
    }

    @Override public int[] hidden() { return hidden.clone(); }

    public SetConfig withEpochs(int e) {
        return new SetConfig(hidden, epsilon, zeta, e, batch, lr, momentum, weightDecay, dropout, activation, alpha, optimizer, schedule, init, seed, threads);
    }

    public SetConfig withHidden(int... h) {
        return new SetConfig(h, epsilon, zeta, epochs, batch, lr, momentum, weightDecay, dropout, activation, alpha, optimizer, schedule, init, seed, threads);
    }

    public SetConfig withSeed(long s) {
        return new SetConfig(hidden, epsilon, zeta, epochs, batch, lr, momentum, weightDecay, dropout, activation, alpha, optimizer, schedule, init, s, threads);
    }

    public SetConfig withThreads(int t) {
        return new SetConfig(hidden, epsilon, zeta, epochs, batch, lr, momentum, weightDecay, dropout, activation, alpha, optimizer, schedule, init, seed, t);
    }

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
        m.put("lr", (double) lr);
        m.put("momentum", (double) momentum);
        m.put("weight_decay", (double) weightDecay);
        m.put("dropout", (double) dropout);
        m.put("activation", activation);
        m.put("alpha", (double) alpha);
        m.put("optimizer", optimizer);
        m.put("schedule", schedule);
        m.put("init", init);
        m.put("seed", seed);
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SetConfig c && toMap().toString().equals(c.toMap().toString()) && threads == c.threads;
    }

    @Override
    public int hashCode() {
        return toMap().toString().hashCode();
    }
}
