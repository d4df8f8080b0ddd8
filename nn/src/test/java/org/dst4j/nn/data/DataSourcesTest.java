package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DataSources' checks of options, limits and labels, and what its loaders leave open when they refuse. */
class DataSourcesTest {
    @TempDir Path dir;

    private Path csv(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static DataOptions files(Path data, Path test, Path labels, Path testLabels) {
        return new DataOptions(data, test, labels, testLabels, null, "last", 0.2, 7, 0, 0);
    }

    private static byte[] floats(int samples, int features) {
        ByteBuffer b = ByteBuffer.allocate(4 * samples * features).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < samples * features; i++) b.putFloat(i);
        return CsvNpyReaderTest.npy("<f4", samples + ", " + features, b, false);
    }

    private static byte[] labels(int... y) {
        ByteBuffer b = ByteBuffer.allocate(y.length);
        for (int l : y) b.put((byte) l);
        return CsvNpyReaderTest.npy("|u1", y.length + ",", b, false);
    }

    @Test
    void aModelOfOneInputAndOneClassIsTheLeastAndLessIsRefusedFirst() throws Exception {
        Path one = csv("one.csv", "f,label\n0.5,0\n1.5,0\n"), test = csv("t.csv", "f,label\n2.5,0\n");
        DataOptions o = files(one, test, null, null);
        try (DatasetSplit s = DataSources.loadForModel(o, 1, 1); Dataset t = DataSources.testForModel(o, 1, 1)) {
            assertThat(s.test().samples()).isEqualTo(1).isEqualTo(t.samples());
        }
        assertThatThrownBy(() -> DataSources.loadForModel(o, 0, 1)).isInstanceOf(IllegalArgumentException.class).hasMessage("modelInputs must be >= 1, got 0");
        assertThatThrownBy(() -> DataSources.loadForModel(o, 1, 0)).isInstanceOf(IllegalArgumentException.class).hasMessage("modelClasses must be >= 1, got 0");
        assertThatThrownBy(() -> DataSources.testForModel(o, 0, 1)).isInstanceOf(IllegalArgumentException.class).hasMessage("modelInputs must be >= 1, got 0");
        assertThatThrownBy(() -> DataSources.testForModel(o, 1, 0)).isInstanceOf(IllegalArgumentException.class).hasMessage("modelClasses must be >= 1, got 0");
        // A bad label column is refused before anything is read, even for data that has no label column (the embedded set).
        assertThatThrownBy(() -> DataSources.testForModel(new DataOptions(null, null, null, null, null, "middle", 0.2, 7, 0, 0), 784, 10))
                .isInstanceOf(DataOptionException.class).hasMessageContaining("middle");
    }

    @Test
    void theEmbeddedTestSetAloneIsItsThousandImages() throws Exception {
        try (Dataset t = DataSources.testForModel(DataOptions.embedded(), 784, 10); DatasetSplit all = DataSources.embedded()) {
            assertThat(t.name()).isEqualTo(DataSources.EMBEDDED + "/test");
            assertThat(t.samples()).isEqualTo(1000);
            assertThat(all.train().samples()).isEqualTo(3000);
            assertThat(t.checksum()).isEqualTo(all.test().checksum());
        }
    }

    // Not the JDK's message naming the parameter "o" from inside, or a field of a null record.
    @Test
    void nullOptionsAreRefusedByName() {
        assertThatThrownBy(() -> DataSources.load(null)).isInstanceOf(NullPointerException.class).hasMessage("options");
        assertThatThrownBy(() -> DataSources.load(DataOptions.named("mnist"), null)).isInstanceOf(NullPointerException.class).hasMessage("env");
        assertThatThrownBy(() -> DataSources.loadForModel(null, 2, 2)).isInstanceOf(NullPointerException.class).hasMessage("options");
        assertThatThrownBy(() -> DataSources.testForModel(null, 2, 2)).isInstanceOf(NullPointerException.class).hasMessage("options");
    }

    @Test
    void anNpyFileWithoutItsLabelsIsAnOptionMistake() throws Exception {
        Path x = Files.write(dir.resolve("x.npy"), floats(4, 2)), y = Files.write(dir.resolve("y.npy"), labels(0, 1, 0, 1));
        assertThatThrownBy(() -> DataSources.load(files(x, null, null, null))).isInstanceOf(DataOptionException.class)
                .hasMessage("--data " + x + " is a .npy feature array; give its labels with --labels FILE.npy");
        assertThatThrownBy(() -> DataSources.testForModel(files(x, x, y, null), 2, 2)).isInstanceOf(DataOptionException.class)
                .hasMessage("--test-data " + x + " needs --test-labels FILE.npy");
        try (Dataset t = DataSources.testForModel(files(x, x, y, y), 2, 2)) {
            assertThat(t.labels()).containsExactly(0, 1, 0, 1);
        }
    }

    @Test
    void aWrongWidthIsNamedWithBothCounts() throws Exception {
        Path x = Files.write(dir.resolve("x.npy"), floats(4, 2)), y = Files.write(dir.resolve("y.npy"), labels(0, 1, 0, 1));
        FeatureCountException e = catchThrowableOfType(FeatureCountException.class, () -> DataSources.testForModel(files(x, x, y, y), 3, 2));
        assertThat(e.data()).isEqualTo("x/test");
        assertThat(e.features()).isEqualTo(2);
        assertThat(e.expected()).isEqualTo(3);
    }

    @Test
    void aTestFileIsNamedAfterItselfNotAfterTheTrainingFile() throws Exception {
        // Not "train/test" ("accuracy ... on 4 samples of train/test"), named after --data.
        Path train = csv("train.csv", "f,label\n0,0\n1,1\n2,0\n3,1\n"), test = csv("held.csv", "f,label\n4,0\n5,1\n");
        Path x = Files.write(dir.resolve("xf.npy"), floats(4, 2)), y = Files.write(dir.resolve("yf.npy"), labels(0, 1, 0, 1));
        Path xt = Files.write(dir.resolve("xt.npy"), floats(2, 2)), yt = Files.write(dir.resolve("yt.npy"), labels(1, 0));
        for (DataOptions o : new DataOptions[] {files(train, test, null, null), files(x, xt, y, yt)}) {
            String name = o.testData().getFileName().toString().replace(".csv", "").replace(".npy", "") + "/test";
            try (DatasetSplit s = DataSources.load(o); DatasetSplit m = DataSources.loadForModel(o, s.train().features(), 2);
                 Dataset t = DataSources.testForModel(o, s.train().features(), 2)) {
                assertThat(s.train().name()).as("unchanged: a model's provenance records it").isEqualTo(o.data().getFileName().toString()
                        .replace(".csv", "").replace(".npy", "") + "/train");
                assertThat(s.test().name()).isEqualTo(name);
                assertThat(m.test().name()).isEqualTo(name);
                assertThat(t.name()).isEqualTo(name);
            }
            FeatureCountException e = catchThrowableOfType(FeatureCountException.class, () -> DataSources.testForModel(o, 3, 2));
            assertThat(e.data()).isEqualTo(name);
            e = catchThrowableOfType(FeatureCountException.class, () -> DataSources.loadForModel(o, 3, 2));
            assertThat(e.data()).isEqualTo(name);
        }
    }

    @Test
    void everyDataFileIsNamedWithoutTheExtensionItIsReadBy() throws Exception {
        // .tsv, .txt and another case lose it as .csv, .csv.gz and .npy do (not "d.tsv/train" beside "d/train").
        String text = "f,label\n0,0\n1,1\n2,0\n3,1\n4,0\n5,1\n6,0\n7,1\n8,0\n9,1\n";
        Path y = Files.write(dir.resolve("y.npy"), labels(0, 1, 0, 1, 0, 1, 0, 1, 0, 1));
        for (String file : new String[] {"d.csv", "d.tsv", "d.txt", "d.CSV", "d.Csv.Gz", "d.NPY"}) {
            Path sub = Files.createDirectory(dir.resolve(file + "-dir")), data = sub.resolve(file), test = sub.resolve("t" + file);
            boolean npy = file.endsWith("NPY");
            Files.write(data, npy ? floats(10, 1) : file.endsWith("Gz") ? gzip(text)
                    : (file.endsWith("tsv") ? text.replace(',', '\t') : text).getBytes(StandardCharsets.UTF_8));
            Files.copy(data, test);
            Path labels = npy ? y : null;
            try (DatasetSplit held = DataSources.load(files(data, null, labels, null)); DatasetSplit both = DataSources.load(files(data, test, labels, labels))) {
                assertThat(held.train().name()).as(file).isEqualTo("d");
                assertThat(both.train().name()).as(file).isEqualTo("d/train");
                assertThat(both.test().name()).as(file).isEqualTo("td/test");
            }
        }
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(b)) {
            z.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return b.toByteArray();
    }

    @Test
    void aRefusedTestSetOrHeldOutSplitIsFreed() throws Exception {
        try (LoadingOutOfMemoryTest.RecordedArenas arenas = new LoadingOutOfMemoryTest.RecordedArenas()) {
            // The embedded test set is read, then found to be of another width than the model's.
            assertThatThrownBy(() -> DataSources.testForModel(DataOptions.embedded(), 783, 10)).isInstanceOf(FeatureCountException.class);
            // A single file's held-out split has a label the model does not have.
            StringBuilder sb = new StringBuilder("f,label\n");
            for (int i = 0; i < 20; i++) sb.append(i).append(',').append(i % 3).append('\n');
            Path all = csv("all.csv", sb.toString());
            assertThatThrownBy(() -> DataSources.loadForModel(files(all, null, null, null), 1, 2)).isInstanceOf(DataFormatException.class)
                    .hasMessageContaining("held-out test split");
            // Both IDX sets read, then the test labels found beyond the model's classes: checked() frees the test set,
            // its caller the training set.
            assertThatThrownBy(() -> DataSources.loadForModel(DataOptions.embedded(), 784, 5)).isInstanceOf(DataFormatException.class)
                    .hasMessageContaining("outside the model's classes 0..4");
            assertThat(arenas.opened()).isPositive();
            assertThat(arenas.stillOpen()).isZero();
        }
    }

    @Test
    void holdOutTakesAFractionOfEachClassAndRefusesNoneOrAll() throws Exception {
        float[] x = new float[20];
        int[] y = new int[20];
        for (int i = 0; i < 20; i++) {
            x[i] = i;
            y[i] = i % 2;
        }
        try (DatasetSplit s = DataSources.holdOut(Dataset.of("d", x, 20, 1, y, 2), 0.25, 3)) {
            assertThat(s.test().samples()).isEqualTo(6); // round(10 * 0.25) = 3 of each class
            assertThat(s.train().samples()).isEqualTo(14);
        }
        for (double f : new double[] {0, 1}) {
            Dataset d = Dataset.of("d", x, 20, 1, y, 2);
            assertThatThrownBy(() -> DataSources.holdOut(d, f, 3)).isInstanceOf(DataFormatException.class)
                    .hasMessage("d: a single data file needs --test-fraction in (0, 1), got " + f);
            assertThatThrownBy(() -> d.get(0, 0)).as("closed").isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aClassTooSmallToBeInBothSetsOfAHoldOutIsNamed() throws Exception {
        // Classes of 30, 30 and 2 samples: at 0.2 the small one gives round(0.4) = 0 to the test set, at 0.8 round(1.6) = 2,
        // all it has, and the model never trains on it. Both are warned about.
        float[] x = new float[62];
        int[] y = new int[62];
        for (int i = 0; i < 62; i++) y[i] = i < 60 ? i % 2 : 2;
        try (DatasetSplit s = DataSources.holdOut(Dataset.of("d", x, 62, 1, y, 3), 0.2, 42)) {
            assertThat(s.test().samples()).isEqualTo(12);
            assertThat(s.warnings()).containsExactly("d: class 2 has too few samples to hold out 0.2: none in the test set");
        }
        try (DatasetSplit s = DataSources.holdOut(Dataset.of("d", x, 62, 1, y, 3), 0.8, 42)) {
            assertThat(s.train().samples()).isEqualTo(12);
            assertThat(s.warnings()).containsExactly("d: holding out 0.8 for testing leaves class 2 without a training sample"
                    + " (each class gives round(0.8 x its samples) to the test set): the model cannot learn it");
        }
        try (DatasetSplit s = DataSources.holdOut(Dataset.of("d", x, 62, 1, y, 3), 0.5, 42)) {
            assertThat(s.warnings()).isEmpty();
        }
        int[] y4 = y.clone();
        y4[0] = 3; // classes 2 and 3 of 2 and 1 samples
        y4[2] = 3;
        try (DatasetSplit s = DataSources.holdOut(Dataset.of("d", x, 62, 1, y4, 4), 0.2, 42)) {
            assertThat(s.warnings()).containsExactly("d: classes 2, 3 have too few samples to hold out 0.2: none in the test set");
        }
    }

    @Test
    void aNamedDatasetWhoseLabelsCannotBeIdentifiedIsReportedByTheFullRead() throws Exception {
        // train-labels that are gzip's magic and then nothing a gzip stream holds: the first-labels peek fails, the full read names the file.
        Files.write(dir.resolve("train-images-idx3-ubyte"), new byte[16]);
        Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), new byte[] {0x1f, (byte) 0x8b, 1, 2, 3});
        assertThatThrownBy(() -> DataSources.load(DataOptions.named("mnist"), Map.of("DST4J_DATA", dir.toString())))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("missing t10k-images-idx3-ubyte");
        if (!Files.isDirectory(Path.of("/usr/share/datasets/mnist"))) {
            assertThatThrownBy(() -> DataSources.load(DataOptions.named("mnist"), Map.of())).isInstanceOf(DataFormatException.class)
                    .hasMessageStartingWith("dataset 'mnist' not found in $DST4J_DATA (unset) nor /usr/share/datasets/mnist; ");
        }
    }
}
