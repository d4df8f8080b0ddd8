package org.dst4j.nn.layer;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.dst4j.runtime.random.RandomStream.mix;

import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.parallel.WorkerPool;

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
    public void apply(WorkerPool pool, long step, int layer, DenseMatrix a, DenseMatrix mask, DenseMatrix out) {
        float keepScale = 1f / (1f - rate);
        long base = mix(seed ^ mix(step * 0x9E3779B97F4A7C15L + layer));
        int n = a.cols();
        pool.run(a.rows(), (from, to) -> {
            MemorySegment as = a.segment(), ms = mask.segment(), os = out.segment();
            for (int r = from; r < to; r++) {
                long rowBase = mix(base + r * 0xD1B54A32D192ED03L);
                long am = r * a.stride(), mm = r * mask.stride(), om = r * out.stride();
                long h = 0;
                for (int c = 0; c < n; c++) {
                    if ((c & 3) == 0) h = mix(rowBase + (c >>> 2));
                    int u = (int) (h >>> ((c & 3) << 4)) & 0xffff;
                    float m = u >= threshold ? keepScale : 0f;
                    ms.setAtIndex(JAVA_FLOAT, mm + c, m);
                    os.setAtIndex(JAVA_FLOAT, om + c, as.getAtIndex(JAVA_FLOAT, am + c) * m);
                }
            }
        });
    }

    /** {@code grad *= mask}: the gradient flows only through the kept units. */
    public static void backward(WorkerPool pool, DenseMatrix mask, DenseMatrix grad) {
        int n = grad.cols();
        pool.run(grad.rows(), (from, to) -> {
            MemorySegment gs = grad.segment(), ms = mask.segment();
            for (int r = from; r < to; r++) {
                long g = r * grad.stride(), m = r * mask.stride();
                for (int c = 0; c < n; c++) {
                    gs.setAtIndex(JAVA_FLOAT, g + c, gs.getAtIndex(JAVA_FLOAT, g + c) * ms.getAtIndex(JAVA_FLOAT, m + c));
                }
            }
        });
    }
}
