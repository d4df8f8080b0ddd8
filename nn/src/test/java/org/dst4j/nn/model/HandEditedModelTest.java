package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.io.CheckpointFile.DType;
import org.dst4j.nn.io.CheckpointFile.Tensor;
import org.dst4j.nn.network.MultiHeadMlp;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.Sgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model file edited by hand and written back with a valid checksum passes the checkpoint's own checks;
 * what it holds is checked on load, so that a model cannot predict NaN or weigh a member twice.
 */
class HandEditedModelTest {
    @TempDir Path dir;

    Path saved() throws IOException {
        Path file = dir.resolve("model.dst4j");
        Standardizer std = new Standardizer(new float[ClassifierLifecycleTest.FEATURES], filled(ClassifierLifecycleTest.FEATURES, 2f));
        try (SparseClassifier c = new SparseClassifier(ClassifierLifecycleTest.net(1), std, Map.of(), 1)) {
            c.save(file);
        }
        return file;
    }

    static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    // Rewrites one tensor of the file, checksums recomputed; a change to null drops the tensor.
    static void edit(Path file, String name, UnaryOperator<Tensor> change) throws IOException {
        rewrite(file, tensors -> tensors.replaceAll(t -> t.name().equals(name) ? change.apply(t) : t));
    }

    // Rewrites the file with its tensors changed by `change` (a null element is dropped), checksums recomputed.
    static void rewrite(Path file, Consumer<List<Tensor>> change) throws IOException {
        try (CheckpointFile.Checkpoint ck = CheckpointFile.read(file); Arena arena = Arena.ofConfined()) {
            List<Tensor> tensors = new ArrayList<>();
            for (String n : ck.names()) {
                Tensor t = ck.tensor(n);
                MemorySegment copy = arena.allocate(Math.max(1, t.data().byteSize())).asSlice(0, t.data().byteSize());
                copy.copyFrom(t.data());
                tensors.add(new Tensor(n, t.dtype(), t.shape(), copy));
            }
            change.accept(tensors);
            tensors.removeIf(Objects::isNull);
            Path tmp = file.resolveSibling("edited.tmp");
            CheckpointFile.write(tmp, ck.header(), tensors);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void theUneditedFileLoads() throws IOException {
        try (SparseClassifier c = SparseClassifier.load(saved(), 1)) {
            assertThat(c.inputs()).isEqualTo(ClassifierLifecycleTest.FEATURES);
        }
    }

    @Test
    void aNonFiniteWeightOrBiasIsNamed() throws IOException {
        Path file = saved();
        edit(file, "layer.0.values", t -> {
            t.data().setAtIndex(ValueLayout.JAVA_FLOAT, 3, Float.NaN);
            return t;
        });
        assertThatThrownBy(() -> SparseClassifier.load(file, 1)).isInstanceOf(IOException.class)
                .hasMessage("model " + file + ": tensor 'layer.0.values': element 3 is NaN, expected a finite number");
        Path other = dir.resolve("b");
        Files.createDirectories(other);
        Path second = Files.copy(saved(), other.resolve("model.dst4j"));
        edit(second, "layer.1.bias", t -> {
            t.data().setAtIndex(ValueLayout.JAVA_FLOAT, 0, Float.NEGATIVE_INFINITY);
            return t;
        });
        assertThatThrownBy(() -> SparseClassifier.load(second, 1)).isInstanceOf(IOException.class)
                .hasMessage("model " + second + ": tensor 'layer.1.bias': element 0 is -Infinity, expected a finite number");
    }

    @Test
    void aZeroStandardDeviationIsNamed() throws IOException {
        Path file = saved();
        edit(file, "standardizer.std", t -> {
            t.data().setAtIndex(ValueLayout.JAVA_FLOAT, 2, 0f);
            return t;
        });
        assertThatThrownBy(() -> SparseClassifier.load(file, 1)).isInstanceOf(IOException.class)
                .hasMessage("model " + file + ": std of feature 2 is 0.0, expected a finite number > 0");
    }

    @Test
    void aNonFiniteOptimizerStateIsNamed() throws IOException {
        for (String name : new String[] {"layer.0.side." + Sgd.VELOCITY, "layer.1.bias_state"}) {
            Path file = dir.resolve(name + ".dst4j");
            try (SparseMlp net = ClassifierLifecycleTest.net(1)) {
                Sgd sgd = new Sgd(0.9f, 1e-4f);
                net.attach(sgd);
                ModelFile.save(file, net, sgd, null, Map.of());
            }
            edit(file, name, t -> {
                t.data().setAtIndex(ValueLayout.JAVA_FLOAT, 0, Float.NaN);
                return t;
            });
            // Taken, it would make the weights NaN at the first resumed step, and the run stop as diverged.
            assertThatThrownBy(() -> ModelFile.load(file, new Sgd(0.9f, 1e-4f)).net().close()).as(name).isInstanceOf(IOException.class)
                    .hasMessage("model " + file + ": tensor '" + name + "': element 0 is NaN, expected a finite number");
        }
    }

    @Test
    void aStandardizerWithOneHalfMissingIsNamed() throws IOException {
        for (String gone : new String[] {"standardizer.mean", "standardizer.std"}) {
            Path file = saved();
            edit(file, gone, t -> null);
            // Taken without its mean, the model would load no standardizer and predict on unscaled input.
            assertThatThrownBy(() -> SparseClassifier.load(file, 1)).as(gone).isInstanceOf(IOException.class)
                    .hasMessage(file + ": no tensor '" + gone + "'");
        }
    }

    @Test
    void aStandardDeviationTooSmallToDivideByIsNamed() throws IOException {
        Path file = saved();
        edit(file, "standardizer.std", t -> {
            t.data().setAtIndex(ValueLayout.JAVA_FLOAT, 1, Float.MIN_VALUE);
            return t;
        });
        // Positive and finite, but its inverse is infinite: every prediction would be NaN.
        assertThatThrownBy(() -> SparseClassifier.load(file, 1)).isInstanceOf(IOException.class)
                .hasMessage("model " + file + ": std of feature 1 is 1.4E-45, too small to divide by; expected at least 2.938737E-39");
        // The least std the message names is taken, the float below it is not (1 / Float.MAX_VALUE, whose inverse overflows).
        assertThat(new Standardizer(new float[1], new float[] {2.938737E-39f}).std()[0]).isEqualTo(2.938737E-39f);
        assertThatThrownBy(() -> new Standardizer(new float[1], new float[] {Math.nextDown(2.938737E-39f)})).hasMessageContaining("too small to divide by");
    }

    @Test
    void anIndexStoredAsFloatsIsNamed() throws IOException {
        Path file = saved();
        edit(file, "layer.0.col_idx", t -> new Tensor(t.name(), DType.F32, t.shape(), t.data()));
        assertThatThrownBy(() -> SparseClassifier.load(file, 1)).isInstanceOf(IOException.class)
                .hasMessage("model " + file + ": tensor 'layer.0.col_idx' is F32, expected I32");
    }

    @Test
    void aMemberOrHeadListedTwiceIsNamed() throws IOException {
        Path ens = Files.createDirectories(dir.resolve("ens"));
        Files.copy(saved(), ens.resolve("m.dst4j"));
        Files.writeString(ens.resolve(EnsembleClassifier.MANIFEST),
                "{\"format\": \"" + EnsembleClassifier.FORMAT + "\", \"members\": [\"m.dst4j\", \"m.dst4j\"]}");
        assertThatThrownBy(() -> EnsembleClassifier.load(ens, 1)).isInstanceOf(IOException.class)
                .hasMessage(ens.resolve(EnsembleClassifier.MANIFEST) + ": field 'members': m.dst4j is listed twice");

        Path mh = dir.resolve("mh");
        try (MultiHeadMlp net = ClassifierLifecycleTest.multiHead(1)) {
            MultiHeadClassifier.save(net, mh, null, Map.of());
        }
        Path manifest = mh.resolve(MultiHeadClassifier.MANIFEST);
        String json = Files.readString(manifest);
        Files.writeString(manifest, json.replace("\"head-2.dst4j\"", "\"head-1.dst4j\""));
        assertThat(Files.readString(manifest)).isNotEqualTo(json);
        assertThatThrownBy(() -> MultiHeadClassifier.load(mh, 1)).isInstanceOf(IOException.class)
                .hasMessage(manifest + ": field 'heads': head-1.dst4j is listed twice");
        // the same file under another spelling: compared by the file, as an ensemble's members are
        Files.writeString(manifest, json.replace("\"head-2.dst4j\"", "\"head-1.dst4j/\""));
        assertThatThrownBy(() -> MultiHeadClassifier.load(mh, 1)).isInstanceOf(IOException.class)
                .hasMessage(manifest + ": field 'heads': head-1.dst4j/ is listed twice");
    }

    @Test
    void aLayerTheHeaderDoesNotDescribeIsRefused() throws IOException {
        // A header whose network.sizes are cut short would load as a smaller network, its last layers ignored.
        Path file = saved();
        rewrite(file, tensors -> {
            tensors.add(Tensor.of("layer.9.values", new float[] {1f}));
            tensors.add(Tensor.of("standardizer.scale", new float[] {1f}));
        });
        assertThatThrownBy(() -> SparseClassifier.load(file, 1)).isInstanceOf(IOException.class)
                .hasMessageContaining("tensor 'layer.9.values' belongs to no part of the").hasMessageContaining("(file edited?)");
        edit(file, "layer.9.values", t -> null);
        assertThatThrownBy(() -> SparseClassifier.load(file, 1)).isInstanceOf(IOException.class)
                .hasMessageContaining("tensor 'standardizer.scale' belongs to no part of the");
        edit(file, "standardizer.scale", t -> null);
        try (SparseClassifier c = SparseClassifier.load(file, 1)) {
            assertThat(c.inputs()).isEqualTo(ClassifierLifecycleTest.FEATURES);
        }
    }
}
