package org.dst4j.runtime.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * The numeric kernels of sparse training, over feature-major activations ({@code [neurons x batch]},
 * see {@link DenseMatrix}) and CSR weights ({@code [out x in]}, see {@link CsrMatrix}).
 *
 * <p>The kernels work on a range of output rows (of entries for {@link #adamStep}, {@link #scale} and
 * {@link #axpy}; {@link #softmaxCrossEntropy} on the whole batch) so that a {@code WorkerPool} can split the work;
 * each output element is produced by one call, in a fixed order, so results do not depend on how the
 * range is split. Only the first {@code cols()} columns of a dense matrix are read as data or are part
 * of a result; the SIMD products may also write an output row's padding past them (whole vectors; the
 * narrow transposed product clears whole dX rows), which in a {@link DenseMatrix#columns} view is the
 * wider matrix's later columns.
 * Implementations: {@code ScalarKernels} (plain loops) and a Panama SIMD one, chosen by
 * {@link KernelProvider}.
 */
public interface Kernels {

    /** Short name of the backend ("scalar" or "panama"). */
    String name();

    /** Floats per SIMD register used (1 for scalar). */
    int floatLanes();

    /**
     * This backend's arithmetic ceiling, as a probe to time: ten independent chains {@code a = fma(a, 0.999999, 1e-7)},
     * chain {@code c} starting at {@code start + c}, {@code rounds} steps each, in every one of {@link #floatLanes()}
     * lanes — {@code 20 * floatLanes() * rounds} floating-point operations and no memory traffic. Returns the sum of
     * the chains' final values in chain order (one lane's), the same bits on every backend, so the work cannot be
     * optimized away.
     */
    default float fmaProbe(float start, int rounds) {
        float a0 = start, a1 = start + 1, a2 = start + 2, a3 = start + 3, a4 = start + 4;
        float a5 = start + 5, a6 = start + 6, a7 = start + 7, a8 = start + 8, a9 = start + 9;
        for (int i = 0; i < rounds; i++) {
            a0 = Math.fma(a0, FMA_PROBE_M, FMA_PROBE_C); a1 = Math.fma(a1, FMA_PROBE_M, FMA_PROBE_C);
            a2 = Math.fma(a2, FMA_PROBE_M, FMA_PROBE_C); a3 = Math.fma(a3, FMA_PROBE_M, FMA_PROBE_C);
            a4 = Math.fma(a4, FMA_PROBE_M, FMA_PROBE_C); a5 = Math.fma(a5, FMA_PROBE_M, FMA_PROBE_C);
            a6 = Math.fma(a6, FMA_PROBE_M, FMA_PROBE_C); a7 = Math.fma(a7, FMA_PROBE_M, FMA_PROBE_C);
            a8 = Math.fma(a8, FMA_PROBE_M, FMA_PROBE_C); a9 = Math.fma(a9, FMA_PROBE_M, FMA_PROBE_C);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9;
    }

    /** The probe's multiplier and addend ({@link #fmaProbe}). */
    float FMA_PROBE_M = 0.999999f, FMA_PROBE_C = 1e-7f;

    /**
     * A sparse product's reads without its arithmetic, as a bound to time the product against: the sum of rows
     * {@code idx[k]} of {@code x} over {@code k} in {@code [from, to)}, each row read as this backend's products read
     * the rows of their dense operand (the SIMD backend in whole vectors, block by block, so its sum also takes in a
     * row's padding; rows narrower than a vector and not padded to one, which its products do not read in whole
     * vectors, as the scalar backend reads them). Over
     * the CSR column indices these are the forward product's and SDDMM's reads of X; over the transpose index's row
     * indices, the transposed product's reads of dY. Only the sum's order differs between backends: over small
     * integers, which float adds exactly, every backend returns the same value.
     */
    default float rowReads(MemorySegment idx, long from, long to, DenseMatrix x) {
        MemorySegment xs = x.segment();
        long stride = x.stride();
        int n = x.cols();
        float s = 0;
        for (long k = from; k < to; k++) {
            long base = idx.getAtIndex(JAVA_INT, k) * stride;
            for (int c = 0; c < n; c++) s += xs.getAtIndex(JAVA_FLOAT, base + c);
        }
        return s;
    }

    /** {@code Y[j,:] = b[j] + sum_i W[j,i] X[i,:]} for rows {@code j} in {@code [rowFrom, rowTo)}; {@code bias} may be null. */
    void csrForward(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y, int rowFrom, int rowTo);

    /** {@code dX[i,:] = sum_j W[j,i] dY[j,:]} for input rows {@code i} in {@code [colFrom, colTo)}, via the transpose index. */
    void csrTransposed(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo);

    /**
     * Whether {@link #csrTransposed} reads {@code w}'s transpose index for these shapes. When it does not,
     * callers should not build the index (12 bytes per connection, rebuilt after every topology change)
     * just to split the work.
     */
    default boolean transposedReadsIndex(CsrMatrix w, DenseMatrix dy, DenseMatrix dx) {
        return true;
    }

    /**
     * {@link #csrTransposed} with W read in column order from {@code w.valuesByColumn()}, which
     * {@link #copyValuesByColumn} must have filled for every row since W's values last changed (when
     * {@link #transposedReadsIndex} is false it reads neither and is {@code csrTransposed}). A pool
     * copies the values by rows, then computes by columns: {@code csrTransposed} alone must gather
     * its columns' values, a random read per connection.
     */
    void csrTransposedByColumn(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo);

    /**
     * {@code valuesByColumn[columnPos[k]] = values[k]} for the entries of rows {@code [rowFrom, rowTo)}:
     * sequential reads and scattered writes, which overlap their cache misses better than the gather
     * ({@code values[valuePos[t]]}) does. The same plain loop for every backend (the Vector API
     * scatters only into heap arrays).
     */
    default void copyValuesByColumn(CsrMatrix w, int rowFrom, int rowTo) {
        MemorySegment values = w.values(), pos = w.columnPos(), byColumn = w.valuesByColumn();
        for (long k = w.rowStart(rowFrom), end = w.rowStart(rowTo); k < end; k++) {
            byColumn.setAtIndex(JAVA_FLOAT, pos.getAtIndex(JAVA_INT, k), values.getAtIndex(JAVA_FLOAT, k));
        }
    }

    /** {@code grad[k] = scale * dot(dY[j,:], X[i,:])} for each stored entry {@code k = (j, i)} of rows {@code [rowFrom, rowTo)}. */
    void sddmm(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment grad, int rowFrom, int rowTo);

    /**
     * SDDMM fused with an SGD step, so no gradient array is stored: with {@code g = scale * dot(dY[j,:], X[i,:])},
     * {@code v = momentum*v - lr*g; W += v - weightDecay*W} for each stored entry of rows {@code [rowFrom, rowTo)}.
     */
    void sddmmSgd(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment velocity,
                  float lr, float momentum, float weightDecay, int rowFrom, int rowTo);

    /** {@code y = x > 0 ? x : slope*x} on rows {@code [rowFrom, rowTo)}; slope 0 is ReLU. {@code y} may be {@code x}. */
    void leakyRelu(DenseMatrix x, float slope, DenseMatrix y, int rowFrom, int rowTo);

    /** {@code grad *= pre > 0 ? 1 : slope}. */
    void leakyReluBackward(DenseMatrix pre, float slope, DenseMatrix grad, int rowFrom, int rowTo);

    /** {@code y = 1 / (1 + exp(-x))}. */
    void sigmoid(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo);

    /** {@code grad *= y (1 - y)} where {@code y} is the sigmoid output. */
    void sigmoidBackward(DenseMatrix y, DenseMatrix grad, int rowFrom, int rowTo);

    /** {@code y = tanh(x)}. */
    void tanh(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo);

    /** {@code grad *= 1 - y^2} where {@code y} is the tanh output. */
    void tanhBackward(DenseMatrix y, DenseMatrix grad, int rowFrom, int rowTo);

    /**
     * Inverted dropout on rows {@code [rowFrom, rowTo)}: {@code mask[r,c]} is {@code keepScale} where the
     * 16-bit draw of element (r, c) is at least {@code threshold} (any int: 0 or less keeps every element,
     * above 65535 drops every one) and {@code +0} elsewhere, and
     * {@code out = a * mask}. The draws are counter-based, so any split of the rows gives the same masks:
     * the draw of (r, c) is bits {@code 16·(c mod 4)} to {@code 16·(c mod 4) + 15} of
     * {@code mix(mix(seed + r·0xD1B54A32D192ED03) + ⌊c/4⌋)}, {@code mix} being
     * {@link org.dst4j.runtime.random.RandomStream#mix}. {@code out} may be {@code a}.
     */
    void dropout(DenseMatrix a, long seed, int threshold, float keepScale, DenseMatrix mask, DenseMatrix out, int rowFrom, int rowTo);

    /** {@code x *= y}, element by element, on rows {@code [rowFrom, rowTo)} (a dropout mask applied to a gradient). */
    void elementMult(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo);

    /**
     * Standardizes rows {@code [rowFrom, rowTo)} of a feature-major batch in place: each entry of row
     * {@code f} becomes {@link #standardized standardized(x, mean[f], 1f / std[f], std[f])}. The same
     * plain loop for every backend.
     */
    // In vectors it ran 6.7x faster once compiled (1,000 features x 128: 12.5 against 84 µs) but cost
    // more than it saved in a short run: until C2 compiles a kernel each vector operation is a boxed Java
    // loop, and with it the main job's first epoch took 3.4 s (median of 7 runs) against 2.7 with this loop.
    default void standardize(DenseMatrix x, float[] mean, float[] std, int rowFrom, int rowTo) {
        MemorySegment xs = x.segment();
        int n = x.cols();
        for (int f = rowFrom; f < rowTo; f++) {
            long base = f * x.stride();
            float m = mean[f], inv = 1f / std[f];
            for (int c = 0; c < n; c++) xs.setAtIndex(JAVA_FLOAT, base + c, standardized(xs.getAtIndex(JAVA_FLOAT, base + c), m, inv, std[f]));
        }
    }

    /**
     * {@code (x - mean) * inv} in float or, where that is not finite (x - mean overflows near the float
     * range while the standardized value fits), {@code (x - (double) mean) / std} rounded to float: every
     * value that does not overflow keeps the bits of the plain float formula.
     */
    static float standardized(float x, float mean, float inv, float std) {
        float z = (x - mean) * inv;
        return Float.isFinite(z) ? z : (float) ((x - (double) mean) / std);
    }

    /**
     * Softmax over each column of {@code logits} ({@code [classes x batch]}) with cross-entropy against
     * {@code labels[labelOffset + c]}, by a stable log-sum-exp.
     *
     * @param grad if not null, receives {@code gradScale * (softmax - onehot)}
     * @param probs if not null, receives the softmax
     * @return the summed (not averaged) loss over the columns
     * @throws IllegalArgumentException if a label is not in {@code [0, classes)}
     */
    double softmaxCrossEntropy(DenseMatrix logits, int[] labels, int labelOffset, float gradScale,
                               DenseMatrix grad, DenseMatrix probs);

    /** {@code db[j] = sum_c dY[j,c]} for rows {@code [rowFrom, rowTo)}. */
    void biasGradient(DenseMatrix dy, MemorySegment db, int rowFrom, int rowTo);

    /**
     * One AdamW step over entries {@code [from, to)} of aligned float arrays (parameters {@code p},
     * gradient {@code g}, moments {@code m} and {@code v}): with {@code gk = gScale * g},
     * {@code m = beta1*m + (1-beta1)*gk}, {@code v = beta2*v + (1-beta2)*gk*gk},
     * {@code p -= lr * ((m / c1) / (sqrt(v / c2) + eps) + weightDecay * p)}, where {@code c1} and
     * {@code c2} are the bias corrections {@code 1 - beta^t}. Every backend gives the same bits (no
     * fused multiply-adds; division and square root are exactly rounded).
     */
    void adamStep(MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v, long from, long to, float gScale,
                  float beta1, float beta2, float eps, float weightDecay, float lr, float c1, float c2);

    /** {@code x[off..off+n) *= a} over a float segment (offsets in floats). */
    void scale(MemorySegment x, long off, long n, float a);

    /** {@code y[yOff..) += a * x[xOff..)} for {@code n} floats. */
    void axpy(float a, MemorySegment x, long xOff, MemorySegment y, long yOff, long n);
}
