package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.DoubleStream;
import org.dst4j.algorithms.set.ScaleBenchmark;
import org.dst4j.nn.plot.Charts;
import org.dst4j.nn.train.EpochMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunSummaryTest {

    static List<EpochMetrics> epochs(double... seconds) {
        int[] e = {0};
        return DoubleStream.of(seconds).mapToObj(s -> new EpochMetrics(++e[0], 0, 0, 0, 0, 0, s, 0, 0, 0f)).toList();
    }

    // SET and QuickSelection both print it.
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

    // The line the README's benchmark tables quote: the last epoch's accuracy, the best one and its epoch, the median
    // epoch and evolution's share of all epochs' time (Main formats numbers in the root locale; so does this test).
    @Test
    void theSummaryNamesTheLastAndBestEpochsTheMedianAndEvolutionsShare() {
        Locale before = Locale.getDefault(Locale.Category.FORMAT);
        Locale.setDefault(Locale.Category.FORMAT, Locale.ROOT);
        try {
            List<EpochMetrics> h = List.of(new EpochMetrics(1, 0, 0, 0, 0.50, 0, 2, 0.5, 0, 0f),
                    new EpochMetrics(2, 0, 0, 0, 0.80, 0, 4, 0.5, 0, 0f), new EpochMetrics(3, 0, 0, 0, 0.75, 0, 4, 1.0, 0, 0f));
            assertThat(RunSummary.of(h)).startsWith("summary: final test accuracy 0.7500 (best 0.8000 at epoch 2); median epoch 4.000 s;"
                    + " evolution 20.0% of training time; peak RSS ");
            assertThat(RunSummary.of(List.of())).isEqualTo("no epochs run");
        } finally {
            Locale.setDefault(Locale.Category.FORMAT, before);
        }
    }

    @Test
    void thePeakResidentSetIsInMegabytesBesideTheOffHeapPeak() {
        long low = ScaleBenchmark.peakRss() >> 20;
        String s = RunSummary.peakRss();
        long high = ScaleBenchmark.peakRss() >> 20;
        assumeTrue(low > 0, "needs Linux's /proc/self/status");
        assertThat(s).matches("\\d+ MB \\(off-heap peak .+\\)");
        assertThat(Long.parseLong(s.substring(0, s.indexOf(' ')))).isBetween(low, high);
    }

    // A file is listed only if it exists; a chart only where charts can be drawn (otherwise it is an earlier run's).
    @Test
    void writtenListsTheFilesThatExist(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a.json"), "{}");
        Path png = Files.writeString(dir.resolve("c.png"), "");
        String expected = Charts.available() ? a + ", " + png : a.toString();
        assertThat(RunSummary.written(a, dir.resolve("missing.json"), png)).isEqualTo(expected);
        assertThat(RunSummary.written(dir.resolve("missing.json"))).isEmpty();
    }
}
