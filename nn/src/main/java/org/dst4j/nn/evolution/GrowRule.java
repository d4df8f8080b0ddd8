package org.dst4j.nn.evolution;

import java.lang.foreign.MemorySegment;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;

/** Chooses where new connections grow. */
public interface GrowRule {

    /**
     * Picks up to {@code count} distinct positions not occupied by a surviving connection (entries of
     * {@code w} whose {@code keep} byte is non-zero) and returns them with initial weights. A position
     * pruned in this same step may be chosen again.
     *
     * @param gradient the layer's gradient on the latest training batch, for rules that rank positions
     *     by it; null when none is available (rules that need it then refuse)
     */
    Growth grow(CsrMatrix w, MemorySegment keep, long count, WeightInit init, RandomStream rnd, BatchGradient gradient);

    /**
     * Whether {@link #grow} reads the batch gradient. A network may release its activation buffers
     * while evolving with a rule that does not (they are re-allocated by the next batch), so the
     * evolution's temporary arrays do not add to them at peak memory.
     */
    default boolean needsGradient() { return false; }

    /**
     * New connections. Fewer than requested only when the layer has no more free positions.
     *
     * @param keys packed positions {@code row * cols + col}, strictly ascending; the first {@code count} are used
     * @param values their weights, in the same order
     * @param count how many there are
     * @param flops arithmetic spent choosing them (for training-cost accounting)
     */
    record Growth(long[] keys, float[] values, int count, long flops) {
        /** New connections whose choice cost no arithmetic worth counting (random regrowth). */
        public Growth(long[] keys, float[] values, int count) {
            this(keys, values, count, 0);
        }
    }
}
