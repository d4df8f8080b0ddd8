package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.dst4j.nn.model.ClassifierLifecycleTest.CLASSES;
import static org.dst4j.nn.model.ClassifierLifecycleTest.FEATURES;
import static org.dst4j.nn.model.ClassifierLifecycleTest.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model file's header fields and the shapes it takes. */
class ModelFileTest {
    @TempDir Path dir;

    @Test
    void provenanceHasTheTrainingRunsFieldsThenTheCallersThenTheVersion() {
        Map<String, Object> more = new LinkedHashMap<>();
        more.put("members", 3);
        more.put("cycle", "cosine");
        Map<String, Object> p = ModelFile.provenance("freetickets", 42L, "fashion-mnist", 0xFEEDL, more);
        assertThat(List.copyOf(p.keySet())).containsExactly("algorithm", "seed", "data", "data_checksum", "members", "cycle", "dst4j_version");
        assertThat(p).containsEntry("algorithm", "freetickets").containsEntry("seed", 42L).containsEntry("data", "fashion-mnist")
                .containsEntry("data_checksum", 0xFEEDL).containsEntry("members", 3).containsEntry("cycle", "cosine")
                // The classes are read from a directory here, not from a built jar with a manifest version.
                .containsEntry("dst4j_version", "dev");
    }

    @Test
    void aLayerOfOneUnitSavesAndLoads() throws IOException {
        // 1 is the least size the header may give (0 is refused).
        MlpConfig cfg = new MlpConfig(new int[] {FEATURES, 1, CLASSES}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(1.0),
                new WeightInit.HeUniform());
        Path file = dir.resolve("narrow.dst4j");
        try (SparseClassifier c = new SparseClassifier(SparseMlp.create(cfg, new RandomStream(4), 1), null, Map.of(), 1);
             Dataset d = data("d", 9, CLASSES, 2)) {
            c.save(file);
            try (SparseClassifier loaded = SparseClassifier.load(file, 1)) {
                assertThat(loaded.network().config().sizes()).containsExactly(FEATURES, 1, CLASSES);
                assertThat(loaded.predictProbabilities(d)).containsExactly(c.predictProbabilities(d));
            }
        }
    }

    @Test
    void aLoadedHeaderGivenBackAsExtraFieldsIsRefusedNotWrittenOverTheFilesOwn() throws IOException {
        Path file = dir.resolve("m.dst4j");
        try (SparseMlp net = ClassifierLifecycleTest.net(1)) {
            ModelFile.save(file, net, null, null, Map.of("training", Map.of("epochs", 3)));
            Map<String, Object> loaded;
            ModelFile.Loaded l = ModelFile.load(file, null);
            try (SparseMlp ignored = l.net()) {
                loaded = l.header();
            }
            // Its "format" and "network" would be written over the file's own: a file that no load accepts.
            Path again = dir.resolve("again.dst4j");
            assertThatThrownBy(() -> ModelFile.save(again, net, null, null, loaded)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("extra header field 'format': the model file writes it itself");
            assertThatThrownBy(() -> ModelFile.save(again, net, null, null, Map.of("optimizer_steps", 5L)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("extra header field 'optimizer_steps'");
            assertThat(again).doesNotExist();
            assertThat(Files.exists(file)).isTrue();
        }
    }

    @Test
    void aStandardizerOfAnotherWidthIsRefusedBeforeAFileNoLoadAcceptsIsWritten() {
        Path file = dir.resolve("m.dst4j");
        try (SparseMlp net = ClassifierLifecycleTest.net(1)) {
            Standardizer two = new Standardizer(new float[2], new float[] {1, 1});
            assertThatThrownBy(() -> ModelFile.save(file, net, null, two, Map.of())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("standardizer has 2 features, the network " + FEATURES + " inputs");
            assertThat(file).doesNotExist();
        }
    }
}
