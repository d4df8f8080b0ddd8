package org.dst4j.nn.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;

class InitTest {

    @Test
    void erdosRenyiDensityIsCappedAtOne() {
        double[] d = new Density.ErdosRenyi(20).densities(new int[] {784, 1000, 1000, 10});
        assertThat(d[0]).isCloseTo(20.0 * 1784 / (784 * 1000.0), within(1e-12));
        assertThat(d[1]).isCloseTo(0.04, within(1e-12));
        assertThat(d[2]).isEqualTo(1.0);
    }

    @Test
    void erkHitsTheGlobalDensity() {
        int[] sizes = {784, 1000, 1000, 10};
        double[] d = new Density.Erk(0.1).densities(sizes);
        double live = 0, total = 0;
        for (int l = 0; l < d.length; l++) {
            assertThat(d[l]).isBetween(0.0, 1.0);
            live += d[l] * sizes[l] * sizes[l + 1];
            total += (double) sizes[l] * sizes[l + 1];
        }
        assertThat(live / total).isCloseTo(0.1, within(1e-9));
    }

    @Test
    void sampleHasExactCountDistinctSortedColumnsAndNoDensePass() {
        RandomStream rnd = new RandomStream(4);
        for (double density : new double[] {0, 0.001, 0.3, 0.7, 1.0}) {
            try (CsrMatrix w = SparseInit.sample(200, 300, density, new WeightInit.HeUniform(), rnd)) {
                assertThat(w.nnz()).isEqualTo(Math.round(density * 200 * 300));
                for (int r = 0; r < 200; r++) {
                    for (long k = w.rowStart(r) + 1; k < w.rowEnd(r); k++) assertThat(w.col(k)).isGreaterThan(w.col(k - 1));
                }
                double limit = Math.sqrt(6.0 / 300);
                for (long k = 0; k < w.nnz(); k++) assertThat(Math.abs(w.value(k))).isLessThanOrEqualTo((float) limit);
            }
        }
        // A very wide layer: cost follows connections, not cells (10^6 x 10^6 cells, 10^4 connections).
        try (CsrMatrix w = SparseInit.sample(1_000_000, 1_000_000, 1e-8, new WeightInit.Zero(), rnd)) {
            assertThat(w.nnz()).isEqualTo(10_000);
        }
    }

    @Test
    void sameSeedSameMatrix() {
        try (CsrMatrix a = SparseInit.sample(50, 60, 0.2, new WeightInit.Normal(0.1f), new RandomStream(9));
             CsrMatrix b = SparseInit.sample(50, 60, 0.2, new WeightInit.Normal(0.1f), new RandomStream(9))) {
            assertThat(b.nnz()).isEqualTo(a.nnz());
            for (long k = 0; k < a.nnz(); k++) {
                assertThat(b.col(k)).isEqualTo(a.col(k));
                assertThat(b.value(k)).isEqualTo(a.value(k));
            }
        }
    }
}
