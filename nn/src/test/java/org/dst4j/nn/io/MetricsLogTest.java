package org.dst4j.nn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @TempDir Path dir;

    @Test
    void aResumedLogKeepsEpochsUpToTheCheckpointsAndRefusesOneThatLacksAny() throws IOException {
        Path log = dir.resolve("metrics.jsonl");
        Files.writeString(log, "{\"epoch\":1}\n{\"epoch\":2}\n{\"epoch\":3}\n");
        try (MetricsLog l = MetricsLog.resume(log, 2)) {
            l.append(Map.of("epoch", 3));
        }
        assertThat(Files.readString(log)).isEqualTo("{\"epoch\":1}\n{\"epoch\":2}\n{\"epoch\":3}\n");
        // A log removed or cut short: the resumed run would end with a learning curve missing its first epochs, without
        // a word.
        Files.writeString(log, "{\"epoch\":1}\n{\"epoch\":3}\n");
        assertThatThrownBy(() -> MetricsLog.resume(log, 3)).isInstanceOf(IOException.class)
                .hasMessage(log + ": epochs 1 to 1 only, but the run's checkpoint counts 3 (file cut or edited?)");
        Files.delete(log);
        assertThatThrownBy(() -> MetricsLog.resume(log, 2)).isInstanceOf(IOException.class)
                .hasMessage(log + ": no record of epoch 1, but the run's checkpoint counts 2 (file cut or edited?)");
        assertThat(log).doesNotExist();
    }

    // Each line is flushed as written: a run killed after an epoch keeps that epoch's record.
    @Test
    void aNewLogReplacesTheOldOneAndEachRecordIsOnDiskOnceAppended() throws IOException {
        Path log = Files.writeString(dir.resolve("metrics.jsonl"), "{\"epoch\":9}\n");
        try (MetricsLog l = MetricsLog.create(log)) {
            assertThat(log).hasContent("");
            l.append(Map.of("epoch", 1));
            assertThat(Files.readString(log)).isEqualTo("{\"epoch\":1}\n"); // before close
            l.append(Map.of("epoch", 2));
            assertThat(MetricsLog.readAll(log)).containsExactly(Map.of("epoch", 1L), Map.of("epoch", 2L));
        }
    }

    @Test
    void anAppendToAClosedLogIsAnErrorNamingTheFile() throws IOException {
        Path log = dir.resolve("metrics.jsonl");
        MetricsLog l = MetricsLog.create(log);
        l.close();
        assertThatThrownBy(() -> l.append(Map.of("epoch", 1))).isInstanceOf(IOException.class)
                .hasMessageStartingWith("writing " + log + ": ");
        assertThat(log).hasContent("");
    }

    @Test
    void resumingAfterRecordsKeepsTheFirstOnesAndRefusesAFileWithFewer() throws IOException {
        Path log = Files.writeString(dir.resolve("metrics.jsonl"), "{\"net\":1}\n{\"net\":1}\n{\"net\":2}\n");
        try (MetricsLog l = MetricsLog.resumeAfter(log, 2)) {
            l.append(Map.of("net", 2));
        }
        assertThat(Files.readString(log)).isEqualTo("{\"net\":1}\n{\"net\":1}\n{\"net\":2}\n");
        try (MetricsLog l = MetricsLog.resumeAfter(log, 3)) {
            assertThat(MetricsLog.readAll(log)).hasSize(3);
        }
        assertThatThrownBy(() -> MetricsLog.resumeAfter(log, 4)).isInstanceOf(IOException.class)
                .hasMessage(log + ": 3 records, but the run's checkpoint counts 4 (file cut or edited?)");
        assertThatThrownBy(() -> MetricsLog.resumeAfter(log, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("records must be >= 0, got -1");
        assertThat(MetricsLog.readAll(log)).hasSize(3);
        // no file and nothing to keep: an empty log
        Path none = dir.resolve("none.jsonl");
        try (MetricsLog l = MetricsLog.resumeAfter(none, 0)) {
            assertThat(none).hasContent("");
        }
        assertThatThrownBy(() -> MetricsLog.resumeAfter(dir.resolve("gone.jsonl"), 1)).isInstanceOf(IOException.class)
                .hasMessageEndingWith("gone.jsonl: 0 records, but the run's checkpoint counts 1 (file cut or edited?)");
    }

    // A crash in the middle of a line leaves it torn: that one is dropped; one in the middle is an error naming its line.
    @Test
    void aTornLastLineIsIgnoredButABrokenLineBeforeItIsAnError() throws IOException {
        Path log = Files.writeString(dir.resolve("metrics.jsonl"), "{\"epoch\":1}\n\n{\"epoch\":2}\n{\"epo");
        assertThat(MetricsLog.readAll(log)).containsExactly(Map.of("epoch", 1L), Map.of("epoch", 2L));
        Files.writeString(log, "{\"epoch\":1}\n{\"epo\n{\"epoch\":3}\n");
        assertThatThrownBy(() -> MetricsLog.readAll(log)).isInstanceOf(IOException.class)
                .hasMessage(log + ": line 2: JSON: expected closing '\"' at offset 5 (line 1, column 6), found end of input");
    }
}
