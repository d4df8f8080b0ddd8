package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatasetTest {

    private static Dataset three() {
        return Dataset.of("three", new float[] {1, 2, 3, 4, 5, 6}, 3, 2, new int[] {0, 1, 0}, 2);
    }

    @Test
    void afterCloseTheLabelsAreAnIllegalStateExceptionLikeTheFeatures() {
        Dataset d = three();
        d.close();
        assertThatThrownBy(() -> d.label(0)).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
        assertThatThrownBy(d::labels).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
        assertThatThrownBy(() -> d.get(0, 0)).isInstanceOf(IllegalStateException.class);
        assertThat(d.samples()).isEqualTo(3);
    }

    // A copy of a closed dataset is refused before the copy is allocated, naming the dataset.
    @Test
    void copiesOfAClosedDatasetAreRefusedNamingIt() {
        Dataset d = three();
        d.close();
        assertThatThrownBy(() -> d.subset(new int[] {1})).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
        assertThatThrownBy(() -> d.selectFeatures(new int[] {1})).isInstanceOf(IllegalStateException.class)
                .hasMessage("three: the dataset is closed");
        assertThatThrownBy(() -> d.withClasses(3)).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
        assertThatThrownBy(d::checksum).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
    }

    @Test
    void subsetCopiesTheSamplesAndNamesAnIndexOutOfRange() {
        try (Dataset d = three(); Dataset s = d.subset(new int[] {2, 1})) {
            assertThat(s.samples()).isEqualTo(2);
            assertThat(s.labels()).containsExactly(0, 1);
            assertThat(s.get(0, 1)).isEqualTo(6f);
            assertThat(s.get(1, 0)).isEqualTo(3f);
            assertThatThrownBy(() -> d.subset(new int[] {0, 3})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("three: sample index 3 (at 1) out of range [0, 3)");
            assertThatThrownBy(() -> d.selectFeatures(new int[] {2})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("three: feature 2 out of range [0, 2)");
        }
    }
}
