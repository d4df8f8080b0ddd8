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
     */
    Growth grow(CsrMatrix w, MemorySegment keep, long count, WeightInit init, RandomStream rnd);

    /**
     * New connections: packed keys {@code row * cols + col}, strictly ascending, with their weights.
     * Fewer than requested only when the layer has no more free positions.
     */
    record Growth(long[] keys, float[] values, int count) {}
}
