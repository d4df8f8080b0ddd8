package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.MultiHeadMlp;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Calls of a few samples reuse a classifier's kept buffers (NarrowBuffer) instead of allocating per call:
 * every call must still give what the same call on a fresh classifier gives, bit for bit, whatever calls
 * of other sizes and samples came before it.
 */
class NarrowPredictionTest {
    private static final int FEATURES = 200, CLASSES = 5;

    // 200 inputs at density 0.5: about 100 connections per row, so batches of 1 and 2 take the products
    // along the connections and wider ones the vector path (PanamaKernels.alongConnections).
    private static MlpConfig config(int... hidden) {
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = FEATURES;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = CLASSES;
        return new MlpConfig(sizes, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.5), new WeightInit.HeUniform());
    }

    private static Standardizer standardizer() {
        float[] mean = new float[FEATURES], std = new float[FEATURES];
        for (int f = 0; f < FEATURES; f++) {
            mean[f] = 0.01f * f;
            std[f] = 0.5f + 0.003f * f;
        }
        return new Standardizer(mean, std);
    }

    private static float[] samples(int n, long seed) {
        RandomStream rnd = new RandomStream(seed);
        float[] x = new float[n * FEATURES];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    // The saved models: a single network, an ensemble of two, a multi-head network; each with a standardizer,
    // so that a buffer standardized twice, or not refilled, would show.
    private static List<Path> models(Path dir) throws Exception {
        Path single = dir.resolve("single.dst4j"), ensemble = dir.resolve("ensemble"), heads = dir.resolve("heads");
        Files.createDirectories(ensemble);
        try (SparseClassifier a = new SparseClassifier(SparseMlp.create(config(64), new RandomStream(1), 1), standardizer(), Map.of(), 1);
             SparseClassifier b = new SparseClassifier(SparseMlp.create(config(32, 16), new RandomStream(2), 1), standardizer(), Map.of(), 1);
             MultiHeadMlp m = MultiHeadMlp.create(config(64, 32), 1, 3, new RandomStream(3), new RandomStream(4))) {
            a.save(single);
            a.save(ensemble.resolve("a.dst4j"));
            b.save(ensemble.resolve("b.dst4j"));
            EnsembleClassifier.writeManifest(ensemble, List.of("a.dst4j", "b.dst4j"), Map.of());
            MultiHeadClassifier.save(m, heads, standardizer(), Map.of());
        }
        return List.of(single, ensemble, heads);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void everyCallGivesWhatTheSameCallOnAFreshClassifierGives(int threads, @TempDir Path dir) throws Exception {
        int[] sizes = {1, 3, 1, 8, 9, 2, 1, 1, 8, 20, 2, 1};
        float[] pool = samples(Arrays.stream(sizes).sum(), 11);
        for (Path model : models(dir)) {
            try (Classifier kept = Classifier.load(model, threads)) {
                int from = 0;
                for (int n : sizes) {
                    float[] x = Arrays.copyOfRange(pool, from * FEATURES, (from + n) * FEATURES);
                    from += n;
                    float[] expected;
                    int[] expectedClasses;
                    try (Classifier fresh = Classifier.load(model, threads); Dataset d = Dataset.unlabeled("x", x, FEATURES)) {
                        expected = fresh.predictProbabilities(d);
                    }
                    try (Classifier fresh = Classifier.load(model, threads); Dataset d = Dataset.unlabeled("x", x, FEATURES)) {
                        expectedClasses = fresh.predict(d);
                    }
                    String what = model.getFileName() + ", " + n + " samples";
                    assertThat(kept.predictProbabilities(x)).as(what + ", raw floats").containsExactly(expected);
                    assertThat(kept.predict(x)).as(what + ", raw floats").containsExactly(expectedClasses);
                    try (Dataset d = Dataset.unlabeled("x", x, FEATURES)) {
                        assertThat(kept.predictProbabilities(d)).as(what + ", dataset").containsExactly(expected);
                        assertThat(kept.predict(d)).as(what + ", dataset").containsExactly(expectedClasses);
                    }
                    // The input array is read, never standardized in place.
                    assertThat(x).containsExactly(Arrays.copyOfRange(pool, (from - n) * FEATURES, from * FEATURES));
                }
            }
        }
    }

    // A 1,000-sample call leaves no predict buffers sized for 1,000 samples in the network until close (23.6 MB on a
    // 784-1000-1000-1000-10 model of 1 MB): a device that scores a batch now and then would keep them for good.
    @Test
    void aWideCallLeavesNoBuffersSizedForItInTheNetwork() {
        int wide = 1000;
        float[] x = samples(wide, 5);
        int[] labels = new int[wide];
        for (int i = 0; i < wide; i++) labels[i] = i % CLASSES;
        try (SparseClassifier c = new SparseClassifier(SparseMlp.create(config(64, 32), new RandomStream(1), 1), standardizer(), Map.of(), 1);
             Dataset d = Dataset.of("x", x, wide, FEATURES, labels, CLASSES)) {
            c.predict(Arrays.copyOf(x, FEATURES));
            long narrow = c.network().byteSize();
            c.predict(d);
            assertThat(c.network().byteSize()).as("after predict(Dataset)").isLessThanOrEqualTo(narrow);
            c.predictProbabilities(d);
            assertThat(c.network().byteSize()).as("after predictProbabilities(Dataset)").isLessThanOrEqualTo(narrow);
            c.evaluate(d);
            assertThat(c.network().byteSize()).as("after evaluate").isLessThanOrEqualTo(narrow);
            c.predictProbabilities(x);
            assertThat(c.network().byteSize()).as("after predictProbabilities(float[])").isLessThanOrEqualTo(narrow);
            c.predictProbabilities(Arrays.copyOf(x, FEATURES));
            assertThat(c.network().byteSize()).as("a narrow call again").isEqualTo(narrow);
        }
    }

    // Every wide call allocates its output matrix; one not closed would leak its size off-heap per call.
    @Test
    void repeatedCallsHoldNoMoreOffHeapMemoryThanTheFirst(@TempDir Path dir) throws Exception {
        float[] x = samples(20, 9);
        for (Path model : models(dir)) {
            try (Classifier c = Classifier.load(model, 1); Dataset d = Dataset.unlabeled("x", x, FEATURES)) {
                c.predictProbabilities(d);
                c.predict(Arrays.copyOf(x, FEATURES));
                long held = OffHeap.bytesInUse();
                for (int i = 0; i < 3; i++) {
                    c.predictProbabilities(d);
                    c.predict(d);
                    c.predict(Arrays.copyOf(x, FEATURES));
                }
                assertThat(OffHeap.bytesInUse()).as(model.getFileName().toString()).isEqualTo(held);
            }
        }
    }

    @Test
    void aWideCallLeavesNoBuffersSizedForItInAMultiHeadNetwork(@TempDir Path dir) throws Exception {
        int wide = 1000;
        float[] x = samples(wide, 5);
        int[] labels = new int[wide];
        for (int i = 0; i < wide; i++) labels[i] = i % CLASSES;
        try (MultiHeadClassifier c = (MultiHeadClassifier) Classifier.load(models(dir).get(2), 1);
             Dataset d = Dataset.of("x", x, wide, FEATURES, labels, CLASSES)) {
            c.predict(Arrays.copyOf(x, FEATURES));
            long narrow = c.network().byteSize();
            c.predict(d);
            assertThat(c.network().byteSize()).as("after predict(Dataset)").isLessThanOrEqualTo(narrow);
            c.evaluate(d);
            assertThat(c.network().byteSize()).as("after evaluate").isLessThanOrEqualTo(narrow);
            c.headProbabilities(d);
            assertThat(c.network().byteSize()).as("after headProbabilities").isLessThanOrEqualTo(narrow);
            c.predictProbabilities(Arrays.copyOf(x, FEATURES));
            assertThat(c.network().byteSize()).as("a narrow call again").isEqualTo(narrow);
        }
    }

    @Test
    void refusalsAreTheDatasetsAndAClosedClassifierStaysClosed(@TempDir Path dir) throws Exception {
        for (Path model : models(dir)) {
            Classifier c = Classifier.load(model, 1);
            assertThatThrownBy(() -> c.predictProbabilities(new float[FEATURES + 3])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("features: expected one or more samples of " + FEATURES + " features, got " + (FEATURES + 3) + " values");
            assertThatThrownBy(() -> c.predict(new float[0])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0 values");
            assertThatThrownBy(() -> c.predict((float[]) null)).isInstanceOf(NullPointerException.class).hasMessage("features");
            c.predictProbabilities(samples(1, 5));
            c.close();
            assertThatThrownBy(() -> c.predictProbabilities(samples(1, 5))).as(model.getFileName().toString())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            assertThatThrownBy(() -> c.predict(samples(2, 5))).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void theBufferIsKeptForOneShapeOfAFewSamplesAndFreedWhenReplacedOrClosed() {
        NarrowBuffer b = new NarrowBuffer();
        assertThat(b.get(7, 0)).isNull();
        assertThat(b.get(7, NarrowBuffer.MAX_SAMPLES + 1)).isNull();
        DenseMatrix one = b.get(7, 1);
        assertThat(one.rows()).isEqualTo(7);
        assertThat(one.cols()).isEqualTo(1);
        assertThat(b.get(7, 1)).isSameAs(one);
        DenseMatrix three = b.get(7, 3);
        assertThat(three).isNotSameAs(one);
        assertThat(one.segment().scope().isAlive()).as("the replaced matrix is freed").isFalse();
        assertThat(b.get(8, 3)).isNotSameAs(three);
        assertThat(three.segment().scope().isAlive()).isFalse();
        float[] rows = {1, 2, 3, 4, 5, 6, 7, 8};
        DenseMatrix x = b.samplesOf(rows, 4);
        assertThat(x.rows()).isEqualTo(4);
        assertThat(x.cols()).isEqualTo(2);
        assertThat(x.get(2, 0)).isEqualTo(3f);
        assertThat(x.get(2, 1)).isEqualTo(7f);
        assertThat(b.samplesOf(new float[5], 4)).as("not whole samples: left to the dataset's check").isNull();
        assertThat(b.samplesOf(new float[4 * 9], 4)).as("more than MAX_SAMPLES").isNull();
        b.close();
        assertThat(x.segment().scope().isAlive()).isFalse();
        b.close();
    }
}
