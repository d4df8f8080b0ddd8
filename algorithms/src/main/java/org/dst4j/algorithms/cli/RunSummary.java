package org.dst4j.algorithms.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.dst4j.algorithms.set.ScaleBenchmark;
import org.dst4j.nn.plot.Charts;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.runtime.memory.OffHeap;

/** The closing figures of a training run: what the README's benchmark table quotes. */
final class RunSummary {
    private RunSummary() {}

    static String of(List<EpochMetrics> history) {
        if (history.isEmpty()) return "no epochs run";
        double median = medianEpochSeconds(history);
        double total = history.stream().mapToDouble(EpochMetrics::epochSeconds).sum(), evo = history.stream().mapToDouble(EpochMetrics::evolutionSeconds).sum();
        EpochMetrics best = history.stream().max((a, b) -> Double.compare(a.testAccuracy(), b.testAccuracy())).orElseThrow();
        EpochMetrics last = history.getLast();
        return String.format("summary: final test accuracy %.4f (best %.4f at epoch %d); median epoch %.3f s; evolution %.1f%% of training time; peak RSS %s",
                last.testAccuracy(), best.testAccuracy(), best.epoch(), median, 100 * evo / total, peakRss());
    }

    /** The median of the epochs' wall times (the mean of the middle two for an even count); 0 for no epochs. */
    static double medianEpochSeconds(List<EpochMetrics> history) {
        double[] secs = history.stream().mapToDouble(EpochMetrics::epochSeconds).sorted().toArray();
        if (secs.length == 0) return 0;
        return secs.length % 2 == 1 ? secs[secs.length / 2] : (secs[secs.length / 2 - 1] + secs[secs.length / 2]) / 2;
    }

    /** {@code n} and the noun, plural unless n is 1: "1 epoch", "3 epochs". */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /**
     * The files among {@code files} that exist, comma-separated: a chart is missing where it could not be drawn,
     * and where none can be ({@link Charts#available()}), an existing one is an earlier command's (a resumed run's).
     */
    static String written(Path... files) {
        return Arrays.stream(files).filter(Files::exists).filter(p -> Charts.available() || !p.toString().endsWith(".png"))
                .map(Path::toString).collect(Collectors.joining(", "));
    }

    /**
     * Peak resident set size of this process (Linux), e.g. "412 MB", or "n/a"; then the off-heap peak, the figure a
     * -Ddst4j.maxOffHeap limit must allow for the same run.
     */
    static String peakRss() {
        long bytes = ScaleBenchmark.peakRss();
        return (bytes < 0 ? "n/a" : (bytes >> 20) + " MB") + " (off-heap peak " + OffHeap.size(OffHeap.peakBytes()) + ")";
    }
}
