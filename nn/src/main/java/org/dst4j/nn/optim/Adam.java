package org.dst4j.nn.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Adam with decoupled weight decay (AdamW): moments per live connection in side arrays, the gradient
 * at live connections only (SDDMM into a side array, then the moment update).
 */
public final class Adam implements Optimizer {
    public static final String M = "adam.m";
    public static final String V = "adam.v";
    public static final String GRAD = "adam.grad";
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private long t;

    public Adam(float beta1, float beta2, float eps, float weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0)) throw new IllegalArgumentException("Adam eps must be > 0, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** The usual defaults: beta1 0.9, beta2 0.999, eps 1e-8. */
    public static Adam withWeightDecay(float weightDecay) {
        return new Adam(0.9f, 0.999f, 1e-8f, weightDecay);
    }

    @Override public void attach(CsrMatrix w) {
        for (String s : new String[] {M, V, GRAD}) if (!w.hasSide(s)) w.addSide(s, JAVA_FLOAT);
    }

    @Override public String[] sideArrays() { return new String[] {M, V}; }

    @Override public int biasSlots() { return 2; }

    private float correction1() { return (float) (1 - StrictMath.pow(beta1, t + 1)); }

    private float correction2() { return (float) (1 - StrictMath.pow(beta2, t + 1)); }

    @Override
    public void updateWeights(ParallelKernels pk, CsrMatrix w, DenseMatrix dz, DenseMatrix x, float scale, float lr) {
        MemorySegment g = w.side(GRAD), m = w.side(M), v = w.side(V), values = w.values();
        pk.sddmm(w, dz, x, scale, g);
        float c1 = correction1(), c2 = correction2();
        pk.pool().run(pk.pool().splitByNnz(w.rowPtr(), w.rows(), 0), (from, to) -> {
            for (long k = w.rowStart(from), end = w.rowStart(to); k < end; k++) {
                step(values, g, m, v, k, lr, c1, c2, 1f);
            }
        });
    }

    private void step(MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v, long k, float lr, float c1, float c2, float gScale) {
        float gk = gScale * g.getAtIndex(JAVA_FLOAT, k);
        float mk = beta1 * m.getAtIndex(JAVA_FLOAT, k) + (1 - beta1) * gk;
        float vk = beta2 * v.getAtIndex(JAVA_FLOAT, k) + (1 - beta2) * gk * gk;
        m.setAtIndex(JAVA_FLOAT, k, mk);
        v.setAtIndex(JAVA_FLOAT, k, vk);
        float pk = p.getAtIndex(JAVA_FLOAT, k);
        float update = (mk / c1) / ((float) Math.sqrt(vk / c2) + eps) + weightDecay * pk;
        p.setAtIndex(JAVA_FLOAT, k, pk - lr * update);
    }

    @Override
    public void updateBias(MemorySegment bias, MemorySegment gradSum, MemorySegment state, int n, float scale, float lr) {
        MemorySegment m = state.asSlice(0, (long) n * Float.BYTES), v = state.asSlice((long) n * Float.BYTES, (long) n * Float.BYTES);
        float c1 = correction1(), c2 = correction2();
        for (int j = 0; j < n; j++) step(bias, gradSum, m, v, j, lr, c1, c2, scale);
    }

    @Override public void endStep() { t++; }

    @Override public long steps() { return t; }

    @Override public void setSteps(long steps) { t = steps; }
}
