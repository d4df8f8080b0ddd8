package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dst4j.nn.model.ModelFile;
import org.dst4j.nn.model.SparseClassifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single data file's test split is drawn by the run's seed; {@code predict} and {@code set --resume}
 * must find the same split without being told the seed again (drawn with another seed, predict would
 * score a model partly on its own training samples).
 */
class HeldOutSplitTest {

    @TempDir Path dir;

    record Outcome(int code, String out, String err) {}

    static Outcome run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Outcome(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8).strip());
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    // 400 samples of 6 features and 4 classes that a small network learns part of, so train and test scores differ.
    Path csv() throws Exception {
        StringBuilder sb = new StringBuilder();
        Random r = new Random(5);
        for (int i = 0; i < 400; i++) {
            int c = r.nextInt(4);
            for (int f = 0; f < 6; f++) sb.append(String.format(Locale.ROOT, "%.3f,", (f == c ? 1.0 : 0.0) + 0.9 * r.nextGaussian()));
            sb.append(c).append('\n');
        }
        return Files.writeString(dir.resolve("data.csv"), sb.toString());
    }

    static double lastTestAccuracy(Path metrics) throws Exception {
        List<String> lines = Files.readAllLines(metrics);
        Matcher m = Pattern.compile("\"test_accuracy\":([0-9.eE-]+)").matcher(lines.getLast());
        assertThat(m.find()).as(lines.getLast()).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void predictAndResumeFindTheSplitTheRunWasTrainedOn() throws Exception {
        String data = csv().toString();
        Path run = dir.resolve("run");
        Outcome train = run("set", "--data", data, "--seed", "7", "--hidden", "32", "--epsilon", "20", "--epochs", "3", "--lr", "0.05",
                "--dropout", "0", "--threads", "1", "--out", run.toString());
        assertThat(train.code()).as(train.err()).isZero();
        String model = run.resolve("model.dst4j").toString(), csvOut = dir.resolve("p.csv").toString();

        // No --seed: the model's, so the score is the run's last test score on the same 80 samples.
        Outcome p = run("predict", "--model", model, "--data", data, "--threads", "1", "--output", csvOut);
        assertThat(p.code()).as(p.err()).isZero();
        Matcher m = Pattern.compile("accuracy ([0-9.]+) on (\\d+) samples").matcher(p.out());
        assertThat(m.find()).as(p.out()).isTrue();
        assertThat(Integer.parseInt(m.group(2))).isEqualTo(80);
        assertThat(Double.parseDouble(m.group(1))).isCloseTo(lastTestAccuracy(run.resolve("metrics.jsonl")), offset(1e-4));

        // Another seed or fraction draws another split, which holds training samples: refused, not scored.
        for (String[] other : new String[][] {{"--seed", "8"}, {"--test-fraction", "0.3"}}) {
            Outcome bad = run("predict", "--model", model, "--data", data, "--threads", "1", "--output", csvOut, other[0], other[1]);
            assertThat(bad.code()).isEqualTo(1);
            assertThat(bad.err()).contains("is not the one held out when " + model + " was trained").doesNotContain("\n");
        }
        // Data with its own test set has no split for --seed to draw.
        Outcome seedless = run("predict", "--model", model, "--seed", "7", "--output", csvOut);
        assertThat(seedless.code()).isEqualTo(2);
        assertThat(seedless.err()).contains("--seed only chooses a single --data file's held-out test split");

        // Resuming finds the checkpoint's split without --seed.
        Outcome resumed = run("set", "--resume", run.toString(), "--data", data, "--threads", "1");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        // The run had finished: nothing trains, and it says so; its summary is the whole run's, from its metrics.
        assertThat(resumed.out()).contains("no epochs run: the checkpoint's run had finished\n").containsPattern("\nsummary: final test accuracy [0-9.]+ \\(best ");
    }

    @Test
    void anEnsembleOfMembersFromRunsWithOtherSplitsIsRefusedNotScoredOnTheirTrainingSamples() throws Exception {
        // Members copied together from two runs of one data file: each held out the test split its own seed drew.
        // Every member is checked, not only the first: the ensemble is not scored on samples the second trained on.
        String data = csv().toString();
        Path ensemble = Files.createDirectories(dir.resolve("ensemble"));
        for (String seed : new String[] {"7", "8"}) {
            Path run = dir.resolve("run" + seed);
            Outcome train = run("set", "--data", data, "--seed", seed, "--hidden", "16", "--epsilon", "20", "--epochs", "1",
                    "--threads", "1", "--out", run.toString());
            assertThat(train.code()).as(train.err()).isZero();
            Files.copy(run.resolve("model.dst4j"), ensemble.resolve("seed" + seed + ".dst4j"));
        }
        Files.writeString(ensemble.resolve("ensemble.json"), "{\"format\":\"dst4j-ensemble\",\"members\":[\"seed7.dst4j\",\"seed8.dst4j\"]}");
        String out = dir.resolve("p.csv").toString();

        Outcome p = run("predict", "--model", ensemble.toString(), "--data", data, "--threads", "1", "--output", out);
        assertThat(p.code()).isEqualTo(1);
        assertThat(p.err()).contains("were trained beside test splits drawn with different seeds (seed7.dst4j: seed 7, seed8.dst4j: seed 8)")
                .doesNotContain("\n").doesNotContain("Exception");
        assertThat(Files.exists(dir.resolve("p.csv"))).isFalse();
        // --seed picks the first member's split, which the second member trained on: that member is named.
        Outcome seeded = run("predict", "--model", ensemble.toString(), "--data", data, "--seed", "7", "--threads", "1", "--output", out);
        assertThat(seeded.code()).isEqualTo(1);
        assertThat(seeded.err()).contains("is not the one held out when " + ensemble + " (member seed8.dst4j) was trained");
        // Data with a test set of its own is held out from every member: scored.
        Outcome unlabeled = run("predict", "--model", ensemble.toString(), "--data", data, "--test-data", data, "--threads", "1", "--output", out);
        assertThat(unlabeled.code()).as(unlabeled.err()).isZero();

        // Members of one run agree: scored on the split they were all trained beside.
        Files.delete(ensemble.resolve("seed8.dst4j"));
        Files.copy(dir.resolve("run7").resolve("model.dst4j"), ensemble.resolve("seed8.dst4j"), StandardCopyOption.REPLACE_EXISTING);
        Outcome same = run("predict", "--model", ensemble.toString(), "--data", data, "--threads", "1", "--output", out);
        assertThat(same.code()).as(same.err()).isZero();
        assertThat(same.out()).contains("on 80 samples");
    }

    @Test
    void aModelThatDoesNotRecordItsDataIsScoredWithAWarning() throws Exception {
        String data = csv().toString();
        Path run = dir.resolve("run");
        Outcome train = run("set", "--data", data, "--seed", "7", "--hidden", "32", "--epsilon", "20", "--epochs", "1",
                "--threads", "1", "--out", run.toString());
        assertThat(train.code()).as(train.err()).isZero();
        Path bare = dir.resolve("bare.dst4j");
        try (SparseClassifier c = SparseClassifier.load(run.resolve("model.dst4j"), 1)) {
            ModelFile.save(bare, c.network(), null, c.standardizer(), Map.of());
        }
        Outcome p = run("predict", "--model", bare.toString(), "--data", data, "--threads", "1", "--output", dir.resolve("p.csv").toString());
        assertThat(p.code()).as(p.err()).isZero();
        assertThat(p.err()).contains("warning: " + bare + " does not record the data it was trained on").contains("seed 0").doesNotContain("\n");
        // A model that records its data is scored without one.
        Outcome q = run("predict", "--model", run.resolve("model.dst4j").toString(), "--data", data, "--threads", "1",
                "--output", dir.resolve("q.csv").toString());
        assertThat(q.err()).doesNotContain("warning");
    }

    @Test
    void theRunsSeedIsTheConfigsNotADstMembersOwn() {
        // A DST member's provenance holds its own seed (run seed + member - 1); the split was drawn with the run's.
        var member = Map.<String, Object>of("training", Map.of("config", Map.of("seed", 42L)),
                "provenance", Map.of("algorithm", "freetickets-dst", "seed", 44L, "data_checksum", 123L, "training_set_checksum", 123L));
        assertThat(TrainedOn.of(member)).isEqualTo(new TrainedOn(42L, 123L));
        // An older member's data_checksum is of its share after the validation hold-out: not the training set's.
        var older = Map.<String, Object>of("training", Map.of("config", Map.of("seed", 42L)),
                "provenance", Map.of("algorithm", "freetickets-dst", "seed", 44L, "data_checksum", 77L));
        assertThat(TrainedOn.of(older)).isEqualTo(new TrainedOn(42L, null));
        assertThat(TrainedOn.of(Map.of("provenance", Map.of("algorithm", "set", "seed", 7L, "data_checksum", 5L))))
                .isEqualTo(new TrainedOn(7L, 5L));
        assertThat(TrainedOn.of(Map.of("provenance", Map.of("seed", 9L)))).isEqualTo(new TrainedOn(9L, null));
        assertThat(TrainedOn.of(Map.of())).isEqualTo(new TrainedOn(null, null));
    }
}
