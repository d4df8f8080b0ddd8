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
 * SIMD kernels on {@code jdk.incubator.vector}, for any vector width. Only {@link KernelProvider}
 * loads this class, and only after checking that the incubator module is readable.
 *
 * <p>Sparse products keep a block of the batch in registers while walking a row's connections: each
 * connection costs one broadcast and one FMA per vector, and every output is stored once.
 *
 * <p>Determinism: float {@code reduceLanes(ADD)} and the transcendental {@code lanewise} operators may
 * give different bits in interpreted and JIT-compiled code, so a result would depend on when the JIT
 * ran. These kernels use only exactly-rounded operations (add, mul, div, fma, permutations): lane sums
 * by a fixed butterfly, {@code exp} by a polynomial.
 */
final class PanamaKernels implements Kernels {
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    // The species must be a static final constant: C2 intrinsifies vector operations only on constant
    // species; an instance field makes every operation a boxed fallback (measured: 2 vs 66 GFLOP/s).
    // The width is fixed per JVM, from -Ddst4j.vectorBits (tests run separate JVMs per width).
    private static final VectorSpecies<Float> sp = species(Integer.getInteger("dst4j.vectorBits", 0));
    private static final int lanes = sp.length();
    private static final VectorShuffle<Float>[] butterfly = butterfly();

    PanamaKernels() {}

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

    @Override public String name() { return "panama"; }

    @Override public int floatLanes() { return lanes; }

    private static FloatVector load(MemorySegment s, long floatIndex) {
        return FloatVector.fromMemorySegment(sp, s, floatIndex * Float.BYTES, NO);
    }

    private static void store(FloatVector v, MemorySegment s, long floatIndex) {
        v.intoMemorySegment(s, floatIndex * Float.BYTES, NO);
    }

    @Override
    public void csrForward(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), xs = x.segment(), ys = y.segment();
        long xStride = x.stride(), yStride = y.stride();
        int n = y.cols();
        for (int j = rowFrom; j < rowTo; j++) {
            float b = bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j);
            long start = rp.getAtIndex(JAVA_LONG, j), end = rp.getAtIndex(JAVA_LONG, j + 1L);
            long yBase = j * yStride;
            int c = 0;
            for (; c + 4 * lanes <= n; c += 4 * lanes) {
                FloatVector a0 = FloatVector.broadcast(sp, b), a1 = a0, a2 = a0, a3 = a0;
                for (long k = start; k < end; k++) {
                    FloatVector wk = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, k));
                    long xb = ci.getAtIndex(JAVA_INT, k) * xStride + c;
                    a0 = load(xs, xb).fma(wk, a0);
                    a1 = load(xs, xb + lanes).fma(wk, a1);
                    a2 = load(xs, xb + 2L * lanes).fma(wk, a2);
                    a3 = load(xs, xb + 3L * lanes).fma(wk, a3);
                }
                store(a0, ys, yBase + c);
                store(a1, ys, yBase + c + lanes);
                store(a2, ys, yBase + c + 2L * lanes);
                store(a3, ys, yBase + c + 3L * lanes);
            }
            for (; c + lanes <= n; c += lanes) {
                FloatVector a = FloatVector.broadcast(sp, b);
                for (long k = start; k < end; k++) {
                    a = load(xs, ci.getAtIndex(JAVA_INT, k) * xStride + c).fma(FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, k)), a);
                }
                store(a, ys, yBase + c);
            }
            for (; c < n; c++) {
                float s = b;
                for (long k = start; k < end; k++) {
                    s = Math.fma(wv.getAtIndex(JAVA_FLOAT, k), xs.getAtIndex(JAVA_FLOAT, ci.getAtIndex(JAVA_INT, k) * xStride + c), s);
                }
                ys.setAtIndex(JAVA_FLOAT, yBase + c, s);
            }
        }
    }

    @Override
    public void csrTransposed(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        MemorySegment cp = w.colPtr(), ri = w.rowIdx(), vp = w.valuePos(), wv = w.values();
        MemorySegment dys = dy.segment(), dxs = dx.segment();
        long dyStride = dy.stride(), dxStride = dx.stride();
        int n = dx.cols();
        for (int i = colFrom; i < colTo; i++) {
            long start = cp.getAtIndex(JAVA_LONG, i), end = cp.getAtIndex(JAVA_LONG, i + 1L);
            long dxBase = i * dxStride;
            int c = 0;
            for (; c + 4 * lanes <= n; c += 4 * lanes) {
                FloatVector a0 = FloatVector.zero(sp), a1 = a0, a2 = a0, a3 = a0;
                for (long t = start; t < end; t++) {
                    FloatVector wt = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, vp.getAtIndex(JAVA_INT, t)));
                    long db = ri.getAtIndex(JAVA_INT, t) * dyStride + c;
                    a0 = load(dys, db).fma(wt, a0);
                    a1 = load(dys, db + lanes).fma(wt, a1);
                    a2 = load(dys, db + 2L * lanes).fma(wt, a2);
                    a3 = load(dys, db + 3L * lanes).fma(wt, a3);
                }
                store(a0, dxs, dxBase + c);
                store(a1, dxs, dxBase + c + lanes);
                store(a2, dxs, dxBase + c + 2L * lanes);
                store(a3, dxs, dxBase + c + 3L * lanes);
            }
            for (; c + lanes <= n; c += lanes) {
                FloatVector a = FloatVector.zero(sp);
                for (long t = start; t < end; t++) {
                    FloatVector wt = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, vp.getAtIndex(JAVA_INT, t)));
                    a = load(dys, ri.getAtIndex(JAVA_INT, t) * dyStride + c).fma(wt, a);
                }
                store(a, dxs, dxBase + c);
            }
            for (; c < n; c++) {
                float s = 0f;
                for (long t = start; t < end; t++) {
                    s = Math.fma(wv.getAtIndex(JAVA_FLOAT, vp.getAtIndex(JAVA_INT, t)),
                            dys.getAtIndex(JAVA_FLOAT, ri.getAtIndex(JAVA_INT, t) * dyStride + c), s);
                }
                dxs.setAtIndex(JAVA_FLOAT, dxBase + c, s);
            }
        }
    }

    private float dot(MemorySegment a, long aBase, MemorySegment b, long bBase, int n) {
        FloatVector s0 = FloatVector.zero(sp), s1 = s0;
        int c = 0;
        for (; c + 2 * lanes <= n; c += 2 * lanes) {
            s0 = load(a, aBase + c).fma(load(b, bBase + c), s0);
            s1 = load(a, aBase + c + lanes).fma(load(b, bBase + c + lanes), s1);
        }
        for (; c + lanes <= n; c += lanes) s0 = load(a, aBase + c).fma(load(b, bBase + c), s0);
        float s = sum(s0.add(s1));
        for (; c < n; c++) s = Math.fma(a.getAtIndex(JAVA_FLOAT, aBase + c), b.getAtIndex(JAVA_FLOAT, bBase + c), s);
        return s;
    }

    @Override
    public void sddmm(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment grad, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx();
        int n = dy.cols();
        for (int j = rowFrom; j < rowTo; j++) {
            long dyBase = j * dy.stride();
            long end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                long xBase = ci.getAtIndex(JAVA_INT, k) * x.stride();
                grad.setAtIndex(JAVA_FLOAT, k, scale * dot(dy.segment(), dyBase, x.segment(), xBase, n));
            }
        }
    }

    @Override
    public void sddmmSgd(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment velocity,
                         float lr, float momentum, float weightDecay, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values();
        int n = dy.cols();
        for (int j = rowFrom; j < rowTo; j++) {
            long dyBase = j * dy.stride();
            long end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                long xBase = ci.getAtIndex(JAVA_INT, k) * x.stride();
                float g = scale * dot(dy.segment(), dyBase, x.segment(), xBase, n);
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

    @Override
    public void axpy(float a, MemorySegment x, long xOff, MemorySegment y, long yOff, long n) {
        long i = 0;
        for (; i + lanes <= n; i += lanes) store(load(x, xOff + i).fma(FloatVector.broadcast(sp, a), load(y, yOff + i)), y, yOff + i);
        for (; i < n; i++) {
            y.setAtIndex(JAVA_FLOAT, yOff + i, Math.fma(a, x.getAtIndex(JAVA_FLOAT, xOff + i), y.getAtIndex(JAVA_FLOAT, yOff + i)));
        }
    }
}
