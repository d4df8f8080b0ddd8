package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.DoubleStream;
import org.dst4j.nn.train.EpochMetrics;
import org.junit.jupiter.api.Test;

class RunSummaryTest {

    static List<EpochMetrics> epochs(double... seconds) {
        int[] e = {0};
        return DoubleStream.of(seconds).mapToObj(s -> new EpochMetrics(++e[0], 0, 0, 0, 0, 0, s, 0, 0, 0f)).toList();
    }

    // SET and QuickSelection both print it; QuickSelection once took the upper of the middle two.
    @Test
    void theMedianEpochIsTheMiddleOneOrTheMeanOfTheMiddleTwo() {
        assertThat(RunSummary.medianEpochSeconds(epochs())).isZero();
        assertThat(RunSummary.medianEpochSeconds(epochs(3))).isEqualTo(3);
        assertThat(RunSummary.medianEpochSeconds(epochs(5, 1, 3))).isEqualTo(3);
        assertThat(RunSummary.medianEpochSeconds(epochs(4, 1, 2, 9))).isEqualTo(3);
    }

    @Test
    void aCountOfOneTakesTheSingular() {
        assertThat(RunSummary.count(1, "epoch")).isEqualTo("1 epoch");
        assertThat(RunSummary.count(0, "member model")).isEqualTo("0 member models");
        assertThat(RunSummary.count(3, "sample")).isEqualTo("3 samples");
    }
}
