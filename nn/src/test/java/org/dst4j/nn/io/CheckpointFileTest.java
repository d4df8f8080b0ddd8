package org.dst4j.nn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dst4j.nn.io.CheckpointFile.DType;
import org.dst4j.nn.io.CheckpointFile.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointFileTest {

    private static Path sample(Path dir) throws IOException {
        Path f = dir.resolve("m.dst4j");
        CheckpointFile.write(f, Map.of("seed", 7L, "name", "x\"y"), List.of(
                Tensor.of("w", new float[] {1.5f, -2f, 3f}),
                Tensor.of("idx", new int[] {4, 5}),
                new Tensor("ptr", DType.I64, new long[] {2}, MemorySegment.ofArray(new long[] {0, 9})),
                new Tensor("flags", DType.U8, new long[] {2, 2}, MemorySegment.ofArray(new byte[] {1, 0, 1, 1})),
                Tensor.of("empty", new float[0])));
        return f;
    }

    @Test
    void roundTripsEveryType(@TempDir Path dir) throws Exception {
        try (CheckpointFile.Checkpoint c = CheckpointFile.read(sample(dir))) {
            assertThat(c.header()).containsEntry("seed", 7L).containsEntry("name", "x\"y");
            assertThat(c.tensor("w").toFloatArray()).containsExactly(1.5f, -2f, 3f);
            assertThat(c.tensor("idx").toIntArray()).containsExactly(4, 5);
            assertThat(c.tensor("ptr").toLongArray()).containsExactly(0, 9);
            assertThat(c.tensor("flags").shape()).containsExactly(2, 2);
            assertThat(c.tensor("empty").elements()).isZero();
            assertThat(c.names()).containsExactly("w", "idx", "ptr", "flags", "empty");
        }
    }

    @Test
    void everyTruncationIsRefusedClearly(@TempDir Path dir) throws Exception {
        byte[] whole = Files.readAllBytes(sample(dir));
        Path f = dir.resolve("cut.dst4j");
        for (int n = 0; n < whole.length; n++) {
            Files.write(f, java.util.Arrays.copyOf(whole, n));
            assertThatThrownBy(() -> CheckpointFile.read(f).close()).as("prefix of %d bytes", n)
                    .isInstanceOf(IOException.class).hasMessageStartingWith(f + ": ");
        }
        Files.write(f, java.util.Arrays.copyOf(whole, whole.length + 3));
        assertThatThrownBy(() -> CheckpointFile.read(f).close()).hasMessageContaining("3 unexpected bytes after the last tensor");
    }

    @Test
    void aStreamIsReadAndCheckedAsItsFileIs(@TempDir Path dir) throws Exception {
        Path whole = sample(dir);
        byte[] bytes = Files.readAllBytes(whole);
        try (CheckpointFile.Checkpoint c = CheckpointFile.read(new java.io.ByteArrayInputStream(bytes), "res")) {
            assertThat(c.header()).containsEntry("seed", 7L);
            assertThat(c.tensor("w").toFloatArray()).containsExactly(1.5f, -2f, 3f);
            assertThat(c.names()).containsExactly("w", "idx", "ptr", "flags", "empty");
            assertThatThrownBy(() -> c.tensor("nope")).hasMessage("res: no tensor 'nope'");
        }
        // every prefix, and every flipped bit, gives the file's message with the stream's name for the file's
        Path f = dir.resolve("bad.dst4j");
        for (int i = 0; i <= 2 * bytes.length; i++) {
            byte[] b = i <= bytes.length ? java.util.Arrays.copyOf(bytes, i) : bytes.clone();
            if (i > bytes.length) b[i - bytes.length - 1] ^= 0x10;
            Files.write(f, b);
            String fileMessage = null;
            try {
                CheckpointFile.read(f).close();
            } catch (IOException e) {
                fileMessage = e.getMessage();
            }
            if (i == bytes.length) {
                assertThat(fileMessage).isNull();
                continue;
            }
            assertThat(fileMessage).as("case %d", i).startsWith(f + ": ");
            byte[] given = b;
            assertThatThrownBy(() -> CheckpointFile.read(new java.io.ByteArrayInputStream(given), "res").close()).as("case %d", i)
                    .isInstanceOf(IOException.class).hasMessage("res: " + fileMessage.substring(f.toString().length() + 2));
        }
    }

    @Test
    void everyFlippedBitIsDetected(@TempDir Path dir) throws Exception {
        byte[] whole = Files.readAllBytes(sample(dir));
        Path f = dir.resolve("flip.dst4j");
        for (int i = 0; i < whole.length; i++) {
            byte[] b = whole.clone();
            b[i] ^= 0x04;
            Files.write(f, b);
            assertThatThrownBy(() -> CheckpointFile.read(f).close()).as("bit flipped in byte %d", i).isInstanceOf(IOException.class);
        }
    }

    @Test
    void hugeDeclaredSizesAreRefusedBeforeAllocating(@TempDir Path dir) throws Exception {
        byte[] whole = Files.readAllBytes(sample(dir));
        // The first tensor's dimension follows: magic 8, version 4, header len 4 + header + crc 4, count 4, name len 2 + "w", dtype, rank.
        int headerLen = java.nio.ByteBuffer.wrap(whole, 12, 4).getInt();
        int dimAt = 16 + headerLen + 4 + 4 + 2 + 1 + 1 + 1;
        java.nio.ByteBuffer.wrap(whole, dimAt, 8).putLong(1L << 60);
        Path f = dir.resolve("huge.dst4j");
        Files.write(f, whole);
        assertThatThrownBy(() -> CheckpointFile.read(f).close()).hasMessageContaining("tensor 'w'").hasMessageContaining("at byte");
    }

    @Test
    void aFailedWriteLeavesThePreviousFileAndNoTemporary(@TempDir Path dir) throws Exception {
        Path f = sample(dir);
        byte[] before = Files.readAllBytes(f);
        assertThatThrownBy(() -> AtomicFiles.write(f, out -> {
            out.write(new byte[100]);
            throw new IOException("disk full");
        })).hasMessage("writing " + f + ": disk full");   // the bare error names no file
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("m.dst4j");
        }
    }

    @Test
    void fileSystemErrorsNameTheFileAskedFor(@TempDir Path dir) {
        Path m = dir.resolve("m");
        java.nio.file.NoSuchFileException same = new java.nio.file.NoSuchFileException(m.toString());
        assertThat(AtomicFiles.named(m, same)).isSameAs(same);
        // About the temporary file or a parent: the message is about m (once it named only "/x/.m.123.tmp").
        assertThat(AtomicFiles.named(m, new java.nio.file.NoSuchFileException("/x/.m.123.tmp")))
                .hasMessage("writing " + m + ": no such file or directory (/x/.m.123.tmp)");
    }

    @Test
    void jsonRoundTripsAndReportsPositions() {
        String text = Json.write(Map.of("a", List.of(1L, 2.5, "s\n", true), "b", new int[] {1, 2}));
        Object back = Json.parse(text);
        assertThat(back).isEqualTo(Map.of("a", List.of(1L, 2.5, "s\n", true), "b", List.of(1L, 2L)));
        assertThat(Json.write(Double.NaN)).isEqualTo("null");
        assertThat(Json.write(0.1f)).isEqualTo("0.1");
        assertThatThrownBy(() -> Json.parse("{\"a\": [1, 2,]}")).hasMessageContaining("offset 12").hasMessageContaining("column 13");
        assertThatThrownBy(() -> Json.parse("{\"a\":1} x")).hasMessageContaining("expected end of input");
    }

    @Test
    void readingOnAnInterruptedThreadSaysSoNamingTheFile(@TempDir Path dir) throws Exception {
        Path f = sample(dir);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> CheckpointFile.read(f).close()).isInstanceOf(InterruptedIOException.class)
                    .hasMessage(f + ": interrupted");
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
        } finally {
            Thread.interrupted();
        }
        try (CheckpointFile.Checkpoint c = CheckpointFile.read(f)) {
            assertThat(c.tensor("w").toFloatArray()).containsExactly(1.5f, -2f, 3f);
        }
    }
}
