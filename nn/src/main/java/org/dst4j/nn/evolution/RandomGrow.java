package org.dst4j.nn.evolution;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * SET's regrowth: uniformly random free positions, by rejection sampling against the surviving
 * connections (a binary search in the row) — O(count log row) with no dense pass. When free positions
 * are scarce (a nearly dense layer) it enumerates them instead, which costs O(cells) but there cells ~ nnz.
 */
public final class RandomGrow implements GrowRule {

    @Override
    public Growth grow(CsrMatrix w, MemorySegment keep, long count, WeightInit init, RandomStream rnd, BatchGradient gradient) {
        int rows = w.rows(), cols = w.cols();
        long cells = (long) rows * cols;
        long survivors = 0;
        for (long k = 0; k < w.nnz(); k++) if (keep.get(JAVA_BYTE, k) != 0) survivors++;
        long free = cells - survivors;
        int n = (int) Math.min(count, free);
        long[] keys = new long[n];
        if (n == 0) return new Growth(keys, new float[0], 0);
        if (free <= 4L * n) {
            pickAmongEnumerated(w, keep, free, n, rnd, keys);
        } else {
            LongSet chosen = new LongSet(n);
            int got = 0;
            while (got < n) {
                long key = rnd.nextLong(cells);
                int r = (int) (key / cols), c = (int) (key % cols);
                if (!occupied(w, keep, r, c) && chosen.add(key)) keys[got++] = key;
            }
            Arrays.sort(keys);
        }
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = init.sample(rnd, cols, rows);
        return new Growth(keys, values, n);
    }

    private static boolean occupied(CsrMatrix w, MemorySegment keep, int r, int c) {
        long k = w.indexOf(r, c);
        return k >= 0 && keep.get(JAVA_BYTE, k) != 0;
    }

    // Reservoir-free selection: walk the free cells in order and take each with probability needed/remaining.
    private static void pickAmongEnumerated(CsrMatrix w, MemorySegment keep, long free, int n, RandomStream rnd, long[] keys) {
        int cols = w.cols();
        long remaining = free;
        int needed = n, got = 0;
        for (int r = 0; r < w.rows() && needed > 0; r++) {
            long k = w.rowStart(r), end = w.rowEnd(r);
            for (int c = 0; c < cols && needed > 0; c++) {
                while (k < end && w.col(k) < c) k++;
                boolean occ = k < end && w.col(k) == c && keep.get(JAVA_BYTE, k) != 0;
                if (occ) continue;
                if (rnd.nextLong(remaining) < needed) {
                    keys[got++] = (long) r * cols + c;
                    needed--;
                }
                remaining--;
            }
        }
    }

    // Open-addressing set of non-negative longs.
    static final class LongSet {
        private final long[] table;
        private final int mask;

        LongSet(int expected) {
            int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
            table = new long[cap];
            Arrays.fill(table, -1L);
            mask = cap - 1;
        }

        boolean add(long key) {
            int i = (int) (mix(key) & mask);
            while (table[i] != -1L) {
                if (table[i] == key) return false;
                i = (i + 1) & mask;
            }
            table[i] = key;
            return true;
        }

        private static long mix(long z) {
            z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
            return z ^ (z >>> 33);
        }
    }
}
