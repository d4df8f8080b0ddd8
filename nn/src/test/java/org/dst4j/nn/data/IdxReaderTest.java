package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.dst4j.runtime.dense.DenseMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    private static byte[] images(int n, int rows, int cols, int magic) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(b);
        o.writeInt(magic);
        o.writeInt(n);
        o.writeInt(rows);
        o.writeInt(cols);
        for (int i = 0; i < n * rows * cols; i++) o.writeByte(i * 7 % 256);
        return b.toByteArray();
    }

    private static byte[] labels(int n) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(b);
        o.writeInt(0x801);
        o.writeInt(n);
        for (int i = 0; i < n; i++) o.writeByte(i % 10);
        return b.toByteArray();
    }

    private static byte[] labelFile(int... y) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(b);
        o.writeInt(0x801);
        o.writeInt(y.length);
        for (int l : y) o.writeByte(l);
        return b.toByteArray();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b)) {
            g.write(raw);
        }
        return b.toByteArray();
    }

    private static void dir(Path d, byte[] trainImages, byte[] trainLabels, boolean gz) throws IOException {
        String s = gz ? ".gz" : "";
        Files.write(d.resolve("train-images-idx3-ubyte" + s), gz ? gzip(trainImages) : trainImages);
        Files.write(d.resolve("train-labels-idx1-ubyte" + s), gz ? gzip(trainLabels) : trainLabels);
        ByteBuffer header = ByteBuffer.wrap(trainImages);
        byte[] testImages = images(4, header.getInt(8), header.getInt(12), 0x803); // the train images' shape
        Files.write(d.resolve("t10k-images-idx3-ubyte" + s), gz ? gzip(testImages) : testImages);
        Files.write(d.resolve("t10k-labels-idx1-ubyte" + s), gz ? gzip(labels(4)) : labels(4));
    }

    @Test
    void readsPlainAndGzipWithPixelsScaledToUnitRange(@TempDir Path tmp) throws Exception {
        for (boolean gz : new boolean[] {false, true}) {
            Path d = Files.createDirectories(tmp.resolve("gz" + gz));
            dir(d, images(11, 3, 5, 0x803), labels(11), gz);
            try (DatasetSplit s = DataSources.load(DataOptions.idx(d))) {
                Dataset t = s.train();
                assertThat(t.samples()).isEqualTo(11);
                assertThat(t.features()).isEqualTo(15);
                assertThat(t.imageRows()).isEqualTo(3);
                assertThat(t.imageCols()).isEqualTo(5);
                assertThat(t.classes()).isEqualTo(10);
                assertThat(t.label(7)).isEqualTo(7);
                assertThat(t.get(2, 4)).isEqualTo(((2 * 15 + 4) * 7 % 256) / 255f);
                assertThat(s.test().samples()).isEqualTo(4);
                // gatherBatch puts sample order[from + c] into column c of the feature-major batch.
                try (DenseMatrix x = DenseMatrix.allocate(15, 20)) {
                    int[] order = {10, 3, 5, 0};
                    t.gatherBatch(order, 1, 3, x);
                    for (int c = 0; c < 3; c++) for (int f = 0; f < 15; f++) assertThat(x.get(f, c)).isEqualTo(t.get(order[1 + c], f));
                }
            }
        }
    }

    // The reader checks a header's counts against the gzip trailer's length, which is the last member's only: a
    // file of several members (cat a.gz b.gz) must be measured in full, not refused as truncated.
    @Test
    void aGzipFileOfSeveralMembersLoadsAsOneOfOneMember(@TempDir Path tmp) throws Exception {
        byte[] img = images(11, 3, 5, 0x803), lab = labels(11);
        Path one = Files.createDirectories(tmp.resolve("one")), two = Files.createDirectories(tmp.resolve("two"));
        dir(one, img, lab, true);
        dir(two, img, lab, true);
        for (var f : new Object[][] {{"train-images-idx3-ubyte.gz", img}, {"train-labels-idx1-ubyte.gz", lab}}) {
            byte[] raw = (byte[]) f[1];
            int half = raw.length / 2;
            ByteArrayOutputStream cat = new ByteArrayOutputStream();
            cat.write(gzip(Arrays.copyOfRange(raw, 0, half)));
            cat.write(gzip(Arrays.copyOfRange(raw, half, raw.length)));
            Files.write(two.resolve((String) f[0]), cat.toByteArray());
        }
        try (DatasetSplit a = DataSources.load(DataOptions.idx(one)); DatasetSplit b = DataSources.load(DataOptions.idx(two))) {
            assertThat(b.train().checksum()).isEqualTo(a.train().checksum());
            assertThat(b.train().labels()).isEqualTo(a.train().labels());
        }
    }

    @Test
    void theTestSetAloneIsReadWithoutTheTrainingFiles(@TempDir Path tmp) throws Exception {
        Path good = Files.createDirectories(tmp.resolve("good")), broken = Files.createDirectories(tmp.resolve("broken"));
        for (boolean gz : new boolean[] {false, true}) {
            dir(good, images(11, 3, 5, 0x803), labels(11), gz);
            dir(broken, images(11, 3, 5, 0x802), labels(11), gz); // training images of the wrong magic: never read
            try (DatasetSplit s = DataSources.loadForModel(DataOptions.idx(good), 15, 10); Dataset t = DataSources.testForModel(DataOptions.idx(broken), 15, 10)) {
                assertThat(t.samples()).isEqualTo(4);
                assertThat(t.checksum()).isEqualTo(s.test().checksum());
                assertThat(t.labels()).isEqualTo(s.test().labels());
                assertThat(t.classes()).isEqualTo(s.test().classes());
                assertThat(t.name()).isEqualTo("broken/test");
            }
            assertThatThrownBy(() -> DataSources.testForModel(DataOptions.idx(broken), 16, 10)).isInstanceOf(FeatureCountException.class);
            assertThatThrownBy(() -> DataSources.testForModel(DataOptions.idx(broken), 15, 2)).isInstanceOf(DataFormatException.class)
                    .hasMessageContaining("outside the model's classes 0..1");
        }
        try (DatasetSplit s = DataSources.loadForModel(DataOptions.embedded(), 784, 10); Dataset t = DataSources.testForModel(DataOptions.embedded(), 784, 10)) {
            assertThat(t.checksum()).isEqualTo(s.test().checksum());
            assertThat(t.name()).isEqualTo(s.test().name());
        }
    }

    @Test
    void brokenFilesAreNamedWithThePosition(@TempDir Path tmp) throws Exception {
        Path a = Files.createDirectories(tmp.resolve("truncated"));
        byte[] img = images(11, 3, 5, 0x803);
        dir(a, Arrays.copyOf(img, img.length - 20), labels(11), false);
        assertThatThrownBy(() -> DataSources.load(DataOptions.idx(a))).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("train-images-idx3-ubyte: truncated at image 9");
        Path b = Files.createDirectories(tmp.resolve("magic"));
        dir(b, images(11, 3, 5, 0x802), labels(11), true);
        assertThatThrownBy(() -> DataSources.load(DataOptions.idx(b))).hasMessageContaining("wrong magic 0x802 at byte 0");
        Path c = Files.createDirectories(tmp.resolve("count"));
        dir(c, images(11, 3, 5, 0x803), labels(12), false);
        assertThatThrownBy(() -> DataSources.load(DataOptions.idx(c))).hasMessageContaining("11 images but").hasMessageContaining("12 labels");
        Path d = Files.createDirectories(tmp.resolve("missing"));
        assertThatThrownBy(() -> DataSources.load(DataOptions.idx(d))).hasMessageContaining("missing train-images-idx3-ubyte");
        // A header whose rows x cols overflow an int: negative at 46341 x 46341, 0 at 65536 x 65536.
        for (int side : new int[] {65536, 46341}) {
            Path e = Files.createDirectories(tmp.resolve("huge" + side));
            byte[] header = ByteBuffer.allocate(16).putInt(0x803).putInt(1).putInt(side).putInt(side).array();
            Files.write(e.resolve("train-images-idx3-ubyte"), header);
            Files.write(e.resolve("train-labels-idx1-ubyte"), labels(1));
            Files.write(e.resolve("t10k-images-idx3-ubyte"), header);
            Files.write(e.resolve("t10k-labels-idx1-ubyte"), labels(1));
            assertThatThrownBy(() -> DataSources.load(DataOptions.idx(e))).isInstanceOf(DataFormatException.class)
                    .hasMessageContaining("train-images-idx3-ubyte: images of " + side + " x " + side
                            + " pixels at byte 8 hold more than 2147483631 features (2^31 - 17), the most supported per image");
        }
    }

    @Test
    void testImagesOfAnotherShapeThanTrainAreRejectedAtLoadNamingBothFiles(@TempDir Path tmp) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("dims"));
        dir(d, images(11, 3, 5, 0x803), labels(11), true);
        Files.write(d.resolve("t10k-images-idx3-ubyte.gz"), gzip(images(4, 4, 4, 0x803)));
        assertThatThrownBy(() -> DataSources.load(DataOptions.idx(d))).isInstanceOf(DataFormatException.class)
                .hasMessage(d.resolve("t10k-images-idx3-ubyte.gz") + ": 4x4 images (16 features), but "
                        + d.resolve("train-images-idx3-ubyte.gz") + " has 3x5 (15)");
        // Same feature count, other shape: the pixels would not correspond either.
        Files.write(d.resolve("t10k-images-idx3-ubyte.gz"), gzip(images(4, 5, 3, 0x803)));
        assertThatThrownBy(() -> DataSources.load(DataOptions.idx(d))).hasMessageContaining("5x3 images (15 features)");
    }

    @Test
    void testLabelOutsideTheTrainingClassesFailsAtLoadNamingFileSampleLabelAndRange(@TempDir Path tmp) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("badlabel"));
        dir(d, images(11, 3, 5, 0x803), labels(11), false);
        Files.write(d.resolve("t10k-labels-idx1-ubyte"), labelFile(0, 1, 200, 3));
        assertThatThrownBy(() -> DataSources.load(DataOptions.idx(d))).isInstanceOf(DataFormatException.class)
                .hasMessage(d.resolve("t10k-labels-idx1-ubyte") + ": sample 2 (0-based) has label 200, outside the classes 0..9 of the training labels "
                        + d.resolve("train-labels-idx1-ubyte"));
        // Applying a trained model, its classes are what counts, not the training file's.
        assertThatThrownBy(() -> DataSources.loadForModel(DataOptions.idx(d), 15, 200)).isInstanceOf(DataFormatException.class)
                .hasMessage(d.resolve("t10k-labels-idx1-ubyte") + ": sample 2 (0-based) has label 200, outside the model's classes 0..199");
        try (DatasetSplit s = DataSources.loadForModel(DataOptions.idx(d), 15, 201)) {
            assertThat(s.test().label(2)).isEqualTo(200);
            assertThat(s.warnings()).isEmpty();
            // The split stays consistent: the training set (unused by a model) takes the test set's class count.
            assertThat(s.test().classes()).isEqualTo(201);
            assertThat(s.train().classes()).isEqualTo(201);
            assertThat(s.train().samples()).isEqualTo(11);
            assertThat(s.train().get(10, 14)).isEqualTo((10 * 15 + 14) * 7 % 256 / 255f);
        }
    }

    @Test
    void aCorruptTrainLabelIsAnErrorWhenItMakesMoreClassesThanSamplesElseAWarning(@TempDir Path tmp) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("trainbadlabel"));
        int[] y = new int[11];
        for (int i = 0; i < 10; i++) y[i] = i;
        y[10] = 255;
        dir(d, images(11, 3, 5, 0x803), labelFile(y), false);
        assertThatThrownBy(() -> DataSources.load(DataOptions.idx(d))).isInstanceOf(DataFormatException.class)
                .hasMessage(d.resolve("train-labels-idx1-ubyte") + ": the largest label is 255, which would make 256 classes, more than the 11 samples;"
                        + " expected class indices 0, 1, 2, ...");

        y = new int[300];
        for (int i = 0; i < y.length; i++) y[i] = i % 10;
        y[123] = 255;
        dir(d, images(300, 1, 2, 0x803), labelFile(y), false);
        try (DatasetSplit s = DataSources.load(DataOptions.idx(d))) {
            assertThat(s.train().classes()).isEqualTo(256); // a warning only: the classes stay as the labels make them
            assertThat(s.warnings()).containsExactly(d.resolve("train-labels-idx1-ubyte")
                    + ": no sample has label 10..254, although the largest label, 255, makes 256 classes");
        }
        // --limit-train keeps the warning about the file.
        try (DatasetSplit s = DataSources.load(new DataOptions(d, null, null, null, null, "last", 0.2, 0, 50, 2))) {
            assertThat(s.train().samples()).isEqualTo(50);
            assertThat(s.warnings()).hasSize(1);
        }
    }

    @Test
    void aCorruptGzipStreamIsReportedForItsOwnFileOnly(@TempDir Path tmp) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("flip"));
        dir(d, images(11, 3, 5, 0x803), labels(11), true);
        byte[] gz = gzip(images(4, 3, 5, 0x803));
        gz[10] = (byte) 0xff; // the first deflate block header: block type 3 does not exist
        Files.write(d.resolve("t10k-images-idx3-ubyte.gz"), gz);
        assertThatThrownBy(() -> DataSources.load(DataOptions.idx(d))).isInstanceOf(DataFormatException.class)
                .hasMessage(d.resolve("t10k-images-idx3-ubyte.gz") + ": cannot read: invalid block type");
    }

    @Test
    void namedDatasetLooksInDst4jDataThenExplainsHowToGetIt(@TempDir Path tmp) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("fashion-mnist"));
        dir(d, images(6, 2, 2, 0x803), labels(6), true);
        try (DatasetSplit s = DataSources.load(DataOptions.named("fashion-mnist"), Map.of("DST4J_DATA", tmp.toString()))) {
            assertThat(s.train().samples()).isEqualTo(6);
        }
        if (!Files.isDirectory(DataSources.DEBIAN_FASHION_MNIST)) {
            assertThatThrownBy(() -> DataSources.load(DataOptions.named("fashion-mnist"), Map.of()))
                    .hasMessageContaining("apt-get install dataset-fashion-mnist").hasMessageContaining("DST4J_DATA");
        }
        assertThatThrownBy(() -> DataSources.load(DataOptions.named("cifar"), Map.of())).isInstanceOf(DataOptionException.class)
                .hasMessageContaining("unknown dataset 'cifar'");
    }

    // The two datasets' files have the same names: DST4J_DATA pointing straight at Fashion-MNIST must not
    // load it as "mnist". The canonical files are recognized by their first ten training labels.
    @Test
    void oneDatasetIsNotLoadedUnderTheOthersName(@TempDir Path tmp) throws Exception {
        int[][] first = {{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, {5, 0, 4, 1, 9, 2, 1, 3, 1, 4}};
        String[] holds = {"Fashion-MNIST", "MNIST"}, asked = {"mnist", "fashion-mnist"};
        for (int k = 0; k < 2; k++) {
            Path d = Files.createDirectories(tmp.resolve("d" + k));
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream o = new DataOutputStream(b);
            o.writeInt(0x801);
            o.writeInt(12);
            for (int i = 0; i < 12; i++) o.writeByte(i < 10 ? first[k][i] : i % 10);
            dir(d, images(12, 2, 2, 0x803), b.toByteArray(), true);
            String name = asked[k];
            assertThatThrownBy(() -> DataSources.load(DataOptions.named(name), Map.of("DST4J_DATA", d.toString())))
                    .isInstanceOf(DataOptionException.class)
                    .hasMessageStartingWith("--dataset " + name + ": " + d + " holds " + holds[k] + " (its first training labels are " + holds[k] + "'s)");
            // Under its own name it loads.
            try (DatasetSplit s = DataSources.load(DataOptions.named(asked[1 - k]), Map.of("DST4J_DATA", d.toString()))) {
                assertThat(s.train().samples()).isEqualTo(12);
            }
        }
        // Told apart from the labels alone, before the (here truncated) images are read.
        Path d = tmp.resolve("d0");
        byte[] img = Files.readAllBytes(d.resolve("train-images-idx3-ubyte.gz"));
        Files.write(d.resolve("train-images-idx3-ubyte.gz"), Arrays.copyOf(img, img.length / 2));
        assertThatThrownBy(() -> DataSources.load(DataOptions.named("mnist"), Map.of("DST4J_DATA", d.toString())))
                .isInstanceOf(DataOptionException.class).hasMessageContaining(" holds Fashion-MNIST ");
    }

    @Test
    void embeddedDatasetIsBalancedAndStandardizerIsFittedOnTrainOnly() throws Exception {
        try (DatasetSplit s = DataSources.load(DataOptions.embedded())) {
            assertThat(s.train().samples()).isEqualTo(3000);
            assertThat(s.test().samples()).isEqualTo(1000);
            assertThat(s.warnings()).isEmpty();
            int[] counts = new int[10];
            for (int l : s.train().labels()) counts[l]++;
            assertThat(counts).containsOnly(300);
            Standardizer std = Standardizer.fit(s.train());
            try (Dataset copy = s.train().subset(new int[] {0, 1, 2})) {
                std.apply(copy);
                assertThat(copy.get(1, 400)).isEqualTo((s.train().get(1, 400) - std.mean()[400]) * (1f / std.std()[400]));
            }
            double mean = 0;
            for (int i = 0; i < 3000; i++) mean += (s.train().get(i, 400) - std.mean()[400]) / std.std()[400];
            assertThat(Math.abs(mean / 3000)).isLessThan(1e-4);
        }
    }

    // Images and labels files written to `tmp`, read by the path reader.
    private static Dataset readFiles(Path tmp, byte[] images, byte[] labels) throws Exception {
        Path i = tmp.resolve("images-idx3-ubyte"), l = tmp.resolve("labels-idx1-ubyte");
        Files.write(i, images);
        Files.write(l, labels);
        return IdxReader.read("t", i, l);
    }

    // Guards "rows <= 0 || cols <= 0": a header of no pixel rows or columns loaded as images of 0 features.
    @Test
    void imagesOfNoPixelRowsOrColumnsAreRefused(@TempDir Path tmp) throws Exception {
        Path i = tmp.resolve("images-idx3-ubyte");
        assertThatThrownBy(() -> readFiles(tmp, images(2, 0, 5, 0x803), labels(2)).close()).isInstanceOf(DataFormatException.class)
                .hasMessage(i + ": bad dimensions 2 x 0 x 5 at byte 4");
        assertThatThrownBy(() -> readFiles(tmp, images(2, 5, 0, 0x803), labels(2)).close()).isInstanceOf(DataFormatException.class)
                .hasMessage(i + ": bad dimensions 2 x 5 x 0 at byte 4");
        assertThatThrownBy(() -> readFiles(tmp, images(0, 5, 5, 0x803), labels(0)).close()).isInstanceOf(DataFormatException.class)
                .hasMessage(i + ": an image count of 0 at byte 4, expected at least one image");
        try (Dataset d = readFiles(tmp, images(2, 1, 1, 0x803), labels(2))) {
            assertThat(d.features()).isEqualTo(1);
        }
    }

    // 2^31 - 17 features is the most supported, so its header passes to the truncation check (nothing allocated); one
    // more is refused as too large, naming that limit, not 2^31.
    @Test
    void theLargestSupportedImageIsTheLimitNotOneBelow(@TempDir Path tmp) throws Exception {
        Path i = tmp.resolve("images-idx3-ubyte");
        byte[] largest = ByteBuffer.allocate(16).putInt(0x803).putInt(1).putInt(3).putInt((Integer.MAX_VALUE - 16) / 3).array();
        assertThat(3L * ((Integer.MAX_VALUE - 16) / 3)).isEqualTo(Integer.MAX_VALUE - 16);
        assertThatThrownBy(() -> readFiles(tmp, largest, labels(1)).close()).isInstanceOf(DataFormatException.class)
                .hasMessage(i + ": truncated at image 0 (byte 16), expected 1 images");
        byte[] over = ByteBuffer.allocate(16).putInt(0x803).putInt(1).putInt(1).putInt(Integer.MAX_VALUE - 15).array();
        assertThatThrownBy(() -> readFiles(tmp, over, labels(1)).close()).isInstanceOf(DataFormatException.class)
                .hasMessage(i + ": images of 1 x 2147483632 pixels at byte 8 hold more than 2147483631 features (2^31 - 17), the most supported per image");
    }

    // Guards the byte offsets the errors name, from a path and from a stream.
    @Test
    void truncatedAndOverlongFilesNameTheByteOffset(@TempDir Path tmp) throws Exception {
        Path i = tmp.resolve("images-idx3-ubyte"), l = tmp.resolve("labels-idx1-ubyte");
        byte[] img = images(5, 3, 4, 0x803);
        // 16 + 2 * 12 + 7 bytes: images 0 and 1 whole, image 2 cut
        assertThatThrownBy(() -> readFiles(tmp, Arrays.copyOf(img, 16 + 2 * 12 + 7), labels(5)).close())
                .hasMessage(i + ": truncated at image 2 (byte 40), expected 5 images");
        assertThatThrownBy(() -> IdxReader.read("t", new ByteArrayInputStream(Arrays.copyOf(img, 16 + 2 * 12 + 7)), "imgs",
                new ByteArrayInputStream(labels(5)), "labs").close()).hasMessage("imgs: truncated at image 2 (byte 40), expected 5 images");
        assertThatThrownBy(() -> readFiles(tmp, Arrays.copyOf(img, img.length + 1), labels(5)).close())
                .hasMessage(i + ": unexpected bytes after 5 images (byte 76)");
        assertThatThrownBy(() -> readFiles(tmp, img, Arrays.copyOf(labels(5), 8 + 5 + 2)).close())
                .hasMessage(l + ": unexpected bytes after 5 labels (byte 13)");
    }
}
