package org.dst4j.nn.evolution;

import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;

/**
 * The loss gradient of one layer on one training batch, kept factored: {@code dL/dW = scale · delta ·
 * inputᵀ}. Any entry, or any block of rows, can be computed from it without ever forming the dense
 * {@code out x in} gradient of the whole layer.
 *
 * @param input the layer's input on that batch, {@code [in x batch]} (after dropout, as it was used)
 * @param delta dL/dz of the layer's pre-activations on that batch, {@code [out x batch]}
 * @param pk the kernels that compute its entries
 * @param scale the factor of the batch mean (1 / batch)
 */
public record BatchGradient(ParallelKernels pk, DenseMatrix input, DenseMatrix delta, float scale) {
    /** @throws IllegalArgumentException if {@code input} and {@code delta} hold different numbers of samples */
    public BatchGradient {
        if (input.cols() != delta.cols()) {
            throw new IllegalArgumentException("input has " + input.cols() + " samples, delta " + delta.cols());
        }
    }
}
