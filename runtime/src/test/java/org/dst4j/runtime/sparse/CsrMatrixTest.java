package org.dst4j.runtime.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
        RandomStream rnd = new RandomStream(3);
        int rows = 40, cols = 30;
        java.util.TreeMap<Long, Float> expected = new java.util.TreeMap<>();
        java.util.List<int[]> coo = new java.util.ArrayList<>();
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) if (rnd.nextDouble() < 0.2) coo.add(new int[] {r, c});
        int n = coo.size();
        int[] rr = new int[n], cc = new int[n];
        float[] vv = new float[n];
        for (int k = 0; k < n; k++) {
            rr[k] = coo.get(k)[0];
            cc[k] = coo.get(k)[1];
            vv[k] = k + 1;
        }
        try (CsrMatrix m = CsrMatrix.fromCoo(rows, cols, rr, cc, vv); Arena a = Arena.ofConfined()) {
            MemorySegment vel = m.addSide("velocity", ValueLayout.JAVA_FLOAT);
            for (long k = 0; k < m.nnz(); k++) vel.setAtIndex(ValueLayout.JAVA_FLOAT, k, -m.value(k));
            MemorySegment keep = a.allocate(m.nnz());
            for (long k = 0; k < m.nnz(); k++) {
                boolean kept = rnd.nextDouble() < 0.7;
                keep.set(ValueLayout.JAVA_BYTE, k, (byte) (kept ? 1 : 0));
                if (kept) expected.put(rowOf(m, k) * (long) cols + m.col(k), m.value(k));
            }
            java.util.List<Long> added = new java.util.ArrayList<>();
            for (long key = 0; key < (long) rows * cols; key++) {
                if (!expected.containsKey(key) && rnd.nextDouble() < 0.05) added.add(key);
            }
            long[] keys = added.stream().mapToLong(Long::longValue).toArray();
            float[] vals = new float[keys.length];
            for (int i = 0; i < keys.length; i++) {
                vals[i] = 1000 + i;
                expected.put(keys[i], vals[i]);
            }
            m.rewire(keep, keys, vals, keys.length);
            assertThat(m.nnz()).isEqualTo(expected.size());
            MemorySegment vel2 = m.side("velocity");
            long k = 0;
            for (var e : expected.entrySet()) {
                assertThat(rowOf(m, k) * (long) cols + m.col(k)).isEqualTo(e.getKey());
                assertThat(m.value(k)).isEqualTo(e.getValue());
                float v = vel2.getAtIndex(ValueLayout.JAVA_FLOAT, k);
                assertThat(v).isEqualTo(e.getValue() >= 1000 ? 0f : -e.getValue());
                k++;
            }
            // The transpose was rebuilt: every column entry points at a value in that column.
            for (int c = 0; c < cols; c++) {
                for (long t = m.colPtr().getAtIndex(ValueLayout.JAVA_LONG, c); t < m.colPtr().getAtIndex(ValueLayout.JAVA_LONG, c + 1); t++) {
                    int pos = m.valuePos().getAtIndex(ValueLayout.JAVA_INT, t);
                    assertThat(m.col(pos)).isEqualTo(c);
                    assertThat(rowOf(m, pos)).isEqualTo(m.rowIdx().getAtIndex(ValueLayout.JAVA_INT, t));
                }
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
}
