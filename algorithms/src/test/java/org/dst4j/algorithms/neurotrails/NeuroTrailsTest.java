package org.dst4j.algorithms.neurotrails;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;
import static org.assertj.core.data.Percentage.withPercentage;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dst4j.algorithms.Blobs;
import org.dst4j.algorithms.TrainingFlops;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.algorithms.freetickets.FreeTickets;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.MultiHeadClassifier;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NeuroTrailsTest {

    @Test
    void budgetDensityMatchesTheSingleNetworksConnections() {
        int[] single = {784, 1000, 1000, 10};
        long budget = NeuroTrails.connections(List.of(single), 0.1, 1);
        List<int[]> parts = List.of(new int[] {784, 1000}, new int[] {1000, 1000, 10}, new int[] {1000, 1000, 10}, new int[] {1000, 1000, 10});
        double eps = NeuroTrails.epsilonFor(parts, budget);
        assertThat((double) NeuroTrails.erConnections(parts, eps)).isCloseTo(budget, withPercentage(0.1));
        double d = NeuroTrails.densityFor(List.of(single), budget / 3);
        assertThat(d).isLessThan(0.1);
        // "single": the backbone keeps the single network's first-layer connections (ERK: about 80,000 of 179,400).
        long first = NeuroTrails.singleConnections(single, 0.1, 1);
        assertThat(first).isEqualTo(Math.round(new Density.Erk(0.1).densities(single)[0] * 784 * 1000));
        assertThat((double) first / budget).isBetween(0.4, 0.5);
        assertThat((double) NeuroTrails.connections(List.of(single), d, 3)).isCloseTo(budget, withPercentage(0.1));

        // The lowest density that reaches the budget: a budget some density gives exactly is met exactly, not overshot.
        assertThat(NeuroTrails.connections(List.of(single), NeuroTrails.densityFor(List.of(single), budget), 1)).isEqualTo(budget);
        // A budget the dense network fits in: every connection.
        assertThat(NeuroTrails.densityFor(List.of(single), 784 * 1000 + 1000 * 1000 + 1000 * 10)).isEqualTo(1.0);
    }

    @Test
    void theNetworksToCheckAreTheBackboneWithOneHeadAndWithCompareTheTwoBaselines() {
        NeuroTrailsConfig cfg = NeuroTrailsConfig.defaults().withHeads(2).withHidden(10, 6).withDensity(0.5);
        assertThat(NeuroTrails.networks(cfg, 12, 4, false)).extracting(NeuroTrails.Network::name).containsExactly(NeuroTrails.BACKBONE_AND_HEAD);
        List<NeuroTrails.Network> all = NeuroTrails.networks(cfg, 12, 4, true);
        assertThat(all).extracting(NeuroTrails.Network::name).containsExactly(NeuroTrails.BACKBONE_AND_HEAD, "single network", "DST member");
        assertThat(all).allSatisfy(n -> assertThat(n.sizes()).containsExactly(12, 10, 6, 4));
        assertThat(all.get(1).densities()).containsExactly(new Density.Erk(0.5).densities(new int[] {12, 10, 6, 4}));
        // No data has them: 0 features would give a network of no inputs, described as dense.
        assertThatThrownBy(() -> NeuroTrails.networks(cfg, 0, 4, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("features must be >= 1, got 0");
        assertThatThrownBy(() -> NeuroTrails.networks(cfg, 12, 0, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("classes must be >= 1, got 0");
        assertThatThrownBy(() -> NeuroTrails.networks(null, 12, 4, true)).isInstanceOf(NullPointerException.class).hasMessage("cfg");
    }

    // Networks and the resumable count compare and print by content (the generated record methods would compare arrays
    // by identity).
    @Test
    void aNetworkComparesByItsArraysAndAResumableCountIsAtLeastZero() {
        NeuroTrailsConfig cfg = NeuroTrailsConfig.defaults().withHeads(2).withHidden(10, 6).withDensity(0.5);
        NeuroTrails.Network a = NeuroTrails.networks(cfg, 12, 4, false).getFirst(), b = NeuroTrails.networks(cfg, 12, 4, false).getFirst();
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(NeuroTrails.networks(cfg.withDensity(0.4), 12, 4, false).getFirst());
        assertThat(a.toString()).contains(NeuroTrails.BACKBONE_AND_HEAD, "[12, 10, 6, 4]");
        assertThat(new NeuroTrails.Resumable(cfg, false, 0).epochsDone()).isZero();
        assertThatThrownBy(() -> new NeuroTrails.Resumable(cfg, false, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("epochsDone must be >= 0, got -1");
    }

    @Test
    void logitMeanIsTheSoftmaxOfTheHeadsMeanLogits() {
        double[][] logits = {{1.0, -2.0, 0.5}, {0.0, 3.0, -1.0}};
        List<float[]> probs = new ArrayList<>();
        for (double[] z : logits) {
            double s = 0;
            for (double v : z) s += Math.exp(v);
            float[] p = new float[3];
            for (int j = 0; j < 3; j++) p[j] = (float) (Math.exp(z[j]) / s);
            probs.add(p);
        }
        float[] got = NeuroTrails.logitMean(probs, 3);
        double[] mean = {0.5, 0.5, -0.25};
        double s = 0;
        for (double v : mean) s += Math.exp(v);
        for (int j = 0; j < 3; j++) assertThat((double) got[j]).isCloseTo(Math.exp(mean[j]) / s, offset(1e-6));
    }

    // Every sample's row of its own: the heads' logits of sample i are averaged over sample i's probabilities only.
    @Test
    void logitMeanCombinesEachSampleFromItsOwnProbabilities() {
        double[][][] logits = {{{1.0, -2.0, 0.5}, {0.2, 0.1, -1.5}, {-0.7, 2.0, 0.0}}, {{0.0, 3.0, -1.0}, {1.4, -0.3, 0.9}, {0.5, 0.5, -2.0}}};
        List<float[]> probs = new ArrayList<>();
        for (double[][] head : logits) {
            float[] p = new float[9];
            for (int i = 0; i < 3; i++) {
                double s = 0;
                for (double v : head[i]) s += Math.exp(v);
                for (int j = 0; j < 3; j++) p[i * 3 + j] = (float) (Math.exp(head[i][j]) / s);
            }
            probs.add(p);
        }
        float[] got = NeuroTrails.logitMean(probs, 3);
        assertThat(got).hasSize(9);
        for (int i = 0; i < 3; i++) {
            double[] mean = new double[3];
            double s = 0;
            for (int j = 0; j < 3; j++) {
                mean[j] = (logits[0][i][j] + logits[1][i][j]) / 2;
                s += Math.exp(mean[j]);
            }
            for (int j = 0; j < 3; j++) {
                assertThat((double) got[i * 3 + j]).as("sample %d, class %d", i, j).isCloseTo(Math.exp(mean[j]) / s, offset(1e-6));
            }
        }
    }

    // The densities networks() reports spend the budget as run divides it: the backbone and M heads together hold the
    // single network's connections, and each of the M DST members an M-th of them.
    @Test
    void theNetworksDensitiesSpendTheParameterBudget() {
        int[] sizes = {784, 300, 100, 10};
        for (int m : new int[] {2, 3}) {
            NeuroTrailsConfig cfg = NeuroTrailsConfig.defaults().withHeads(m).withHidden(300, 100).withDensity(0.1);
            List<NeuroTrails.Network> all = NeuroTrails.networks(cfg, 784, 10, true);
            long budget = NeuroTrails.connections(List.of(sizes), 0.1, 1);
            double[] path = all.get(0).densities(), member = all.get(2).densities();
            double backbone = path[0] * 784 * 300, head = path[1] * 300 * 100 + path[2] * 100 * 10, oneMember = 0;
            for (int l = 0; l < 3; l++) oneMember += member[l] * sizes[l] * sizes[l + 1];
            assertThat(backbone + m * head).as("backbone + %d heads", m).isCloseTo(budget, withPercentage(0.5));
            assertThat(m * oneMember).as("%d DST members", m).isCloseTo(budget, withPercentage(0.5));
        }
    }

    @Test
    void cliComparesAtEqualBudgetAndPredictReadsTheModel(@TempDir Path dir) throws Exception {
        String[] common = {"--limit-train", "600", "--limit-test", "200"};
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            assertThat(Main.run(concat(new String[] {"neurotrails", "--heads", "2", "--hidden", "64,64", "--epochs", "2", "--compare",
                "--threads", "2", "--out", dir.resolve("nt").toString()}, common))).isZero();
            assertThat(Main.run(concat(new String[] {"predict", "--model", dir.resolve("nt/model").toString(), "--output",
                dir.resolve("p.csv").toString()}, common))).isZero();
            assertThat(Main.run(new String[] {"neurotrails", "--shared-layers", "3", "--hidden", "64,64", "--out", dir.resolve("refused").toString()})).isEqualTo(2);
        } finally {
            System.setOut(stdout);
        }
        Map<String, Object> m = Json.parseObject(Files.readString(dir.resolve("nt/metrics.json")));
        // predict scores the heads too, one accuracy each.
        assertThat(captured.toString().lines().filter(l -> l.startsWith("heads: accuracy ")).toList()).singleElement()
                .satisfies(l -> assertThat(l.split(" \\(")[0].split(" / ")).hasSize(2));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) m.get("comparison");
        assertThat(rows).hasSize(3);
        assertThat(m.get("ensemble_logit_mean")).isInstanceOf(Map.class);
        long budget = Json.getLong(m, "parameter_budget");
        for (Map<String, Object> r : rows) {
            assertThat((double) Json.getLong(r, "connections")).as("%s", r.get("model"))
                    .isCloseTo(budget, withPercentage(1));
        }
        assertThat(captured.toString()).contains("NeuroTrails (M=2", "single sparse network", "FreeTickets DST (M=2)");
        // The table's FLOPs column and the dense line print what metrics.json holds.
        List<String> lines = captured.toString().lines().toList();
        for (Map<String, Object> r : rows) {
            assertThat(lines).as("%s", r.get("model")).anySatisfy(l -> assertThat(l).startsWith((String) r.get("model"))
                    .contains(String.format(" %14.4g ", (double) Json.getLong(r, "training_flops"))));
        }
        long dense = Json.getLong(m, "dense_training_flops_one_network");
        assertThat(lines).contains(String.format("one dense network of this shape, same epochs: %.4g FLOPs; 2 independent dense networks: %.4g",
                (double) dense, 2.0 * dense));
        assertThat(Files.readAllLines(dir.resolve("p.csv"))).hasSize(201);
    }

    @Test
    void backboneShareDividesTheBudgetAndBadValuesNameTheOption(@TempDir Path dir) throws Exception {
        String[] common = {"--limit-train", "300", "--limit-test", "100", "--hidden", "64,64", "--epochs", "1", "--threads", "1"};
        PrintStream stdout = System.out, stderr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true));
        System.setErr(new PrintStream(err, true));
        try {
            assertThat(Main.run(concat(new String[] {"neurotrails", "--backbone-share", "0.5", "--head-loss", "sum", "--out",
                dir.resolve("nt").toString()}, common))).isZero();
            assertThat(Main.run(concat(new String[] {"neurotrails", "--backbone-share", "single", "--out", dir.resolve("single").toString()},
                common))).isZero();
            // Refused before training; had a check let one through, it writes here, not into runs/ in the working directory.
            String refused = dir.resolve("refused").toString();
            assertThat(Main.run(concat(new String[] {"neurotrails", "--backbone-share", "1", "--out", refused}, common))).isEqualTo(2);
            assertThat(Main.run(concat(new String[] {"neurotrails", "--head-loss", "max", "--out", refused}, common))).isEqualTo(2);
            assertThat(Main.run(concat(new String[] {"neurotrails", "--backbone-share", "half", "--out", refused}, common))).isEqualTo(2);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        assertThat(err.toString()).contains("--backbone-share", "--head-loss");
        Map<String, Object> m = Json.parseObject(Files.readString(dir.resolve("nt/metrics.json")));
        long budget = Json.getLong(m, "parameter_budget");
        assertThat((double) Json.getLong(m, "backbone_connections")).isCloseTo(budget / 2.0, withPercentage(3));
        @SuppressWarnings("unchecked")
        List<Object> heads = (List<Object>) m.get("head_connections");
        assertThat(heads).hasSize(3);
        // The heads spend the rest of the budget.
        long all = Json.getLong(m, "backbone_connections");
        for (Object h : heads) all += ((Number) h).longValue();
        assertThat((double) all).isCloseTo(budget, withPercentage(3));
        @SuppressWarnings("unchecked")
        Map<String, Object> cfg = (Map<String, Object>) m.get("config");
        assertThat(cfg.get("head_loss")).isEqualTo("sum");
        Map<String, Object> s = Json.parseObject(Files.readString(dir.resolve("single/metrics.json")));
        assertThat((double) Json.getLong(s, "backbone_connections")).isCloseTo(NeuroTrails.singleConnections(new int[] {784, 64, 64, 10}, 0.1, 1),
                withPercentage(3));
    }

    // A diverged loss names the network it was in: NeuroTrails' own, or which comparison and member (each counts its
    // epochs from 1). At learning rate 350 NeuroTrails trains; the DST ensemble's first member diverges.
    @Test
    void aDivergedLossNamesTheNetworkItWasIn(@TempDir Path dir) {
        for (float lr : new float[] {1000f, 350f}) {
            NeuroTrailsConfig cfg = new NeuroTrailsConfig(2, 1, new int[] {10, 6}, 0.5, 2, 1, lr, 0.99f, 1e-5f, 0f, "relu", 0.3, 1, "random",
                    5, 1, "sum", "erk", 0f);
            Random random = new Random(3);
            try (DatasetSplit data = new DatasetSplit(Blobs.of("train", random, 96, 12, 2f), Blobs.of("test", random, 40, 12, 2f))) {
                assertThatThrownBy(() -> NeuroTrails.run(cfg, data, true, true, dir.resolve("lr" + lr), new TrainingProgress() {}))
                        .isInstanceOf(Trainer.DivergedException.class)
                        .hasMessageStartingWith(lr == 1000f ? "neurotrails: training diverged at epoch 1, batch "
                                : "FreeTickets DST (M=2), member 1/2: training diverged at epoch 2, batch ");
            }
        }
    }

    // The comparison's FLOPs on a tiny run (12 features, 4 classes, 96 samples, 2 epochs): random regrowth keeps every
    // network's connections (TrainingFlops), so each row is its models' connections over every sample and epoch; the
    // heads compute their input gradient for the backbone. The dense figure is one 12-10-6-4 network's, as
    // FreeTickets counts it for the single network it trains.
    @Test
    void theComparisonsTrainingFlopsAndTheDenseNetworksArePinned(@TempDir Path dir) throws Exception {
        NeuroTrailsConfig cfg = new NeuroTrailsConfig(2, 1, new int[] {10, 6}, 0.5, 2, 32, 0.05f, 0.9f, 1e-5f, 0f, "relu", 0.3, 1, "random",
                5, 1, "sum", "erk", 0f);
        NeuroTrails.Result r;
        Random random = new Random(3);
        double elapsed;
        try (DatasetSplit data = new DatasetSplit(Blobs.of("train", random, 96, 12, 2f), Blobs.of("test", random, 40, 12, 2f))) {
            long t0 = System.nanoTime();
            r = NeuroTrails.run(cfg, data, true, true, dir, new TrainingProgress() {});
            elapsed = (System.nanoTime() - t0) / 1e9;
        }
        assertThat(r.rows()).allSatisfy(row -> assertThat(row.seconds()).isPositive().isLessThanOrEqualTo(elapsed));
        assertThat(Files.size(dir.resolve(NeuroTrails.CHART))).isPositive();
        long perSample;
        try (MultiHeadClassifier c = MultiHeadClassifier.load(dir.resolve(NeuroTrails.MODEL_DIR), 1)) {
            assertThat(c.manifest()).containsEntry("algorithm", "neurotrails");
            assertThat(Json.getLong(Json.getObject(c.manifest(), "provenance"), "seed")).isEqualTo(5);
            perSample = TrainingFlops.perSample(c.network().backbone().layers(), false, false);
            for (SparseMlp h : c.network().heads()) perSample += TrainingFlops.perSample(h.layers(), true, false);
        }
        long[] expected = {perSample * 96 * 2, ensembleFlops(dir.resolve("single")) * 96 * 2, ensembleFlops(dir.resolve("freetickets-dst")) * 96 * 2};
        assertThat(r.rows()).extracting(NeuroTrails.Row::trainingFlops).containsExactly(expected[0], expected[1], expected[2]);
        long dense = 2L * (2 * 12 * 10 + 3 * 10 * 6 + 3 * 6 * 4) * 96 * 2;
        assertThat(r.denseFlopsPerNetwork()).isEqualTo(dense);
        Map<String, Object> m = Json.parseObject(Files.readString(dir.resolve(NeuroTrails.METRICS)));
        assertThat(Json.getLong(m, "dense_training_flops_one_network")).isEqualTo(dense);
        assertThat(Json.getLong(m, "dense_training_flops_m_networks")).isEqualTo(2 * dense);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) m.get("comparison");
        assertThat(rows).extracting(x -> Json.getLong(x, "training_flops")).containsExactly(expected[0], expected[1], expected[2]);
        Map<String, Object> single = Json.getObject(Json.parseObject(Files.readString(dir.resolve("single").resolve(FreeTickets.METRICS))), "flops");
        assertThat(Json.getLong(single, "dense_training")).isEqualTo(dense);
    }

    // The configured head-input dropout reaches the network: the same run without it trains another model, and the
    // same run with it again the same one.
    @Test
    void headInputDropoutIsAppliedToTheRunsNetwork(@TempDir Path dir) throws Exception {
        Random random = new Random(3);
        try (DatasetSplit data = new DatasetSplit(Blobs.of("train", random, 96, 12, 2f), Blobs.of("test", random, 40, 12, 2f))) {
            String[] runs = {"off", "on", "again"};
            float[] rates = {0f, 0.3f, 0.3f};
            for (int i = 0; i < runs.length; i++) {
                NeuroTrailsConfig cfg = new NeuroTrailsConfig(2, 1, new int[] {10, 6}, 0.5, 1, 32, 0.05f, 0.9f, 1e-5f, 0f, "relu", 0.3, 1, "random",
                        5, 1, "sum", "erk", rates[i]);
                NeuroTrails.run(cfg, data, true, false, dir.resolve(runs[i]), new TrainingProgress() {});
            }
        }
        for (String part : List.of("backbone.dst4j", "head-1.dst4j", "head-2.dst4j")) {
            byte[] on = Files.readAllBytes(dir.resolve("on/model").resolve(part));
            assertThat(on).as(part).isNotEqualTo(Files.readAllBytes(dir.resolve("off/model").resolve(part)));
            assertThat(on).as(part).isEqualTo(Files.readAllBytes(dir.resolve("again/model").resolve(part)));
        }
    }

    // Per sample, the training FLOPs of an ensemble directory's members together.
    private static long ensembleFlops(Path dir) throws Exception {
        long f = 0;
        try (EnsembleClassifier e = EnsembleClassifier.load(dir, 1)) {
            for (SparseClassifier c : e.members()) f += TrainingFlops.perSample(c.network().layers(), false, false);
        }
        return f;
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
