package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dst4j.runtime.memory.OffHeap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each training command's declared outputs (what {@code --overwrite} deletes and what makes a directory
 * "an earlier run") must cover every file the command writes, or a re-run could leave a stale file of
 * the old run beside the new ones. Tiny runs on the embedded data.
 */
class CommandOutputsTest {
    private static final String[] TINY = {"--limit-train", "200", "--limit-test", "100", "--threads", "1"};

    private static int run(String command, Path out, String... args) {
        List<String> a = new ArrayList<>(List.of(command));
        a.addAll(List.of(args));
        a.addAll(List.of(TINY));
        a.addAll(List.of("--out", out.toString()));
        PrintStream so = System.out, se = System.err;
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        System.setOut(new PrintStream(sink, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(sink, true, StandardCharsets.UTF_8));
        try {
            return Main.run(a.toArray(String[]::new));
        } finally {
            System.setOut(so);
            System.setErr(se);
        }
    }

    private static void assertDeclared(Path out, RunDirectory.Outputs outputs) throws Exception {
        List<String> written, declared = new ArrayList<>();
        try (Stream<Path> s = Files.list(out)) {
            written = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        for (Path p : RunDirectory.earlierOutputs(out, outputs)) declared.add(p.getFileName().toString());
        assertThat(written).isNotEmpty();
        assertThat(declared).as("files written to %s that the command's outputs name", out).containsExactlyElementsOf(written);
    }

    // k-means clusters the selected features as the selection saw them (the reference clusters its standardized
    // data). Feature 0 separates the classes on a tiny scale, feature 1 is noise on a large one: raw, k-means
    // splits along the noise (about 50%); standardized, along the classes.
    @Test
    void quickSelectionClustersTheFeaturesAsTheSelectionScaledThem(@TempDir Path dir) throws Exception {
        StringBuilder csv = new StringBuilder("a,b,label\n");
        Random r = new Random(5);
        for (int i = 0; i < 300; i++) {
            int y = i % 2;
            csv.append(y * 0.02 + r.nextGaussian() * 0.002).append(',').append(r.nextGaussian() * 10).append(',').append(y).append('\n');
        }
        Path data = Files.writeString(dir.resolve("d.csv"), csv);
        double[] kmeans = new double[2];
        String[] scales = {"standardize", "center"};
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve(scales[i]);
            assertThat(run("quickselection", out, "--data", data.toString(), "--scale", scales[i], "--k", "2", "--hidden", "4", "--epochs", "1",
                    "--evaluate", "--eval-k", "2", "--trees", "2", "--random-draws", "1")).isZero();
            Matcher m = Pattern.compile("\"kmeans_clustering_accuracy\":([0-9.eE-]+)")
                    .matcher(Files.readString(out.resolve("summary.json")));
            assertThat(m.find()).isTrue();
            kmeans[i] = Double.parseDouble(m.group(1));
        }
        assertThat(kmeans[0]).as("standardized").isGreaterThan(0.8);
        assertThat(kmeans[1]).as("centred (distances as raw)").isLessThan(0.7);
    }

    // Traceability of runs: EDST's one run names each epoch's phase (not member 0 on every row), QuickSelection's
    // summary its sample count (--limit-train is not in the data's name), and predict on one head of a
    // multi-head model says so (not only a feature-count mismatch).
    @Test
    void runsSayWhatTheyAre(@TempDir Path dir) throws Exception {
        assertThat(run("freetickets", dir.resolve("edst"), "--variant", "edst", "--members", "2", "--explore-epochs", "1", "--refine-epochs", "2",
                "--hidden", "16", "--valid-split", "0")).isZero();
        List<String> phases = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("edst/metrics.jsonl"))) {
            Matcher m = Pattern.compile("\"phase\":\"([^\"]+)\"").matcher(line);
            phases.add(m.find() ? m.group(1) : "none");
        }
        assertThat(phases).containsExactly("exploration", "ticket 1", "ticket 1", "ticket 2", "ticket 2");
        assertThat(run("quickselection", dir.resolve("qs"), "--k", "5", "--epochs", "1", "--hidden", "16")).isZero();
        assertThat(Files.readString(dir.resolve("qs/summary.json"))).contains("\"train_samples\":200");
        assertThat(run("neurotrails", dir.resolve("nt"), "--heads", "2", "--epochs", "1", "--hidden", "16,16")).isZero();
        Path head = dir.resolve("nt/model/head-1.dst4j");
        PrintStream se = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(new String[] {"predict", "--model", head.toString(), "--limit-test", "10", "--output", dir.resolve("p.csv").toString()})).isEqualTo(1);
        } finally {
            System.setErr(se);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("it is one head of the multi-head model in " + head.getParent());
    }

    // Data of another width is named as such before its labels are checked against the model's classes
    // (the embedded images' label 9 is not blamed on a 2-feature, 3-class model).
    @Test
    void predictNamesTheFeatureCountBeforeTheLabels(@TempDir Path dir) throws Exception {
        StringBuilder csv = new StringBuilder("a,b,label\n");
        for (int i = 0; i < 90; i++) csv.append(i % 7).append(',').append(i % 5).append(',').append(i % 3).append('\n');
        Path data = Files.writeString(dir.resolve("d.csv"), csv);
        assertThat(run("set", dir.resolve("m"), "--data", data.toString(), "--epochs", "1", "--hidden", "8", "--epsilon", "2")).isZero();
        PrintStream se = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(new String[] {"predict", "--model", dir.resolve("m/model.dst4j").toString(), "--output", dir.resolve("p.csv").toString()}))
                    .isEqualTo(1);
        } finally {
            System.setErr(se);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("fashion-mnist-small/test: 784 features per sample; the model ")
                .doesNotContain("label");
    }

    @Test
    void setRefusesToReplaceARunWithoutOverwrite(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("set");
        String[] args = {"--epochs", "1", "--hidden", "16"};
        assertThat(run("set", out, args)).isZero();
        assertDeclared(out, SetCommand.OUTPUTS);
        byte[] model = Files.readAllBytes(out.resolve("model.dst4j"));
        assertThat(run("set", out, args)).isEqualTo(2);
        assertThat(Files.readAllBytes(out.resolve("model.dst4j"))).isEqualTo(model);
        List<String> again = new ArrayList<>(List.of(args));
        again.add("--overwrite");
        assertThat(run("set", out, again.toArray(String[]::new))).isZero();
    }

    @Test
    void predictOnARunDirectoryPointsAtTheModelInside(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("set");
        assertThat(run("set", out, "--epochs", "1", "--hidden", "16")).isZero();
        PrintStream se = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(new String[] {"predict", "--model", out.toString(), "--limit-test", "10", "--output", dir.resolve("p.csv").toString()});
        } finally {
            System.setErr(se);
        }
        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("did you mean --model " + out.resolve("model.dst4j"));
    }

    // One member or head, a legal setting: no topology heading with nothing under it, no "1 independent dense
    // networks".
    @Test
    void oneMemberAndOneHeadSummariesSayWhatThereIsToCompare(@TempDir Path dir) {
        String ft = printed("freetickets", "--variant", "edst", "--members", "1", "--explore-epochs", "1", "--refine-epochs", "1",
                "--hidden", "16", "--out", dir.resolve("ft").toString());
        assertThat(ft).contains("topology distance: one ticket, no pair to compare").doesNotContain("by layer):")
                .contains("(lowest ticket)").contains("diversity: one ticket, no pair to compare").doesNotContain("disagreement");
        String nt = printed("neurotrails", "--heads", "1", "--epochs", "1", "--hidden", "16", "--out", dir.resolve("nt").toString());
        assertThat(nt).contains("; 1 independent dense network: ").doesNotContain("networks");
    }

    private static String printed(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of(TINY));
        PrintStream so = System.out, se = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(a.toArray(String[]::new))).isZero();
        } finally {
            System.setOut(so);
            System.setErr(se);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    // Long runs and a service running many must not leak: every command, after it ends, has given back every off-heap
    // byte it took (weights, data, buffers, checkpoints, baselines, ensembles' members, SpaceNet's tasks).
    @Test
    void everyCommandGivesBackTheOffHeapMemoryItTook(@TempDir Path dir) throws Exception {
        long before = OffHeap.bytesInUse();
        String[][] runs = {
            {"set", "set", "--epochs", "2", "--hidden", "16,16", "--optimizer", "adam"},
            {"freetickets", "ft", "--variant", "dst", "--members", "2", "--epochs", "1", "--hidden", "16"},
            {"freetickets", "edst", "--variant", "edst", "--members", "2", "--explore-epochs", "1", "--refine-epochs", "1", "--hidden", "16"},
            {"neurotrails", "nt", "--heads", "2", "--epochs", "1", "--hidden", "16,16", "--compare"},
            {"spacenet", "sn", "--tasks", "2", "--epochs", "1", "--hidden", "40,40", "--connections", "400,200,20", "--selected", "16", "--reserved", "8"},
            {"quickselection", "qs", "--k", "10", "--epochs", "1", "--hidden", "16", "--evaluate"},
        };
        for (String[] r : runs) {
            assertThat(run(r[0], dir.resolve(r[1]), Arrays.copyOfRange(r, 2, r.length))).as(r[1]).isZero();
            assertThat(OffHeap.bytesInUse()).as("off-heap bytes held after %s", r[1]).isEqualTo(before);
        }
        for (String model : new String[] {"set/model.dst4j", "ft", "nt/model", "sn/model.dst4j"}) {
            assertThat(HeldOutSplitTest.run("predict", "--model", dir.resolve(model).toString(), "--limit-test", "50", "--threads", "1",
                    "--output", dir.resolve("p.csv").toString()).code()).as(model).isZero();
            assertThat(HeldOutSplitTest.run("export", "--model", dir.resolve(model).toString(), "--output", dir.resolve("e.npz").toString()).code())
                    .as(model).isZero();
            assertThat(OffHeap.bytesInUse()).as("off-heap bytes held after predicting with %s", model).isEqualTo(before);
        }
    }

    @Test
    void everyTrainingCommandDeclaresWhatItWrites(@TempDir Path dir) throws Exception {
        assertThat(run("freetickets", dir.resolve("ft"), "--variant", "dst", "--members", "2", "--epochs", "1", "--hidden", "16")).isZero();
        assertDeclared(dir.resolve("ft"), FreeTicketsCommand.OUTPUTS);
        assertThat(run("neurotrails", dir.resolve("nt"), "--heads", "2", "--epochs", "1", "--hidden", "16,16", "--compare")).isZero();
        assertDeclared(dir.resolve("nt"), NeuroTrailsCommand.OUTPUTS);
        // Every score object in one order (not Map.of's, which changes from JVM to JVM).
        String nt = Files.readString(dir.resolve("nt/metrics.json"));
        Matcher scores = Pattern.compile("\\{\"accuracy\":[^,]+,\"(\\w+)\":[^,]+,\"(\\w+)\"").matcher(nt);
        int found = 0;
        while (scores.find()) {
            assertThat(scores.group(1) + "," + scores.group(2)).isEqualTo("nll,ece");
            found++;
        }
        assertThat(found).as("score objects in %s", nt).isGreaterThanOrEqualTo(4); // ensemble, 2 heads, logit mean
        assertThat(run("spacenet", dir.resolve("sn"), "--tasks", "2", "--epochs", "1", "--hidden", "40,40", "--connections", "400,200,20",
                "--selected", "16", "--reserved", "8")).isZero();
        assertDeclared(dir.resolve("sn"), SpaceNetCommand.OUTPUTS);
        assertThat(run("quickselection", dir.resolve("qs"), "--k", "10", "--epochs", "1", "--hidden", "16", "--save-autoencoder")).isZero();
        assertDeclared(dir.resolve("qs"), QuickSelectionCommand.OUTPUTS);
    }
}
