package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;
import static org.assertj.core.data.Percentage.withPercentage;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MadelonLikeTest {

    @Test
    void theSplitHasTheAskedSizesBalancedClassesAndSortedRelevantColumns() {
        // 64 samples over the 8 vertices of a 3-cube: 8 per cluster, half the clusters per class.
        try (MadelonLike m = MadelonLike.generate(3, 48, 16, 3, 2, 5)) {
            Dataset train = m.split().train(), test = m.split().test();
            assertThat(train.name()).isEqualTo("madelon/train");
            assertThat(test.name()).isEqualTo("madelon/test");
            assertThat(train.samples()).isEqualTo(48);
            assertThat(test.samples()).isEqualTo(16);
            assertThat(train.features()).isEqualTo(10).isEqualTo(test.features());
            assertThat(train.classes()).isEqualTo(2).isEqualTo(test.classes());
            assertThat(Arrays.stream(train.labels()).sum() + Arrays.stream(test.labels()).sum()).isEqualTo(32);
            int[] relevant = m.relevant();
            assertThat(relevant).hasSize(5).isSorted().doesNotHaveDuplicates();
            assertThat(Arrays.stream(relevant).allMatch(f -> f >= 0 && f < 10)).isTrue();
            // Columns and samples are shuffled: neither the first columns nor the generation order (clusters in turn).
            assertThat(relevant).isNotEqualTo(new int[] {0, 1, 2, 3, 4});
            int[] inOrder = new int[48];
            for (int s = 0; s < 48; s++) inOrder[s] = s % 8 < 4 ? 0 : 1;
            assertThat(train.labels()).isNotEqualTo(inOrder);
            int irrelevant = IntStream.range(0, 10).filter(f -> Arrays.binarySearch(relevant, f) < 0).findFirst().orElseThrow();
            assertThat(m.recovered(new int[] {relevant[0], irrelevant, relevant[4]})).isEqualTo(2);
            assertThat(m.recovered(new int[0])).isZero();
        }
    }

    @Test
    void theDataIsFixedByTheSeed() {
        // Fully determined by the seed: QuickSelection's results are measured on it, so the values are pinned.
        try (MadelonLike a = MadelonLike.generate(7, 40, 20, 4, 3, 6); MadelonLike b = MadelonLike.generate(7, 40, 20, 4, 3, 6);
             MadelonLike c = MadelonLike.generate(8, 40, 20, 4, 3, 6)) {
            assertThat(a.split().train().checksum()).isEqualTo(b.split().train().checksum()).isEqualTo(2157261217L);
            assertThat(a.split().test().checksum()).isEqualTo(b.split().test().checksum()).isEqualTo(2850381419L);
            assertThat(a.relevant()).isEqualTo(b.relevant()).containsExactly(0, 1, 3, 4, 6, 8, 11);
            assertThat(c.split().train().checksum()).isNotEqualTo(a.split().train().checksum());
        }
    }

    @Test
    void redundantFeaturesAreCombinationsOfTheInformativeOnesAndNoiseIsStandardNormal() {
        // One informative feature: every relevant column is a multiple of it.
        try (MadelonLike m = MadelonLike.generate(11, 3000, 1, 1, 2, 3)) {
            Dataset d = m.split().train();
            int[] relevant = m.relevant();
            double ratio = (double) d.get(0, relevant[1]) / d.get(0, relevant[0]);
            for (int s = 1; s < 50; s++) assertThat((double) d.get(s, relevant[1]) / d.get(s, relevant[0])).isCloseTo(ratio, withPercentage(0.01));
            for (int f = 0; f < 6; f++) {
                if (Arrays.binarySearch(relevant, f) >= 0) continue;
                double sum = 0, sq = 0;
                for (int s = 0; s < d.samples(); s++) {
                    sum += d.get(s, f);
                    sq += d.get(s, f) * d.get(s, f);
                }
                assertThat(sum / d.samples()).isCloseTo(0, offset(0.1));
                assertThat(sq / d.samples()).isCloseTo(1, offset(0.1));
            }
        }
    }

    @Test
    void theStandardProblemIsTheIssuesSetting() {
        try (MadelonLike m = MadelonLike.standard(1)) {
            assertThat(m.split().train().samples()).isEqualTo(2000);
            assertThat(m.split().test().samples()).isEqualTo(600);
            assertThat(m.split().train().features()).isEqualTo(500);
            assertThat(m.relevant()).hasSize(20);
        }
    }

    @Test
    void theLeastSizesAreTakenAndSmallerOnesRefused() {
        try (MadelonLike m = MadelonLike.generate(1, 2, 1, 1, 0, 0)) {
            assertThat(m.split().train().features()).isEqualTo(1);
            assertThat(m.relevant()).containsExactly(0);
        }
        assertThatThrownBy(() -> MadelonLike.generate(1, 40, 20, 0, 3, 6)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("informative must be in [1, 20], got 0");
        assertThatThrownBy(() -> MadelonLike.generate(1, 40, 20, 21, 3, 6)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("informative must be in [1, 20], got 21");
        String[] messages = {"trainSamples must be at least 2, got 1", "testSamples must be at least 1, got 0",
                "redundant must be >= 0, got -1", "noise must be >= 0, got -1"};
        int[][] bads = {{1, 1, 0, 0}, {2, 0, 0, 0}, {2, 1, -1, 0}, {2, 1, 0, -1}};
        for (int i = 0; i < bads.length; i++) {
            int[] bad = bads[i];
            assertThatThrownBy(() -> MadelonLike.generate(1, bad[0], bad[1], 1, bad[2], bad[3])).as(Arrays.toString(bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(messages[i]);
        }
    }

    @Test
    void closingFreesBothSets() {
        MadelonLike m = MadelonLike.generate(1, 4, 2, 1, 0, 1);
        m.close();
        assertThatThrownBy(() -> m.split().train().get(0, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> m.split().test().get(0, 0)).isInstanceOf(IllegalStateException.class);
    }
}
