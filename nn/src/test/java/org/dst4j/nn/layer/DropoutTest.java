package org.dst4j.nn.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;

/** Inverted dropout as the networks use it: which units a mask keeps, how it scales them, and what keys it. */
class DropoutTest {
    private static final int ROWS = 64, COLS = 100;

    // The mask of (seed, step, layer) over a ROWS x COLS batch, as floats; out is checked to be a * mask on the way.
    private static float[] mask(ParallelKernels pk, Dropout d, long step, int layer, DenseMatrix a) {
        try (DenseMatrix mask = DenseMatrix.allocate(ROWS, COLS); DenseMatrix out = DenseMatrix.allocate(ROWS, COLS)) {
            d.apply(pk, step, layer, a, mask, out);
            float[] m = new float[ROWS * COLS];
            for (int r = 0; r < ROWS; r++) {
                for (int c = 0; c < COLS; c++) {
                    m[r * COLS + c] = mask.get(r, c);
                    assertThat(out.get(r, c)).isEqualTo(a.get(r, c) * mask.get(r, c));
                }
            }
            return m;
        }
    }

    @Test
    void aMaskKeepsAboutOneMinusTheRateScaledByItsInverseAndIsFixedBySeedStepAndLayer() {
        try (WorkerPool pool = new WorkerPool(2); DenseMatrix a = DenseMatrix.allocate(ROWS, COLS)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            RandomStream rnd = new RandomStream(1);
            for (int r = 0; r < ROWS; r++) for (int c = 0; c < COLS; c++) a.set(r, c, (float) rnd.nextGaussian());
            Dropout d = new Dropout(0.25f, 7);
            float[] m = mask(pk, d, 3, 1, a);
            int kept = 0;
            for (float v : m) {
                assertThat(v).isIn(0f, 1f / 0.75f);
                if (v != 0) kept++;
            }
            // 6,400 units, each kept with probability 0.75: a deviation of 35 units
            assertThat(kept).isBetween(4600, 5000);
            assertThat(mask(pk, d, 3, 1, a)).as("the same step and layer").containsExactly(m);
            List<float[]> others = new ArrayList<>();
            others.add(mask(pk, d, 4, 1, a));
            others.add(mask(pk, d, 3, 2, a));
            others.add(mask(pk, new Dropout(0.25f, 8), 3, 1, a));
            for (float[] o : others) assertThat(o).isNotEqualTo(m);
            float[] none = mask(pk, new Dropout(0f, 7), 3, 1, a);
            for (float v : none) assertThat(v).isEqualTo(1f);
        }
    }

    @Test
    void theGradientFlowsOnlyThroughTheKeptUnitsScaledAsThey() {
        try (WorkerPool pool = new WorkerPool(1); DenseMatrix mask = DenseMatrix.allocate(2, 3); DenseMatrix grad = DenseMatrix.allocate(2, 3)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            float[][] m = {{0, 2, 2}, {2, 0, 0}};
            for (int r = 0; r < 2; r++) {
                for (int c = 0; c < 3; c++) {
                    mask.set(r, c, m[r][c]);
                    grad.set(r, c, r * 3 + c + 1);
                }
            }
            Dropout.backward(pk, mask, grad);
            assertThat(new float[] {grad.get(0, 0), grad.get(0, 1), grad.get(0, 2), grad.get(1, 0), grad.get(1, 1), grad.get(1, 2)})
                    .containsExactly(0, 4, 6, 8, 0, 0);
        }
    }

    @Test
    void aRateOutsideZeroToOneIsRefused() {
        for (float bad : new float[] {1f, -0.01f, Float.NaN, 1.5f}) {
            assertThatThrownBy(() -> new Dropout(bad, 1)).as("%s", bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("dropout rate must be in [0, 1), got " + bad);
        }
        assertThat(new Dropout(0f, 1).rate()).isZero();
        assertThat(new Dropout(0.999f, 1).rate()).isEqualTo(0.999f);
    }
}
