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
        // A log removed or cut short: the resumed run ended with a learning curve missing its first epochs, without a word.
        Files.writeString(log, "{\"epoch\":1}\n{\"epoch\":3}\n");
        assertThatThrownBy(() -> MetricsLog.resume(log, 3)).isInstanceOf(IOException.class)
                .hasMessage(log + ": epochs 1 to 1 only, but the run's checkpoint counts 3 (file cut or edited?)");
        Files.delete(log);
        assertThatThrownBy(() -> MetricsLog.resume(log, 2)).isInstanceOf(IOException.class)
                .hasMessage(log + ": no record of epoch 1, but the run's checkpoint counts 2 (file cut or edited?)");
        assertThat(log).doesNotExist();
    }
}
