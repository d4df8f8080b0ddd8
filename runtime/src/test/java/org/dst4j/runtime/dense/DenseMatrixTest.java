package org.dst4j.runtime.dense;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.Test;

class DenseMatrixTest {

    @Test
    void closingTwiceIsANoOpAndUseAfterCloseStillFails() {
        DenseMatrix m = DenseMatrix.allocate(3, 4);
        DenseMatrix view = m.columns(2);
        view.close();
        assertThat(view.get(0, 1)).isZero(); // a view frees nothing
        m.close();
        m.close();
        view.close();
        assertThatThrownBy(() -> m.get(0, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> view.get(0, 0)).isInstanceOf(IllegalStateException.class);
    }

    // rows x stride x 4 bytes wrapped past 2^63: 2^31-15 x 2^31-1 asked for 8 GB, and got it under a high enough limit
    @Test
    void aMatrixBeyondAnyAddressIsRefusedNotWrappedToASmallSize() {
        assertThatThrownBy(() -> DenseMatrix.allocate(Integer.MAX_VALUE - 14, Integer.MAX_VALUE).close()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a 2147483633 x 2147483647 matrix is beyond what one memory segment can address");
    }

    @Test
    void indicesOutsideTheMatrixAreRejectedNotReadFromPaddingOrTheNextRow() {
        try (DenseMatrix m = DenseMatrix.allocate(3, 12)) {
            m.set(1, 0, 7f);
            // Row stride is 16: (0, 16) would be (1, 0), and (0, 12..15) the padding.
            assertThatThrownBy(() -> m.get(0, 16)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("16");
            assertThatThrownBy(() -> m.get(0, 12)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.get(3, 0)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.get(-1, 0)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.get(0, -1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.set(0, 12, 1f)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.set(3, 0, 1f)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(m.get(0, 12 - 1)).isZero();
            assertThat(m.get(1, 0)).isEqualTo(7f);
            // A view's columns end where the view does.
            DenseMatrix v = m.columns(5);
            assertThatThrownBy(() -> v.get(1, 5)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(m.get(0, 11)).isZero();
        }
    }

    // Against the definition, on shapes whose blocks end early (rows not a multiple of the block, a block
    // narrowed by a wide batch), in row ranges as a pool splits them, with and without add; the padding
    // and the rows outside the range stay as they were.
    @Test
    void gatherTransposedIsTheTransposeOfTheSelectedRows() throws Exception {
        FutureTask<Void> task = new FutureTask<>(() -> {
            Random rnd = new Random(3);
            for (int[] shape : new int[][] {{1, 1, 1}, {7, 5, 3}, {300, 40, 17}, {257, 60, 128}, {300, 1000, 700}, {5, 3, 0}}) {
                int features = shape[0], samples = shape[1], n = shape[2];
                try (Arena arena = Arena.ofConfined();
                     DenseMatrix m = DenseMatrix.allocate(features, n + 3)) {
                    MemorySegment table = arena.allocate(ValueLayout.JAVA_FLOAT, (long) samples * features);
                    for (long i = 0; i < (long) samples * features; i++) table.setAtIndex(ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() - 0.5f);
                    int[] order = new int[n + 4];
                    for (int i = 0; i < order.length; i++) order[i] = rnd.nextInt(samples);
                    float[][] before = new float[features][n + 3];
                    for (int f = 0; f < features; f++) for (int c = 0; c < n + 3; c++) m.set(f, c, before[f][c] = rnd.nextFloat());
                    int a = features / 3, b = features - features / 4;
                    m.gatherTransposed(table, order, 2, n, a, b, true);
                    m.gatherTransposed(table, order, 2, n, 0, a, false);
                    for (int f = 0; f < features; f++) for (int c = 0; c < n + 3; c++) {
                        float t = c < n ? table.getAtIndex(ValueLayout.JAVA_FLOAT, (long) order[2 + c] * features + f) : 0f;
                        float expected = c >= n || f >= b ? before[f][c] : f < a ? t : before[f][c] + t;
                        assertThat(m.get(f, c)).as("(%d, %d) of %d x %d", f, c, features, n).isEqualTo(expected);
                    }
                    assertThat(DenseMatrix.transposeBufferFloats()).as("kept per thread").isBetween(1, 1 << 16);
                }
            }
            return null;
        });
        Thread.ofPlatform().start(task); // a fresh thread: its buffer holds only what this test asked for
        task.get();
    }

    @Test
    void gatherTransposedRejectsRangesOutsideTheMatrix() {
        try (DenseMatrix m = DenseMatrix.allocate(4, 3); Arena arena = Arena.ofConfined()) {
            MemorySegment table = arena.allocate(4L * 4 * Float.BYTES);
            int[] order = {0, 1, 2, 3};
            assertThatThrownBy(() -> m.gatherTransposed(table, order, 0, 4, 0, 4, false)).hasMessageContaining("cannot take 4 columns");
            assertThatThrownBy(() -> m.gatherTransposed(table, order, 0, 3, 2, 5, false)).hasMessageContaining("rows [2, 5)");
            assertThatThrownBy(() -> m.gatherTransposed(table, order, 2, 3, 0, 4, false)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.gatherTransposed(table, new int[] {0, 9, 1}, 0, 3, 0, 4, false)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    // The stride documented for each width: narrow batches padded to a power of two (at least 2), wider ones
    // to 16 floats, plus one cache line where the stride would be a multiple of 128 floats above 128. A matrix holds
    // rows x stride floats.
    @Test
    void rowsArePaddedToTheDocumentedStride() {
        int[] cols = {0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 112, 127, 128, 129, 256, 257, 384};
        long[] stride = {0, 2, 2, 4, 4, 8, 8, 8, 16, 16, 32, 112, 128, 128, 144, 272, 272, 400};
        for (int i = 0; i < cols.length; i++) assertThat(DenseMatrix.paddedStride(cols[i])).as("%d columns", cols[i]).isEqualTo(stride[i]);
        assertThatThrownBy(() -> DenseMatrix.paddedStride(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cols must be >= 0, got -1");
        try (DenseMatrix m = DenseMatrix.allocate(3, 5)) {
            assertThat(m.stride()).isEqualTo(8);
            assertThat(m.byteSize()).isEqualTo(3 * 8 * Float.BYTES);
        }
    }

    // A view of fewer columns, also of a view, has those columns; a view of all of a matrix's columns is still a
    // view: closing it frees nothing.
    @Test
    void aViewHasTheColumnsAskedForAndClosingAFullWidthViewLeavesTheMatrixOpen() {
        try (DenseMatrix m = DenseMatrix.allocate(2, 6)) {
            m.set(1, 1, 3f);
            DenseMatrix five = m.columns(5);
            DenseMatrix two = five.columns(2);
            assertThat(two.cols()).isEqualTo(2);
            assertThat(two.get(1, 1)).isEqualTo(3f);
            assertThat(five.columns(5)).isSameAs(five);
            DenseMatrix all = m.columns(6);
            assertThat(all).isNotSameAs(m);
            all.close();
            assertThat(m.get(1, 1)).isEqualTo(3f);
        }
    }

    // Sample-major data, transposed into a feature-major matrix whole or from a later sample on.
    @Test
    void transposeOfAndCopyTransposedFromPutSampleSFeatureFAtRowFColumnS() {
        float[] samples = new float[4 * 3]; // 4 samples of 3 features
        for (int i = 0; i < samples.length; i++) samples[i] = 10 * (i / 3) + i % 3; // sample s, feature f: 10s + f
        try (DenseMatrix m = DenseMatrix.transposeOf(samples, 4, 3)) {
            assertThat(m.rows()).isEqualTo(3);
            assertThat(m.cols()).isEqualTo(4);
            assertThat(m.toArray()).containsExactly(0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32);
        }
        try (DenseMatrix m = DenseMatrix.allocate(3, 3)) {
            m.set(2, 2, -1f);
            m.copyTransposedFrom(samples, 1, 2, 3);
            assertThat(m.toArray()).containsExactly(10, 20, 0, 11, 21, 0, 12, 22, -1);
            m.copyTransposedFrom(samples, 1, 3, 3);
            assertThat(m.get(2, 2)).isEqualTo(32f);
            assertThatThrownBy(() -> m.copyTransposedFrom(samples, 0, 4, 3)).isInstanceOf(IllegalArgumentException.class).hasMessage("n 4 > cols 3");
            assertThatThrownBy(() -> m.copyTransposedFrom(samples, 0, 2, 4)).isInstanceOf(IllegalArgumentException.class).hasMessage("features 4 != rows 3");
            // Past the end of samples the copy failed with a bare index error, the matrix half overwritten.
            float[] before = m.toArray();
            assertThatThrownBy(() -> m.copyTransposedFrom(samples, 2, 3, 3)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("samples [2, 5) are not within the 4 samples given");
            assertThatThrownBy(() -> m.copyTransposedFrom(samples, -1, 2, 3)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("samples [-1, 1) are not within the 4 samples given");
            assertThatThrownBy(() -> m.copyTransposedFrom(samples, 0, -1, 3)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("n must be >= 0, got -1");
            assertThat(m.toArray()).containsExactly(before);
        }
        assertThatThrownBy(() -> DenseMatrix.transposeOf(samples, 3, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("samples has 12 floats, expected 3 x 3");
    }

    // The kernels read segment() directly: row r starts at float r * stride(), its first cols() floats the entries.
    @Test
    void theSegmentHoldsRowRAtRTimesTheStride() {
        try (DenseMatrix m = DenseMatrix.allocate(3, 9)) {
            assertThat(m.stride()).isEqualTo(16);
            m.set(0, 8, 1f);
            m.set(2, 3, 5f);
            assertThat(m.segment().getAtIndex(ValueLayout.JAVA_FLOAT, 8)).isEqualTo(1f);
            assertThat(m.segment().getAtIndex(ValueLayout.JAVA_FLOAT, 2 * 16 + 3)).isEqualTo(5f);
            assertThat(m.segment().byteSize()).isEqualTo(3 * 16 * Float.BYTES);
            assertThat(m.segment().address() % 64).as("rows start on a 64-byte boundary").isZero();
        }
    }

    // A last batch may be empty: a view of no columns is one, and a negative count is refused naming the range.
    @Test
    void aViewOfNoColumnsIsAllowedAndANegativeCountIsNot() {
        try (DenseMatrix m = DenseMatrix.allocate(2, 4)) {
            DenseMatrix none = m.columns(0);
            assertThat(none.cols()).isZero();
            assertThat(none.rows()).isEqualTo(2);
            assertThat(none.toArray()).isEmpty();
            assertThatThrownBy(() -> m.columns(-1)).isInstanceOf(IllegalArgumentException.class).hasMessage("cols must be in [0, 4], got -1");
            assertThatThrownBy(() -> m.columns(5)).isInstanceOf(IllegalArgumentException.class).hasMessage("cols must be in [0, 4], got 5");
        }
    }
}
