package org.dst4j.nn.model;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.Adam;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-connection side arrays an algorithm keeps beside the weights (int, byte and float elements) are saved with the
 * model when named, and loaded back into the layers that had them, aligned with the same connections.
 */
class ModelFileSidesTest {
    @TempDir Path dir;

    // 6-10-7-3 at half density: layer 1 has an empty row or two, and every layer a few dozen connections.
    private static SparseMlp net() {
        MlpConfig cfg = new MlpConfig(new int[] {6, 10, 7, 3}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.5), new WeightInit.HeUniform());
        return SparseMlp.create(cfg, new RandomStream(5), 9);
    }

    // owner (int) and frozen (byte) on every layer, parked (float) on the last only; values that differ per connection
    private static void fill(SparseMlp net) {
        List<SparseLinear> layers = net.layers();
        for (int l = 0; l < layers.size(); l++) {
            CsrMatrix w = layers.get(l).weights();
            MemorySegment owner = w.addSide("owner", JAVA_INT), frozen = w.addSide("frozen", JAVA_BYTE);
            MemorySegment parked = l + 1 == layers.size() ? w.addSide("parked", JAVA_FLOAT) : null;
            for (long k = 0; k < w.nnz(); k++) {
                owner.setAtIndex(JAVA_INT, k, (int) (k * 7 + l) - 40);
                frozen.set(JAVA_BYTE, k, (byte) (k * 3 + l));
                if (parked != null) parked.setAtIndex(JAVA_FLOAT, k, w.value(k) * -2.5f);
            }
        }
    }

    private static final Map<String, ValueLayout> SIDES = Map.of("owner", JAVA_INT, "frozen", JAVA_BYTE, "parked", JAVA_FLOAT);

    @Test
    void namedSideArraysComeBackOnTheLayersThatHadThem() throws IOException {
        Path file = dir.resolve("m.dst4j");
        try (SparseMlp a = net()) {
            fill(a);
            a.layers().forEach(l -> l.attach(new Sgd(0.9f, 0f)));
            ModelFile.save(file, a, new Sgd(0.9f, 0f), null, Map.of(), List.of("owner", "frozen", "parked", "velocity"));
            try (SparseMlp b = ModelFile.load(file, new Sgd(0.9f, 0f), SIDES).net()) {
                for (int l = 0; l < a.layers().size(); l++) {
                    CsrMatrix x = a.layers().get(l).weights(), y = b.layers().get(l).weights();
                    long n = x.nnz();
                    assertThat(y.hasSide("parked")).as("layer %d has parked", l).isEqualTo(l == 2);
                    for (String s : List.of("owner", "frozen", "parked")) {
                        if (!x.hasSide(s)) continue;
                        long bytes = n * x.sideLayout(s).byteSize();
                        assertThat(y.sideLayout(s)).isEqualTo(x.sideLayout(s));
                        assertThat(y.side(s).asSlice(0, bytes).toArray(JAVA_BYTE)).as("%s of layer %d", s, l).isEqualTo(x.side(s).asSlice(0, bytes).toArray(JAVA_BYTE));
                    }
                }
            }
            // loaded without asking for them (predict, inspect), the same file gives a plain model
            try (SparseMlp c = ModelFile.load(file, null).net()) {
                assertThat(c.layers().getFirst().weights().sideNames()).isEmpty();
                assertThat(c.connections()).isEqualTo(a.connections());
            }
            // without names, the file is the one the five-argument save writes, byte for byte
            Path plain = dir.resolve("plain.dst4j"), none = dir.resolve("none.dst4j");
            ModelFile.save(plain, a, null, null, Map.of());
            ModelFile.save(none, a, null, null, Map.of(), List.of());
            assertThat(Files.readAllBytes(none)).isEqualTo(Files.readAllBytes(plain));
        }
    }

    @Test
    void aNameNoLayerHasOrAnotherElementTypeIsRefused() throws IOException {
        Path file = dir.resolve("m.dst4j");
        try (SparseMlp a = net()) {
            fill(a);
            assertThatThrownBy(() -> ModelFile.save(file, a, null, null, Map.of(), List.of("owner", "ownr")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("side array 'ownr': no layer of the network has it");
            assertThat(file).doesNotExist();
            ModelFile.save(file, a, null, null, Map.of(), List.of("owner"));
            assertThatThrownBy(() -> ModelFile.load(file, null, Map.of("owner", JAVA_FLOAT))).isInstanceOf(IOException.class)
                    .hasMessageContaining(file.toString()).hasMessageContaining("tensor 'layer.0.side.owner' is I32, expected F32");
        }
    }

    // An optimizer the layers hold no state of is refused before the write, not a NullPointerException inside it.
    @Test
    void anOptimizerNotAttachedIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path file = dir.resolve("m.dst4j");
        try (SparseMlp a = net()) {
            assertThatThrownBy(() -> ModelFile.save(file, a, new Sgd(0.9f, 0f), null, Map.of())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("layer 0 holds no state of the optimizer given (Sgd): save with the optimizer it trained with, attached by"
                            + " SparseLinear.attach, or with none");
            Sgd sgd = new Sgd(0.9f, 0f);
            for (SparseLinear layer : a.layers()) layer.attach(sgd);
            assertThatThrownBy(() -> ModelFile.save(file, a, Adam.withWeightDecay(0f), null, Map.of()))
                    .as("another optimizer's state").isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(Adam)");
            assertThat(file).doesNotExist();
            ModelFile.save(file, a, sgd, null, Map.of());
            assertThat(file).exists();
        }
    }

    // An algorithm's own arrays (not per connection) ride in the same file: a load of the model passes them by, and a
    // name that would stand for one of the model's tensors is refused before anything is written.
    @Test
    void moreTensorsAreKeptBesideTheModelUnderNamesOfTheirOwn() throws IOException {
        Path file = dir.resolve("m.dst4j"), plain = dir.resolve("plain.dst4j");
        try (SparseMlp a = net()) {
            List<CheckpointFile.Tensor> more = List.of(CheckpointFile.Tensor.of("algo.state", new int[] {3, 1, 4}));
            ModelFile.save(file, a, null, null, Map.of(), List.of(), more);
            ModelFile.save(plain, a, null, null, Map.of());
            try (CheckpointFile.Checkpoint c = CheckpointFile.read(file)) {
                assertThat(c.tensor("algo.state").toIntArray()).containsExactly(3, 1, 4);
            }
            try (SparseMlp b = ModelFile.load(file, null).net(); SparseMlp p = ModelFile.load(plain, null).net()) {
                assertThat(b.layers().getFirst().weights().values().toArray(JAVA_FLOAT)).isEqualTo(p.layers().getFirst().weights().values().toArray(JAVA_FLOAT));
            }
            for (String name : List.of("layer.0.values", "standardizer.mean")) {
                Path refused = dir.resolve("refused.dst4j");
                assertThatThrownBy(() -> ModelFile.save(refused, a, null, null, Map.of(), List.of(), List.of(CheckpointFile.Tensor.of(name, new float[1]))))
                        .isInstanceOf(IllegalArgumentException.class).hasMessage("tensor '" + name + "': a name the model file uses, or given twice");
                assertThat(refused).doesNotExist();
            }
            assertThatThrownBy(() -> ModelFile.save(dir.resolve("twice.dst4j"), a, null, null, Map.of(), List.of(), List.of(more.getFirst(), more.getFirst())))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("given twice");
        }
    }
}
