package org.dst4j.nn.evolution;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Chooses which live connections to remove.
 *
 * <p>A rule is handed one layer's weight matrix at a time and is not told which layer it is; a rule
 * that treats layers differently can tell them apart by the matrix's identity
 * ({@code net.layers().get(l).weights() == w}), which stays the same object for the layer's life:
 * topology changes rewrite it in place.
 */
public interface PruneRule {

    /**
     * Marks connections to remove by writing 0 into {@code keep} (one byte per entry of {@code w},
     * pre-filled with 1 by the caller, and confined to the calling thread) and returns how many were
     * marked. It must only write zeros,
     * must not change {@code w}, and must return exactly the number of entries it marked: that number
     * is what {@link TopologyEvolution} asks the grow rule to put back.
     *
     * @param fraction the share of connections to remove, in [0, 1]; the rule decides what it is a
     *     share of (e.g. {@link MagnitudePrune#signed()} takes it of each sign, and removes exact zeros
     *     besides)
     */
    long prune(CsrMatrix w, double fraction, MemorySegment keep);

    /**
     * As {@link #prune(CsrMatrix, double, MemorySegment)}, with what {@link TopologyEvolution} has at
     * hand; this is the form it calls. The default ignores both and calls the three-argument form. A
     * rule that ranks connections by the gradient (SNIP's {@code |w·g|}, for instance) overrides this
     * one and says so in {@link #needsGradient()}; it still implements the three-argument form, for a
     * caller with no gradient, and may refuse there.
     *
     * @param rnd this layer's stream for this update, shared with the grow rule that runs next (draw
     *     from it, not from a stream of your own, and a resumed run prunes the same)
     * @param gradient the layer's gradient on the latest training batch, or null when none is available
     */
    default long prune(CsrMatrix w, double fraction, MemorySegment keep, RandomStream rnd, BatchGradient gradient) {
        return prune(w, fraction, keep);
    }

    /**
     * Called once per topology update, before the first layer is pruned, with the weights of every layer the
     * update prunes, in the order it prunes them, and the update's fraction (each layer's {@code prune} then
     * gets the same). The default does nothing; a rule that ranks connections across layers
     * ({@link MagnitudePrune#networkWide()}) chooses its threshold here. The networks' {@code evolve}
     * methods call it through {@link TopologyEvolution#beforeUpdate}; a caller evolving layers one by one
     * calls that first.
     */
    default void beforeUpdate(List<CsrMatrix> layers, double fraction) {}

    /**
     * Whether {@link #prune(CsrMatrix, double, MemorySegment, RandomStream, BatchGradient)} reads the
     * batch gradient (see {@link GrowRule#needsGradient()}).
     */
    default boolean needsGradient() { return false; }
}
