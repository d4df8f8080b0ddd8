package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.network.MultiHeadMlp;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.Adam;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model files and model directories written by hand or by an attacker, checksums recomputed: each loads as a
 * model that predicts finite probabilities, or is refused with an IOException naming the file.
 */
class HostileModelFilesTest {
    @TempDir Path dir;

    Path saved(String name) throws IOException {
        Path file = dir.resolve(name);
        Standardizer std = new Standardizer(new float[ClassifierLifecycleTest.FEATURES], HandEditedModelTest.filled(ClassifierLifecycleTest.FEATURES, 2f));
        try (SparseClassifier c = new SparseClassifier(ClassifierLifecycleTest.net(1), std, Map.of(), 1)) {
            c.save(file);
        }
        return file;
    }

    static String header(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        return new String(b, 16, ByteBuffer.wrap(b).getInt(12), StandardCharsets.UTF_8);
    }

    // Replaces the file's JSON header, its CRC recomputed: what the checkpoint's own checks cannot catch.
    static void writeHeader(Path file, String header) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int old = ByteBuffer.wrap(b).getInt(12);
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(h);
        ByteBuffer out = ByteBuffer.allocate(b.length - old + h.length);
        out.put(b, 0, 12).putInt(h.length).put(h).putInt((int) crc.getValue()).put(b, 20 + old, b.length - 20 - old);
        Files.write(file, out.array());
    }

    static void editHeader(Path file, String from, String to) throws IOException {
        String h = header(file);
        assertThat(h).contains(from);
        writeHeader(file, h.replace(from, to));
    }

    @Test
    void deeplyNestedJsonIsAParseErrorNotAStackOverflow() throws IOException {
        Path file = saved("model.dst4j");
        writeHeader(file, "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}");
        assertThatThrownBy(() -> SparseClassifier.load(file, 1)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(file + ": header is not valid JSON: JSON: expected at most 256 nested arrays and objects at offset 260");
        Path ens = Files.createDirectories(dir.resolve("ens"));
        Path manifest = Files.writeString(ens.resolve(EnsembleClassifier.MANIFEST), "[".repeat(100_000));
        assertThatThrownBy(() -> Classifier.load(ens, 1)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(manifest + ": JSON: expected at most 256 nested arrays and objects");
        assertThat(Json.parse("[".repeat(256) + "]".repeat(256))).isInstanceOf(List.class);
    }

    @Test
    void aManifestThatIsNotUtf8IsNamedWithTheByte() throws IOException {
        Path ens = Files.createDirectories(dir.resolve("ens"));
        Files.copy(saved("m.dst4j"), ens.resolve("m.dst4j"));
        byte[] json = ("{\"format\": \"" + EnsembleClassifier.FORMAT + "\", \"members\": [\"m.dst4j\"], \"x\": \"\u00e9\"}").getBytes(StandardCharsets.UTF_8);
        json[json.length - 3] = (byte) 0xff; // the second byte of the é
        Path manifest = Files.write(ens.resolve(EnsembleClassifier.MANIFEST), json);
        assertThatThrownBy(() -> Classifier.load(ens, 1)).isInstanceOf(IOException.class)
                .hasMessage(manifest + ": byte " + (json.length - 4) + " is not UTF-8 text");

        Path mh = savedMultiHead();
        Path mhManifest = Files.write(mh.resolve(MultiHeadClassifier.MANIFEST), new byte[] {'{', (byte) 0xc3, '}'});
        assertThatThrownBy(() -> Classifier.load(mh, 1)).isInstanceOf(IOException.class).hasMessage(mhManifest + ": byte 1 is not UTF-8 text");
    }

    private Path savedMultiHead() throws IOException {
        Path mh = dir.resolve("mh");
        try (MultiHeadMlp net = ClassifierLifecycleTest.multiHead(1)) {
            MultiHeadClassifier.save(net, mh, null, Map.of());
        }
        return mh;
    }

    @Test
    void aManifestSavedWithAByteOrderMarkLoads() throws IOException {
        Path mh = savedMultiHead();
        Path manifest = mh.resolve(MultiHeadClassifier.MANIFEST);
        Files.writeString(manifest, "\uFEFF" + Files.readString(manifest)); // as Notepad saves UTF-8
        try (Classifier c = Classifier.load(mh, 1)) {
            assertThat(c).isInstanceOf(MultiHeadClassifier.class);
        }
        // Only at the start: elsewhere it is a character the parser does not take.
        Files.writeString(manifest, Files.readString(manifest).substring(1) + "\uFEFF");
        assertThatThrownBy(() -> Classifier.load(mh, 1)).isInstanceOf(IOException.class).hasMessageContaining(manifest.toString());
    }

    @Test
    void aPartNameWithANulIsNamedNotAnInvalidPathException() throws IOException {
        Path mh = savedMultiHead();
        Path manifest = mh.resolve(MultiHeadClassifier.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replace("\"backbone.dst4j\"", "\"backbone\\u0000.dst4j\""));
        assertThatThrownBy(() -> Classifier.load(mh, 1)).isInstanceOf(IOException.class)
                .hasMessageStartingWith(manifest + ": field 'backbone': expected a file name in " + mh);
    }

    @Test
    void aNonFiniteActivationSlopeIsNamed() throws IOException {
        for (String slope : new String[] {"NaN", "Infinity", "-Infinity"}) {
            Path file = saved("leaky" + slope + ".dst4j");
            editHeader(file, "\"hidden\":\"relu\"", "\"hidden\":\"leaky:" + slope + "\"");
            assertThatThrownBy(() -> SparseClassifier.load(file, 1)).as(slope).isInstanceOf(IOException.class)
                    .hasMessage("model " + file + ": leaky ReLU slope must be a finite number, got " + slope);
        }
        Path file = saved("allrelu.dst4j");
        editHeader(file, "\"hidden\":\"relu\",\"alpha\":0.6", "\"hidden\":\"allrelu\",\"alpha\":null");
        assertThatThrownBy(() -> SparseClassifier.load(file, 1)).isInstanceOf(IOException.class)
                .hasMessage("model " + file + ": All-ReLU alpha must be a finite number, got NaN");
        Path text = saved("text.dst4j");
        editHeader(text, "\"hidden\":\"relu\"", "\"hidden\":\"leaky:steep\"");
        assertThatThrownBy(() -> SparseClassifier.load(text, 1)).isInstanceOf(IOException.class)
                .hasMessage("model " + text + ": bad slope in 'leaky:steep'; expected leaky:<number>");
    }

    @Test
    void aNonFiniteInitStdIsNamed() throws IOException {
        Path file = saved("model.dst4j");
        editHeader(file, "\"init\":\"he-uniform\"", "\"init\":\"normal:NaN\"");
        assertThatThrownBy(() -> SparseClassifier.load(file, 1)).isInstanceOf(IOException.class)
                .hasMessage("model " + file + ": expected normal:<std> with a finite std >= 0, got 'normal:NaN'");
    }

    @Test
    void aFractionalOrHugeSizeIsNotTruncatedToAWholeOne() throws IOException {
        Path file = saved("model.dst4j");
        editHeader(file, "\"sizes\":[6,", "\"sizes\":[6.5,");
        assertThatThrownBy(() -> SparseClassifier.load(file, 1)).isInstanceOf(IOException.class)
                .hasMessage("model " + file + ": field 'sizes'[0]: expected a whole number, got 6.5");
        Path seed = saved("seed.dst4j");
        String h = header(seed);
        writeHeader(seed, h.replaceFirst("\"dropout_seed\":-?\\d+", "\"dropout_seed\":1e300"));
        assertThatThrownBy(() -> SparseClassifier.load(seed, 1)).isInstanceOf(IOException.class)
                .hasMessage("model " + seed + ": field 'dropout_seed': expected a whole number, got 1.0E300");
    }

    @Test
    void aNegativeOptimizerStepCountIsNamed() throws IOException {
        Path file = dir.resolve("adam.dst4j");
        try (SparseMlp net = ClassifierLifecycleTest.net(1)) {
            Adam adam = Adam.withWeightDecay(0f);
            net.attach(adam);
            ModelFile.save(file, net, adam, null, Map.of());
        }
        editHeader(file, "\"optimizer_steps\":0", "\"optimizer_steps\":-1");
        // Adam's bias correction is then 1 - beta^0 = 0: taken, the first step would make every weight infinite.
        assertThatThrownBy(() -> ModelFile.load(file, Adam.withWeightDecay(0f)).net().close()).isInstanceOf(IOException.class)
                .hasMessage("model " + file + ": field 'optimizer_steps': expected a count >= 0, got -1");
    }

    // ---- bounded deterministic fuzzing of the header: every leaf replaced by values of other types and ranges ----

    @Test
    void everyHeaderFieldReplacedLoadsAFiniteModelOrIsRefusedNamingTheFile() throws IOException {
        Path valid = saved("valid.dst4j");
        String h = header(valid);
        Object[] values = {null, -1L, 0L, 2147483648L, Long.MAX_VALUE, 1e308, 0.5, "x", "leaky:NaN", "normal:-1", "allrelu", List.of(), Map.of()};
        List<String> mutated = new ArrayList<>();
        List<List<Object>> paths = new ArrayList<>();
        leaves(Json.parseObject(h), new ArrayList<>(), paths);
        for (List<Object> p : paths) {
            for (Object v : values) {
                Map<String, Object> m = Json.parseObject(h);
                set(m, p, v);
                mutated.add(Json.write(m));
            }
        }
        mutated.add("[".repeat(5000));
        int n = 0;
        for (String m : mutated) {
            Path file = Files.copy(valid, dir.resolve("m" + n++ + ".dst4j"));
            writeHeader(file, m);
            try (Classifier c = Classifier.load(file, 1)) {
                float[] x = new float[c.inputs() * 2];
                for (int i = 0; i < x.length; i++) x[i] = i * 0.3f - 1;
                for (float p : c.predictProbabilities(x)) {
                    if (!Float.isFinite(p)) fail(m + ": loaded, and predicts " + p);
                }
            } catch (IOException e) {
                assertThat(e.getMessage()).as(m).contains(file.toString());
            } catch (Throwable t) {
                throw new AssertionError(m + ": " + t, t);
            }
            Files.delete(file);
        }
        assertThat(n).isGreaterThan(150);
    }

    @SuppressWarnings("unchecked")
    static void leaves(Object v, List<Object> path, List<List<Object>> out) {
        if (v instanceof Map<?, ?> m) {
            for (var e : m.entrySet()) {
                List<Object> p = new ArrayList<>(path);
                p.add(e.getKey());
                out.add(p);
                leaves(e.getValue(), p, out);
            }
        } else if (v instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                List<Object> p = new ArrayList<>(path);
                p.add(i);
                out.add(p);
                leaves(l.get(i), p, out);
            }
        }
    }

    @SuppressWarnings("unchecked")
    static void set(Object root, List<Object> path, Object v) {
        Object cur = root;
        for (Object k : path.subList(0, path.size() - 1)) cur = k instanceof String s ? ((Map<String, Object>) cur).get(s) : ((List<Object>) cur).get((Integer) k);
        Object k = path.getLast();
        if (cur instanceof Map<?, ?> m) ((Map<String, Object>) m).put((String) k, v);
        else ((List<Object>) cur).set((Integer) k, v);
    }
}
