package org.dst4j.nn.evolution;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.dst4j.nn.init.SparseInit;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;

/**
 * Random growth confined to a {@link GrowthRegion}, checked against a brute force over every cell, and
 * the region itself ({@link GradientGrowTest} checks gradient growth in regions).
 */
class GrowthRegionTest {

    /** A layer whose rows are of every kind: empty, full, and partly filled at random. */
    static CsrMatrix layer(int rows, int cols, RandomStream rnd) {
        List<Integer> rr = new ArrayList<>(), cc = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            int kind = rnd.nextInt(4);
            double density = kind == 0 ? 0 : kind == 1 ? 1 : rnd.nextDouble();
            for (int c = 0; c < cols; c++) {
                if (rnd.nextDouble() < density) {
                    rr.add(r);
                    cc.add(c);
                }
            }
        }
        float[] v = new float[rr.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        return CsrMatrix.fromCoo(rows, cols, rr.stream().mapToInt(x -> x).toArray(), cc.stream().mapToInt(x -> x).toArray(), v);
    }

    // Each entry pruned (keep 0) with probability `pruned`.
    static MemorySegment keep(CsrMatrix w, double pruned, RandomStream rnd, Arena a) {
        MemorySegment keep = a.allocate(Math.max(1, w.nnz()));
        keep.fill((byte) 1);
        for (long k = 0; k < w.nnz(); k++) if (rnd.nextDouble() < pruned) keep.set(JAVA_BYTE, k, (byte) 0);
        return keep;
    }

    // Some of [0, n): none, one, all listed, or a random part; null: no restriction.
    static int[] someOf(int n, RandomStream rnd) {
        int kind = rnd.nextInt(6);
        if (kind == 0) return null;
        if (kind == 1) return new int[0];
        if (kind == 2) return new int[] {rnd.nextInt(n)};
        if (kind == 3) return IntStream.range(0, n).toArray();
        return IntStream.range(0, n).filter(i -> rnd.nextDouble() < 0.4).toArray();
    }

    static GrowthRegion region(int[] outputs, int[] inputs) {
        if (outputs == null) return inputs == null ? GrowthRegion.all() : GrowthRegion.inputs(inputs);
        return inputs == null ? GrowthRegion.outputs(outputs) : GrowthRegion.of(outputs, inputs);
    }

    private static boolean allows(int[] listed, int i) {
        if (listed == null) return true;
        for (int x : listed) if (x == i) return true;
        return false;
    }

    /** Every free cell of the region, as packed keys, ascending. */
    static long[] freeCells(CsrMatrix w, MemorySegment keep, int[] outputs, int[] inputs) {
        TreeSet<Long> free = new TreeSet<>();
        for (int r = 0; r < w.rows(); r++) {
            if (!allows(outputs, r)) continue;
            for (int c = 0; c < w.cols(); c++) {
                if (!allows(inputs, c)) continue;
                long k = w.indexOf(r, c);
                if (k < 0 || keep.get(JAVA_BYTE, k) == 0) free.add((long) r * w.cols() + c);
            }
        }
        return free.stream().mapToLong(x -> x).toArray();
    }

    @Test
    void randomGrowthTakesOnlyFreeCellsOfTheRegionAndAllOfThemWhenAskedForMore() {
        RandomStream rnd = new RandomStream(21);
        for (int trial = 0; trial < 300; trial++) {
            int rows = 1 + rnd.nextInt(23), cols = 1 + rnd.nextInt(37);
            int[] outputs = someOf(rows, rnd), inputs = someOf(cols, rnd);
            GrowthRegion region = region(outputs, inputs);
            // every third layer nearly full: fewer than 1/8 of the region free takes the enumerating path
            boolean full = trial % 3 == 0;
            try (CsrMatrix w = full ? SparseInit.sample(rows, cols, 1.0, new WeightInit.Normal(1f), rnd) : layer(rows, cols, rnd);
                 Arena a = Arena.ofConfined()) {
                MemorySegment keep = keep(w, full ? 0.05 : rnd.nextDouble(), rnd, a);
                long[] free = freeCells(w, keep, outputs, inputs);
                int count = rnd.nextInt(free.length + 3);
                GrowRule.Growth g = RandomGrow.within(x -> region).grow(w, keep, count, new WeightInit.Zero(), rnd, null);
                String what = "trial " + trial + ", " + rows + "x" + cols + ", " + region;
                assertThat(g.count()).as(what).isEqualTo(Math.min(count, free.length));
                long[] keys = Arrays.copyOf(g.keys(), g.count());
                for (int i = 1; i < keys.length; i++) assertThat(keys[i]).as(what).isGreaterThan(keys[i - 1]);
                for (long key : keys) assertThat(Arrays.binarySearch(free, key)).as(what + ", key " + key).isNotNegative();
                // asked for every free cell of the region (or more): exactly those
                if (count >= free.length) assertThat(keys).as(what).isEqualTo(free);
            }
        }
    }

    /**
     * Draws of 3 cells among the free cells of a region must give every set of 3 equally often, which
     * per-cell counts alone would not show. First a region of 6 free cells in 15 (rows 1 and 3 with 3
     * free columns each, one of row 3's a connection pruned in this step; row 4 full; rows 0 and 2 and
     * column 0, 1 and 5 outside), on the sampler by rows; then one of 9 free cells in 80 (under 1/8),
     * on the enumerating path.
     */
    @Test
    void randomGrowthIsUniformOverTheSetsOfFreeCellsOfTheRegion() {
        int rows = 5, cols = 8;
        int[][] coo = {{0, 0}, {0, 2}, {1, 0}, {1, 1}, {1, 4}, {1, 5}, {1, 7}, {2, 3}, {3, 2}, {3, 4}, {3, 6},
                {4, 0}, {4, 1}, {4, 2}, {4, 3}, {4, 4}, {4, 5}, {4, 6}, {4, 7}};
        int[] rr = Arrays.stream(coo).mapToInt(e -> e[0]).toArray(), cc = Arrays.stream(coo).mapToInt(e -> e[1]).toArray();
        try (CsrMatrix w = CsrMatrix.fromCoo(rows, cols, rr, cc, new float[coo.length]); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(w.nnz());
            keep.fill((byte) 1);
            keep.set(JAVA_BYTE, w.indexOf(3, 4), (byte) 0);
            int[] outputs = {1, 3, 4}, inputs = {2, 3, 4, 6, 7};
            long[] free = freeCells(w, keep, outputs, inputs);
            assertThat(free).containsExactly(1 * cols + 2, 1 * cols + 3, 1 * cols + 6, 3 * cols + 3, 3 * cols + 4, 3 * cols + 7);
            assertUniformOverSets(w, keep, GrowthRegion.of(outputs, inputs), free, 3, 20, 13);
        }
        try (CsrMatrix w = SparseInit.sample(12, 9, 1.0, new WeightInit.Normal(1f), new RandomStream(4)); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(w.nnz());
            keep.fill((byte) 1);
            for (int[] rc : new int[][] {{0, 0}, {2, 1}, {2, 7}, {3, 3}, {5, 5}, {5, 6}, {7, 1}, {9, 8}, {10, 2}, {11, 4}, {1, 0}}) {
                keep.set(JAVA_BYTE, w.indexOf(rc[0], rc[1]), (byte) 0);
            }
            int[] outputs = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, inputs = {1, 2, 3, 4, 5, 6, 7, 8};
            long[] free = freeCells(w, keep, outputs, inputs);
            assertThat(free).hasSize(9);
            assertThat(free.length * 8L).as("the enumerating path's condition").isLessThan((long) outputs.length * inputs.length);
            assertUniformOverSets(w, keep, GrowthRegion.of(outputs, inputs), free, 3, 84, 14);
        }
    }

    // Draws `per` cells 1000 times per set; each of the `sets` sets of free cells comes up about equally often.
    private static void assertUniformOverSets(CsrMatrix w, MemorySegment keep, GrowthRegion region, long[] free, int per, int sets, long seed) {
        RandomGrow grow = RandomGrow.within(x -> region);
        RandomStream rnd = new RandomStream(seed);
        Map<String, Integer> seen = new HashMap<>();
        int trials = 1000 * sets;
        for (int t = 0; t < trials; t++) {
            GrowRule.Growth g = grow.grow(w, keep, per, new WeightInit.Zero(), rnd, null);
            long[] keys = Arrays.copyOf(g.keys(), g.count());
            assertThat(keys).hasSize(per);
            for (long key : keys) assertThat(Arrays.binarySearch(free, key)).as("key %d", key).isNotNegative();
            seen.merge(Arrays.toString(keys), 1, Integer::sum);
        }
        assertThat(seen).as("every set of %d of the %d free cells", per, free.length).hasSize(sets);
        double expected = 1000, chi2 = 0;
        for (int n : seen.values()) chi2 += (n - expected) * (n - expected) / expected;
        // chi-square with sets - 1 degrees of freedom: below its mean + 6 sd
        int df = sets - 1;
        assertThat(chi2).as("chi-square over the %d sets", sets).isLessThan(df + 6 * Math.sqrt(2 * df));
    }

    /** Every cell of a layer's region, each free cell's count within 5 sd of its mean, on both of the sampler's paths. */
    @Test
    void randomGrowthCountsEveryFreeCellOfTheRegionEquallyOften() {
        int rows = 9, cols = 31;
        RandomStream rnd = new RandomStream(8);
        try (CsrMatrix w = layer(rows, cols, rnd); Arena a = Arena.ofConfined()) {
            MemorySegment keep = keep(w, 0.3, rnd, a);
            int[] outputs = {0, 2, 3, 5, 6, 8}, inputs = {1, 4, 5, 9, 11, 12, 17, 20, 23, 29, 30};
            long[] free = freeCells(w, keep, outputs, inputs);
            assertThat(free.length).isGreaterThan(10);
            RandomGrow grow = RandomGrow.within(x -> GrowthRegion.of(outputs, inputs));
            Map<Long, Integer> hits = new HashMap<>();
            int trials = 20_000, per = 5;
            for (int t = 0; t < trials; t++) {
                GrowRule.Growth g = grow.grow(w, keep, per, new WeightInit.Zero(), rnd, null);
                for (int i = 0; i < g.count(); i++) hits.merge(g.keys()[i], 1, Integer::sum);
            }
            assertThat(hits.keySet()).containsExactlyInAnyOrder(Arrays.stream(free).boxed().toArray(Long[]::new));
            double p = (double) per / free.length, expected = trials * p, sd = Math.sqrt(expected * (1 - p));
            for (long key : free) assertThat((double) hits.get(key)).as("cell %d", key).isBetween(expected - 5 * sd, expected + 5 * sd);
        }
    }

    /**
     * A region that names every row and column goes through the region's look-ups, yet must draw
     * exactly as {@code new RandomGrow()}: same cells, same weights, same state of the stream after.
     */
    @Test
    void aRegionOfTheWholeLayerDrawsExactlyAsUnrestrictedRandomGrowth() {
        RandomStream shapes = new RandomStream(31);
        for (int trial = 0; trial < 60; trial++) {
            int rows = 1 + shapes.nextInt(30), cols = 1 + shapes.nextInt(30);
            int[] every = IntStream.range(0, Math.max(rows, cols)).toArray();
            boolean full = trial % 3 == 0; // the enumerating path too
            try (CsrMatrix w = full ? SparseInit.sample(rows, cols, 1.0, new WeightInit.Normal(1f), shapes) : layer(rows, cols, shapes);
                 Arena a = Arena.ofConfined()) {
                MemorySegment keep = keep(w, full ? 0.02 + 0.1 * shapes.nextDouble() : shapes.nextDouble(), shapes, a);
                long count = shapes.nextInt(rows * cols + 1);
                GrowthRegion whole = GrowthRegion.of(Arrays.copyOf(every, rows), Arrays.copyOf(every, cols));
                RandomStream r1 = new RandomStream(trial), r2 = new RandomStream(trial);
                GrowRule.Growth plain = new RandomGrow().grow(w, keep, count, new WeightInit.HeUniform(), r1, null);
                GrowRule.Growth listed = RandomGrow.within(x -> whole).grow(w, keep, count, new WeightInit.HeUniform(), r2, null);
                assertThat(listed.keys()).as("trial %d", trial).isEqualTo(plain.keys());
                assertThat(listed.values()).isEqualTo(plain.values());
                assertThat(r2.nextLong()).isEqualTo(r1.nextLong());
            }
        }
    }

    @Test
    void eachLayerGetsItsOwnRegionByTheIdentityOfItsWeights() {
        try (CsrMatrix first = SparseInit.sample(6, 10, 0.2, new WeightInit.Zero(), new RandomStream(1));
             CsrMatrix second = SparseInit.sample(6, 10, 0.2, new WeightInit.Zero(), new RandomStream(2));
             Arena a = Arena.ofConfined()) {
            GrowthRegion left = GrowthRegion.inputs(0, 1, 2);
            Function<CsrMatrix, GrowthRegion> regions = w -> w == first ? left : GrowthRegion.all();
            MemorySegment keep = a.allocate(Math.max(first.nnz(), second.nnz()));
            keep.fill((byte) 1);
            long[] inFirst = RandomGrow.within(regions).grow(first, keep, 15, new WeightInit.Zero(), new RandomStream(3), null).keys();
            assertThat(Arrays.stream(inFirst).allMatch(key -> key % 10 < 3)).isTrue();
            long[] inSecond = RandomGrow.within(regions).grow(second, keep, 40, new WeightInit.Zero(), new RandomStream(3), null).keys();
            assertThat(Arrays.stream(inSecond).anyMatch(key -> key % 10 >= 3)).isTrue();
        }
    }

    @Test
    void aRegionForAnotherLayerOrNoneAtAllIsRefused() {
        try (CsrMatrix w = SparseInit.sample(4, 5, 0.5, new WeightInit.Zero(), new RandomStream(1)); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(Math.max(1, w.nnz()));
            keep.fill((byte) 1);
            assertThatThrownBy(() -> RandomGrow.within(x -> GrowthRegion.inputs(2, 5)).grow(w, keep, 1, new WeightInit.Zero(), new RandomStream(1), null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("growth region GrowthRegion[outputs all, inputs [2, 5]] does not fit a layer of 4 outputs x 5 inputs");
            assertThatThrownBy(() -> RandomGrow.within(x -> GrowthRegion.outputs(4)).grow(w, keep, 1, new WeightInit.Zero(), new RandomStream(1), null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit");
            assertThatThrownBy(() -> RandomGrow.within(x -> null).grow(w, keep, 1, new WeightInit.Zero(), new RandomStream(1), null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("GrowthRegion.all()");
        }
        assertThatThrownBy(() -> GrowthRegion.inputs(3, -1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThat(GrowthRegion.of(new int[] {3, 1, 3}, new int[] {7, 7, 0}).outputs()).containsExactly(1, 3);
        assertThat(GrowthRegion.of(new int[] {3, 1, 3}, new int[] {7, 7, 0}).inputs()).containsExactly(0, 7);
        assertThat(GrowthRegion.all().inputs()).isNull();
        // the region a refusal names: up to 8 neurons listed, more counted with their range
        assertThat(GrowthRegion.of(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, IntStream.range(3, 12).toArray()))
                .hasToString("GrowthRegion[outputs [0, 1, 2, 3, 4, 5, 6, 7], inputs 9 of them, 3..11]");
    }
}
