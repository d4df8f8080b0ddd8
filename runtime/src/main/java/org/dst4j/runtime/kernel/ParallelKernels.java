package org.dst4j.runtime.kernel;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Whole-matrix operations: a {@link Kernels} backend run over a {@link WorkerPool}, rows split into
 * static ranges (balanced by stored entries for the sparse products, equal otherwise and for a transposed
 * product that reads no transpose index). Results are bit-identical for any thread count because every
 * output row is computed by one kernel call in a fixed order.
 *
 * <p>Operands whose shapes do not fit are refused with an {@link IllegalArgumentException} naming the
 * operation and the shapes: a product's operands must match the weights, and an element-wise operation's
 * operands must all have the same rows and columns.
 *
 * <p>The pool's threads read and write the segments given to an operation: allocate them in an arena
 * every thread may use ({@code Arena.ofShared()}, {@code ofAuto()}, {@code global()}). A segment of a
 * confined arena fails the operation with a {@link WrongThreadException} whenever a worker thread gets
 * part of the operation's rows.
 */
public final class ParallelKernels {
    private final Kernels k;
    private final WorkerPool pool;

    /** Runs {@code kernels} on the threads of {@code pool}, which stays its creator's to close. */
    public ParallelKernels(Kernels kernels, WorkerPool pool) {
        this.k = kernels;
        this.pool = pool;
    }

    /** The backend every operation calls, per row range. */
    public Kernels kernels() { return k; }

    /** The threads the operations split their rows over. */
    public WorkerPool pool() { return pool; }

    // A row costs something even with no stored entry: its output row is written across the whole batch (the bias, or
    // zeros). Weighing it as a few entries keeps a range of empty rows (a SpaceNet layer's unallocated neurons) from
    // counting as no work. 4 is a rough weight, not a measured one.
    private static final long ROW_COST = 4;

    /** {@code Y = W X + b}; {@code bias} (a float per row of {@code W}) may be null. */
    public void forward(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y) {
        checkProduct(w.rows(), w.cols(), x, y, "forward");
        if (bias != null) checkFloats(bias, w.rows(), "forward", "bias", "row of the weights");
        sparse(FORWARD, w, w.rowPtr(), w.rows(), x, y, bias, 0f, 0f, 0f, 0f);
    }

    /** {@code dX = W^T dY}. */
    public void transposed(CsrMatrix w, DenseMatrix dy, DenseMatrix dx) {
        checkProduct(w.cols(), w.rows(), dy, dx, "transposed");
        if (!k.transposedReadsIndex(w, dy, dx)) {
            // Without the index the columns are split evenly: every thread walks all rows for its slice,
            // and random topologies spread entries evenly over columns.
            sparse(TRANSPOSED, w, null, w.cols(), dy, dx, null, 0f, 0f, 0f, 0f);
            return;
        }
        // the index and the column-order scratch are built on first use: here, before the workers read them
        MemorySegment colPtr = w.colPtr();
        w.valuesByColumn();
        sparse(VALUES_BY_COLUMN, w, w.rowPtr(), w.rows(), null, null, null, 0f, 0f, 0f, 0f);
        sparse(TRANSPOSED, w, colPtr, w.cols(), dy, dx, null, 0f, 0f, 0f, 0f);
    }

    /** Gradient at stored entries: {@code grad[k] = scale * dot(dY[j,:], X[i,:])}. */
    public void sddmm(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment grad) {
        checkProduct(w.rows(), w.cols(), x, dy, "sddmm");
        checkFloats(Objects.requireNonNull(grad, "grad"), w.nnz(), "sddmm", "grad", "stored entry of the weights");
        sparse(SDDMM, w, w.rowPtr(), w.rows(), dy, x, grad, scale, 0f, 0f, 0f);
    }

    /** SDDMM fused with an SGD step (see {@link Kernels#sddmmSgd}). */
    public void sddmmSgd(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment velocity,
                         float lr, float momentum, float weightDecay) {
        checkProduct(w.rows(), w.cols(), x, dy, "sddmmSgd");
        checkFloats(Objects.requireNonNull(velocity, "velocity"), w.nnz(), "sddmmSgd", "velocity", "stored entry of the weights");
        sparse(SDDMM_SGD, w, w.rowPtr(), w.rows(), dy, x, velocity, scale, lr, momentum, weightDecay);
    }

    // The sparse products run without allocating: their arguments go into one reusable task (a
    // capturing lambda is a new object per call) and the nnz-balanced row split is kept per pointer
    // array. A split only balances work; any split gives the same bits, so one computed before the
    // pointers' contents changed in place would cost speed, never correctness. Topology changes
    // allocate new pointer arrays, which miss the cache.
    private static final int FORWARD = 0, TRANSPOSED = 1, SDDMM = 2, SDDMM_SGD = 3, VALUES_BY_COLUMN = 4;
    private final SparseTask task = new SparseTask();
    private static final int CACHED_SPLITS = 8;
    private final MemorySegment[] splitPtr = new MemorySegment[CACHED_SPLITS];
    private final int[][] splitBounds = new int[CACHED_SPLITS][];
    private int splitNext;

    private synchronized void sparse(int op, CsrMatrix w, MemorySegment ptr, int rows, DenseMatrix a, DenseMatrix b,
                                     MemorySegment seg, float scale, float lr, float momentum, float weightDecay) {
        SparseTask t = task;
        t.op = op;
        t.w = w;
        t.a = a;
        t.b = b;
        t.seg = seg;
        t.scale = scale;
        t.lr = lr;
        t.momentum = momentum;
        t.weightDecay = weightDecay;
        try {
            pool.run(split(ptr, rows), t);
        } finally {
            t.w = null;
            t.a = t.b = null;
            t.seg = null;
        }
    }

    private int[] split(MemorySegment ptr, int rows) {
        if (ptr == null) return evenSplit(rows);
        for (int i = 0; i < CACHED_SPLITS; i++) {
            int[] b = splitBounds[i];
            if (splitPtr[i] == ptr && b[b.length - 1] == rows) return b;
        }
        int[] b = pool.splitByNnz(ptr, rows, ROW_COST);
        splitPtr[splitNext] = ptr;
        splitBounds[splitNext] = b;
        splitNext = (splitNext + 1) % CACHED_SPLITS;
        return b;
    }

    private int[] evenBounds;

    private int[] evenSplit(int n) {
        int[] b = evenBounds;
        if (b == null || b[b.length - 1] != n) evenBounds = b = pool.splitEven(n);
        return b;
    }

    private final class SparseTask implements WorkerPool.RangeTask {
        int op;
        CsrMatrix w;
        DenseMatrix a, b;
        MemorySegment seg;
        float scale, lr, momentum, weightDecay;

        @Override
        public void run(int from, int to) {
            switch (op) {
                case FORWARD -> k.csrForward(w, a, seg, b, from, to);
                case TRANSPOSED -> k.csrTransposedByColumn(w, a, b, from, to);
                case SDDMM -> k.sddmm(w, a, b, scale, seg, from, to);
                case VALUES_BY_COLUMN -> k.copyValuesByColumn(w, from, to);
                default -> k.sddmmSgd(w, a, b, scale, seg, lr, momentum, weightDecay, from, to);
            }
        }
    }

    /** {@code db[j] = sum_c dY[j,c]}. */
    public void biasGradient(DenseMatrix dy, MemorySegment db) {
        checkFloats(Objects.requireNonNull(db, "db"), dy.rows(), "biasGradient", "db", "row of dy");
        pool.run(dy.rows(), (a, b) -> k.biasGradient(dy, db, a, b));
    }

    /** {@code y = x > 0 ? x : slope * x} (ReLU at slope 0). */
    public void leakyRelu(DenseMatrix x, float slope, DenseMatrix y) {
        checkSameShape(x, y, "leakyRelu", "y");
        pool.run(x.rows(), (a, b) -> k.leakyRelu(x, slope, y, a, b));
    }

    /** {@code grad *= pre > 0 ? 1 : slope}, from the pre-activation {@code pre}. */
    public void leakyReluBackward(DenseMatrix pre, float slope, DenseMatrix grad) {
        checkSameShape(grad, pre, "leakyReluBackward", "pre");
        pool.run(grad.rows(), (a, b) -> k.leakyReluBackward(pre, slope, grad, a, b));
    }

    /** {@code y = 1 / (1 + exp(-x))}. */
    public void sigmoid(DenseMatrix x, DenseMatrix y) {
        checkSameShape(x, y, "sigmoid", "y");
        pool.run(x.rows(), (a, b) -> k.sigmoid(x, y, a, b));
    }

    /** {@code grad *= y (1 - y)}, from the sigmoid output {@code y}. */
    public void sigmoidBackward(DenseMatrix y, DenseMatrix grad) {
        checkSameShape(grad, y, "sigmoidBackward", "y");
        pool.run(grad.rows(), (a, b) -> k.sigmoidBackward(y, grad, a, b));
    }

    /** {@code y = tanh(x)}. */
    public void tanh(DenseMatrix x, DenseMatrix y) {
        checkSameShape(x, y, "tanh", "y");
        pool.run(x.rows(), (a, b) -> k.tanh(x, y, a, b));
    }

    /** {@code grad *= 1 - y^2}, from the tanh output {@code y}. */
    public void tanhBackward(DenseMatrix y, DenseMatrix grad) {
        checkSameShape(grad, y, "tanhBackward", "y");
        pool.run(grad.rows(), (a, b) -> k.tanhBackward(y, grad, a, b));
    }

    /** Inverted dropout; see {@link Kernels#dropout}. */
    public void dropout(DenseMatrix a, long seed, int threshold, float keepScale, DenseMatrix mask, DenseMatrix out) {
        checkSameShape(a, mask, "dropout", "mask");
        checkSameShape(a, out, "dropout", "out");
        pool.run(a.rows(), (f, t) -> k.dropout(a, seed, threshold, keepScale, mask, out, f, t));
    }

    /** {@code x *= y}, element by element. */
    public void elementMult(DenseMatrix x, DenseMatrix y) {
        checkSameShape(x, y, "elementMult", "y");
        pool.run(x.rows(), (a, b) -> k.elementMult(x, y, a, b));
    }

    /**
     * Standardizes a feature-major batch in place (see {@link Kernels#standardize}).
     *
     * @throws IllegalArgumentException unless {@code mean} and {@code std} have one entry per row of {@code x}
     */
    public void standardize(DenseMatrix x, float[] mean, float[] std) {
        if (mean.length != x.rows() || std.length != x.rows()) {
            throw new IllegalArgumentException("standardize: a batch of " + x.rows() + " features needs as many means and deviations, got "
                    + mean.length + " and " + std.length);
        }
        pool.run(x.rows(), (a, b) -> k.standardize(x, mean, std, a, b));
    }

    // An element-wise operation walks `shape`'s rows and columns in `other` too: a smaller `other` was
    // read or written past its rows' ends, in its padding or the next row's entries, without an error.
    private static void checkSameShape(DenseMatrix shape, DenseMatrix other, String op, String name) {
        if (other.rows() != shape.rows() || other.cols() != shape.cols()) {
            throw new IllegalArgumentException(op + ": " + name + " is " + other.rows() + " x " + other.cols()
                    + ", expected " + shape.rows() + " x " + shape.cols());
        }
    }

    // The kernels index these segments directly: a short one failed on a worker with an index error naming no operand,
    // the output partly written.
    private static void checkFloats(MemorySegment seg, long needed, String op, String name, String per) {
        if (seg.byteSize() < needed * Float.BYTES) {
            throw new IllegalArgumentException(op + ": " + name + " holds " + seg.byteSize() / Float.BYTES + " floats, expected " + needed
                    + " (one per " + per + ")");
        }
    }

    // in x batch -> out x batch, for a weight matrix of shape out x in
    private static void checkProduct(int outRows, int inRows, DenseMatrix in, DenseMatrix out, String op) {
        if (in.rows() != inRows || out.rows() != outRows || in.cols() != out.cols()) {
            throw new IllegalArgumentException(op + ": shapes do not match: weights " + outRows + " x " + inRows
                    + ", input " + in.rows() + " x " + in.cols() + ", output " + out.rows() + " x " + out.cols());
        }
    }
}
