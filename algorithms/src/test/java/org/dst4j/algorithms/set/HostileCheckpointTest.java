package org.dst4j.algorithms.set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.zip.CRC32C;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.nn.data.DataOptions;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.runtime.memory.OffHeap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SET checkpoint or metrics log edited by hand (checksums recomputed) is resumed only when what it says is
 * a run this data and config make; otherwise it is refused naming the file, never a hang or a stack trace.
 */
class HostileCheckpointTest {
    @TempDir Path dir;

    record Outcome(int code, String err) {}

    static Outcome cli(String... args) {
        PrintStream err = System.err, out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return new Outcome(Main.run(args), buf.toString(StandardCharsets.UTF_8).strip());
        } finally {
            System.setErr(err);
            System.setOut(out);
        }
    }

    Path csv() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) sb.append(i % 7).append(',').append(i % 5).append(',').append(i % 3 * 2).append(',').append(i % 11).append(',').append(i % 3).append('\n');
        return Files.writeString(dir.resolve("tiny.csv"), sb.toString());
    }

    // A run of 1 epoch, its checkpoint then saying the run has 2: one epoch left to resume.
    Path run() throws IOException {
        Path run = dir.resolve("run");
        Outcome o = cli("set", "--data", csv().toString(), "--hidden", "8", "--epsilon", "2", "--epochs", "1", "--batch", "16", "--threads", "1", "--out", run.toString());
        assertThat(o.code()).as(o.err()).isZero();
        edit(run.resolve(SetTraining.CHECKPOINT), "\"epochs\":1,", "\"epochs\":2,");
        return run;
    }

    static void edit(Path file, String from, String to) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int old = ByteBuffer.wrap(b).getInt(12);
        String header = new String(b, 16, old, StandardCharsets.UTF_8);
        assertThat(header).contains(from);
        byte[] h = header.replace(from, to).getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(h);
        ByteBuffer out = ByteBuffer.allocate(b.length - old + h.length);
        out.put(b, 0, 12).putInt(h.length).put(h).putInt((int) crc.getValue()).put(b, 20 + old, b.length - 20 - old);
        Files.write(file, out.array());
    }

    Outcome resume(Path run) throws IOException {
        return cli("set", "--resume", run.toString(), "--data", dir.resolve("tiny.csv").toString(), "--threads", "1");
    }

    @Test
    void theUneditedCheckpointResumes() throws IOException {
        Outcome o = resume(run());
        assertThat(o.code()).as(o.err()).isZero();
    }

    @Test
    void anEpochCountOutsideTheRunIsRefusedNotTrainedForEver() throws Exception {
        // 2^31, cut to an int, is -2^31 epochs done: the resumed run would train 2^31 epochs.
        Path run = run();
        edit(run.resolve(SetTraining.CHECKPOINT), "\"epochs_done\":1,", "\"epochs_done\":2147483648,");
        Outcome o = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> resume(run));
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).endsWith(run + ": checkpoint.dst4j is not a SET training checkpoint (field 'epochs_done': 2147483648 is outside the 32-bit integers)");

        edit(run.resolve(SetTraining.CHECKPOINT), "\"epochs_done\":2147483648,", "\"epochs_done\":-1,");
        try (DatasetSplit data = DataSources.load(new DataOptions(dir.resolve("tiny.csv"), null, null, null, null, "last", 0.2, 42, 0, 0))) {
            assertThatThrownBy(() -> SetTraining.resume(run, data, 1, null).close()).isInstanceOf(IOException.class)
                    .hasMessage(run + ": checkpoint.dst4j is not a SET training checkpoint (field 'epochs_done': -1 is not in [0, 2], the run's epochs)");
        }
    }

    @Test
    void aNetworkOtherThanTheConfigMakesIsRefusedNotAStackTrace() throws IOException {
        // Without its output layer the network has 8 outputs for 3 classes: not an IllegalArgumentException from the loss kernel.
        // The file still holds that layer's tensors, which the header no longer describes: refused as it loads.
        Path run = run();
        long offHeap = OffHeap.bytesInUse();
        edit(run.resolve(SetTraining.CHECKPOINT), "\"sizes\":[4,8,3]", "\"sizes\":[4,8]");
        Outcome o = resume(run);
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).contains("model " + run.resolve(SetTraining.CHECKPOINT) + ": tensor 'layer.1.row_ptr' belongs to no part of the 1-layer"
                + " network the header describes (file edited?)").doesNotContain("\tat ");

        // Hidden sizes the config does not have: not trained on under the wrong description.
        Path other = dir.resolve("other");
        Files.move(run, other);
        edit(other.resolve(SetTraining.CHECKPOINT), "\"sizes\":[4,8]", "\"sizes\":[4,8,3]");
        edit(other.resolve(SetTraining.CHECKPOINT), "\"config\":{\"hidden\":[8]", "\"config\":{\"hidden\":[9]");
        o = resume(other);
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).contains(other + ": checkpoint.dst4j holds the network MlpConfig[4, 8, 3]", "makes MlpConfig[4, 9, 3]");
        assertThat(OffHeap.bytesInUse()).as("the refused checkpoint's network closed").isEqualTo(offHeap);
    }

    @Test
    void aMetricsLogWithAMissingFieldOrNotUtf8IsNamed() throws IOException {
        Path run = run();
        Path metrics = run.resolve(SetTraining.METRICS);
        String log = Files.readString(metrics);
        Files.writeString(metrics, log.replace("\"learning_rate\"", "\"learning_rat\"") + "\n{}\n");
        Outcome o = resume(run);
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).endsWith("dst4j set: " + metrics + ": record 1: field 'learning_rate': expected a number, got null");

        byte[] bytes = log.getBytes(StandardCharsets.UTF_8);
        bytes[3] = (byte) 0xff;
        Files.write(metrics, bytes);
        o = resume(run);
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).endsWith("dst4j set: " + metrics + ": byte 3 is not UTF-8 text");
    }
}
