package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.algorithms.neurotrails.NeuroTrailsConfig;
import org.dst4j.algorithms.quickselection.QuickSelectionConfig;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.spacenet.SpaceNetConfig;
import org.junit.jupiter.api.Test;

/** Every config record rejects a nonsense field when it is built, naming the field, not later inside a run. */
class ConfigValidationTest {
    private static final float INF = Float.POSITIVE_INFINITY, NAN = Float.NaN;

    private static void rejects(ThrowingCallable c, String message) {
        assertThatThrownBy(c).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    private static void rejectsNull(ThrowingCallable c, String field) {
        assertThatThrownBy(c).isInstanceOf(NullPointerException.class).hasMessage(field);
    }

    @Test
    void defaultsAndTheirVariantsStayValid() {
        assertThatCode(() -> {
            SetConfig.defaults();
            SetConfig.defaults().withEpochs(1).withLearningRate(0.1f, "cosine");
            SetConfig.defaults().withLearningRate(0.1f, "step:5:0.5");
            FreeTicketsConfig.defaults(Variant.DST);
            FreeTicketsConfig.defaults(Variant.EDST);
            NeuroTrailsConfig.defaults();
            QuickSelectionConfig.defaults();
            SpaceNetConfig.defaults();
        }).doesNotThrowAnyException();
    }

    private static SetConfig set(float lr, float momentum, float wd, float dropout, String act, float alpha, String opt, String sched,
                                 String init, double epsilon) {
        return new SetConfig(new int[] {16}, epsilon, 0.3, 2, 32, lr, momentum, wd, dropout, act, alpha, opt, sched, init, 1, 1);
    }

    @Test
    void setConfig() {
        assertThatCode(() -> set(0.01f, 0.9f, 0f, 0f, "allrelu", 0.6f, "adam", "cosine:0.001", "normal:0.1", 5)).doesNotThrowAnyException();
        assertThatCode(() -> set(0.01f, 0f, 0f, 0f, "leaky:0.1", 0.6f, "sgd", "constant", "zero", 5)).doesNotThrowAnyException();
        rejects(() -> set(INF, 0.9f, 0f, 0f, "relu", 0.6f, "sgd", "constant", "he-uniform", 5), "lr must be finite and > 0, got Infinity");
        rejects(() -> SetConfig.defaults().withLearningRate(NAN, "constant"), "lr must be finite and > 0, got NaN");
        // the one-argument form, as every other config has it, keeps the schedule and is checked the same way
        SetConfig cosine = SetConfig.defaults().withLearningRate(0.1f, "cosine").withLearningRate(0.02f);
        assertThat(cosine.lr()).isEqualTo(0.02f);
        assertThat(cosine.schedule()).isEqualTo("cosine");
        rejects(() -> SetConfig.defaults().withLearningRate(-1f), "lr must be finite and > 0, got -1.0");
        rejects(() -> set(0.01f, NAN, 0f, 0f, "relu", 0.6f, "sgd", "constant", "he-uniform", 5), "momentum must be in [0, 1), got NaN");
        rejects(() -> set(0.01f, 1f, 0f, 0f, "relu", 0.6f, "sgd", "constant", "he-uniform", 5), "momentum must be in [0, 1), got 1.0");
        rejects(() -> set(0.01f, 0.9f, -3f, 0f, "relu", 0.6f, "sgd", "constant", "he-uniform", 5), "weight decay must be finite and >= 0, got -3.0");
        rejects(() -> set(0.01f, 0.9f, 0f, 1.5f, "relu", 0.6f, "sgd", "constant", "he-uniform", 5), "dropout must be in [0, 1), got 1.5");
        rejects(() -> set(0.01f, 0.9f, 0f, 0f, "bogus", 0.6f, "sgd", "constant", "he-uniform", 5), "activation must be relu, allrelu");
        rejects(() -> set(0.01f, 0.9f, 0f, 0f, "leaky:x", 0.6f, "sgd", "constant", "he-uniform", 5), "activation must be relu, allrelu");
        rejects(() -> set(0.01f, 0.9f, 0f, 0f, "allrelu", NAN, "sgd", "constant", "he-uniform", 5), "alpha must be finite, got NaN");
        rejects(() -> set(0.01f, 0.9f, 0f, 0f, "relu", 0.6f, "bogus", "constant", "he-uniform", 5), "optimizer must be sgd or adam, got bogus");
        rejects(() -> SetConfig.defaults().withLearningRate(1f, "bogus"), "unknown schedule 'bogus'");
        // The ranges set --schedule refuses: a factor of 0 left the rate 0 after the first period while SGD's weight decay
        // (not scaled by the rate) went on shrinking the weights; a factor above 1 or a cosine minimum above lr made it rise.
        rejects(() -> SetConfig.defaults().withLearningRate(0.1f, "step:1:0"), "schedule: step gamma must be in (0, 1], got 0.0");
        rejects(() -> SetConfig.defaults().withLearningRate(0.1f, "step:2:1.5"), "schedule: step gamma must be in (0, 1], got 1.5");
        rejects(() -> SetConfig.defaults().withLearningRate(0.1f, "cosine:0.2"), "schedule: cosine min must be in [0, 0.1] (the lr), got 0.2");
        assertThatCode(() -> SetConfig.defaults().withLearningRate(0.1f, "step:1:1").withLearningRate(0.1f, "cosine:0.1")).doesNotThrowAnyException();
        rejects(() -> set(0.01f, 0.9f, 0f, 0f, "relu", 0.6f, "sgd", "constant", "bogus", 5), "unknown weight init 'bogus'");
        rejects(() -> set(0.01f, 0.9f, 0f, 0f, "relu", 0.6f, "sgd", "constant", "he-uniform", Double.POSITIVE_INFINITY),
                "epsilon must be finite and > 0, got Infinity");
        rejects(() -> SetConfig.defaults().withEpochs(0), "epochs must be >= 1, got 0");
        rejectsNull(() -> SetConfig.defaults().withHidden((int[]) null), "hidden");
        rejectsNull(() -> SetConfig.defaults().withLearningRate(0.1f, null), "schedule");
    }

    private static FreeTicketsConfig ft(Variant v, float lr, float momentum, float wd, float dropout, String act) {
        return new FreeTicketsConfig(v, 1, new int[] {16}, 0.5, 1, 0, 1, 32, lr, momentum, wd, dropout, act, 0.5, 0, 1, "gradient", 1, 1,
                "cosine", 0.0, "shared");
    }

    @Test
    void freeTicketsConfig() {
        assertThatCode(() -> ft(Variant.DST, 0.05f, 0.9f, 0f, 0f, "allrelu")).doesNotThrowAnyException();
        rejectsNull(() -> ft(null, 0.05f, 0.9f, 0f, 0f, "relu"), "variant");
        rejects(() -> ft(Variant.DST, INF, 0.9f, 0f, 0f, "relu"), "lr must be finite and > 0, got Infinity");
        rejects(() -> ft(Variant.EDST, -1f, 0.9f, 0f, 0f, "relu"), "lr must be finite and > 0, got -1.0");
        // Positive, but lr / 100, where the schedule ends, is 0 as a float: the run would fail inside, after making its
        // directory.
        for (Variant v : Variant.values()) {
            rejects(() -> ft(v, Float.MIN_VALUE, 0.9f, 0f, 0f, "relu"), "lr must be large enough that lr / 100, the schedule's lowest rate, is > 0"
                    + " as a float, got 1.4E-45");
            assertThatCode(() -> ft(v, 1e-12f, 0.9f, 0f, 0f, "relu")).doesNotThrowAnyException(); // the command line's smallest
        }
        rejects(() -> ft(Variant.DST, 0.05f, NAN, 0f, 0f, "relu"), "momentum must be in [0, 1), got NaN");
        rejects(() -> ft(Variant.DST, 0.05f, 0.9f, INF, 0f, "relu"), "weight decay must be finite and >= 0, got Infinity");
        rejects(() -> ft(Variant.DST, 0.05f, 0.9f, 0f, 1.5f, "relu"), "dropout must be in [0, 1), got 1.5");
        rejects(() -> ft(Variant.DST, 0.05f, 0.9f, 0f, 0f, "bogus"), "activation must be relu, allrelu");
        rejectsNull(() -> new FreeTicketsConfig(Variant.DST, 1, new int[] {16}, 0.5, 1, 0, 1, 32, 0.05f, 0.9f, 0f, 0f, "relu", 0.5, 0, 1,
                null, 1, 1, "cosine", 0.0, "shared"), "grow");
        rejectsNull(() -> new FreeTicketsConfig(Variant.DST, 1, new int[] {16}, 0.5, 1, 0, 1, 32, 0.05f, 0.9f, 0f, 0f, "relu", 0.5, 0, 1,
                "random", 1, 1, null, 0.0, "shared"), "pruneSchedule");
    }

    private static FreeTicketsConfig ft(Variant v, double pruneRate, double largePruneRate, int updateInterval, String grow, String schedule,
                                        double validSplit, String splits) {
        return new FreeTicketsConfig(v, 1, new int[] {16}, 0.5, 1, 0, 1, 32, 0.05f, 0.9f, 0f, 0f, "relu", pruneRate, largePruneRate,
                updateInterval, grow, 1, 1, schedule, validSplit, splits);
    }

    // Each count, rate and choice of the schedule, at the edge of its range: accepted on the inside, named on the outside.
    @Test
    void freeTicketsConfigChecksEveryCountRateAndChoice() {
        FreeTicketsConfig dst = FreeTicketsConfig.defaults(Variant.DST);
        assertThatCode(() -> {
            dst.withMembers(1).withExploreEpochs(0).withRefineEpochs(1).withEpochs(1).withBatch(1).withThreads(1).withDensity(1);
            ft(Variant.EDST, 0, 1, 1, "random", "constant", 0.5, "shared");
            ft(Variant.DST, 1, 0, 1, "gradient", "cosine", 0, "own");
        }).doesNotThrowAnyException();
        rejects(() -> dst.withMembers(0), "members must be >= 1, got 0");
        rejects(() -> dst.withHidden(16, 0), "hidden sizes must be >= 1, got [16, 0]");
        rejects(() -> dst.withDensity(0), "density must be in (0, 1], got 0.0");
        rejects(() -> dst.withEpochs(0), "epochs must be >= 1, got 0");
        rejects(() -> dst.withExploreEpochs(-1), "explore epochs must be >= 0, got -1");
        rejects(() -> dst.withRefineEpochs(0), "refine epochs must be >= 1, got 0");
        rejects(() -> dst.withBatch(0), "batch must be >= 1, got 0");
        rejects(() -> dst.withThreads(0), "threads must be >= 1, got 0");
        rejects(() -> dst.withPruneScope("global"), "prune scope must be");
        rejects(() -> ft(Variant.DST, 1.5, 0, 1, "random", "cosine", 0, "own"), "prune rate must be in [0, 1], got 1.5");
        rejects(() -> ft(Variant.EDST, 0.5, -0.1, 1, "random", "cosine", 0, "shared"), "large prune rate must be in [0, 1], got -0.1");
        rejects(() -> ft(Variant.DST, 0.5, 0, 0, "random", "cosine", 0, "own"), "update interval must be >= 1 epoch, got 0");
        rejects(() -> ft(Variant.DST, 0.5, 0, 1, "magnitude", "cosine", 0, "own"), "grow must be");
        rejects(() -> ft(Variant.DST, 0.5, 0, 1, "random", "linear", 0, "own"), "prune schedule must be");
        rejects(() -> ft(Variant.DST, 0.5, 0, 1, "random", "cosine", 0.51, "own"), "valid split must be in [0, 0.5], got 0.51");
        rejects(() -> ft(Variant.DST, 0.5, 0, 1, "random", "cosine", -0.01, "own"), "valid split must be in [0, 0.5], got -0.01");
        rejects(() -> ft(Variant.DST, 0.5, 0, 1, "random", "cosine", Double.NaN, "own"), "valid split must be in [0, 0.5], got NaN");
        rejects(() -> ft(Variant.DST, 0.5, 0, 1, "random", "cosine", 0, "bagged"), "member splits must be");
        rejects(() -> ft(Variant.EDST, 0.5, 0, 1, "random", "cosine", 0, "own"), "member splits 'own' is for dst");
        rejectsNull(() -> new FreeTicketsConfig(Variant.DST, 1, null, 0.5, 1, 0, 1, 32, 0.05f, 0.9f, 0f, 0f, "relu", 0.5, 0, 1,
                "random", 1, 1, "cosine", 0.0, "shared"), "hidden");
        rejectsNull(() -> new FreeTicketsConfig(Variant.DST, 1, new int[] {16}, 0.5, 1, 0, 1, 32, 0.05f, 0.9f, 0f, 0f, null, 0.5, 0, 1,
                "random", 1, 1, "cosine", 0.0, "shared"), "activation");
        rejectsNull(() -> new FreeTicketsConfig(Variant.DST, 1, new int[] {16}, 0.5, 1, 0, 1, 32, 0.05f, 0.9f, 0f, 0f, "relu", 0.5, 0, 1,
                "random", 1, 1, "cosine", 0.0, null), "memberSplits");
        rejectsNull(() -> dst.withPruneScope(null), "pruneScope");
    }

    // NeuroTrails settings, each refused when the config is built, not inside NeuroTrails.run.
    private static NeuroTrailsConfig nt(int batch, float lr, float momentum, float dropout, String act, double pruneRate, int updateInterval,
                                        String grow, int threads) {
        return new NeuroTrailsConfig(2, 1, new int[] {16, 16}, 0.5, 1, batch, lr, momentum, 0f, dropout, act, pruneRate, updateInterval, grow, 1,
                threads, "sum", "erk", 0f);
    }

    @Test
    void neuroTrailsConfig() {
        assertThatCode(() -> nt(32, 0.05f, 0.9f, 0f, "relu", 0.5, 1, "random", 1)).doesNotThrowAnyException();
        rejects(() -> nt(32, -1f, 0.9f, 0f, "relu", 0.5, 1, "gradient", 1), "lr must be finite and > 0, got -1.0");
        rejects(() -> nt(32, INF, 0.9f, 0f, "relu", 0.5, 1, "gradient", 1), "lr must be finite and > 0, got Infinity");
        rejects(() -> nt(32, 1e-44f, 0.9f, 0f, "relu", 0.5, 1, "gradient", 1), "lr must be large enough that lr / 100");
        assertThatCode(() -> nt(32, 1e-12f, 0.9f, 0f, "relu", 0.5, 1, "gradient", 1)).doesNotThrowAnyException();
        rejects(() -> nt(0, 0.05f, 0.9f, 0f, "relu", 0.5, 1, "gradient", 1), "batch must be >= 1, got 0");
        rejects(() -> nt(32, 0.05f, 0.9f, 0f, "relu", 0.5, 0, "gradient", 1), "update interval must be >= 1 epoch, got 0");
        rejects(() -> nt(32, 0.05f, 0.9f, 0f, "relu", 0.5, 1, "bogus", 1), "grow must be gradient or random, got bogus");
        rejects(() -> nt(32, 0.05f, 0.9f, 0f, "relu", 7, 1, "gradient", 1), "prune rate must be in [0, 1], got 7.0");
        rejects(() -> nt(32, 0.05f, 0.9f, 0f, "relu", 0.5, 1, "gradient", 0), "threads must be >= 1, got 0");
        rejects(() -> nt(32, 0.05f, 1.5f, 0f, "relu", 0.5, 1, "gradient", 1), "momentum must be in [0, 1), got 1.5");
        rejects(() -> nt(32, 0.05f, 0.9f, -0.5f, "relu", 0.5, 1, "gradient", 1), "dropout must be in [0, 1), got -0.5");
        rejects(() -> nt(32, 0.05f, 0.9f, 0f, "bogus", 0.5, 1, "gradient", 1), "activation must be relu, allrelu");
        rejects(() -> new NeuroTrailsConfig(2, 1, new int[] {16, 0}, 0.5, 1, 32, 0.05f, 0.9f, 0f, 0f, "relu", 0.5, 1, "gradient", 1, 1, "sum",
                "erk", 0f), "hidden sizes must be >= 1, got [16, 0]");
        rejectsNull(() -> new NeuroTrailsConfig(2, 1, new int[] {16}, 0.5, 1, 32, 0.05f, 0.9f, 0f, 0f, "relu", 0.5, 1, "gradient", 1, 1, "sum",
                null, 0f), "backboneShare");
    }

    private static NeuroTrailsConfig nt(String headLoss, String backboneShare, float headInputDropout) {
        return new NeuroTrailsConfig(2, 1, new int[] {16, 16}, 0.5, 1, 32, 0.05f, 0.9f, 0f, 0f, "relu", 0.5, 1, "random", 1, 1, headLoss,
                backboneShare, headInputDropout);
    }

    // The architecture's counts and choices at the edges of their ranges: accepted on the inside, named on the outside.
    @Test
    void neuroTrailsConfigChecksTheArchitecture() {
        NeuroTrailsConfig two = NeuroTrailsConfig.defaults().withHidden(16, 16);
        assertThatCode(() -> {
            two.withHeads(1).withSharedLayers(1).withDensity(1).withEpochs(1);
            two.withSharedLayers(2);
            nt("mean", "single", 0f);
            nt("sum", " 0.001 ", 0.99f);
            nt("sum", "0.999", 0f);
        }).doesNotThrowAnyException();
        assertThat(nt("sum", " single ", 0f).backboneShare()).isEqualTo("single");
        rejects(() -> two.withHeads(0), "heads must be >= 1, got 0");
        rejects(() -> two.withSharedLayers(0), "shared layers must be in [1, 2] (the hidden layers), got 0");
        rejects(() -> two.withSharedLayers(3), "shared layers must be in [1, 2] (the hidden layers), got 3");
        rejects(() -> two.withDensity(1.01), "density must be in (0, 1], got 1.01");
        rejects(() -> two.withEpochs(0), "epochs must be >= 1, got 0");
        rejects(() -> two.withPruneScope("global"), "prune scope must be");
        rejects(() -> nt("max", "erk", 0f), "head loss must be");
        rejects(() -> nt("sum", "erk", 1f), "head input dropout must be in [0, 1), got 1.0");
        for (String share : new String[] {"0", "1", "-0.5", "half", "NaN", ""}) {
            rejects(() -> nt("sum", share, 0f), "backbone share must be erk, single or a number strictly between 0 and 1, got " + share);
        }
        rejectsNull(() -> two.withHidden((int[]) null), "hidden");
        rejectsNull(() -> new NeuroTrailsConfig(2, 1, new int[] {16}, 0.5, 1, 32, 0.05f, 0.9f, 0f, 0f, null, 0.5, 1, "gradient", 1, 1, "sum",
                "erk", 0f), "activation");
        rejectsNull(() -> new NeuroTrailsConfig(2, 1, new int[] {16}, 0.5, 1, 32, 0.05f, 0.9f, 0f, 0f, "relu", 0.5, 1, null, 1, 1, "sum",
                "erk", 0f), "grow");
        rejectsNull(() -> nt(null, "erk", 0f), "headLoss");
        rejectsNull(() -> two.withPruneScope(null), "pruneScope");
    }

    private static QuickSelectionConfig qs(int batch, float lr, float noise, String init) {
        return new QuickSelectionConfig(5, 16, 13, 0.2, noise, false, 1, batch, lr, 0.9f, 1e-5f, 0.2f, init, "linear", 1, 1);
    }

    @Test
    void quickSelectionConfig() {
        assertThatCode(() -> qs(10, 0.01f, 0.2f, "xavier-uniform")).doesNotThrowAnyException();
        rejects(() -> qs(10, -5f, 0.2f, "xavier-uniform"), "lr must be finite and > 0, got -5.0");
        rejects(() -> qs(10, NAN, 0.2f, "xavier-uniform"), "lr must be finite and > 0, got NaN");
        rejects(() -> qs(0, 0.01f, 0.2f, "xavier-uniform"), "batch must be >= 1, got 0");
        rejects(() -> qs(10, 0.01f, INF, "xavier-uniform"), "noise must be finite and >= 0, got Infinity");
        rejects(() -> qs(10, 0.01f, 0.2f, "bogus"), "unknown weight init 'bogus'");
        rejects(() -> new QuickSelectionConfig(5, 16, 13, 0.2, 0.2f, false, 0, 10, 0.01f, 0.9f, 1e-5f, 0.2f, "zero", "linear", 1, 1),
                "epochs must be >= 1, got 0");
        rejects(() -> new QuickSelectionConfig(5, 16, 13, 0.2, 0.2f, false, 1, 10, 0.01f, 0.9f, NAN, 0.2f, "zero", "linear", 1, 1),
                "weight decay must be finite and >= 0, got NaN");
        rejects(() -> new QuickSelectionConfig(5, 16, 13, 0.2, 0.2f, false, 1, 10, 0.01f, 0.9f, 0f, 1f, "zero", "linear", 1, 1),
                "dropout must be in [0, 1), got 1.0");
        // the fields no check above reached, and the lower limits that are allowed (no noise, k and hidden of 1)
        rejects(() -> new QuickSelectionConfig(0, 16, 13, 0.2, 0.2f, false, 1, 10, 0.01f, 0.9f, 0f, 0.2f, "zero", "linear", 1, 1), "k must be >= 1, got 0");
        rejects(() -> new QuickSelectionConfig(5, 0, 13, 0.2, 0.2f, false, 1, 10, 0.01f, 0.9f, 0f, 0.2f, "zero", "linear", 1, 1), "hidden must be >= 1, got 0");
        rejects(() -> new QuickSelectionConfig(5, 16, 0, 0.2, 0.2f, false, 1, 10, 0.01f, 0.9f, 0f, 0.2f, "zero", "linear", 1, 1),
                "epsilon must be finite and > 0, got 0.0");
        rejects(() -> new QuickSelectionConfig(5, 16, 13, 0.2, 0.2f, false, 1, 10, 0.01f, 0.9f, 0f, 0.2f, "zero", "linear", 1, 0), "threads must be >= 1, got 0");
        rejects(() -> qs(10, 0.01f, -0.1f, "xavier-uniform"), "noise must be finite and >= 0, got -0.1");
        assertThatCode(() -> qs(10, 0.01f, 0f, "xavier-uniform")).doesNotThrowAnyException();
        assertThatCode(() -> new QuickSelectionConfig(1, 1, 13, 0.2, 0f, false, 1, 1, 0.01f, 0.9f, 0f, 0f, "zero", "tanh", 1, 1)).doesNotThrowAnyException();
    }

    @Test
    void zetaIsHeldToOneRangeBySetAndQuickSelection() {
        // At 1 every connection is pruned and regrown with fresh weights after each epoch: nothing learned survives.
        assertThatCode(() -> set(0.01f, 0.9f, 0f, 0f, "relu", 0.6f, "sgd", "constant", "he-uniform", 5)).doesNotThrowAnyException();
        rejects(() -> new SetConfig(new int[] {16}, 5, 1, 2, 32, 0.01f, 0.9f, 0f, 0f, "relu", 0.6f, "sgd", "constant", "he-uniform", 1, 1),
                "zeta must be in [0, 1), got 1.0");
        rejects(() -> new QuickSelectionConfig(5, 16, 13, 1, 0.2f, false, 1, 10, 0.01f, 0.9f, 1e-5f, 0.2f, "zero", "linear", 1, 1),
                "zeta must be in [0, 1), got 1.0");
        rejects(() -> new SetConfig(new int[] {16}, 5, -0.1, 2, 32, 0.01f, 0.9f, 0f, 0f, "relu", 0.6f, "sgd", "constant", "he-uniform", 1, 1),
                "zeta must be in [0, 1), got -0.1");
        assertThatCode(() -> new SetConfig(new int[] {16}, 5, 0.99, 2, 32, 0.01f, 0.9f, 0f, 0f, "relu", 0.6f, "sgd", "constant", "he-uniform", 1, 1))
                .doesNotThrowAnyException();
        assertThatCode(() -> new QuickSelectionConfig(5, 16, 13, 0, 0.2f, false, 1, 10, 0.01f, 0.9f, 1e-5f, 0.2f, "zero", "linear", 1, 1))
                .doesNotThrowAnyException();
    }

    // Each range's own edges: a closed end accepts its bound, an open end refuses it (the configs' tests pass values
    // well inside or outside, so a check at the wrong side of its bound went unseen).
    @Test
    void rangesAcceptTheirClosedEndsAndRefuseTheirOpenOnes() {
        rejects(() -> ConfigChecks.positive("epsilon", 0), "epsilon must be finite and > 0, got 0.0");
        assertThatCode(() -> ConfigChecks.positive("epsilon", Double.MIN_VALUE)).doesNotThrowAnyException();
        for (double v : new double[] {0, 1}) assertThatCode(() -> ConfigChecks.inUnitInterval("share", v)).doesNotThrowAnyException();
        rejects(() -> ConfigChecks.inUnitInterval("share", -Double.MIN_VALUE), "share must be in [0, 1]");
        rejects(() -> ConfigChecks.inUnitInterval("share", Math.nextUp(1.0)), "share must be in [0, 1]");
        assertThatCode(() -> ConfigChecks.belowOne("dropout", 0)).doesNotThrowAnyException();
        rejects(() -> ConfigChecks.belowOne("dropout", 1), "dropout must be in [0, 1), got 1.0");
        assertThatCode(() -> ConfigChecks.density(1)).doesNotThrowAnyException();
        rejects(() -> ConfigChecks.density(0), "density must be in (0, 1], got 0.0");
        rejects(() -> ConfigChecks.density(Math.nextUp(1.0)), "density must be in (0, 1]");
        assertThatCode(() -> ConfigChecks.atLeast("epochs", 1, 1)).doesNotThrowAnyException();
        rejects(() -> ConfigChecks.atLeast("epochs", 0, 1), "epochs must be >= 1, got 0");
    }

    @Test
    void setConfigChecksItsCounts() {
        SetConfig d = SetConfig.defaults();
        assertThatCode(() -> d.withHidden(1).withHidden().withThreads(1).withEpochs(1).withBatch(1)).doesNotThrowAnyException();
        rejects(() -> d.withHidden(16, 0), "hidden sizes must be >= 1, got [16, 0]");
        rejects(() -> d.withThreads(0), "threads must be >= 1, got 0");
        rejects(() -> d.withThreads(1 << 20), "threads must be at most 4096, got 1048576");
        rejects(() -> FreeTicketsConfig.defaults(Variant.DST).withThreads(1 << 20), "threads must be at most 4096, got 1048576");
        rejects(() -> d.withEpochs(0), "epochs must be >= 1, got 0");
        rejects(() -> d.withBatch(0), "batch must be >= 1, got 0");
    }

    @Test
    void aChoiceMessageListsEveryAllowedValue() {
        rejects(() -> ConfigChecks.oneOf("scaling", "minmax", "standardize", "center", "none"),
                "scaling must be standardize, center or none, got minmax");
        rejects(() -> ConfigChecks.oneOf("grow", "bogus", "gradient", "random"), "grow must be gradient or random, got bogus");
        rejects(() -> ConfigChecks.oneOf("loss", null, "mse"), "loss must be mse, got null");
        assertThatCode(() -> ConfigChecks.oneOf("grow", "random", "gradient", "random")).doesNotThrowAnyException();
    }

    private static SpaceNetConfig sn(int[] hidden, float lr, float momentum, float wd) {
        return new SpaceNetConfig(2, hidden, new int[] {60, 40, 16}, 8, 4, 0.2, 1, 16, lr, momentum, wd, 7, 1);
    }

    @Test
    void spaceNetConfig() {
        assertThatCode(() -> sn(new int[] {24, 24}, 0.05f, 0f, 0f)).doesNotThrowAnyException();
        rejects(() -> sn(new int[] {24, 24}, INF, 0f, 0f), "lr must be finite and > 0, got Infinity");
        rejects(() -> sn(new int[] {24, 24}, 0.05f, 0f, INF), "weight decay must be finite and >= 0, got Infinity");
        rejects(() -> sn(new int[] {24, 0}, 0.05f, 0f, 0f), "hidden sizes must be >= 1, got [24, 0]");
        rejectsNull(() -> sn(null, 0.05f, 0f, 0f), "hidden");
        // Each setting by the name the message gives it (the record's fields in order, each alone out of range).
        rejects(() -> new SpaceNetConfig(0, new int[] {24}, new int[] {60, 16}, 8, 4, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1), "tasks must be >= 1, got 0");
        rejects(() -> new SpaceNetConfig(2, new int[] {24}, new int[] {60, 0}, 8, 4, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1), "connections per task must be >= 1, got 0");
        rejects(() -> new SpaceNetConfig(2, new int[] {24}, new int[] {60, 16}, 0, 0, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1), "selected neurons must be >= 1, got 0");
        rejects(() -> new SpaceNetConfig(2, new int[] {24}, new int[] {60, 16}, 8, 9, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1),
                "reserved neurons must be in [0, selected neurons = 8], got 9");
        rejects(() -> new SpaceNetConfig(2, new int[] {24}, new int[] {60, 16}, 8, 4, 1.0, 1, 16, 0.05f, 0f, 0f, 7, 1), "drop fraction must be in [0, 1), got 1.0");
        rejects(() -> new SpaceNetConfig(2, new int[] {24}, new int[] {60, 16}, 8, 4, 0.2, 0, 16, 0.05f, 0f, 0f, 7, 1), "epochs must be >= 1, got 0");
        rejects(() -> new SpaceNetConfig(2, new int[] {24}, new int[] {60, 16}, 8, 4, 0.2, 1, 0, 0.05f, 0f, 0f, 7, 1), "batch must be >= 1, got 0");
        rejects(() -> new SpaceNetConfig(2, new int[] {24}, new int[] {60, 16}, 8, 4, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 0), "threads must be >= 1, got 0");
        // Every selected neuron reserved is allowed: a task keeps all it used.
        assertThatCode(() -> new SpaceNetConfig(2, new int[] {24}, new int[] {60, 16}, 8, 8, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1)).doesNotThrowAnyException();
    }
}
