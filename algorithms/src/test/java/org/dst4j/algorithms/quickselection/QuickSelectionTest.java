package org.dst4j.algorithms.quickselection;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.MadelonLike;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuickSelectionTest {
    @Test
    void strengthIsTheSumOfAbsoluteWeightsPerInput() {
        RandomStream rng = new RandomStream(1);
        for (double density : new double[] {0, 0.05, 0.5, 1}) {
            int out = 13, in = 29;
            int[] r = new int[out * in], c = new int[out * in];
            float[] v = new float[out * in];
            float[][] dense = new float[out][in];
            int n = 0;
            for (int j = 0; j < out; j++) {
                for (int i = 0; i < in; i++) {
                    if (rng.nextDouble() < density) {
                        r[n] = j;
                        c[n] = i;
                        v[n] = (float) rng.nextGaussian();
                        dense[j][i] = v[n++];
                    }
                }
            }
            try (CsrMatrix w = CsrMatrix.fromCoo(out, in, Arrays.copyOf(r, n), Arrays.copyOf(c, n), Arrays.copyOf(v, n))) {
                double[] s = QuickSelection.inputStrength(w);
                for (int i = 0; i < in; i++) {
                    double expected = 0;
                    for (int j = 0; j < out; j++) expected += Math.abs(dense[j][i]);
                    assertThat(s[i]).isCloseTo(expected, within(1e-5));
                }
                assertThat(w.values().getAtIndex(JAVA_FLOAT, 0)).isNotNaN();
            }
        }
    }

    @Test
    void rankingIsByDecreasingScoreWithTiesByIndex() {
        assertThat(QuickSelection.rank(new double[] {1, 3, 3, 0, 2, 3})).containsExactly(1, 2, 5, 4, 0, 3);
        QuickSelection.Result r = new QuickSelection.Result(QuickSelection.rank(new double[] {0, 5, 1}), new double[] {0, 5, 1}, List.of());
        assertThat(r.top(2)).containsExactly(1, 2);
    }

    @Test
    void resultCannotBeChangedThroughItsArrays() {
        int[] ranking = {1, 2, 0};
        double[] strength = {0, 5, 1};
        List<EpochMetrics> history = new ArrayList<>();
        QuickSelection.Result r = new QuickSelection.Result(ranking, strength, history);
        ranking[0] = -1;
        strength[1] = -7;
        history.add(null);
        r.ranking()[1] = -1;
        r.strength()[2] = -7;
        assertThat(r.top(3)).containsExactly(1, 2, 0);
        assertThat(r.ranking()).containsExactly(1, 2, 0);
        assertThat(r.strength()).containsExactly(0, 5, 1);
        assertThat(r.history()).isEmpty();
        assertThatThrownBy(() -> r.history().add(null)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void topSelectsTheConfiguredKAndAnImpossibleKFailsBeforeTraining() {
        try (MadelonLike m = MadelonLike.generate(3, 200, 20, 5, 5, 10)) {
            QuickSelectionConfig cfg = QuickSelectionConfig.defaults().withK(7).withHidden(16).withEpochs(1).withThreads(1);
            QuickSelection.Result r = QuickSelection.select(cfg, m.split().train(), true, null);
            // The count comes from the config: callers need not repeat it in top(k).
            assertThat(r.k()).isEqualTo(7);
            assertThat(r.top()).hasSize(7).containsExactly(Arrays.copyOf(r.ranking(), 7));
            assertThat(r.top(3)).containsExactly(Arrays.copyOf(r.ranking(), 3));
            QuickSelection.Progress neverCalled = new QuickSelection.Progress() {
                @Override public void batch(int epoch, int done, int total) { throw new AssertionError("trained"); }
            };
            assertThatThrownBy(() -> QuickSelection.select(cfg.withK(21), m.split().train(), true, neverCalled))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("k 21 exceeds the 20 features of");
        }
        assertThat(new QuickSelection.Result(new int[] {2, 0, 1}, new double[] {1, 0, 2}, List.of()).top()).containsExactly(2, 0, 1);
        assertThatThrownBy(() -> new QuickSelection.Result(new int[] {2, 0, 1}, new double[] {1, 0, 2}, List.of(), 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("k must be in [1, 3], got 4");
        // no samples: refused by name before anything is fitted or trained, whatever the scaling
        try (Dataset empty = Dataset.of("empty", new float[0], 0, 5, new int[0], 2)) {
            for (QuickSelection.Scaling scaling : QuickSelection.Scaling.values()) {
                assertThatThrownBy(() -> QuickSelection.select(QuickSelectionConfig.defaults().withK(2).withThreads(1), empty, scaling, null))
                        .as(scaling.label()).isInstanceOf(IllegalArgumentException.class).hasMessage("empty: no training samples");
            }
        }
        // one feature is a selection; none is not
        QuickSelection.Result one = new QuickSelection.Result(new int[] {2, 0, 1}, new double[] {1, 0, 2}, List.of(), 1);
        assertThat(one.top()).containsExactly(2);
        assertThat(one.top(1)).containsExactly(2);
        assertThatThrownBy(() -> one.top(0)).isInstanceOf(IllegalArgumentException.class).hasMessage("k must be in [1, 3], got 0");
        assertThatThrownBy(() -> new QuickSelection.Result(new int[] {2, 0, 1}, new double[] {1, 0, 2}, List.of(), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("k must be in [1, 3], got 0");
    }

    // The strengths and ranking are those of the trained autoencoder's first layer (the one Progress.trained is handed),
    // after every epoch; k may be every feature; the boolean form standardizes or does nothing.
    @Test
    void theSelectionRanksTheTrainedFirstLayerAndTheBooleanFormStandardizesOrNot() {
        try (MadelonLike m = MadelonLike.generate(3, 200, 20, 5, 5, 10)) {
            QuickSelectionConfig cfg = QuickSelectionConfig.defaults().withK(20).withHidden(16).withEpochs(2).withThreads(1);
            Dataset train = m.split().train();
            double[][] trained = new double[1][];
            QuickSelection.Result r = QuickSelection.select(cfg, train, true, new QuickSelection.Progress() {
                @Override public void trained(SparseMlp autoencoder, Standardizer scaling) {
                    assertThat(scaling).isNotNull();
                    trained[0] = QuickSelection.inputStrength(autoencoder.layers().getFirst().weights());
                }
            });
            assertThat(r.history()).hasSize(2);
            assertThat(r.strength()).containsExactly(trained[0]);
            assertThat(r.ranking()).containsExactly(QuickSelection.rank(trained[0]));
            assertThat(QuickSelection.select(cfg, train, QuickSelection.Scaling.STANDARDIZE, null).strength()).containsExactly(r.strength());
            double[] none = QuickSelection.select(cfg, train, QuickSelection.Scaling.NONE, null).strength();
            assertThat(QuickSelection.select(cfg, train, false, null).strength()).containsExactly(none);
            assertThat(none).isNotEqualTo(r.strength());
        }
    }

    @Test
    void recoversMostRelevantFeaturesOfASmallMadelonProblem() {
        // 5 informative + 15 redundant among 100 features; a short run on few samples.
        try (MadelonLike m = MadelonLike.generate(3, 1200, 100, 5, 15, 80)) {
            assertThat(m.relevant()).hasSize(20);
            QuickSelectionConfig cfg = QuickSelectionConfig.defaults().withK(20).withHidden(200).withEpochs(20).withThreads(2);
            QuickSelection.Result r = QuickSelection.select(cfg, m.split().train(), true, null);
            assertThat(r.history()).hasSize(20);
            // random choice would find 20 * 20/100 = 4 on average
            assertThat(m.recovered(r.top())).isGreaterThanOrEqualTo(12);
            // same seed, other thread count: same selection
            QuickSelection.Result again = QuickSelection.select(cfg.withThreads(1), m.split().train(), true, null);
            assertThat(again.strength()).containsExactly(r.strength());
        }
    }

    @Test
    void tanhReconstructionAsTheReferenceUsesForMadelon() {
        try (MadelonLike m = MadelonLike.generate(3, 1200, 100, 5, 15, 80)) {
            QuickSelectionConfig cfg = QuickSelectionConfig.defaults().withK(20).withHidden(200).withEpochs(20).withThreads(2).withOutput("tanh");
            QuickSelection.Result r = QuickSelection.select(cfg, m.split().train(), true, null);
            assertThat(m.recovered(r.top(20))).isGreaterThanOrEqualTo(12);
            QuickSelection.Result linear = QuickSelection.select(cfg.withOutput("linear"), m.split().train(), true, null);
            assertThat(r.strength()).as("the output activation changes training").isNotEqualTo(linear.strength());
        }
        assertThatThrownBy(() -> QuickSelectionConfig.defaults().withOutput("relu"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("output must be linear or tanh, got relu");
    }

    @Test
    void centeringSubtractsEachFeaturesMeanAndScalesNothing(@TempDir Path dir) {
        try (MadelonLike m = MadelonLike.generate(5, 600, 60, 5, 15, 40)) {
            QuickSelectionConfig cfg = QuickSelectionConfig.defaults().withK(20).withHidden(64).withEpochs(4).withThreads(2);
            var train = m.split().train();
            QuickSelection.Result centered = QuickSelection.select(cfg, train, QuickSelection.Scaling.CENTER, null);
            Standardizer fitted = Standardizer.fit(train);
            Standardizer c = fitted.centeringOnly();
            assertThat(c.mean()).containsExactly(fitted.mean());
            for (float sd : c.std()) assertThat(sd).isEqualTo(1f);
            // the same training on data centred beforehand and not scaled again: the same network, bit for bit
            c.apply(train);
            QuickSelection.Result presubtracted = QuickSelection.select(cfg, train, QuickSelection.Scaling.NONE, null);
            assertThat(presubtracted.strength()).containsExactly(centered.strength());
        }
        assertThat(QuickSelection.Scaling.parse("center")).isEqualTo(QuickSelection.Scaling.CENTER);
        assertThatThrownBy(() -> QuickSelection.Scaling.parse("minmax")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("scaling must be standardize, center or none, got 'minmax'");
        // Refused before training; had a check let one through, it writes here, not into runs/ in the working directory.
        String refused = dir.resolve("refused").toString();
        assertThat(Main.run(new String[] {"quickselection", "--scale", "minmax", "--out", refused})).isEqualTo(2);
        assertThat(Main.run(new String[] {"quickselection", "--scale", "center", "--no-standardize", "--out", refused})).isEqualTo(2);
    }
}
