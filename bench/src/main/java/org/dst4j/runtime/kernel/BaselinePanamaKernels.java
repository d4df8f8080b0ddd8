package org.dst4j.runtime.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * A frozen copy of the SIMD kernels as {@code PanamaKernels} was when commit 46d672c added it, kept in {@code bench}
 * for A/B against the current ones in one JMH run ({@code SparseKernelsBench -p kernels=baseline}; see
 * docs/results/kernels.md). Only that benchmark creates it; {@link KernelProvider} never loads it. The
 * kernels added to {@link Kernels} since ({@code adamStep}, {@code dropout}, {@code elementMult}) run the
 * scalar ones.
 *
 * <p>Sparse products keep a block of the batch in registers while walking a row's connections: each
 * connection costs one broadcast and one FMA per vector, and every output is stored once.
 *
 * <p>Determinism: float {@code reduceLanes(ADD)} and the transcendental {@code lanewise} operators may
 * give different bits in interpreted and JIT-compiled code, so a result would depend on when the JIT
 * ran. These kernels use only exactly-rounded operations (add, mul, div, fma, permutations): lane sums
 * by a fixed butterfly, {@code exp} by a polynomial.
 */
public final class BaselinePanamaKernels implements Kernels {
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    // The species must be a static final constant: C2 intrinsifies vector operations only on constant
    // species; an instance field makes every operation a boxed fallback (measured: 2 vs 66 GFLOP/s).
    // The width is fixed per JVM, from -Ddst4j.vectorBits (tests run separate JVMs per width).
    private static final VectorSpecies<Float> sp = species(Integer.getInteger("dst4j.vectorBits", 0));
    private static final int lanes = sp.length();
    private static final VectorShuffle<Float>[] butterfly = butterfly();

    public BaselinePanamaKernels() {}

    private static VectorSpecies<Float> species(int bits) {
        return bits <= 0 ? FloatVector.SPECIES_PREFERRED : VectorSpecies.of(float.class, jdk.incubator.vector.VectorShape.forBitSize(bits));
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] butterfly() {
        int steps = Integer.numberOfTrailingZeros(lanes);
        VectorShuffle<Float>[] b = new VectorShuffle[steps];
        for (int s = 0; s < steps; s++) {
            int d = lanes >> (s + 1);
            b[s] = VectorShuffle.fromOp(sp, i -> i ^ d);
        }
        return b;
    }

    // Sum of lanes in a fixed pairing order, the same bits in every compilation tier.
    private static float sum(FloatVector v) {
        for (VectorShuffle<Float> s : butterfly) v = v.add(v.rearrange(s));
        return v.lane(0);
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding and subtracting it rounds to an integer

    // exp(x) from Cephes' expf polynomial; relative error ~1e-7 over the clamped range.
    private static FloatVector exp(FloatVector x) {
        x = x.max(-87.3f).min(88.3f);
        FloatVector n = x.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(sp, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(sp, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(sp, 1.9875691500e-4f);
        p = p.fma(r, FloatVector.broadcast(sp, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(sp, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(sp, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(sp, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(sp, 5.0000001201e-1f));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    @Override public String name() { return "baseline"; }

    @Override public int floatLanes() { return lanes; }

    private static FloatVector load(MemorySegment s, long floatIndex) {
        return FloatVector.fromMemorySegment(sp, s, floatIndex * Float.BYTES, NO);
    }

    private static FloatVector load(MemorySegment s, long floatIndex, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(sp, s, floatIndex * Float.BYTES, NO, m);
    }

    private static void store(FloatVector v, MemorySegment s, long floatIndex) {
        v.intoMemorySegment(s, floatIndex * Float.BYTES, NO);
    }

    // Sparse products walk the batch in blocks of 8, then 4 vectors in the OUTER loop and all rows inside it:
    // one block of X ([features x 8 vectors], 2 MB at 4096 features and 512-bit vectors) then stays in
    // L2 while every row reads it, where a row-outer loop streams all of X (2 MB at batch 128) per row
    // range from L3. The weights are re-read once per block, sequentially.
    @Override
    public void csrForward(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), xs = x.segment(), ys = y.segment();
        long xStride = x.stride(), yStride = y.stride();
        int n = y.cols();
        int c = 0;
        for (; c + 8 * lanes <= n; c += 8 * lanes) {
            for (int j = rowFrom; j < rowTo; j++) {
                FloatVector a0 = FloatVector.broadcast(sp, bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j)), a1 = a0, a2 = a0, a3 = a0;
                FloatVector a4 = a0, a5 = a0, a6 = a0, a7 = a0;
                long end = rp.getAtIndex(JAVA_LONG, j + 1L);
                for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                    FloatVector wk = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, k));
                    long xb = ci.getAtIndex(JAVA_INT, k) * xStride + c;
                    a0 = load(xs, xb).fma(wk, a0);
                    a1 = load(xs, xb + lanes).fma(wk, a1);
                    a2 = load(xs, xb + 2L * lanes).fma(wk, a2);
                    a3 = load(xs, xb + 3L * lanes).fma(wk, a3);
                    a4 = load(xs, xb + 4L * lanes).fma(wk, a4);
                    a5 = load(xs, xb + 5L * lanes).fma(wk, a5);
                    a6 = load(xs, xb + 6L * lanes).fma(wk, a6);
                    a7 = load(xs, xb + 7L * lanes).fma(wk, a7);
                }
                long yb = j * yStride + c;
                store(a0, ys, yb);
                store(a1, ys, yb + lanes);
                store(a2, ys, yb + 2L * lanes);
                store(a3, ys, yb + 3L * lanes);
                store(a4, ys, yb + 4L * lanes);
                store(a5, ys, yb + 5L * lanes);
                store(a6, ys, yb + 6L * lanes);
                store(a7, ys, yb + 7L * lanes);
            }
        }
        for (; c + 4 * lanes <= n; c += 4 * lanes) {
            for (int j = rowFrom; j < rowTo; j++) {
                FloatVector a0 = FloatVector.broadcast(sp, bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j)), a1 = a0, a2 = a0, a3 = a0;
                long end = rp.getAtIndex(JAVA_LONG, j + 1L);
                for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                    FloatVector wk = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, k));
                    long xb = ci.getAtIndex(JAVA_INT, k) * xStride + c;
                    a0 = load(xs, xb).fma(wk, a0);
                    a1 = load(xs, xb + lanes).fma(wk, a1);
                    a2 = load(xs, xb + 2L * lanes).fma(wk, a2);
                    a3 = load(xs, xb + 3L * lanes).fma(wk, a3);
                }
                long yb = j * yStride + c;
                store(a0, ys, yb);
                store(a1, ys, yb + lanes);
                store(a2, ys, yb + 2L * lanes);
                store(a3, ys, yb + 3L * lanes);
            }
        }
        for (int vEnd = wholeVectorsEnd(n, xStride, yStride); c < vEnd; c += lanes) {
            for (int j = rowFrom; j < rowTo; j++) {
                FloatVector a = FloatVector.broadcast(sp, bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j));
                long end = rp.getAtIndex(JAVA_LONG, j + 1L);
                for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                    a = load(xs, ci.getAtIndex(JAVA_INT, k) * xStride + c).fma(FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, k)), a);
                }
                store(a, ys, j * yStride + c);
            }
        }
        for (; c < n; c++) {
            for (int j = rowFrom; j < rowTo; j++) {
                float s = bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j);
                long end = rp.getAtIndex(JAVA_LONG, j + 1L);
                for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                    s = Math.fma(wv.getAtIndex(JAVA_FLOAT, k), xs.getAtIndex(JAVA_FLOAT, ci.getAtIndex(JAVA_INT, k) * xStride + c), s);
                }
                ys.setAtIndex(JAVA_FLOAT, j * yStride + c, s);
            }
        }
    }

    // The frozen product reads each value through valuePos itself: no column-order copy to make.
    @Override
    public void copyValuesByColumn(CsrMatrix w, int rowFrom, int rowTo) {}

    @Override
    public void csrTransposedByColumn(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        csrTransposed(w, dy, dx, colFrom, colTo);
    }

    @Override
    public void csrTransposed(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        MemorySegment cp = w.colPtr(), ri = w.rowIdx(), vp = w.valuePos(), wv = w.values();
        MemorySegment dys = dy.segment(), dxs = dx.segment();
        long dyStride = dy.stride(), dxStride = dx.stride();
        int n = dx.cols();
        int c = 0;
        for (; c + 8 * lanes <= n; c += 8 * lanes) {
            for (int i = colFrom; i < colTo; i++) {
                FloatVector a0 = FloatVector.zero(sp), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
                long end = cp.getAtIndex(JAVA_LONG, i + 1L);
                for (long t = cp.getAtIndex(JAVA_LONG, i); t < end; t++) {
                    FloatVector wt = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, vp.getAtIndex(JAVA_INT, t)));
                    long db = ri.getAtIndex(JAVA_INT, t) * dyStride + c;
                    a0 = load(dys, db).fma(wt, a0);
                    a1 = load(dys, db + lanes).fma(wt, a1);
                    a2 = load(dys, db + 2L * lanes).fma(wt, a2);
                    a3 = load(dys, db + 3L * lanes).fma(wt, a3);
                    a4 = load(dys, db + 4L * lanes).fma(wt, a4);
                    a5 = load(dys, db + 5L * lanes).fma(wt, a5);
                    a6 = load(dys, db + 6L * lanes).fma(wt, a6);
                    a7 = load(dys, db + 7L * lanes).fma(wt, a7);
                }
                long xb = i * dxStride + c;
                store(a0, dxs, xb);
                store(a1, dxs, xb + lanes);
                store(a2, dxs, xb + 2L * lanes);
                store(a3, dxs, xb + 3L * lanes);
                store(a4, dxs, xb + 4L * lanes);
                store(a5, dxs, xb + 5L * lanes);
                store(a6, dxs, xb + 6L * lanes);
                store(a7, dxs, xb + 7L * lanes);
            }
        }
        for (; c + 4 * lanes <= n; c += 4 * lanes) {
            for (int i = colFrom; i < colTo; i++) {
                FloatVector a0 = FloatVector.zero(sp), a1 = a0, a2 = a0, a3 = a0;
                long end = cp.getAtIndex(JAVA_LONG, i + 1L);
                for (long t = cp.getAtIndex(JAVA_LONG, i); t < end; t++) {
                    FloatVector wt = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, vp.getAtIndex(JAVA_INT, t)));
                    long db = ri.getAtIndex(JAVA_INT, t) * dyStride + c;
                    a0 = load(dys, db).fma(wt, a0);
                    a1 = load(dys, db + lanes).fma(wt, a1);
                    a2 = load(dys, db + 2L * lanes).fma(wt, a2);
                    a3 = load(dys, db + 3L * lanes).fma(wt, a3);
                }
                long xb = i * dxStride + c;
                store(a0, dxs, xb);
                store(a1, dxs, xb + lanes);
                store(a2, dxs, xb + 2L * lanes);
                store(a3, dxs, xb + 3L * lanes);
            }
        }
        for (int vEnd = wholeVectorsEnd(n, dyStride, dxStride); c < vEnd; c += lanes) {
            for (int i = colFrom; i < colTo; i++) {
                FloatVector a = FloatVector.zero(sp);
                long end = cp.getAtIndex(JAVA_LONG, i + 1L);
                for (long t = cp.getAtIndex(JAVA_LONG, i); t < end; t++) {
                    FloatVector wt = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, vp.getAtIndex(JAVA_INT, t)));
                    a = load(dys, ri.getAtIndex(JAVA_INT, t) * dyStride + c).fma(wt, a);
                }
                store(a, dxs, i * dxStride + c);
            }
        }
        for (; c < n; c++) {
            for (int i = colFrom; i < colTo; i++) {
                float s = 0f;
                long end = cp.getAtIndex(JAVA_LONG, i + 1L);
                for (long t = cp.getAtIndex(JAVA_LONG, i); t < end; t++) {
                    s = Math.fma(wv.getAtIndex(JAVA_FLOAT, vp.getAtIndex(JAVA_INT, t)),
                            dys.getAtIndex(JAVA_FLOAT, ri.getAtIndex(JAVA_INT, t) * dyStride + c), s);
                }
                dxs.setAtIndex(JAVA_FLOAT, i * dxStride + c, s);
            }
        }
    }

    // Where both strides are whole vectors (rows of more than 8 columns are padded to a multiple of 16
    // floats), a last partial vector of a row can be read and written whole: the extra lanes compute on
    // padding and land in padding, which no kernel reads as data. This replaces a scalar pass over all
    // connections per leftover column (batch 100 = 6 vectors + 4 columns: the scalar tail cost as much as
    // the vector part), which narrower strides still take.
    private static int wholeVectorsEnd(int n, long strideA, long strideB) {
        return strideA % lanes == 0 && strideB % lanes == 0 ? n : n - n % lanes;
    }

    private static float dot(MemorySegment a, long aBase, MemorySegment b, long bBase, int n) {
        FloatVector s0 = FloatVector.zero(sp), s1 = s0;
        int c = 0;
        for (; c + 2 * lanes <= n; c += 2 * lanes) {
            s0 = load(a, aBase + c).fma(load(b, bBase + c), s0);
            s1 = load(a, aBase + c + lanes).fma(load(b, bBase + c + lanes), s1);
        }
        for (; c + lanes <= n; c += lanes) s0 = load(a, aBase + c).fma(load(b, bBase + c), s0);
        return tail(a, aBase, b, bBase, c, n, sum(s0.add(s1)));
    }

    private static float tail(MemorySegment a, long aBase, MemorySegment b, long bBase, int from, int n, float s) {
        for (int c = from; c < n; c++) s = Math.fma(a.getAtIndex(JAVA_FLOAT, aBase + c), b.getAtIndex(JAVA_FLOAT, bBase + c), s);
        return s;
    }

    // Four dot products against one dY row, for connections k..k+3 with X rows at x0..x3: each dY vector
    // is loaded once for four connections, and the four lane sums are reduced together (two
    // blend-and-add steps leave a quarter of the lanes per product, then a butterfly within quarters)
    // instead of four full butterflies. The results go straight to grad (velocity == null) or into an
    // SGD step: returning the vector would box it, as this method is too large for C2 to inline.
    private static void dot4(MemorySegment dys, long dyBase, MemorySegment xs, long x0, long x1, long x2, long x3, int n,
                             float scale, long at, MemorySegment grad, MemorySegment wv, MemorySegment velocity,
                             float lr, float momentum, float weightDecay) {
        FloatVector a = FloatVector.zero(sp), b = a, c = a, d = a;
        int k = 0;
        for (; k + lanes <= n; k += lanes) {
            FloatVector dv = load(dys, dyBase + k);
            a = load(xs, x0 + k).fma(dv, a);
            b = load(xs, x1 + k).fma(dv, b);
            c = load(xs, x2 + k).fma(dv, c);
            d = load(xs, x3 + k).fma(dv, d);
        }
        if (k < n) { // the last partial vector, masked: padding columns hold stale values
            VectorMask<Float> m = sp.indexInRange(k, n);
            FloatVector dv = load(dys, dyBase + k, m);
            a = load(xs, x0 + k, m).fma(dv, a);
            b = load(xs, x1 + k, m).fma(dv, b);
            c = load(xs, x2 + k, m).fma(dv, c);
            d = load(xs, x3 + k, m).fma(dv, d);
        }
        FloatVector ab = a.blend(b, UPPER_HALF).add(b.blend(a, UPPER_HALF).rearrange(SWAP_HALF));
        FloatVector cd = c.blend(d, UPPER_HALF).add(d.blend(c, UPPER_HALF).rearrange(SWAP_HALF));
        FloatVector v = ab.blend(cd, ODD_QUARTER).add(cd.blend(ab, ODD_QUARTER).rearrange(SWAP_QUARTER));
        // Constant shuffles (not a loop over an array, whose elements C2 cannot treat as constants).
        if (lanes >= 8) v = v.add(v.rearrange(WITHIN_QUARTER_1));
        if (lanes >= 16) v = v.add(v.rearrange(WITHIN_QUARTER_2));
        // lanes 0, q, h, h+q hold the dots of connections at, at+2, at+1, at+3
        float g0 = scale * v.lane(0), g1 = scale * v.lane(lanes / 2), g2 = scale * v.lane(lanes / 4), g3 = scale * v.lane(lanes / 2 + lanes / 4);
        if (velocity == null) {
            grad.setAtIndex(JAVA_FLOAT, at, g0);
            grad.setAtIndex(JAVA_FLOAT, at + 1, g1);
            grad.setAtIndex(JAVA_FLOAT, at + 2, g2);
            grad.setAtIndex(JAVA_FLOAT, at + 3, g3);
        } else {
            ScalarKernels.sgdStep(wv, velocity, at, g0, lr, momentum, weightDecay);
            ScalarKernels.sgdStep(wv, velocity, at + 1, g1, lr, momentum, weightDecay);
            ScalarKernels.sgdStep(wv, velocity, at + 2, g2, lr, momentum, weightDecay);
            ScalarKernels.sgdStep(wv, velocity, at + 3, g3, lr, momentum, weightDecay);
        }
    }

    private static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(sp, lanes >= 4 ? ~((1L << (lanes / 2)) - 1) & ((1L << lanes) - 1) : 0);
    private static final VectorMask<Float> ODD_QUARTER = VectorMask.fromLong(sp, quarterMask());
    private static final VectorShuffle<Float> SWAP_HALF = VectorShuffle.fromOp(sp, i -> i ^ Math.max(1, lanes / 2));
    private static final VectorShuffle<Float> SWAP_QUARTER = VectorShuffle.fromOp(sp, i -> i ^ Math.max(1, lanes / 4));
    private static final VectorShuffle<Float> WITHIN_QUARTER_1 = VectorShuffle.fromOp(sp, i -> i ^ Math.max(1, lanes / 8));
    private static final VectorShuffle<Float> WITHIN_QUARTER_2 = VectorShuffle.fromOp(sp, i -> i ^ Math.max(1, lanes / 16));

    private static long quarterMask() {
        long m = 0;
        for (int i = 0; i < lanes; i++) if (lanes >= 4 && (i & (lanes / 4)) != 0) m |= 1L << i;
        return m;
    }

    @Override
    public void sddmm(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment grad, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), dys = dy.segment(), xs = x.segment();
        long xStride = x.stride();
        int n = dy.cols();
        for (int j = rowFrom; j < rowTo; j++) {
            long dyBase = j * dy.stride();
            long k = rp.getAtIndex(JAVA_LONG, j), end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (; lanes >= 4 && k + 4 <= end; k += 4) {
                long x0 = ci.getAtIndex(JAVA_INT, k) * xStride, x1 = ci.getAtIndex(JAVA_INT, k + 1) * xStride;
                long x2 = ci.getAtIndex(JAVA_INT, k + 2) * xStride, x3 = ci.getAtIndex(JAVA_INT, k + 3) * xStride;
                dot4(dys, dyBase, xs, x0, x1, x2, x3, n, scale, k, grad, null, null, 0f, 0f, 0f);
            }
            for (; k < end; k++) {
                grad.setAtIndex(JAVA_FLOAT, k, scale * dot(dys, dyBase, xs, ci.getAtIndex(JAVA_INT, k) * xStride, n));
            }
        }
    }

    @Override
    public void sddmmSgd(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment velocity,
                         float lr, float momentum, float weightDecay, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), dys = dy.segment(), xs = x.segment();
        long xStride = x.stride();
        int n = dy.cols();
        for (int j = rowFrom; j < rowTo; j++) {
            long dyBase = j * dy.stride();
            long k = rp.getAtIndex(JAVA_LONG, j), end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (; lanes >= 4 && k + 4 <= end; k += 4) {
                long x0 = ci.getAtIndex(JAVA_INT, k) * xStride, x1 = ci.getAtIndex(JAVA_INT, k + 1) * xStride;
                long x2 = ci.getAtIndex(JAVA_INT, k + 2) * xStride, x3 = ci.getAtIndex(JAVA_INT, k + 3) * xStride;
                dot4(dys, dyBase, xs, x0, x1, x2, x3, n, scale, k, null, wv, velocity, lr, momentum, weightDecay);
            }
            for (; k < end; k++) {
                float g = scale * dot(dys, dyBase, xs, ci.getAtIndex(JAVA_INT, k) * xStride, n);
                ScalarKernels.sgdStep(wv, velocity, k, g, lr, momentum, weightDecay);
            }
        }
    }

    @Override
    public void leakyRelu(DenseMatrix x, float slope, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment xs = x.segment(), ys = y.segment();
        int n = x.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long xb = r * x.stride(), yb = r * y.stride();
            int c = 0;
            for (; c + lanes <= n; c += lanes) {
                FloatVector v = load(xs, xb + c);
                VectorMask<Float> pos = v.compare(VectorOperators.GT, 0f);
                store(v.mul(slope).blend(v, pos), ys, yb + c);
            }
            for (; c < n; c++) {
                float v = xs.getAtIndex(JAVA_FLOAT, xb + c);
                ys.setAtIndex(JAVA_FLOAT, yb + c, v > 0f ? v : slope * v);
            }
        }
    }

    @Override
    public void leakyReluBackward(DenseMatrix pre, float slope, DenseMatrix grad, int rowFrom, int rowTo) {
        MemorySegment ps = pre.segment(), gs = grad.segment();
        int n = grad.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long pb = r * pre.stride(), gb = r * grad.stride();
            int c = 0;
            for (; c + lanes <= n; c += lanes) {
                VectorMask<Float> pos = load(ps, pb + c).compare(VectorOperators.GT, 0f);
                FloatVector g = load(gs, gb + c);
                store(g.mul(slope).blend(g, pos), gs, gb + c);
            }
            for (; c < n; c++) {
                if (!(ps.getAtIndex(JAVA_FLOAT, pb + c) > 0f)) gs.setAtIndex(JAVA_FLOAT, gb + c, slope * gs.getAtIndex(JAVA_FLOAT, gb + c));
            }
        }
    }

    @Override
    public void sigmoid(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment xs = x.segment(), ys = y.segment();
        int n = x.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long xb = r * x.stride(), yb = r * y.stride();
            int c = 0;
            for (; c + lanes <= n; c += lanes) {
                FloatVector e = exp(load(xs, xb + c).neg());
                store(FloatVector.broadcast(sp, 1f).div(e.add(1f)), ys, yb + c);
            }
            for (; c < n; c++) ys.setAtIndex(JAVA_FLOAT, yb + c, ScalarKernels.sigmoid(xs.getAtIndex(JAVA_FLOAT, xb + c)));
        }
    }

    @Override
    public void sigmoidBackward(DenseMatrix y, DenseMatrix grad, int rowFrom, int rowTo) {
        MemorySegment ys = y.segment(), gs = grad.segment();
        int n = grad.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long yb = r * y.stride(), gb = r * grad.stride();
            int c = 0;
            for (; c + lanes <= n; c += lanes) {
                FloatVector s = load(ys, yb + c);
                store(load(gs, gb + c).mul(s).mul(s.neg().add(1f)), gs, gb + c);
            }
            for (; c < n; c++) {
                float s = ys.getAtIndex(JAVA_FLOAT, yb + c);
                gs.setAtIndex(JAVA_FLOAT, gb + c, gs.getAtIndex(JAVA_FLOAT, gb + c) * s * (1f - s));
            }
        }
    }

    @Override
    public void tanh(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment xs = x.segment(), ys = y.segment();
        int n = x.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long xb = r * x.stride(), yb = r * y.stride();
            int c = 0;
            for (; c + lanes <= n; c += lanes) {
                // tanh(x) = 1 - 2 / (exp(2x) + 1): saturates cleanly at +-1 when exp overflows or vanishes.
                FloatVector e = exp(load(xs, xb + c).mul(2f));
                store(FloatVector.broadcast(sp, 1f).sub(FloatVector.broadcast(sp, 2f).div(e.add(1f))), ys, yb + c);
            }
            for (; c < n; c++) ys.setAtIndex(JAVA_FLOAT, yb + c, (float) StrictMath.tanh(xs.getAtIndex(JAVA_FLOAT, xb + c)));
        }
    }

    @Override
    public void tanhBackward(DenseMatrix y, DenseMatrix grad, int rowFrom, int rowTo) {
        MemorySegment ys = y.segment(), gs = grad.segment();
        int n = grad.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long yb = r * y.stride(), gb = r * grad.stride();
            int c = 0;
            for (; c + lanes <= n; c += lanes) {
                FloatVector t = load(ys, yb + c);
                store(load(gs, gb + c).mul(t.mul(t).neg().add(1f)), gs, gb + c);
            }
            for (; c < n; c++) {
                float t = ys.getAtIndex(JAVA_FLOAT, yb + c);
                gs.setAtIndex(JAVA_FLOAT, gb + c, gs.getAtIndex(JAVA_FLOAT, gb + c) * (1f - t * t));
            }
        }
    }

    @Override
    public double softmaxCrossEntropy(DenseMatrix logits, int[] labels, int labelOffset, float gradScale,
                                      DenseMatrix grad, DenseMatrix probs) {
        int classes = logits.rows(), n = logits.cols();
        MemorySegment ls = logits.segment();
        long stride = logits.stride();
        double loss = 0;
        int c = 0;
        for (; c + lanes <= n; c += lanes) {
            FloatVector max = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < classes; j++) max = max.max(load(ls, j * stride + c));
            FloatVector total = FloatVector.zero(sp);
            for (int j = 0; j < classes; j++) total = total.add(exp(load(ls, j * stride + c).sub(max)));
            FloatVector inv = FloatVector.broadcast(sp, 1f).div(total);
            for (int j = 0; j < classes; j++) {
                FloatVector p = exp(load(ls, j * stride + c).sub(max)).mul(inv);
                if (probs != null) store(p, probs.segment(), j * probs.stride() + c);
                if (grad != null) store(p.mul(gradScale), grad.segment(), j * grad.stride() + c);
            }
            for (int i = 0; i < lanes; i++) {
                int label = checkedLabel(labels, labelOffset + c + i, classes);
                loss += StrictMath.log(total.lane(i)) + max.lane(i) - ls.getAtIndex(JAVA_FLOAT, label * stride + c + i);
                if (grad != null) grad.set(label, c + i, grad.get(label, c + i) - gradScale);
            }
        }
        for (; c < n; c++) {
            loss += ScalarKernels.softmaxColumn(logits, labels[labelOffset + c] , labelOffset + c, c, gradScale, grad, probs);
        }
        return loss;
    }

    private static int checkedLabel(int[] labels, int index, int classes) {
        int label = labels[index];
        if (label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + label + " at index " + index + " out of range [0, " + classes + ")");
        }
        return label;
    }

    @Override
    public void biasGradient(DenseMatrix dy, MemorySegment db, int rowFrom, int rowTo) {
        MemorySegment s = dy.segment();
        int n = dy.cols();
        for (int j = rowFrom; j < rowTo; j++) {
            long base = j * dy.stride();
            FloatVector acc = FloatVector.zero(sp);
            int c = 0;
            for (; c + lanes <= n; c += lanes) acc = acc.add(load(s, base + c));
            float total = sum(acc);
            for (; c < n; c++) total += s.getAtIndex(JAVA_FLOAT, base + c);
            db.setAtIndex(JAVA_FLOAT, j, total);
        }
    }

    @Override
    public void scale(MemorySegment x, long off, long n, float a) {
        long i = 0;
        for (; i + lanes <= n; i += lanes) store(load(x, off + i).mul(a), x, off + i);
        for (; i < n; i++) x.setAtIndex(JAVA_FLOAT, off + i, a * x.getAtIndex(JAVA_FLOAT, off + i));
    }

    // Not part of the frozen kernels (added later); the scalar reference.
    @Override
    public void adamStep(MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v, long from, long to, float gScale,
                         float beta1, float beta2, float eps, float weightDecay, float lr, float c1, float c2) {
        new ScalarKernels().adamStep(p, g, m, v, from, to, gScale, beta1, beta2, eps, weightDecay, lr, c1, c2);
    }

    // Not part of the frozen kernels (added later); the scalar reference.
    @Override
    public void dropout(DenseMatrix a, long seed, int threshold, float keepScale, DenseMatrix mask, DenseMatrix out, int rowFrom, int rowTo) {
        new ScalarKernels().dropout(a, seed, threshold, keepScale, mask, out, rowFrom, rowTo);
    }

    // Not part of the frozen kernels (added later); the scalar reference.
    @Override
    public void elementMult(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo) {
        new ScalarKernels().elementMult(x, y, rowFrom, rowTo);
    }

    @Override
    public void axpy(float a, MemorySegment x, long xOff, MemorySegment y, long yOff, long n) {
        long i = 0;
        for (; i + lanes <= n; i += lanes) store(load(x, xOff + i).fma(FloatVector.broadcast(sp, a), load(y, yOff + i)), y, yOff + i);
        for (; i < n; i++) {
            y.setAtIndex(JAVA_FLOAT, yOff + i, Math.fma(a, x.getAtIndex(JAVA_FLOAT, xOff + i), y.getAtIndex(JAVA_FLOAT, yOff + i)));
        }
    }
}
