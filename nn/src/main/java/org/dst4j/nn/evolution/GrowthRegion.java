package org.dst4j.nn.evolution;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Where the built-in grow rules may place new connections in one layer: the cells of its {@code out x
 * in} weight matrix whose row (output neuron) is among some rows and whose column (input neuron) is
 * among some columns, for instance the central pixels of an image as a first layer's inputs. Hand it
 * to {@link RandomGrow#within} or {@link GradientGrow#within}, which keep their cost and their choice
 * rule inside it: uniform over the free cells of the region, or its top-|gradient| free cells.
 *
 * <p>A region is a set of rows times a set of columns, not an arbitrary set of cells, because that is
 * what the samplers can use without a dense pass: each row's free cells in the region are counted from
 * the row's connections alone. Only new connections are confined: connections outside the region stay
 * until the prune rule removes them. A region is immutable and refers to no layer, so one may serve
 * several layers; a rule refuses it for a layer that lacks a neuron it names.
 */
public final class GrowthRegion {
    private static final GrowthRegion ALL = new GrowthRegion(null, null);

    // Ascending, distinct; null: every row (column) of the layer.
    private final int[] rows;
    private final int[] cols;

    private GrowthRegion(int[] rows, int[] cols) {
        this.rows = rows;
        this.cols = cols;
    }

    /** Every cell of the layer: the rules then choose exactly as {@code new RandomGrow()} and {@code new GradientGrow()} do. */
    public static GrowthRegion all() { return ALL; }

    /**
     * New connections only from these input neurons (columns), into any output neuron.
     *
     * @param columns in any order; repeats count once
     * @throws IllegalArgumentException if one is negative
     */
    public static GrowthRegion inputs(int... columns) {
        return new GrowthRegion(null, indices("input", columns));
    }

    /**
     * New connections only into these output neurons (rows), from any input neuron.
     *
     * @param rows in any order; repeats count once
     * @throws IllegalArgumentException if one is negative
     */
    public static GrowthRegion outputs(int... rows) {
        return new GrowthRegion(indices("output", rows), null);
    }

    /**
     * New connections only from one of {@code inputs} into one of {@code outputs}.
     *
     * @throws IllegalArgumentException if an index is negative
     */
    public static GrowthRegion of(int[] outputs, int[] inputs) {
        return new GrowthRegion(indices("output", outputs), indices("input", inputs));
    }

    private static int[] indices(String what, int[] given) {
        Objects.requireNonNull(given, what + "s");
        int[] sorted = given.clone();
        Arrays.sort(sorted);
        if (sorted.length > 0 && sorted[0] < 0) throw new IllegalArgumentException(what + " neuron " + sorted[0] + " is negative");
        int n = 0;
        for (int v : sorted) if (n == 0 || sorted[n - 1] != v) sorted[n++] = v;
        return Arrays.copyOf(sorted, n);
    }

    /** The allowed output neurons (rows), ascending, or null when every one is. */
    public int[] outputs() { return rows == null ? null : rows.clone(); }

    /** The allowed input neurons (columns), ascending, or null when every one is. */
    public int[] inputs() { return cols == null ? null : cols.clone(); }

    /**
     * The region in layer {@code w}, with the look-ups the grow rules' loops make.
     *
     * @throws IllegalArgumentException if the region names a neuron {@code w} does not have: it was meant for another layer
     */
    Cells in(CsrMatrix w) {
        if (rows != null && rows.length > 0 && rows[rows.length - 1] >= w.rows()
                || cols != null && cols.length > 0 && cols[cols.length - 1] >= w.cols()) {
            throw new IllegalArgumentException("growth region " + this + " does not fit a layer of " + w.rows() + " outputs x "
                    + w.cols() + " inputs");
        }
        int[] rank = null;
        if (cols != null) {
            rank = new int[w.cols()];
            Arrays.fill(rank, -1);
            for (int j = 0; j < cols.length; j++) rank[cols[j]] = j;
        }
        return new Cells(rows == null ? w.rows() : rows.length, cols == null ? w.cols() : cols.length, rows, cols, rank);
    }

    /**
     * A region's cells in one layer: its {@code rowCount} rows, the i-th being {@code row(i)}, and its
     * {@code colCount} columns, the j-th being {@code col(j)}, both ascending; {@code rank(c)} is column
     * c's j, or -1 when c is outside. For a region of every row (column) these are the identity, with no
     * array read.
     */
    record Cells(int rowCount, int colCount, int[] rows, int[] cols, int[] ranks) {
        int row(int i) { return rows == null ? i : rows[i]; }

        int col(int j) { return cols == null ? j : cols[j]; }

        int rank(int c) { return ranks == null ? c : ranks[c]; }

        // Whether entry k of w is in one of the region's columns; a region of every column reads no column index.
        boolean covers(CsrMatrix w, long k) { return ranks == null || ranks[w.col(k)] >= 0; }

        // The surviving connections (non-zero keep) of row r of w in the region's columns.
        int kept(CsrMatrix w, MemorySegment keep, int r) {
            int n = 0;
            for (long k = w.rowStart(r), end = w.rowEnd(r); k < end; k++) if (keep.get(JAVA_BYTE, k) != 0 && covers(w, k)) n++;
            return n;
        }
    }

    // The cells of the region that `regions` gives layer w.
    static Cells cellsFor(Function<? super CsrMatrix, GrowthRegion> regions, CsrMatrix w) {
        GrowthRegion region = regions.apply(w);
        if (region == null) {
            throw new NullPointerException("the growth regions gave none for a layer of " + w.rows() + " outputs x " + w.cols()
                    + " inputs (GrowthRegion.all() lets new connections grow anywhere)");
        }
        return region.in(w);
    }

    @Override
    public String toString() {
        return "GrowthRegion[outputs " + describe(rows) + ", inputs " + describe(cols) + "]";
    }

    private static String describe(int[] a) {
        if (a == null) return "all";
        if (a.length <= 8) return Arrays.toString(a);
        return a.length + " of them, " + a[0] + ".." + a[a.length - 1];
    }
}
