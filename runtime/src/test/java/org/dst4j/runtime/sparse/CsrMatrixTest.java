package org.dst4j.runtime.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;

class CsrMatrixTest {

    @Test
    void fromCooSortsEntriesAndBuildsTheTranspose() {
        try (CsrMatrix m = CsrMatrix.fromCoo(3, 4, new int[] {2, 0, 0, 2}, new int[] {1, 3, 0, 3}, new float[] {5, 2, 1, 7})) {
            assertThat(m.nnz()).isEqualTo(4);
            assertThat(m.rowStart(0)).isEqualTo(0);
            assertThat(m.rowEnd(0)).isEqualTo(2);
            assertThat(m.rowEnd(1)).isEqualTo(2);
            assertThat(m.col(0)).isEqualTo(0);
            assertThat(m.col(1)).isEqualTo(3);
            assertThat(m.get(0, 3)).isEqualTo(2f);
            assertThat(m.get(2, 1)).isEqualTo(5f);
            assertThat(m.get(1, 1)).isZero();
            // Column 3 holds rows 0 and 2 in row order, pointing back at their value positions.
            long c3 = m.colPtr().getAtIndex(ValueLayout.JAVA_LONG, 3);
            assertThat(m.colPtr().getAtIndex(ValueLayout.JAVA_LONG, 4) - c3).isEqualTo(2);
            assertThat(m.rowIdx().getAtIndex(ValueLayout.JAVA_INT, c3)).isZero();
            assertThat(m.rowIdx().getAtIndex(ValueLayout.JAVA_INT, c3 + 1)).isEqualTo(2);
            assertThat(m.value(m.valuePos().getAtIndex(ValueLayout.JAVA_INT, c3 + 1))).isEqualTo(7f);
        }
    }

    @Test
    void builderErrorsNameTheEntry() {
        assertThatThrownBy(() -> CsrMatrix.fromCoo(2, 2, new int[] {0, 2}, new int[] {0, 0}, new float[] {1, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 1").hasMessageContaining("row 2 out of range");
        assertThatThrownBy(() -> CsrMatrix.fromCoo(2, 2, new int[] {0, 1}, new int[] {0, -1}, new float[] {1, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 1").hasMessageContaining("col -1");
        assertThatThrownBy(() -> CsrMatrix.fromCoo(2, 2, new int[] {1, 0, 1}, new int[] {1, 0, 1}, new float[] {1, 1, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate (row 1, col 1)");
        assertThatThrownBy(() -> CsrMatrix.fromCoo(-1, 2, new int[0], new int[0], new float[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows must be >= 0");
        assertThatThrownBy(() -> CsrMatrix.fromCoo(2, -3, new int[0], new int[0], new float[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cols must be >= 0");
        assertThatThrownBy(() -> CsrMatrix.builder(2, 5, 10).addRow(new int[] {3, 3}, new float[2], 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 0, entry 1: col 3 duplicated");
        assertThatThrownBy(() -> CsrMatrix.builder(2, 5, 10).addRow(new int[] {3, 1}, new float[2], 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not ascending");
    }

    @Test
    void emptyMatrices() {
        try (CsrMatrix m = CsrMatrix.fromCoo(0, 0, new int[0], new int[0], new float[0]);
             CsrMatrix e = CsrMatrix.builder(5, 7, 0).build()) {
            assertThat(m.nnz()).isZero();
            assertThat(e.nnz()).isZero();
            assertThat(e.rowEnd(4)).isZero();
        }
    }

    @Test
    void rewireMergesSurvivorsAndNewEntriesAndCarriesSideArrays() {
        // {density, keep probability, add probability}: fewer added than removed (in place), more (new
        // arrays), equal-ish, everything removed, a full matrix, an empty one
        double[][] cases = {{0.2, 0.7, 0.05}, {0.2, 0.9, 0.3}, {0.3, 0.5, 0.2}, {0.2, 0.0, 0.1}, {1.0, 0.6, 1.0}, {0.0, 1.0, 0.1}, {0.2, 1.0, 0.0}};
        long seed = 3;
        for (double[] cs : cases) {
            for (int rows : new int[] {1, 7, 40}) rewireCase(rows, 30, cs[0], cs[1], cs[2], new RandomStream(seed++));
        }
    }

    private static void rewireCase(int rows, int cols, double density, double keepP, double addP, RandomStream rnd) {
        TreeMap<Long, float[]> expected = new TreeMap<>();   // key -> {value, velocity, flag}
        List<int[]> coo = new ArrayList<>();
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) if (rnd.nextDouble() < density) coo.add(new int[] {r, c});
        int n = coo.size();
        int[] rr = new int[n], cc = new int[n];
        float[] vv = new float[n];
        for (int k = 0; k < n; k++) {
            rr[k] = coo.get(k)[0];
            cc[k] = coo.get(k)[1];
            vv[k] = k + 1;
        }
        try (CsrMatrix m = CsrMatrix.fromCoo(rows, cols, rr, cc, vv); Arena a = Arena.ofConfined()) {
            m.colPtr();   // built before, so the test also sees it dropped and rebuilt
            MemorySegment vel = m.addSide("velocity", ValueLayout.JAVA_FLOAT);
            MemorySegment flag = m.addSide("flag", ValueLayout.JAVA_BYTE);
            for (long k = 0; k < m.nnz(); k++) {
                vel.setAtIndex(ValueLayout.JAVA_FLOAT, k, -m.value(k));
                flag.set(ValueLayout.JAVA_BYTE, k, (byte) (1 + k % 100));
            }
            MemorySegment keep = a.allocate(Math.max(1, m.nnz()));
            for (long k = 0; k < m.nnz(); k++) {
                boolean kept = rnd.nextDouble() < keepP;
                keep.set(ValueLayout.JAVA_BYTE, k, (byte) (kept ? 1 : 0));
                if (kept) expected.put(rowOf(m, k) * (long) cols + m.col(k), new float[] {m.value(k), -m.value(k), 1 + k % 100});
            }
            List<Long> added = new ArrayList<>();
            for (long key = 0; key < (long) rows * cols; key++) {
                if (!expected.containsKey(key) && rnd.nextDouble() < addP) added.add(key);   // may re-add a pruned position
            }
            long[] keys = added.stream().mapToLong(Long::longValue).toArray();
            float[] vals = new float[keys.length];
            for (int i = 0; i < keys.length; i++) {
                vals[i] = 1000 + i;
                expected.put(keys[i], new float[] {vals[i], 0, 0});
            }
            m.rewire(keep, keys, vals, keys.length);
            String what = rows + " rows, density " + density + ", keep " + keepP + ", add " + addP;
            assertThat(m.nnz()).as(what).isEqualTo(expected.size());
            assertThat(m.hasTranspose()).isFalse();
            MemorySegment vel2 = m.side("velocity"), flag2 = m.side("flag");
            long k = 0;
            for (var e : expected.entrySet()) {
                assertThat(rowOf(m, k) * (long) cols + m.col(k)).as(what).isEqualTo(e.getKey());
                assertThat(m.value(k)).as(what).isEqualTo(e.getValue()[0]);
                assertThat(vel2.getAtIndex(ValueLayout.JAVA_FLOAT, k)).as(what).isEqualTo(e.getValue()[1]);
                assertThat((float) flag2.get(ValueLayout.JAVA_BYTE, k)).as(what).isEqualTo(e.getValue()[2]);
                k++;
            }
            for (int r = 0; r < rows; r++) assertThat(m.rowEnd(r)).isGreaterThanOrEqualTo(m.rowStart(r));
            assertThat(m.rowEnd(rows - 1)).isEqualTo(m.nnz());
            // The transpose is rebuilt on use: every column entry points at a value in that column.
            long seen = 0;
            for (int c = 0; c < cols; c++) {
                for (long t = m.colPtr().getAtIndex(ValueLayout.JAVA_LONG, c); t < m.colPtr().getAtIndex(ValueLayout.JAVA_LONG, c + 1); t++) {
                    int pos = m.valuePos().getAtIndex(ValueLayout.JAVA_INT, t);
                    assertThat(m.col(pos)).isEqualTo(c);
                    assertThat(rowOf(m, pos)).isEqualTo(m.rowIdx().getAtIndex(ValueLayout.JAVA_INT, t));
                    seen++;
                }
            }
            assertThat(seen).isEqualTo(m.nnz());
            // columnPos is valuePos's inverse
            for (long e = 0; e < m.nnz(); e++) {
                assertThat(m.valuePos().getAtIndex(ValueLayout.JAVA_INT, m.columnPos().getAtIndex(ValueLayout.JAVA_INT, e))).isEqualTo((int) e);
            }
        }
    }

    @Test
    void rewireRefusesADuplicateAndLeavesTheMatrixIntact() {
        try (CsrMatrix m = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {1, 2}, new float[] {1, 2}); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(2);
            keep.fill((byte) 1);
            assertThatThrownBy(() -> m.rewire(keep, new long[] {1}, new float[] {9}, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already present");
            assertThat(m.nnz()).isEqualTo(2);
            assertThat(m.get(0, 1)).isEqualTo(1f);
            assertThat(m.get(1, 2)).isEqualTo(2f);
            assertThatThrownBy(() -> m.rewire(keep, new long[] {4, 3}, new float[] {9, 9}, 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not strictly ascending");
            assertThatThrownBy(() -> m.rewire(keep, new long[] {6}, new float[] {9}, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of range for 2 x 3");
            assertThat(m.nnz()).isEqualTo(2);
            assertThat(m.get(1, 2)).isEqualTo(2f);
        }
    }

    // A grow rule's arrays shorter than its count used to be found half-way through the merge, after
    // survivors had moved: the matrix was left with entries in the wrong rows.
    @Test
    void rewireRefusesArraysShorterThanTheCountAndLeavesTheMatrixIntact() {
        try (CsrMatrix m = CsrMatrix.fromCoo(2, 4, new int[] {0, 0, 1, 1}, new int[] {0, 1, 2, 3}, new float[] {1, 2, 3, 4});
             Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(4);
            keep.fill((byte) 1);
            keep.set(ValueLayout.JAVA_BYTE, 1, (byte) 0);
            keep.set(ValueLayout.JAVA_BYTE, 2, (byte) 0);
            assertThatThrownBy(() -> m.rewire(keep, new long[] {2, 5}, new float[] {9}, 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 keys and 1 values");
            assertThatThrownBy(() -> m.rewire(keep, new long[] {2}, new float[] {9, 9}, 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 keys and 2 values");
            assertThatThrownBy(() -> m.rewire(keep, new long[0], new float[0], -1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(m.nnz()).isEqualTo(4);
            assertThat(new float[] {m.get(0, 0), m.get(0, 1), m.get(1, 2), m.get(1, 3)}).containsExactly(1, 2, 3, 4);
        }
    }

    // Past 2^32 cells the (row, col) key no longer fits beside the entry's index in one long, and the
    // entries are sorted by a comparator instead: only a refused duplicate went that way in any test.
    @Test
    void aMatrixOfMoreThanTwoToTheThirtyTwoCellsIsBuiltFromCooInRowThenColumnOrder() {
        int n = 70_000;   // 4.9e9 cells
        try (CsrMatrix m = CsrMatrix.fromCoo(n, n, new int[] {n - 1, 3, n - 1, 3, 0}, new int[] {5, n - 1, 2, 4, 0},
                new float[] {1, 2, 3, 4, 5})) {
            assertThat(m.nnz()).isEqualTo(5);
            assertThat(m.rowStart(0)).isZero();
            assertThat(m.rowEnd(0)).isEqualTo(1);
            assertThat(m.rowStart(3)).isEqualTo(1);
            assertThat(m.rowEnd(3)).isEqualTo(3);
            assertThat(m.rowStart(n - 1)).isEqualTo(3);
            assertThat(m.rowEnd(n - 1)).isEqualTo(5);
            assertThat(new int[] {m.col(0), m.col(1), m.col(2), m.col(3), m.col(4)}).containsExactly(0, 4, n - 1, 2, 5);
            assertThat(new float[] {m.value(0), m.value(1), m.value(2), m.value(3), m.value(4)}).containsExactly(5, 4, 2, 3, 1);
            assertThat(m.get(3, n - 1)).isEqualTo(2f);
            assertThat(m.get(n - 1, 2)).isEqualTo(3f);
            assertThat(m.get(n - 2, 5)).isZero();
        }
        // the same range checks as the packed path, at the first index past each end
        assertThatThrownBy(() -> CsrMatrix.fromCoo(n, n, new int[] {0, n}, new int[] {0, 0}, new float[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 1: row 70000 out of range [0, 70000)");
        assertThatThrownBy(() -> CsrMatrix.fromCoo(n, n, new int[] {0, 1}, new int[] {0, n}, new float[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 1: col 70000 out of range [0, 70000)");
        assertThatThrownBy(() -> CsrMatrix.fromCoo(n, n, new int[] {-1}, new int[] {0}, new float[1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row -1 out of range");
        assertThatThrownBy(() -> CsrMatrix.fromCoo(n, n, new int[] {0}, new int[] {-1}, new float[1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("col -1 out of range");
        // same row, different columns: not a duplicate; same column, different rows: not one either
        try (CsrMatrix m = CsrMatrix.fromCoo(n, n, new int[] {7, 7, 8}, new int[] {9, 8, 9}, new float[] {1, 2, 3})) {
            assertThat(m.nnz()).isEqualTo(3);
            assertThat(m.get(7, 8)).isEqualTo(2f);
        }
    }

    @Test
    void aColumnOnePastTheLastIsRefusedFromCoo() {
        // accepted, (row 0, col 2) of a 2 x 2 matrix packs to the key of (row 1, col 0)
        assertThatThrownBy(() -> CsrMatrix.fromCoo(2, 2, new int[] {0}, new int[] {2}, new float[1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 0: col 2 out of range [0, 2)");
    }

    @Test
    void fromCsrAcceptsARowStartingBelowOrAboveThePreviousRowsColumnsAndRefusesARepeatedOne() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rp = a.allocateFrom(ValueLayout.JAVA_LONG, 0, 2, 4);
            MemorySegment v = a.allocateFrom(ValueLayout.JAVA_FLOAT, 1f, 2f, 3f, 4f);
            try (CsrMatrix m = CsrMatrix.fromCsr(2, 6, rp, a.allocateFrom(ValueLayout.JAVA_INT, 0, 2, 3, 5), v)) {
                assertThat(new float[] {m.get(0, 0), m.get(0, 2), m.get(1, 3), m.get(1, 5)}).containsExactly(1, 2, 3, 4);
                assertThat(m.rowEnd(1)).isEqualTo(4);
            }
            assertThatThrownBy(() -> CsrMatrix.fromCsr(2, 6, rp, a.allocateFrom(ValueLayout.JAVA_INT, 0, 2, 3, 3), v))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 1, entry 3: col 3 not strictly ascending");
            MemorySegment empty = a.allocateFrom(ValueLayout.JAVA_LONG, 0, 0, 0);
            assertThatThrownBy(() -> CsrMatrix.fromCsr(2, -1, empty, a.allocate(0), a.allocate(0)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cols must be >= 0");
            assertThatThrownBy(() -> CsrMatrix.fromCsr(-1, 3, a.allocate(0), a.allocate(0), a.allocate(0)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows must be >= 0");
        }
    }

    @Test
    void aBuilderLeavesTheRowsNeverAddedEmptyAtTheEnd() {
        try (CsrMatrix m = CsrMatrix.builder(4, 5, 6).addRow(new int[] {1, 3}, new float[] {7, 8}, 2).build()) {
            assertThat(m.nnz()).isEqualTo(2);
            for (int r = 1; r < 4; r++) {
                assertThat(m.rowStart(r)).as("row %d", r).isEqualTo(2);
                assertThat(m.rowEnd(r)).as("row %d", r).isEqualTo(2);
            }
            assertThat(m.get(0, 3)).isEqualTo(8f);
        }
    }

    // An initializer whose draw gave a row no connections adds it with n = 0.
    @Test
    void aBuilderTakesARowOfNoEntriesAndPlacesTheNextAfterIt() {
        try (CsrMatrix m = CsrMatrix.builder(3, 5, 3).addRow(new int[] {2}, new float[] {1}, 1).addRow(new int[0], new float[0], 0)
                .addRow(new int[] {0, 4}, new float[] {2, 3}, 2).build()) {
            assertThat(m.rowStart(1)).isEqualTo(1);
            assertThat(m.rowEnd(1)).isEqualTo(1);
            assertThat(m.rowStart(2)).isEqualTo(1);
            assertThat(m.get(2, 4)).isEqualTo(3f);
        }
    }

    @Test
    void aBuilderRefusesWhatItsDocumentationRefuses() {
        assertThatThrownBy(() -> CsrMatrix.builder(2, -1, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cols must be >= 0");
        assertThatThrownBy(() -> CsrMatrix.builder(-1, 2, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows must be >= 0");
        assertThatThrownBy(() -> CsrMatrix.builder(2, 5, 10).addRow(new int[] {1, 5}, new float[2], 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 0, entry 1: col 5 out of range [0, 5)");
        assertThatThrownBy(() -> CsrMatrix.builder(2, 5, 1).addRow(new int[] {1, 2}, new float[2], 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 0: 2 entries exceed capacity 1");
        CsrMatrix.Builder full = CsrMatrix.builder(1, 5, 10).addRow(new int[] {1}, new float[1], 1);
        assertThatThrownBy(() -> full.addRow(new int[] {2}, new float[1], 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("all 1 rows already added");
        CsrMatrix.Builder once = CsrMatrix.builder(1, 5, 1).addRow(new int[] {1}, new float[] {2}, 1);
        try (CsrMatrix m = once.build()) {
            assertThatThrownBy(once::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("already built");
            assertThat(m.get(0, 1)).isEqualTo(2f);
        }
        // A negative count was taken, and the row pointers went backwards.
        CsrMatrix.Builder negative = CsrMatrix.builder(2, 5, 2);
        assertThatThrownBy(() -> negative.addRow(new int[0], new float[0], -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("row 0: -1 entries given 0 columns and 0 values");
        assertThatThrownBy(negative::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("builder is closed");
        assertThatThrownBy(() -> CsrMatrix.builder(2, 5, 4).addRow(new int[] {1}, new float[] {1, 2}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("row 0: 2 entries given 1 columns and 2 values");
        CsrMatrix.Builder closed = CsrMatrix.builder(1, 5, 1).addRow(new int[] {1}, new float[] {2}, 1);
        closed.close();
        assertThatThrownBy(closed::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("builder is closed");
        assertThatThrownBy(() -> closed.addRow(new int[] {1}, new float[] {2}, 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("builder is closed");
        CsrMatrix.Builder unfinished = CsrMatrix.builder(2, 5, 2);
        try (CsrMatrix m = unfinished.build()) {
            assertThatThrownBy(() -> unfinished.addRow(new int[] {1}, new float[] {2}, 1))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already built");
        }
    }

    @Test
    void eachTransposeAccessorBuildsTheIndexOnItsOwn() {
        try (CsrMatrix a = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {2, 2}, new float[] {1, 2});
             CsrMatrix b = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {2, 2}, new float[] {1, 2});
             CsrMatrix c = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {2, 2}, new float[] {1, 2});
             CsrMatrix d = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {2, 2}, new float[] {1, 2});
             CsrMatrix e = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {2, 2}, new float[] {1, 2})) {
            assertThat(a.rowIdx().getAtIndex(ValueLayout.JAVA_INT, 1)).isEqualTo(1);
            assertThat(e.columnPos().getAtIndex(ValueLayout.JAVA_INT, 1)).isEqualTo(1);
            assertThat(b.valuePos().getAtIndex(ValueLayout.JAVA_INT, 1)).isEqualTo(1);
            assertThat(c.valuesByColumn().byteSize()).isEqualTo(2 * Float.BYTES);
            assertThat(d.hasTranspose()).isFalse();
            d.rebuildTranspose();
            assertThat(d.hasTranspose()).isTrue();
            assertThat(d.colPtr().getAtIndex(ValueLayout.JAVA_LONG, 2)).isZero();
            assertThat(d.colPtr().getAtIndex(ValueLayout.JAVA_LONG, 3)).isEqualTo(2);
        }
    }

    // The memory a layer reports (SparseMlp.byteSize adds these up) is every array it holds.
    @Test
    void byteSizeCountsEveryArrayTheMatrixHolds() {
        try (CsrMatrix m = CsrMatrix.fromCoo(3, 4, new int[] {2, 0, 0, 2}, new int[] {1, 3, 0, 3}, new float[] {5, 2, 1, 7})) {
            long csr = 4 * Long.BYTES + 4 * Integer.BYTES + 4 * Float.BYTES;
            assertThat(m.byteSize()).isEqualTo(csr);
            m.colPtr();
            long transpose = 5 * Long.BYTES + 4 * Integer.BYTES + 4 * Integer.BYTES;
            assertThat(m.byteSize()).isEqualTo(csr + transpose);
            m.valuesByColumn();
            assertThat(m.byteSize()).isEqualTo(csr + transpose + 4 * Float.BYTES);
            m.valuePos(); // built only when asked for
            assertThat(m.byteSize()).isEqualTo(csr + transpose + 4 * Float.BYTES + 4 * Integer.BYTES);
            m.addSide("flag", ValueLayout.JAVA_BYTE);
            assertThat(m.byteSize()).isEqualTo(csr + transpose + 4 * Float.BYTES + 4 * Integer.BYTES + 4);
        }
    }

    // Arenas are shared, so one left open is never freed: a rewire that forgot to close the replaced row
    // pointers, arrays or transpose leaked them at every topology update.
    @Test
    void rewiringAndTheTransposeCloseEveryArenaTheyReplace() {
        try (RecordedArenas arenas = new RecordedArenas(); Arena a = Arena.ofConfined()) {
            CsrMatrix m = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {1, 2}, new float[] {1, 2});
            m.addSide("velocity", ValueLayout.JAVA_FLOAT);
            assertThat(arenas.stillOpen()).isEqualTo(2);   // arrays, row pointers
            m.colPtr();
            assertThat(arenas.stillOpen()).isEqualTo(3);   // and the transpose
            MemorySegment keep = a.allocate(3);
            keep.fill((byte) 1);
            keep.set(ValueLayout.JAVA_BYTE, 0, (byte) 0);
            // as many added as removed: in place, only new row pointers
            int before = arenas.opened();
            m.rewire(keep, new long[] {0}, new float[] {9}, 1);
            assertThat(arenas.opened() - before).as("arenas opened by an in-place rewire").isEqualTo(1);
            assertThat(arenas.stillOpen()).isEqualTo(2);
            assertThat(m.get(0, 0)).isEqualTo(9f);
            m.colPtr();
            keep.fill((byte) 1);
            m.rewire(keep, new long[] {3}, new float[] {8}, 1);   // growing: new arrays too
            assertThat(arenas.stillOpen()).isEqualTo(2);
            assertThat(m.get(1, 0)).isEqualTo(8f);
            m.close();
            assertThat(arenas.stillOpen()).isZero();
            assertThatThrownBy(m::colPtr).isInstanceOf(IllegalStateException.class);
            assertThat(arenas.stillOpen()).as("after a transpose refused on a closed matrix").isZero();
        }
    }

    // Equal added keys are not strictly ascending: accepted, the merge stored the same cell twice.
    @Test
    void rewireRefusesTheSameAddedKeyTwice() {
        try (CsrMatrix m = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {1, 2}, new float[] {1, 2}); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(2);
            keep.fill((byte) 0);
            assertThatThrownBy(() -> m.rewire(keep, new long[] {3, 3}, new float[] {9, 9}, 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("added key 1 (3) not strictly ascending");
            assertThat(m.nnz()).isEqualTo(2);
        }
    }

    // A negative key (a grow rule's row * cols + col overflowed) was reported as not strictly ascending, which sent
    // its author looking at the sort instead of the key.
    @Test
    void rewireCallsANegativeAddedKeyOutOfRange() {
        try (CsrMatrix m = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {1, 2}, new float[] {1, 2}); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(2);
            keep.fill((byte) 1);
            assertThatThrownBy(() -> m.rewire(keep, new long[] {-5}, new float[] {9}, 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("added key 0 (-5) out of range for 2 x 3");
            assertThatThrownBy(() -> m.rewire(keep, new long[] {0, -1}, new float[] {9, 9}, 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("added key 1 (-1) out of range for 2 x 3");
            assertThat(m.nnz()).isEqualTo(2);
            assertThat(m.get(1, 2)).isEqualTo(2f);
        }
    }

    private static int rowOf(CsrMatrix m, long k) {
        int lo = 0, hi = m.rows() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (m.rowStart(mid) <= k) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    @Test
    void fromCsrValidatesBeforeTrusting() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rp = a.allocateFrom(ValueLayout.JAVA_LONG, 0, 2, 2, 3);
            MemorySegment ci = a.allocateFrom(ValueLayout.JAVA_INT, 0, 4, 1);
            MemorySegment v = a.allocateFrom(ValueLayout.JAVA_FLOAT, 1f, 2f, 3f);
            try (CsrMatrix m = CsrMatrix.fromCsr(3, 5, rp, ci, v)) {
                assertThat(m.get(0, 4)).isEqualTo(2f);
                assertThat(m.get(2, 1)).isEqualTo(3f);
            }
            assertThatThrownBy(() -> CsrMatrix.fromCsr(3, 4, rp, ci, v)).hasMessageContaining("row 0, entry 1: col 4 out of range");
            MemorySegment badRp = a.allocateFrom(ValueLayout.JAVA_LONG, 0, 2, 1, 3);
            assertThatThrownBy(() -> CsrMatrix.fromCsr(3, 5, badRp, ci, v)).hasMessageContaining("row 1: rowPtr 2 -> 1 invalid");
            MemorySegment unsorted = a.allocateFrom(ValueLayout.JAVA_INT, 4, 0, 1);
            assertThatThrownBy(() -> CsrMatrix.fromCsr(3, 5, rp, unsorted, v)).hasMessageContaining("not strictly ascending");
            MemorySegment shortRp = a.allocateFrom(ValueLayout.JAVA_LONG, 0, 2, 2);
            assertThatThrownBy(() -> CsrMatrix.fromCsr(3, 5, shortRp, ci, v)).hasMessageContaining("expected 4");
        }
    }

    // A model file's tensors are read straight into the matrix: the same checks as fromCsr, sizes before allocating,
    // and a fill that fails or writes an invalid matrix leaves no arena open.
    @Test
    void readCsrChecksWhatWasReadAsFromCsrChecksItAndFreesOnFailure() throws IOException {
        try (RecordedArenas arenas = new RecordedArenas()) {
            try (CsrMatrix m = CsrMatrix.readCsr(3, 5, 4, 3, 3, (rp, ci, v) -> {
                MemorySegment.copy(new long[] {0, 2, 2, 3}, 0, rp, ValueLayout.JAVA_LONG, 0, 4);
                MemorySegment.copy(new int[] {0, 4, 1}, 0, ci, ValueLayout.JAVA_INT, 0, 3);
                MemorySegment.copy(new float[] {1, 2, 3}, 0, v, ValueLayout.JAVA_FLOAT, 0, 3);
            })) {
                assertThat(m.nnz()).isEqualTo(3);
                assertThat(m.get(0, 4)).isEqualTo(2f);
                assertThat(m.get(2, 1)).isEqualTo(3f);
            }
            int opened = arenas.opened();
            assertThatThrownBy(() -> CsrMatrix.readCsr(3, 5, 3, 3, 3, (rp, ci, v) -> {})).hasMessage("rowPtr has 3 entries, expected 4");
            assertThatThrownBy(() -> CsrMatrix.readCsr(3, 5, 4, 3, 2, (rp, ci, v) -> {})).hasMessage("colIdx has 3 entries but values has 2");
            assertThatThrownBy(() -> CsrMatrix.readCsr(3, 5, 4, -2, -2, (rp, ci, v) -> {})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("colIdx has -2 entries, expected a count >= 0");
            // A shape read from a file: a negative column count gave a matrix of -3 columns.
            assertThatThrownBy(() -> CsrMatrix.readCsr(1, -3, 2, 0, 0, (rp, ci, v) -> {})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cols must be >= 0, got -3");
            assertThatThrownBy(() -> CsrMatrix.readCsr(-1, 3, 0, 0, 0, (rp, ci, v) -> {})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("rows must be >= 0, got -1");
            assertThat(arenas.opened()).as("sizes refused before allocating").isEqualTo(opened);
            assertThatThrownBy(() -> CsrMatrix.readCsr(3, 4, 4, 3, 3, (rp, ci, v) -> {
                MemorySegment.copy(new long[] {0, 2, 2, 3}, 0, rp, ValueLayout.JAVA_LONG, 0, 4);
                MemorySegment.copy(new int[] {0, 4, 1}, 0, ci, ValueLayout.JAVA_INT, 0, 3);
            })).isInstanceOf(IllegalArgumentException.class).hasMessage("row 0, entry 1: col 4 out of range [0, 4)");
            assertThatThrownBy(() -> CsrMatrix.readCsr(1, 1, 2, 0, 0, (rp, ci, v) -> { throw new IOException("disk gone"); }))
                    .isInstanceOf(IOException.class).hasMessage("disk gone");
            // Nothing written: row pointers all 0 is an empty matrix when it has no entries, an invalid one when it has.
            try (CsrMatrix empty = CsrMatrix.readCsr(2, 2, 3, 0, 0, (rp, ci, v) -> {})) {
                assertThat(empty.nnz()).isZero();
            }
            assertThatThrownBy(() -> CsrMatrix.readCsr(2, 2, 3, 1, 1, (rp, ci, v) -> {})).hasMessage("rowPtr[2] = 0, expected 1");
            assertThat(arenas.stillOpen()).isZero();
        }
    }

    @Test
    void closingTwiceIsANoOpAndUseAfterCloseStillFails() {
        CsrMatrix m = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {2, 0}, new float[] {1, 2});
        m.addSide("momentum", ValueLayout.JAVA_FLOAT);
        m.colPtr(); // with the transpose built, close has three arenas to free
        m.close();
        m.close();
        assertThatThrownBy(() -> m.get(0, 2)).isInstanceOf(IllegalStateException.class);
        // The transpose is rebuilt on demand: after close that must fail, not allocate.
        assertThatThrownBy(m::colPtr).isInstanceOf(IllegalStateException.class);
        assertThat(m.hasTranspose()).isFalse();
        // The JDK's "Already closed" named nothing the caller knows.
        assertThatThrownBy(() -> m.addSide("velocity", ValueLayout.JAVA_FLOAT)).isInstanceOf(IllegalStateException.class)
                .hasMessage("the matrix is closed");
        assertThat(m.sideNames()).containsExactly("momentum");
        m.close();
    }

    // A null name was taken as a side array called null.
    @Test
    void aSideArrayNeedsANameAndALayout() {
        try (CsrMatrix m = CsrMatrix.fromCoo(2, 2, new int[] {0}, new int[] {1}, new float[] {1})) {
            assertThatThrownBy(() -> m.addSide(null, ValueLayout.JAVA_FLOAT)).isInstanceOf(NullPointerException.class).hasMessage("name");
            assertThatThrownBy(() -> m.addSide("v", null)).isInstanceOf(NullPointerException.class).hasMessage("layout");
            assertThat(m.sideNames()).isEmpty();
        }
    }

    // With no rows a closed matrix reads no closed segment: it must still be refused, and nothing allocated.
    @Test
    void aClosedMatrixOfNoRowsRefusesRewireAndTransposeAllocatingNothing() {
        long before = OffHeap.bytesInUse();
        CsrMatrix m = CsrMatrix.fromCoo(0, 1000, new int[0], new int[0], new float[0]);
        m.close();
        try (Arena a = Arena.ofConfined()) {
            assertThatThrownBy(() -> m.rewire(a.allocate(1), new long[0], new float[0], 0)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("the matrix is closed");
        }
        assertThatThrownBy(m::colPtr).isInstanceOf(IllegalStateException.class).hasMessage("the matrix is closed");
        assertThat(m.hasTranspose()).isFalse();
        assertThat(OffHeap.bytesInUse()).isEqualTo(before);
    }

    @Test
    void getRejectsIndicesOutsideTheMatrix() {
        try (CsrMatrix m = CsrMatrix.fromCoo(2, 2, new int[] {0}, new int[] {1}, new float[] {1})) {
            assertThat(m.get(0, 1)).isEqualTo(1f);
            assertThat(m.get(1, 1)).isZero();
            assertThatThrownBy(() -> m.get(1, 5)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("5");
            assertThatThrownBy(() -> m.get(0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.get(0, -1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.get(5, 0)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("5");
            assertThatThrownBy(() -> m.get(2, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    // While installed, records every arena a matrix opens; the allocation numbered failAt (from 0, over
    // all of them) fails as a native allocation does when memory runs out.
    private static final class RecordedArenas implements AutoCloseable {
        private final Supplier<Arena> previous = CsrMatrix.arenas;
        private final List<Arena> opened = new ArrayList<>();
        private int allocations;
        private int failAt = -1;

        RecordedArenas() {
            CsrMatrix.arenas = () -> {
                Arena real = Arena.ofShared();
                Arena a = new Arena() {
                    @Override public MemorySegment allocate(long byteSize, long byteAlignment) {
                        if (allocations++ == failAt) throw new OutOfMemoryError("allocation " + failAt + " refused by the test");
                        return real.allocate(byteSize, byteAlignment);
                    }

                    @Override public MemorySegment.Scope scope() { return real.scope(); }

                    @Override public void close() { real.close(); }
                };
                opened.add(a);
                return a;
            };
        }

        RecordedArenas failingAt(int allocation) {
            failAt = allocation;
            allocations = 0;
            return this;
        }

        long stillOpen() { return opened.stream().filter(a -> a.scope().isAlive()).count(); }

        int opened() { return opened.size(); }

        @Override public void close() { CsrMatrix.arenas = previous; }
    }

    @Test
    void aRefusedFromCooLeavesNoArenaOpen() {
        try (RecordedArenas arenas = new RecordedArenas()) {
            assertThatThrownBy(() -> CsrMatrix.fromCoo(2, 2, new int[] {1, 0, 1}, new int[] {1, 0, 1}, new float[3]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 2: duplicate (row 1, col 1)");
            // rows x cols of 2^32 cells or more are sorted another way
            assertThatThrownBy(() -> CsrMatrix.fromCoo(70_000, 70_000, new int[] {69_999, 3, 69_999}, new int[] {5, 4, 5}, new float[3]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 2: duplicate (row 69999, col 5)");
            assertThat(arenas.stillOpen()).isZero();
        }
    }

    @Test
    void aMatrixWhoseMemoryRunsOutLeavesNoArenaOpen() {
        for (int fail = 0; fail < 3; fail++) {   // rowPtr, colIdx, values
            try (RecordedArenas arenas = new RecordedArenas().failingAt(fail)) {
                assertThatThrownBy(() -> CsrMatrix.fromCoo(2, 2, new int[] {0, 1}, new int[] {1, 0}, new float[2]))
                        .isInstanceOf(OutOfMemoryError.class);
                assertThat(arenas.stillOpen()).as("allocation %d failed", fail).isZero();
            }
        }
    }

    @Test
    void aBuilderFreesItsMatrixWhenARowIsRefusedOrItIsAbandoned() {
        try (RecordedArenas arenas = new RecordedArenas()) {
            CsrMatrix.Builder refused = CsrMatrix.builder(2, 5, 10).addRow(new int[] {1, 2}, new float[2], 2);
            assertThatThrownBy(() -> refused.addRow(new int[] {3, 3}, new float[2], 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 1, entry 1: col 3 duplicated");
            assertThat(arenas.stillOpen()).isZero();
            assertThatThrownBy(refused::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");

            try (CsrMatrix.Builder abandoned = CsrMatrix.builder(2, 5, 10)) {
                abandoned.addRow(new int[] {4}, new float[1], 1);
            }
            assertThat(arenas.stillOpen()).isZero();

            // Built, the matrix is the caller's: closing the builder leaves it alone.
            CsrMatrix.Builder built = CsrMatrix.builder(2, 5, 10).addRow(new int[] {4}, new float[] {3}, 1);
            try (CsrMatrix m = built.build()) {
                built.close();
                assertThat(m.get(0, 4)).isEqualTo(3f);
                assertThatThrownBy(() -> built.addRow(new int[] {1}, new float[1], 1)).isInstanceOf(IllegalStateException.class);
                assertThat(m.get(0, 4)).isEqualTo(3f);
            }
            assertThat(arenas.stillOpen()).isZero();

            // build() moves the entries into arrays of their size; the second of those runs out.
            CsrMatrix.Builder shrinking = CsrMatrix.builder(2, 5, 10);
            arenas.failingAt(1);
            shrinking.addRow(new int[] {0}, new float[1], 1);
            assertThatThrownBy(shrinking::build).isInstanceOf(OutOfMemoryError.class);
            assertThat(arenas.stillOpen()).isZero();
        }
    }

    @Test
    void aRewireThatFailsLeavesNoNewArenaOpenAndTheMatrixAsItWas() {
        try (RecordedArenas arenas = new RecordedArenas(); Arena a = Arena.ofConfined()) {
            MemorySegment keep = a.allocate(2);
            keep.fill((byte) 1);
            CsrMatrix closed = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {1, 2}, new float[] {1, 2});
            closed.close();
            assertThatThrownBy(() -> closed.rewire(keep, new long[0], new float[0], 0)).isInstanceOf(IllegalStateException.class);
            assertThat(arenas.stillOpen()).isZero();

            try (CsrMatrix m = CsrMatrix.fromCoo(2, 3, new int[] {0, 1}, new int[] {1, 2}, new float[] {1, 2})) {
                m.addSide("velocity", ValueLayout.JAVA_FLOAT).setAtIndex(ValueLayout.JAVA_FLOAT, 1, 5f);
                long open = arenas.stillOpen();
                // Growing merges into new arrays: the row pointers (allocation 0), columns (1), values (2) run out.
                arenas.failingAt(2);
                assertThatThrownBy(() -> m.rewire(keep, new long[] {0}, new float[] {9}, 1)).isInstanceOf(OutOfMemoryError.class);
                assertThat(arenas.stillOpen()).isEqualTo(open);
                assertThat(m.nnz()).isEqualTo(2);
                assertThat(m.get(0, 0)).isZero();
                assertThat(m.get(0, 1)).isEqualTo(1f);
                assertThat(m.get(1, 2)).isEqualTo(2f);
                assertThat(m.side("velocity").getAtIndex(ValueLayout.JAVA_FLOAT, 1)).isEqualTo(5f);

                arenas.failingAt(-1);
                m.rewire(keep, new long[] {0}, new float[] {9}, 1);
                assertThat(m.get(0, 0)).isEqualTo(9f);
                assertThat(m.side("velocity").getAtIndex(ValueLayout.JAVA_FLOAT, 2)).isEqualTo(5f);
            }
        }
    }
}
