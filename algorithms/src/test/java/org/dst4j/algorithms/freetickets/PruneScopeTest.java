package org.dst4j.algorithms.freetickets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.IntStream;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.algorithms.neurotrails.NeuroTrails;
import org.dst4j.algorithms.neurotrails.NeuroTrailsConfig;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.evolution.EvolutionSchedule;
import org.dst4j.nn.evolution.MagnitudePrune;
import org.dst4j.nn.evolution.RandomGrow;
import org.dst4j.nn.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pruneScope}: which rule FreeTickets (and NeuroTrails through it) prunes with, and what a run records. */
class PruneScopeTest {
    @TempDir Path dir;

    @Test
    void theScopeChoosesThePruneRule() {
        FreeTicketsConfig layer = FreeTicketsConfig.defaults(Variant.DST);
        EvolutionSchedule s = EvolutionSchedule.constant(0.3, 1);
        assertThat(FreeTickets.evolution(layer, new RandomGrow(), s).prune()).isInstanceOf(MagnitudePrune.class);
        assertThat(FreeTickets.evolution(layer.withPruneScope("network"), new RandomGrow(), s).prune().getClass())
                .isEqualTo(MagnitudePrune.networkWide().getClass());
        // A new rule for every network trained: the network-wide one remembers its update's layers.
        assertThat(FreeTickets.evolution(layer.withPruneScope("network"), new RandomGrow(), s).prune())
                .isNotSameAs(FreeTickets.evolution(layer.withPruneScope("network"), new RandomGrow(), s).prune());
    }

    @Test
    void aNetworkScopeRunTrainsAnotherTopologyAndSaysSo() throws Exception {
        FreeTicketsConfig cfg = FreeTicketsConfig.defaults(Variant.DST).withMembers(1).withHidden(32, 32).withDensity(0.2)
                .withEpochs(3).withBatch(50).withThreads(1);
        try (DatasetSplit all = DataSources.embedded();
             Dataset train = all.train().subset(IntStream.range(0, 600).toArray());
             Dataset test = all.test().subset(IntStream.range(0, 200).toArray());
             DatasetSplit data = new DatasetSplit(train, test)) {
            FreeTickets.run(cfg, data, true, dir.resolve("layer"), new TrainingProgress() {});
            FreeTickets.run(cfg.withPruneScope("network"), data, true, dir.resolve("network"), new TrainingProgress() {});
            // NeuroTrails trains through FreeTickets' loop with a config of its own: the scope must reach it.
            NeuroTrailsConfig nt = NeuroTrailsConfig.defaults().withHeads(2).withHidden(32, 32).withDensity(0.2).withEpochs(3)
                    .withBatch(50).withThreads(1);
            NeuroTrails.run(nt, data, true, false, dir.resolve("nt-layer"), new TrainingProgress() {});
            NeuroTrails.run(nt.withPruneScope("network"), data, true, false, dir.resolve("nt-network"), new TrainingProgress() {});
        }
        assertThat(Files.readAllBytes(dir.resolve("nt-network/model/head-1.dst4j")))
                .isNotEqualTo(Files.readAllBytes(dir.resolve("nt-layer/model/head-1.dst4j")));
        Map<String, Object> layerConfig = Json.getObject(Json.parseObject(Json.readFile(dir.resolve("layer/metrics.json"))), "config");
        Map<String, Object> networkConfig = Json.getObject(Json.parseObject(Json.readFile(dir.resolve("network/metrics.json"))), "config");
        assertThat(layerConfig).doesNotContainKey("prune_scope");
        assertThat(networkConfig).containsEntry("prune_scope", "network");
        // Same seed, same data, same first epoch: the models part at the first topology update.
        assertThat(Files.readAllBytes(dir.resolve("network/member-1.dst4j"))).isNotEqualTo(Files.readAllBytes(dir.resolve("layer/member-1.dst4j")));
    }
}
