package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.nn.train.EpochMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The progress bar, drawn only on a terminal, and the epoch lines every run prints. */
class ProgressTest {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);
    private Locale before;

    @BeforeEach
    void rootLocale() {
        before = Locale.getDefault(Locale.Category.FORMAT);
        Locale.setDefault(Locale.Category.FORMAT, Locale.ROOT); // as Main sets it
    }

    @AfterEach
    void restoreLocale() {
        Locale.setDefault(Locale.Category.FORMAT, before);
    }

    private String printed() {
        String s = buf.toString(StandardCharsets.UTF_8);
        buf.reset();
        return s;
    }

    private static EpochMetrics epoch(int n, double trainLoss, double testLoss) {
        return new EpochMetrics(n, trainLoss, 0.5, testLoss, 0.25, 100, 1.5, 0.125, 0.1, 0.05f);
    }

    @Test
    void theBarShowsTheEpochAndTheShareDoneAndAnEtaOnceThereIsProgress() {
        Progress p = new Progress(4, err, true);
        p.batch(0, 0, 10); // the first draw: nothing done yet, so no ETA
        assertThat(printed()).isEqualTo("\r  epoch 1/4 [" + " ".repeat(30) + "]   0%  ETA --   ");
        p.batch(1, 10, 10); // an epoch's last batch is always drawn: half of the run
        assertThat(printed()).matches("\r  epoch 2/4 \\[#{15} {15}\\]  50%  ETA 0m0\\ds   ");
        p.batch(3, 10, 10);
        assertThat(printed()).matches("\r  epoch 4/4 \\[#{30}\\] 100%  ETA 0m00s   ");
    }

    @Test
    void aResumedRunsEtaCountsOnlyTheEpochsItRan() {
        Progress p = new Progress(4, err, true);
        p.batch(2, 0, 10); // resumed after 2 of 4 epochs: half drawn, but no time measured for any of it yet
        assertThat(printed()).isEqualTo("\r  epoch 3/4 [" + "#".repeat(15) + " ".repeat(15) + "]  50%  ETA --   ");
    }

    @Test
    void theEtaIsTimedFromTheFirstDrawNotFromWhenTheRunWasSetUp() {
        long[] now = {0};
        Progress p = new Progress(10, err, true, () -> now[0]);
        now[0] = 100_000_000_000L; // 100 s of loading data and building the network before the first batch
        p.batch(0, 1, 10); // 1% of the run: the clock starts here
        assertThat(printed()).endsWith("ETA --   ");
        now[0] += 50_000_000L; // within 0.1 s of the last draw, before the epoch's end: not drawn
        p.batch(0, 2, 10);
        assertThat(printed()).isEmpty();
        now[0] = 109_800_000_000L; // 49% more in 9.8 s: the half left takes 10 s
        p.batch(4, 10, 10);
        assertThat(printed()).endsWith("]  50%  ETA 0m10s   ");
        now[0] += 9_800_000_000L; // the next 49% as fast
        p.batch(9, 9, 10);
        assertThat(printed()).endsWith("]  99%  ETA 0m00s   ");
    }

    @Test
    void withoutATerminalThereIsNoBarAndEachEpochIsOnePlainLine() {
        Progress p = new Progress(4, err, false);
        p.batch(1, 10, 10);
        assertThat(printed()).isEmpty();
        p.line("epoch 1");
        assertThat(printed()).isEqualTo("epoch 1" + System.lineSeparator());
        new Progress(4, err, true).line("epoch 1"); // on a terminal the bar is wiped first
        assertThat(printed()).isEqualTo("\r" + " ".repeat(70) + "\r" + "epoch 1" + System.lineSeparator());
    }

    @Test
    void aTestLossThatIsNotANumberIsWarnedAboutOnceAndOnlyWhileTrainingLossIs() {
        Progress p = new Progress(4, err, false);
        p.epoch("e1", epoch(1, 0.5, 0.7));
        assertThat(printed()).isEqualTo("e1" + System.lineSeparator());
        p.epoch("e2", epoch(2, Double.NaN, Double.NaN)); // the whole run diverged: its own error says so
        assertThat(printed()).isEqualTo("e2" + System.lineSeparator());
        p.epoch("e3", epoch(3, 0.5, Double.NaN));
        assertThat(printed()).startsWith("e3" + System.lineSeparator() + "warning: epoch 3's test loss is NaN").contains("./dst4j predict");
        p.epoch("e4", epoch(4, 0.5, Double.NaN));
        assertThat(printed()).isEqualTo("e4" + System.lineSeparator());
    }

    @Test
    void aListenerNumbersEpochsFromTheOnesDoneAndPrintsTheLearningRateWhenAsked() {
        Progress p = new Progress(4, err, true);
        TrainingProgress l = p.listener(2, true);
        l.batch(0, 10, 10); // the phase's epoch 0 is the run's third
        assertThat(printed()).startsWith("\r  epoch 3/4 [" + "#".repeat(23) + " ".repeat(7) + "]  75%");
        l.epoch("member 1", epoch(1, 0.5, 0.7));
        assertThat(printed()).endsWith("member 1 epoch 1  train loss 0.5000 acc 0.5000  test loss 0.7000 acc 0.2500  lr 0.05000  1.50s (evolution 0.125s)"
                + System.lineSeparator());
        l.batch(0, 10, 10); // the next one is the fourth
        assertThat(printed()).startsWith("\r  epoch 4/4 [" + "#".repeat(30) + "] 100%");
        p.listener(0, false).epoch("phase", epoch(1, 0.5, 0.7));
        assertThat(printed()).endsWith("phase epoch 1  train loss 0.5000 acc 0.5000  test loss 0.7000 acc 0.2500  1.50s (evolution 0.125s)"
                + System.lineSeparator());
    }

    @Test
    void anEtaIsMinutesAndSecondsUnderAnHourAndHoursAndMinutesFrom() {
        assertThat(Progress.format(0)).isEqualTo("0m00s");
        assertThat(Progress.format(59.6)).isEqualTo("1m00s");
        assertThat(Progress.format(3599.4)).isEqualTo("59m59s");
        assertThat(Progress.format(3600)).isEqualTo("1h00m");
        assertThat(Progress.format(7322)).isEqualTo("2h02m");
    }
}
