package org.dst4j.nn.loss;

import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;

/**
 * Squared error {@code 1/2 sum (y - t)^2} per sample (gradient {@code y - t}). Targets are the given
 * matrix, or one-hot labels when it is null (the SET reference's sigmoid + MSE classifier).
 */
public record MeanSquaredError() implements Loss {
    @Override
    public double compute(ParallelKernels pk, DenseMatrix output, int[] labels, int offset, DenseMatrix targets,
                          DenseMatrix grad, float gradScale) {
        int rows = output.rows(), n = output.cols();
        double[] partial = new double[rows];
        pk.pool().run(rows, (from, to) -> {
            for (int j = from; j < to; j++) {
                double s = 0;
                for (int c = 0; c < n; c++) {
                    float t = targets != null ? targets.get(j, c) : (labels[offset + c] == j ? 1f : 0f);
                    float d = output.get(j, c) - t;
                    s += (double) d * d;
                    if (grad != null) grad.set(j, c, gradScale * d);
                }
                partial[j] = s;
            }
        });
        double loss = 0;
        for (double p : partial) loss += p;
        return 0.5 * loss;
    }

    @Override public boolean classifies() { return false; }
}
