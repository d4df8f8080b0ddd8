package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.MultiHeadMlp;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory running out part-way through loading an ensemble or a multi-head model frees the parts already loaded:
 * they stayed allocated (shared arenas, never freed by the collector), and each retry after "raise the limit"
 * leaked again.
 */
class ModelDirectoryOutOfMemoryTest {
    @TempDir Path dir;

    private static final MlpConfig CFG = new MlpConfig(new int[] {20, 30, 20, 4}, "relu", 0.6f, Activation.linear(), 0f,
            new Density.Uniform(0.5), new WeightInit.HeUniform());

    @Test
    void aLoadRefusedAtAnyPointLeavesNothingAllocated() throws Exception {
        Path ensemble = dir.resolve("ensemble"), multiHead = dir.resolve("multihead");
        Files.createDirectories(ensemble);
        for (String m : new String[] {"a.dst4j", "b.dst4j", "c.dst4j"}) {
            try (SparseClassifier c = new SparseClassifier(SparseMlp.create(CFG, new RandomStream(m.charAt(0)), 1), null, Map.of(), 1)) {
                c.save(ensemble.resolve(m));
            }
        }
        EnsembleClassifier.writeManifest(ensemble, List.of("a.dst4j", "b.dst4j", "c.dst4j"), Map.of());
        try (MultiHeadMlp net = MultiHeadMlp.create(CFG, 1, 3, new RandomStream(4), new RandomStream(5))) {
            MultiHeadClassifier.save(net, multiHead, null, Map.of());
        }
        long limit = OffHeap.limit();
        try {
            for (Path model : new Path[] {ensemble, multiHead}) {
                long before = OffHeap.bytesInUse();
                int refused = 0;
                for (long allowed = 256; ; allowed += 256) {
                    OffHeap.setLimit(before + allowed);
                    try {
                        Classifier.load(model, 1).close();
                        break;
                    } catch (OffHeap.LimitReached e) {
                        refused++;
                        assertThat(OffHeap.bytesInUse()).as("%s refused with %d bytes allowed", model.getFileName(), allowed).isEqualTo(before);
                    }
                }
                assertThat(refused).as("loads refused part-way through %s", model.getFileName()).isGreaterThan(3);
                assertThat(OffHeap.bytesInUse()).isEqualTo(before);
            }
        } finally {
            OffHeap.setLimit(limit);
        }
    }
}
