package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig;
import org.dst4j.algorithms.spacenet.SpaceNet;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    private static Path samples() throws Exception {
        return Path.of(InspectCommandTest.class.getResource("/org/dst4j/algorithms/formats/v1").toURI());
    }

    // 4 inputs -> 3 -> 2. Layer 1: output 1 has no inputs, inputs 1 and 3 feed nothing. Layer 2: hidden unit 1 feeds nothing.
    private static Path handMade(Path dir) throws Exception {
        return handMade(dir, "hand.dst4j", Map.of());
    }

    private static Path handMade(Path dir, String name, Map<String, Object> header) throws Exception {
        MlpConfig cfg = new MlpConfig(new int[] {4, 3, 2}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.5), new WeightInit.HeUniform());
        List<SparseLinear> layers = List.of(
                new SparseLinear(CsrMatrix.fromCoo(3, 4, new int[] {0, 0, 2}, new int[] {0, 2, 2}, new float[] {1, 2, 3}), Activation.relu()),
                new SparseLinear(CsrMatrix.fromCoo(2, 3, new int[] {0, 1, 1}, new int[] {0, 0, 2}, new float[] {1, 2, 3}), Activation.linear()));
        Path file = dir.resolve(name);
        try (SparseClassifier c = new SparseClassifier(SparseMlp.of(cfg, layers, 7), null, header, 1)) {
            c.save(file);
        }
        return file;
    }

    @Test
    @SuppressWarnings("unchecked")
    void countsConnectionsDensitiesAndUnconnectedNeuronsLayerByLayer(@TempDir Path dir) throws Exception {
        Path file = handMade(dir);
        HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("inspect", "--model", file.toString(), "--json");
        assertThat(o.code()).as(o.err()).isZero();
        Map<String, Object> d = Json.parseObject(o.out());
        assertThat(d).containsEntry("kind", "network").containsEntry("inputs", 4L).containsEntry("classes", 2L)
                .containsEntry("standardized_inputs", false).containsEntry("connections", 6L).containsEntry("dense_connections", 18L)
                .containsEntry("parameters", 11L).containsEntry("file_bytes", Files.size(file)).doesNotContainKey("provenance");
        assertThat((Long) d.get("loaded_off_heap_bytes")).isPositive();
        List<Map<String, Object>> nets = (List<Map<String, Object>>) d.get("networks");
        assertThat(nets).hasSize(1);
        assertThat(nets.getFirst()).containsEntry("format_version", 1L).containsEntry("sizes", List.of(4L, 3L, 2L))
                .containsEntry("hidden_activation", "relu").containsEntry("output_activation", "linear");
        List<Map<String, Object>> layers = (List<Map<String, Object>>) nets.getFirst().get("layers");
        assertThat(layers.get(0)).containsEntry("in", 4L).containsEntry("out", 3L).containsEntry("connections", 3L)
                .containsEntry("density", 0.25).containsEntry("outputs_without_inputs", 1L).containsEntry("inputs_unused", 2L);
        assertThat(layers.get(1)).containsEntry("in", 3L).containsEntry("out", 2L).containsEntry("connections", 3L)
                .containsEntry("density", 0.5).containsEntry("outputs_without_inputs", 0L).containsEntry("inputs_unused", 1L);

        // The off-heap memory the model took, not what else the process holds (here a megabyte held throughout).
        try (Arena held = OffHeap.newConfined()) {
            held.allocate(1 << 20);
            long loaded = (Long) Json.parseObject(HeldOutSplitTest.run("inspect", "--model", file.toString(), "--json").out()).get("loaded_off_heap_bytes");
            assertThat(loaded).isPositive().isLessThan(1 << 20);
        }

        o = HeldOutSplitTest.run("inspect", "--model", file.toString());
        assertThat(o.code()).isZero();
        assertThat(o.out()).startsWith(file + ": a sparse network\n4 inputs, 2 classes; 6 connections of 18 dense (33.33%), 11 parameters with the biases\n"
                        + Files.size(file) + " bytes on disk, ")
                .contains("hand.dst4j (format version 1): 4 -> 3 -> 2, relu hidden, linear output\n",
                        "  1      4 x 3                          3   25.00%                       1              2\n",
                        "  2      3 x 2                          3   50.00%                       0              1")
                .doesNotContain("trained by");
    }

    // 'java -jar' under the C locale: a 'ü' in a data path is escaped in --json, not printed as '?' for a script to read another path.
    @Test
    void jsonForAStdoutThatCannotEncodeACharacterEscapesItAndParsesBackTheSame() {
        Map<String, Object> d = Map.of("data", "/tmp/d\u00fc/\u6570\ud83d\ude00 x");
        String json = Json.write(d);
        String ascii = Json.write(d, StandardCharsets.US_ASCII);
        assertThat(ascii).isEqualTo("{\"data\":\"/tmp/d\\u00fc/\\u6570\\ud83d\\ude00 x\"}");
        assertThat(Json.parseObject(ascii)).isEqualTo(Json.parseObject(json));
        assertThat(Json.write(d, StandardCharsets.ISO_8859_1)).isEqualTo("{\"data\":\"/tmp/d\u00fc/\\u6570\\ud83d\\ude00 x\"}");
        assertThat(Json.write(d, StandardCharsets.UTF_8)).isEqualTo(json);
    }

    @Test
    @SuppressWarnings("unchecked")
    void describesEveryKindOfModelAndGivesBackItsMemory() throws Exception {
        Path s = samples();
        long before = OffHeap.bytesInUse();
        String[][] kinds = {{"set/model.dst4j", "network", "1", "set"}, {"ft-dst", "ensemble", "2", "freetickets-dst"},
                {"ft-edst", "ensemble", "2", "freetickets-edst"}, {"nt/model", "multi-head", "3", "neurotrails"}, {"sn/model.dst4j", "network", "1", "spacenet"}};
        for (String[] k : kinds) {
            HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("inspect", "--model", s.resolve(k[0]).toString(), "--json");
            assertThat(o.code()).as("%s: %s", k[0], o.err()).isZero();
            Map<String, Object> d = Json.parseObject(o.out());
            assertThat(d).as(k[0]).containsEntry("kind", k[1]).containsEntry("inputs", 5L).containsEntry("classes", 4L).containsEntry("standardized_inputs", true);
            List<Map<String, Object>> nets = (List<Map<String, Object>>) d.get("networks");
            assertThat(nets).as(k[0]).hasSize(Integer.parseInt(k[2]));
            long sum = 0, files = 0;
            for (Map<String, Object> n : nets) {
                long layers = 0;
                for (Map<String, Object> l : (List<Map<String, Object>>) n.get("layers")) layers += (Long) l.get("connections");
                assertThat(n.get("connections")).isEqualTo(layers);
                sum += layers;
                files += (Long) n.get("file_bytes");
            }
            assertThat(d.get("connections")).as(k[0]).isEqualTo(sum);
            // a model directory's manifest counts too, and nothing else there
            String manifest = k[1].equals("ensemble") ? "ensemble.json" : k[1].equals("multi-head") ? "multihead.json" : null;
            assertThat((Long) d.get("file_bytes")).as(k[0]).isEqualTo(files + (manifest == null ? 0 : Files.size(s.resolve(k[0]).resolve(manifest))));
            assertThat(((Map<String, Object>) d.get("provenance")).get("algorithm")).as(k[0]).isEqualTo(k[3]);
            assertThat((Map<String, Object>) d.get("training")).as(k[0]).containsKey("config");
        }
        assertThat(OffHeap.bytesInUse()).isEqualTo(before);

        HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("inspect", "--model", s.resolve("nt/model").toString());
        assertThat(o.out()).contains("a multi-head network: a shared backbone and 2 heads", "\nbackbone (format version 1): 5 -> 12, relu hidden, relu output\n",
                "\nhead 2 (format version 1): 12 -> 12 -> 4", "trained by neurotrails, seed 42, on train, dst4j ",
                // Floats shown as floats, not as the doubles the header stores.
                "\"lr\":0.05,");
        assertThat(HeldOutSplitTest.run("inspect", "--model", s.resolve("ft-edst").toString()).out())
                .contains(": an ensemble of 2 sparse networks (edst), their probabilities averaged\n");
        o = HeldOutSplitTest.run("inspect", "--model", s.resolve("set-cut/checkpoint.dst4j").toString());
        assertThat(o.out()).contains("\nepochs done: 2 of 3\ntraining settings: {\"hidden\":[12],");
        assertThat(HeldOutSplitTest.run("inspect", "--model", s.resolve("set/model.dst4j").toString()).out()).as("a finished run")
                .contains("\ntraining settings: ").doesNotContain("epochs done");
    }

    // A DST member's provenance holds its own seed (the run's plus its index) and number: the first member listed does
    // not speak for the ensemble (a manifest listing member 2 first would give seed 43 for a run of seed 42).
    @Test
    @SuppressWarnings("unchecked")
    void anEnsembleIsDescribedByItsRunAndEachMemberByItsOwnProvenance(@TempDir Path dir) throws Exception {
        Path s = samples(), ens = Files.createDirectories(dir.resolve("ens"));
        for (String m : new String[] {"member-1.dst4j", "member-2.dst4j"}) Files.copy(s.resolve("ft-dst").resolve(m), ens.resolve(m));
        Files.writeString(ens.resolve("ensemble.json"), "{\"format\":\"dst4j-ensemble\",\"members\":[\"member-2.dst4j\",\"member-1.dst4j\"],\"variant\":\"dst\"}\n");
        HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("inspect", "--model", ens.toString(), "--json");
        assertThat(o.code()).as(o.err()).isZero();
        Map<String, Object> d = Json.parseObject(o.out());
        assertThat((Map<String, Object>) d.get("provenance")).containsEntry("algorithm", "freetickets-dst").containsEntry("seed", 42L)
                .doesNotContainKeys("member", "training_set_checksum");
        List<Map<String, Object>> nets = (List<Map<String, Object>>) d.get("networks");
        assertThat(nets.get(0)).containsEntry("name", "member-2.dst4j");
        assertThat((Map<String, Object>) nets.get(0).get("provenance")).containsEntry("member", 2L).containsEntry("seed", 43L);
        assertThat((Map<String, Object>) nets.get(1).get("provenance")).containsEntry("member", 1L).containsEntry("seed", 42L);
        assertThat(HeldOutSplitTest.run("inspect", "--model", ens.toString()).out()).contains("trained by freetickets-dst, seed 42, on train");
    }

    @Test
    void aRunDirectoryOrAFileThatIsNoModelIsOneLine(@TempDir Path dir) throws Exception {
        HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("inspect");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).contains("--model is required");
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.copy(handMade(dir), run.resolve("model.dst4j"));
        o = HeldOutSplitTest.run("inspect", "--model", run.toString());
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).contains("--model " + run + ": a directory", "did you mean --model " + run.resolve("model.dst4j")).doesNotContain("\tat ");
        Path text = Files.writeString(dir.resolve("notes.txt"), "not a model");
        o = HeldOutSplitTest.run("inspect", "--model", text.toString());
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).contains(text.toString(), "not a dst4j model").doesNotContain("\tat ");
    }

    private static String inspected(Path model) {
        HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("inspect", "--model", model.toString());
        assertThat(o.code()).as(o.err()).isZero();
        return o.out();
    }

    // A checkpoint says how far its run got, in the run's own terms: the member a FreeTickets DST run was training, the task
    // or baseline a SpaceNet run was in. (Hand-made headers, as the runs write them.)
    @Test
    void aCheckpointSaysHowFarItsRunGot(@TempDir Path dir) throws Exception {
        var dst = FreeTicketsConfig.defaults(FreeTicketsConfig.Variant.DST);
        Map<String, Object> ft = Map.of("records", 5L, "member", 1L, "epochs_done", 2L, "config", dst.toMap());
        assertThat(inspected(handMade(dir, "ft.dst4j", Map.of("training", ft)))).contains("\nepochs done: 5 of " + dst.totalEpochs() + " (member 2 of "
                + dst.members() + ": 2 of its " + dst.epochs() + ")\ntraining settings: {");
        var edst = FreeTicketsConfig.defaults(FreeTicketsConfig.Variant.EDST);
        assertThat(inspected(handMade(dir, "edst.dst4j", Map.of("training", Map.of("records", 5L, "config", edst.toMap())))))
                .contains("\nepochs done: 5 of " + edst.totalEpochs() + "\ntraining settings: {");
        Map<String, Object> broken = new HashMap<>(dst.toMap());
        broken.put("members", 0L);
        assertThat(inspected(handMade(dir, "broken.dst4j", Map.of("training", Map.of("records", 5L, "config", broken)))))
                .contains("\nepochs done: unreadable (");

        Map<String, Object> cfg = Map.of("epochs_per_task", 2L, "tasks", 3L);
        Function<Map<String, Object>, String> spaceNet = t -> {
            try {
                String out = inspected(handMade(dir, "sn.dst4j", Map.of("training", t)));
                return out.lines().filter(l -> l.startsWith("epochs done: ")).findFirst().orElseThrow();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        assertThat(spaceNet.apply(Map.of("phase", "spacenet", "records", 5L, "config", cfg, "task", 2L, "epochs_done", 1L, "baselines", true)))
                .isEqualTo("epochs done: 5 of 18 (SpaceNet: 2 of 3 tasks learned, task 3: 1 of its 2 epochs; this network is SpaceNet's in that task,"
                        + " with the finished tasks' classifier rows set aside while it trains)");
        assertThat(spaceNet.apply(Map.of("phase", "spacenet", "records", 4L, "config", cfg, "task", 2L, "epochs_done", 0L)))
                .isEqualTo("epochs done: 4 of 6 (SpaceNet: 2 of 3 tasks learned; this network is SpaceNet's after task 2)");
        assertThat(spaceNet.apply(Map.of("phase", "fine-tuning", "records", 9L, "config", cfg, "task", 1L, "epochs_done", 1L, "baselines", true)))
                .isEqualTo("epochs done: 9 of 18 (fine-tuning baseline, task 2 of 3: 1 of its 2 epochs; this network is the baseline's, SpaceNet's is the run's model.dst4j)");
        assertThat(spaceNet.apply(Map.of("phase", "joint", "records", 16L, "config", cfg, "epochs_done", 4L, "baselines", true)))
                .isEqualTo("epochs done: 16 of 18 (joint-training baseline: 4 of its 6 epochs; this network is the baseline's, SpaceNet's is the run's model.dst4j)");

        // A learner SpaceNet.save wrote between tasks.
        Map<String, Object> learner = Map.of("tasks", List.of(Map.of(), Map.of()), "config", Map.of("tasks", 3L, "lr", 0.009999999776482582));
        assertThat(inspected(handMade(dir, "learner.dst4j", Map.of(SpaceNet.HEADER, learner))))
                .contains("\na SpaceNet learner: 2 of 3 tasks learned (SpaceNet.load continues it with task 3)\nsettings: {")
                .contains("\"lr\":0.01");
        Map<String, Object> done = Map.of("tasks", List.of(Map.of(), Map.of(), Map.of()), "config", Map.of("tasks", 3L));
        assertThat(inspected(handMade(dir, "done.dst4j", Map.of(SpaceNet.HEADER, done))))
                .contains("\na SpaceNet learner: 3 of 3 tasks learned\n");
    }
}
