package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.algorithms.neurotrails.NeuroTrailsConfig;
import org.dst4j.algorithms.quickselection.QuickSelectionConfig;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.spacenet.SpaceNetConfig;
import org.dst4j.nn.io.Json;
import org.junit.jupiter.api.Test;

/** Each {@code withX} changes its field and nothing else, and is checked like the constructor. */
class ConfigWithMethodsTest {

    // after.toMap() is before.toMap() with only the given keys changed.
    private static void changesOnly(Map<String, Object> before, Map<String, Object> after, Object... keysAndValues) {
        Map<String, Object> expected = new LinkedHashMap<>(before);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            assertThat(expected).containsKey((String) keysAndValues[i]);
            expected.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        assertThat(Json.write(after)).isEqualTo(Json.write(expected));
    }

    @Test
    void setConfig() {
        SetConfig c = SetConfig.defaults();
        changesOnly(c.toMap(), c.withBatch(7).toMap(), "batch", 7);
        changesOnly(c.toMap(), c.withEpochs(3).toMap(), "epochs", 3);
        changesOnly(c.toMap(), c.withHidden(5, 6).toMap(), "hidden", new int[] {5, 6});
        changesOnly(c.toMap(), c.withSeed(9).toMap(), "seed", 9L);
        changesOnly(c.toMap(), c.withLearningRate(0.5f, "cosine").toMap(), "lr", 0.5, "schedule", "cosine");
        assertThat(c.withThreads(3).threads()).isEqualTo(3);
        assertThatThrownBy(() -> c.withBatch(0)).hasMessage("batch must be >= 1, got 0");
    }

    @Test
    void quickSelectionConfig() {
        QuickSelectionConfig c = QuickSelectionConfig.defaults();
        changesOnly(c.toMap(), c.withBatch(7).toMap(), "batch", 7);
        changesOnly(c.toMap(), c.withLearningRate(0.5f).toMap(), "learning_rate", 0.5f);
        changesOnly(c.toMap(), c.withK(3).withEpochs(4).withHidden(5).withSeed(6).withOutput("tanh").toMap(),
                "k", 3, "epochs", 4, "hidden", 5, "seed", 6L, "output", "tanh");
        assertThat(c.withThreads(3).threads()).isEqualTo(3);
        assertThatThrownBy(() -> c.withLearningRate(-5f)).hasMessage("lr must be finite and > 0, got -5.0");
    }

    @Test
    void freeTicketsConfig() {
        FreeTicketsConfig dst = FreeTicketsConfig.defaults(Variant.DST);
        changesOnly(dst.toMap(), dst.withMembers(5).toMap(), "members", 5);
        changesOnly(dst.toMap(), dst.withHidden(8, 9).toMap(), "hidden", new int[] {8, 9});
        changesOnly(dst.toMap(), dst.withDensity(0.3).toMap(), "density", 0.3);
        changesOnly(dst.toMap(), dst.withEpochs(4).toMap(), "epochs", 4);
        changesOnly(dst.toMap(), dst.withBatch(16).toMap(), "batch", 16);
        changesOnly(dst.toMap(), dst.withLearningRate(0.5f).toMap(), "lr", 0.5);
        changesOnly(dst.toMap(), dst.withSeed(3).toMap(), "seed", 3L);
        assertThat(dst.withThreads(3).threads()).isEqualTo(3);
        assertThat(dst.withThreads(3).memberSplits()).isEqualTo("own");
        FreeTicketsConfig edst = FreeTicketsConfig.defaults(Variant.EDST);
        changesOnly(edst.toMap(), edst.withExploreEpochs(2).withRefineEpochs(3).toMap(), "explore_epochs", 2, "refine_epochs", 3);
        assertThatThrownBy(() -> dst.withDensity(0)).hasMessage("density must be in (0, 1], got 0.0");
        // The default scope is left out of the map, so layer-scope runs keep their files' bytes; network is written.
        assertThat(dst.pruneScope()).isEqualTo("layer");
        assertThat(dst.withPruneScope("network").toMap()).containsEntry("prune_scope", "network");
        assertThat(Json.write(dst.withPruneScope("network").withPruneScope("layer").toMap())).isEqualTo(Json.write(dst.toMap()));
        // toMap leaves the default scope out, so changesOnly cannot see a with method that drops it: checked here for every one.
        FreeTicketsConfig n = dst.withPruneScope("network");
        for (FreeTicketsConfig c : new FreeTicketsConfig[] {n.withMembers(5), n.withHidden(8, 9), n.withDensity(0.3), n.withEpochs(4),
                n.withExploreEpochs(2), n.withRefineEpochs(3), n.withBatch(16), n.withLearningRate(0.5f), n.withSeed(3), n.withThreads(3)}) {
            assertThat(c.pruneScope()).isEqualTo("network");
        }
        assertThatThrownBy(() -> dst.withPruneScope("global")).hasMessage("prune scope must be layer or network, got global");
    }

    @Test
    void neuroTrailsConfig() {
        NeuroTrailsConfig c = NeuroTrailsConfig.defaults();
        changesOnly(c.toMap(), c.withHeads(5).toMap(), "heads", 5);
        changesOnly(c.toMap(), c.withHidden(8, 9, 10).withSharedLayers(2).toMap(), "hidden", new int[] {8, 9, 10}, "shared_layers", 2);
        changesOnly(c.toMap(), c.withDensity(0.3).toMap(), "density", 0.3);
        changesOnly(c.toMap(), c.withEpochs(4).toMap(), "epochs", 4);
        changesOnly(c.toMap(), c.withBatch(16).toMap(), "batch", 16);
        changesOnly(c.toMap(), c.withLearningRate(0.5f).toMap(), "lr", 0.5);
        changesOnly(c.toMap(), c.withSeed(3).toMap(), "seed", 3L);
        assertThat(c.withThreads(3).threads()).isEqualTo(3);
        assertThatThrownBy(() -> c.withSharedLayers(3)).hasMessageStartingWith("shared layers must be in [1, 2]");
        assertThat(c.pruneScope()).isEqualTo("layer");
        assertThat(c.withPruneScope("network").toMap()).containsEntry("prune_scope", "network");
        assertThat(Json.write(c.withPruneScope("network").withPruneScope("layer").toMap())).isEqualTo(Json.write(c.toMap()));
        NeuroTrailsConfig n = c.withPruneScope("network");
        for (NeuroTrailsConfig k : new NeuroTrailsConfig[] {n.withHeads(5), n.withHidden(8, 9, 10), n.withSharedLayers(2), n.withDensity(0.3),
                n.withEpochs(4), n.withBatch(16), n.withLearningRate(0.5f), n.withSeed(3), n.withThreads(3)}) {
            assertThat(k.pruneScope()).isEqualTo("network");
        }
        assertThatThrownBy(() -> c.withPruneScope(null)).isInstanceOf(NullPointerException.class).hasMessage("pruneScope");
    }

    @Test
    void spaceNetConfig() {
        SpaceNetConfig c = SpaceNetConfig.defaults();
        changesOnly(c.toMap(), c.withTasks(2).toMap(), "tasks", 2);
        changesOnly(c.toMap(), c.withHidden(new int[] {50}, new int[] {300, 40}).toMap(), "hidden", new int[] {50},
                "connections_per_task", new int[] {300, 40});
        changesOnly(c.toMap(), c.withEpochs(2).toMap(), "epochs_per_task", 2);
        changesOnly(c.toMap(), c.withBatch(16).toMap(), "batch", 16);
        changesOnly(c.toMap(), c.withLearningRate(0.5f).toMap(), "lr", 0.5);
        changesOnly(c.toMap(), c.withSeed(3).toMap(), "seed", 3L);
        assertThat(c.withThreads(3).threads()).isEqualTo(3);
        assertThatThrownBy(() -> c.withHidden(new int[] {50}, new int[] {300, 40, 10}))
                .hasMessage("connections per task needs one count per layer (2), got 3");
    }
}
