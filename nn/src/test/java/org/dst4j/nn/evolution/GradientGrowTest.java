package org.dst4j.nn.evolution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
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

    private static DenseMatrix random(int rows, int cols, RandomStream rnd) {
        DenseMatrix m = DenseMatrix.allocate(rows, cols);
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) m.set(r, c, (float) rnd.nextGaussian());
        return m;
    }

    /** RigL by brute force: every free cell's |scale · Σ_b delta[r,b] input[c,b]|, largest first. */
    private static long[] bruteForce(CsrMatrix w, MemorySegment keep, DenseMatrix input, DenseMatrix delta, float scale, int count) {
        List<long[]> cells = new ArrayList<>();
        List<Double> score = new ArrayList<>();
        for (int r = 0; r < w.rows(); r++) {
            for (int c = 0; c < w.cols(); c++) {
                boolean occupied = false;
                for (long k = w.rowStart(r); k < w.rowEnd(r); k++) if (w.col(k) == c && keep.get(ValueLayout.JAVA_BYTE, k) != 0) occupied = true;
                if (occupied) continue;
                double g = 0;
                for (int b = 0; b < input.cols(); b++) g += (double) delta.get(r, b) * input.get(c, b);
                cells.add(new long[] {(long) r * w.cols() + c});
                score.add(Math.abs(scale * g));
            }
        }
        Integer[] idx = new Integer[cells.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, Comparator.comparingDouble(i -> -score.get(i)));
        long[] keys = new long[Math.min(count, idx.length)];
        for (int i = 0; i < keys.length; i++) keys[i] = cells.get(idx[i])[0];
        Arrays.sort(keys);
        return keys;
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
                long[] expected = bruteForce(w, keep, input, delta, 0.25f, count);
                long[] first = null;
                for (int threads : new int[] {1, 3}) {
                    for (int block : new int[] {1, 7 * cols, GradientGrow.BLOCK_CELLS}) {
                        try (WorkerPool pool = new WorkerPool(threads)) {
                            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
                            GrowRule.Growth g = new GradientGrow(block).grow(w, keep, count, new WeightInit.Zero(), new RandomStream(9),
                                    new BatchGradient(pk, input, delta, 0.25f));
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

    @Test
    void refusesWithoutAGradient() {
        try (CsrMatrix w = SparseInit.sample(4, 4, 0.5, new WeightInit.Zero(), new RandomStream(1)); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(Math.max(1, w.nnz()));
            assertThatThrownBy(() -> new GradientGrow().grow(w, keep, 2, new WeightInit.Zero(), new RandomStream(1), null))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("gradient");
        }
    }
}
