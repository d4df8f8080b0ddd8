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
}
