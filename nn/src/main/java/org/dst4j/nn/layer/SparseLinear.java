package org.dst4j.nn.layer;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.dst4j.nn.optim.Optimizer;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.resource.Closing;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.dst4j.runtime.memory.OffHeap;

/**
 * A truly sparse fully-connected layer: {@code a = f(W x + b)} with {@code W} an {@code out x in} CSR
 * matrix holding only live connections. Activations are feature-major ({@code [neurons x batch]}).
 */
public final class SparseLinear implements AutoCloseable {
    private final int in;
    private final int out;
    private final CsrMatrix weights;
    private final Activation activation;
    private final Arena arena = OffHeap.newShared();
    private final MemorySegment bias;
    private final MemorySegment biasGrad;
    private MemorySegment biasState;

    /** Takes ownership of {@code weights}; biases start at zero. */
    public SparseLinear(CsrMatrix weights, Activation activation) {
        this.weights = weights;
        this.in = weights.cols();
        this.out = weights.rows();
        this.activation = activation;
        try {
            this.bias = arena.allocate(JAVA_FLOAT, Math.max(1, out));
            this.biasGrad = arena.allocate(JAVA_FLOAT, Math.max(1, out));
        } catch (Throwable e) {
            // Out of memory for the biases: the weights were handed over, and no caller holds a layer to close.
            Closing.after(e, weights::close, arena::close);
            throw e;
        }
    }

    /** Inputs: the weight matrix's columns. */
    public int in() { return in; }

    /** Outputs: the weight matrix's rows. */
    public int out() { return out; }

    /** The weights, {@code [out x in]}, owned by the layer (its topology changes as it evolves). */
    public CsrMatrix weights() { return weights; }

    /** The activation applied to the layer's output. */
    public Activation activation() { return activation; }

    /** Biases, float[out]. */
    public MemorySegment bias() { return bias; }

    /** Optimizer state for the biases (allocated by {@link #attach}). */
    public MemorySegment biasState() { return biasState; }

    /** Prepares the optimizer's per-connection and per-bias state. */
    public void attach(Optimizer opt) {
        opt.attach(weights);
        long floats = (long) Math.max(1, out) * Math.max(1, opt.biasSlots());
        if (biasState == null || biasState.byteSize() != floats * Float.BYTES) {
            biasState = arena.allocate(JAVA_FLOAT, floats);
        }
    }

    /** {@code z = W x + b; a = f(z)} ({@code a} is {@code z} for a linear layer). */
    public void forward(ParallelKernels pk, DenseMatrix x, DenseMatrix z, DenseMatrix a) {
        pk.forward(weights, x, bias, z);
        activation.forward(pk, z, a);
    }

    /**
     * Back-propagates and updates: {@code grad} holds dLoss/da on entry and dLoss/dz on return;
     * {@code gradIn} (may be null for the first layer) receives dLoss/dx, computed with the weights
     * before this step's update.
     */
    public void backward(ParallelKernels pk, DenseMatrix x, DenseMatrix z, DenseMatrix a, DenseMatrix grad,
                         DenseMatrix gradIn, Optimizer opt, float scale, float lr) {
        activation.backward(pk, z, a, grad);
        if (gradIn != null) pk.transposed(weights, grad, gradIn);
        opt.updateWeights(pk, weights, grad, x, scale, lr);
        pk.biasGradient(grad, biasGrad);
        opt.updateBias(pk, bias, biasGrad, biasState, out, scale, lr);
    }

    /** Live connections. */
    public long connections() { return weights.nnz(); }

    /** Off-heap bytes held (weights, side arrays, biases). */
    public long byteSize() {
        return weights.byteSize() + bias.byteSize() + biasGrad.byteSize() + (biasState == null ? 0 : biasState.byteSize());
    }

    /** Frees the weights and biases, each even if the other fails. Closing again does nothing. */
    @Override
    public synchronized void close() {
        Closing.all(weights::close, () -> {
            if (arena.scope().isAlive()) arena.close();
        });
    }
}
