package org.dst4j.algorithms.cli;

import java.util.Arrays;
import java.util.List;
import org.dst4j.algorithms.set.ScaleBenchmark;
import org.dst4j.nn.train.EpochMetrics;

/** The closing figures of a training run: what the README's benchmark table quotes. */
final class RunSummary {
    private RunSummary() {}

    static String of(List<EpochMetrics> history) {
        if (history.isEmpty()) return "no epochs run";
        double[] secs = history.stream().mapToDouble(EpochMetrics::epochSeconds).sorted().toArray();
        double median = secs.length % 2 == 1 ? secs[secs.length / 2] : (secs[secs.length / 2 - 1] + secs[secs.length / 2]) / 2;
        double total = Arrays.stream(secs).sum(), evo = history.stream().mapToDouble(EpochMetrics::evolutionSeconds).sum();
        EpochMetrics best = history.stream().max((a, b) -> Double.compare(a.testAccuracy(), b.testAccuracy())).orElseThrow();
        EpochMetrics last = history.getLast();
        return String.format("summary: final test accuracy %.4f (best %.4f at epoch %d); median epoch %.3f s; evolution %.1f%% of training time; peak RSS %s",
                last.testAccuracy(), best.testAccuracy(), best.epoch(), median, 100 * evo / total, peakRss());
    }

    /** Peak resident set size of this process (Linux), e.g. "412 MB", or "n/a". */
    static String peakRss() {
        long bytes = ScaleBenchmark.peakRss();
        return bytes < 0 ? "n/a" : (bytes >> 20) + " MB";
    }
}
