package org.dst4j.nn.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.junit.jupiter.api.Test;

/**
 * The squared error's value, which an autoencoder's run reports epoch by epoch (its gradient: OptimizerStepTest).
 */
class LossTest {

    @Test
    void meanSquaredErrorIsHalfTheSumOfSquaresAgainstOneHotLabelsOrTargets() {
        try (WorkerPool pool = new WorkerPool(2);
             DenseMatrix out = DenseMatrix.allocate(3, 2);
             DenseMatrix targets = DenseMatrix.allocate(3, 2);
             DenseMatrix grad = DenseMatrix.allocate(3, 2)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.scalar(), pool);
            float[][] o = {{0.5f, -1f}, {2f, 0f}, {0.25f, 3f}};
            for (int j = 0; j < 3; j++) for (int c = 0; c < 2; c++) out.set(j, c, o[j][c]);
            // labels 1 and 2 (from offset 1): differences {0.5, -1}, {1, 0}, {0.25, 2}
            double loss = new MeanSquaredError().compute(pk, out, new int[] {9, 1, 2}, 1, null, grad, 0.5f);
            assertThat(loss).isCloseTo(0.5 * (0.25 + 1 + 1 + 0 + 0.0625 + 4), within(1e-9));
            assertThat(grad.get(0, 1)).isEqualTo(-0.5f);
            assertThat(grad.get(1, 0)).isEqualTo(0.5f);
            assertThat(grad.get(2, 1)).isEqualTo(1f);
            for (int j = 0; j < 3; j++) for (int c = 0; c < 2; c++) targets.set(j, c, 1f);
            assertThat(new MeanSquaredError().compute(pk, out, null, 0, targets, null, 1f))
                    .isCloseTo(0.5 * (0.25 + 4 + 1 + 1 + 0.5625 + 4), within(1e-9));
        }
        assertThat(new MeanSquaredError().classifies()).isFalse();
        assertThat(new SoftmaxCrossEntropy().classifies()).isTrue();
    }
}
