package org.dst4j.nn.evolution;

import java.lang.foreign.MemorySegment;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Chooses where new connections grow.
 *
 * <p>Like a {@link PruneRule}, a rule sees one layer at a time and can tell layers apart by the
 * identity of {@code w}. It only chooses: {@link TopologyEvolution} inserts what it returns, and every
 * per-connection side array of a new entry (optimizer velocity or moments, and any side array of your
 * own) starts at zero, also at a position pruned in this same update.
 */
public interface GrowRule {

    /**
     * Picks up to {@code count} distinct positions not occupied by a surviving connection (entries of
     * {@code w} whose {@code keep} byte is non-zero) and returns them with initial weights. A position
     * pruned in this same step may be chosen again. It must change neither {@code w} nor {@code keep}.
     * A rule may return fewer than {@code count}: the layer then ends the update with fewer connections
     * than it had (the built-in rules return fewer only when the layer, or the {@link GrowthRegion} they
     * are confined to, has no more free positions).
     *
     * @param count how many to grow: the pruned count, times the schedule's
     *     {@link EvolutionSchedule#regrowth regrowth} when that is not 1
     * @param init the evolution's initializer, for the rule to draw the new weights from (a rule may
     *     choose its own values instead)
     * @param rnd this layer's stream for this update (draw from it, not from a stream of your own, and
     *     a resumed run grows the same)
     * @param gradient the layer's gradient on the latest training batch, for rules that rank positions
     *     by it; null when none is available (rules that need it then refuse)
     */
    Growth grow(CsrMatrix w, MemorySegment keep, long count, WeightInit init, RandomStream rnd, BatchGradient gradient);

    /**
     * Whether {@link #grow} reads the batch gradient. A network may release its activation buffers
     * while evolving with rules that do not (they are re-allocated by the next batch), so the
     * evolution's temporary arrays do not add to them at peak memory.
     */
    default boolean needsGradient() { return false; }

    /**
     * New connections.
     *
     * @param keys packed positions {@code row * cols + col}, strictly ascending; the first {@code count} are used
     * @param values their weights, in the same order
     * @param count how many there are
     * @param flops arithmetic spent choosing them (for training-cost accounting)
     */
    record Growth(long[] keys, float[] values, int count, long flops) {
        /**
         * Checks the sizes, so that a rule's mistake is named here rather than found half-way through
         * rewiring the layer.
         *
         * @throws IllegalArgumentException if {@code count} is negative or beyond either array
         */
        public Growth {
            if (count < 0 || count > keys.length || count > values.length) {
                throw new IllegalArgumentException("growth of " + count + " connections given " + keys.length + " keys and "
                        + values.length + " values");
            }
        }

        /** New connections whose choice cost no arithmetic worth counting (random regrowth). */
        public Growth(long[] keys, float[] values, int count) {
            this(keys, values, count, 0);
        }
    }
}
