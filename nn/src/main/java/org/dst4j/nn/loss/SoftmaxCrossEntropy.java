package org.dst4j.nn.loss;

import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;

/** Softmax over the output logits with cross-entropy against labels, by a stable log-sum-exp. */
public record SoftmaxCrossEntropy() implements Loss {
    @Override
    public double compute(ParallelKernels pk, DenseMatrix output, int[] labels, int offset, DenseMatrix targets,
                          DenseMatrix grad, float gradScale) {
        return pk.kernels().softmaxCrossEntropy(output, labels, offset, gradScale, grad, null);
    }

    @Override public boolean classifies() { return true; }
}
