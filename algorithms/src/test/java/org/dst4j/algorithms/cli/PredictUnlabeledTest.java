package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.dst4j.algorithms.cli.HeldOutSplitTest.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code predict --input}: samples without labels, as a model is used after training. */
class PredictUnlabeledTest {

    @TempDir Path dir;

    private Path write(String name, int from, int to, boolean labels) throws Exception {
        StringBuilder sb = new StringBuilder();
        Random r = new Random(11);
        for (int i = 0; i < to; i++) {
            int c = r.nextInt(3);
            StringBuilder row = new StringBuilder();
            for (int f = 0; f < 5; f++) row.append(String.format(Locale.ROOT, "%.3f", (f == c ? 1.0 : 0.0) + r.nextGaussian())).append(f < 4 ? "," : "");
            if (i >= from) sb.append(row).append(labels ? "," + c : "").append('\n');
        }
        return Files.writeString(dir.resolve(name), sb.toString());
    }

    // A small SET model trained on train, tested on test; returns its model file.
    private String trainModel(Path train, Path test) {
        Path run = dir.resolve("run");
        Outcome t = HeldOutSplitTest.run("set", "--data", train.toString(), "--test-data", test.toString(), "--hidden", "16", "--epsilon", "10",
                "--epochs", "2", "--threads", "1", "--out", run.toString());
        assertThat(t.code()).as(t.err()).isZero();
        return run.resolve("model.dst4j").toString();
    }

    @Test
    void predictionsOfUnlabeledSamplesAreThoseOfTheSameSamplesWithLabels() throws Exception {
        Path train = write("train.csv", 0, 300, true), test = write("test.csv", 300, 360, true), bare = write("bare.csv", 300, 360, false);
        String model = trainModel(train, test);
        Path labeled = dir.resolve("labeled.csv"), unlabeled = dir.resolve("unlabeled.csv");
        Outcome a = HeldOutSplitTest.run("predict", "--model", model, "--data", train.toString(), "--test-data", test.toString(),
                "--threads", "1", "--output", labeled.toString());
        assertThat(a.code()).as(a.err()).isZero();
        Outcome b = HeldOutSplitTest.run("predict", "--model", model, "--input", bare.toString(), "--threads", "2", "--output", unlabeled.toString());
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(b.out()).contains("predicted 60 samples of " + bare);

        List<String> with = Files.readAllLines(labeled), without = Files.readAllLines(unlabeled);
        assertThat(without).hasSize(61);
        assertThat(without.getFirst()).isEqualTo("index,predicted,p0,p1,p2");
        for (int i = 0; i < with.size(); i++) {
            // The label column is the only difference: the model standardizes raw samples as in training.
            String[] w = with.get(i).split(",", -1);
            List<String> dropped = new ArrayList<>(List.of(w));
            dropped.remove(1);
            assertThat(without.get(i)).isEqualTo(String.join(",", dropped));
        }
    }

    // Scoring data with a test set of its own reads the test set alone: here the training file is replaced by
    // one that is not a CSV of numbers, and the predictions are those made with it intact.
    @Test
    void predictReadsOnlyTheTestFileOfDataWithATestSetOfItsOwn() throws Exception {
        Path train = write("train.csv", 0, 300, true), test = write("test.csv", 300, 360, true);
        String model = trainModel(train, test);
        Path before = dir.resolve("before.csv"), after = dir.resolve("after.csv");
        Outcome a = HeldOutSplitTest.run("predict", "--model", model, "--data", train.toString(), "--test-data", test.toString(),
                "--threads", "1", "--output", before.toString());
        assertThat(a.code()).as(a.err()).isZero();
        Files.writeString(train, "f0,f1,f2,f3,f4,label\nnot,a,number,at,all,0\n");
        Outcome b = HeldOutSplitTest.run("predict", "--model", model, "--data", train.toString(), "--test-data", test.toString(),
                "--threads", "1", "--output", after.toString());
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(b.out()).isEqualTo(a.out().replace(before.toString(), after.toString()));
        assertThat(Files.readAllLines(after)).isEqualTo(Files.readAllLines(before));
        // named after the test file its samples came from, not after the training file ("train/test"), which is not even read
        assertThat(a.out()).contains(" on 60 samples of test/test;");
    }

    // A sample whose values overflow the network's floats (3.4e38 in a feature trained on values near 1) gets NaN
    // probabilities, which would be written with a predicted class of 0 (the argmax of NaNs), counted as correct when
    // its label is 0, and printed as an accuracy beside "NLL NaN", exit code 0.
    @Test
    void aSampleTheModelCannotScoreIsNamedNotPredictedAsClassZero() throws Exception {
        Path train = write("train.csv", 0, 300, true), test = write("test.csv", 300, 360, true), bare = write("bare.csv", 300, 360, false);
        String model = trainModel(train, test);
        List<String> rows = new ArrayList<>(Files.readAllLines(bare));
        rows.set(7, "3.4e38" + rows.get(7).substring(rows.get(7).indexOf(',')));
        Path huge = Files.write(dir.resolve("huge.csv"), rows);
        Path out = dir.resolve("p.csv");
        Outcome unlabeled = again(model, huge, out);
        assertThat(unlabeled.code()).as(unlabeled.err()).isEqualTo(1);
        // After the out-of-scale warning, one line.
        assertThat(unlabeled.err().strip().lines().toList().getLast()).startsWith("dst4j predict: --input " + huge + ": sample 7 ")
                .contains("NaN probabilities").contains("3.4E38");
        assertThat(unlabeled.err()).doesNotContain("Exception");
        assertThat(out).doesNotExist();

        List<String> labeled = new ArrayList<>(Files.readAllLines(test));
        labeled.set(3, "-3.4e38" + labeled.get(3).substring(labeled.get(3).indexOf(',')));
        Path hugeTest = Files.write(dir.resolve("huge-test.csv"), labeled);
        Outcome scored = HeldOutSplitTest.run("predict", "--model", model, "--data", train.toString(), "--test-data", hugeTest.toString(),
                "--threads", "1", "--output", out.toString());
        assertThat(scored.code()).as(scored.err()).isEqualTo(1);
        assertThat(scored.err()).contains("dst4j predict: --test-data " + hugeTest + ": sample 3 ").contains("NaN probabilities").doesNotContain("accuracy");
        assertThat(out).doesNotExist();
    }

    // The same test sample during training: its epochs' test loss is NaN, and one warning says why.
    @Test
    void aTestSampleTheNetworkOverflowsOnDuringTrainingIsWarnedAboutOnce() throws Exception {
        Path train = write("train.csv", 0, 300, true), test = write("test.csv", 300, 360, true);
        List<String> labeled = new ArrayList<>(Files.readAllLines(test));
        labeled.set(3, "-3.4e38" + labeled.get(3).substring(labeled.get(3).indexOf(',')));
        Path hugeTest = Files.write(dir.resolve("huge-test.csv"), labeled);
        Outcome t = HeldOutSplitTest.run("set", "--data", train.toString(), "--test-data", hugeTest.toString(), "--hidden", "16", "--epsilon", "10",
                "--epochs", "2", "--threads", "1", "--out", dir.resolve("run").toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.err()).contains("test loss NaN");
        assertThat(t.err().lines().filter(l -> l.startsWith("warning: epoch 1's test loss is NaN (and its test accuracy counts those samples as wrong): the network overflows on some test samples")))
                .as(t.err()).hasSize(1);
        // a test set it does not overflow on: no warning
        Outcome plain = HeldOutSplitTest.run("set", "--data", train.toString(), "--test-data", test.toString(), "--hidden", "16", "--epsilon", "10",
                "--epochs", "2", "--threads", "1", "--out", dir.resolve("plain").toString());
        assertThat(plain.err()).as(plain.err()).doesNotContain("are NaN");
    }

    static Outcome again(String model, Path input, Path output) {
        return HeldOutSplitTest.run("predict", "--model", model, "--input", input.toString(), "--output", output.toString(), "--threads", "1");
    }

    @Test
    void wrongInputsAreNamedInOneLine() throws Exception {
        Path train = write("train.csv", 0, 200, true), bare = write("bare.csv", 200, 220, false), withLabels = write("with.csv", 200, 220, true);
        Path run = dir.resolve("run");
        assertThat(HeldOutSplitTest.run("set", "--data", train.toString(), "--hidden", "8", "--epsilon", "5", "--epochs", "1", "--threads", "1",
                "--out", run.toString()).code()).isZero();
        String model = run.resolve("model.dst4j").toString(), out = dir.resolve("p.csv").toString();

        Outcome labelColumn = HeldOutSplitTest.run("predict", "--model", model, "--input", withLabels.toString(), "--output", out);
        assertThat(labelColumn.code()).isEqualTo(1);
        assertThat(labelColumn.err()).contains("with.csv: 6 features per sample; the model").contains("takes 5").contains("a label column?");

        Outcome both = HeldOutSplitTest.run("predict", "--model", model, "--input", bare.toString(), "--data", train.toString(), "--output", out);
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("--data").contains("--input");

        Outcome same = HeldOutSplitTest.run("predict", "--model", model, "--input", bare.toString(), "--output", bare.toString());
        assertThat(same.code()).isEqualTo(2);
        assertThat(same.err()).contains("is the --input " + bare);
        assertThat(Files.readAllLines(bare)).hasSize(20);

        // Labeled data, and the files beside the model, are kept as well.
        Outcome overData = HeldOutSplitTest.run("predict", "--model", model, "--data", withLabels.toString(), "--output", withLabels.toString());
        assertThat(overData.code()).isEqualTo(2);
        assertThat(overData.err()).contains("is the --data " + withLabels);
        assertThat(Files.readAllLines(withLabels)).hasSize(20);
        Path beside = run.resolve("metrics.jsonl");
        long before = Files.size(beside);
        Outcome overRun = HeldOutSplitTest.run("predict", "--model", model, "--input", bare.toString(), "--output", beside.toString());
        assertThat(overRun.code()).isEqualTo(2);
        assertThat(overRun.err()).contains("would replace a file beside the model");
        assertThat(Files.size(beside)).isEqualTo(before);
        // Its own earlier predictions it replaces, whatever their name: the same command runs twice.
        Path preds = run.resolve("preds.txt");
        for (int i = 0; i < 2; i++) {
            Outcome again = HeldOutSplitTest.run("predict", "--model", model, "--input", bare.toString(), "--output", preds.toString());
            assertThat(again.code()).as(again.err()).isZero();
        }
        // Even a data file that holds earlier predictions is data: scored, never replaced.
        Outcome overPredictions = HeldOutSplitTest.run("predict", "--model", model, "--input", preds.toString(), "--output", preds.toString());
        assertThat(overPredictions.code()).isEqualTo(2);
        assertThat(overPredictions.err()).contains("is the --input " + preds);
        // Samples on another scale than the training data's are scored, with a warning.
        assertThat(again(model, bare, preds).err()).doesNotContain("warning");
        StringBuilder scaled = new StringBuilder();
        for (String line : Files.readAllLines(bare)) {
            StringBuilder row = new StringBuilder();
            for (String cell : line.split(",")) row.append(row.isEmpty() ? "" : ",").append(Double.parseDouble(cell) * 255);
            scaled.append(row).append('\n');
        }
        Path raw = Files.writeString(dir.resolve("raw.csv"), scaled.toString());
        Outcome warned = again(model, raw, preds);
        assertThat(warned.code()).isZero();
        assertThat(warned.err()).contains("warning: --input " + raw + " lies on average").contains("standard deviations from the training data's means");
        // So is a labeled test set, given to predict or to a training command.
        StringBuilder scaledLabeled = new StringBuilder();
        for (String line : Files.readAllLines(withLabels)) {
            String[] cells = line.split(",");
            for (int i = 0; i < cells.length - 1; i++) scaledLabeled.append(Double.parseDouble(cells[i]) * 255).append(',');
            scaledLabeled.append(cells[cells.length - 1]).append('\n');
        }
        Path rawTest = Files.writeString(dir.resolve("raw-test.csv"), scaledLabeled.toString());
        Outcome scored = HeldOutSplitTest.run("predict", "--model", model, "--data", train.toString(), "--test-data", rawTest.toString(),
                "--output", preds.toString(), "--threads", "1");
        assertThat(scored.code()).as(scored.err()).isZero();
        assertThat(scored.err()).contains("dst4j predict: warning: --test-data " + rawTest + " lies on average")
                .contains("standard deviations from the training data's means");
        assertThat(HeldOutSplitTest.run("predict", "--model", model, "--data", train.toString(), "--test-data", withLabels.toString(),
                "--output", preds.toString(), "--threads", "1").err()).doesNotContain("warning");
        Outcome trained = HeldOutSplitTest.run("set", "--data", train.toString(), "--test-data", rawTest.toString(), "--hidden", "8", "--epsilon", "5",
                "--epochs", "1", "--threads", "1", "--out", dir.resolve("raw-run").toString());
        assertThat(trained.code()).as(trained.err()).isZero();
        assertThat(trained.err()).contains("dst4j set: warning: " + rawTest + " lies on average");
        // A model path that does not exist is named as the model, not as its directory.
        Outcome noModel = HeldOutSplitTest.run("predict", "--model", dir.resolve("nosuch/model.dst4j").toString(), "--input", bare.toString(),
                "--output", preds.toString());
        assertThat(noModel.code()).isEqualTo(1);
        assertThat(noModel.err()).contains("nosuch/model.dst4j");

        // Labeled data of another shape: named as such, not blamed on the seed of a held-out split.
        Files.writeString(dir.resolve("narrow.csv"), "1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,1,0\n2,3,1\n4,5,0\n6,7,1\n8,9,0\n1,3,1\n");
        Outcome narrow = HeldOutSplitTest.run("predict", "--model", model, "--data", dir.resolve("narrow.csv").toString(), "--output", out);
        assertThat(narrow.code()).isEqualTo(1);
        assertThat(narrow.err()).contains("2 features per sample; the model").contains("takes 5").doesNotContain("seed");

        Outcome missing = HeldOutSplitTest.run("predict", "--model", model, "--input", dir.resolve("none.csv").toString(), "--output", out);
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("none.csv: no such file").doesNotContain("Exception");
        assertThat(Files.exists(Path.of(out))).isFalse();
    }

    // 'predict --output /dev/stdout | head -1', once head has what it wants: not "writing /dev/stdout: Broken pipe" and
    // exit code 1; a reader that leaves ends predict quietly, with the status SIGPIPE gives a C program.
    @Test
    void predictionsOnStdoutStopQuietlyWhenTheReaderLeaves() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/stdout")));
        Path train = write("train.csv", 0, 300, true), test = write("test.csv", 300, 360, true);
        // Far more than a pipe buffers (64 KiB on Linux), so that writing after the reader has gone fails.
        Path bare = write("bare.csv", 0, 6000, false);
        String model = trainModel(train, test);
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(), "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "predict", "--model", model, "--input", bare.toString(),
                "--threads", "1", "--output", "/dev/stdout");
        Path err = dir.resolve("child.err");
        Process child = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        try {
            try (var out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(out.readLine()).isEqualTo("index,predicted,p0,p1,p2");
            }
            assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        String printed = Files.readString(err);
        assertThat(child.exitValue()).as(printed).isEqualTo(141);
        assertThat(printed).doesNotContain("Broken pipe", "Exception", "dst4j predict:");
    }

    // '--input - --output -' (a filter in a pipeline, and how a file from a process substitution reaches the relaunched
    // JVM of 'java -jar', which does not inherit the descriptor): the same CSV as from and into files.
    @Test
    void aDashReadsStandardInputAndWritesStandardOutput() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/stdout")));
        Path train = write("train.csv", 0, 300, true), test = write("test.csv", 300, 360, true), bare = write("bare.csv", 300, 360, false);
        String model = trainModel(train, test);
        Path viaFiles = dir.resolve("files.csv");
        Outcome a = HeldOutSplitTest.run("predict", "--model", model, "--input", bare.toString(), "--threads", "1", "--output", viaFiles.toString());
        assertThat(a.code()).as(a.err()).isZero();
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(), "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "predict", "--model", model, "--input", "-",
                "--threads", "1", "--output", "-");
        Path out = dir.resolve("child.out"), err = dir.resolve("child.err");
        Process child = new ProcessBuilder(cmd).redirectInput(bare.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(child.exitValue()).as(Files.readString(err)).isZero();
        assertThat(Files.readString(out)).isEqualTo(Files.readString(viaFiles));
        assertThat(Files.readString(err)).contains("predicted 60 samples of standard input; wrote /dev/stdout");
        assertThat(Files.exists(dir.resolve("-"))).isFalse();
    }

    // With the predictions on stdout (--output /dev/stdout | python ...), the summary line must not end the CSV as a row of its own.
    @Test
    void theSummaryGoesToStderrWhenThePredictionsAreOnStdout() {
        assumeTrue(Files.exists(Path.of("/dev/stdout")));
        assertThat(PredictCommand.summaryStream(Path.of("/dev/stdout"))).isSameAs(System.err);
        assertThat(PredictCommand.summaryStream(dir.resolve("predictions.csv"))).isSameAs(System.out);
    }
}
