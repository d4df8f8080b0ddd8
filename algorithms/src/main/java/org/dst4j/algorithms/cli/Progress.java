package org.dst4j.algorithms.cli;

import java.io.PrintStream;
import java.util.function.LongSupplier;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.nn.train.EpochMetrics;

/**
 * Progress on stderr: a bar with ETA redrawn in place on a terminal, one plain line per epoch when
 * output is redirected (logs stay readable).
 */
final class Progress {
    private final PrintStream err;
    private final boolean terminal;
    private int totalEpochs;
    private final LongSupplier clock;
    // The ETA is timed from the first draw, not from construction: the commands make their Progress before loading the
    // data and building (or resuming) the network, and that time, counted as training, was charged again to every
    // epoch left (after the first epoch of 30, 29 times the loading time too many).
    private long start, lastDraw;
    private double startFraction = -1;

    Progress(int totalEpochs) {
        this(totalEpochs, System.err, System.console() != null && System.console().isTerminal(), System::nanoTime);
    }

    // A test's stream, terminal or not (the bar is drawn only on one, which a test run never has) and clock (ns).
    Progress(int totalEpochs, PrintStream err, boolean terminal, LongSupplier clock) {
        this.totalEpochs = totalEpochs;
        this.err = err;
        this.terminal = terminal;
        this.clock = clock;
    }

    Progress(int totalEpochs, PrintStream err, boolean terminal) {
        this(totalEpochs, err, terminal, System::nanoTime);
    }

    /** The run's real length, known only once a resumed checkpoint has been read. */
    void total(int epochs) {
        totalEpochs = epochs;
    }

    void batch(int epoch, int done, int total) {
        if (!terminal) return;
        long now = clock.getAsLong();
        if (startFraction >= 0 && done < total && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        double fraction = (epoch + (double) done / total) / totalEpochs;
        if (startFraction < 0) { // a resumed run's too: only what it runs is timed
            startFraction = fraction;
            start = now;
        }
        double elapsed = (now - start) / 1e9;
        double eta = fraction > startFraction ? elapsed * (1 - fraction) / (fraction - startFraction) : Double.NaN;
        int width = 30, filled = (int) Math.round(fraction * width);
        err.printf("\r  epoch %d/%d [%s%s] %3.0f%%  ETA %s   ", epoch + 1, totalEpochs, "#".repeat(filled),
                " ".repeat(width - filled), 100 * fraction, Double.isNaN(eta) ? "--" : format(eta));
        err.flush();
    }

    private boolean warnedTest;

    /**
     * The epoch's line, then once per run a warning when its test figures are not numbers while its training figures
     * are: test samples the network overflows on, which the line alone shows only as NaN.
     */
    void epoch(String text, EpochMetrics m) {
        line(text);
        if (!warnedTest && Double.isNaN(m.testLoss()) && Double.isFinite(m.trainLoss())) {
            warnedTest = true;
            err.printf("warning: epoch %d's test loss is NaN (and its test accuracy counts those samples as wrong): the network"
                    + " overflows on some test samples (values far beyond the training data's scale?); ./dst4j predict on the test data"
                    + " names them%n", m.epoch());
        }
    }

    /**
     * A listener for a run whose phases (members, baselines) are counted on one bar: epoch numbers from
     * {@code epochsDone} on (a resumed run's), each epoch's line with the learning rate when {@code learningRate}.
     */
    TrainingProgress listener(int epochsDone, boolean learningRate) {
        int[] done = {epochsDone};
        return new TrainingProgress() {
            @Override public void batch(int epoch, int b, int total) {
                Progress.this.batch(done[0], b, total);
            }

            @Override public void epoch(String phase, EpochMetrics m) {
                done[0]++;
                Progress.this.epoch(String.format("%s epoch %d  train loss %.4f acc %.4f  test loss %.4f acc %.4f  %s%.2fs (evolution %.3fs)",
                        phase, m.epoch(), m.trainLoss(), m.trainAccuracy(), m.testLoss(), m.testAccuracy(),
                        learningRate ? String.format("lr %.4g  ", m.learningRate()) : "", m.epochSeconds(), m.evolutionSeconds()), m);
            }
        };
    }

    void line(String text) {
        if (terminal) err.print("\r" + " ".repeat(70) + "\r");
        err.println(text);
    }

    static String format(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
