package org.dst4j.nn.evolution;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;
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
 *
 * <p>{@link #within} confines the draw to a {@link GrowthRegion}: the same algorithm over the region's
 * rows and columns (rejection against the region's width, its cells counted instead of the layer's),
 * so the draw stays exactly uniform over the free cells of the region at the same cost (plus O(in)
 * memory for a region of some inputs).
 */
public final class RandomGrow implements GrowRule {
    private static final Function<CsrMatrix, GrowthRegion> EVERYWHERE = w -> GrowthRegion.all();

    private final Function<? super CsrMatrix, GrowthRegion> regions;

    /** SET's random regrowth. It keeps no state: one instance may serve every layer and every run. */
    public RandomGrow() {
        this(EVERYWHERE);
    }

    private RandomGrow(Function<? super CsrMatrix, GrowthRegion> regions) {
        this.regions = regions;
    }

    /**
     * Random regrowth confined to each layer's region: uniform over the free cells of the region that
     * {@code regions} gives the layer's weight matrix. Layers are told apart by the identity of their
     * matrix (see {@link GrowRule}), so a region for the first layer only reads
     * {@code RandomGrow.within(w -> w == first ? centre : GrowthRegion.all())}, with
     * {@code first = net.layers().get(0).weights()}. A region with fewer free cells than a layer lost
     * grows all of them and no more: the layer then has fewer connections after the update.
     *
     * @param regions the region of a layer's weights, asked at each update (return the same one each
     *     time: a run resumed from a checkpoint must grow the same)
     */
    public static RandomGrow within(Function<? super CsrMatrix, GrowthRegion> regions) {
        return new RandomGrow(Objects.requireNonNull(regions, "regions"));
    }

    @Override
    public Growth grow(CsrMatrix w, MemorySegment keep, long count, WeightInit init, RandomStream rnd, BatchGradient gradient) {
        GrowthRegion.Cells region = GrowthRegion.cellsFor(regions, w);
        int rows = w.rows(), cols = w.cols(), nr = region.rowCount(), nc = region.colCount();
        long cells = (long) nr * nc;
        int[] free = new int[nr]; // free cells of the region in its i-th row
        long totalFree = 0;
        int widest = 0;
        for (int i = 0; i < nr; i++) {
            int kept = region.kept(w, keep, region.row(i));
            free[i] = nc - kept;
            totalFree += free[i];
            widest = Math.max(widest, kept);
        }
        int n = (int) Math.min(count, totalFree);
        long[] keys = new long[n];
        if (n > 0) {
            if (totalFree * 8 < cells) enumerate(w, keep, region, totalFree, n, rnd, keys);
            else sampleByRows(w, keep, region, free, n, rnd, keys, widest);
        }
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = init.sample(rnd, cols, rows);
        return new Growth(keys, values, n);
    }

    private static void sampleByRows(CsrMatrix w, MemorySegment keep, GrowthRegion.Cells region, int[] free, int n, RandomStream rnd,
                                     long[] keys, int widest) {
        int cols = w.cols(), nr = region.rowCount(), nc = region.colCount();
        int[] perRow = new int[nr];
        // Sequential draws without replacement: row i is accepted with probability (free cells left in i) / nc.
        for (int got = 0; got < n; ) {
            int i = rnd.nextInt(nr);
            if (rnd.nextInt(nc) < free[i] - perRow[i]) {
                perRow[i]++;
                got++;
            }
        }
        int[] kept = new int[widest];
        int[] picked = new int[0];
        int o = 0;
        for (int i = 0; i < nr; i++) {
            int want = perRow[i];
            if (want == 0) continue;
            int r = region.row(i), nk = 0;
            // the survivors as ranks among the region's columns, where the columns are drawn
            for (long k = w.rowStart(r); k < w.rowEnd(r); k++) {
                if (keep.get(JAVA_BYTE, k) != 0 && region.covers(w, k)) kept[nk++] = region.rank(w.col(k));
            }
            if (picked.length < want) picked = new int[Math.max(want, 2 * picked.length)];
            int have = pickColumns(nc, kept, nk, want, rnd, picked);
            long base = (long) r * cols;
            for (int j = 0; j < have; j++) keys[o++] = base + region.col(picked[j]);
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

    // Walk the free cells of the region in order and take each with probability needed/remaining.
    private static void enumerate(CsrMatrix w, MemorySegment keep, GrowthRegion.Cells region, long free, int n, RandomStream rnd, long[] keys) {
        int cols = w.cols(), nc = region.colCount();
        long remaining = free;
        int needed = n, got = 0;
        for (int i = 0; i < region.rowCount() && needed > 0; i++) {
            int r = region.row(i);
            long k = w.rowStart(r), end = w.rowEnd(r);
            for (int j = 0; j < nc && needed > 0; j++) {
                int c = region.col(j);
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
