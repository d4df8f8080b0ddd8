package org.dst4j.nn.evolution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.dst4j.nn.init.SparseInit;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;

class GradientGrowTest {

    // Standard normal entries.
    static DenseMatrix random(int rows, int cols, RandomStream rnd) {
        DenseMatrix m = DenseMatrix.allocate(rows, cols);
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) m.set(r, c, (float) rnd.nextGaussian());
        return m;
    }

    /**
     * RigL by brute force: the free cells of the region ({@code outputs} x {@code inputs}, null for all)
     * by |scale · Σ_b delta[r,b] input[c,b]| descending, ties by the rule's hash salted by the first draw of
     * {@code seed}; the best {@code count}, ascending.
     */
    private static long[] bruteForce(CsrMatrix w, MemorySegment keep, int[] outputs, int[] inputs, DenseMatrix input, DenseMatrix delta,
                                     float scale, int count, long seed) {
        long salt = new RandomStream(seed).nextLong();
        long[] free = GrowthRegionTest.freeCells(w, keep, outputs, inputs);
        double[] score = new double[w.rows() * w.cols()];
        for (long key : free) {
            int r = (int) (key / w.cols()), c = (int) (key % w.cols());
            double g = 0;
            for (int b = 0; b < input.cols(); b++) g += (double) delta.get(r, b) * input.get(c, b);
            score[(int) key] = Math.abs(scale * g);
        }
        Long[] order = Arrays.stream(free).boxed().toArray(Long[]::new);
        Arrays.sort(order, Comparator.<Long>comparingDouble(k -> -score[(int) (long) k])
                .thenComparing((x, y) -> Long.compareUnsigned(RandomStream.mix(x ^ salt), RandomStream.mix(y ^ salt))));
        long[] top = new long[Math.min(count, order.length)];
        for (int i = 0; i < top.length; i++) top[i] = order[i];
        Arrays.sort(top);
        return top;
    }

    @Test
    void picksTheFreePositionsWithLargestGradientInAnyBlockSizeAndThreadCount() {
        RandomStream rnd = new RandomStream(5);
        for (int trial = 0; trial < 24; trial++) {
            int rows = 1 + rnd.nextInt(37), cols = 1 + rnd.nextInt(29), batch = 1 + rnd.nextInt(21);
            double density = trial % 6 == 0 ? 0 : trial % 6 == 1 ? 1 : rnd.nextDouble();
            try (CsrMatrix w = SparseInit.sample(rows, cols, density, new WeightInit.Normal(1f), rnd);
                 DenseMatrix input = random(cols, batch, rnd);
                 DenseMatrix delta = random(rows, batch, rnd);
                 Arena a = Arena.ofConfined()) {
                MemorySegment keep = a.allocate(Math.max(1, w.nnz()));
                keep.fill((byte) 1);
                long pruned = MagnitudePrune.global().prune(w, 0.4, keep);
                int count = (int) pruned + rnd.nextInt(5);
                long[] expected = bruteForce(w, keep, null, null, input, delta, 0.25f, count, 9);
                long[] first = null;
                for (int threads : new int[] {1, 3}) {
                    for (int block : new int[] {1, 7 * cols, GradientGrow.BLOCK_CELLS}) {
                        try (WorkerPool pool = new WorkerPool(threads)) {
                            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
                            GrowRule.Growth g = new GradientGrow(block, any -> GrowthRegion.all()).grow(w, keep, count, new WeightInit.Zero(),
                                    new RandomStream(9), new BatchGradient(pk, input, delta, 0.25f));
                            assertThat(g.keys()).as("trial %d, %d threads, block %d", trial, threads, block).isEqualTo(expected);
                            for (float v : g.values()) assertThat(v).isZero();
                            assertThat(g.flops()).isEqualTo(expected.length == 0 ? 0 : 2L * rows * cols * batch);
                            if (first == null) first = g.keys();
                            assertThat(g.keys()).isEqualTo(first);
                        }
                    }
                }
            }
        }
    }

    @Test
    void picksTheTopFreeCellsOfARegionInAnyBlockSizeAndThreadCount() {
        RandomStream rnd = new RandomStream(17);
        for (int trial = 0; trial < 40; trial++) {
            int rows = 1 + rnd.nextInt(19), cols = 1 + rnd.nextInt(23), batch = 1 + rnd.nextInt(9);
            int[] outputs = GrowthRegionTest.someOf(rows, rnd), inputs = GrowthRegionTest.someOf(cols, rnd);
            try (CsrMatrix w = GrowthRegionTest.layer(rows, cols, rnd);
                 DenseMatrix input = random(cols, batch, rnd);
                 DenseMatrix delta = random(rows, batch, rnd);
                 Arena a = Arena.ofConfined()) {
                // dead units: zero gradients, all tied, ordered by the seeded hash alone
                for (int r = 0; r < rows; r += 3) for (int b = 0; b < batch; b++) delta.set(r, b, 0f);
                MemorySegment keep = GrowthRegionTest.keep(w, rnd.nextDouble(), rnd, a);
                int count = rnd.nextInt(rows * cols + 3);
                if (trial % 4 == 0) {
                    // a region without the layer's best free cell: the rule must not reach it
                    long best = bruteForce(w, keep, null, null, input, delta, 0.5f, 1, 9)[0];
                    outputs = null;
                    int bestCol = (int) (best % cols);
                    inputs = IntStream.range(0, cols).filter(c -> c != bestCol).toArray();
                }
                long[] expected = bruteForce(w, keep, outputs, inputs, input, delta, 0.5f, count, 9);
                if (trial % 4 == 0) assertThat(expected).doesNotContain(bruteForce(w, keep, null, null, input, delta, 0.5f, 1, 9));
                GrowthRegion region = GrowthRegionTest.region(outputs, inputs);
                int nr = outputs == null ? rows : outputs.length, nc = inputs == null ? cols : inputs.length;
                for (int threads : new int[] {1, 3}) {
                    for (int block : new int[] {1, 5 * Math.max(1, nc), GradientGrow.BLOCK_CELLS}) {
                        try (WorkerPool pool = new WorkerPool(threads)) {
                            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
                            GrowRule.Growth g = new GradientGrow(block, x -> region).grow(w, keep, count, new WeightInit.Zero(),
                                    new RandomStream(9), new BatchGradient(pk, input, delta, 0.5f));
                            assertThat(Arrays.copyOf(g.keys(), g.count())).as("trial %d, %s, %d threads, block %d", trial, region, threads, block)
                                    .isEqualTo(expected);
                            assertThat(g.flops()).isEqualTo(expected.length == 0 ? 0 : 2L * nr * nc * batch);
                        }
                    }
                }
                // the public form is the same rule
                try (WorkerPool pool = new WorkerPool(2)) {
                    GrowRule.Growth g = GradientGrow.within(x -> region).grow(w, keep, count, new WeightInit.Zero(), new RandomStream(9),
                            new BatchGradient(new ParallelKernels(KernelProvider.get(), pool), input, delta, 0.5f));
                    assertThat(Arrays.copyOf(g.keys(), g.count())).isEqualTo(expected);
                }
            }
        }
    }

    // The other tests grow at WeightInit.Zero (RigL's), where new connections left at zero pass: a TopologyEvolution
    // pairing gradient regrowth with another init gets that init's draws, one per new connection, none zero.
    @Test
    void newConnectionsTakeTheInitsDraws() {
        try (WorkerPool pool = new WorkerPool(1);
             CsrMatrix w = SparseInit.sample(20, 30, 0.2, new WeightInit.Normal(1f), new RandomStream(1));
             DenseMatrix input = random(30, 5, new RandomStream(2));
             DenseMatrix delta = random(20, 5, new RandomStream(3));
             Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(Math.max(1, w.nnz()));
            keep.fill((byte) 1);
            BatchGradient gradient = new BatchGradient(new ParallelKernels(KernelProvider.get(), pool), input, delta, 0.2f);
            GrowRule.Growth g = new GradientGrow().grow(w, keep, 40, new WeightInit.HeUniform(), new RandomStream(4), gradient);
            assertThat(g.count()).isEqualTo(40);
            double limit = Math.sqrt(6.0 / 30);
            for (int i = 0; i < g.count(); i++) {
                assertThat(g.values()[i]).as("new connection %d", i).isNotZero();
                assertThat((double) Math.abs(g.values()[i])).isLessThanOrEqualTo(limit);
            }
            assertThat(new GradientGrow().grow(w, keep, 40, new WeightInit.HeUniform(), new RandomStream(4), gradient).values())
                    .as("the same stream draws the same").isEqualTo(g.values());
        }
    }

    @Test
    void zeroGradientsAreSpreadBySeedNotPackedAtTheFirstRows() {
        try (WorkerPool pool = new WorkerPool(1);
             CsrMatrix w = SparseInit.sample(50, 50, 0.0, new WeightInit.Zero(), new RandomStream(1));
             DenseMatrix input = DenseMatrix.allocate(50, 4);
             DenseMatrix delta = DenseMatrix.allocate(50, 4);
             Arena a = Arena.ofConfined()) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            MemorySegment keep = a.allocate(1);
            long[] keys = new GradientGrow().grow(w, keep, 100, new WeightInit.Zero(), new RandomStream(3), new BatchGradient(pk, input, delta, 1f)).keys();
            assertThat(keys).hasSize(100);
            assertThat(keys[keys.length - 1]).as("some choices in the second half of the layer").isGreaterThan(50L * 50 / 2);
        }
    }

    // What a gradient-ranking prune rule reads.
    @Test
    void theGradientAtTheLiveConnectionsIsScaleTimesDeltaTimesInput() {
        RandomStream rnd = new RandomStream(21);
        try (WorkerPool pool = new WorkerPool(2);
             CsrMatrix w = SparseInit.sample(9, 13, 0.4, new WeightInit.Normal(1f), rnd);
             DenseMatrix input = random(13, 6, rnd);
             DenseMatrix delta = random(9, 6, rnd);
             Arena a = Arena.ofShared()) {
            BatchGradient gradient = new BatchGradient(new ParallelKernels(KernelProvider.get(), pool), input, delta, 0.25f);
            MemorySegment out = a.allocate(ValueLayout.JAVA_FLOAT, w.nnz());
            gradient.atConnections(w, out);
            for (int r = 0; r < w.rows(); r++) {
                for (long k = w.rowStart(r); k < w.rowEnd(r); k++) {
                    double g = 0;
                    for (int b = 0; b < 6; b++) g += (double) delta.get(r, b) * input.get(w.col(k), b);
                    assertThat((double) out.getAtIndex(ValueLayout.JAVA_FLOAT, k)).as("entry %d", k)
                            .isCloseTo(0.25 * g, within(1e-5));
                }
            }
            MemorySegment shortOut = a.allocate(ValueLayout.JAVA_FLOAT, w.nnz() - 1);
            assertThatThrownBy(() -> gradient.atConnections(w, shortOut)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("gradient of " + w.nnz() + " connections asked into " + (w.nnz() - 1) * 4 + " bytes");
            assertThat(w.nnz()).as("a layer with connections").isGreaterThan(10);
        }
    }

    @Test
    void refusesWithoutAGradient() {
        try (CsrMatrix w = SparseInit.sample(4, 4, 0.5, new WeightInit.Zero(), new RandomStream(1)); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(Math.max(1, w.nnz()));
            assertThatThrownBy(() -> new GradientGrow().grow(w, keep, 2, new WeightInit.Zero(), new RandomStream(1), null))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("gradient");
        }
    }

    // Guards needsGradient: a network frees the activations the batch gradient is made of when its rules say they need none.
    @Test
    void onlyGradientGrowthAsksForTheBatchGradient() {
        assertThat(new GradientGrow().needsGradient()).isTrue();
        assertThat(GradientGrow.within(w -> GrowthRegion.all()).needsGradient()).isTrue();
        assertThat(new RandomGrow().needsGradient()).isFalse();
        assertThat(RandomGrow.within(w -> GrowthRegion.all()).needsGradient()).isFalse();
        // nor does magnitude pruning (PruneRule's default): SET's evolution may free the activations
        for (PruneRule prune : new PruneRule[] {MagnitudePrune.signed(), MagnitudePrune.global(), MagnitudePrune.networkWide()}) {
            assertThat(prune.needsGradient()).as(prune.getClass().getSimpleName()).isFalse();
        }
    }
}
