package org.dst4j.runtime.dense;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
