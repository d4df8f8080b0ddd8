package org.dst4j.nn.loss;

import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;

/**
 * A training loss over a batch of network outputs ({@code [outputs x batch]}). Targets are class
 * labels ({@code labels[offset + c]} for column c) or a target matrix of the output's shape.
 */
public sealed interface Loss permits SoftmaxCrossEntropy, MeanSquaredError {

    /**
     * Returns the loss summed over the batch and, when {@code grad} is not null, writes
     * {@code gradScale * dLoss/dOutput} into it.
     */
    double compute(ParallelKernels pk, DenseMatrix output, int[] labels, int offset, DenseMatrix targets,
                   DenseMatrix grad, float gradScale);

    /** Whether outputs are class scores whose argmax is the prediction. */
    boolean classifies();
}
