package org.dst4j.runtime.sparse;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.dst4j.runtime.resource.Closing;
import org.dst4j.runtime.memory.OffHeap;

/**
 * A sparse float matrix in compressed sparse row form, off-heap: {@code rowPtr} (long, rows+1),
 * {@code colIdx} (int, nnz, ascending within a row) and {@code values} (float, nnz), plus a
 * transpose index by column — {@code colPtr} (long, cols+1), {@code rowIdx} (int, nnz) and
 * {@code columnPos} (int, nnz: where each entry sits in column order) — so that products with the
 * transpose read columns without a gather over rows. Its inverse, {@code valuePos}, is built only
 * when asked for.
 *
 * <p>Per-connection quantities (momentum, optimizer moments, ownership flags) are <em>side arrays</em>:
 * segments aligned with {@code values}, permuted with them whenever the topology changes. Nothing is
 * kept as a dense mask.
 *
 * <p>The transpose index and the column-order scratch are built on first use and dropped whenever the
 * topology changes: a first layer, whose input gradient is never needed, never pays their 8–12 bytes
 * per connection, and evolution runs while they are absent. A topology change that does not add
 * entries ({@link #rewire}, as SET and RigL do) works in place, so evolving a layer needs no second
 * copy of it.
 *
 * <p>A single matrix holds at most {@code Integer.MAX_VALUE} entries (the transpose stores int
 * positions); row pointers are long so offsets never overflow.
 */
public final class CsrMatrix implements AutoCloseable {
    private final int rows;
    private final int cols;
    private long nnz;
    private Arena arena;        // colIdx, values, side arrays
    private Arena ptrArena;     // rowPtr: replaced on every topology change, so caches keyed on it miss
    private Arena transposeArena; // colPtr, rowIdx, columnPos, valuePos, valuesByColumn; null until first needed
    private MemorySegment rowPtr;
    private MemorySegment colIdx;
    private MemorySegment values;
    private MemorySegment colPtr;
    private MemorySegment rowIdx;
    private MemorySegment columnPos;
    private MemorySegment valuePos; // null until asked for: the products read columnPos
    private MemorySegment valuesByColumn;
    private final Map<String, Side> sides = new LinkedHashMap<>();

    private record Side(ValueLayout layout, MemorySegment[] seg) {}

    // Where every arena of every matrix comes from; tests substitute one that records them, to check
    // that a call which fails closes each arena it opened.
    static volatile Supplier<Arena> arenas = OffHeap::newShared;

    private CsrMatrix(int rows, int cols, long nnz) {
        this.rows = rows;
        this.cols = cols;
        this.nnz = nnz;
        Arena a = arenas.get(), p = null;
        try {
            p = arenas.get();
            rowPtr = p.allocate(ValueLayout.JAVA_LONG, rows + 1L);
            colIdx = a.allocate(ValueLayout.JAVA_INT, Math.max(1, nnz));
            values = a.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, nnz));
        } catch (RuntimeException | Error e) {
            closeAfter(e, a, p);
            throw e;
        }
        arena = a;
        ptrArena = p;
    }

    // For a failed call: closes the arenas it opened (null: not opened yet), adding what closing throws to e.
    private static void closeAfter(Throwable e, Arena... opened) {
        for (Arena a : opened) if (a != null) Closing.after(e, () -> closeIfOpen(a));
    }

    static void checkShape(int rows, int cols) {
        if (rows < 0) throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        if (cols < 0) throw new IllegalArgumentException("cols must be >= 0, got " + cols);
    }

    /**
     * Builds a matrix from coordinate triples in any order.
     *
     * @throws IllegalArgumentException naming the entry, for a negative size, an index out of range,
     *     a duplicate (row, col) or arrays of different lengths
     */
    public static CsrMatrix fromCoo(int rows, int cols, int[] r, int[] c, float[] v) {
        checkShape(rows, cols);
        if (r.length != c.length || r.length != v.length) {
            throw new IllegalArgumentException("COO arrays differ in length: rows " + r.length
                    + ", cols " + c.length + ", values " + v.length);
        }
        int n = r.length;
        // Sort (row, col, original index) packed into one long when row*cols+col fits in 32 bits.
        if ((long) rows * cols >= (1L << 32)) return fromCooWide(rows, cols, r, c, v);
        long[] keys = new long[n];
        for (int k = 0; k < n; k++) {
            if (r[k] < 0 || r[k] >= rows) {
                throw new IllegalArgumentException("entry " + k + ": row " + r[k] + " out of range [0, " + rows + ")");
            }
            if (c[k] < 0 || c[k] >= cols) {
                throw new IllegalArgumentException("entry " + k + ": col " + c[k] + " out of range [0, " + cols + ")");
            }
            keys[k] = ((long) r[k] * cols + c[k]) << 31 | k;
        }
        Arrays.sort(keys);
        // Every entry is checked before the matrix is allocated, so a refused one leaves nothing to free.
        for (int k = 1; k < n; k++) {
            if (keys[k] >>> 31 == keys[k - 1] >>> 31) {
                int orig = (int) (keys[k] & 0x7fffffffL);
                throw new IllegalArgumentException("entry " + orig + ": duplicate (row " + r[orig] + ", col " + c[orig] + ")");
            }
        }
        CsrMatrix m = new CsrMatrix(rows, cols, n);
        for (int k = 0; k < n; k++) {
            int orig = (int) (keys[k] & 0x7fffffffL);
            m.colIdx.setAtIndex(ValueLayout.JAVA_INT, k, c[orig]);
            m.values.setAtIndex(ValueLayout.JAVA_FLOAT, k, v[orig]);
            m.rowPtr.setAtIndex(ValueLayout.JAVA_LONG, r[orig] + 1L, m.rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r[orig] + 1L) + 1);
        }
        m.finishRowPtrFromCounts();
        return m;
    }

    private static CsrMatrix fromCooWide(int rows, int cols, int[] r, int[] c, float[] v) {
        for (int k = 0; k < r.length; k++) {
            if (r[k] < 0 || r[k] >= rows) {
                throw new IllegalArgumentException("entry " + k + ": row " + r[k] + " out of range [0, " + rows + ")");
            }
            if (c[k] < 0 || c[k] >= cols) {
                throw new IllegalArgumentException("entry " + k + ": col " + c[k] + " out of range [0, " + cols + ")");
            }
        }
        Integer[] order = new Integer[r.length];
        for (int k = 0; k < order.length; k++) order[k] = k;
        Arrays.sort(order, (a, b) -> r[a] != r[b] ? Integer.compare(r[a], r[b]) : Integer.compare(c[a], c[b]));
        for (int k = 1; k < order.length; k++) {
            int o = order[k];
            if (r[o] == r[order[k - 1]] && c[o] == c[order[k - 1]]) {
                throw new IllegalArgumentException("entry " + o + ": duplicate (row " + r[o] + ", col " + c[o] + ")");
            }
        }
        CsrMatrix m = new CsrMatrix(rows, cols, r.length);
        for (int k = 0; k < order.length; k++) {
            int o = order[k];
            m.colIdx.setAtIndex(ValueLayout.JAVA_INT, k, c[o]);
            m.values.setAtIndex(ValueLayout.JAVA_FLOAT, k, v[o]);
            m.rowPtr.setAtIndex(ValueLayout.JAVA_LONG, r[o] + 1L, m.rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r[o] + 1L) + 1);
        }
        m.finishRowPtrFromCounts();
        return m;
    }

    private void finishRowPtrFromCounts() {
        long acc = 0;
        for (int i = 0; i <= rows; i++) {
            acc += rowPtr.getAtIndex(ValueLayout.JAVA_LONG, i);
            rowPtr.setAtIndex(ValueLayout.JAVA_LONG, i, acc);
        }
    }

    /**
     * Builds a matrix from CSR arrays (copied), validating everything first: row pointers start at 0,
     * never decrease and end at {@code nnz}; columns are in range and strictly ascending within a row.
     * For data from files, which may come from anyone.
     *
     * @throws IllegalArgumentException naming the row and entry at fault
     */
    public static CsrMatrix fromCsr(int rows, int cols, MemorySegment rowPtr, MemorySegment colIdx, MemorySegment values) {
        checkShape(rows, cols);
        long nnz = checkCsrSizes(rows, rowPtr.byteSize() / Long.BYTES, rowPtr.byteSize() % Long.BYTES == 0,
                colIdx.byteSize() / Integer.BYTES, colIdx.byteSize() % Integer.BYTES == 0, values.byteSize() / Float.BYTES, values.byteSize() % Float.BYTES == 0);
        checkCsr(rows, cols, rowPtr, colIdx, nnz);
        CsrMatrix m = new CsrMatrix(rows, cols, nnz);
        try {
            MemorySegment.copy(rowPtr, 0, m.rowPtr, 0, rowPtr.byteSize());
            MemorySegment.copy(colIdx, 0, m.colIdx, 0, colIdx.byteSize());
            MemorySegment.copy(values, 0, m.values, 0, values.byteSize());
        } catch (RuntimeException | Error e) {
            // e.g. the caller's segments closed by another thread since they were validated
            Closing.after(e, m::close);
            throw e;
        }
        return m;
    }

    /** Fills a new matrix's CSR arrays, for {@link #readCsr}. */
    @FunctionalInterface
    public interface CsrFill {
        /** Writes every byte of the three arrays (row pointers, column indices, values). */
        void into(MemorySegment rowPtr, MemorySegment colIdx, MemorySegment values) throws IOException;
    }

    /**
     * Builds a matrix whose CSR arrays are read straight into its own memory (a model file's tensors), then
     * validated as {@link #fromCsr} validates them: the data is never held twice. The sizes are checked
     * before anything is allocated; on any failure the matrix's memory is freed.
     *
     * @param rowPtrEntries the row pointers the source holds (must be {@code rows + 1})
     * @param colIdxEntries the column indices it holds (the matrix's entries)
     * @param valueEntries the values it holds (must equal {@code colIdxEntries})
     * @throws IllegalArgumentException naming the row and entry at fault, as {@link #fromCsr}
     * @throws IOException what {@code fill} throws
     */
    public static CsrMatrix readCsr(int rows, int cols, long rowPtrEntries, long colIdxEntries, long valueEntries, CsrFill fill) throws IOException {
        checkShape(rows, cols);
        long nnz = checkCsrSizes(rows, rowPtrEntries, true, colIdxEntries, true, valueEntries, true);
        CsrMatrix m = new CsrMatrix(rows, cols, nnz);
        try {
            fill.into(m.rowPtr, m.colIdx.asSlice(0, nnz * Integer.BYTES), m.values.asSlice(0, nnz * Float.BYTES));
            checkCsr(rows, cols, m.rowPtr, m.colIdx, nnz);
        } catch (IOException | RuntimeException | Error e) {
            Closing.after(e, m::close);
            throw e;
        }
        return m;
    }

    private static long checkCsrSizes(int rows, long rowPtrEntries, boolean rowPtrWhole, long nnz, boolean colIdxWhole, long valueEntries, boolean valuesWhole) {
        if (rowPtrEntries != rows + 1L || !rowPtrWhole) {
            throw new IllegalArgumentException("rowPtr has " + rowPtrEntries + " entries, expected " + (rows + 1L));
        }
        if (valueEntries != nnz || !colIdxWhole || !valuesWhole) {
            throw new IllegalArgumentException("colIdx has " + nnz + " entries but values has " + valueEntries);
        }
        if (nnz > Integer.MAX_VALUE) throw new IllegalArgumentException("too many entries: " + nnz);
        // Counts read from a file: a negative one failed the allocation with an IndexOutOfBoundsException naming no array.
        if (nnz < 0) throw new IllegalArgumentException("colIdx has " + nnz + " entries, expected a count >= 0");
        return nnz;
    }

    // Row pointers start at 0, never decrease and end at nnz; columns in range and strictly ascending within a row.
    private static void checkCsr(int rows, int cols, MemorySegment rowPtr, MemorySegment colIdx, long nnz) {
        if (rowPtr.getAtIndex(ValueLayout.JAVA_LONG, 0) != 0) throw new IllegalArgumentException("rowPtr[0] must be 0");
        for (int r = 0; r < rows; r++) {
            long a = rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r), b = rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r + 1L);
            if (b < a || b > nnz) throw new IllegalArgumentException("row " + r + ": rowPtr " + a + " -> " + b + " invalid for " + nnz + " entries");
            for (long k = a; k < b; k++) {
                int c = colIdx.getAtIndex(ValueLayout.JAVA_INT, k);
                if (c < 0 || c >= cols) throw new IllegalArgumentException("row " + r + ", entry " + k + ": col " + c + " out of range [0, " + cols + ")");
                if (k > a && c <= colIdx.getAtIndex(ValueLayout.JAVA_INT, k - 1)) {
                    throw new IllegalArgumentException("row " + r + ", entry " + k + ": col " + c + " not strictly ascending");
                }
            }
        }
        if (rowPtr.getAtIndex(ValueLayout.JAVA_LONG, rows) != nnz) {
            throw new IllegalArgumentException("rowPtr[" + rows + "] = " + rowPtr.getAtIndex(ValueLayout.JAVA_LONG, rows) + ", expected " + nnz);
        }
    }

    /**
     * Starts a matrix filled row by row, for initializers that sample each row's columns directly
     * (no dense pass, no COO sort). The builder holds the matrix's memory until {@link Builder#build}
     * hands it over; a call that fails frees it, and so does {@link Builder#close} before then.
     *
     * @throws IllegalArgumentException for a negative size, or an {@code nnzCapacity} outside [0, 2^31)
     */
    public static Builder builder(int rows, int cols, long nnzCapacity) {
        checkShape(rows, cols);
        if (nnzCapacity < 0 || nnzCapacity > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("nnzCapacity must be in [0, 2^31), got " + nnzCapacity);
        }
        return new Builder(rows, cols, nnzCapacity);
    }

    /**
     * Appends rows in order; each row's columns strictly ascending. Until {@link #build} returns, the
     * builder owns the matrix: a call that throws frees it (the builder is then closed), and
     * {@link #close} frees it if the matrix is abandoned half-built.
     */
    public static final class Builder implements AutoCloseable {
        private final CsrMatrix m;
        private int row;
        private long pos;
        private boolean built;
        private boolean closed;

        private Builder(int rows, int cols, long capacity) {
            m = new CsrMatrix(rows, cols, capacity);
        }

        /**
         * Appends the next row: {@code n} entries with strictly ascending columns.
         *
         * @throws IllegalArgumentException naming the row and entry, for a column out of range, not
         *     ascending or duplicated, more entries than the capacity, or an {@code n} that is negative or
         *     beyond either array; the builder is then closed
         * @throws IllegalStateException if every row was added, or the builder is built or closed
         */
        public Builder addRow(int[] cols, float[] vals, int n) {
            checkOpen();
            try {
                append(cols, vals, n);
            } catch (RuntimeException | Error e) {
                Closing.after(e, this::close);
                throw e;
            }
            return this;
        }

        private void append(int[] cols, float[] vals, int n) {
            if (row >= m.rows) throw new IllegalStateException("all " + m.rows + " rows already added");
            // A negative n moved pos back: the row pointers then decreased, and the next row or build() failed
            // on an out-of-bounds write far from the call at fault.
            if (n < 0 || n > cols.length || n > vals.length) {
                throw new IllegalArgumentException("row " + row + ": " + n + " entries given " + cols.length + " columns and "
                        + vals.length + " values");
            }
            if (pos + n > m.nnz) {
                throw new IllegalArgumentException("row " + row + ": " + (pos + n) + " entries exceed capacity " + m.nnz);
            }
            for (int k = 0; k < n; k++) {
                int c = cols[k];
                if (c < 0 || c >= m.cols) {
                    throw new IllegalArgumentException("row " + row + ", entry " + k + ": col " + c + " out of range [0, " + m.cols + ")");
                }
                if (k > 0 && c <= cols[k - 1]) {
                    throw new IllegalArgumentException("row " + row + ", entry " + k + ": col " + c
                            + (c == cols[k - 1] ? " duplicated" : " not ascending"));
                }
                m.colIdx.setAtIndex(ValueLayout.JAVA_INT, pos + k, c);
                m.values.setAtIndex(ValueLayout.JAVA_FLOAT, pos + k, vals[k]);
            }
            pos += n;
            row++;
            m.rowPtr.setAtIndex(ValueLayout.JAVA_LONG, row, pos);
        }

        /**
         * Finishes the matrix, which then belongs to the caller; rows not added are empty, and unused
         * capacity is released.
         *
         * @throws IllegalStateException if the builder is built or closed
         */
        public CsrMatrix build() {
            checkOpen();
            try {
                while (row < m.rows) m.rowPtr.setAtIndex(ValueLayout.JAVA_LONG, ++row, pos);
                if (pos != m.nnz) m.shrinkTo(pos);
            } catch (RuntimeException | Error e) {
                Closing.after(e, this::close);
                throw e;
            }
            built = true;
            return m;
        }

        private void checkOpen() {
            if (built) throw new IllegalStateException("the matrix is already built");
            if (closed) throw new IllegalStateException("the builder is closed (closed by its caller, or an earlier call failed)");
        }

        /** Frees the matrix unless {@link #build} returned it. Closing again does nothing. */
        @Override
        public void close() {
            if (built || closed) return;
            closed = true;
            m.close();
        }
    }

    private void shrinkTo(long n) {
        Arena fresh = arenas.get();
        MemorySegment c, v;
        try {
            c = fresh.allocate(ValueLayout.JAVA_INT, Math.max(1, n));
            v = fresh.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, n));
            MemorySegment.copy(colIdx, 0, c, 0, n * Integer.BYTES);
            MemorySegment.copy(values, 0, v, 0, n * Float.BYTES);
        } catch (RuntimeException | Error e) {
            closeAfter(e, fresh);
            throw e;
        }
        Arena old = arena;
        arena = fresh;
        colIdx = c;
        values = v;
        nnz = n;
        old.close();
    }

    /** Builds the transpose index now (it is otherwise built on first use), in O(nnz + cols). */
    public void rebuildTranspose() {
        dropTranspose();
        ensureTranspose();
    }

    private synchronized void ensureTranspose() {
        if (transposeArena != null) return;
        requireOpen();
        Arena a = arenas.get();
        try {
            buildTranspose(a);
        } catch (RuntimeException | Error e) {
            // e.g. a closed matrix: the arena just made would otherwise be lost
            closeAfter(e, a);
            throw e;
        }
        transposeArena = a;
    }

    private void buildTranspose(Arena a) {
        MemorySegment cp = a.allocate(ValueLayout.JAVA_LONG, cols + 1L);
        MemorySegment ri = a.allocate(ValueLayout.JAVA_INT, Math.max(1, nnz));
        MemorySegment pos = a.allocate(ValueLayout.JAVA_INT, Math.max(1, nnz));
        for (long k = 0; k < nnz; k++) {
            long c = colIdx.getAtIndex(ValueLayout.JAVA_INT, k) + 1L;
            cp.setAtIndex(ValueLayout.JAVA_LONG, c, cp.getAtIndex(ValueLayout.JAVA_LONG, c) + 1);
        }
        for (int c = 0; c < cols; c++) {
            cp.setAtIndex(ValueLayout.JAVA_LONG, c + 1L, cp.getAtIndex(ValueLayout.JAVA_LONG, c + 1L) + cp.getAtIndex(ValueLayout.JAVA_LONG, c));
        }
        long[] next = new long[cols];
        for (int c = 0; c < cols; c++) next[c] = cp.getAtIndex(ValueLayout.JAVA_LONG, c);
        for (int r = 0; r < rows; r++) {
            long end = rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r + 1L);
            for (long k = rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r); k < end; k++) {
                int c = colIdx.getAtIndex(ValueLayout.JAVA_INT, k);
                long t = next[c]++;
                ri.setAtIndex(ValueLayout.JAVA_INT, t, r);
                pos.setAtIndex(ValueLayout.JAVA_INT, k, (int) t);
            }
        }
        colPtr = cp;
        rowIdx = ri;
        columnPos = pos;
    }

    private synchronized void dropTranspose() {
        if (transposeArena == null) return;
        transposeArena.close();
        transposeArena = null;
        colPtr = rowIdx = columnPos = valuePos = valuesByColumn = null;
    }

    /** Whether the transpose index is currently built (it is built by the first product with the transpose). */
    public synchronized boolean hasTranspose() { return transposeArena != null; }

    /**
     * Adds a per-connection side array (zero-filled) aligned with {@link #values()}.
     *
     * @param layout {@code JAVA_FLOAT}, {@code JAVA_INT} or {@code JAVA_BYTE}
     * @throws IllegalArgumentException if a side array of that name exists
     * @throws IllegalStateException if the matrix is closed
     */
    public MemorySegment addSide(String name, ValueLayout layout) {
        // A null name was taken as a side array called null.
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(layout, "layout");
        requireOpen();
        if (sides.containsKey(name)) throw new IllegalArgumentException("side array '" + name + "' already exists");
        MemorySegment s = arena.allocate(Math.max(1, nnz) * layout.byteSize(), layout.byteAlignment());
        sides.put(name, new Side(layout, new MemorySegment[] {s}));
        return s;
    }

    /**
     * The side array of that name.
     *
     * @throws IllegalArgumentException if there is none, naming the ones there are
     */
    public MemorySegment side(String name) {
        Side s = sides.get(name);
        if (s == null) throw new IllegalArgumentException("no side array '" + name + "'; have " + sides.keySet());
        return s.seg()[0];
    }

    /**
     * The element layout the side array of that name was added with ({@code JAVA_FLOAT}, {@code JAVA_INT} or {@code JAVA_BYTE}).
     *
     * @throws IllegalArgumentException if there is none, naming the ones there are
     */
    public ValueLayout sideLayout(String name) {
        Side s = sides.get(name);
        if (s == null) throw new IllegalArgumentException("no side array '" + name + "'; have " + sides.keySet());
        return s.layout();
    }

    /** Whether a side array of that name exists. */
    public boolean hasSide(String name) { return sides.containsKey(name); }

    /** Names of the side arrays, in the order they were added. */
    public Set<String> sideNames() { return Collections.unmodifiableSet(sides.keySet()); }

    /**
     * Replaces the topology in one linear merge: entries whose {@code keep} byte is 0 are dropped,
     * and {@code added} new entries are inserted, given as packed keys {@code row * cols + col}
     * sorted ascending, with their initial values. Survivors keep their values and side-array
     * entries; new entries get zero in every side array. O(nnz + added·log(row) + rows): no dense
     * pass. When the entry count does not grow the merge runs in place (no second copy of the
     * matrix); otherwise into new arrays. Either way the transpose index is dropped and rebuilt on
     * its next use. All arguments are checked before anything changes.
     *
     * @param keep one byte per current entry (non-zero keeps it)
     * @param addedKeys packed (row, col) keys of new entries, strictly ascending, none present among
     *     the survivors
     * @param addedValues initial weights of the new entries
     * @throws IllegalArgumentException if a new entry duplicates a surviving one, is out of range or
     *     keys are not sorted, if {@code keep} is shorter than the entries or {@code addedCount} is
     *     negative or beyond either array; the matrix is then unchanged
     * @throws IllegalStateException if the matrix is closed
     */
    public void rewire(MemorySegment keep, long[] addedKeys, float[] addedValues, int addedCount) {
        requireOpen();
        // The merge reads these only after it has begun moving entries: checked here, a short array is a
        // refusal, not a matrix left half-merged.
        if (addedCount < 0 || addedCount > addedKeys.length || addedCount > addedValues.length) {
            throw new IllegalArgumentException(addedCount + " added entries given " + addedKeys.length + " keys and "
                    + addedValues.length + " values");
        }
        if (keep.byteSize() < nnz) throw new IllegalArgumentException("keep has " + keep.byteSize() + " bytes for " + nnz + " entries");
        long cells = (long) rows * cols;
        long prevKey = -1;
        for (int a = 0; a < addedCount; a++) {
            long key = addedKeys[a];
            if (key < 0 || key >= cells) throw new IllegalArgumentException("added key " + a + " (" + key + ") out of range for " + rows + " x " + cols);
            if (key <= prevKey) throw new IllegalArgumentException("added key " + a + " (" + key + ") not strictly ascending");
            int r = (int) (key / cols), c = (int) (key % cols);
            long k = indexOf(r, c);
            if (k >= 0 && keep.get(ValueLayout.JAVA_BYTE, k) != 0) {
                throw new IllegalArgumentException("added entry " + a + " (row " + r + ", col " + c + ") is already present");
            }
            prevKey = key;
        }
        long survivors = 0;
        for (long k = 0; k < nnz; k++) if (keep.get(ValueLayout.JAVA_BYTE, k) != 0) survivors++;
        long newNnz = survivors + addedCount;
        if (newNnz > Integer.MAX_VALUE) throw new IllegalArgumentException("too many entries: " + newNnz);
        dropTranspose();
        MemorySegment[] side = new MemorySegment[sides.size()];
        int[] width = new int[side.length];
        int si = 0;
        for (Side sd : sides.values()) {
            side[si] = sd.seg()[0];
            width[si++] = (int) sd.layout().byteSize();
        }
        Arena newPtrArena = arenas.get();
        try {
            MemorySegment newRowPtr = newPtrArena.allocate(ValueLayout.JAVA_LONG, rows + 1L);
            if (newNnz <= nnz) {
                mergeInPlace(keep, addedKeys, addedValues, addedCount, survivors, newNnz, newRowPtr, side, width);
            } else {
                mergeIntoNew(keep, addedKeys, addedValues, addedCount, newNnz, newRowPtr, side, width);
            }
            rowPtr = newRowPtr;
        } catch (RuntimeException | Error e) {
            // e.g. a closed matrix, or no memory for the new arrays (the matrix is then unchanged)
            closeAfter(e, newPtrArena);
            throw e;
        }
        ptrArena.close();
        ptrArena = newPtrArena;
        nnz = newNnz;
    }

    // Survivors are first compacted to the front of each array (moving only left), then merged with the
    // added entries from the back: an entry's final position is its compacted position plus the number of
    // added entries before it, so writing from the end never overwrites an entry not yet read.
    private void mergeInPlace(MemorySegment keep, long[] addedKeys, float[] addedValues, int addedCount, long survivors,
                              long newNnz, MemorySegment newRowPtr, MemorySegment[] side, int[] width) {
        long w = 0;
        for (int r = 0; r < rows; r++) {
            long k = rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r), end = rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r + 1L);
            newRowPtr.setAtIndex(ValueLayout.JAVA_LONG, r, w);
            for (; k < end; k++) {
                if (keep.get(ValueLayout.JAVA_BYTE, k) == 0) continue;
                if (k != w) move(k, w, side, width);
                w++;
            }
        }
        long out = newNnz, compactedEnd = survivors;
        int a = addedCount - 1;
        newRowPtr.setAtIndex(ValueLayout.JAVA_LONG, rows, newNnz);
        for (int r = rows - 1; r >= 0; r--) {
            long start = newRowPtr.getAtIndex(ValueLayout.JAVA_LONG, r);
            long k = compactedEnd - 1, rowBase = (long) r * cols;
            while (true) {
                boolean haveOld = k >= start, haveNew = a >= 0 && addedKeys[a] >= rowBase;
                if (!haveOld && !haveNew) break;
                out--;
                if (haveNew && (!haveOld || addedKeys[a] - rowBase > colIdx.getAtIndex(ValueLayout.JAVA_INT, k))) {
                    colIdx.setAtIndex(ValueLayout.JAVA_INT, out, (int) (addedKeys[a] - rowBase));
                    values.setAtIndex(ValueLayout.JAVA_FLOAT, out, addedValues[a]);
                    for (int i = 0; i < side.length; i++) side[i].asSlice(out * width[i], width[i]).fill((byte) 0);
                    a--;
                } else {
                    if (k != out) move(k, out, side, width);
                    k--;
                }
            }
            newRowPtr.setAtIndex(ValueLayout.JAVA_LONG, r, out);
            compactedEnd = start;
        }
    }

    private void move(long from, long to, MemorySegment[] side, int[] width) {
        colIdx.setAtIndex(ValueLayout.JAVA_INT, to, colIdx.getAtIndex(ValueLayout.JAVA_INT, from));
        values.setAtIndex(ValueLayout.JAVA_FLOAT, to, values.getAtIndex(ValueLayout.JAVA_FLOAT, from));
        for (int i = 0; i < side.length; i++) {
            if (width[i] == 4) side[i].setAtIndex(ValueLayout.JAVA_INT, to, side[i].getAtIndex(ValueLayout.JAVA_INT, from));
            else MemorySegment.copy(side[i], from * width[i], side[i], to * width[i], width[i]);
        }
    }

    private void mergeIntoNew(MemorySegment keep, long[] addedKeys, float[] addedValues, int addedCount, long newNnz,
                              MemorySegment newRowPtr, MemorySegment[] from, int[] width) {
        Arena fresh = arenas.get();
        MemorySegment[] to = new MemorySegment[from.length];
        MemorySegment nCol, nVal;
        try {
            nCol = fresh.allocate(ValueLayout.JAVA_INT, Math.max(1, newNnz));
            nVal = fresh.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, newNnz));
            int si = 0;
            for (Side sd : sides.values()) {
                ValueLayout l = sd.layout();
                to[si++] = fresh.allocate(Math.max(1, newNnz) * l.byteSize(), l.byteAlignment());
            }
            mergeInto(nCol, nVal, to, keep, addedKeys, addedValues, addedCount, newRowPtr, from, width);
        } catch (RuntimeException | Error e) {
            // Nothing of the matrix points into fresh yet: it is left as it was.
            closeAfter(e, fresh);
            throw e;
        }
        Arena old = arena;
        arena = fresh;
        colIdx = nCol;
        values = nVal;
        int si = 0;
        for (Side sd : sides.values()) sd.seg()[0] = to[si++];
        old.close();
    }

    private void mergeInto(MemorySegment nCol, MemorySegment nVal, MemorySegment[] to, MemorySegment keep, long[] addedKeys,
                           float[] addedValues, int addedCount, MemorySegment newRowPtr, MemorySegment[] from, int[] width) {
        MemorySegment oCol = colIdx, oVal = values;
        long out = 0;
        int a = 0;
        for (int r = 0; r < rows; r++) {
            newRowPtr.setAtIndex(ValueLayout.JAVA_LONG, r, out);
            long k = rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r), end = rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r + 1L);
            long rowBase = (long) r * cols;
            while (true) {
                while (k < end && keep.get(ValueLayout.JAVA_BYTE, k) == 0) k++;
                boolean haveOld = k < end, haveNew = a < addedCount && addedKeys[a] < rowBase + cols;
                if (!haveOld && !haveNew) break;
                if (haveNew && (!haveOld || addedKeys[a] - rowBase < oCol.getAtIndex(ValueLayout.JAVA_INT, k))) {
                    nCol.setAtIndex(ValueLayout.JAVA_INT, out, (int) (addedKeys[a] - rowBase));
                    nVal.setAtIndex(ValueLayout.JAVA_FLOAT, out, addedValues[a]);
                    a++;
                } else {
                    nCol.setAtIndex(ValueLayout.JAVA_INT, out, oCol.getAtIndex(ValueLayout.JAVA_INT, k));
                    nVal.setAtIndex(ValueLayout.JAVA_FLOAT, out, oVal.getAtIndex(ValueLayout.JAVA_FLOAT, k));
                    for (int i = 0; i < from.length; i++) {
                        if (width[i] == 4) to[i].setAtIndex(ValueLayout.JAVA_INT, out, from[i].getAtIndex(ValueLayout.JAVA_INT, k));
                        else MemorySegment.copy(from[i], k * width[i], to[i], out * width[i], width[i]);
                    }
                    k++;
                }
                out++;
            }
        }
        newRowPtr.setAtIndex(ValueLayout.JAVA_LONG, rows, out);
    }

    /** Number of rows (a layer's outputs). */
    public int rows() { return rows; }

    /** Number of columns (a layer's inputs). */
    public int cols() { return cols; }

    /** Number of stored entries (live connections). */
    public long nnz() { return nnz; }

    /** Row pointers: long[rows + 1]. */
    public MemorySegment rowPtr() { return rowPtr; }

    /** Column of each entry: int[nnz], ascending within a row. */
    public MemorySegment colIdx() { return colIdx; }

    /** Value of each entry: float[nnz]. */
    public MemorySegment values() { return values; }

    /**
     * Transpose column pointers: long[cols + 1]. The first call after a topology change builds the
     * transpose index, so call it from one thread before handing the matrix to several.
     */
    public MemorySegment colPtr() {
        ensureTranspose();
        return colPtr;
    }

    /** Transpose: the row of each entry in column order, int[nnz]. */
    public MemorySegment rowIdx() {
        ensureTranspose();
        return rowIdx;
    }

    /** Transpose: the position in column order of each entry, int[nnz] in CSR order (the inverse of {@link #valuePos()}). */
    public MemorySegment columnPos() {
        ensureTranspose();
        return columnPos;
    }

    /**
     * Transpose: the position in {@link #values()} of each entry in column order, int[nnz]. Built on
     * first call from {@link #columnPos()} (4 more bytes per connection; the parallel products do not
     * need it).
     */
    public synchronized MemorySegment valuePos() {
        ensureTranspose();
        if (valuePos == null) {
            MemorySegment vp = transposeArena.allocate(ValueLayout.JAVA_INT, Math.max(1, nnz));
            for (long k = 0; k < nnz; k++) vp.setAtIndex(ValueLayout.JAVA_INT, columnPos.getAtIndex(ValueLayout.JAVA_INT, k), (int) k);
            valuePos = vp;
        }
        return valuePos;
    }

    /**
     * Scratch for products with the transpose: float[nnz] that a kernel may fill with the values in
     * column order ({@code valuesByColumn[columnPos[k]] = values[k]}) and then read in column order. Its
     * contents are meaningful only during such a product; nothing else reads it.
     */
    public synchronized MemorySegment valuesByColumn() {
        ensureTranspose();
        if (valuesByColumn == null) valuesByColumn = transposeArena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, nnz));
        return valuesByColumn;
    }

    /** Index of row {@code r}'s first entry. */
    public long rowStart(int r) { return rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r); }

    /** Index one past row {@code r}'s last entry. */
    public long rowEnd(int r) { return rowPtr.getAtIndex(ValueLayout.JAVA_LONG, r + 1L); }

    /** Column of entry {@code k}. */
    public int col(long k) { return colIdx.getAtIndex(ValueLayout.JAVA_INT, k); }

    /** Value of entry {@code k}. */
    public float value(long k) { return values.getAtIndex(ValueLayout.JAVA_FLOAT, k); }

    /** Sets the value of entry {@code k}. */
    public void setValue(long k, float v) { values.setAtIndex(ValueLayout.JAVA_FLOAT, k, v); }

    /**
     * The value at (r, c), or 0 if absent.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= r < rows()} and {@code 0 <= c < cols()}
     */
    public float get(int r, int c) {
        // Out of range, a column would be reported absent (0) and a row past the last read as empty.
        Objects.checkIndex(r, rows);
        Objects.checkIndex(c, cols);
        long k = indexOf(r, c);
        return k < 0 ? 0f : value(k);
    }

    /** Position of the connection (r, c) in the CSR arrays, or -1 if absent; binary search within the row. */
    public long indexOf(int r, int c) {
        long lo = rowStart(r), hi = rowEnd(r) - 1;
        while (lo <= hi) {
            long mid = (lo + hi) >>> 1;
            int mc = col(mid);
            if (mc < c) lo = mid + 1;
            else if (mc > c) hi = mid - 1;
            else return mid;
        }
        return -1;
    }

    /** Bytes of off-heap memory held, side arrays included. */
    public synchronized long byteSize() {
        long b = rowPtr.byteSize() + colIdx.byteSize() + values.byteSize();
        if (transposeArena != null) {
            b += colPtr.byteSize() + rowIdx.byteSize() + columnPos.byteSize();
            if (valuePos != null) b += valuePos.byteSize();
            if (valuesByColumn != null) b += valuesByColumn.byteSize();
        }
        for (Side s : sides.values()) b += s.seg()[0].byteSize();
        return b;
    }

    /**
     * Frees the matrix and its side arrays. Closing again does nothing; after closing, reading or changing
     * an entry throws {@link IllegalStateException} (so does reading a segment handed out before), while
     * the shape, {@link #nnz()}, {@link #byteSize()} (what it held) and the side arrays' names still answer.
     */
    @Override
    public synchronized void close() {
        Closing.all(this::dropTranspose, () -> closeIfOpen(ptrArena), () -> closeIfOpen(arena));
    }

    // A matrix of no rows reads no segment a close would have invalidated, so nothing else refuses it: a rewire then
    // replaced its row pointers with live ones (and lost that arena when closing the old one threw), and colPtr built a
    // transpose that nothing would free.
    private void requireOpen() {
        if (!arena.scope().isAlive()) throw new IllegalStateException("the matrix is closed");
    }

    private static void closeIfOpen(Arena a) {
        if (a.scope().isAlive()) a.close();
    }
}
