package org.dst4j.nn.layer;

import static org.dst4j.runtime.random.RandomStream.mix;

import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;

/**
 * Inverted dropout: during training each activation is zeroed with probability {@code rate} and the
 * survivors are scaled by {@code 1/(1-rate)}, so nothing changes at test time.
 *
 * <p>The mask of element (row, column) at a training step is a hash of (seed, step, layer, row,
 * column) — counter-based, not a sequential stream — so it is the same whichever thread draws it.
 */
public final class Dropout {
    private final float rate;
    private final long seed;
    private final int threshold;

    /**
     * @param rate the probability of dropping an element, in [0, 1)
     * @param seed hashed into every mask, so that a seed fixes them all
     */
    public Dropout(float rate, long seed) {
        if (!(rate >= 0f && rate < 1f)) throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
        this.rate = rate;
        this.seed = seed;
        this.threshold = Math.round(rate * 65536f);
    }

    /** The probability of dropping an element. */
    public float rate() { return rate; }

    /**
     * Draws the mask for {@code (step, layer)} into {@code mask} (0 or {@code 1/(1-rate)}) and writes
     * {@code out = a * mask}; {@code a} itself is kept for the activation's derivative.
     */
    public void apply(ParallelKernels pk, long step, int layer, DenseMatrix a, DenseMatrix mask, DenseMatrix out) {
        pk.dropout(a, mix(seed ^ mix(step * 0x9E3779B97F4A7C15L + layer)), threshold, 1f / (1f - rate), mask, out);
    }

    /** {@code grad *= mask}: the gradient flows only through the kept units. */
    public static void backward(ParallelKernels pk, DenseMatrix mask, DenseMatrix grad) {
        pk.elementMult(grad, mask);
    }
}
