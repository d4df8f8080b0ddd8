package org.dst4j.runtime.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.dst4j.runtime.random.RandomStream.mix;

import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.sparse.CsrMatrix;

/** Plain-loop kernels: the portable backend, and the behaviour the SIMD backend must match. */
final class ScalarKernels implements Kernels {

    @Override public String name() { return "scalar"; }

    @Override public int floatLanes() { return 1; }

    @Override
    public void csrForward(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), xs = x.segment(), ys = y.segment();
        long xStride = x.stride(), yStride = y.stride();
        int n = y.cols();
        for (int j = rowFrom; j < rowTo; j++) {
            float b = bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j);
            long yBase = j * yStride;
            for (int c = 0; c < n; c++) ys.setAtIndex(JAVA_FLOAT, yBase + c, b);
            long end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                float wk = wv.getAtIndex(JAVA_FLOAT, k);
                long xBase = ci.getAtIndex(JAVA_INT, k) * xStride;
                for (int c = 0; c < n; c++) {
                    ys.setAtIndex(JAVA_FLOAT, yBase + c,
                            Fma.fma(wk, xs.getAtIndex(JAVA_FLOAT, xBase + c), ys.getAtIndex(JAVA_FLOAT, yBase + c)));
                }
            }
        }
    }

    @Override
    public void csrTransposed(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        transposed(w, w.valuePos(), w.values(), dy, dx, colFrom, colTo);
    }

    @Override
    public void csrTransposedByColumn(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        transposed(w, null, w.valuesByColumn(), dy, dx, colFrom, colTo);
    }

    // W[j,i] at column-order position t is wv[vp[t]], or wv[t] when vp is null (wv already in column order)
    private static void transposed(CsrMatrix w, MemorySegment vp, MemorySegment wv, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        MemorySegment cp = w.colPtr(), ri = w.rowIdx();
        MemorySegment dys = dy.segment(), dxs = dx.segment();
        long dyStride = dy.stride(), dxStride = dx.stride();
        int n = dx.cols();
        for (int i = colFrom; i < colTo; i++) {
            long dxBase = i * dxStride;
            for (int c = 0; c < n; c++) dxs.setAtIndex(JAVA_FLOAT, dxBase + c, 0f);
            long end = cp.getAtIndex(JAVA_LONG, i + 1L);
            for (long t = cp.getAtIndex(JAVA_LONG, i); t < end; t++) {
                float wt = wv.getAtIndex(JAVA_FLOAT, vp == null ? t : vp.getAtIndex(JAVA_INT, t));
                long dyBase = ri.getAtIndex(JAVA_INT, t) * dyStride;
                for (int c = 0; c < n; c++) {
                    dxs.setAtIndex(JAVA_FLOAT, dxBase + c,
                            Fma.fma(wt, dys.getAtIndex(JAVA_FLOAT, dyBase + c), dxs.getAtIndex(JAVA_FLOAT, dxBase + c)));
                }
            }
        }
    }

    /**
     * Sums over the batch (SDDMM's dots, the bias gradient) run in 16 partial sums, element c into sum
     * c mod 16, which are then added in pairs at distance 8, 4, 2 and 1: the order of one 512-bit
     * vector of accumulators. SDDMM's dots read the batch in whole groups of 16, zeros past its end (see
     * {@link #dot}); the bias gradient adds the elements past the last whole group one by one after the
     * pairs. The SIMD kernels keep this order at every vector width (a 256-bit accumulator is half of
     * it), so these sums have the same bits, the sign of a zero included, on this backend and on 128-,
     * 256- and 512-bit hardware. Not every kernel does: this backend's sigmoid, tanh and softmax use StrictMath
     * where the SIMD ones use a polynomial exp (a few ulps apart; the SIMD tanh, 1 - 2 / (exp(2x) + 1), is off by
     * ~6e-8 absolute near 0, see docs/internals.md), so a model trained here (any classifier:
     * its loss is the softmax) differs in the last bits from one trained on the SIMD backend; and the
     * SIMD products along the connections (narrow batches, {@code PanamaKernels.alongConnections}) sum in
     * the machine's width.
     */
    static final int SUM_LANES = 16;

    private static float dot(MemorySegment a, long aBase, MemorySegment b, long bBase, int n) {
        return dot(a, aBase, b, bBase, n, 0, 1);
    }

    // The pairwise tree: the sum of lanes l, l + d, l + 2d, ... is that of lanes l, l + 2d, ... plus that
    // of lanes l + d, l + 3d, ...; a leaf (d = 16) is one partial sum, elements l, l + 16, ... in order,
    // then, if the batch ends inside a group of 16 and lane l is past its end there, one product of the
    // padding: fma(0, 0, s), which is s + 0.
    // Why the +0: the SIMD kernels read the last partial group whole, with the elements past n zeroed
    // (PanamaKernels.quad and dotSets). s + 0 is s except for s = -0, which becomes +0; and a sum is -0
    // when its products all round to -0 (fma(1e-25f, -1e-25f, 0f) is -0f). Without it a batch of 17 such
    // products gave -0 here and +0 at every vector width.
    private static float dot(MemorySegment a, long aBase, MemorySegment b, long bBase, int n, int l, int d) {
        if (d < SUM_LANES) return dot(a, aBase, b, bBase, n, l, 2 * d) + dot(a, aBase, b, bBase, n, l + d, 2 * d);
        float s = 0f;
        for (int c = l; c < n; c += SUM_LANES) s = Fma.fma(a.getAtIndex(JAVA_FLOAT, aBase + c), b.getAtIndex(JAVA_FLOAT, bBase + c), s);
        if (n % SUM_LANES != 0 && l >= n % SUM_LANES) s = Fma.fma(0f, 0f, s);
        return s;
    }

    private static float sum(MemorySegment a, long aBase, int n, int l, int d) {
        if (d < SUM_LANES) return sum(a, aBase, n, l, 2 * d) + sum(a, aBase, n, l + d, 2 * d);
        float s = 0f;
        for (int c = l; c < n; c += SUM_LANES) s += a.getAtIndex(JAVA_FLOAT, aBase + c);
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
                sgdStep(wv, velocity, k, g, lr, momentum, weightDecay);
            }
        }
    }

    static void sgdStep(MemorySegment wv, MemorySegment velocity, long k, float g, float lr, float momentum, float weightDecay) {
        float v = momentum * velocity.getAtIndex(JAVA_FLOAT, k) - lr * g;
        velocity.setAtIndex(JAVA_FLOAT, k, v);
        float wk = wv.getAtIndex(JAVA_FLOAT, k);
        wv.setAtIndex(JAVA_FLOAT, k, wk + v - weightDecay * wk);
    }

    @Override
    public void leakyRelu(DenseMatrix x, float slope, DenseMatrix y, int rowFrom, int rowTo) {
        int n = x.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            for (int c = 0; c < n; c++) {
                float v = x.get(r, c);
                y.set(r, c, v > 0f ? v : slope * v);
            }
        }
    }

    @Override
    public void leakyReluBackward(DenseMatrix pre, float slope, DenseMatrix grad, int rowFrom, int rowTo) {
        int n = grad.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            for (int c = 0; c < n; c++) {
                if (!(pre.get(r, c) > 0f)) grad.set(r, c, slope * grad.get(r, c));
            }
        }
    }

    @Override
    public void dropout(DenseMatrix a, long seed, int threshold, float keepScale, DenseMatrix mask, DenseMatrix out, int rowFrom, int rowTo) {
        int n = a.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long rowSeed = mix(seed + r * 0xD1B54A32D192ED03L);
            for (int c = 0; c < n; c++) {
                int u = (int) (mix(rowSeed + c / 4) >>> (16 * (c % 4))) & 0xffff;
                float m = u >= threshold ? keepScale : 0f;
                mask.set(r, c, m);
                out.set(r, c, a.get(r, c) * m);
            }
        }
    }

    @Override
    public void elementMult(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo) {
        int n = x.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            for (int c = 0; c < n; c++) x.set(r, c, x.get(r, c) * y.get(r, c));
        }
    }

    @Override
    public void sigmoid(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo) {
        int n = x.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            for (int c = 0; c < n; c++) y.set(r, c, sigmoid(x.get(r, c)));
        }
    }

    // StrictMath throughout: its results are fixed by specification, on every JVM and compilation tier.
    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + StrictMath.exp(-x)));
    }

    @Override
    public void sigmoidBackward(DenseMatrix y, DenseMatrix grad, int rowFrom, int rowTo) {
        int n = grad.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            for (int c = 0; c < n; c++) {
                float s = y.get(r, c);
                grad.set(r, c, grad.get(r, c) * s * (1f - s));
            }
        }
    }

    @Override
    public void tanh(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo) {
        int n = x.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            for (int c = 0; c < n; c++) y.set(r, c, (float) StrictMath.tanh(x.get(r, c)));
        }
    }

    @Override
    public void tanhBackward(DenseMatrix y, DenseMatrix grad, int rowFrom, int rowTo) {
        int n = grad.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            for (int c = 0; c < n; c++) {
                float t = y.get(r, c);
                grad.set(r, c, grad.get(r, c) * (1f - t * t));
            }
        }
    }

    @Override
    public double softmaxCrossEntropy(DenseMatrix logits, int[] labels, int labelOffset, float gradScale,
                                      DenseMatrix grad, DenseMatrix probs) {
        double loss = 0;
        for (int c = 0; c < logits.cols(); c++) {
            loss += softmaxColumn(logits, labels[labelOffset + c], labelOffset + c, c, gradScale, grad, probs);
        }
        return loss;
    }

    // One column's softmax and cross-entropy by a stable log-sum-exp; returns the column's loss.
    static double softmaxColumn(DenseMatrix logits, int label, int labelIndex, int c, float gradScale,
                                DenseMatrix grad, DenseMatrix probs) {
        int classes = logits.rows();
        if (label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + label + " at index " + labelIndex + " out of range [0, " + classes + ")");
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < classes; j++) max = Math.max(max, logits.get(j, c));
        double total = 0;
        for (int j = 0; j < classes; j++) total += StrictMath.exp(logits.get(j, c) - max);
        double lse = max + StrictMath.log(total);
        for (int j = 0; j < classes; j++) {
            float p = (float) StrictMath.exp(logits.get(j, c) - lse);
            if (probs != null) probs.set(j, c, p);
            if (grad != null) grad.set(j, c, gradScale * (p - (j == label ? 1f : 0f)));
        }
        return lse - logits.get(label, c);
    }

    @Override
    public void biasGradient(DenseMatrix dy, MemorySegment db, int rowFrom, int rowTo) {
        int n = dy.cols(), whole = n - n % SUM_LANES;
        MemorySegment s = dy.segment();
        for (int j = rowFrom; j < rowTo; j++) {
            long base = j * dy.stride();
            // whole groups of 16 in the pairwise order, then the rest one by one (the SIMD kernels' tail)
            float total = sum(s, base, whole, 0, 1);
            for (int c = whole; c < n; c++) total += s.getAtIndex(JAVA_FLOAT, base + c);
            db.setAtIndex(JAVA_FLOAT, j, total);
        }
    }

    @Override
    public void adamStep(MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v, long from, long to, float gScale,
                         float beta1, float beta2, float eps, float weightDecay, float lr, float c1, float c2) {
        for (long k = from; k < to; k++) {
            float gk = gScale * g.getAtIndex(JAVA_FLOAT, k);
            float mk = beta1 * m.getAtIndex(JAVA_FLOAT, k) + (1 - beta1) * gk;
            float vk = beta2 * v.getAtIndex(JAVA_FLOAT, k) + (1 - beta2) * gk * gk;
            m.setAtIndex(JAVA_FLOAT, k, mk);
            v.setAtIndex(JAVA_FLOAT, k, vk);
            float pk = p.getAtIndex(JAVA_FLOAT, k);
            // the float square root, exactly rounded: sqrt in double rounded once to float is the same
            float update = (mk / c1) / ((float) Math.sqrt(vk / c2) + eps) + weightDecay * pk;
            p.setAtIndex(JAVA_FLOAT, k, pk - lr * update);
        }
    }

    @Override
    public void scale(MemorySegment x, long off, long n, float a) {
        for (long i = off; i < off + n; i++) x.setAtIndex(JAVA_FLOAT, i, a * x.getAtIndex(JAVA_FLOAT, i));
    }

    @Override
    public void axpy(float a, MemorySegment x, long xOff, MemorySegment y, long yOff, long n) {
        for (long i = 0; i < n; i++) {
            y.setAtIndex(JAVA_FLOAT, yOff + i, Fma.fma(a, x.getAtIndex(JAVA_FLOAT, xOff + i), y.getAtIndex(JAVA_FLOAT, yOff + i)));
        }
    }
}
