package org.dst4j.nn.evolution;

import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.sparse.CsrMatrix;

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

    /**
     * Writes the gradient at each live connection of {@code w} (the layer it is the gradient of) into
     * {@code out}, a float per entry aligned with {@code w.values()}: what a prune rule ranks by. The
     * weights have already taken that batch's step, as they have for RigL's regrowth. The kernels'
     * threads write {@code out}: allocate it in a shared arena, not a confined one (see
     * {@link ParallelKernels}).
     *
     * @throws IllegalArgumentException if {@code w}'s shape is not this gradient's layer's, or {@code out}
     *     holds fewer than {@code w.nnz()} floats
     */
    public void atConnections(CsrMatrix w, MemorySegment out) {
        if (out.byteSize() < w.nnz() * Float.BYTES) {
            throw new IllegalArgumentException("gradient of " + w.nnz() + " connections asked into " + out.byteSize() + " bytes");
        }
        pk.sddmm(w, delta, input, scale, out);
    }
}
