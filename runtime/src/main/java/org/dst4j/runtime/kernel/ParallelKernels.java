package org.dst4j.runtime.kernel;

import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Whole-matrix operations: a {@link Kernels} backend run over a {@link WorkerPool}, rows split into
 * static ranges balanced by stored entries. Results are bit-identical for any thread count because
 * every output row is computed by one kernel call in a fixed order.
 */
public final class ParallelKernels {
    private final Kernels k;
    private final WorkerPool pool;

    public ParallelKernels(Kernels kernels, WorkerPool pool) {
        this.k = kernels;
        this.pool = pool;
    }

    public Kernels kernels() { return k; }

    public WorkerPool pool() { return pool; }

    private static final long ROW_COST = 4;

    /** {@code Y = W X + b}. */
    public void forward(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y) {
        checkProduct(w.rows(), w.cols(), x, y, "forward");
        pool.run(pool.splitByNnz(w.rowPtr(), w.rows(), ROW_COST), (a, b) -> k.csrForward(w, x, bias, y, a, b));
    }

    /** {@code dX = W^T dY}. */
    public void transposed(CsrMatrix w, DenseMatrix dy, DenseMatrix dx) {
        checkProduct(w.cols(), w.rows(), dy, dx, "transposed");
        pool.run(pool.splitByNnz(w.colPtr(), w.cols(), ROW_COST), (a, b) -> k.csrTransposed(w, dy, dx, a, b));
    }

    /** Gradient at stored entries: {@code grad[k] = scale * dot(dY[j,:], X[i,:])}. */
    public void sddmm(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment grad) {
        checkProduct(w.rows(), w.cols(), x, dy, "sddmm");
        pool.run(pool.splitByNnz(w.rowPtr(), w.rows(), ROW_COST), (a, b) -> k.sddmm(w, dy, x, scale, grad, a, b));
    }

    /** SDDMM fused with an SGD step (see {@link Kernels#sddmmSgd}). */
    public void sddmmSgd(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment velocity,
                         float lr, float momentum, float weightDecay) {
        checkProduct(w.rows(), w.cols(), x, dy, "sddmmSgd");
        pool.run(pool.splitByNnz(w.rowPtr(), w.rows(), ROW_COST),
                (a, b) -> k.sddmmSgd(w, dy, x, scale, velocity, lr, momentum, weightDecay, a, b));
    }

    /** {@code db[j] = sum_c dY[j,c]}. */
    public void biasGradient(DenseMatrix dy, MemorySegment db) {
        pool.run(dy.rows(), (a, b) -> k.biasGradient(dy, db, a, b));
    }

    public void leakyRelu(DenseMatrix x, float slope, DenseMatrix y) {
        pool.run(x.rows(), (a, b) -> k.leakyRelu(x, slope, y, a, b));
    }

    public void leakyReluBackward(DenseMatrix pre, float slope, DenseMatrix grad) {
        pool.run(grad.rows(), (a, b) -> k.leakyReluBackward(pre, slope, grad, a, b));
    }

    public void sigmoid(DenseMatrix x, DenseMatrix y) {
        pool.run(x.rows(), (a, b) -> k.sigmoid(x, y, a, b));
    }

    public void sigmoidBackward(DenseMatrix y, DenseMatrix grad) {
        pool.run(grad.rows(), (a, b) -> k.sigmoidBackward(y, grad, a, b));
    }

    public void tanh(DenseMatrix x, DenseMatrix y) {
        pool.run(x.rows(), (a, b) -> k.tanh(x, y, a, b));
    }

    public void tanhBackward(DenseMatrix y, DenseMatrix grad) {
        pool.run(grad.rows(), (a, b) -> k.tanhBackward(y, grad, a, b));
    }

    // in x batch -> out x batch, for a weight matrix of shape out x in
    private static void checkProduct(int outRows, int inRows, DenseMatrix in, DenseMatrix out, String op) {
        if (in.rows() != inRows || out.rows() != outRows || in.cols() != out.cols()) {
            throw new IllegalArgumentException(op + ": shapes do not match: weights " + outRows + " x " + inRows
                    + ", input " + in.rows() + " x " + in.cols() + ", output " + out.rows() + " x " + out.cols());
        }
    }
}
