package org.dst4j.nn.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
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

    // Each init's distribution by its moments and range (20,000 draws: a mean's deviation is under 0.01 of the scale).
    @Test
    void weightInitsDrawFromTheirDistributions() {
        RandomStream rnd = new RandomStream(11);
        int n = 20_000;
        double[] normal = new double[n], he = new double[n], xavier = new double[n];
        for (int i = 0; i < n; i++) {
            normal[i] = new WeightInit.Normal(0.1f).sample(rnd, 6, 3);
            he[i] = new WeightInit.HeUniform().sample(rnd, 6, 3); // limit sqrt(6 / 6) = 1
            xavier[i] = new WeightInit.XavierUniform().sample(rnd, 20, 4); // limit sqrt(6 / 24) = 0.5
            assertThat(new WeightInit.Zero().sample(rnd, 6, 3)).isZero();
        }
        assertThat(mean(normal)).isCloseTo(0, within(0.003));
        assertThat(Math.sqrt(meanSquare(normal))).isCloseTo(0.1, within(0.003));
        for (double[] u : new double[][] {he, xavier}) assertThat(mean(u)).isCloseTo(0, within(0.015));
        for (double v : he) assertThat(v).isStrictlyBetween(-1.0, 1.0);
        assertThat(Arrays.stream(he).max().orElseThrow()).isGreaterThan(0.99);
        assertThat(Arrays.stream(he).min().orElseThrow()).isLessThan(-0.99);
        for (double v : xavier) assertThat(v).isStrictlyBetween(-0.5, 0.5);
        assertThat(Math.sqrt(meanSquare(xavier))).isCloseTo(0.5 / Math.sqrt(3), within(0.005)); // U(-a, a): a / sqrt(3)
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElseThrow();
    }

    private static double meanSquare(double[] v) {
        return Arrays.stream(v).map(x -> x * x).average().orElseThrow();
    }

    @Test
    void weightInitNamesAreParsedAndAnUnusableStdIsRefused() {
        assertThat(WeightInit.parse("he-uniform")).isEqualTo(new WeightInit.HeUniform());
        assertThat(WeightInit.parse("he")).isEqualTo(new WeightInit.HeUniform());
        assertThat(WeightInit.parse("xavier-uniform")).isEqualTo(new WeightInit.XavierUniform());
        assertThat(WeightInit.parse("xavier")).isEqualTo(new WeightInit.XavierUniform());
        assertThat(WeightInit.parse("zero")).isEqualTo(new WeightInit.Zero());
        assertThat(WeightInit.parse("normal:0.25")).isEqualTo(new WeightInit.Normal(0.25f));
        assertThat(WeightInit.parse("normal:0")).isEqualTo(new WeightInit.Normal(0f));
        for (String bad : new String[] {"normal:-0.1", "normal:NaN", "normal:Infinity"}) {
            assertThatThrownBy(() -> WeightInit.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("expected normal:<std> with a finite std >= 0, got '" + bad + "'");
        }
        assertThatThrownBy(() -> WeightInit.parse("normal:x")).hasMessage("bad std in 'normal:x'; expected normal:<number>");
        assertThatThrownBy(() -> WeightInit.parse("uniform")).hasMessageStartingWith("unknown weight init 'uniform'");
        assertThatThrownBy(() -> WeightInit.parse(null)).isInstanceOf(NullPointerException.class).hasMessage("weight init");
    }

    // MlpConfig takes a WeightInit, not only its name: a Normal built directly must be held to what parse refuses.
    @Test
    void aNormalInitBuiltDirectlyRefusesAnUnusableStd() {
        for (float bad : new float[] {-0.1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> new WeightInit.Normal(bad)).as("" + bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("normal init: std must be finite and >= 0, got " + bad);
        }
        assertThat(new WeightInit.Normal(0f).std()).isZero();
    }

    // The densities' ranges at their edges: 0 and 1 are a layer's (empty, full), epsilon and a global density must be > 0.
    @Test
    void densitiesAreCheckedAtTheirEdges() {
        assertThat(new Density.Uniform(0).densities(new int[] {4, 5, 6})).containsExactly(0, 0);
        assertThat(new Density.Uniform(1).densities(new int[] {4, 5, 6})).containsExactly(1, 1);
        // at global density 1 every layer is full: 0.9999999999999999 for the second here, which rounds to all 30 cells
        double[] erk = new Density.Erk(1).densities(new int[] {4, 5, 6});
        assertThat(erk).containsExactly(new double[] {1, 1}, within(1e-12));
        assertThat(SparseInit.connections(5, 4, erk[0]) + SparseInit.connections(6, 5, erk[1])).isEqualTo(50);
        assertThat(new Density.ErdosRenyi(1e-9).epsilon()).isEqualTo(1e-9);
        for (double bad : new double[] {-0.01, 1.01, Double.NaN}) {
            assertThatThrownBy(() -> new Density.Uniform(bad)).hasMessage("density must be in [0, 1], got " + bad);
        }
        for (double bad : new double[] {0, 1.01, Double.NaN}) {
            assertThatThrownBy(() -> new Density.Erk(bad)).hasMessage("global density must be in (0, 1], got " + bad);
        }
        assertThatThrownBy(() -> new Density.ErdosRenyi(0)).hasMessage("epsilon must be > 0, got 0.0");
    }

    // A nearly dense layer: connections that drew a full row go to the next rows with room, so the layer still
    // gets exactly the connections asked for, each row's columns distinct.
    @Test
    void connectionsThatDrawAFullRowMoveToARowWithRoom() {
        for (int seed = 0; seed < 20; seed++) {
            try (CsrMatrix w = SparseInit.sample(3, 4, 11 / 12.0, new WeightInit.Zero(), new RandomStream(seed))) {
                assertThat(w.nnz()).isEqualTo(11);
                for (int r = 0; r < 3; r++) {
                    assertThat(w.rowEnd(r) - w.rowStart(r)).isBetween(3L, 4L);
                    for (long k = w.rowStart(r) + 1; k < w.rowEnd(r); k++) assertThat(w.col(k)).isGreaterThan(w.col(k - 1));
                }
            }
        }
    }
}
