package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.dst4j.nn.model.ClassifierLifecycleTest.FEATURES;
import static org.dst4j.nn.model.ClassifierLifecycleTest.data;
import static org.dst4j.nn.model.ClassifierLifecycleTest.net;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.network.MultiHeadMlp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model read from a stream, as an application reads one it ships inside its jar. */
class ModelStreamTest {

    private static Path saved(Path dir) throws IOException {
        float[] mean = new float[FEATURES], std = new float[FEATURES];
        for (int i = 0; i < FEATURES; i++) {
            mean[i] = 0.1f * i;
            std[i] = 1 + 0.5f * i;
        }
        Path f = dir.resolve("model.dst4j");
        try (SparseClassifier c = new SparseClassifier(net(3), new Standardizer(mean, std), Map.of("note", "streamed"), 1)) {
            c.save(f);
        }
        return f;
    }

    @Test
    void aModelShippedInAJarPredictsAsItsFileDoes(@TempDir Path dir) throws Exception {
        Path f = saved(dir);
        Path jar = dir.resolve("app.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("models/model.dst4j"));
            out.write(Files.readAllBytes(f));
            out.closeEntry();
        }
        try (URLClassLoader app = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
             InputStream in = app.getResourceAsStream("models/model.dst4j");
             SparseClassifier fromJar = SparseClassifier.load(in, "models/model.dst4j", 2);
             SparseClassifier fromFile = SparseClassifier.load(f, 1);
             Dataset d = data("d", 37, 3, 5)) {
            assertThat(fromJar.predictProbabilities(d)).isEqualTo(fromFile.predictProbabilities(d));
            assertThat(fromJar.standardizer().mean()).isEqualTo(fromFile.standardizer().mean());
            assertThat(fromJar.header()).isEqualTo(fromFile.header()).containsEntry("note", "streamed");
        }
    }

    // An application opening its jar as a file system: the ensemble's and multi-head's member names are not made into
    // default-file-system paths (ProviderMismatchException; for the ensemble an IOException saying "null").
    @Test
    void modelDirectoriesInsideAJarLoadThroughItsFileSystem(@TempDir Path dir) throws Exception {
        Path plain = dir.resolve("plain");
        Path ensemble = plain.resolve("ensemble"), heads = plain.resolve("heads");
        Files.createDirectories(ensemble);
        try (SparseClassifier a = new SparseClassifier(net(1), null, Map.of(), 1); SparseClassifier b = new SparseClassifier(net(2), null, Map.of(), 1);
             MultiHeadMlp m = ClassifierLifecycleTest.multiHead(3)) {
            a.save(ensemble.resolve("member-1.dst4j"));
            b.save(ensemble.resolve("member-2.dst4j"));
            EnsembleClassifier.writeManifest(ensemble, List.of("member-1.dst4j", "member-2.dst4j"), Map.of());
            MultiHeadClassifier.save(m, heads, null, Map.of());
        }
        Path jar = dir.resolve("app.jar");
        try (FileSystem zip = FileSystems.newFileSystem(jar, Map.of("create", "true"))) {
            for (Path model : List.of(ensemble, heads)) {
                try (var files = Files.list(model)) {
                    for (Path f : files.toList()) {
                        Path to = zip.getPath("/models", model.getFileName().toString(), f.getFileName().toString());
                        Files.createDirectories(to.getParent());
                        Files.copy(f, to);
                    }
                }
            }
        }
        try (Dataset d = data("d", 23, 3, 5)) {
            for (String name : new String[] {"ensemble", "heads"}) {
                Classifier loaded;
                try (FileSystem zip = FileSystems.newFileSystem(jar)) {
                    loaded = Classifier.load(zip.getPath("/models", name), 1);
                }
                // used after its file system is closed: loading keeps nothing of the jar open
                try (Classifier inJar = loaded; Classifier onDisk = Classifier.load(plain.resolve(name), 1)) {
                    assertThat(inJar.getClass()).isEqualTo(onDisk.getClass());
                    assertThat(inJar.predictProbabilities(d)).as(name).isEqualTo(onDisk.predictProbabilities(d));
                }
            }
        }
    }

    @Test
    void theStreamIsReadToItsEndAndLeftOpen(@TempDir Path dir) throws Exception {
        byte[] bytes = Files.readAllBytes(saved(dir));
        boolean[] closed = {false};
        ByteArrayInputStream raw = new ByteArrayInputStream(bytes);
        InputStream in = new FilterInputStream(raw) {
            @Override public void close() throws IOException {
                closed[0] = true;
                super.close();
            }
        };
        try (SparseClassifier c = SparseClassifier.load(in, "m", 1)) {
            assertThat(c.network().connections()).isPositive();
        }
        assertThat(closed[0]).isFalse();
        assertThat(raw.available()).isZero();
    }

    @Test
    void aDamagedOrWrongStreamIsNamedInItsError(@TempDir Path dir) throws Exception {
        Path f = saved(dir);
        byte[] bytes = Files.readAllBytes(f);
        // every cut names the stream where the file's error names the file, with the same words
        for (int n = 0; n < bytes.length; n += 97) {
            byte[] cut = Arrays.copyOf(bytes, n);
            Path c = dir.resolve("cut.dst4j");
            Files.write(c, cut);
            String fileMessage = null;
            try {
                SparseClassifier.load(c, 1).close();
            } catch (IOException e) {
                fileMessage = e.getMessage();
            }
            assertThat(fileMessage).as("prefix of %d bytes", n).isNotNull();
            String expected = fileMessage.replace(c.toString(), "res/cut");
            assertThatThrownBy(() -> SparseClassifier.load(new ByteArrayInputStream(cut), "res/cut", 1).close())
                    .as("prefix of %d bytes", n).isInstanceOf(IOException.class).hasMessage(expected);
        }
        assertThatThrownBy(() -> SparseClassifier.load(new ByteArrayInputStream(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}), "x.bin", 1))
                .isInstanceOf(IOException.class).hasMessage("x.bin: not a dst4j model or checkpoint file (bad magic) at byte 0");
        // a resource that is not there: getResourceAsStream's null
        assertThatThrownBy(() -> SparseClassifier.load((InputStream) null, "models/missing.dst4j", 1))
                .isInstanceOf(NullPointerException.class).hasMessage("in (a class-path resource not found?)");
        InputStream failing = new InputStream() {
            @Override public int read() throws IOException {
                throw new IOException("device gone");
            }
        };
        assertThatThrownBy(() -> SparseClassifier.load(failing, "m", 1)).isInstanceOf(IOException.class).hasMessage("m: cannot read: device gone");
        // a stream that fails midway is named as well, as is one whose thread is interrupted (an interruptible channel's stream)
        InputStream midway = new FilterInputStream(new ByteArrayInputStream(bytes)) {
            int read;

            @Override public int read(byte[] b, int off, int len) throws IOException {
                if (read > 100) throw new IOException("connection reset");
                int n = super.read(b, off, Math.min(len, 64));
                read += Math.max(n, 0);
                return n;
            }
        };
        assertThatThrownBy(() -> SparseClassifier.load(midway, "res/m", 1)).isInstanceOf(IOException.class).hasMessage("res/m: cannot read: connection reset");
        try (FileChannel ch = FileChannel.open(f)) {
            Thread.currentThread().interrupt();
            assertThatThrownBy(() -> SparseClassifier.load(Channels.newInputStream(ch), "res/m", 1))
                    .isInstanceOf(InterruptedIOException.class).hasMessage("res/m: interrupted");
        } finally {
            Thread.interrupted();
        }
        // a multi-head model's backbone is not a classifier, from a stream as from a file
        try (MultiHeadMlp m = ClassifierLifecycleTest.multiHead(2)) {
            Path b = dir.resolve("backbone.dst4j");
            ModelFile.save(b, m.backbone(), null, null, Map.of());
            try (InputStream in = Files.newInputStream(b)) {
                assertThatThrownBy(() -> SparseClassifier.load(in, "backbone.dst4j", 1)).isInstanceOf(IOException.class)
                        .hasMessageStartingWith("backbone.dst4j: its network ends in ");
            }
        }
    }
}
