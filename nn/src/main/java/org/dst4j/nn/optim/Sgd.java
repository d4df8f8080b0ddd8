package org.dst4j.nn.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * SGD with momentum and weight decay, as the SET reference code applies it:
 * {@code v = momentum*v - lr*g; w += v - weightDecay*w} (decay not scaled by the learning rate, and
 * applied to biases too). The weight step is fused with the gradient computation: no gradient array.
 *
 * @param momentum share of the velocity kept from step to step, in [0, 1)
 * @param weightDecay share of each weight removed per step, finite and >= 0
 */
public record Sgd(float momentum, float weightDecay) implements Optimizer {
    /** Side array of the momentum velocity, one per live connection. */
    public static final String VELOCITY = "velocity";

    /** @throws IllegalArgumentException if a setting is outside its range */
    public Sgd {
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        // An infinite decay turned every weight NaN at the first step (infinity times zero).
        if (!(weightDecay >= 0 && weightDecay < Float.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
    }

    /**
     * Checks a training configuration's SGD settings before anything is built: {@code lr} finite and
     * positive, {@code momentum} in [0, 1), {@code weightDecay} finite and non-negative.
     *
     * @throws IllegalArgumentException naming the first value out of range
     */
    public static void checkSettings(float lr, float momentum, float weightDecay) {
        if (!(lr > 0 && Float.isFinite(lr))) throw new IllegalArgumentException("lr must be finite and > 0, got " + lr);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        if (!(weightDecay >= 0 && Float.isFinite(weightDecay))) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
    }

    @Override public void attach(CsrMatrix w) {
        if (!w.hasSide(VELOCITY)) w.addSide(VELOCITY, JAVA_FLOAT);
    }

    @Override public String[] sideArrays() { return new String[] {VELOCITY}; }

    @Override public int biasSlots() { return 1; }

    @Override
    public void updateWeights(ParallelKernels pk, CsrMatrix w, DenseMatrix dz, DenseMatrix x, float scale, float lr) {
        pk.sddmmSgd(w, dz, x, scale, w.side(VELOCITY), lr, momentum, weightDecay);
    }

    @Override
    public void updateBias(ParallelKernels pk, MemorySegment bias, MemorySegment gradSum, MemorySegment state, int n, float scale, float lr) {
        for (int j = 0; j < n; j++) {
            float v = momentum * state.getAtIndex(JAVA_FLOAT, j) - lr * scale * gradSum.getAtIndex(JAVA_FLOAT, j);
            state.setAtIndex(JAVA_FLOAT, j, v);
            float b = bias.getAtIndex(JAVA_FLOAT, j);
            bias.setAtIndex(JAVA_FLOAT, j, b + v - weightDecay * b);
        }
    }
}
