package org.dst4j.algorithms.freetickets;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.dst4j.algorithms.ConfigChecks;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.record.ArrayRecords;

/**
 * Hyper-parameters of a FreeTickets run (Liu et al., "Deep Ensembling with No Overhead for either
 * Training or Testing: The All-Round Blessings of Dynamic Sparsity", ICLR 2022).
 *
 * <p>{@link Variant#DST}: {@code members} networks, each trained for {@code epochs} with seeds
 * {@code seed, seed+1, …}; learning rate {@code lr}, divided by 10 at half and again at three quarters
 * of the run. {@link Variant#EDST}: one run of {@code exploreEpochs} at {@code lr}, then {@code members}
 * refinement phases of {@code refineEpochs}, each at {@code lr/10} for its first half and {@code lr/100}
 * for its second, ending in a ticket; between phases a prune-and-regrow of {@code largePruneRate} of
 * every layer. In both, every {@code updateInterval} epochs each layer loses the {@code pruneRate} share
 * of its smallest-magnitude connections (with {@code pruneScope} {@code network}: the network loses that share
 * of its own, by one threshold) and regrows as many as it lost, by gradient magnitude (RigL) or at random,
 * at weight zero; with {@code pruneSchedule} {@code cosine} the share decays by a cosine over the run,
 * with {@code constant} it stays {@code pruneRate} (the reference code's EDST command).
 *
 * <p>With {@code validSplit > 0} that share of the training set is held out and each DST member, and each
 * EDST refinement phase, keeps the epoch whose model (as trained, before that epoch's topology update) has
 * the best validation accuracy, as the reference code does; with 0 every member is its last epoch's model.
 * The held-out samples are drawn from the {@code validation} stream of the seed. With {@code memberSplits}
 * {@code own} (DST only) every member draws them from its own seed, so each trains on different samples
 * and the ensemble as a whole on every sample; with {@code shared} all members hold out the same
 * samples (the reference code's protocol: its split is the training set's last 10%), which no member
 * ever trains on. EDST trains one network, so its tickets always share one split.
 *
 * <p>Start from {@link #defaults(Variant)} and change fields with the {@code withX} methods; every field
 * is checked when the record is built.
 *
 * @param variant {@link Variant#DST} or {@link Variant#EDST}
 * @param members ensemble size M: DST networks or EDST tickets, >= 1
 * @param hidden hidden layer sizes, input side first
 * @param density the whole network's share of live connections, spread over layers by ERK, in (0, 1]
 * @param epochs each DST member's epochs, >= 1 (not used by EDST)
 * @param exploreEpochs EDST's exploration epochs, >= 0 (not used by DST)
 * @param refineEpochs epochs of each EDST refinement phase, >= 1 (not used by DST)
 * @param batch samples per mini-batch, >= 1
 * @param lr initial SGD learning rate, finite and > 0, with lr / 100 still > 0 as a float; decays as above
 * @param momentum SGD momentum, in [0, 1)
 * @param weightDecay SGD weight decay per step, finite and >= 0
 * @param dropout share of hidden units dropped in training, in [0, 1)
 * @param activation hidden activation: {@code relu}, {@code allrelu}, {@code sigmoid}, {@code tanh}
 *     (also {@code linear} and {@code leaky:<slope>})
 * @param pruneRate share of each layer (with {@code pruneScope} {@code network}: of the network) replaced at a regular
 *     topology update, in [0, 1]
 * @param largePruneRate share of each layer replaced between EDST's refinement phases, in [0, 1]
 * @param updateInterval epochs between regular topology updates, >= 1
 * @param grow {@code gradient} or {@code random}
 * @param seed seed of every random choice; DST member {@code i} (0-based) uses {@code seed + i}
 * @param threads worker threads, >= 1
 * @param pruneSchedule {@code cosine} or {@code constant}
 * @param validSplit share of the training set held out for checkpoint selection, in [0, 0.5]
 * @param memberSplits {@code own} or {@code shared}: whether DST members hold out different samples
 * @param pruneScope {@code layer} (each layer loses its own smallest-|w| share, the reference code's) or
 *     {@code network} (one |w| threshold over all layers: {@link org.dst4j.nn.evolution.MagnitudePrune#networkWide()});
 *     either way each layer regrows as many as it lost
 */
public record FreeTicketsConfig(Variant variant, int members, int[] hidden, double density, int epochs, int exploreEpochs,
                                int refineEpochs, int batch, float lr, float momentum, float weightDecay, float dropout,
                                String activation, double pruneRate, double largePruneRate, int updateInterval, String grow,
                                long seed, int threads, String pruneSchedule, double validSplit, String memberSplits,
                                String pruneScope) {

    /** The two ensembles of the paper. */
    public enum Variant {
        /** Independent dynamic sparse training of every member. */
        DST,
        /** Efficient DST: one run whose refinement phases each end in a ticket. */
        EDST;

        /** {@code dst} or {@code edst}: the name the command line and the metrics use. */
        public String label() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * Checks every field, so that a bad value fails here rather than inside {@link FreeTickets#run}, after
     * the output directory was made.
     *
     * @throws IllegalArgumentException naming the field and its valid range
     * @throws NullPointerException if {@code variant}, an array or a string is null
     */
    public FreeTicketsConfig {
        Objects.requireNonNull(variant, "variant");
        hidden = Objects.requireNonNull(hidden, "hidden").clone();
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(grow, "grow");
        Objects.requireNonNull(pruneSchedule, "pruneSchedule");
        Objects.requireNonNull(memberSplits, "memberSplits");
        Objects.requireNonNull(pruneScope, "pruneScope");
        ConfigChecks.atLeast("members", members, 1);
        ConfigChecks.hiddenSizes(hidden);
        ConfigChecks.density(density);
        ConfigChecks.atLeast("epochs", epochs, 1);
        ConfigChecks.atLeast("explore epochs", exploreEpochs, 0);
        ConfigChecks.atLeast("refine epochs", refineEpochs, 1);
        ConfigChecks.atLeast("batch", batch, 1);
        Sgd.checkSettings(lr, momentum, weightDecay);
        ConfigChecks.learningRateDecays(lr, 100); // a DST member ends at lr / 100, as does each EDST refinement phase
        ConfigChecks.belowOne("dropout", dropout);
        MlpConfig.checkHiddenActivation(activation);
        ConfigChecks.inUnitInterval("prune rate", pruneRate);
        ConfigChecks.inUnitInterval("large prune rate", largePruneRate);
        if (updateInterval < 1) throw new IllegalArgumentException("update interval must be >= 1 epoch, got " + updateInterval);
        ConfigChecks.oneOf("grow", grow, "gradient", "random");
        WorkerPool.checkThreads(threads);
        ConfigChecks.oneOf("prune schedule", pruneSchedule, "cosine", "constant");
        if (!(validSplit >= 0 && validSplit <= 0.5)) throw new IllegalArgumentException("valid split must be in [0, 0.5], got " + validSplit);
        ConfigChecks.oneOf("member splits", memberSplits, "own", "shared");
        ConfigChecks.oneOf("prune scope", pruneScope, "layer", "network");
        if (variant == Variant.EDST && memberSplits.equals("own")) {
            throw new IllegalArgumentException("member splits 'own' is for dst: edst trains one network, its tickets share one split");
        }
    }

    /** As before the prune scope was an option: every layer pruned by its own threshold ({@code layer}). */
    public FreeTicketsConfig(Variant variant, int members, int[] hidden, double density, int epochs, int exploreEpochs,
                             int refineEpochs, int batch, float lr, float momentum, float weightDecay, float dropout,
                             String activation, double pruneRate, double largePruneRate, int updateInterval, String grow,
                             long seed, int threads, String pruneSchedule, double validSplit, String memberSplits) {
        this(variant, members, hidden, density, epochs, exploreEpochs, refineEpochs, batch, lr, momentum, weightDecay, dropout,
                activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, pruneSchedule, validSplit, memberSplits, "layer");
    }

    /** As before DST members could hold out their own samples: one split {@code shared} by all. */
    public FreeTicketsConfig(Variant variant, int members, int[] hidden, double density, int epochs, int exploreEpochs,
                             int refineEpochs, int batch, float lr, float momentum, float weightDecay, float dropout,
                             String activation, double pruneRate, double largePruneRate, int updateInterval, String grow,
                             long seed, int threads, String pruneSchedule, double validSplit) {
        this(variant, members, hidden, density, epochs, exploreEpochs, refineEpochs, batch, lr, momentum, weightDecay, dropout,
                activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, pruneSchedule, validSplit, "shared");
    }

    /**
     * The configuration before the prune schedule and validation split were options: a cosine-decayed
     * prune rate and no validation split (every member is its last epoch's model).
     */
    public FreeTicketsConfig(Variant variant, int members, int[] hidden, double density, int epochs, int exploreEpochs,
                             int refineEpochs, int batch, float lr, float momentum, float weightDecay, float dropout,
                             String activation, double pruneRate, double largePruneRate, int updateInterval, String grow,
                             long seed, int threads) {
        this(variant, members, hidden, density, epochs, exploreEpochs, refineEpochs, batch, lr, momentum, weightDecay, dropout,
                activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, "cosine", 0);
    }

    /**
     * The defaults of the README's Fashion-MNIST benchmark (784-1000-1000-10, 90% sparse, M = 3): DST
     * members 30 epochs at lr 0.05; EDST 30 exploration epochs at lr 0.1 and 3 refinement phases of 20,
     * 95% of each sparse layer replaced between tickets (0.8, the reference's CIFAR value, left the tickets
     * agreeing on all but 3.5% of test images); 10% of the training set held out for checkpoint selection
     * (the reference code's {@code valid_split}), a different 10% for each DST member; topology updates
     * every epoch for DST and every 2 epochs for EDST (the reference's every 1,000 iterations is about 2.4
     * epochs of 422 batches; every epoch, EDST's tickets differed more in quality, and its gain over the
     * best ticket was lower, at the same ensemble accuracy). The runs: docs/results/freetickets.md.
     */
    public static FreeTicketsConfig defaults(Variant variant) {
        return new FreeTicketsConfig(variant, 3, new int[] {1000, 1000}, 0.1, 30, 30, 20, 128, variant == Variant.DST ? 0.05f : 0.1f,
                0.9f, 1e-5f, 0f, "relu", 0.5, 0.95, variant == Variant.DST ? 1 : 2, "gradient", 42, Runtime.getRuntime().availableProcessors(),
                defaultPruneSchedule(variant), 0.1, defaultMemberSplits(variant));
    }

    /**
     * {@code own} for DST: members trained on different samples disagree more, and together they use the
     * whole training set (the README's FreeTickets results compare both); {@code shared} for EDST, which
     * has one split.
     */
    public static String defaultMemberSplits(Variant variant) {
        return variant == Variant.DST ? "own" : "shared";
    }

    /**
     * The reference code's prune-rate schedule for the variant: cosine for DST; constant for EDST, whose
     * refinement phases keep exploring (a cosine would have nearly stopped updates by the later tickets).
     */
    public static String defaultPruneSchedule(Variant variant) {
        return variant == Variant.DST ? "cosine" : "constant";
    }

    /** The hidden layer sizes; a copy. */
    @Override public int[] hidden() { return hidden.clone(); }

    /** The seed whose {@code validation} stream draws the samples member {@code member} (0-based) holds out. */
    public long splitSeed(int member) {
        return variant == Variant.DST && memberSplits.equals("own") ? seed + member : seed;
    }

    /** Epochs trained by the whole run: all members for DST, the one run for EDST. */
    public int totalEpochs() {
        return variant == Variant.DST ? members * epochs : exploreEpochs + members * refineEpochs;
    }

    /** Epochs of one network's training: what one dense network is compared at. */
    public int epochsPerNetwork() {
        return variant == Variant.DST ? epochs : exploreEpochs + members * refineEpochs;
    }

    /** A copy with {@code m} members (DST networks or EDST tickets). */
    public FreeTicketsConfig withMembers(int m) {
        return new FreeTicketsConfig(variant, m, hidden, density, epochs, exploreEpochs, refineEpochs, batch, lr, momentum,
                weightDecay, dropout, activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, pruneSchedule, validSplit, memberSplits, pruneScope);
    }

    /** A copy with hidden layers of sizes {@code h}, input side first. */
    public FreeTicketsConfig withHidden(int... h) {
        return new FreeTicketsConfig(variant, members, h, density, epochs, exploreEpochs, refineEpochs, batch, lr, momentum,
                weightDecay, dropout, activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, pruneSchedule, validSplit, memberSplits, pruneScope);
    }

    /** A copy at global density {@code d}. */
    public FreeTicketsConfig withDensity(double d) {
        return new FreeTicketsConfig(variant, members, hidden, d, epochs, exploreEpochs, refineEpochs, batch, lr, momentum,
                weightDecay, dropout, activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, pruneSchedule, validSplit, memberSplits, pruneScope);
    }

    /** A copy training each DST member for {@code e} epochs (EDST: see {@link #withExploreEpochs}, {@link #withRefineEpochs}). */
    public FreeTicketsConfig withEpochs(int e) {
        return new FreeTicketsConfig(variant, members, hidden, density, e, exploreEpochs, refineEpochs, batch, lr, momentum,
                weightDecay, dropout, activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, pruneSchedule, validSplit, memberSplits, pruneScope);
    }

    /** A copy with {@code e} EDST exploration epochs. */
    public FreeTicketsConfig withExploreEpochs(int e) {
        return new FreeTicketsConfig(variant, members, hidden, density, epochs, e, refineEpochs, batch, lr, momentum,
                weightDecay, dropout, activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, pruneSchedule, validSplit, memberSplits, pruneScope);
    }

    /** A copy with {@code e} epochs per EDST refinement phase. */
    public FreeTicketsConfig withRefineEpochs(int e) {
        return new FreeTicketsConfig(variant, members, hidden, density, epochs, exploreEpochs, e, batch, lr, momentum,
                weightDecay, dropout, activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, pruneSchedule, validSplit, memberSplits, pruneScope);
    }

    /** A copy with {@code b} samples per mini-batch. */
    public FreeTicketsConfig withBatch(int b) {
        return new FreeTicketsConfig(variant, members, hidden, density, epochs, exploreEpochs, refineEpochs, b, lr, momentum,
                weightDecay, dropout, activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, pruneSchedule, validSplit, memberSplits, pruneScope);
    }

    /** A copy with initial learning rate {@code rate}. */
    public FreeTicketsConfig withLearningRate(float rate) {
        return new FreeTicketsConfig(variant, members, hidden, density, epochs, exploreEpochs, refineEpochs, batch, rate, momentum,
                weightDecay, dropout, activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, pruneSchedule, validSplit, memberSplits, pruneScope);
    }

    /** A copy with seed {@code s}. */
    public FreeTicketsConfig withSeed(long s) {
        return new FreeTicketsConfig(variant, members, hidden, density, epochs, exploreEpochs, refineEpochs, batch, lr, momentum,
                weightDecay, dropout, activation, pruneRate, largePruneRate, updateInterval, grow, s, threads, pruneSchedule, validSplit, memberSplits, pruneScope);
    }

    /** A copy with {@code t} worker threads. */
    public FreeTicketsConfig withThreads(int t) {
        return new FreeTicketsConfig(variant, members, hidden, density, epochs, exploreEpochs, refineEpochs, batch, lr, momentum,
                weightDecay, dropout, activation, pruneRate, largePruneRate, updateInterval, grow, seed, t, pruneSchedule, validSplit, memberSplits, pruneScope);
    }

    /** A copy pruning by {@code scope}: {@code layer} or {@code network}. */
    public FreeTicketsConfig withPruneScope(String scope) {
        return new FreeTicketsConfig(variant, members, hidden, density, epochs, exploreEpochs, refineEpochs, batch, lr, momentum,
                weightDecay, dropout, activation, pruneRate, largePruneRate, updateInterval, grow, seed, threads, pruneSchedule, validSplit, memberSplits, scope);
    }

    /**
     * The configuration {@link #toMap} recorded (in a model file's or checkpoint's header), with {@code threads};
     * the fields {@code toMap} leaves out as the other variant's are the defaults'.
     *
     * @throws IllegalArgumentException naming the field that is missing, mistyped or out of range
     */
    public static FreeTicketsConfig fromMap(Map<String, Object> m, int threads) {
        String label = Json.getString(m, "variant");
        Variant v = switch (label) {
            case "dst" -> Variant.DST;
            case "edst" -> Variant.EDST;
            default -> throw new IllegalArgumentException("field 'variant': expected dst or edst, got " + label);
        };
        FreeTicketsConfig d = defaults(v);
        boolean dst = v == Variant.DST;
        return new FreeTicketsConfig(v, Json.getInt(m, "members"), Json.getInts(m, "hidden"), Json.getDouble(m, "density"),
                dst ? Json.getInt(m, "epochs") : d.epochs(), dst ? d.exploreEpochs() : Json.getInt(m, "explore_epochs"),
                dst ? d.refineEpochs() : Json.getInt(m, "refine_epochs"), Json.getInt(m, "batch"), (float) Json.getDouble(m, "lr"),
                (float) Json.getDouble(m, "momentum"), (float) Json.getDouble(m, "weight_decay"), (float) Json.getDouble(m, "dropout"),
                Json.getString(m, "activation"), Json.getDouble(m, "prune_rate"), dst ? d.largePruneRate() : Json.getDouble(m, "large_prune_rate"),
                Json.getInt(m, "update_interval"), Json.getString(m, "grow"), Json.getLong(m, "seed"), threads, Json.getString(m, "prune_schedule"),
                Json.getDouble(m, "valid_split"), dst ? Json.getString(m, "member_splits") : "shared",
                m.containsKey("prune_scope") ? Json.getString(m, "prune_scope") : "layer");
    }

    /** As a JSON-ready map (for model headers and metrics); threads are left out. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("variant", variant.label());
        m.put("members", members);
        m.put("hidden", hidden.clone());
        m.put("density", density);
        if (variant == Variant.DST) {
            m.put("epochs", epochs);
        } else {
            m.put("explore_epochs", exploreEpochs);
            m.put("refine_epochs", refineEpochs);
        }
        m.put("batch", batch);
        m.put("lr", lr);
        m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("dropout", dropout);
        m.put("activation", activation);
        m.put("prune_rate", pruneRate);
        m.put("prune_schedule", pruneSchedule);
        if (variant == Variant.EDST) m.put("large_prune_rate", largePruneRate);
        m.put("update_interval", updateInterval);
        m.put("grow", grow);
        m.put("seed", seed);
        m.put("valid_split", validSplit);
        if (variant == Variant.DST) m.put("member_splits", memberSplits);
        // Only when not the default: the files of every layer-scope run keep the bytes they had before the option.
        if (pruneScope.equals("network")) m.put("prune_scope", pruneScope);
        return m;
    }

    // By content: the generated methods would compare and print the arrays by identity.
    @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

    @Override public int hashCode() { return ArrayRecords.hashCode(this); }

    @Override public String toString() { return ArrayRecords.toString(this); }
}
