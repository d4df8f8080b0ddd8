package org.dst4j.algorithms.freetickets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.dst4j.algorithms.Blobs;
import org.dst4j.algorithms.TrainingFlops;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.nn.data.DataOptions;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.evolution.EvolutionSchedule;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.MetricsLog;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RngStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreeTicketsTest {

    @Test
    void dstLearningRateStartsAtTheFullRateAndDropsInOrderHoweverShortTheRun() {
        float lr = 0.05f;
        // epochs -> rate of each epoch: the full rate first, then /10, then /100 (30 epochs: /10 at 15, /100 at 22).
        Map<Integer, float[]> expected = Map.of(
                1, new float[] {lr},
                2, new float[] {lr, lr / 10},
                3, new float[] {lr, lr / 10, lr / 100},
                4, new float[] {lr, lr, lr / 10, lr / 100});
        for (var e : expected.entrySet()) {
            var rate = FreeTickets.dstLearningRate(FreeTicketsConfig.defaults(Variant.DST).withEpochs(e.getKey()).withLearningRate(lr));
            float[] got = new float[e.getKey()];
            for (int epoch = 0; epoch < got.length; epoch++) got[epoch] = rate.at(epoch, 0, 1);
            assertThat(got).as("%d epochs", e.getKey()).containsExactly(e.getValue());
        }
        var thirty = FreeTickets.dstLearningRate(FreeTicketsConfig.defaults(Variant.DST).withEpochs(30).withLearningRate(lr));
        assertThat(thirty.at(14, 0, 1)).isEqualTo(lr);
        assertThat(thirty.at(15, 0, 1)).isEqualTo(lr / 10);
        assertThat(thirty.at(21, 0, 1)).isEqualTo(lr / 10);
        assertThat(thirty.at(22, 0, 1)).isEqualTo(lr / 100);
    }

    private static DatasetSplit small() throws Exception {
        return DataSources.load(new DataOptions(null, null, null, null, null, "last", 0.2, 0, 1200, 300));
    }

    private static FreeTicketsConfig config(Variant v, int members, int threads) {
        return new FreeTicketsConfig(v, members, new int[] {64, 64}, 0.2, 2, 2, 2, 32, 0.05f, 0.9f, 1e-5f, 0f, "relu",
                0.3, 0.8, 1, "gradient", 7, threads);
    }

    // The trainer counts one member's epochs: "no epoch was completed" from member 2 would read as if the run had none.
    @Test
    void anInterruptedRunSaysWhichMemberItStoppedIn(@TempDir Path dir) throws Exception {
        FreeTicketsConfig cfg = config(Variant.DST, 2, 1);
        boolean[] firstMemberDone = {false};
        TrainingProgress interruptInMember2 = new TrainingProgress() {
            @Override public void epoch(String phase, EpochMetrics m) {
                if (phase.equals("member 1/2") && m.epoch() == cfg.epochs()) firstMemberDone[0] = true;
            }

            @Override public void batch(int epoch, int done, int total) {
                if (firstMemberDone[0] && done == 1) Thread.currentThread().interrupt();
            }
        };
        try (DatasetSplit data = small()) {
            assertThatThrownBy(() -> FreeTickets.run(cfg, data, true, dir, interruptInMember2))
                    .isInstanceOf(CancellationException.class)
                    .hasMessageStartingWith("member 2/2: training interrupted after step 1 (epoch 1, 1 of ")
                    .hasMessageEndingWith("batches trained); no epoch was completed");
        } finally {
            Thread.interrupted(); // not for the next test on this thread
        }
    }

    @Test
    void edstTicketsDifferInTopologyAndTheEnsembleAveragesThem(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = small()) {
            FreeTickets.Result r = FreeTickets.run(config(Variant.EDST, 3, 2), data, true, dir, new TrainingProgress() {});
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
            FreeTickets.Result one = FreeTickets.run(config(Variant.DST, 2, 1), data, true, dir.resolve("t1"), new TrainingProgress() {});
            FreeTickets.Result two = FreeTickets.run(config(Variant.DST, 2, 2), data, true, dir.resolve("t2"), new TrainingProgress() {});
            assertThat(one.topologyDistance()[0][1][0]).isGreaterThan(0.5);
            assertThat(two.test().ensemble()).isEqualTo(one.test().ensemble());
            assertThat(two.test().members()).isEqualTo(one.test().members());
            assertThat(Files.readAllBytes(dir.resolve("t2/member-2.dst4j"))).isEqualTo(Files.readAllBytes(dir.resolve("t1/member-2.dst4j")));
            assertThat(one.trainingFlops()).isEqualTo(two.trainingFlops());
        }
    }

    // 12 features, 4 classes: 96 training samples, 3 batches of 32.
    private static DatasetSplit tiny() {
        Random r = new Random(3);
        return new DatasetSplit(Blobs.of("train", r, 96, 12, 2f), Blobs.of("test", r, 40, 12, 2f));
    }

    private static FreeTicketsConfig tinyConfig(Variant v, int members) {
        return new FreeTicketsConfig(v, members, new int[] {10, 6}, 0.5, 3, 1, 2, 32, 0.05f, 0.9f, 1e-5f, 0f, "relu",
                0.3, 0.8, 1, "random", 5, 1);
    }

    // Random regrowth: every step has the saved models' connections (TrainingFlops).
    @Test
    void dstTrainingFlopsAreEveryMembersAndTheDenseFiguresOneNetworks(@TempDir Path dir) throws Exception {
        FreeTicketsConfig cfg = tinyConfig(Variant.DST, 3);
        try (DatasetSplit data = tiny()) {
            FreeTickets.Result r = FreeTickets.run(cfg, data, true, dir, new TrainingProgress() {});
            long sparse = 0;
            for (Path f : r.memberFiles()) {
                try (SparseClassifier c = SparseClassifier.load(f, 1)) {
                    sparse += TrainingFlops.perSample(c.network().layers(), false, false) * 96 * 3;
                }
            }
            // One 12-10-6-4 network: 2 FLOPs x (2 x 12 x 10 + 3 x 10 x 6 + 3 x 6 x 4) per sample, 96 samples, 3 epochs.
            long dense = 2L * (2 * 12 * 10 + 3 * 10 * 6 + 3 * 6 * 4) * 96 * 3;
            assertThat(r.trainingFlops()).isEqualTo(sparse);
            assertThat(r.denseFlops()).isEqualTo(dense);
            @SuppressWarnings("unchecked") Map<String, Object> flops =
                    (Map<String, Object>) Json.parseObject(Files.readString(dir.resolve(FreeTickets.METRICS))).get("flops");
            assertThat(((Number) flops.get("ensemble_training")).longValue()).isEqualTo(sparse);
            assertThat(((Number) flops.get("dense_training")).longValue()).isEqualTo(dense);
            assertThat(((Number) flops.get("dense_epochs")).intValue()).isEqualTo(3);
            assertThat(((Number) flops.get("ensemble_over_dense")).doubleValue()).isEqualTo((double) sparse / dense);
        }
    }

    // EDST trains one network for 1 + 3 x 2 epochs: its FLOPs are that network's, whatever the tickets; the dense
    // network it is compared with trains as long.
    @Test
    void edstTrainingFlopsAreTheOneRunsAndTheDenseNetworkTrainsAsLong(@TempDir Path dir) throws Exception {
        FreeTicketsConfig cfg = tinyConfig(Variant.EDST, 3);
        assertThat(cfg.epochsPerNetwork()).isEqualTo(7);
        try (DatasetSplit data = tiny()) {
            FreeTickets.Result r = FreeTickets.run(cfg, data, true, dir, new TrainingProgress() {});
            try (SparseClassifier c = SparseClassifier.load(r.memberFiles().get(2), 1)) {
                List<SparseLinear> layers = c.network().layers();
                assertThat(r.trainingFlops()).isEqualTo(TrainingFlops.perSample(layers, false, false) * 96 * 7);
                assertThat(r.denseFlops()).isEqualTo(TrainingFlops.perSample(layers, false, true) * 96 * 7);
            }
            @SuppressWarnings("unchecked") Map<String, Object> flops =
                    (Map<String, Object>) Json.parseObject(Files.readString(dir.resolve(FreeTickets.METRICS))).get("flops");
            assertThat(((Number) flops.get("dense_epochs")).intValue()).isEqualTo(7);
            assertThat(((Number) flops.get("ensemble_over_dense")).doubleValue()).isEqualTo((double) r.trainingFlops() / r.denseFlops());
        }
    }

    // DST member i (0-based) trains with seed + i: it is the model a one-member run with that seed trains. Its file,
    // its log lines and its progress phase say which member it is; metrics.json's pairs and gain are the result's.
    @Test
    void dstMembersAreSeededAndNumberedAsDocumented(@TempDir Path dir) throws Exception {
        FreeTicketsConfig cfg = tinyConfig(Variant.DST, 3);
        List<String> phases = new ArrayList<>();
        TrainingProgress progress = new TrainingProgress() {
            @Override public void epoch(String phase, EpochMetrics m) {
                phases.add(phase);
            }
        };
        try (DatasetSplit data = tiny()) {
            long t0 = System.nanoTime();
            FreeTickets.Result r = FreeTickets.run(cfg, data, true, dir.resolve("three"), progress);
            double elapsed = (System.nanoTime() - t0) / 1e9;
            assertThat(r.trainSeconds()).isPositive().isLessThanOrEqualTo(elapsed);
            FreeTickets.run(cfg.withMembers(1).withSeed(cfg.seed() + 1), data, true, dir.resolve("alone"), new TrainingProgress() {});
            try (SparseClassifier second = SparseClassifier.load(r.memberFiles().get(1), 1);
                 SparseClassifier alone = SparseClassifier.load(dir.resolve("alone/member-1.dst4j"), 1)) {
                for (int l = 0; l < 3; l++) {
                    assertThat(second.network().layers().get(l).weights().values().toArray(ValueLayout.JAVA_FLOAT))
                            .as("layer %d", l).containsExactly(alone.network().layers().get(l).weights().values().toArray(ValueLayout.JAVA_FLOAT));
                }
            }
            for (int i = 0; i < 3; i++) {
                try (SparseClassifier c = SparseClassifier.load(r.memberFiles().get(i), 1)) {
                    Map<String, Object> provenance = Json.getObject(c.header(), "provenance");
                    assertThat(Json.getLong(provenance, "seed")).isEqualTo(cfg.seed() + i);
                    assertThat(Json.getLong(provenance, "member")).isEqualTo(i + 1);
                }
            }
            assertThat(phases).containsExactly("member 1/3", "member 1/3", "member 1/3", "member 2/3", "member 2/3", "member 2/3",
                    "member 3/3", "member 3/3", "member 3/3");
            assertThat(Files.readAllLines(dir.resolve("three").resolve(FreeTickets.LOG)))
                    .extracting(l -> Json.getLong(Json.parseObject(l), "member")).containsExactly(1L, 1L, 1L, 2L, 2L, 2L, 3L, 3L, 3L);
            Map<String, Object> m = Json.parseObject(Files.readString(dir.resolve("three").resolve(FreeTickets.METRICS)));
            @SuppressWarnings("unchecked") List<Map<String, Object>> pairs = (List<Map<String, Object>>) m.get("topology_distance");
            assertThat(pairs).extracting(d -> Json.getLong(d, "a") + "-" + Json.getLong(d, "b")).containsExactly("1-2", "1-3", "2-3");
            assertThat(pairs.get(2).get("layers")).isEqualTo(Json.parse(Json.write(r.topologyDistance()[1][2])));
            List<EnsembleMetrics.Scores> members = r.test().members();
            double best = members.stream().mapToDouble(EnsembleMetrics.Scores::accuracy).max().orElseThrow();
            assertThat(((Number) m.get("best_member_accuracy")).doubleValue()).isEqualTo(best);
            assertThat(((Number) m.get("ensemble_gain_points")).doubleValue()).isEqualTo(100 * (r.test().ensemble().accuracy() - best));
            assertThat(((Number) m.get("lowest_member_nll")).doubleValue())
                    .isEqualTo(members.stream().mapToDouble(EnsembleMetrics.Scores::nll).min().orElseThrow());
        }
    }

    // Each DST member's epochs count from 1: a diverged loss names the member it was in (here member 1 trains its three
    // epochs, member 2 diverges in its first).
    @Test
    void aDivergedLossNamesItsMember(@TempDir Path dir) {
        FreeTicketsConfig cfg = new FreeTicketsConfig(Variant.DST, 2, new int[] {10, 6}, 0.5, 3, 1, 2, 1, 1000f, 0.99f, 1e-5f, 0f, "relu",
                0.3, 0.8, 1, "random", 5, 1);
        try (DatasetSplit data = tiny()) {
            assertThatThrownBy(() -> FreeTickets.run(cfg, data, true, dir, new TrainingProgress() {}))
                    .isInstanceOf(Trainer.DivergedException.class).hasMessageStartingWith("member 2/2: training diverged at epoch 1, batch ");
        }
    }

    // A later epoch replaces the kept one only when strictly better: at a learning rate too small to move a weight, no
    // weight decay and no connection replaced, every epoch is the same model, and each member (each EDST phase) keeps its first.
    @Test
    void onATieInValidationAccuracyTheEarliestEpochIsKept(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = tiny()) {
            for (Variant v : Variant.values()) {
                FreeTicketsConfig cfg = new FreeTicketsConfig(v, 2, new int[] {10, 6}, 0.5, 3, 1, 2, 32, 1e-30f, 0.9f, 0f, 0f, "relu",
                        0, 0, 1, "random", 5, 1, "constant", 0.25);
                Path run = dir.resolve(v.label());
                FreeTickets.run(cfg, data, true, run, new TrainingProgress() {});
                List<Double> valid = Files.readAllLines(run.resolve(FreeTickets.LOG)).stream()
                        .filter(l -> Json.parseObject(l).containsKey("valid_accuracy"))
                        .map(l -> Json.getDouble(Json.parseObject(l), "valid_accuracy")).distinct().toList();
                assertThat(valid).as("%s: one network, unchanged", v).hasSize(v == Variant.DST ? 2 : 1);
                List<?> members = (List<?>) Json.parseObject(Files.readString(run.resolve(FreeTickets.METRICS))).get("members");
                assertThat(members).as("%s", v).extracting(m -> Json.getInt((Map<String, Object>) m, "selected_epoch"))
                        .containsExactly(v == Variant.DST ? new Integer[] {1, 1} : new Integer[] {2, 4});
            }
        }
    }

    // With a validation split, the kept files are written by the selection: they too name their member or ticket.
    @Test
    void withAValidationSplitTheKeptFilesAndLogLinesNameTheirMember(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = tiny()) {
            for (Variant v : Variant.values()) {
                FreeTicketsConfig cfg = new FreeTicketsConfig(v, 2, new int[] {10, 6}, 0.5, 2, 1, 1, 32, 0.05f, 0.9f, 1e-5f, 0f, "relu",
                        0.3, 0.8, 1, "random", 5, 1, "constant", 0.25);
                FreeTickets.Result r = FreeTickets.run(cfg, data, true, dir.resolve(v.label()), new TrainingProgress() {});
                for (int i = 0; i < 2; i++) {
                    try (SparseClassifier c = SparseClassifier.load(r.memberFiles().get(i), 1)) {
                        Map<String, Object> provenance = Json.getObject(c.header(), "provenance");
                        assertThat(Json.getLong(provenance, "member")).as("%s %d", v, i).isEqualTo(i + 1);
                        assertThat(Json.getLong(provenance, "seed")).as("%s %d", v, i).isEqualTo(v == Variant.DST ? 5 + i : 5);
                    }
                }
                List<Long> logged = Files.readAllLines(dir.resolve(v.label()).resolve(FreeTickets.LOG)).stream()
                        .map(l -> Json.getLong(Json.parseObject(l), "member")).toList();
                assertThat(logged).as("%s", v).isEqualTo(v == Variant.DST ? List.of(1L, 1L, 2L, 2L) : List.of(0L, 0L, 0L));
            }
        }
    }

    // Each saved model carries the standardizer fitted on the samples its network trained on: with a validation split those
    // its split seed left in (the held-out ones stay unseen), without one the whole training set; without standardization none.
    @Test
    void eachMemberCarriesTheStandardizerOfTheSamplesItTrainedOnOrNone(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = tiny()) {
            Standardizer whole = Standardizer.fit(data.train());
            for (Variant v : Variant.values()) {
                for (double split : new double[] {0, 0.25}) {
                    FreeTicketsConfig cfg = new FreeTicketsConfig(v, 2, new int[] {10, 6}, 0.5, 1, 1, 1, 32, 0.05f, 0.9f, 1e-5f, 0f, "relu",
                            0.3, 0.8, 1, "random", 5, 1, "constant", split, v == Variant.DST ? "own" : "shared");
                    Path run = dir.resolve(v.label() + "-" + split);
                    FreeTickets.Result r = FreeTickets.run(cfg, data, true, run, new TrainingProgress() {});
                    FreeTickets.Result plain = FreeTickets.run(cfg, data, false, run.resolveSibling(run.getFileName() + "-plain"), new TrainingProgress() {});
                    for (int i = 0; i < 2; i++) {
                        Standardizer expected = whole;
                        if (split > 0) {
                            try (Dataset fit = data.train().subset(FreeTickets.holdOut(96, split, cfg.splitSeed(i))[0])) {
                                expected = Standardizer.fit(fit);
                            }
                            assertThat(expected).isNotEqualTo(whole);
                        }
                        try (SparseClassifier c = SparseClassifier.load(r.memberFiles().get(i), 1);
                             SparseClassifier p = SparseClassifier.load(plain.memberFiles().get(i), 1)) {
                            assertThat(c.standardizer()).as("%s, split %s, member %d", v, split, i + 1).isEqualTo(expected);
                            assertThat(p.standardizer()).as("%s, split %s, member %d, not standardized", v, split, i + 1).isNull();
                        }
                    }
                }
            }
        }
    }

    // The public trainDst with no progress (null) trains and logs each epoch, reporting nothing, as documented.
    @Test
    void trainDstWithoutProgressTrainsAndLogsEveryEpoch(@TempDir Path dir) throws Exception {
        FreeTicketsConfig cfg = tinyConfig(Variant.DST, 1);
        MlpConfig shape = new MlpConfig(MlpConfig.sizes(12, cfg.hidden(), 4),
                cfg.activation(), 0.6f, Activation.linear(), cfg.dropout(), new Density.Erk(cfg.density()),
                new WeightInit.HeUniform());
        try (DatasetSplit data = tiny(); WorkerPool pool = new WorkerPool(1);
             MetricsLog log = MetricsLog.create(dir.resolve("log.jsonl"));
             SparseMlp net = SparseMlp.create(shape, new RngStreams(1).stream("init"), 1)) {
            FreeTickets.trainDst(net, cfg, 5, data, null, new ParallelKernels(KernelProvider.get(), pool),
                    log, null, "alone", 1);
        }
        assertThat(Files.readAllLines(dir.resolve("log.jsonl"))).extracting(l -> Json.getInt(Json.parseObject(l), "epoch")).containsExactly(1, 2, 3);
    }

    @Test
    void thePruneScheduleIsConstantOrCosineAsConfigured() {
        FreeTicketsConfig constant = new FreeTicketsConfig(Variant.DST, 1, new int[] {10}, 0.5, 10, 1, 1, 32, 0.05f, 0.9f, 1e-5f, 0f, "relu",
                0.4, 0.8, 1, "random", 5, 1, "constant", 0);
        FreeTicketsConfig cosine = new FreeTicketsConfig(Variant.DST, 1, new int[] {10}, 0.5, 10, 1, 1, 32, 0.05f, 0.9f, 1e-5f, 0f, "relu",
                0.4, 0.8, 1, "random", 5, 1, "cosine", 0);
        assertThat(FreeTickets.pruneSchedule(constant).fraction(8, 10)).isEqualTo(0.4);
        assertThat(FreeTickets.pruneSchedule(cosine).fraction(8, 10)).isLessThan(0.1);
    }

    @Test
    void theHeldOutSamplesAreDisjointFromTheTrainedOnesAndFixedByTheSeed() {
        int[][] a = FreeTickets.holdOut(1000, 0.1, 7);
        assertThat(a[1]).hasSize(100).isSorted();
        assertThat(a[0]).hasSize(900).isSorted();
        Set<Integer> seen = new HashSet<>();
        for (int i : a[0]) seen.add(i);
        for (int i : a[1]) assertThat(seen.add(i)).as("sample %d both trained on and held out", i).isTrue();
        assertThat(seen).hasSize(1000).allSatisfy(i -> assertThat(i).isBetween(0, 999));
        assertThat(FreeTickets.holdOut(1000, 0.1, 7)[1]).isEqualTo(a[1]);
        assertThat(FreeTickets.holdOut(1000, 0.1, 8)[1]).isNotEqualTo(a[1]);
        // Not simply the first or last samples: a random draw spread over the set.
        assertThat(a[1][0]).isLessThan(100);
        assertThat(a[1][99]).isGreaterThan(900);
        assertThatThrownBy(() -> FreeTickets.holdOut(3, 0.1, 7))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("valid split");
        // One sample either way is enough; none is not.
        assertThat(FreeTickets.holdOut(10, 0.1, 7)[1]).hasSize(1);
        assertThat(FreeTickets.holdOut(2, 0.5, 7)[0]).hasSize(1);
        assertThatThrownBy(() -> FreeTickets.holdOut(1, 0.5, 7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("valid split 0.5 of 1 training samples leaves 1 for validation and 0 for training; both need at least one");
    }

    // EDST's one run as its log tells it: exploration at lr, then each refinement phase of 3 epochs at lr/10 for its first
    // (rounded-up) half and lr/100 for the rest, each epoch labelled with its phase; without a validation split ticket t is
    // the model as trained at its phase's last epoch (scored on the test set as that epoch's record is, before the update).
    @Test
    void edstLogsEachPhasesLearningRateAndEachTicketIsItsPhasesLastEpoch(@TempDir Path dir) throws Exception {
        float lr = 0.05f;
        try (DatasetSplit data = tiny()) {
            for (int explore : new int[] {1, 0}) {
                FreeTicketsConfig cfg = tinyConfig(Variant.EDST, 2).withExploreEpochs(explore).withRefineEpochs(3);
                Path run = dir.resolve("explore" + explore);
                FreeTickets.Result r = FreeTickets.run(cfg, data, true, run, new TrainingProgress() {});
                List<Map<String, Object>> log = new ArrayList<>();
                for (String line : Files.readAllLines(run.resolve(FreeTickets.LOG))) log.add(Json.parseObject(line));
                List<Float> rates = new ArrayList<>();
                List<Object> phases = new ArrayList<>();
                if (explore == 1) {
                    rates.add(lr);
                    phases.add("exploration");
                }
                for (int t = 1; t <= 2; t++) {
                    rates.addAll(List.of(lr / 10, lr / 10, lr / 100));
                    phases.addAll(List.of("ticket " + t, "ticket " + t, "ticket " + t));
                }
                assertThat(log).as("explore %d", explore).extracting(rec -> (float) Json.getDouble(rec, "learning_rate")).containsExactlyElementsOf(rates);
                assertThat(log).as("explore %d", explore).extracting(rec -> rec.get("phase")).containsExactlyElementsOf(phases);
                for (int t = 1; t <= 2; t++) {
                    Map<String, Object> last = log.get(explore + 3 * t - 1);
                    assertThat(Json.getInt(last, "epoch")).isEqualTo(explore + 3 * t);
                    try (SparseClassifier c = SparseClassifier.load(r.memberFiles().get(t - 1), 1)) {
                        assertThat(c.evaluate(data.test()).accuracy()).as("explore %d, ticket %d", explore, t).isEqualTo(Json.getDouble(last, "test_accuracy"));
                        assertThat(Json.getLong(Json.getObject(c.header(), "provenance"), "member")).isEqualTo(t);
                    }
                }
            }
        }
    }

    @Test
    void edstKeepsExploringAtTheConstantRateAndCosineDecaysIt() {
        // 4 exploration epochs, 3 phases of 4: 16 epochs; phases end after epochs 7, 11 (large prune) and 15 (last: none).
        FreeTickets.EdstSchedule constant = new FreeTickets.EdstSchedule(EvolutionSchedule.constant(0.5, 1), 0.8, 4, 4, 3);
        FreeTickets.EdstSchedule cosine = new FreeTickets.EdstSchedule(EvolutionSchedule.cosine(0.5, 1), 0.8, 4, 4, 3);
        for (int e = 0; e < 15; e++) {
            assertThat(constant.afterEpoch(e, 16)).as("epoch %d", e).isTrue();
            double expected = e == 7 || e == 11 ? 0.8 : 0.5;
            assertThat(constant.fraction(e, 16)).as("epoch %d", e).isEqualTo(expected);
        }
        assertThat(constant.afterEpoch(15, 16)).isFalse();
        assertThat(cosine.fraction(7, 16)).isEqualTo(0.8);
        assertThat(cosine.fraction(13, 16)).isLessThan(0.05).isPositive();
        assertThat(cosine.fraction(0, 16)).isGreaterThan(0.49);
    }

    // The large prune-and-regrow ends every refinement phase but the last whatever the regular update's interval: here the
    // regular one comes every 2 epochs (after epochs 1, 3, 5, ...; 0-based) while the phases (3 exploration epochs, then 3 of 4)
    // end after epochs 6 and 10; with a regular prune rate of 0 the large ones are the only updates.
    @Test
    void edstPrunesLargelyAtEveryPhaseEndEvenWhereTheRegularUpdateDoesNotCome() {
        FreeTickets.EdstSchedule everyTwo = new FreeTickets.EdstSchedule(EvolutionSchedule.constant(0.5, 2), 0.8, 3, 4, 3);
        FreeTickets.EdstSchedule noRegular = new FreeTickets.EdstSchedule(EvolutionSchedule.constant(0, 1), 0.8, 3, 4, 3);
        List<Integer> updated = new ArrayList<>(), largeOnly = new ArrayList<>();
        for (int e = 0; e < 15; e++) {
            if (everyTwo.afterEpoch(e, 15)) updated.add(e);
            if (noRegular.afterEpoch(e, 15)) largeOnly.add(e);
        }
        assertThat(updated).containsExactly(1, 3, 5, 6, 7, 9, 10, 11, 13);
        assertThat(largeOnly).containsExactly(6, 10);
        assertThat(everyTwo.fraction(6, 15)).isEqualTo(0.8);
        assertThat(everyTwo.fraction(7, 15)).isEqualTo(0.5);
        assertThat(noRegular.fraction(10, 15)).isEqualTo(0.8);
    }

    @Test
    void withAValidationSplitEachMemberIsItsBestEpochOnItsHeldOutSamples(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = small()) {
            for (String splits : List.of("own", "shared")) {
                FreeTicketsConfig cfg = new FreeTicketsConfig(Variant.DST, 2, new int[] {64, 64}, 0.2, 6, 2, 2, 32, 0.05f, 0.9f, 1e-5f, 0f,
                        "relu", 0.3, 0.8, 1, "gradient", 7, 2, "constant", 0.25, splits);
                Path run = dir.resolve(splits + "-t2");
                FreeTickets.Result r = FreeTickets.run(cfg, data, true, run, new TrainingProgress() {});
                List<Map<String, Object>> log = new ArrayList<>();
                for (String line : Files.readAllLines(run.resolve(FreeTickets.LOG))) log.add(Json.parseObject(line));
                assertThat(log).hasSize(12).allSatisfy(rec -> assertThat(rec).containsKey("valid_accuracy"));
                Map<String, Object> metrics = Json.parseObject(Files.readString(run.resolve(FreeTickets.METRICS)));
                List<?> members = (List<?>) metrics.get("members");
                int[][] held = new int[2][];
                for (int m = 0; m < 2; m++) {
                    long splitSeed = splits.equals("own") ? 7 + m : 7;
                    assertThat(cfg.splitSeed(m)).isEqualTo(splitSeed);
                    held[m] = FreeTickets.holdOut(data.train().samples(), 0.25, splitSeed)[1];
                    // The kept epoch is the first with the member's highest validation accuracy.
                    double best = -1;
                    int bestEpoch = -1;
                    for (Map<String, Object> rec : log) {
                        if (((Number) rec.get("member")).intValue() != m + 1) continue;
                        double a = ((Number) rec.get("valid_accuracy")).doubleValue();
                        if (a > best) {
                            best = a;
                            bestEpoch = ((Number) rec.get("epoch")).intValue();
                        }
                    }
                    @SuppressWarnings("unchecked") Map<String, Object> member = (Map<String, Object>) members.get(m);
                    assertThat(((Number) member.get("selected_epoch")).intValue()).as("%s, member %d", splits, m + 1).isEqualTo(bestEpoch);
                    assertThat(((Number) member.get("valid_accuracy")).doubleValue()).isEqualTo(best);
                    assertThat(((Number) member.get("valid_split_seed")).longValue()).isEqualTo(splitSeed);
                    // The saved model is that epoch's: it scores exactly that on the samples this member held out.
                    try (Dataset valid = data.train().subset(held[m]);
                         SparseClassifier c = SparseClassifier.load(r.memberFiles().get(m), 1)) {
                        assertThat(c.evaluate(valid).accuracy()).as("%s, member %d on its held-out samples", splits, m + 1).isEqualTo(best);
                    }
                }
                if (splits.equals("own")) {
                    assertThat(held[1]).isNotEqualTo(held[0]);
                } else {
                    assertThat(held[1]).isEqualTo(held[0]);
                }
                assertThat(run).isDirectoryNotContaining("glob:**.candidate");
                // Same seed, one thread: the same held-out samples, selections and member bytes.
                Path one = dir.resolve(splits + "-t1");
                FreeTickets.run(cfg.withThreads(1), data, true, one, new TrainingProgress() {});
                assertThat(Files.readAllBytes(one.resolve("member-1.dst4j"))).isEqualTo(Files.readAllBytes(run.resolve("member-1.dst4j")));
                assertThat(Files.readAllBytes(one.resolve("member-2.dst4j"))).isEqualTo(Files.readAllBytes(run.resolve("member-2.dst4j")));
            }
        }
    }

    @Test
    void edstWithAValidationSplitKeepsEachTicketFromItsOwnRefinementPhase(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = small()) {
            FreeTicketsConfig cfg = new FreeTicketsConfig(Variant.EDST, 3, new int[] {64, 64}, 0.2, 2, 2, 3, 32, 0.05f, 0.9f, 1e-5f, 0f,
                    "relu", 0.3, 0.8, 1, "gradient", 7, 2, "constant", 0.2);
            FreeTickets.Result r = FreeTickets.run(cfg, data, true, dir, new TrainingProgress() {});
            Map<String, Object> metrics = Json.parseObject(Files.readString(dir.resolve(FreeTickets.METRICS)));
            List<?> members = (List<?>) metrics.get("members");
            for (int t = 0; t < 3; t++) {
                @SuppressWarnings("unchecked") Map<String, Object> ticket = (Map<String, Object>) members.get(t);
                // Phase t covers epochs 2 + 3t + 1 .. 2 + 3t + 3 (1-based); exploration epochs are never kept.
                assertThat(((Number) ticket.get("selected_epoch")).intValue()).as("ticket %d", t + 1).isBetween(3 + 3 * t, 5 + 3 * t);
                // The kept file, written by whichever epoch of the phase was best, names its ticket.
                try (SparseClassifier c = SparseClassifier.load(r.memberFiles().get(t), 1)) {
                    assertThat(Json.getLong(Json.getObject(c.header(), "provenance"), "member")).as("ticket %d", t + 1).isEqualTo(t + 1);
                }
            }
            assertThat(r.topologyDistance()[0][1][0]).isGreaterThan(0.3);
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
            // Each member scored alone, to check the ensemble's members line against.
            for (int i = 1; i <= 2; i++) {
                List<String> one = new ArrayList<>(List.of("predict", "--model", dir.resolve("run/member-" + i + ".dst4j").toString(),
                        "--output", dir.resolve("p" + i + ".csv").toString()));
                one.addAll(List.of(common));
                assertThat(Main.run(one.toArray(String[]::new))).isZero();
            }
            // Refused before training; had a check let one through, it writes here, not into runs/ in the working directory.
            String refused = dir.resolve("refused").toString();
            assertThat(Main.run(new String[] {"freetickets", "--variant", "bagging", "--out", refused})).isEqualTo(2);
            assertThat(Main.run(new String[] {"freetickets", "--prune-schedule", "linear", "--out", refused})).isEqualTo(2);
            assertThat(Main.run(new String[] {"freetickets", "--member-splits", "bagged", "--out", refused})).isEqualTo(2);
            assertThat(Main.run(new String[] {"freetickets", "--variant", "edst", "--member-splits", "own", "--out", refused})).isEqualTo(2);
            assertThat(Main.run(new String[] {"freetickets", "--valid-split", "0.9", "--out", refused})).isEqualTo(2);
            assertThat(Main.run(new String[] {"predict", "--model", dir.toString()})).as("a directory without ensemble.json").isEqualTo(1);
        } finally {
            System.setOut(stdout);
        }
        assertThat(captured.toString()).contains("ensemble vs best ticket", "training FLOPs", "accuracy");
        // predict on the directory: the ensemble's line, then its members' (each as predict scores it alone) and their diversity.
        List<String> lines = captured.toString().lines().toList();
        List<String> scored = lines.stream().filter(l -> l.startsWith("accuracy ")).toList();
        assertThat(scored).hasSize(3);
        String members = lines.get(lines.indexOf(scored.get(0)) + 1);
        double[] alone = scored.subList(1, 3).stream().mapToDouble(l -> Double.parseDouble(l.split(" ")[1])).toArray();
        double ensemble = Double.parseDouble(scored.get(0).split(" ")[1]);
        assertThat(members).startsWith(String.format("members: accuracy %.4f / %.4f (ensemble minus best member: %+.2f points), NLL ",
                alone[0], alone[1], 100 * (ensemble - Math.max(alone[0], alone[1])))).contains("mean pairwise disagreement", "KL");
        assertThat(Files.readAllLines(dir.resolve("p.csv"))).hasSize(201);
        // The variant's own defaults when not given: edst updates every 2 epochs and has one split.
        @SuppressWarnings("unchecked") Map<String, Object> config =
                (Map<String, Object>) Json.parseObject(Files.readString(dir.resolve("run").resolve(FreeTickets.METRICS))).get("config");
        assertThat(((Number) config.get("update_interval")).intValue()).isEqualTo(2);
        assertThat(config.get("prune_schedule")).isEqualTo("constant");
        assertThat(config).doesNotContainKey("member_splits");
        // The printed FLOPs are the run's: one exploration and two refinement epochs of one network.
        Map<String, Object> flops = Json.getObject(Json.parseObject(Files.readString(dir.resolve("run").resolve(FreeTickets.METRICS))), "flops");
        long ensembleFlops = Json.getLong(flops, "ensemble_training"), denseFlops = Json.getLong(flops, "dense_training");
        assertThat(lines).contains(String.format("training FLOPs: ensemble %.4g, one dense network (3 epochs) %.4g: ensemble/dense = %.3f",
                (double) ensembleFlops, (double) denseFlops, (double) ensembleFlops / denseFlops));
    }
}
