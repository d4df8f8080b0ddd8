package org.dst4j.nn.evolution;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.dst4j.runtime.sparse.CsrMatrix;

// MagnitudePrune.networkWide(): one |w| threshold over every layer of the update, chosen in beforeUpdate by the same
// radix selection as MagnitudePrune (high 16 bits, then low 16 within the threshold bucket) over all layers at once.
final class NetworkMagnitudePrune implements PruneRule {
    private List<CsrMatrix> layers = List.of();
    private double fraction = Double.NaN;
    private int next;
    // Entries with magnitude bits below threshold go; of those equal to it, the first atThreshold in layer order.
    private int threshold;
    private long atThreshold;

    @Override
    public void beforeUpdate(List<CsrMatrix> update, double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) throw new IllegalArgumentException("prune fraction must be in [0, 1], got " + fraction);
        layers = List.copyOf(update);
        this.fraction = fraction;
        next = 0;
        // long counts: one bucket can hold more than 2^31 entries of a whole network.
        long[] high = new long[65536];
        long size = 0;
        for (CsrMatrix w : layers) {
            MemorySegment values = w.values();
            for (long k = 0, n = w.nnz(); k < n; k++) {
                float v = values.getAtIndex(JAVA_FLOAT, k);
                if (MagnitudePrune.removedAlways(v)) continue;
                high[MagnitudePrune.magnitudeBits(v) >>> 16]++;
                size++;
            }
        }
        long count = Math.round(fraction * size);
        if (count == 0) {
            threshold = 0;
            atThreshold = 0;
            return;
        }
        int hi = 0;
        long below = 0;
        while (below + high[hi] < count) below += high[hi++];
        long[] low = new long[65536];
        for (CsrMatrix w : layers) {
            MemorySegment values = w.values();
            for (long k = 0, n = w.nnz(); k < n; k++) {
                float v = values.getAtIndex(JAVA_FLOAT, k);
                if (MagnitudePrune.removedAlways(v)) continue;
                int b = MagnitudePrune.magnitudeBits(v);
                if (b >>> 16 == hi) low[b & 0xffff]++;
            }
        }
        int lo = 0;
        while (below + low[lo] < count) below += low[lo++];
        threshold = hi << 16 | lo;
        atThreshold = count - below;
    }

    @Override
    public long prune(CsrMatrix w, double fraction, MemorySegment keep) {
        // Ties are shared out in the order the layers were announced: pruned in another order, or twice, the count would drift.
        if (next >= layers.size() || layers.get(next) != w) {
            throw new IllegalStateException("network-wide magnitude pruning: this layer is not the next one announced by beforeUpdate"
                    + " (it ranks every layer of an update together, so each update starts with beforeUpdate and prunes the layers in its order)");
        }
        if (fraction != this.fraction) {
            throw new IllegalArgumentException("prune fraction " + fraction + " differs from the update's " + this.fraction + " given to beforeUpdate");
        }
        next++;
        MemorySegment values = w.values();
        long removed = 0;
        for (long k = 0, n = w.nnz(); k < n; k++) {
            float v = values.getAtIndex(JAVA_FLOAT, k);
            boolean go;
            if (MagnitudePrune.removedAlways(v)) {
                go = true;
            } else {
                int b = MagnitudePrune.magnitudeBits(v);
                go = b < threshold;
                if (b == threshold && atThreshold > 0) {
                    atThreshold--;
                    go = true;
                }
            }
            if (go) {
                keep.set(JAVA_BYTE, k, (byte) 0);
                removed++;
            }
        }
        return removed;
    }
}
