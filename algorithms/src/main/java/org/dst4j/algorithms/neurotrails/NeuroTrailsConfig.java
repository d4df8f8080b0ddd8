package org.dst4j.algorithms.neurotrails;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.dst4j.algorithms.ConfigChecks;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.record.ArrayRecords;

/**
 * Hyper-parameters of a NeuroTrails run: {@code heads} heads after {@code sharedLayers} shared layers of
 * the MLP {@code input -> hidden… -> classes}; the parameter budget is a single sparse network of that
 * shape at global ERK {@code density}. Training follows FreeTickets' DST schedule. {@code headLoss}
 * ({@code sum}, the default, or {@code mean}, the reference code's) combines the heads' losses: see
 * {@link org.dst4j.nn.network.MultiHeadMlp.HeadLoss}. The sum is the default because the comparison
 * trains every model at one learning rate; the mean would hand the heads a third of it. {@code backboneShare} divides the budget
 * between backbone and heads: {@code erk} (the default, the reference code's {@code Multi_Output}
 * initialisation) spreads it with one Erdős–Rényi scale over every backbone and head layer;
 * {@code single} gives the backbone's layers the connections they have in the single sparse network
 * and splits the rest equally among the heads; a number in (0, 1) is the backbone's share, the rest
 * split equally among the heads (each part ERK inside). {@code headInputDropout} (not in the paper;
 * 0 = off) drops shared features independently per head during training, see
 * {@link org.dst4j.nn.network.MultiHeadMlp#headInputDropout}.
 *
 * <p>Start from {@link #defaults()} and change fields with the {@code withX} methods; every field is
 * checked when the record is built.
 *
 * @param heads number of heads M, >= 1
 * @param sharedLayers layers in the shared backbone, in [1, hidden.length]
 * @param hidden hidden layer sizes of the full network, input side first
 * @param density the parameter budget: a single network of this shape at this global ERK density, in (0, 1]
 * @param epochs training epochs, >= 1
 * @param batch samples per mini-batch, >= 1
 * @param lr initial SGD learning rate, finite and > 0, with lr / 100 still > 0 as a float; divided by 10 at half and again at three quarters of the run
 * @param momentum SGD momentum, in [0, 1)
 * @param weightDecay SGD weight decay per step, finite and >= 0
 * @param dropout share of hidden units dropped in training, on every hidden layer (the shared features included), in [0, 1)
 * @param activation hidden activation: {@code relu}, {@code allrelu}, {@code sigmoid}, {@code tanh}
 *     (also {@code linear} and {@code leaky:<slope>})
 * @param pruneRate share of each layer (with {@code pruneScope} {@code network}: of the network) replaced at a topology
 *     update, cosine-decayed over the run, in [0, 1]
 * @param updateInterval epochs between topology updates, >= 1
 * @param grow regrowth: {@code gradient} (RigL) or {@code random}
 * @param seed seed of every random choice
 * @param threads worker threads, >= 1
 * @param headLoss {@code sum} or {@code mean}
 * @param backboneShare {@code erk}, {@code single} or a number strictly between 0 and 1
 * @param headInputDropout per-head dropout of shared features in training, in [0, 1); 0 = off
 * @param pruneScope {@code layer} (each layer's own smallest-|w| share) or {@code network} (one |w| threshold over
 *     the backbone and every head: {@link org.dst4j.nn.evolution.MagnitudePrune#networkWide()}), for every network trained
 */
public record NeuroTrailsConfig(int heads, int sharedLayers, int[] hidden, double density, int epochs, int batch, float lr,
                                float momentum, float weightDecay, float dropout, String activation, double pruneRate,
                                int updateInterval, String grow, long seed, int threads, String headLoss,
                                String backboneShare, float headInputDropout, String pruneScope) {

    /**
     * Checks every field, so that a bad value fails here rather than inside {@link NeuroTrails#run}, after
     * the output directory was made.
     *
     * @throws IllegalArgumentException naming the field and its valid range
     * @throws NullPointerException if an array or string is null
     */
    public NeuroTrailsConfig {
        hidden = Objects.requireNonNull(hidden, "hidden").clone();
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(grow, "grow");
        Objects.requireNonNull(headLoss, "headLoss");
        Objects.requireNonNull(backboneShare, "backboneShare");
        Objects.requireNonNull(pruneScope, "pruneScope");
        ConfigChecks.atLeast("heads", heads, 1);
        ConfigChecks.hiddenSizes(hidden);
        if (sharedLayers < 1 || sharedLayers > hidden.length) {
            throw new IllegalArgumentException("shared layers must be in [1, " + hidden.length + "] (the hidden layers), got " + sharedLayers);
        }
        ConfigChecks.density(density);
        ConfigChecks.atLeast("epochs", epochs, 1);
        ConfigChecks.atLeast("batch", batch, 1);
        Sgd.checkSettings(lr, momentum, weightDecay);
        ConfigChecks.learningRateDecays(lr, 100); // the run ends at lr / 100
        ConfigChecks.belowOne("dropout", dropout);
        MlpConfig.checkHiddenActivation(activation);
        ConfigChecks.inUnitInterval("prune rate", pruneRate);
        if (updateInterval < 1) throw new IllegalArgumentException("update interval must be >= 1 epoch, got " + updateInterval);
        ConfigChecks.oneOf("grow", grow, "gradient", "random");
        WorkerPool.checkThreads(threads);
        ConfigChecks.oneOf("head loss", headLoss, "mean", "sum");
        ConfigChecks.belowOne("head input dropout", headInputDropout);
        ConfigChecks.oneOf("prune scope", pruneScope, "layer", "network");
        backboneShare = backboneShare.trim();
        if (!"erk".equals(backboneShare) && !"single".equals(backboneShare)) {
            double f;
            try {
                f = Double.parseDouble(backboneShare);
            } catch (NumberFormatException e) {
                f = Double.NaN;
            }
            if (!(f > 0 && f < 1)) {
                throw new IllegalArgumentException("backbone share must be erk, single or a number strictly between 0 and 1, got " + backboneShare);
            }
        }
    }

    /** As before the prune scope was an option: every layer pruned by its own threshold ({@code layer}). */
    public NeuroTrailsConfig(int heads, int sharedLayers, int[] hidden, double density, int epochs, int batch, float lr,
                             float momentum, float weightDecay, float dropout, String activation, double pruneRate,
                             int updateInterval, String grow, long seed, int threads, String headLoss,
                             String backboneShare, float headInputDropout) {
        this(heads, sharedLayers, hidden, density, epochs, batch, lr, momentum, weightDecay, dropout, activation, pruneRate,
                updateInterval, grow, seed, threads, headLoss, backboneShare, headInputDropout, "layer");
    }

    /** The README benchmark's settings: 784-1000-1000-10, 90% sparse, M = 3, one shared layer. */
    public static NeuroTrailsConfig defaults() {
        return new NeuroTrailsConfig(3, 1, new int[] {1000, 1000}, 0.1, 30, 128, 0.05f, 0.9f, 1e-5f, 0f, "relu", 0.5, 1, "gradient", 42,
                Runtime.getRuntime().availableProcessors(), "sum", "erk", 0f);
    }

    /** The hidden layer sizes; a copy. */
    @Override public int[] hidden() { return hidden.clone(); }

    /** A copy with {@code m} heads. */
    public NeuroTrailsConfig withHeads(int m) {
        return new NeuroTrailsConfig(m, sharedLayers, hidden, density, epochs, batch, lr, momentum, weightDecay, dropout,
                activation, pruneRate, updateInterval, grow, seed, threads, headLoss, backboneShare, headInputDropout, pruneScope);
    }

    /** A copy whose backbone is the first {@code n} layers. */
    public NeuroTrailsConfig withSharedLayers(int n) {
        return new NeuroTrailsConfig(heads, n, hidden, density, epochs, batch, lr, momentum, weightDecay, dropout,
                activation, pruneRate, updateInterval, grow, seed, threads, headLoss, backboneShare, headInputDropout, pruneScope);
    }

    /** A copy with hidden layers of sizes {@code h}, input side first (at least {@link #sharedLayers()} of them). */
    public NeuroTrailsConfig withHidden(int... h) {
        return new NeuroTrailsConfig(heads, sharedLayers, h, density, epochs, batch, lr, momentum, weightDecay, dropout,
                activation, pruneRate, updateInterval, grow, seed, threads, headLoss, backboneShare, headInputDropout, pruneScope);
    }

    /** A copy with the budget of a single network at global density {@code d}. */
    public NeuroTrailsConfig withDensity(double d) {
        return new NeuroTrailsConfig(heads, sharedLayers, hidden, d, epochs, batch, lr, momentum, weightDecay, dropout,
                activation, pruneRate, updateInterval, grow, seed, threads, headLoss, backboneShare, headInputDropout, pruneScope);
    }

    /** A copy training for {@code e} epochs. */
    public NeuroTrailsConfig withEpochs(int e) {
        return new NeuroTrailsConfig(heads, sharedLayers, hidden, density, e, batch, lr, momentum, weightDecay, dropout,
                activation, pruneRate, updateInterval, grow, seed, threads, headLoss, backboneShare, headInputDropout, pruneScope);
    }

    /** A copy with {@code b} samples per mini-batch. */
    public NeuroTrailsConfig withBatch(int b) {
        return new NeuroTrailsConfig(heads, sharedLayers, hidden, density, epochs, b, lr, momentum, weightDecay, dropout,
                activation, pruneRate, updateInterval, grow, seed, threads, headLoss, backboneShare, headInputDropout, pruneScope);
    }

    /** A copy with initial learning rate {@code rate}. */
    public NeuroTrailsConfig withLearningRate(float rate) {
        return new NeuroTrailsConfig(heads, sharedLayers, hidden, density, epochs, batch, rate, momentum, weightDecay, dropout,
                activation, pruneRate, updateInterval, grow, seed, threads, headLoss, backboneShare, headInputDropout, pruneScope);
    }

    /** A copy with seed {@code s}. */
    public NeuroTrailsConfig withSeed(long s) {
        return new NeuroTrailsConfig(heads, sharedLayers, hidden, density, epochs, batch, lr, momentum, weightDecay, dropout,
                activation, pruneRate, updateInterval, grow, s, threads, headLoss, backboneShare, headInputDropout, pruneScope);
    }

    /** A copy with {@code t} worker threads. */
    public NeuroTrailsConfig withThreads(int t) {
        return new NeuroTrailsConfig(heads, sharedLayers, hidden, density, epochs, batch, lr, momentum, weightDecay, dropout,
                activation, pruneRate, updateInterval, grow, seed, t, headLoss, backboneShare, headInputDropout, pruneScope);
    }

    /** A copy pruning by {@code scope}: {@code layer} or {@code network}. */
    public NeuroTrailsConfig withPruneScope(String scope) {
        return new NeuroTrailsConfig(heads, sharedLayers, hidden, density, epochs, batch, lr, momentum, weightDecay, dropout,
                activation, pruneRate, updateInterval, grow, seed, threads, headLoss, backboneShare, headInputDropout, scope);
    }

    /** The backbone's explicit share of the budget, or NaN for {@code erk} and {@code single}. */
    public double backboneFraction() {
        return "erk".equals(backboneShare) || "single".equals(backboneShare) ? Double.NaN : Double.parseDouble(backboneShare);
    }

    /**
     * The configuration {@link #toMap} recorded (in a run's checkpoint), with {@code threads}.
     *
     * @throws IllegalArgumentException naming the field that is missing, mistyped or out of range
     */
    public static NeuroTrailsConfig fromMap(Map<String, Object> m, int threads) {
        return new NeuroTrailsConfig(Json.getInt(m, "heads"), Json.getInt(m, "shared_layers"), Json.getInts(m, "hidden"), Json.getDouble(m, "density"),
                Json.getInt(m, "epochs"), Json.getInt(m, "batch"), (float) Json.getDouble(m, "lr"), (float) Json.getDouble(m, "momentum"),
                (float) Json.getDouble(m, "weight_decay"), (float) Json.getDouble(m, "dropout"), Json.getString(m, "activation"),
                Json.getDouble(m, "prune_rate"), Json.getInt(m, "update_interval"), Json.getString(m, "grow"), Json.getLong(m, "seed"), threads,
                Json.getString(m, "head_loss"), Json.getString(m, "backbone_share"), (float) Json.getDouble(m, "head_input_dropout"),
                m.containsKey("prune_scope") ? Json.getString(m, "prune_scope") : "layer");
    }

    /** As a JSON-ready map (for the run's metrics); threads are left out. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("heads", heads);
        m.put("shared_layers", sharedLayers);
        m.put("hidden", Arrays.copyOf(hidden, hidden.length));
        m.put("density", density);
        m.put("epochs", epochs);
        m.put("batch", batch);
        m.put("lr", lr);
        m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("dropout", dropout);
        m.put("activation", activation);
        m.put("prune_rate", pruneRate);
        m.put("update_interval", updateInterval);
        m.put("grow", grow);
        m.put("head_loss", headLoss);
        m.put("backbone_share", backboneShare);
        m.put("head_input_dropout", headInputDropout);
        m.put("seed", seed);
        // Only when not the default: the files of every layer-scope run keep the bytes they had before the option.
        if (pruneScope.equals("network")) m.put("prune_scope", pruneScope);
        return m;
    }

    // By content: the generated methods would compare and print the arrays by identity.
    @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

    @Override public int hashCode() { return ArrayRecords.hashCode(this); }

    @Override public String toString() { return ArrayRecords.toString(this); }
}
