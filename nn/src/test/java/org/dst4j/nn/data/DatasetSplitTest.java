package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetSplitTest {

    private static Dataset data(String name, int samples, int features, int classes) {
        int[] y = new int[samples];
        for (int i = 0; i < samples; i++) y[i] = i % classes;
        float[] x = new float[samples * features];
        for (int i = 0; i < x.length; i++) x[i] = i;
        return Dataset.of(name, x, samples, features, y, classes);
    }

    private static boolean closed(Dataset d) {
        try {
            d.get(0, 0);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    @Test
    void closingTwiceIsANoOpAndUseAfterCloseStillFails() {
        Dataset d = data("x", 2, 2, 2);
        d.close();
        d.close();
        assertThatThrownBy(() -> d.get(0, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(d::checksum).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void nullArgumentsAreRefusedNamingThem() {
        // Refused as sets that do not fit are: the split was handed both sets, and closes them.
        Dataset a = data("a", 2, 2, 2), b = data("b", 2, 2, 2);
        assertThatThrownBy(() -> new DatasetSplit(a, b, null)).isInstanceOf(NullPointerException.class).hasMessage("warnings");
        assertThat(closed(a)).isTrue();
        assertThat(closed(b)).isTrue();
        Dataset c = data("c", 2, 2, 2), d = data("d", 2, 2, 2);
        assertThatThrownBy(() -> new DatasetSplit(c, d, Arrays.asList("fine", null))).isInstanceOf(NullPointerException.class)
                .hasMessage("a null element in warnings");
        assertThat(closed(c)).isTrue();
        assertThat(closed(d)).isTrue();
        Dataset e = data("e", 2, 2, 2), f = data("f", 2, 2, 2);
        assertThatThrownBy(() -> new DatasetSplit(null, e)).isInstanceOf(NullPointerException.class).hasMessage("train");
        assertThat(closed(e)).isTrue();
        assertThatThrownBy(() -> new DatasetSplit(f, null)).isInstanceOf(NullPointerException.class).hasMessage("test");
        assertThat(closed(f)).isTrue();
        assertThatThrownBy(() -> new DatasetSplit(null, null)).isInstanceOf(NullPointerException.class).hasMessage("train");
        // A null name or directory would mean the embedded dataset: a caller's missing setting training on other data
        // silently.
        assertThatThrownBy(() -> DataOptions.named(null)).isInstanceOf(NullPointerException.class).hasMessage("name");
        assertThatThrownBy(() -> DataOptions.idx(null)).isInstanceOf(NullPointerException.class).hasMessage("dir");
    }

    @Test
    void aSplitOfOneDatasetAsTrainAndTestClosesItOnce() {
        Dataset d = data("all", 4, 3, 2);
        DatasetSplit s = new DatasetSplit(d, d);
        s.close();
        assertThat(closed(d)).isTrue();
        s.close();
    }

    @Test
    void closingTheSplitClosesTheTestSetAfterTheTrainSetWasClosedAlready() {
        Dataset train = data("train", 4, 3, 2), test = data("test", 2, 3, 2);
        DatasetSplit s = new DatasetSplit(train, test);
        train.close();
        s.close();
        assertThat(closed(test)).isTrue();
    }

    @Test
    void aTestSetOfOtherFeaturesOrMoreClassesIsRejectedAtConstructionNamingBothSets() {
        Dataset train = data("syn-train", 6, 20, 3), test = data("syn-test", 5, 21, 3);
        assertThatThrownBy(() -> new DatasetSplit(train, test)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("test set syn-test has 21 features, but training set syn-train has 20");
        // The split owned them: rejected, they are freed.
        assertThat(closed(train)).isTrue();
        assertThat(closed(test)).isTrue();

        Dataset train3 = data("syn-train", 6, 20, 3), test5 = data("syn-test", 5, 20, 5);
        assertThatThrownBy(() -> new DatasetSplit(train3, test5, List.of("w"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("test set syn-test has 5 classes, more than the 3 of training set syn-train");
        assertThat(closed(train3)).isTrue();
        assertThat(closed(test5)).isTrue();

        // Fewer test classes is fine (a test set need not have every class).
        try (DatasetSplit s = new DatasetSplit(data("a", 6, 4, 3), data("b", 2, 4, 2))) {
            assertThat(s.test().classes()).isEqualTo(2);
        }
    }

    @Test
    void getRejectsASampleOrFeatureOutsideTheDataset() {
        try (Dataset d = Dataset.of("x", new float[] {1, 2, 3, 4}, 2, 2, new int[] {0, 1}, 2)) {
            assertThat(d.get(1, 1)).isEqualTo(4f);
            // Rows are contiguous: (0, 3) would be sample 1's feature 1.
            assertThatThrownBy(() -> d.get(0, 3)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> d.get(0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> d.get(0, -1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> d.get(2, 0)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> d.get(-1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
