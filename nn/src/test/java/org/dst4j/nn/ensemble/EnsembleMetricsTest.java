package org.dst4j.nn.ensemble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.dst4j.nn.init.SparseInit;
import org.dst4j.nn.init.WeightInit;
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
        // Bin edges: confidence exactly 1/15 * k lands in bin k-1, so 0.6 and 0.6000001 may differ but 1.0 is the last bin.
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
}
