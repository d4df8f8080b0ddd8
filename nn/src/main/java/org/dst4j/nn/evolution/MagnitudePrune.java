package org.dst4j.nn.evolution;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Magnitude pruning, found by selection (two passes of a 16-bit radix histogram over the float bits),
 * never by a full sort.
 *
 * <p>{@link #signed()} is SET's rule: among the positive weights remove the fraction closest to zero,
 * and separately among the negative weights the fraction closest to zero (the least negative ones);
 * weights exactly zero (and NaN ones) are always removed, zeros as in the SET reference, where they fall between the two
 * thresholds. {@link #global()} removes the fraction with the smallest |w| regardless of sign.
 * Both rank within the one layer they are given: "global" means across signs, not across layers.
 * {@link #networkWide()} is sparselearning's and GraNet's global pruning: one |w| threshold over every
 * layer of the network, so a layer of many small weights loses more than the fraction and one of large
 * weights less. Ties at a threshold are broken by position (for {@link #networkWide()}, by layer, then
 * position), lowest first, so exactly the requested count goes.
 */
public final class MagnitudePrune implements PruneRule {
    private final boolean separateSigns;

    private MagnitudePrune(boolean separateSigns) {
        this.separateSigns = separateSigns;
    }

    /** SET: the fraction closest to zero among positives and, separately, among negatives. */
    public static MagnitudePrune signed() { return new MagnitudePrune(true); }

    /** The fraction of the layer's connections with the smallest absolute value, whatever their sign (a per-layer threshold). */
    public static MagnitudePrune global() { return new MagnitudePrune(false); }

    /**
     * The fraction of the whole network's connections with the smallest absolute value: one threshold over
     * every layer of the update, chosen in {@link PruneRule#beforeUpdate} (the networks call it before their
     * layers are pruned), with exact zeros removed besides, as by the other two. Each layer then regrows as
     * many as it lost (or the schedule's {@link EvolutionSchedule#regrowth share} of them), so with the
     * default share the layers keep their connection counts and only where they lose them moves; with a
     * share below 1 (GraNet's gradual pruning) the network thins where its weights are smallest. A new
     * rule for each network: it remembers the update's layers between {@code beforeUpdate} and their
     * pruning.
     */
    public static PruneRule networkWide() { return new NetworkMagnitudePrune(); }

    // Which side of zero an entry is on: 1 positive, -1 negative, 0 zero. Global mode puts all non-zero on side 1.
    private int side(float v) {
        if (removedAlways(v)) return 0;
        return separateSigns && v < 0 ? -1 : 1;
    }

    @Override
    public long prune(CsrMatrix w, double fraction, MemorySegment keep) {
        if (!(fraction >= 0 && fraction <= 1)) throw new IllegalArgumentException("prune fraction must be in [0, 1], got " + fraction);
        long nnz = w.nnz();
        MemorySegment values = w.values();
        // Both sides in the same three passes (a radix select per side: high 16 bits of |w|, then the low
        // 16 within the threshold bucket, then marking); a pass per side and step took 7 over the layer.
        int[][] high = {new int[65536], new int[65536]};
        long[] size = new long[2];
        long removed = 0;
        for (long k = 0; k < nnz; k++) {
            float v = values.getAtIndex(JAVA_FLOAT, k);
            int s = side(v);
            if (s == 0) {
                keep.set(JAVA_BYTE, k, (byte) 0);
                removed++;
            } else {
                high[slot(s)][magnitudeBits(v) >>> 16]++;
                size[slot(s)]++;
            }
        }
        long[] count = {Math.round(fraction * size[0]), separateSigns ? Math.round(fraction * size[1]) : 0};
        int[] hi = new int[2];
        long[] below = new long[2];
        for (int t = 0; t < 2; t++) {
            if (count[t] <= 0) continue;
            while (below[t] + high[t][hi[t]] < count[t]) below[t] += high[t][hi[t]++];
        }
        int[][] low = {new int[65536], new int[65536]};
        for (long k = 0; k < nnz; k++) {
            float v = values.getAtIndex(JAVA_FLOAT, k);
            int s = side(v);
            if (s == 0) continue;
            int t = slot(s), b = magnitudeBits(v);
            if (count[t] > 0 && b >>> 16 == hi[t]) low[t][b & 0xffff]++;
        }
        int[] threshold = new int[2];
        long[] atThreshold = new long[2];
        for (int t = 0; t < 2; t++) {
            if (count[t] <= 0) continue;
            int lo = 0;
            while (below[t] + low[t][lo] < count[t]) below[t] += low[t][lo++];
            threshold[t] = hi[t] << 16 | lo;
            atThreshold[t] = count[t] - below[t];
        }
        // ties at the threshold: lowest position first
        for (long k = 0; k < nnz; k++) {
            float v = values.getAtIndex(JAVA_FLOAT, k);
            int s = side(v);
            if (s == 0) continue;
            int t = slot(s), b = magnitudeBits(v);
            if (count[t] > 0 && (b < threshold[t] || (b == threshold[t] && atThreshold[t]-- > 0))) {
                keep.set(JAVA_BYTE, k, (byte) 0);
                removed++;
            }
        }
        return removed;
    }

    private static int slot(int side) {
        return side > 0 ? 0 : 1;
    }

    // Exact zeros (a SET reference rule) and NaN go whatever the fraction, and are not counted in it.
    static boolean removedAlways(float v) {
        return v == 0f || Float.isNaN(v);
    }

    // |v| as non-negative int bits: ordered like |v| itself.
    static int magnitudeBits(float v) {
        return Float.floatToRawIntBits(v) & 0x7fffffff;
    }
}
