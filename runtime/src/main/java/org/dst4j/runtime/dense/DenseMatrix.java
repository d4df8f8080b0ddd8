package org.dst4j.runtime.dense;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import org.dst4j.runtime.memory.OffHeap;

/**
 * A dense float matrix stored feature-major, off-heap: {@code rows} neurons by {@code cols} batch
 * columns, each row contiguous, the row stride padded to {@link #ALIGN_FLOATS} floats so that every
 * row starts on a 64-byte boundary and a SIMD loop over a row needs no gather (narrow batches of up
 * to 8 columns: padded to a power of two only, see {@link #paddedStride}).
 *
 * <p>Kernels read only the first {@code cols} entries of each row as data, and only those are part of
 * a result; the padding is never part of a result (the SIMD products may write it). The matrix owns its
 * memory and frees it on {@link #close()}.
 *
 * <p>{@link #get} and {@link #set} check their indices; the kernels, which read {@link #segment()}
 * directly, do not.
 */
public final class DenseMatrix implements AutoCloseable {
    /** Row stride granularity in floats: 64 bytes, the widest SIMD register (512 bits). */
    public static final int ALIGN_FLOATS = 16;

    private final Arena arena;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final long stride;

    private DenseMatrix(DenseMatrix base, int cols) {
        this.arena = null;
        this.data = base.data;
        this.rows = base.rows;
        this.cols = cols;
        this.stride = base.stride;
    }

    private DenseMatrix(int rows, int cols) {
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        if (cols < 0) throw new IllegalArgumentException("cols must be >= 0, got " + cols);
        this.rows = rows;
        this.cols = cols;
        this.stride = paddedStride(cols);
        // wrapped past 2^63, the size asked was a small, wrong one (8 GB for 2^31-15 x 2^31-1), and rows lay outside it
        if ((long) rows * stride > Long.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("a " + rows + " x " + cols + " matrix is beyond what one memory segment can address");
        }
        this.arena = OffHeap.newShared();
        try {
            this.data = arena.allocate(Math.max(1, (long) rows * stride) * Float.BYTES, 64);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Allocates a zero-filled {@code rows x cols} matrix.
     *
     * @throws IllegalArgumentException for a negative size, or one beyond what a memory segment can address
     */
    public static DenseMatrix allocate(int rows, int cols) {
        return new DenseMatrix(rows, cols);
    }

    /**
     * The row stride, in floats, for a row of {@code cols} columns: a multiple of {@link #ALIGN_FLOATS},
     * or for 1 to 8 columns the next power of two, at least 2.
     *
     * @throws IllegalArgumentException if {@code cols < 0}
     */
    public static long paddedStride(int cols) {
        if (cols < 0) throw new IllegalArgumentException("cols must be >= 0, got " + cols);
        // Narrow batches: a sparse product reads one row per connection at random. Padding a batch of 2
        // to 64 bytes made the rows of a 600,000-neuron layer 38 MB instead of 4.8, served from L3.
        // (At least 2: the narrowest vector the kernels load is 2 floats.)
        if (cols <= 8) return cols == 0 ? 0 : cols <= 2 ? 2 : Integer.highestOneBit(cols - 1) << 1;
        long stride = ((long) cols + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
        // The kernels read a 128-float block of every row at a time. With rows a multiple of 512 bytes
        // apart those blocks land in the same cache sets and a 2 MB block thrashes a 2 MB L2 (measured:
        // forward at batch 256 ran at half the speed of batch 128); one extra cache line per row spreads them.
        if (stride > 128 && stride % 128 == 0) stride += ALIGN_FLOATS;
        return stride;
    }

    /**
     * Builds a feature-major copy of row-major sample data: {@code samples[s * features + f]} becomes
     * entry {@code (f, s)}.
     *
     * @throws IllegalArgumentException unless {@code samples} holds {@code nSamples x nFeatures} floats, neither count
     *     negative
     */
    public static DenseMatrix transposeOf(float[] samples, int nSamples, int nFeatures) {
        if ((long) nSamples * nFeatures != samples.length) {
            throw new IllegalArgumentException("samples has " + samples.length + " floats, expected "
                    + nSamples + " x " + nFeatures);
        }
        DenseMatrix m = new DenseMatrix(nFeatures, nSamples);
        m.copyTransposedFrom(samples, 0, nSamples, nFeatures);
        return m;
    }

    /**
     * Overwrites columns {@code 0..n-1} with the transpose of {@code n} row-major samples starting at
     * sample {@code first} of {@code samples} (each {@code rows} floats long).
     *
     * @throws IllegalArgumentException if {@code features} is not {@link #rows()}, {@code n} is not in
     *     [0, {@link #cols()}], or samples {@code [first, first + n)} are not all in {@code samples}; the matrix is
     *     then unchanged
     */
    public void copyTransposedFrom(float[] samples, int first, int n, int features) {
        if (features != rows) throw new IllegalArgumentException("features " + features + " != rows " + rows);
        if (n > cols) throw new IllegalArgumentException("n " + n + " > cols " + cols);
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        // Past the array's end, the copy failed with a bare index error after overwriting part of the matrix.
        if (first < 0 || (long) first + n > (features == 0 ? Long.MAX_VALUE : samples.length / features)) {
            throw new IllegalArgumentException("samples [" + first + ", " + ((long) first + n) + ") are not within the "
                    + (features == 0 ? "" : samples.length / features + " ") + "samples given");
        }
        for (int f = 0; f < rows; f++) {
            long base = f * stride;
            for (int s = 0; s < n; s++) {
                data.setAtIndex(ValueLayout.JAVA_FLOAT, base + s, samples[(first + s) * features + f]);
            }
        }
    }

    /**
     * A view of the first {@code cols} columns sharing this matrix's memory (for a last, smaller
     * batch). Closing a view frees nothing; it must not outlive this matrix. The view's padding is this
     * matrix's later columns: a kernel writing the view may change them (the SIMD sparse products do).
     *
     * @throws IllegalArgumentException unless {@code 0 <= cols <= cols()}
     */
    public DenseMatrix columns(int cols) {
        if (cols < 0 || cols > this.cols) {
            throw new IllegalArgumentException("cols must be in [0, " + this.cols + "], got " + cols);
        }
        return cols == this.cols && arena == null ? this : new DenseMatrix(this, cols);
    }

    /** Rows: neurons (features) of the layer the matrix holds. */
    public int rows() { return rows; }

    /** Columns: samples of the batch (fewer than allocated for a {@link #columns} view). */
    public int cols() { return cols; }

    /** Row stride in floats ({@link #paddedStride} of the allocated columns). */
    public long stride() { return stride; }

    /** The backing segment; row {@code r} starts at float index {@code r * stride()}. */
    public MemorySegment segment() { return data; }

    /**
     * Entry {@code (r, c)}.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= r < rows()} and {@code 0 <= c < cols()}
     */
    public float get(int r, int c) {
        // The segment's own bounds check is not enough: a column past cols() lands in the row's padding
        // or in the next row, and the read would return a neighbour's value.
        Objects.checkIndex(r, rows);
        Objects.checkIndex(c, cols);
        return data.getAtIndex(ValueLayout.JAVA_FLOAT, r * stride + c);
    }

    /**
     * Sets entry {@code (r, c)}.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= r < rows()} and {@code 0 <= c < cols()}
     */
    public void set(int r, int c, float v) {
        Objects.checkIndex(r, rows);
        Objects.checkIndex(c, cols);
        data.setAtIndex(ValueLayout.JAVA_FLOAT, r * stride + c, v);
    }

    // Per thread and kept: a batch of 128 needs 136 KB, too much garbage to allocate anew for every
    // batch. Wide batches take narrower blocks, so a thread keeps TRANSPOSE_FLOATS (256 KB) at most,
    // where a 1,000-sample evaluation batch kept 1 MB (beyond 65,536 columns, one row of them).
    private static final ThreadLocal<float[]> TRANSPOSE_BUFFER = ThreadLocal.withInitial(() -> new float[0]);
    private static final int TRANSPOSE_FLOATS = 1 << 16, TRANSPOSE_PAD = 16;

    // What the calling thread keeps, for tests.
    static int transposeBufferFloats() {
        return TRANSPOSE_BUFFER.get().length;
    }

    /**
     * Writes into columns {@code 0..n-1} of rows {@code [rowFrom, rowTo)} the transpose of selected rows
     * of a row-major table whose rows are {@link #rows()} floats long: entry {@code (f, c)} becomes
     * {@code table[order[from + c] · rows() + f]}, or with {@code add} that value is added to it. Disjoint
     * row ranges may be written by different threads at once (a batch's samples gathered from a dataset,
     * a precomputed noise table added to a batch).
     *
     * @throws IllegalArgumentException if {@code n} is negative or exceeds {@link #cols()}, or the row range is not within
     *     {@code [0, rows()]}
     * @throws IndexOutOfBoundsException if {@code [from, from + n)} is not within {@code order}, or a
     *     selected row lies outside {@code table}
     */
    public void gatherTransposed(MemorySegment table, int[] order, int from, int n, int rowFrom, int rowTo, boolean add) {
        if (n < 0 || n > cols) throw new IllegalArgumentException("a " + rows + " x " + cols + " matrix cannot take " + n + " columns");
        if (rowFrom < 0 || rowFrom > rowTo || rowTo > rows) {
            throw new IllegalArgumentException("rows [" + rowFrom + ", " + rowTo + ") are not within [0, " + rows + "]");
        }
        Objects.checkFromIndexSize(from, n, order.length);
        // In blocks of rows: the block's rows stay in cache while every selected table row is copied
        // into them, instead of one cache line touched per value. The buffer's rows are a cache line
        // longer than the block: at a power-of-two stride (256 floats, 1 KB) the column of the buffer
        // read for one output row fell into a quarter of L1's sets and missed it on every read. Padded,
        // a gather of 128 Fashion-MNIST samples is 1.06-1.21x faster (medians of alternated pairs in one
        // JVM, 392 or 784 features, 1 thread, Zen 4); the rest is the copy from the table and the scalar
        // transpose, about half each.
        int block = Math.max(1, Math.min(rowTo - rowFrom, Math.min(256, TRANSPOSE_FLOATS / Math.max(1, n) - TRANSPOSE_PAD)));
        int bs = block == 1 ? 1 : block + TRANSPOSE_PAD;
        float[] buf = TRANSPOSE_BUFFER.get();
        if (buf.length < n * bs) TRANSPOSE_BUFFER.set(buf = new float[n * bs]);
        for (int f0 = rowFrom; f0 < rowTo; f0 += block) {
            int width = Math.min(block, rowTo - f0);
            for (int c = 0; c < n; c++) {
                MemorySegment.copy(table, ValueLayout.JAVA_FLOAT, ((long) order[from + c] * rows + f0) * Float.BYTES, buf, c * bs, width);
            }
            for (int f = 0; f < width; f++) {
                long base = (f0 + f) * stride;
                if (add) {
                    for (int c = 0; c < n; c++) data.setAtIndex(ValueLayout.JAVA_FLOAT, base + c, data.getAtIndex(ValueLayout.JAVA_FLOAT, base + c) + buf[c * bs + f]);
                } else {
                    for (int c = 0; c < n; c++) data.setAtIndex(ValueLayout.JAVA_FLOAT, base + c, buf[c * bs + f]);
                }
            }
        }
    }

    /** Sets every entry, padding included, to zero. */
    public void clear() {
        data.fill((byte) 0);
    }

    /** Row-major copy of the valid entries, for tests and small outputs. */
    public float[] toArray() {
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) out[r * cols + c] = get(r, c);
        }
        return out;
    }

    /** Bytes of off-heap memory held (by a view, its matrix's; after {@link #close}, what it held). */
    public long byteSize() { return data.byteSize(); }

    /**
     * Frees the memory (a view frees nothing). Closing again does nothing; after closing, reading or changing
     * an entry throws {@link IllegalStateException} (so does reading a view or segment handed out before, or one
     * {@link #columns} makes), while the shape and {@link #byteSize()} (what it held) still answer.
     */
    @Override
    public synchronized void close() {
        if (arena != null && arena.scope().isAlive()) arena.close();
    }
}
