package org.dst4j.nn.evolution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.dst4j.nn.init.SparseInit;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;

class EvolutionTest {

    /** SET's rule by brute force: sort each sign's entries by |w| (then position) and take the first round(zeta*count). */
    private static Set<Long> bruteForce(CsrMatrix w, double zeta, boolean signed) {
        List<Long> pos = new ArrayList<>(), neg = new ArrayList<>();
        Set<Long> removed = new HashSet<>();
        for (long k = 0; k < w.nnz(); k++) {
            float v = w.value(k);
            if (v == 0f) removed.add(k);
            else if (v > 0 || !signed) pos.add(k);
            else neg.add(k);
        }
        Comparator<Long> byMagnitude = Comparator.<Long>comparingDouble(k -> Math.abs(w.value(k))).thenComparingLong(k -> k);
        for (List<Long> side : List.of(pos, neg)) {
            side.sort(byMagnitude);
            long count = Math.round(zeta * side.size());
            for (int i = 0; i < count; i++) removed.add(side.get(i));
        }
        return removed;
    }

    @Test
    void pruneMatchesBruteForceIncludingTiesAndZeros() {
        RandomStream rnd = new RandomStream(1);
        for (int trial = 0; trial < 30; trial++) {
            int rows = 1 + rnd.nextInt(40), cols = 1 + rnd.nextInt(40);
            double density = trial % 5 == 0 ? 1.0 : rnd.nextDouble();
            // Quantized weights force many ties and some exact zeros.
            try (CsrMatrix w = SparseInit.sample(rows, cols, density, new WeightInit.Normal(1f), rnd); Arena a = Arena.ofConfined()) {
                for (long k = 0; k < w.nnz(); k++) w.setValue(k, Math.round(w.value(k) * 4) / 4f);
                for (double zeta : new double[] {0, 0.1, 0.3, 0.5, 1.0}) {
                    for (boolean signed : new boolean[] {true, false}) {
                        MagnitudePrune rule = signed ? MagnitudePrune.signed() : MagnitudePrune.global();
                        MemorySegment keep = a.allocate(Math.max(1, w.nnz()));
                        keep.fill((byte) 1);
                        long n = rule.prune(w, zeta, keep);
                        Set<Long> expected = bruteForce(w, zeta, signed);
                        Set<Long> actual = new HashSet<>();
                        for (long k = 0; k < w.nnz(); k++) if (keep.get(ValueLayout.JAVA_BYTE, k) == 0) actual.add(k);
                        assertThat(actual).as("trial %d zeta %s", trial, zeta).isEqualTo(expected);
                        assertThat(n).isEqualTo(expected.size());
                    }
                }
            }
        }
    }

    // A layer the two rules prune differently: a signed() that ranked across signs (MagnitudePrune.slot returning 0)
    // would prune as global() does.
    @Test
    void signedPruningRanksEachSignApartAndGlobalPruningAcrossThem() {
        // four positives of magnitude 1..4, one negative of magnitude 10: half of each sign, or half of all
        try (CsrMatrix w = CsrMatrix.fromCoo(1, 5, new int[5], new int[] {0, 1, 2, 3, 4}, new float[] {1f, 2f, -10f, 3f, 4f});
             Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(5);
            keep.fill((byte) 1);
            assertThat(MagnitudePrune.signed().prune(w, 0.5, keep)).isEqualTo(3);   // round(2) + round(0.5) = 2 + 1
            assertThat(keep.toArray(ValueLayout.JAVA_BYTE)).containsExactly(0, 0, 0, 1, 1);
            keep.fill((byte) 1);
            assertThat(MagnitudePrune.global().prune(w, 0.5, keep)).isEqualTo(3);   // round(2.5) = 3 smallest |w|
            assertThat(keep.toArray(ValueLayout.JAVA_BYTE)).containsExactly(0, 0, 1, 0, 1);
        }
    }

    // A NaN weight (a diverged update's) goes whatever the fraction, like an exact zero, and is not counted in the
    // fraction: ranked by its bits it would be the largest magnitude and never be pruned.
    @Test
    void aNaNWeightIsAlwaysPrunedAndNotCountedInTheFraction() {
        try (CsrMatrix w = CsrMatrix.fromCoo(1, 6, new int[6], new int[] {0, 1, 2, 3, 4, 5},
                new float[] {Float.NaN, 1f, -2f, 3f, -Float.NaN, 4f});
             Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(6);
            for (PruneRule rule : new PruneRule[] {MagnitudePrune.signed(), MagnitudePrune.global()}) {
                keep.fill((byte) 1);
                assertThat(rule.prune(w, 0, keep)).as(rule.toString()).isEqualTo(2);
                assertThat(keep.toArray(ValueLayout.JAVA_BYTE)).containsExactly(0, 1, 1, 1, 0, 1);
            }
            // global: round(0.5 * 4) = 2 of the four numbers (1 and -2), and both NaNs
            keep.fill((byte) 1);
            assertThat(MagnitudePrune.global().prune(w, 0.5, keep)).isEqualTo(4);
            assertThat(keep.toArray(ValueLayout.JAVA_BYTE)).containsExactly(0, 0, 0, 1, 0, 1);
            PruneRule networkWide = MagnitudePrune.networkWide();
            networkWide.beforeUpdate(List.of(w), 0.5);
            keep.fill((byte) 1);
            assertThat(networkWide.prune(w, 0.5, keep)).isEqualTo(4);
            assertThat(keep.toArray(ValueLayout.JAVA_BYTE)).containsExactly(0, 0, 0, 1, 0, 1);
        }
    }

    @Test
    void setEvolutionKeepsTheCountAndCreatesNoDuplicates() {
        RandomStream rnd = new RandomStream(2);
        for (double density : new double[] {0.01, 0.2, 0.9, 1.0}) {
            try (SparseLinear layer = new SparseLinear(SparseInit.sample(50, 70, density, new WeightInit.HeUniform(), rnd), Activation.relu())) {
                Sgd sgd = new Sgd(0.9f, 0f);
                layer.attach(sgd);
                CsrMatrix w = layer.weights();
                for (long k = 0; k < w.nnz(); k++) w.side(Sgd.VELOCITY).setAtIndex(ValueLayout.JAVA_FLOAT, k, 1f + k);
                long before = w.nnz();
                TopologyEvolution evo = TopologyEvolution.set(0.3, new WeightInit.HeUniform());
                for (int round = 0; round < 5; round++) {
                    Map<Long, Float> velocityOf = new HashMap<>();
                    for (int r = 0; r < w.rows(); r++) {
                        for (long k = w.rowStart(r); k < w.rowEnd(r); k++) {
                            velocityOf.put((long) r * w.cols() + w.col(k), w.side(Sgd.VELOCITY).getAtIndex(ValueLayout.JAVA_FLOAT, k));
                        }
                    }
                    TopologyEvolution.Report rep = evo.evolve(layer, 0.3, rnd);
                    assertThat(w.nnz()).isEqualTo(before);
                    assertThat(rep.grown()).isEqualTo(rep.pruned());
                    int newOnes = 0;
                    for (int r = 0; r < w.rows(); r++) {
                        for (long k = w.rowStart(r); k < w.rowEnd(r); k++) {
                            if (k > w.rowStart(r)) assertThat(w.col(k)).isGreaterThan(w.col(k - 1));
                            float v = w.side(Sgd.VELOCITY).getAtIndex(ValueLayout.JAVA_FLOAT, k);
                            Float old = velocityOf.get((long) r * w.cols() + w.col(k));
                            // Survivors keep momentum; new connections start at zero.
                            if (v == 0f) newOnes++;
                            else assertThat(v).isEqualTo(old);
                        }
                    }
                    if (density < 1.0) assertThat(newOnes).isGreaterThan(0);
                }
            }
        }
    }

    /**
     * SET regrows at weights drawn by the evolution's init: every new connection's weight is non-zero,
     * the weights are distinct, lie within the init's bound (He-uniform sqrt(6/fanIn), Xavier-uniform
     * sqrt(6/(fanIn+fanOut)), fan-in the layer's input width) and reach close to it; the same seed
     * regrows the same connections at the same weights, another seed does not.
     */
    @Test
    void regrownWeightsAreDrawsOfTheInitAndFollowTheSeed() {
        int out = 50, in = 70;
        for (WeightInit init : new WeightInit[] {new WeightInit.HeUniform(), new WeightInit.XavierUniform()}) {
            double limit = init instanceof WeightInit.HeUniform ? Math.sqrt(6.0 / in) : Math.sqrt(6.0 / (in + out));
            Regrown first = regrow(init, 8), again = regrow(init, 8), other = regrow(init, 9);
            float[] values = first.values();
            assertThat(values.length).as(init + " regrown").isGreaterThan(200);
            Set<Float> distinct = new HashSet<>();
            float largest = 0;
            for (float v : values) {
                assertThat(v).as(init.toString()).isNotZero();
                assertThat((double) Math.abs(v)).as(init.toString()).isLessThanOrEqualTo(limit);
                distinct.add(v);
                largest = Math.max(largest, Math.abs(v));
            }
            assertThat(distinct).as(init + " distinct").hasSize(values.length);
            // over 200 uniform draws, one beyond 0.9 of the bound is all but certain (1 - 0.9^200)
            assertThat((double) largest).as(init.toString()).isGreaterThan(0.9 * limit);
            assertThat(again.keys()).as(init + " same seed").isEqualTo(first.keys());
            assertThat(again.values()).as(init + " same seed").isEqualTo(values);
            assertThat(other.values()).as(init + " another seed").isNotEqualTo(values);
        }
    }

    /** New connections' positions ({@code row * cols + col}, ascending) and weights. */
    private record Regrown(long[] keys, float[] values) {}

    // One SET evolution (zeta 0.3) of a fixed 50x70 layer at density 0.2, its randomness seeded by `seed`.
    private static Regrown regrow(WeightInit init, long seed) {
        try (SparseLinear layer = new SparseLinear(SparseInit.sample(50, 70, 0.2, new WeightInit.Normal(1f), new RandomStream(7)), Activation.relu())) {
            Sgd sgd = new Sgd(0.9f, 0f);
            layer.attach(sgd);
            CsrMatrix w = layer.weights();
            // survivors keep their (non-zero) velocity; new connections start at zero, which marks them
            for (long k = 0; k < w.nnz(); k++) w.side(Sgd.VELOCITY).setAtIndex(ValueLayout.JAVA_FLOAT, k, 1f);
            TopologyEvolution.Report rep = TopologyEvolution.set(0.3, init).evolve(layer, 0.3, new RandomStream(seed));
            List<Long> keys = new ArrayList<>();
            List<Float> values = new ArrayList<>();
            for (int r = 0; r < w.rows(); r++) {
                for (long k = w.rowStart(r); k < w.rowEnd(r); k++) {
                    if (w.side(Sgd.VELOCITY).getAtIndex(ValueLayout.JAVA_FLOAT, k) == 0f) {
                        keys.add((long) r * w.cols() + w.col(k));
                        values.add(w.value(k));
                    }
                }
            }
            assertThat((long) keys.size()).isEqualTo(rep.grown());
            float[] v = new float[values.size()];
            for (int i = 0; i < v.length; i++) v[i] = values.get(i);
            return new Regrown(keys.stream().mapToLong(Long::longValue).toArray(), v);
        }
    }

    @Test
    void growthNeverTouchesSurvivorsAndFillsAFullLayerExactly() {
        RandomStream rnd = new RandomStream(3);
        try (CsrMatrix w = SparseInit.sample(10, 10, 1.0, new WeightInit.Normal(1f), rnd); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(w.nnz());
            keep.fill((byte) 1);
            for (long k = 0; k < w.nnz(); k += 4) keep.set(ValueLayout.JAVA_BYTE, k, (byte) 0);
            long freed = (w.nnz() + 3) / 4;
            GrowRule.Growth g = new RandomGrow().grow(w, keep, freed + 5, new WeightInit.Zero(), rnd, null);
            // Only the freed positions exist: the request is capped there.
            assertThat(g.count()).isEqualTo((int) freed);
            for (int i = 0; i < g.count(); i++) {
                long key = g.keys()[i];
                long k = key; // in a full 10x10 layer, position == key
                assertThat(keep.get(ValueLayout.JAVA_BYTE, k)).isZero();
            }
        }
    }

    // A rows x cols matrix with weight 1 at each (row, col) of coo.
    private static CsrMatrix onesAt(int rows, int cols, List<int[]> coo) {
        int[] rr = coo.stream().mapToInt(e -> e[0]).toArray(), cc = coo.stream().mapToInt(e -> e[1]).toArray();
        float[] vv = new float[rr.length];
        Arrays.fill(vv, 1f);
        return CsrMatrix.fromCoo(rows, cols, rr, cc, vv);
    }

    @Test
    void randomGrowthIsUniformOverFreeCells() {
        // Rows with very different numbers of free cells: row 0 has 36 of 40 occupied, row 1 none, the rest some.
        int rows = 6, cols = 40;
        List<int[]> coo = new ArrayList<>();
        for (int c = 0; c < 36; c++) coo.add(new int[] {0, c});
        for (int r = 2; r < rows; r++) for (int c = r; c < cols; c += 3) coo.add(new int[] {r, c});
        try (CsrMatrix w = onesAt(rows, cols, coo); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(w.nnz());
            keep.fill((byte) 1);
            long freeCells = (long) rows * cols - w.nnz();
            long[] hits = new long[rows * cols];
            RandomStream rnd = new RandomStream(11);
            int trials = 20000, per = 12;
            for (int t = 0; t < trials; t++) {
                GrowRule.Growth g = new RandomGrow().grow(w, keep, per, new WeightInit.Zero(), rnd, null);
                assertThat(g.count()).isEqualTo(per);
                for (int i = 0; i < g.count(); i++) {
                    if (i > 0) assertThat(g.keys()[i]).isGreaterThan(g.keys()[i - 1]);
                    long key = g.keys()[i];
                    assertThat(w.indexOf((int) (key / cols), (int) (key % cols))).isNegative();
                    hits[(int) key]++;
                }
            }
            double expected = (double) trials * per / freeCells;
            // each free cell's count is ~binomial: within 5 standard deviations of the mean
            double sd = Math.sqrt(expected * (1 - (double) per / freeCells));
            for (int key = 0; key < hits.length; key++) {
                if (w.indexOf(key / cols, key % cols) >= 0) continue;
                assertThat((double) hits[key]).as("cell " + key).isBetween(expected - 5 * sd, expected + 5 * sd);
            }
        }
    }

    /**
     * A nearly dense layer (fewer than 1/8 of its cells free) takes RandomGrow's enumerating path: it
     * must choose only free cells (absent from the CSR, or pruned in this step), uniformly (each cell's
     * count within 5 standard deviations of its binomial mean, and a chi-square over all free cells well
     * below what 'take the first free cells' gives), and fill a request beyond the free cells with
     * exactly them.
     */
    @Test
    void nearlyDenseRandomGrowthIsUniformOverFreeCells() {
        int rows = 8, cols = 40;
        // Free cells unevenly spread: 24 cells absent (10 in row 0, none in row 1, one in row 2, 2 or 3 in
        // the others) and 8 stored connections pruned (keep 0; three in row 1): 32 free of 320 cells.
        Set<Integer> absent = new TreeSet<>();
        for (int c = 0; c < 10; c++) absent.add(c * 4);
        absent.add(2 * cols + 39);
        for (int r = 3; r < rows; r++) for (int c = r; c < cols; c += r < 6 ? 15 : 17) absent.add(r * cols + c);
        List<int[]> coo = new ArrayList<>();
        for (int key = 0; key < rows * cols; key++) if (!absent.contains(key)) coo.add(new int[] {key / cols, key % cols});
        try (CsrMatrix w = onesAt(rows, cols, coo); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(w.nnz());
            keep.fill((byte) 1);
            Set<Long> free = new HashSet<>();
            for (int key : absent) free.add((long) key);
            for (int[] rc : new int[][] {{0, 1}, {1, 5}, {1, 17}, {1, 33}, {4, 0}, {6, 20}, {7, 2}, {7, 30}}) {
                long k = w.indexOf(rc[0], rc[1]);
                assertThat(k).isNotNegative();
                keep.set(ValueLayout.JAVA_BYTE, k, (byte) 0);
                free.add((long) rc[0] * cols + rc[1]);
            }
            assertThat(free).hasSize(32);
            long cells = (long) rows * cols;
            assertThat(free.size() * 8L).as("the enumerating path's condition").isLessThan(cells);

            RandomStream rnd = new RandomStream(12);
            GrowRule.Growth all = new RandomGrow().grow(w, keep, free.size() + 5, new WeightInit.Zero(), rnd, null);
            assertThat(all.count()).isEqualTo(free.size());
            Set<Long> got = new HashSet<>();
            for (int i = 0; i < all.count(); i++) got.add(all.keys()[i]);
            assertThat(got).isEqualTo(free);

            long[] hits = new long[(int) cells];
            int trials = 20000, per = 6;
            for (int t = 0; t < trials; t++) {
                GrowRule.Growth g = new RandomGrow().grow(w, keep, per, new WeightInit.Zero(), rnd, null);
                assertThat(g.count()).isEqualTo(per);
                for (int i = 0; i < g.count(); i++) {
                    if (i > 0) assertThat(g.keys()[i]).isGreaterThan(g.keys()[i - 1]);
                    assertThat(free).as("trial " + t).contains(g.keys()[i]);
                    hits[(int) g.keys()[i]]++;
                }
            }
            double p = (double) per / free.size(), expected = (double) trials * p;
            double sd = Math.sqrt(expected * (1 - p)), chi2 = 0;
            for (long key : free) {
                assertThat((double) hits[(int) key]).as("cell " + key).isBetween(expected - 5 * sd, expected + 5 * sd);
                chi2 += Math.pow(hits[(int) key] - expected, 2) / (expected * (1 - p));
            }
            // ~chi-square with 31 degrees of freedom (mean 31, sd ~8); 'the first 6 free cells' gives ~100000
            assertThat(chi2).as("chi-square").isLessThan(100);
        }
    }
    /**
     * RandomGrow's enumerating path walks each row's entries beside its columns: a free cell past a row's last
     * entry must not be checked against the next row's first entry. Here row 0 is free at column 1 and row 1
     * holds column 1 as its first entry (its column 0 free), the other rows full: 2 free cells of 20, so the
     * layer is nearly dense. Both must grow, and nothing else.
     */
    @Test
    void aNearlyDenseLayersFreeCellPastARowsLastEntryGrows() {
        List<int[]> coo = new ArrayList<>();
        coo.add(new int[] {0, 0});
        coo.add(new int[] {1, 1});
        for (int r = 2; r < 10; r++) for (int c = 0; c < 2; c++) coo.add(new int[] {r, c});
        try (CsrMatrix w = onesAt(10, 2, coo); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(w.nnz());
            keep.fill((byte) 1);
            assertThat(2 * 8L).as("the enumerating path's condition").isLessThan(20);
            for (long count : new long[] {2, 5}) {
                GrowRule.Growth g = new RandomGrow().grow(w, keep, count, new WeightInit.Zero(), new RandomStream(5), null);
                assertThat(g.count()).isEqualTo(2);
                assertThat(Arrays.copyOf(g.keys(), g.count())).as("count %d", count).containsExactly(1L, 2L);
            }
        }
    }

    // A grow rule of someone else's that miscounts is named when it builds its Growth, before any rewiring: the layer
    // is not left with entries in the wrong rows.
    @Test
    void aGrowthShorterThanItsCountIsRefusedAndTheLayerStaysAsItWas() {
        try (SparseLinear layer = new SparseLinear(CsrMatrix.fromCoo(2, 4, new int[] {0, 0, 1, 1}, new int[] {0, 1, 2, 3},
                new float[] {1f, -0.1f, 0.05f, 2f}), Activation.linear())) {
            GrowRule miscounting = (w, keep, count, init, rnd, g) -> new GrowRule.Growth(new long[] {2, 5}, new float[] {0.5f}, 2);
            TopologyEvolution evo = new TopologyEvolution(MagnitudePrune.global(), miscounting, EvolutionSchedule.everyEpoch(0.5),
                    new WeightInit.Zero());
            assertThatThrownBy(() -> evo.evolve(layer, 0.5, new RandomStream(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 keys and 1 values");
            CsrMatrix w = layer.weights();
            assertThat(w.nnz()).isEqualTo(4);
            assertThat(new float[] {w.get(0, 0), w.get(0, 1), w.get(1, 2), w.get(1, 3)}).containsExactly(1f, -0.1f, 0.05f, 2f);
        }
    }

    @Test
    void regrowthScalesHowManyComeBack() {
        for (double share : new double[] {0, 0.5, 1, 1.5}) {
            try (SparseLinear layer = new SparseLinear(SparseInit.sample(30, 40, 0.2, new WeightInit.Normal(1f), new RandomStream(3)),
                    Activation.relu())) {
                long before = layer.connections();
                TopologyEvolution.Report r = TopologyEvolution.set(0.3, new WeightInit.HeUniform()).evolve(layer, 0.3, share, new RandomStream(4), null);
                assertThat(r.grown()).as("share %s", share).isEqualTo(Math.round(r.pruned() * share));
                assertThat(r.connections()).isEqualTo(before - r.pruned() + r.grown()).isEqualTo(layer.connections());
            }
        }
        try (SparseLinear layer = new SparseLinear(SparseInit.sample(3, 4, 0.5, new WeightInit.Normal(1f), new RandomStream(3)), Activation.relu())) {
            for (double bad : new double[] {-0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
                assertThatThrownBy(() -> TopologyEvolution.set(0.3, new WeightInit.Zero()).evolve(layer, 0.3, bad, new RandomStream(4), null))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("regrowth");
            }
        }
    }

    // Kept, a null part would fail only when first used: in a Trainer, a null schedule after the run's first step.
    @Test
    void anEvolutionWithANullPartIsRefusedWhenBuiltNamingIt() {
        PruneRule prune = MagnitudePrune.global();
        GrowRule grow = new RandomGrow();
        EvolutionSchedule schedule = EvolutionSchedule.everyEpoch(0.3);
        WeightInit init = new WeightInit.Zero();
        assertThatThrownBy(() -> new TopologyEvolution(null, grow, schedule, init)).isInstanceOf(NullPointerException.class).hasMessage("prune");
        assertThatThrownBy(() -> new TopologyEvolution(prune, null, schedule, init)).isInstanceOf(NullPointerException.class).hasMessage("grow");
        assertThatThrownBy(() -> new TopologyEvolution(prune, grow, null, init)).isInstanceOf(NullPointerException.class).hasMessage("schedule");
        assertThatThrownBy(() -> new TopologyEvolution(prune, grow, schedule, null)).isInstanceOf(NullPointerException.class).hasMessage("init");
    }

    /**
     * {@link PruneRule#prune} promises its rule a fraction in [0, 1]: a custom schedule's -0.1, 1.5 or NaN is refused
     * before a custom rule sees it (this one would write out of bounds into {@code keep}, or do nothing).
     */
    @Test
    void aFractionOutsideZeroToOneIsRefusedBeforeTheRuleSeesIt() {
        List<Double> seen = new ArrayList<>();
        PruneRule firstEntries = (w, fraction, keep) -> {
            seen.add(fraction);
            long n = Math.round(fraction * w.nnz());
            for (long k = 0; k < n; k++) keep.set(ValueLayout.JAVA_BYTE, k, (byte) 0);
            return n;
        };
        TopologyEvolution evo = new TopologyEvolution(firstEntries, new RandomGrow(), EvolutionSchedule.everyEpoch(0.3), new WeightInit.Zero());
        try (SparseLinear layer = new SparseLinear(SparseInit.sample(3, 4, 0.5, new WeightInit.Normal(1f), new RandomStream(3)), Activation.relu())) {
            long before = layer.connections();
            for (double bad : new double[] {-0.1, 1.5, Double.NaN}) {
                assertThatThrownBy(() -> evo.evolve(layer, bad, 1, new RandomStream(4), null))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prune fraction must be in [0, 1], got " + bad);
            }
            assertThat(seen).isEmpty();
            assertThat(layer.connections()).isEqualTo(before);
            // both ends of [0, 1] are fractions, for an update and for each layer's evolve
            for (double end : new double[] {0, 1}) evo.beforeUpdate(List.of(layer), end);
            assertThatThrownBy(() -> evo.beforeUpdate(List.of(layer), 1.5)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("prune fraction must be in [0, 1], got 1.5");
            assertThat(evo.evolve(layer, 0, 1, new RandomStream(4), null).pruned()).isZero();
            assertThat(layer.connections()).isEqualTo(before);
            assertThat(evo.evolve(layer, 1, 0, new RandomStream(4), null).pruned()).isEqualTo(before);
        }
    }

    @Test
    void aRuleThatMiscountsIsNamedBeforeTheLayerChanges() {
        // A prune rule returning fewer than it marked, or a grow rule returning more than asked, would move the
        // layer's density silently and make its report wrong.
        PruneRule saysOneMarksTwo = (w, fraction, keep) -> {
            keep.set(ValueLayout.JAVA_BYTE, 0, (byte) 0);
            keep.set(ValueLayout.JAVA_BYTE, 1, (byte) 0);
            return 1;
        };
        PruneRule marksOne = (w, fraction, keep) -> {
            keep.set(ValueLayout.JAVA_BYTE, w.nnz() - 1, (byte) 0);
            return 1;
        };
        GrowRule growsTwo = (w, keep, count, init, rnd, gradient) -> {
            // two free positions of the 3 x 20 layer: row 0's columns not in use
            long[] keys = new long[2];
            int found = 0;
            for (int c = 0; c < w.cols() && found < 2; c++) {
                boolean used = false;
                for (long k = w.rowStart(0); k < w.rowEnd(0); k++) used |= w.col(k) == c;
                if (!used) keys[found++] = c;
            }
            return new GrowRule.Growth(keys, new float[2], 2, 0);
        };
        try (SparseLinear layer = new SparseLinear(SparseInit.sample(3, 20, 0.3, new WeightInit.Normal(1f), new RandomStream(3)), Activation.relu())) {
            long before = layer.connections();
            TopologyEvolution miscounted = new TopologyEvolution(saysOneMarksTwo, new RandomGrow(), EvolutionSchedule.everyEpoch(0.3), new WeightInit.Zero());
            assertThatThrownBy(() -> miscounted.evolve(layer, 0.3, 1, new RandomStream(4), null)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("returned 1 but marked 2");
            TopologyEvolution overgrown = new TopologyEvolution(marksOne, growsTwo, EvolutionSchedule.everyEpoch(0.3), new WeightInit.Zero());
            assertThatThrownBy(() -> overgrown.evolve(layer, 0.3, 1, new RandomStream(4), null)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("grew 2 connections, asked for 1");
            assertThat(layer.connections()).isEqualTo(before);
            // Honest rules still evolve: 1 out, 1 in.
            assertThat(new TopologyEvolution(marksOne, new RandomGrow(), EvolutionSchedule.everyEpoch(0.3), new WeightInit.Zero())
                    .evolve(layer, 0.3, 1, new RandomStream(4), null).grown()).isEqualTo(1);
            assertThat(layer.connections()).isEqualTo(before);
        }
    }
}
