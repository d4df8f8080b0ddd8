package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.dst4j.nn.model.ClassifierLifecycleTest.FEATURES;
import static org.dst4j.nn.model.ClassifierLifecycleTest.data;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.assertj.core.data.Offset;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.NpzContent;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.MultiHeadMlp;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .npz export: its arrays are the model's, and its meta says enough to compute the model's predictions from them. */
class ModelExportTest {
    private static final int CLASSES = 4;
    @TempDir Path dir;

    // Sparse enough (30%) that some rows of the 9-wide and 4-wide layers are empty.
    private static MlpConfig config(String hidden) {
        return new MlpConfig(new int[] {FEATURES, 16, 9, CLASSES}, hidden, 0.6f, Activation.linear(), 0.2f, new Density.Uniform(0.3),
                new WeightInit.HeUniform());
    }

    private static Standardizer standardizer(long seed) {
        RandomStream r = new RandomStream(seed);
        float[] mean = new float[FEATURES], std = new float[FEATURES];
        for (int f = 0; f < FEATURES; f++) {
            mean[f] = (float) r.nextGaussian();
            std[f] = 0.5f + (float) r.nextDouble();
        }
        return new Standardizer(mean, std);
    }

    @Test
    void aSingleNetworksLayersAreItsCsrArraysAndItsMetaReproducesItsPredictions() throws IOException {
        Path file = dir.resolve("m.npz");
        try (SparseClassifier c = new SparseClassifier(SparseMlp.create(config("allrelu"), new RandomStream(3), 1), standardizer(4),
                Map.of("provenance", Map.of("seed", 3L)), 1);
             Dataset d = data("d", 50, CLASSES, 9)) {
            ModelExport.toNpz(c, file);
            Map<String, NpzContent.Array> npz = NpzContent.read(file);
            assertThat(npz.keySet()).startsWith(ModelExport.META);
            List<SparseLinear> layers = c.network().layers();
            for (int l = 0; l < layers.size(); l++) {
                CsrMatrix w = layers.get(l).weights();
                String p = "layer" + l + ".";
                assertThat(npz.get(p + "shape").longs()).containsExactly(w.rows(), w.cols());
                assertThat(npz.get(p + "indptr").longs()).containsExactly(w.rowPtr().toArray(ValueLayout.JAVA_LONG));
                assertThat(npz.get(p + "indices").ints()).containsExactly(w.colIdx().asSlice(0, 4 * w.nnz()).toArray(ValueLayout.JAVA_INT));
                assertThat(npz.get(p + "data").floats()).containsExactly(w.values().asSlice(0, 4 * w.nnz()).toArray(ValueLayout.JAVA_FLOAT));
                assertThat(npz.get(p + "bias").floats()).containsExactly(layers.get(l).bias().asSlice(0, 4L * w.rows()).toArray(ValueLayout.JAVA_FLOAT));
            }
            assertThat(npz.get("standardizer.mean").floats()).containsExactly(c.standardizer().mean());
            assertThat(npz.get("standardizer.std").floats()).containsExactly(c.standardizer().std());
            Map<String, Object> meta = Json.parseObject(npz.get(ModelExport.META).string());
            assertThat(meta).containsEntry("format", ModelExport.FORMAT).containsEntry("version", 1L).containsEntry("model", "mlp")
                    .containsEntry("inputs", (long) FEATURES).containsEntry("classes", (long) CLASSES).doesNotContainKey("manifest");
            Map<?, ?> net = (Map<?, ?>) ((List<?>) meta.get("networks")).getFirst();
            assertThat(((Map<?, ?>) net.get("header")).get("provenance")).isEqualTo(Map.of("seed", 3L));
            // All-ReLU: the hidden layers' slopes alternate in sign.
            List<?> ls = (List<?>) net.get("layers");
            assertThat(((Map<?, ?>) ls.get(0)).get("slope")).isEqualTo(-0.6);
            assertThat(((Map<?, ?>) ls.get(1)).get("slope")).isEqualTo(0.6);
            assertThat(((Map<?, ?>) ls.get(2)).get("activation")).isEqualTo("linear");
            assertThat(probabilities(npz, d)).containsExactly(c.predictProbabilities(d), Offset.offset(1e-5f));
            // Empty rows exist, so the check above covered them.
            assertThat(emptyRows(c.network())).isPositive();
        }
    }

    @Test
    void aNetworkThatIsNoClassifierIsWrittenAsASingleModelIs() throws IOException {
        Path single = dir.resolve("single.npz"), network = dir.resolve("network.npz");
        try (SparseClassifier c = new SparseClassifier(SparseMlp.create(config("relu"), new RandomStream(3), 1), standardizer(4),
                Map.of("scaling", "standardize"), 1)) {
            ModelExport.toNpz(c, single);
            ModelExport.networkToNpz(c.network(), c.standardizer(), Map.of("scaling", "standardize"), "autoencoder", network);
            Map<String, NpzContent.Array> a = NpzContent.read(single), b = NpzContent.read(network);
            assertThat(b.keySet()).containsExactlyElementsOf(a.keySet());
            for (String k : a.keySet()) {
                if (!k.equals(ModelExport.META)) assertThat(b.get(k).data()).as(k).isEqualTo(a.get(k).data());
            }
            Map<String, Object> metaA = Json.parseObject(a.get(ModelExport.META).string());
            Map<String, Object> metaB = Json.parseObject(b.get(ModelExport.META).string());
            assertThat(metaB).containsEntry("format", ModelExport.FORMAT).containsEntry("model", "autoencoder").containsEntry("combine", "none")
                    .containsEntry("inputs", (long) FEATURES).containsEntry("outputs", (long) CLASSES).doesNotContainKey("classes")
                    .containsEntry("networks", metaA.get("networks"));
        }
    }

    @Test
    void anEnsembleAndAMultiHeadModelAreReproducedFromTheirExports() throws IOException {
        Path e = dir.resolve("e.npz"), m = dir.resolve("m.npz");
        MlpConfig full = new MlpConfig(new int[] {FEATURES, 16, 9, CLASSES}, "sigmoid", 0.6f, Activation.linear(), 0f,
                new Density.Uniform(0.5), new WeightInit.HeUniform());
        try (EnsembleClassifier ensemble = new EnsembleClassifier(List.of(
                     new SparseClassifier(SparseMlp.create(config("relu"), new RandomStream(1), 1), standardizer(1), Map.of(), 1),
                     new SparseClassifier(SparseMlp.create(config("tanh"), new RandomStream(2), 1), null, Map.of(), 1),
                     new SparseClassifier(SparseMlp.create(config("allrelu"), new RandomStream(3), 1), standardizer(3), Map.of(), 1)),
                     Map.of("format", EnsembleClassifier.FORMAT));
             MultiHeadClassifier heads = new MultiHeadClassifier(MultiHeadMlp.create(full, 1, 3, new RandomStream(5), new RandomStream(6)),
                     standardizer(7), 1);
             Dataset d = data("d", 40, CLASSES, 8)) {
            ModelExport.toNpz(ensemble, e);
            ModelExport.toNpz(heads, m);
            Map<String, NpzContent.Array> en = NpzContent.read(e), mh = NpzContent.read(m);
            // Each member standardizes with its own statistics; the second has none.
            assertThat(en).containsKeys("member0.standardizer.mean", "member2.standardizer.std", "member1.layer2.data")
                    .doesNotContainKey("member1.standardizer.mean");
            assertThat(mh).containsKeys("backbone.standardizer.mean", "backbone.layer0.data", "head2.layer1.bias")
                    .doesNotContainKey("head0.standardizer.mean");
            assertThat(Json.parseObject(en.get("meta").string())).containsEntry("model", "ensemble").containsEntry("combine", "mean_softmax")
                    .containsEntry("manifest", Map.of("format", EnsembleClassifier.FORMAT));
            assertThat(Json.parseObject(mh.get("meta").string())).containsEntry("model", "multihead").containsEntry("combine", "mean_softmax")
                    .containsEntry("manifest", Map.of());
            // numpy.load finds the arrays through the zip's central directory, which NpzContent (reading the entries in order) does not need.
            assertThat(centralDirectory(e)).containsExactlyElementsOf(en.keySet().stream().map(k -> k + ".npy").toList());
            assertThat(centralDirectory(m)).containsExactlyElementsOf(mh.keySet().stream().map(k -> k + ".npy").toList());
            assertThat(probabilities(en, d)).containsExactly(ensemble.predictProbabilities(d), Offset.offset(1e-5f));
            assertThat(probabilities(mh, d)).containsExactly(heads.predictProbabilities(d), Offset.offset(1e-5f));
        }
    }

    @Test
    void aClosedOrUnknownClassifierIsRefusedAndNothingIsWritten() throws IOException {
        Path file = dir.resolve("x.npz");
        SparseClassifier c = new SparseClassifier(SparseMlp.create(config("relu"), new RandomStream(1), 1), null, Map.of(), 1);
        c.close();
        // Checked before the weights are read: a closed network's memory would fail the write with "Already closed".
        assertThatThrownBy(() -> ModelExport.toNpz(c, file)).isInstanceOf(IllegalStateException.class).hasMessage("the classifier is closed");
        EnsembleClassifier e = new EnsembleClassifier(List.of(new SparseClassifier(SparseMlp.create(config("relu"), new RandomStream(1), 1),
                null, Map.of(), 1)), Map.of());
        e.close();
        assertThatThrownBy(() -> ModelExport.toNpz(e, file)).isInstanceOf(IllegalStateException.class).hasMessage("the classifier is closed");
        MultiHeadClassifier m = new MultiHeadClassifier(ClassifierLifecycleTest.multiHead(2), null, 1);
        m.close();
        assertThatThrownBy(() -> ModelExport.toNpz(m, file)).isInstanceOf(IllegalStateException.class).hasMessage("the classifier is closed");
        Classifier other = new Classifier() {
            @Override public int inputs() { return 1; }
            @Override public int classes() { return 2; }
            @Override public Standardizer standardizer() { return null; }
            @Override public float[] predictProbabilities(Dataset data) { return new float[0]; }
            @Override public void close() { }
        };
        assertThatThrownBy(() -> ModelExport.toNpz(other, file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot export");
        assertThat(Files.list(dir)).isEmpty();
    }

    // The entry names as java.util.zip.ZipFile reads them: from the central directory, as Python's zipfile does.
    private static List<String> centralDirectory(Path file) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            return zip.stream().map(ZipEntry::getName).toList();
        }
    }

    private static long emptyRows(SparseMlp net) {
        long n = 0;
        for (SparseLinear l : net.layers()) for (int r = 0; r < l.out(); r++) if (l.weights().rowStart(r) == l.weights().rowEnd(r)) n++;
        return n;
    }

    // What a NumPy user would compute from the archive alone, as ModelExport's Javadoc describes it.
    private static float[] probabilities(Map<String, NpzContent.Array> npz, Dataset d) {
        Map<String, Object> meta = Json.parseObject(npz.get(ModelExport.META).string());
        int n = d.samples(), k = (int) Json.getLong(meta, "classes");
        List<?> networks = (List<?>) meta.get("networks");
        Map<String, double[][]> outputs = new HashMap<>();
        double[] sum = new double[n * k];
        int combined = 0;
        for (Object o : networks) {
            Map<?, ?> net = (Map<?, ?>) o;
            double[][] a;
            if (net.get("input").equals("x")) {
                a = new double[n][d.features()];
                for (int i = 0; i < n; i++) for (int f = 0; f < d.features(); f++) a[i][f] = d.get(i, f);
            } else {
                a = outputs.get((String) net.get("input"));
            }
            if (net.get("standardizer") != null) {
                float[] mean = npz.get(net.get("standardizer") + ".mean").floats(), std = npz.get(net.get("standardizer") + ".std").floats();
                for (double[] row : a) for (int f = 0; f < row.length; f++) row[f] = (row[f] - mean[f]) / std[f];
            }
            for (Object lo : (List<?>) net.get("layers")) {
                Map<?, ?> layer = (Map<?, ?>) lo;
                String p = layer.get("name") + ".";
                long[] shape = npz.get(p + "shape").longs(), indptr = npz.get(p + "indptr").longs();
                int[] indices = npz.get(p + "indices").ints();
                float[] w = npz.get(p + "data").floats(), bias = npz.get(p + "bias").floats();
                double slope = layer.get("slope") == null ? 0 : (Double) layer.get("slope");
                double[][] z = new double[n][(int) shape[0]];
                for (int i = 0; i < n; i++) {
                    for (int r = 0; r < shape[0]; r++) {
                        double s = bias[r];
                        for (long j = indptr[r]; j < indptr[r + 1]; j++) s += w[(int) j] * a[i][indices[(int) j]];
                        z[i][r] = switch ((String) layer.get("activation")) {
                            case "relu" -> Math.max(s, 0);
                            case "leaky_relu" -> s > 0 ? s : slope * s;
                            case "sigmoid" -> 1 / (1 + Math.exp(-s));
                            case "tanh" -> Math.tanh(s);
                            case "linear" -> s;
                            default -> throw new AssertionError(layer);
                        };
                    }
                }
                a = z;
            }
            outputs.put((String) net.get("prefix"), a);
            if (networks.stream().noneMatch(other -> net.get("prefix").equals(((Map<?, ?>) other).get("input")))) {
                combined++;
                for (int i = 0; i < n; i++) {
                    double max = Double.NEGATIVE_INFINITY, total = 0;
                    for (double v : a[i]) max = Math.max(max, v);
                    for (double v : a[i]) total += Math.exp(v - max);
                    for (int j = 0; j < k; j++) sum[i * k + j] += Math.exp(a[i][j] - max) / total;
                }
            }
        }
        float[] p = new float[n * k];
        for (int i = 0; i < p.length; i++) p[i] = (float) (sum[i] / combined);
        return p;
    }
}
