package org.dst4j.nn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
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

    // The reader refuses a name given twice, so the writer does too, rather than write a checkpoint no load opens; a
    // null name is refused before writing, not mid-write.
    @Test
    void aTensorNameGivenTwiceOrNoneIsRefusedBeforeWriting(@TempDir Path dir) {
        Path file = dir.resolve("c.dst4j");
        assertThatThrownBy(() -> CheckpointFile.write(file, Map.of(), List.of(Tensor.of("w", new float[2]), Tensor.of("w", new float[3]))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("writing " + file + ": tensor 'w' given twice");
        assertThatThrownBy(() -> Tensor.of(null, new float[2])).isInstanceOf(NullPointerException.class).hasMessage("name");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void everyTruncationIsRefusedClearly(@TempDir Path dir) throws Exception {
        byte[] whole = Files.readAllBytes(sample(dir));
        Path f = dir.resolve("cut.dst4j");
        for (int n = 0; n < whole.length; n++) {
            Files.write(f, Arrays.copyOf(whole, n));
            assertThatThrownBy(() -> CheckpointFile.read(f).close()).as("prefix of %d bytes", n)
                    .isInstanceOf(IOException.class).hasMessageStartingWith(f + ": ");
        }
        Files.write(f, Arrays.copyOf(whole, whole.length + 3));
        assertThatThrownBy(() -> CheckpointFile.read(f).close()).hasMessageContaining("3 unexpected bytes after the last tensor");
    }

    @Test
    void aStreamIsReadInPiecesOfAtMostAMegabyte(@TempDir Path dir) throws Exception {
        // Read in one call, a file's stream would go through a temporary direct buffer of the model's size that the JDK
        // keeps for the thread: 40 MB of native memory per thread for a 40 MB model, after the model is closed.
        float[] w = new float[700_000];
        for (int i = 0; i < w.length; i++) w[i] = i;
        Path f = dir.resolve("big.dst4j");
        CheckpointFile.write(f, Map.of(), List.of(Tensor.of("w", w)));
        byte[] bytes = Files.readAllBytes(f);
        for (boolean told : new boolean[] {true, false}) { // a stream that tells its length, and one that does not
            int[] largest = {0};
            InputStream in = new ByteArrayInputStream(bytes) {
                @Override
                public synchronized int read(byte[] b, int off, int len) {
                    largest[0] = Math.max(largest[0], len);
                    return super.read(b, off, len);
                }

                @Override
                public byte[] readNBytes(int len) throws IOException {
                    if (len > 1 << 20) throw new AssertionError("read whole");
                    return super.readNBytes(len);
                }

                @Override
                public synchronized int available() {
                    return told ? super.available() : 0;
                }
            };
            try (CheckpointFile.Checkpoint c = CheckpointFile.read(in, "res")) {
                assertThat(c.tensor("w").toFloatArray()).as("told %s", told).isEqualTo(w);
            }
            assertThat(largest[0]).as("told %s", told).isLessThanOrEqualTo(1 << 20);
        }
    }

    @Test
    void aStreamThatIsNoModelIsRefusedAfterItsFirstEightBytes() {
        // Refused on its magic, before 200 MB of something else is read onto the heap.
        InputStream junk = new InputStream() {
            int given;

            @Override
            public int read() {
                if (given >= 8) throw new AssertionError("read past the magic");
                given++;
                return 'x';
            }

            @Override
            public int available() {
                return 200 << 20;
            }
        };
        assertThatThrownBy(() -> CheckpointFile.read(junk, "junk").close()).isInstanceOf(IOException.class)
                .hasMessageStartingWith("junk").hasMessageContaining("not a dst4j model or checkpoint file (bad magic)");
    }

    @Test
    void aStreamIsReadAndCheckedAsItsFileIs(@TempDir Path dir) throws Exception {
        Path whole = sample(dir);
        byte[] bytes = Files.readAllBytes(whole);
        try (CheckpointFile.Checkpoint c = CheckpointFile.read(new ByteArrayInputStream(bytes), "res")) {
            assertThat(c.header()).containsEntry("seed", 7L);
            assertThat(c.tensor("w").toFloatArray()).containsExactly(1.5f, -2f, 3f);
            assertThat(c.names()).containsExactly("w", "idx", "ptr", "flags", "empty");
            assertThatThrownBy(() -> c.tensor("nope")).hasMessage("res: no tensor 'nope'");
        }
        // every prefix, and every flipped bit, gives the file's message with the stream's name for the file's
        Path f = dir.resolve("bad.dst4j");
        for (int i = 0; i <= 2 * bytes.length; i++) {
            byte[] b = i <= bytes.length ? Arrays.copyOf(bytes, i) : bytes.clone();
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
            assertThatThrownBy(() -> CheckpointFile.read(new ByteArrayInputStream(given), "res").close()).as("case %d", i)
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
        int headerLen = ByteBuffer.wrap(whole, 12, 4).getInt();
        int dimAt = 16 + headerLen + 4 + 4 + 2 + 1 + 1 + 1;
        ByteBuffer.wrap(whole, dimAt, 8).putLong(1L << 60);
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
        NoSuchFileException same = new NoSuchFileException(m.toString());
        assertThat(AtomicFiles.named(m, same)).isSameAs(same);
        // About the temporary file or a parent: the message is about m.
        assertThat(AtomicFiles.named(m, new NoSuchFileException("/x/.m.123.tmp")))
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
        // a control character is named, not printed: a newline in a hand-edited string would break the one-line error
        assertThatThrownBy(() -> Json.parse("{\"a\": \"x\ny\"}")).hasMessageEndingWith("found U+000A").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> Json.parse("{\"a\": \u001b}")).hasMessageEndingWith("found U+001B");
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

    // A file written by hand, every CRC correct: magic, `version`, `header` as its JSON, then the tensors as made by tensor().
    private static byte[] handMade(int version, String header, byte[]... tensors) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(8 + 4 + 4 + h.length + 4 + 4);
        b.put("DST4JCKP".getBytes(StandardCharsets.US_ASCII)).putInt(version).putInt(h.length).put(h).putInt(crc(h)).putInt(tensors.length);
        bytes.writeBytes(b.array());
        for (byte[] t : tensors) bytes.writeBytes(t);
        return bytes.toByteArray();
    }

    // One tensor's descriptor (name, dtype, rank, dims, byte length as given), its data and the CRC32C of both.
    private static byte[] tensor(String name, int dtype, int rank, long[] dims, long byteLength, byte[] data) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(2 + n.length + 2 + 8 * dims.length + 8 + data.length + 4);
        b.putShort((short) n.length).put(n).put((byte) dtype).put((byte) rank);
        for (long d : dims) b.putLong(d);
        b.putLong(byteLength).put(data);
        b.putInt(crc(Arrays.copyOf(b.array(), b.position())));
        return b.array();
    }

    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    private static Path written(Path dir, byte[] bytes) throws IOException {
        Path f = dir.resolve("hand.dst4j");
        Files.write(f, bytes);
        return f;
    }

    /** The hand-made files below are right but for the one field each test breaks. */
    @Test
    void aHandMadeFileReads(@TempDir Path dir) throws Exception {
        byte[] one = tensor("a", 0, 1, new long[] {1}, 4, new byte[4]);
        try (CheckpointFile.Checkpoint c = CheckpointFile.read(written(dir, handMade(1, "{}", one)))) {
            assertThat(c.tensor("a").toFloatArray()).containsExactly(0f);
        }
    }

    // Guards the check that the format version is at least 1.
    @Test
    void aFormatVersionBelowOneIsRefused(@TempDir Path dir) throws Exception {
        for (int version : new int[] {0, -1, Integer.MIN_VALUE}) {
            Path f = written(dir, handMade(version, "{}"));
            assertThatThrownBy(() -> CheckpointFile.read(f).close()).as("version %d", version)
                    .isInstanceOf(IOException.class).hasMessage(f + ": bad format version " + version + " at byte 8");
        }
    }

    // Guards the check of a negative header length: without it the reader fails with an IllegalArgumentException, not an IOException.
    @Test
    void aNegativeHeaderLengthIsRefusedAsAnIOException(@TempDir Path dir) throws Exception {
        byte[] b = handMade(1, "{}");
        ByteBuffer.wrap(b).putInt(12, -2);
        Path f = written(dir, b);
        assertThatThrownBy(() -> CheckpointFile.read(f).close()).isInstanceOf(IOException.class)
                .hasMessage(f + ": header length -2 exceeds the file at byte 12");
    }

    // Guards the reader's duplicate-name check (the writer refuses one, below): a reader keeping the last would silently
    // drop a tensor.
    @Test
    void twoTensorsOfTheSameNameAreRefused(@TempDir Path dir) throws Exception {
        Path f = written(dir, handMade(1, "{}", tensor("w", 0, 1, new long[] {1}, 4, new byte[4]), tensor("w", 0, 1, new long[] {1}, 4, new byte[4])));
        assertThatThrownBy(() -> CheckpointFile.read(f).close()).isInstanceOf(IOException.class).hasMessageContaining("duplicate tensor 'w'");
    }

    // Guards the name-length limit on both sides: the writer refuses a name it would not read back, the reader one it never writes.
    @Test
    void aTensorNameOverTheLimitIsRefusedByWriterAndReader(@TempDir Path dir) throws Exception {
        String longest = "n".repeat(1024), over = "n".repeat(1025);
        Path ok = dir.resolve("ok.dst4j");
        CheckpointFile.write(ok, Map.of(), List.of(Tensor.of(longest, new float[] {1f})));
        try (CheckpointFile.Checkpoint c = CheckpointFile.read(ok)) {
            assertThat(c.names()).containsExactly(longest);
        }
        assertThatThrownBy(() -> CheckpointFile.write(dir.resolve("w.dst4j"), Map.of(), List.of(Tensor.of(over, new float[] {1f}))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tensor name too long");
        Path f = written(dir, handMade(1, "{}", tensor(over, 0, 1, new long[] {1}, 4, new byte[4])));
        assertThatThrownBy(() -> CheckpointFile.read(f).close()).isInstanceOf(IOException.class)
                .hasMessageContaining("tensor name length 1025 too long");
    }

    // Guards the header limit on both sides: the writer refuses a header it would not read back (and keeps the file
    // already there), the reader says which limit a long header breaks (not "exceeds the file" for one that fits in it).
    @Test
    void aHeaderOverTheLimitIsRefusedByWriterAndReader(@TempDir Path dir) throws Exception {
        Path f = sample(dir);
        byte[] before = Files.readAllBytes(f);
        String big = "h".repeat(64 << 20);
        assertThatThrownBy(() -> CheckpointFile.write(f, Map.of("x", big), List.of(Tensor.of("w", new float[] {1f}))))
                .isInstanceOf(IOException.class).hasMessageStartingWith("writing " + f + ": a header of ")
                .hasMessageContaining("over the 64 MiB");
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("m.dst4j");
        }
        Path hand = written(dir, handMade(1, "\"" + big + "\""));
        assertThatThrownBy(() -> CheckpointFile.read(hand).close()).isInstanceOf(IOException.class)
                .hasMessageContaining("header length " + ((64 << 20) + 2) + " is over the 64 MiB limit");
    }

    // Guards the rank limit: a ninth dimension is refused, not read.
    @Test
    void aRankOverEightIsRefused(@TempDir Path dir) throws Exception {
        long[] ones = new long[9];
        Arrays.fill(ones, 1);
        Path eight = written(dir, handMade(1, "{}", tensor("a", 3, 8, Arrays.copyOf(ones, 8), 1, new byte[1])));
        try (CheckpointFile.Checkpoint c = CheckpointFile.read(eight)) {
            assertThat(c.tensor("a").shape()).hasSize(8);
        }
        Path f = written(dir, handMade(1, "{}", tensor("a", 3, 9, ones, 1, new byte[1])));
        // the byte offset named is the rank's: magic 8, version 4, header length 4, "{}" 2, CRC 4, count 4, name length 2, "a" 1, dtype 1
        assertThatThrownBy(() -> CheckpointFile.read(f).close()).isInstanceOf(IOException.class)
                .hasMessage(f + ": tensor 'a': rank 9 too large at byte 30");
    }

    // Guards the dtype range check: without it an unknown dtype is an ArrayIndexOutOfBoundsException.
    @Test
    void anUnknownDtypeIsRefusedAsAnIOException(@TempDir Path dir) throws Exception {
        Path f = written(dir, handMade(1, "{}", tensor("a", 4, 1, new long[] {1}, 1, new byte[1])));
        assertThatThrownBy(() -> CheckpointFile.read(f).close()).isInstanceOf(IOException.class)
                .hasMessage(f + ": tensor 'a': unknown dtype 4 at byte 29");
    }

    // Guards the byte-length check: a length that disagrees with the shape is refused even when the data is there and its CRC right.
    @Test
    void aByteLengthThatDisagreesWithTheShapeIsRefused(@TempDir Path dir) throws Exception {
        Path f = written(dir, handMade(1, "{}", tensor("a", 0, 1, new long[] {1}, 8, new byte[8])));
        assertThatThrownBy(() -> CheckpointFile.read(f).close()).isInstanceOf(IOException.class)
                .hasMessageContaining("byte length 8 does not match its shape [1] of F32");
    }

    // Guards the idempotent close and the tensor's own checks of its size and element type.
    @Test
    void closingTwiceIsHarmlessAndTensorsCheckSizeAndType(@TempDir Path dir) throws Exception {
        CheckpointFile.Checkpoint c = CheckpointFile.read(sample(dir));
        c.close();
        c.close();
        assertThatThrownBy(() -> new Tensor("t", DType.F32, new long[] {2}, MemorySegment.ofArray(new float[3])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("12 bytes for shape [2]");
        Tensor ints = Tensor.of("i", new int[] {1, 2});
        assertThatThrownBy(ints::toFloatArray).isInstanceOf(IllegalArgumentException.class).hasMessage("tensor 'i' is I32, expected F32");
        assertThatThrownBy(() -> ints.data(DType.I64)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ints.data(DType.I32).byteSize()).isEqualTo(8);
        assertThat(Tensor.of("u", DType.U8, MemorySegment.ofArray(new byte[3])).shape()).containsExactly(3);
        assertThat(new Tensor("l", DType.I64, new long[] {2, 3}, MemorySegment.ofArray(new long[6])).elements()).isEqualTo(6);
        assertThat(DType.I64.size()).isEqualTo(8);
        assertThat(DType.U8.size()).isEqualTo(1);
        Map<String, Object> h = CheckpointFile.header();
        h.put("z", 1L);
        h.put("a", 2L);
        assertThat(h.keySet()).as("an ordered, writable header").containsExactly("z", "a");
    }

    // Guards close() actually freeing the tensors' memory (a removed or inverted Arena.close leaked every loaded model).
    @Test
    void closingFreesTheTensors(@TempDir Path dir) throws Exception {
        MemorySegment data;
        try (CheckpointFile.Checkpoint c = CheckpointFile.read(sample(dir))) {
            data = c.tensor("w").data();
            assertThat(data.scope().isAlive()).isTrue();
        }
        assertThat(data.scope().isAlive()).isFalse();
    }

    // Guards the tensor count's lower bound: a file of no tensors (a header only) is valid and reads.
    @Test
    void aFileOfNoTensorsReads(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("empty.dst4j");
        CheckpointFile.write(f, Map.of("epoch", 3L), List.of());
        try (CheckpointFile.Checkpoint c = CheckpointFile.read(f)) {
            assertThat(c.header()).containsEntry("epoch", 3L);
            assertThat(c.names()).isEmpty();
        }
    }

    // Guards the writer's chunk loop: a tensor over the 1 MiB chunk is written whole (the last chunk is the remainder).
    @Test
    void aTensorLargerThanTheWritersChunkRoundTrips(@TempDir Path dir) throws Exception {
        float[] a = new float[(1 << 18) + 3];
        for (int i = 0; i < a.length; i++) a[i] = i;
        Path f = dir.resolve("big.dst4j");
        CheckpointFile.write(f, Map.of(), List.of(Tensor.of("a", a), Tensor.of("b", new int[] {7})));
        try (CheckpointFile.Checkpoint c = CheckpointFile.read(f)) {
            assertThat(c.tensor("a").toFloatArray()).isEqualTo(a);
            assertThat(c.tensor("b").toIntArray()).containsExactly(7);
        }
    }
}
