package org.dst4j.nn.optim;

import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Updates a sparse layer's weights and biases from its output gradient. Per-connection state
 * (momentum, moments) lives in side arrays of the weight matrix, so topology evolution carries it
 * with the surviving connections and starts new connections at zero.
 */
public interface Optimizer {

    /** Adds this optimizer's side arrays to {@code w} if they are missing. */
    void attach(CsrMatrix w);

    /** Names of the per-connection side arrays this optimizer keeps (saved in checkpoints). */
    String[] sideArrays();

    /** Floats of state per bias entry. */
    int biasSlots();

    /**
     * One step on the weights: the gradient at each live connection {@code (j, i)} is
     * {@code scale * dot(dZ[j,:], X[i,:])}, computed here only at live connections.
     */
    void updateWeights(ParallelKernels pk, CsrMatrix w, DenseMatrix dz, DenseMatrix x, float scale, float lr);

    /**
     * One step on {@code n} biases given their summed gradient {@code gradSum} (times {@code scale}), with
     * {@code pk}'s kernels; {@code state} holds {@link #biasSlots()} floats per bias.
     */
    void updateBias(ParallelKernels pk, MemorySegment bias, MemorySegment gradSum, MemorySegment state, int n, float scale, float lr);

    /** Called once after every layer has been updated for a batch. */
    default void endStep() {}

    /** Steps taken so far (for bias correction; saved in checkpoints). */
    default long steps() { return 0; }

    /** Restores {@link #steps()} on resume. */
    default void setSteps(long steps) {}
}
