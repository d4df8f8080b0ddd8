package org.dst4j.nn.evolution;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * SET's regrowth: {@code count} distinct positions drawn uniformly among the free ones. Rows are drawn
 * one connection at a time with probability proportional to their remaining free cells (rejection
 * against the row's width), then each row's columns uniformly among its free columns, checked
 * against the row's sorted survivors by a merge. Cost O(count + nnz) and memory O(count + rows): no
 * dense pass, no global hash set or sort, and the keys come out already in row-major order. A layer
 * with fewer than 1/8 of its cells free (nearly dense) enumerates the free cells instead, which costs
 * O(cells) but there cells are within 8/7 of nnz.
 */
public final class RandomGrow implements GrowRule {
    /** SET's random regrowth. It keeps no state: one instance may serve every layer and every run. */
    public RandomGrow() {}

    @Override
    public Growth grow(CsrMatrix w, MemorySegment keep, long count, WeightInit init, RandomStream rnd, BatchGradient gradient) {
        int rows = w.rows(), cols = w.cols();
        long cells = (long) rows * cols;
        int[] free = new int[rows];
        long totalFree = 0;
        int widest = 0;
        for (int r = 0; r < rows; r++) {
            int kept = 0;
            for (long k = w.rowStart(r); k < w.rowEnd(r); k++) if (keep.get(JAVA_BYTE, k) != 0) kept++;
            free[r] = cols - kept;
            totalFree += free[r];
            widest = Math.max(widest, kept);
        }
        int n = (int) Math.min(count, totalFree);
        long[] keys = new long[n];
        if (n > 0) {
            if (totalFree * 8 < cells) enumerate(w, keep, totalFree, n, rnd, keys);
            else sampleByRows(w, keep, free, n, rnd, keys, widest);
        }
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = init.sample(rnd, cols, rows);
        return new Growth(keys, values, n);
    }

    private static void sampleByRows(CsrMatrix w, MemorySegment keep, int[] free, int n, RandomStream rnd, long[] keys, int widest) {
        int rows = w.rows(), cols = w.cols();
        int[] perRow = new int[rows];
        // Sequential draws without replacement: row r is accepted with probability (free cells left in r) / cols.
        for (int got = 0; got < n; ) {
            int r = rnd.nextInt(rows);
            if (rnd.nextInt(cols) < free[r] - perRow[r]) {
                perRow[r]++;
                got++;
            }
        }
        int[] kept = new int[widest];
        int[] picked = new int[0];
        int o = 0;
        for (int r = 0; r < rows; r++) {
            int want = perRow[r];
            if (want == 0) continue;
            int nk = 0;
            for (long k = w.rowStart(r); k < w.rowEnd(r); k++) if (keep.get(JAVA_BYTE, k) != 0) kept[nk++] = w.col(k);
            if (picked.length < want) picked = new int[Math.max(want, 2 * picked.length)];
            int have = pickColumns(cols, kept, nk, want, rnd, picked);
            long base = (long) r * cols;
            for (int i = 0; i < have; i++) keys[o++] = base + picked[i];
        }
    }

    // `want` distinct columns of [0, cols) not in kept[0..nk) (sorted), ascending in out; want <= cols - nk.
    // Dense rows (more than half wanted) are enumerated; otherwise draw, sort, drop repeats and occupied, repeat.
    static int pickColumns(int cols, int[] kept, int nk, int want, RandomStream rnd, int[] out) {
        int freeCols = cols - nk;
        if (2L * want > freeCols) {
            long remaining = freeCols;
            int needed = want, o = 0, j = 0;
            for (int c = 0; c < cols && needed > 0; c++) {
                if (j < nk && kept[j] == c) {
                    j++;
                    continue;
                }
                if (rnd.nextLong(remaining) < needed) {
                    out[o++] = c;
                    needed--;
                }
                remaining--;
            }
            return o;
        }
        int have = 0;
        while (have < want) {
            for (int i = have; i < want; i++) out[i] = rnd.nextInt(cols);
            Arrays.sort(out, 0, want);
            int wr = 0, j = 0;
            for (int i = 0; i < want; i++) {
                int c = out[i];
                if (wr > 0 && out[wr - 1] == c) continue;
                while (j < nk && kept[j] < c) j++;
                if (j < nk && kept[j] == c) continue;
                out[wr++] = c;
            }
            have = wr;
        }
        return want;
    }

    // Walk the free cells in order and take each with probability needed/remaining.
    private static void enumerate(CsrMatrix w, MemorySegment keep, long free, int n, RandomStream rnd, long[] keys) {
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
}
