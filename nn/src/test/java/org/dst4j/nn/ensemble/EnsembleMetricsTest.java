package org.dst4j.nn.ensemble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.SparseInit;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;

class EnsembleMetricsTest {

    @Test
    void averagesMembersElementWise() {
        float[] a = {0.9f, 0.1f, 0.2f, 0.8f}, b = {0.5f, 0.5f, 0.6f, 0.4f};
        assertThat(EnsembleMetrics.average(List.of(a, b))).containsExactly(new float[] {0.7f, 0.3f, 0.4f, 0.6f}, within(1e-6f));
    }

    @Test
    void eceOfKnownCases() {
        // Every prediction certain and right: perfectly calibrated.
        assertThat(EnsembleMetrics.expectedCalibrationError(new float[] {1, 0, 0, 1}, new int[] {0, 1}, 2, 15)).isEqualTo(0.0);
        // Certain and always wrong: the worst possible.
        assertThat(EnsembleMetrics.expectedCalibrationError(new float[] {1, 0, 0, 1}, new int[] {1, 0}, 2, 15)).isEqualTo(1.0);
        // Four samples at confidence 0.7 (bin (0.667, 0.733]), three right: |0.75 - 0.7| = 0.05 over all four.
        float[] p = {0.7f, 0.3f, 0.7f, 0.3f, 0.7f, 0.3f, 0.7f, 0.3f};
        assertThat(EnsembleMetrics.expectedCalibrationError(p, new int[] {0, 0, 0, 1}, 2, 15)).isCloseTo(0.05, within(1e-6));
        // Two bins: two samples at 0.95 both right (gap 0.05), two at 0.55 one right (gap 0.05): weighted 0.05.
        float[] q = {0.95f, 0.05f, 0.95f, 0.05f, 0.55f, 0.45f, 0.45f, 0.55f};
        assertThat(EnsembleMetrics.expectedCalibrationError(q, new int[] {0, 0, 0, 0}, 2, 15)).isCloseTo(0.05, within(1e-6));
        // One bin takes every confidence: a sample at 0.5 is 0.5 from its accuracy, right or wrong.
        assertThat(EnsembleMetrics.expectedCalibrationError(new float[] {0.5f, 0.5f}, new int[] {0}, 2, 1)).isCloseTo(0.5, within(1e-6));
    }

    @Test
    void scoresDisagreementAndKl() {
        float[] a = {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f};
        float[] b = {0.9f, 0.1f, 0.7f, 0.3f, 0.6f, 0.4f};
        int[] labels = {0, 1, 0};
        EnsembleMetrics m = EnsembleMetrics.of(List.of(a, b), labels, 2);
        assertThat(m.members()).hasSize(2);
        assertThat(m.members().get(0).accuracy()).isEqualTo(1.0);
        assertThat(m.members().get(1).accuracy()).isCloseTo(2 / 3.0, within(1e-12));
        assertThat(m.disagreement()[0][1]).isCloseTo(1 / 3.0, within(1e-12));
        assertThat(m.disagreement()[1][0]).isCloseTo(1 / 3.0, within(1e-12));
        double kl01 = (0.2 * Math.log(0.2 / 0.7) + 0.8 * Math.log(0.8 / 0.3)) / 3;
        double kl10 = (0.7 * Math.log(0.7 / 0.2) + 0.3 * Math.log(0.3 / 0.8)) / 3;
        assertThat(m.kl()[0][1]).isCloseTo(kl01, within(1e-6));
        assertThat(m.kl()[1][0]).isCloseTo(kl10, within(1e-6));
        assertThat(m.kl()[0][0]).isZero();
        // Ensemble: (0.9,0.1), (0.45,0.55) and (0.6,0.4): all three right.
        assertThat(m.ensemble().accuracy()).isEqualTo(1.0);
        double nll = -(Math.log(0.9) + Math.log(0.55) + Math.log(0.6)) / 3;
        assertThat(m.ensemble().nll()).isCloseTo(nll, within(1e-6));
        assertThat(EnsembleMetrics.meanOffDiagonal(m.kl())).isCloseTo((kl01 + kl10) / 2, within(1e-6));
    }

    @Test
    void topologyDistanceCountsConnectionsNotShared() {
        RandomStream rnd = new RandomStream(4);
        try (CsrMatrix a = CsrMatrix.fromCoo(3, 4, new int[] {0, 0, 1, 2}, new int[] {0, 3, 2, 1}, new float[4]);
             CsrMatrix b = CsrMatrix.fromCoo(3, 4, new int[] {0, 1, 2, 2}, new int[] {3, 2, 0, 2}, new float[4]);
             CsrMatrix r = SparseInit.sample(30, 20, 0.3, new WeightInit.Zero(), rnd)) {
            assertThat(TopologyDistance.between(a, b)).isCloseTo(0.5, within(1e-12));
            assertThat(TopologyDistance.between(a, a)).isZero();
            assertThat(TopologyDistance.between(r, r)).isZero();
        }
    }

    @Test
    void eceKeepsTheTopBinsApart() {
        // 15 bins: 0.9 (x15 = 13.5) falls in bin 13, 0.99 (x15 = 14.85) in bin 14. The 0.9 sample is right
        // (gap 0.1), the 0.99 one wrong (gap 0.99): ECE = (0.1 + 0.99) / 2 = 0.545. One merged bin would
        // give |1 - 1.89| / 2 = 0.445.
        float[] p = {0.9f, 0.1f, 0.99f, 0.01f};
        assertThat(EnsembleMetrics.expectedCalibrationError(p, new int[] {0, 1}, 2, 15)).isCloseTo(0.545, within(1e-6));
        // Bins are closed on the right: with 4 bins, confidence 0.75 is in (0.5, 0.75], 0.8 in (0.75, 1].
        // 0.75 right (gap 0.25) and 0.8 wrong (gap 0.8): (0.25 + 0.8) / 2 = 0.525; together they would give 0.275.
        float[] q = {0.75f, 0.25f, 0.8f, 0.2f};
        assertThat(EnsembleMetrics.expectedCalibrationError(q, new int[] {0, 1}, 2, 4)).isCloseTo(0.525, within(1e-6));
    }

    @Test
    void klSkipsClassesTheFirstMemberRulesOutAndCapsTheOnesTheSecondRulesOut() {
        // One sample: a = (1, 0), b = (0.5, 0.5). KL(a || b) = 1 * log(1 / 0.5) = log 2; the 0 * log 0 term is 0.
        // KL(b || a) = 0.5 * log(0.5 / 1) + 0.5 * (log 0.5 - log 1e-12): a's zero is capped, not infinite.
        float[] a = {1, 0}, b = {0.5f, 0.5f};
        EnsembleMetrics m = EnsembleMetrics.of(List.of(a, b), new int[] {0}, 2);
        assertThat(m.kl()[0][1]).isCloseTo(Math.log(2), within(1e-9));
        assertThat(m.kl()[1][0]).isCloseTo(0.5 * Math.log(0.5) + 0.5 * (Math.log(0.5) - Math.log(1e-12)), within(1e-9));
    }

    @Test
    void meanOffDiagonalAveragesTheSixOrderedPairsOfThreeMembers() {
        // Off-diagonal 1..6 sum to 21 over 3 * 2 ordered pairs: 3.5; the diagonal (100) is not a pair.
        double[][] pairwise = {{100, 1, 2}, {3, 100, 4}, {5, 6, 100}};
        assertThat(EnsembleMetrics.meanOffDiagonal(pairwise)).isCloseTo(3.5, within(1e-12));
        assertThat(EnsembleMetrics.meanOffDiagonal(new double[][] {{7}})).isZero();
    }

    @Test
    void rejectsLabelsOutsideTheClassesAndProbabilitiesOfTheWrongSize() {
        float[] p = {0.6f, 0.4f, 0.3f, 0.7f};
        // Label 2 with 2 classes would read the next sample's first probability.
        assertThatThrownBy(() -> EnsembleMetrics.Scores.of(p, new int[] {2, 1}, 2, 15)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EnsembleMetrics.Scores.of(p, new int[] {-1, 1}, 2, 15)).isInstanceOf(IllegalArgumentException.class);
        // 2 samples x 2 classes need 4 probabilities.
        assertThatThrownBy(() -> EnsembleMetrics.Scores.of(new float[] {0.6f, 0.4f}, new int[] {0, 1}, 2, 15))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EnsembleMetrics.expectedCalibrationError(new float[] {0.6f, 0.4f, 0.3f, 0.7f, 0.5f, 0.5f}, new int[] {0, 1}, 2, 15))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void topologyDistanceMergesEachRowWithinItsOwnBounds() {
        // a: (0,0) (1,3) (2,2) (3,0); b: (0,0) (0,3) (1,3) (2,1) (2,2). Shared: (0,0) (1,3) (2,2) = 3 of
        // max(4, 5) = 5, so 1 - 3/5 = 0.4 either way round (the union, 6, would give 0.5). Row 0 ends in a right
        // after the match while b still has col 3 (and a's row 1 starts with col 3); in row 2 b is behind and
        // must step forward to meet a's col 2.
        try (CsrMatrix a = CsrMatrix.fromCoo(4, 4, new int[] {0, 1, 2, 3}, new int[] {0, 3, 2, 0}, new float[4]);
             CsrMatrix b = CsrMatrix.fromCoo(4, 4, new int[] {0, 0, 1, 2, 2}, new int[] {0, 3, 3, 1, 2}, new float[5])) {
            assertThat(TopologyDistance.between(a, b)).isCloseTo(0.4, within(1e-12));
            assertThat(TopologyDistance.between(b, a)).isCloseTo(0.4, within(1e-12));
        }
    }

    @Test
    void topologyDistanceByLayerComparesLayerWithLayer() {
        MlpConfig config = new MlpConfig(new int[] {6, 5, 4, 3}, "relu", 0.6f, Activation.linear(), 0, new Density.Uniform(0.5),
                new WeightInit.XavierUniform());
        MlpConfig shorter = new MlpConfig(new int[] {6, 5, 3}, "relu", 0.6f, Activation.linear(), 0, new Density.Uniform(0.5),
                new WeightInit.XavierUniform());
        try (SparseMlp x = SparseMlp.create(config, new RandomStream(1), 1);
             SparseMlp y = SparseMlp.create(config, new RandomStream(2), 1);
             SparseMlp z = SparseMlp.create(shorter, new RandomStream(3), 1)) {
            double[] d = TopologyDistance.byLayer(x, y);
            assertThat(d).hasSize(3);
            for (int l = 0; l < 3; l++) {
                assertThat(d[l]).isEqualTo(TopologyDistance.between(x.layers().get(l).weights(), y.layers().get(l).weights()));
            }
            assertThat(d[0] + d[1] + d[2]).isPositive();
            assertThat(TopologyDistance.byLayer(x, x)).containsExactly(0, 0, 0);
            assertThatThrownBy(() -> TopologyDistance.byLayer(x, z)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    // A top probability a little above 1 (1.0000001f, as rounding may leave one) counts in the last bin, as 1 does.
    // Both samples right: |1 - 1.0000001| in bin 9 and |1 - 0.9| in bin 8, over two samples.
    @Test
    void aConfidenceRoundedAboveOneFallsInTheLastBin() {
        float[] p = {1.0000001f, 0f, 0.9f, 0.1f};
        assertThat(EnsembleMetrics.expectedCalibrationError(p, new int[] {0, 0}, 2, 10)).isCloseTo(0.05, within(1e-6));
    }
}
