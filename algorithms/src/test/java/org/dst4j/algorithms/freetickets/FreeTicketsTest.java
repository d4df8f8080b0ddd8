package org.dst4j.algorithms.freetickets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.nn.data.DataOptions;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.SparseClassifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreeTicketsTest {

    private static DatasetSplit small() throws Exception {
        return DataSources.load(new DataOptions(null, null, null, null, null, "last", 0.2, false, 0, 1200, 300));
    }

    private static FreeTicketsConfig config(Variant v, int members, int threads) {
        return new FreeTicketsConfig(v, members, new int[] {64, 64}, 0.2, 2, 2, 2, 32, 0.05f, 0.9f, 1e-5f, 0f, "relu",
                0.3, 0.8, 1, "gradient", 7, threads);
    }

    @Test
    void edstTicketsDifferInTopologyAndTheEnsembleAveragesThem(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = small()) {
            FreeTickets.Result r = FreeTickets.run(config(Variant.EDST, 3, 2), data, true, dir, new FreeTickets.Progress() {});
            assertThat(r.memberFiles()).hasSize(3).allSatisfy(f -> assertThat(f).isRegularFile());
            // The large prune-and-regrow between tickets replaces 80% of each sparse layer: tickets must differ.
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    double[] d = r.topologyDistance()[i][j];
                    if (i == j) {
                        assertThat(d).containsOnly(0.0);
                    } else {
                        assertThat(d[0]).as("tickets %d,%d layer 1", i, j).isGreaterThan(0.3);
                        assertThat(d[1]).as("tickets %d,%d layer 2", i, j).isGreaterThan(0.3);
                    }
                }
            }
            try (EnsembleClassifier e = EnsembleClassifier.load(dir, 1)) {
                List<float[]> own = new ArrayList<>();
                for (Path f : r.memberFiles()) {
                    try (SparseClassifier c = SparseClassifier.load(f, 1)) {
                        own.add(c.predictProbabilities(data.test()));
                    }
                }
                float[] avg = e.predictProbabilities(data.test());
                for (int i = 0; i < avg.length; i++) {
                    assertThat(avg[i]).isCloseTo((own.get(0)[i] + own.get(1)[i] + own.get(2)[i]) / 3, within(1e-6f));
                }
                EnsembleMetrics m = e.evaluate(data.test());
                assertThat(m.ensemble().accuracy()).isEqualTo(r.test().ensemble().accuracy()).isGreaterThan(0.5);
                assertThat(m.members().get(1).accuracy()).isEqualTo(r.test().members().get(1).accuracy());
            }
            // 20%-dense hidden layers: far fewer FLOPs than dense, but some (RigL's gradient pass counted too).
            assertThat(r.trainingFlops()).isPositive().isLessThan(r.denseFlops() / 2);
            Map<String, Object> metrics = Json.parseObject(Files.readString(dir.resolve(FreeTickets.METRICS)));
            assertThat(metrics).containsKeys("ensemble", "members", "disagreement", "kl", "topology_distance", "flops");
            assertThat(Files.size(dir.resolve(FreeTickets.CHART))).isGreaterThan(1000);
            assertThat(Files.readAllLines(dir.resolve(FreeTickets.LOG))).hasSize(2 + 3 * 2);
        }
    }

    @Test
    void dstMembersUseTheirOwnSeedsAndTheRunIsThreadIndependent(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = small()) {
            FreeTickets.Result one = FreeTickets.run(config(Variant.DST, 2, 1), data, true, dir.resolve("t1"), new FreeTickets.Progress() {});
            FreeTickets.Result two = FreeTickets.run(config(Variant.DST, 2, 2), data, true, dir.resolve("t2"), new FreeTickets.Progress() {});
            assertThat(one.topologyDistance()[0][1][0]).isGreaterThan(0.5);
            assertThat(two.test().ensemble()).isEqualTo(one.test().ensemble());
            assertThat(two.test().members()).isEqualTo(one.test().members());
            assertThat(Files.readAllBytes(dir.resolve("t2/member-2.dst4j"))).isEqualTo(Files.readAllBytes(dir.resolve("t1/member-2.dst4j")));
            assertThat(one.trainingFlops()).isEqualTo(two.trainingFlops());
        }
    }

    @Test
    void cliTrainsAndPredictAcceptsTheEnsembleDirectory(@TempDir Path dir) throws Exception {
        String[] common = {"--limit-train", "800", "--limit-test", "200"};
        List<String> train = new ArrayList<>(List.of("freetickets", "--variant", "edst", "--members", "2", "--hidden", "48",
                "--explore-epochs", "1", "--refine-epochs", "1", "--threads", "2", "--out", dir.resolve("run").toString()));
        train.addAll(List.of(common));
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            assertThat(Main.run(train.toArray(String[]::new))).isZero();
            List<String> predict = new ArrayList<>(List.of("predict", "--model", dir.resolve("run").toString(),
                    "--output", dir.resolve("p.csv").toString()));
            predict.addAll(List.of(common));
            assertThat(Main.run(predict.toArray(String[]::new))).isZero();
            assertThat(Main.run(new String[] {"freetickets", "--variant", "bagging"})).isEqualTo(2);
            assertThat(Main.run(new String[] {"predict", "--model", dir.toString()})).as("a directory without ensemble.json").isEqualTo(1);
        } finally {
            System.setOut(stdout);
        }
        assertThat(captured.toString()).contains("ensemble vs best ticket", "training FLOPs", "accuracy");
        assertThat(Files.readAllLines(dir.resolve("p.csv"))).hasSize(201);
    }
}
