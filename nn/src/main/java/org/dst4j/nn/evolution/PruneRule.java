package org.dst4j.nn.evolution;

import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.sparse.CsrMatrix;

/** Chooses which live connections to remove. */
public interface PruneRule {

    /**
     * Marks connections to remove by writing 0 into {@code keep} (one byte per entry of {@code w},
     * pre-filled with 1 by the caller) and returns how many were marked.
     *
     * @param fraction the share of connections to remove, in [0, 1]
     */
    long prune(CsrMatrix w, double fraction, MemorySegment keep);
}
