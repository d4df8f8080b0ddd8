package org.dst4j.runtime.dense;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ArgmaxTest {
    private static final float NAN = Float.NaN;

    @Test
    void theLargestWinsAndOnTiesTheLowestIndex() {
        assertThat(Argmax.ofRow(new float[] {0.1f, 0.7f, 0.2f}, 0, 3)).isEqualTo(1);
        assertThat(Argmax.ofRow(new float[] {0.4f, 0.2f, 0.4f}, 0, 3)).isZero();
        assertThat(Argmax.ofRow(new float[] {0.1f, 0.45f, 0.45f}, 0, 3)).isEqualTo(1);
        assertThat(Argmax.ofRow(new float[] {-3, -1, -2}, 0, 3)).isEqualTo(1);
    }

    @Test
    void aNanIsKeptAtIndexZeroAndNeverChosenElsewhere() {
        // As the loops it replaced: no comparison with NaN is true.
        assertThat(Argmax.ofRow(new float[] {NAN, 5, 9}, 0, 3)).isZero();
        assertThat(Argmax.ofRow(new float[] {1, NAN, 0.5f}, 0, 3)).isZero();
        assertThat(Argmax.ofRow(new float[] {1, NAN, 2}, 0, 3)).isEqualTo(2);
        assertThat(Argmax.ofRow(new float[] {NAN, NAN}, 0, 2)).isZero();
    }

    @Test
    void rowsColumnsAndArraysAgree() {
        float[] rows = {0.2f, 0.5f, 0.3f, 0.6f, 0.1f, 0.6f, 0, 0, 1, NAN, 2, 1};
        assertThat(Argmax.ofRows(rows, 4, 3)).containsExactly(1, 0, 2, 0);
        double[] asDoubles = new double[rows.length];
        for (int i = 0; i < rows.length; i++) asDoubles[i] = rows[i];
        try (DenseMatrix m = DenseMatrix.allocate(3, 4)) {
            for (int r = 0; r < 4; r++) {
                for (int c = 0; c < 3; c++) m.set(c, r, rows[r * 3 + c]);
                assertThat(Argmax.ofRow(asDoubles, r, 3)).isEqualTo(Argmax.ofRows(rows, 4, 3)[r]);
                assertThat(Argmax.ofColumn(m, r)).isEqualTo(Argmax.ofRows(rows, 4, 3)[r]);
            }
        }
    }

    @Test
    void noScoresGiveZero() {
        assertThat(Argmax.of(0, i -> { throw new AssertionError("no score to read"); })).isZero();
        assertThat(Argmax.ofRows(new float[0], 0, 3)).isEmpty();
    }
}
