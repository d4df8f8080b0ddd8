package org.dst4j.algorithms.neurotrails;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.nn.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NeuroTrailsTest {

    @Test
    void budgetDensityMatchesTheSingleNetworksConnections() {
        int[] single = {784, 1000, 1000, 10};
        long budget = NeuroTrails.connections(List.of(single), 0.1, 1);
        List<int[]> parts = List.of(new int[] {784, 1000}, new int[] {1000, 1000, 10}, new int[] {1000, 1000, 10}, new int[] {1000, 1000, 10});
        double eps = NeuroTrails.epsilonFor(parts, budget);
        assertThat((double) NeuroTrails.erConnections(parts, eps)).isCloseTo(budget, org.assertj.core.data.Percentage.withPercentage(0.1));
        double d = NeuroTrails.densityFor(List.of(single), budget / 3);
        assertThat(d).isLessThan(0.1);
        // "single": the backbone keeps the single network's first-layer connections (ERK: about 80,000 of 179,400).
        long first = NeuroTrails.singleConnections(single, 0.1, 1);
        assertThat(first).isEqualTo(Math.round(new org.dst4j.nn.init.Density.Erk(0.1).densities(single)[0] * 784 * 1000));
        assertThat((double) first / budget).isBetween(0.4, 0.5);
        assertThat((double) NeuroTrails.connections(List.of(single), d, 3)).isCloseTo(budget, org.assertj.core.data.Percentage.withPercentage(0.1));
    }

    @Test
    void logitMeanIsTheSoftmaxOfTheHeadsMeanLogits() {
        double[][] logits = {{1.0, -2.0, 0.5}, {0.0, 3.0, -1.0}};
        List<float[]> probs = new java.util.ArrayList<>();
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
        for (int j = 0; j < 3; j++) assertThat((double) got[j]).isCloseTo(Math.exp(mean[j]) / s, org.assertj.core.data.Offset.offset(1e-6));
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
            assertThat(Main.run(new String[] {"neurotrails", "--shared-layers", "3", "--hidden", "64,64"})).isEqualTo(2);
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
                    .isCloseTo(budget, org.assertj.core.data.Percentage.withPercentage(1));
        }
        assertThat(captured.toString()).contains("NeuroTrails (M=2", "single sparse network", "FreeTickets DST (M=2)");
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
            assertThat(Main.run(concat(new String[] {"neurotrails", "--backbone-share", "1"}, common))).isEqualTo(2);
            assertThat(Main.run(concat(new String[] {"neurotrails", "--head-loss", "max"}, common))).isEqualTo(2);
            assertThat(Main.run(concat(new String[] {"neurotrails", "--backbone-share", "half"}, common))).isEqualTo(2);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        assertThat(err.toString()).contains("--backbone-share", "--head-loss");
        Map<String, Object> m = Json.parseObject(Files.readString(dir.resolve("nt/metrics.json")));
        long budget = Json.getLong(m, "parameter_budget");
        assertThat((double) Json.getLong(m, "backbone_connections")).isCloseTo(budget / 2.0, org.assertj.core.data.Percentage.withPercentage(3));
        @SuppressWarnings("unchecked")
        List<Object> heads = (List<Object>) m.get("head_connections");
        assertThat(heads).hasSize(3);
        @SuppressWarnings("unchecked")
        Map<String, Object> cfg = (Map<String, Object>) m.get("config");
        assertThat(cfg.get("head_loss")).isEqualTo("sum");
        Map<String, Object> s = Json.parseObject(Files.readString(dir.resolve("single/metrics.json")));
        assertThat((double) Json.getLong(s, "backbone_connections")).isCloseTo(NeuroTrails.singleConnections(new int[] {784, 64, 64, 10}, 0.1, 1),
                org.assertj.core.data.Percentage.withPercentage(3));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
