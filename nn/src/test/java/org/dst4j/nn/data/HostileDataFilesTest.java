package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrupted and hostile data files: each is read, or refused with a {@link DataFormatException} naming the
 * file, and no count in a header allocates more than the file holds.
 */
class HostileDataFilesTest {
    @TempDir Path dir;

    // Heap bytes the calling thread allocates in r: a header's count must not size an array before the file is checked.
    static long allocatedBy(ThrowingRunnable r) throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        r.run();
        return threads.getCurrentThreadAllocatedBytes() - before;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    static byte[] idx(int magic, int[] dims, byte[] payload) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(b);
        o.writeInt(magic);
        for (int d : dims) o.writeInt(d);
        o.write(payload);
        return b.toByteArray();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b)) {
            g.write(raw);
        }
        return b.toByteArray();
    }

    static byte[] pixels(int n, long seed) {
        byte[] p = new byte[n];
        new Random(seed).nextBytes(p);
        return p;
    }

    static byte[] labels(int n) {
        byte[] y = new byte[n];
        for (int i = 0; i < n; i++) y[i] = (byte) (i % 10);
        return y;
    }

    // The four IDX files of a 30 + 10 sample, 3 x 3 pixel dataset, with `file` (0..3) replaced by `replacement`.
    Path idxDir(String name, boolean gz, int file, byte[] replacement) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        byte[][] valid = idxFiles();
        String[] names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
        for (int f = 0; f < 4; f++) {
            byte[] b = f == file ? replacement : valid[f];
            Files.write(d.resolve(names[f] + (gz ? ".gz" : "")), gz ? gzip(b) : b);
        }
        return d;
    }

    static byte[][] idxFiles() throws IOException {
        return new byte[][] {idx(0x803, new int[] {30, 3, 3}, pixels(270, 1)), idx(0x801, new int[] {30}, labels(30)),
            idx(0x803, new int[] {10, 3, 3}, pixels(90, 2)), idx(0x801, new int[] {10}, labels(10))};
    }

    @Test
    void anIdxLabelCountBeyondTheFileIsRefusedBeforeAllocatingForIt() throws Exception {
        for (boolean gz : new boolean[] {false, true}) {
            // 2^28 labels announced, 10 there: refused before a 256 MB array is allocated for them.
            Path d = idxDir("labels" + gz, gz, 1, idx(0x801, new int[] {1 << 28}, labels(10)));
            Path file = d.resolve("train-labels-idx1-ubyte" + (gz ? ".gz" : ""));
            long allocated = allocatedBy(() -> assertThatThrownBy(() -> DataSources.load(DataOptions.idx(d)))
                    .isInstanceOf(DataFormatException.class).hasMessage(file + ": truncated, expected 268435456 labels after byte 8"));
            assertThat(allocated).as("bytes allocated").isLessThan(32L << 20);
        }
    }

    @Test
    void anIdxImageSizeBeyondTheFileIsRefusedBeforeAllocatingForIt() throws Exception {
        for (boolean gz : new boolean[] {false, true}) {
            // 30 images of 4096 x 4096 pixels announced, 270 bytes there: refused before 80 MB of heap (one image's
            // bytes and floats) and 2 GB off it are allocated for them.
            Path d = idxDir("images" + gz, gz, 0, idx(0x803, new int[] {30, 4096, 4096}, pixels(270, 1)));
            Path file = d.resolve("train-images-idx3-ubyte" + (gz ? ".gz" : ""));
            long allocated = allocatedBy(() -> assertThatThrownBy(() -> DataSources.load(DataOptions.idx(d)))
                    .isInstanceOf(DataFormatException.class).hasMessage(file + ": truncated at image 0 (byte 16), expected 30 images"));
            assertThat(allocated).as("bytes allocated").isLessThan(32L << 20);
        }
    }

    @Test
    void noIdxImagesOfAHugeSizeAllocateNothingForTheSize() throws Exception {
        // No images (and no labels) of 2^28 pixels each: no row buffers are allocated for that size.
        Path d = idxDir("empty", false, 0, idx(0x803, new int[] {0, 16384, 16384}, new byte[0]));
        Files.write(d.resolve("train-labels-idx1-ubyte"), idx(0x801, new int[] {0}, new byte[0]));
        long allocated = allocatedBy(() -> assertThatThrownBy(() -> DataSources.load(DataOptions.idx(d))).isInstanceOf(DataFormatException.class));
        assertThat(allocated).as("bytes allocated").isLessThan(32L << 20);
    }

    @Test
    void anIdxFileOfNoImagesIsNamed() throws Exception {
        for (int file : new int[] {0, 2}) {
            Path d = idxDir("none" + file, false, file, idx(0x803, new int[] {0, 3, 3}, new byte[0]));
            Files.write(d.resolve(file == 0 ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte"), idx(0x801, new int[] {0}, new byte[0]));
            Path images = d.resolve(file == 0 ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte");
            // Read, no training samples would reach 'dst4j set' as a stack trace, no test samples an accuracy of 0.
            assertThatThrownBy(() -> DataSources.load(DataOptions.idx(d)).close()).isInstanceOf(DataFormatException.class)
                    .hasMessage(images + ": an image count of 0 at byte 4, expected at least one image");
        }
    }

    @Test
    void aGzipFileCutShortIsNamedAsTruncated() throws Exception {
        byte[] csv = gzip("1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,0\n".getBytes(StandardCharsets.UTF_8));
        byte[] labels = gzip(idxFiles()[1]);
        // Cut in the header, and before the trailer: GZIPInputStream's EOFException has no message, and both read "cannot read: null".
        for (int keep : new int[] {2, csv.length - 8}) {
            Path f = Files.write(dir.resolve("d" + keep + ".csv.gz"), Arrays.copyOf(csv, keep));
            assertThatThrownBy(() -> DataSources.unlabeled(f).close()).isInstanceOf(DataFormatException.class)
                    .hasMessage(f + ": cannot read: unexpected end of file (truncated?)");
        }
        for (int keep : new int[] {2, labels.length - 8}) {
            Path d = idxDir("cut" + keep, true, 0, idxFiles()[0]);
            Path f = Files.write(d.resolve("train-labels-idx1-ubyte.gz"), Arrays.copyOf(labels, keep));
            assertThatThrownBy(() -> DataSources.load(DataOptions.idx(d)).close()).isInstanceOf(DataFormatException.class)
                    .hasMessageEndingWith(": unexpected end of file (truncated?)").hasMessageContaining(f.toString());
        }
    }

    @Test
    void aDeviceGivenAsADataFileIsNamedAsOne() throws Exception {
        Path device = Path.of("/dev/null");
        assumeTrue(Files.exists(device) && !Files.isRegularFile(device));
        assertThatThrownBy(() -> DataSources.unlabeled(device)).isInstanceOf(DataFormatException.class)
                .hasMessage(device + ": not a regular file (a device or pipe), expected a file");
        Path csv = Files.writeString(dir.resolve("d.csv"), "1,2,0\n3,4,1\n");
        assertThatThrownBy(() -> DataSources.load(new DataOptions(csv, device, null, null, null, "last", 0.2, 1, 0, 0)))
                .isInstanceOf(DataFormatException.class).hasMessage("--test-data " + device + ": not a regular file (a device or pipe), expected a file");
        // As --data, under a data file's name: /dev/zero is refused, not read as one endless CSV line until the heap
        // runs out.
        Path zeros = Files.createSymbolicLink(dir.resolve("zeros.csv"), Path.of("/dev/zero"));
        assertThatThrownBy(() -> DataSources.load(new DataOptions(zeros, null, null, null, null, "last", 0.2, 1, 0, 0)))
                .isInstanceOf(DataFormatException.class).hasMessage("--data " + zeros + ": not a regular file (a device or pipe), expected a file");
        // In an IDX directory, under one of the four names: named as what it is, not reported missing.
        Path idx = Files.createDirectories(dir.resolve("idx"));
        Path labels = Files.createSymbolicLink(idx.resolve("train-labels-idx1-ubyte"), device);
        Path images = Files.createDirectories(idx.resolve("train-images-idx3-ubyte.gz"));
        assertThatThrownBy(() -> DataSources.idxDirectory(idx, "x")).isInstanceOf(DataFormatException.class)
                .hasMessage(images + ": a directory, expected a file");
        Files.delete(images);
        Files.write(idx.resolve("train-images-idx3-ubyte"), new byte[0]);
        assertThatThrownBy(() -> DataSources.idxDirectory(idx, "x")).isInstanceOf(DataFormatException.class)
                .hasMessage(labels + ": not a regular file (a device or pipe), expected a file");
    }

    static byte[] npy(String descr, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
        String h = dict + " ".repeat((64 - (10 + dict.length() + 1) % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length());
        b.put(h.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    @Test
    void anNpyShapeBeyondTheFileIsRefusedBeforeAllocatingForIt() throws Exception {
        // 2^26 float32 announced, 2 there: refused before a 256 MB array is allocated for them.
        Path x = Files.write(dir.resolve("x.npy"), npy("<f4", "67108864, 1", new byte[8]));
        long allocated = allocatedBy(() -> assertThatThrownBy(() -> DataSources.unlabeled(x)).isInstanceOf(DataFormatException.class)
                .hasMessage(x + ": truncated in the data at element 2 (byte 136), expected 67108864 elements of f4"));
        assertThat(allocated).as("bytes allocated").isLessThan(32L << 20);
    }

    @Test
    void anNpyShapeOfMoreBytesThanTheFileHoldsIsRefusedBeforeAllocatingForItEvenWhenTheFileIsLarge() throws Exception {
        // 2^24 float32 (64 MiB) announced and a quarter of them there: the shape is checked against the bytes it needs, not
        // against fewer (a check by count / size would let this file through to a 64 MiB array before the data ran out).
        Path x = Files.write(dir.resolve("x.npy"), npy("<f4", "16777216,", new byte[1 << 22]));
        long allocated = allocatedBy(() -> assertThatThrownBy(() -> NpyReader.read(x)).isInstanceOf(DataFormatException.class)
                .hasMessage(x + ": truncated in the data at element 1048576 (byte " + Files.size(x) + "), expected 16777216 elements of f4"));
        assertThat(allocated).as("bytes allocated").isLessThan(32L << 20);
    }

    @Test
    void anNpyTypeSizeBeyondAnIntIsNamedNotANumberFormatException() throws Exception {
        Path x = Files.write(dir.resolve("x.npy"), npy("<f99999999999", "2, 1", new byte[8]));
        assertThatThrownBy(() -> DataSources.unlabeled(x)).isInstanceOf(DataFormatException.class)
                .hasMessage(x + ": dtype '<f99999999999' not supported; expected float32, float64 or an integer type");
    }

    @Test
    void aCsvFileTooShortToHoldOutATestSplitIsNamedByItsPath() throws Exception {
        Path csv = Files.writeString(dir.resolve("d.csv"), "1,2,0\n3,4,1\n");
        assertThatThrownBy(() -> DataSources.load(new DataOptions(csv, null, null, null, null, "last", 0.2, 1, 0, 0)))
                .isInstanceOf(DataFormatException.class).hasMessage(csv + ": 2 samples are too few to hold out 0.2 for testing (each class gives"
                        + " round(0.2 x its samples) to the test set: none here, the largest class having 1); give a larger --test-fraction or a --test-data file");
        Path one = Files.writeString(dir.resolve("one.csv"), "1,2,0\n");
        assertThatThrownBy(() -> DataSources.load(new DataOptions(one, null, null, null, null, "last", 0.2, 1, 0, 0)))
                .isInstanceOf(DataFormatException.class).hasMessage(one + ": 1 sample is too few to hold out 0.2 for testing");
        // 500 classes of 2 samples: 1,000 samples in all, none of them held out.
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 1000; i++) many.append(i % 7).append(',').append(i % 500).append('\n');
        Path wide = Files.writeString(dir.resolve("many.csv"), many);
        assertThatThrownBy(() -> DataSources.load(new DataOptions(wide, null, null, null, null, "last", 0.2, 1, 0, 0)))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("1000 samples are too few to hold out 0.2 for testing (each class gives")
                .hasMessageContaining("the largest class having 2");
    }

    // ---- bounded deterministic fuzzing: every outcome is data, or a DataFormatException naming one of the files ----

    static List<byte[]> mutants(byte[] valid, long seed, int flips, int[] bigEndianInts) {
        List<byte[]> out = new ArrayList<>();
        for (int len = 0; len < valid.length; len += Math.max(1, valid.length / 40)) out.add(Arrays.copyOf(valid, len));
        out.add(Arrays.copyOf(valid, valid.length - 1));
        out.add(Arrays.copyOf(valid, valid.length + 3));
        Random r = new Random(seed);
        for (int k = 0; k < flips; k++) {
            byte[] c = valid.clone();
            c[r.nextInt(c.length)] ^= (byte) (1 << r.nextInt(8));
            out.add(c);
        }
        for (int at : bigEndianInts) {
            for (int v : new int[] {0, -1, 1, Integer.MAX_VALUE, Integer.MIN_VALUE, 65536, 1 << 28}) {
                byte[] c = valid.clone();
                ByteBuffer.wrap(c).putInt(at, v);
                out.add(c);
            }
        }
        return out;
    }

    interface Load {
        void load() throws Exception;
    }

    static void readOrRefused(String what, Load load, String... names) {
        try {
            load.load();
        } catch (DataFormatException e) {
            boolean named = false;
            for (String n : names) named |= e.getMessage().contains(n);
            if (!named) fail(what + ": the message names none of " + List.of(names) + ": " + e.getMessage());
        } catch (Throwable t) {
            throw new AssertionError(what + ": " + t, t);
        }
    }

    @Test
    void mutatedIdxFilesAreReadOrRefusedNamingTheFile() throws Exception {
        byte[][] valid = idxFiles();
        String[] names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
        int n = 0;
        for (int f = 0; f < 4; f++) {
            for (byte[] m : mutants(valid[f], f, 25, f % 2 == 0 ? new int[] {4, 8, 12} : new int[] {4})) {
                boolean gz = n % 3 == 0;
                Path d = idxDir("m" + n++, gz, f, m);
                // A test file's shape is checked against the training file's: that message names both.
                readOrRefused(names[f] + " #" + n, () -> DataSources.load(DataOptions.idx(d)).close(), names[f], names[f ^ 1]);
            }
        }
    }

    @Test
    void mutatedNpyFilesAreReadOrRefusedNamingTheFile() throws Exception {
        ByteBuffer xs = ByteBuffer.allocate(20 * 3 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 60; i++) xs.putFloat(i * 0.25f);
        ByteBuffer ys = ByteBuffer.allocate(20 * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 20; i++) ys.putLong(i % 2);
        byte[] x = npy("<f4", "20, 3", xs.array()), y = npy("<i8", "20,", ys.array());
        List<byte[]> xm = mutants(x, 1, 60, new int[0]), ym = mutants(y, 2, 40, new int[0]);
        for (String shape : new String[] {"", "-1, 3", "2147483647, 3", "99999999999999999999, 3", "20, 0", "0, 3", "3000000000, 0", "20, 3, 1"}) {
            xm.add(npy("<f4", shape, xs.array()));
            ym.add(npy("<i8", shape.replace(", 3", ","), ys.array()));
        }
        for (String descr : new String[] {"<f2", "<f99999999999", "|O", "<c8", ">f8", "|u1", "<U4"}) xm.add(npy(descr, "20, 3", xs.array()));
        int n = 0;
        for (int which = 0; which < 2; which++) {
            for (byte[] m : which == 0 ? xm : ym) {
                Path xf = Files.write(dir.resolve("x" + n + ".npy"), which == 0 ? m : x), yf = Files.write(dir.resolve("y" + n++ + ".npy"), which == 1 ? m : y);
                Path bad = which == 0 ? xf : yf;
                readOrRefused(bad + " #" + n, () -> DataSources.load(new DataOptions(xf, null, yf, null, null, "last", 0.2, 1, 0, 0)).close(), bad.toString());
                if (which == 0) readOrRefused(bad + " #" + n + " unlabeled", () -> DataSources.unlabeled(xf).close(), bad.toString());
            }
        }
    }

    @Test
    void mutatedCsvFilesAreReadOrRefusedNamingTheFile() throws Exception {
        StringBuilder sb = new StringBuilder("a,b,c,label\n");
        for (int i = 0; i < 30; i++) sb.append(i % 7).append(',').append(i * 0.5).append(',').append(-i).append(',').append(i % 3).append('\n');
        byte[] valid = sb.toString().getBytes(StandardCharsets.UTF_8);
        List<byte[]> ms = mutants(valid, 3, 80, new int[0]);
        String[] tokens = {"NaN", "inf", "1e40", "-1", "2147483648", "0x10", "\"", ",,", ";", "\t", "\u0000", "1.5", "\uFEFF", "\r", "\n\n"};
        Random r = new Random(4);
        for (int k = 0; k < 80; k++) {
            String s = sb.toString();
            int p = r.nextInt(s.length());
            ms.add((s.substring(0, p) + tokens[r.nextInt(tokens.length)] + s.substring(p + (k % 2))).getBytes(StandardCharsets.UTF_8));
        }
        int n = 0;
        for (byte[] m : ms) {
            boolean gz = n % 4 == 0;
            Path f = Files.write(dir.resolve("d" + n++ + (gz ? ".csv.gz" : ".csv")), gz ? gzip(m) : m);
            readOrRefused(f + " #" + n, () -> DataSources.load(new DataOptions(f, null, null, null, null, "last", 0.2, 1, 0, 0)).close(), f.toString());
            readOrRefused(f + " #" + n + " unlabeled", () -> DataSources.unlabeled(f).close(), f.toString());
        }
    }
}
