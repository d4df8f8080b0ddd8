package org.dst4j.nn.evolution;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.dst4j.runtime.memory.OffHeap;

/**
 * RigL's regrowth (Evci et al. 2020): the free positions with the largest loss-gradient magnitude on
 * the latest training batch.
 *
 * <p>The gradient at every position is needed, but never all at once: it is computed a block of rows
 * at a time (at most {@link #BLOCK_CELLS} cells) by the SDDMM kernel over a fully dense block pattern,
 * and each block is scanned, its rows split between the pool's threads, into bounded heaps of the best
 * {@code count} candidates (one per thread, merged at the end). Memory is O(block + threads x count),
 * never O(out x in). Equal magnitudes (zero gradients from dead units, constant
 * inputs) are ordered by a seeded hash of the position, so ties are spread over the layer rather than
 * packed at its first rows.
 *
 * <p>{@link #within} confines the choice to a {@link GrowthRegion}: the blocks are then made of the
 * region's rows and computed at its columns only, so a smaller region also costs less arithmetic.
 */
public final class GradientGrow implements GrowRule {
    /** Cells per gradient block (4 MiB of floats). */
    public static final int BLOCK_CELLS = 1 << 20;

    private static final Function<CsrMatrix, GrowthRegion> EVERYWHERE = w -> GrowthRegion.all();

    private final int blockCells;
    private final Function<? super CsrMatrix, GrowthRegion> regions;

    /** Scans the gradient in blocks of {@link #BLOCK_CELLS} cells. */
    public GradientGrow() {
        this(BLOCK_CELLS, EVERYWHERE);
    }

    // Smaller blocks let tests exercise the block loop and its tail.
    GradientGrow(int blockCells, Function<? super CsrMatrix, GrowthRegion> regions) {
        this.blockCells = blockCells;
        this.regions = regions;
    }

    /**
     * Gradient regrowth confined to each layer's region: the free cells of the region that
     * {@code regions} gives the layer's weight matrix with the largest |gradient|, ties ordered as by
     * {@code new GradientGrow()}. Layers are told apart by the identity of their matrix (see
     * {@link GrowRule}): {@code GradientGrow.within(w -> w == first ? centre : GrowthRegion.all())}. A
     * region with fewer free cells than a layer lost grows all of them and no more.
     *
     * @param regions the region of a layer's weights, asked at each update (return the same one each time)
     */
    public static GradientGrow within(Function<? super CsrMatrix, GrowthRegion> regions) {
        return new GradientGrow(BLOCK_CELLS, Objects.requireNonNull(regions, "regions"));
    }

    @Override
    public boolean needsGradient() { return true; }

    @Override
    public Growth grow(CsrMatrix w, MemorySegment keep, long count, WeightInit init, RandomStream rnd, BatchGradient gradient) {
        if (gradient == null) {
            throw new IllegalStateException("gradient regrowth needs the gradient of a training batch: evolve right after a training step");
        }
        int rows = w.rows(), cols = w.cols(), batch = gradient.delta().cols();
        if (gradient.delta().rows() != rows || gradient.input().rows() != cols) {
            throw new IllegalArgumentException("gradient of a " + gradient.delta().rows() + "x" + gradient.input().rows()
                    + " layer given for a " + rows + "x" + cols + " one");
        }
        GrowthRegion.Cells region = GrowthRegion.cellsFor(regions, w);
        int nr = region.rowCount(), nc = region.colCount();
        long survivors = 0;
        for (int i = 0; i < nr; i++) survivors += region.kept(w, keep, region.row(i));
        int n = (int) Math.min(count, (long) nr * nc - survivors);
        if (n <= 0) return new Growth(new long[0], new float[0], 0);
        long salt = rnd.nextLong();
        // One heap per thread, each over its share of every block's rows, merged at the end: the order
        // (score, then a bijective hash of the position) is strict, so the best n of the parts' best n
        // are the best n of all (the time this saves: docs/results/kernels.md, "RigL's regrowth").
        WorkerPool pool = gradient.pk().pool();
        TopK[] parts = new TopK[pool.threads()];
        for (int p = 0; p < parts.length; p++) parts[p] = new TopK(n);
        int blockRows = Math.max(1, Math.min(nr, blockCells / nc));
        byte[] kept = new byte[0];
        long[] shift = new long[blockRows];
        try (CsrMatrix pattern = densePattern(blockRows, cols, region);
             DenseMatrix dy = DenseMatrix.allocate(blockRows, batch);
             Arena arena = OffHeap.newShared()) {
            MemorySegment g = arena.allocate(JAVA_FLOAT, (long) blockRows * nc);
            DenseMatrix delta = gradient.delta();
            for (int i0 = 0; i0 < nr; i0 += blockRows) {
                int b = Math.min(blockRows, nr - i0), first = i0;
                dy.clear();
                for (int i = 0; i < b; i++) {
                    MemorySegment.copy(delta.segment(), region.row(i0 + i) * delta.stride() * Float.BYTES,
                            dy.segment(), i * dy.stride() * Float.BYTES, (long) batch * Float.BYTES);
                }
                gradient.pk().sddmm(pattern, dy, gradient.input(), gradient.scale(), g);
                // The block's keep flags into the heap: `keep` may belong to a confined arena, which the
                // pool's threads cannot read. Only the block's rows' entries, so the copy stays bounded.
                kept = blockFlags(w, keep, region, i0, b, kept, shift);
                byte[] flags = kept;
                int[] share = pool.splitEven(b);
                pool.run(parts.length, (p0, p1) -> {
                    for (int p = p0; p < p1; p++) {
                        for (int i = share[p]; i < share[p + 1]; i++) scanRow(w, region, flags, shift[i], g, i, region.row(first + i), salt, parts[p]);
                    }
                });
            }
        }
        TopK best = parts[0];
        for (int p = 1; p < parts.length; p++) parts[p].offerAllTo(best);
        long[] keys = best.keys();
        Arrays.sort(keys);
        float[] values = new float[keys.length];
        for (int i = 0; i < keys.length; i++) values[i] = init.sample(rnd, cols, rows);
        return new Growth(keys, values, keys.length, 2L * nr * nc * batch);
    }

    // Offers the free cells of the region in `row` (gradient row i of the block in g) to `best`; entry k's keep flag is kept[k - shift].
    private static void scanRow(CsrMatrix w, GrowthRegion.Cells region, byte[] kept, long shift, MemorySegment g, int i, int row, long salt,
                                TopK best) {
        int cols = w.cols(), nc = region.colCount();
        long k = w.rowStart(row), end = w.rowEnd(row);
        // the row's next live column, read once per entry rather than once or twice per cell
        int next = k < end ? w.col(k) : cols;
        for (int j = 0; j < nc; j++) {
            int c = region.col(j);
            while (next < c) next = ++k < end ? w.col(k) : cols; // entries in columns outside the region
            if (next == c) {
                boolean survives = kept[(int) (k - shift)] != 0;
                next = ++k < end ? w.col(k) : cols;
                if (survives) continue;
            }
            long key = (long) row * cols + c;
            best.offer(Math.abs(g.getAtIndex(JAVA_FLOAT, (long) i * nc + j)), RandomStream.mix(key ^ salt), key);
        }
    }

    // The keep flags of the block's rows (region rows i0 to i0 + b - 1) into `kept`, or a larger copy of it
    // when it is short; entry k of block row i has its flag at [k - shift[i]].
    private static byte[] blockFlags(CsrMatrix w, MemorySegment keep, GrowthRegion.Cells region, int i0, int b, byte[] kept, long[] shift) {
        int len = 0;
        for (int i = 0; i < b; i++) {
            int row = region.row(i0 + i);
            long from = w.rowStart(row);
            int entries = (int) (w.rowEnd(row) - from);
            if (kept.length < len + entries) kept = Arrays.copyOf(kept, Math.max(len + entries, 2 * kept.length));
            MemorySegment.copy(keep, JAVA_BYTE, from, kept, len, entries);
            shift[i] = from - len;
            len += entries;
        }
        return kept;
    }

    // Every cell of the region's columns in `rows` rows of `cols` columns: the SDDMM pattern of a block.
    private static CsrMatrix densePattern(int rows, int cols, GrowthRegion.Cells region) {
        int nc = region.colCount();
        int[] all = new int[nc];
        for (int j = 0; j < nc; j++) all[j] = region.col(j);
        float[] zeros = new float[nc];
        CsrMatrix.Builder b = CsrMatrix.builder(rows, cols, (long) rows * nc);
        for (int r = 0; r < rows; r++) b.addRow(all, zeros, nc);
        return b.build();
    }

    // The `capacity` best (score desc, tie asc) candidates: a min-heap whose root is the worst kept.
    private static final class TopK {
        private final float[] score;
        private final long[] tie;
        private final long[] key;
        private int size;

        TopK(int capacity) {
            score = new float[capacity];
            tie = new long[capacity];
            key = new long[capacity];
        }

        void offer(float s, long t, long k) {
            if (size < score.length) {
                int i = size++;
                place(i, s, t, k);
                while (i > 0) {
                    int p = (i - 1) >>> 1;
                    if (!worse(i, p)) break;
                    swap(i, p);
                    i = p;
                }
            } else if (better(s, t, score[0], tie[0])) {
                place(0, s, t, k);
                int i = 0;
                while (true) {
                    int l = 2 * i + 1, r = l + 1, m = i;
                    if (l < size && worse(l, m)) m = l;
                    if (r < size && worse(r, m)) m = r;
                    if (m == i) break;
                    swap(i, m);
                    i = m;
                }
            }
        }

        long[] keys() {
            return Arrays.copyOf(key, size);
        }

        void offerAllTo(TopK other) {
            for (int i = 0; i < size; i++) other.offer(score[i], tie[i], key[i]);
        }

        private static boolean better(float s, long t, float s2, long t2) {
            return s > s2 || (s == s2 && Long.compareUnsigned(t, t2) < 0);
        }

        private boolean worse(int i, int j) {
            return better(score[j], tie[j], score[i], tie[i]);
        }

        private void place(int i, float s, long t, long k) {
            score[i] = s;
            tie[i] = t;
            key[i] = k;
        }

        private void swap(int i, int j) {
            float s = score[i];
            long t = tie[i], k = key[i];
            place(i, score[j], tie[j], key[j]);
            place(j, s, t, k);
        }
    }
}
