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
 * weights exactly zero are always removed, as in the SET reference, where they fall between the two
 * thresholds. {@link #global()} removes the fraction with the smallest |w| regardless of sign.
 * Ties at a threshold are broken by position, lowest first, so exactly the requested count goes.
 */
public final class MagnitudePrune implements PruneRule {
    private final boolean separateSigns;

    private MagnitudePrune(boolean separateSigns) {
        this.separateSigns = separateSigns;
    }

    /** SET: the fraction closest to zero among positives and, separately, among negatives. */
    public static MagnitudePrune signed() { return new MagnitudePrune(true); }

    /** The fraction with the smallest absolute value. */
    public static MagnitudePrune global() { return new MagnitudePrune(false); }

    // Which side of zero an entry is on: 1 positive, -1 negative, 0 zero. Global mode puts all non-zero on side 1.
    private int side(float v) {
        if (v == 0f || Float.isNaN(v)) return 0;
        return separateSigns && v < 0 ? -1 : 1;
    }

    @Override
    public long prune(CsrMatrix w, double fraction, MemorySegment keep) {
        if (!(fraction >= 0 && fraction <= 1)) throw new IllegalArgumentException("prune fraction must be in [0, 1], got " + fraction);
        long nnz = w.nnz();
        MemorySegment values = w.values();
        long pos = 0, neg = 0, removed = 0;
        for (long k = 0; k < nnz; k++) {
            int s = side(values.getAtIndex(JAVA_FLOAT, k));
            if (s > 0) pos++;
            else if (s < 0) neg++;
            else {
                keep.set(JAVA_BYTE, k, (byte) 0);
                removed++;
            }
        }
        removed += removeSmallest(values, nnz, 1, Math.round(fraction * pos), keep);
        if (separateSigns) removed += removeSmallest(values, nnz, -1, Math.round(fraction * neg), keep);
        return removed;
    }

    // Removes the `count` entries of the given side with the smallest |w| (ties: lowest position first).
    private long removeSmallest(MemorySegment values, long nnz, int wanted, long count, MemorySegment keep) {
        if (count <= 0) return 0;
        int[] hist = new int[65536];
        for (long k = 0; k < nnz; k++) {
            float v = values.getAtIndex(JAVA_FLOAT, k);
            if (side(v) == wanted) hist[magnitudeBits(v) >>> 16]++;
        }
        int hi = 0;
        long below = 0;
        while (below + hist[hi] < count) below += hist[hi++];
        java.util.Arrays.fill(hist, 0);
        for (long k = 0; k < nnz; k++) {
            float v = values.getAtIndex(JAVA_FLOAT, k);
            if (side(v) == wanted) {
                int b = magnitudeBits(v);
                if (b >>> 16 == hi) hist[b & 0xffff]++;
            }
        }
        int lo = 0;
        while (below + hist[lo] < count) below += hist[lo++];
        int threshold = hi << 16 | lo;
        long atThreshold = count - below;
        long removed = 0;
        for (long k = 0; k < nnz; k++) {
            float v = values.getAtIndex(JAVA_FLOAT, k);
            if (side(v) != wanted) continue;
            int b = magnitudeBits(v);
            if (b < threshold || (b == threshold && atThreshold-- > 0)) {
                keep.set(JAVA_BYTE, k, (byte) 0);
                removed++;
            }
        }
        return removed;
    }

    // |v| as non-negative int bits: ordered like |v| itself.
    private static int magnitudeBits(float v) {
        return Float.floatToRawIntBits(v) & 0x7fffffff;
    }
}
