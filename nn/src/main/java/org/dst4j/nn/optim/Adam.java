package org.dst4j.nn.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.Kernels;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Adam with decoupled weight decay (AdamW): moments per live connection in side arrays, the gradient
 * at live connections only (SDDMM into a side array, then the moment update).
 */
public final class Adam implements Optimizer {
    /** Side array of the first moments, one per live connection. */
    public static final String M = "adam.m";
    /** Side array of the second moments, one per live connection. */
    public static final String V = "adam.v";
    /** Side array of a step's gradient at the live connections (scratch, not saved). */
    public static final String GRAD = "adam.grad";
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private long t;

    /**
     * @param beta1 decay of the first-moment average, in [0, 1) (0.9 is usual)
     * @param beta2 decay of the second-moment average, in [0, 1) (0.999 is usual)
     * @param eps added to the second moment's root before dividing, finite and > 0
     * @param weightDecay decoupled decay per step, {@code w -= lr * weightDecay * w}, finite and >= 0
     * @throws IllegalArgumentException for a value outside those ranges
     */
    public Adam(float beta1, float beta2, float eps, float weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        // An infinite eps stopped every update without a word; an infinite decay turned the weights NaN.
        if (!(eps > 0 && eps < Float.POSITIVE_INFINITY)) throw new IllegalArgumentException("Adam eps must be finite and > 0, got " + eps);
        if (!(weightDecay >= 0 && weightDecay < Float.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
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
        Kernels k = pk.kernels();
        pk.pool().run(pk.pool().splitByNnz(w.rowPtr(), w.rows(), 0), (from, to) ->
                k.adamStep(values, g, m, v, w.rowStart(from), w.rowStart(to), 1f, beta1, beta2, eps, weightDecay, lr, c1, c2));
    }

    @Override
    public void updateBias(ParallelKernels pk, MemorySegment bias, MemorySegment gradSum, MemorySegment state, int n, float scale, float lr) {
        MemorySegment m = state.asSlice(0, (long) n * Float.BYTES), v = state.asSlice((long) n * Float.BYTES, (long) n * Float.BYTES);
        pk.kernels().adamStep(bias, gradSum, m, v, 0, n, scale, beta1, beta2, eps, weightDecay, lr, correction1(), correction2());
    }

    @Override public void endStep() { t++; }

    @Override public long steps() { return t; }

    @Override public void setSteps(long steps) {
        // a negative count made the bias corrections 1 - beta^t negative or zero: updates of the wrong sign or infinite
        if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        t = steps;
    }
}
