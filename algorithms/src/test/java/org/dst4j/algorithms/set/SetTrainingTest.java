package org.dst4j.algorithms.set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.dst4j.algorithms.Printed;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.nn.data.DataOptions;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.MetricsLog;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.Evaluation;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SetTrainingTest {

    private static final String[] SMALL = {"--hidden", "96,96", "--epsilon", "10", "--batch", "32", "--limit-train", "1500",
        "--limit-test", "400", "--lr", "0.001", "--optimizer", "adam", "--schedule", "cosine"};

    private static DatasetSplit small() throws Exception {
        return DataSources.load(new DataOptions(null, null, null, null, null, "last", 0.2, 0, 1500, 400));
    }

    private static SetConfig smallConfig(int epochs, int threads) {
        return SetConfig.defaults().withHidden(96, 96).withEpochs(epochs).withThreads(threads).withLearningRate(0.001f, "cosine");
    }

    private static String[] args(String... more) {
        List<String> a = new ArrayList<>(List.of("set"));
        a.addAll(List.of(SMALL));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void anEmptyTrainingSetIsRefused() {
        // Not an untrained model, which would score 1.0 on a test set of one class.
        assertThatThrownBy(() -> {
            try (DatasetSplit d = new DatasetSplit(Dataset.of("tr", new float[0], 0, 4, new int[0], 2),
                    Dataset.of("te", new float[8], 2, 4, new int[2], 2))) {
                SetTraining.train(smallConfig(1, 1), d, false, null, null).close();
            }
        }).isInstanceOf(IllegalArgumentException.class).hasMessage("tr: no training samples");
    }

    @Test
    void javaApiTrainsEvaluatesSavesLoadsAndPredicts(@TempDir Path dir) throws Exception {
        SetConfig cfg = new SetConfig(new int[] {96, 96}, 10, 0.3, 4, 32, 0.001f, 0.9f, 0f, 0.2f, "relu", 0.6f, "adam",
                "cosine", "he-uniform", 1, 2);
        try (DatasetSplit data = small();
             SparseClassifier model = SetTraining.train(cfg, data, true, dir, new SetTraining.Progress() {})) {
            Evaluation ev = model.evaluate(data.test());
            // 10 classes: chance is 10%; a few epochs on 1,500 images get far above it.
            assertThat(ev.accuracy()).isGreaterThan(0.6);
            try (SparseClassifier loaded = SparseClassifier.load(dir.resolve(SetTraining.MODEL), 1)) {
                assertThat(loaded.predict(data.test())).containsExactly(model.predict(data.test()));
                assertThat(loaded.evaluate(data.test()).accuracy()).isEqualTo(ev.accuracy());
            }
        }
        List<Map<String, Object>> lines = MetricsLog.readAll(dir.resolve(SetTraining.METRICS));
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0).keySet()).contains("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
                "connections", "epoch_seconds", "evolution_seconds", "eval_seconds");
        assertThat(Files.size(dir.resolve(SetTraining.CURVE))).isGreaterThan(1000);
    }

    @Test
    void aModelSavedFromTheApiRecordsTheDataAndSeedAsTheRunsModelFileDoes(@TempDir Path dir) throws Exception {
        // Saved without them, predict would re-draw a single file's held-out split with seed 0 and score training samples.
        Path api = dir.resolve("api.dst4j");
        try (DatasetSplit data = small();
             SparseClassifier model = SetTraining.train(smallConfig(1, 1), data, true, dir.resolve("run"), new SetTraining.Progress() {})) {
            model.save(api);
        }
        try (CheckpointFile.Checkpoint run = CheckpointFile.read(dir.resolve("run").resolve(SetTraining.MODEL));
             CheckpointFile.Checkpoint saved = CheckpointFile.read(api)) {
            assertThat(saved.header()).isEqualTo(run.header());
            assertThat(Json.getObject(saved.header(), "provenance")).containsKeys("seed", "data_checksum");
        }
    }

    @Test
    void sameSeedGivesTheSameModelWithOneAndTwoThreads(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = small()) {
            for (int threads : new int[] {1, 2}) {
                try (SparseClassifier m = SetTraining.train(smallConfig(3, threads), data, true, dir.resolve("t" + threads), new SetTraining.Progress() {})) {
                    assertThat(m.network().connections()).isPositive();
                }
            }
        }
        assertThat(Files.readAllBytes(dir.resolve("t2").resolve(SetTraining.MODEL)))
                .isEqualTo(Files.readAllBytes(dir.resolve("t1").resolve(SetTraining.MODEL)));
        List<Map<String, Object>> a = MetricsLog.readAll(dir.resolve("t1").resolve(SetTraining.METRICS));
        List<Map<String, Object>> b = MetricsLog.readAll(dir.resolve("t2").resolve(SetTraining.METRICS));
        for (int e = 0; e < a.size(); e++) {
            for (String k : new String[] {"train_loss", "train_accuracy", "test_loss", "test_accuracy", "connections"}) {
                assertThat(b.get(e).get(k)).as("epoch %d %s", e + 1, k).isEqualTo(a.get(e).get(k));
            }
        }
    }

    /**
     * A new run into a stopped run's directory (the Java API sets nothing aside), itself stopped in its first epoch
     * before its own first save, leaves no checkpoint of the old run beside its own log for a resume to continue.
     */
    @Test
    void aNewRunOverAStoppedOneLeavesNoCheckpointOfTheOld(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = small()) {
            Path run = dir.resolve("run");
            for (int stopEpoch : new int[] {2, 0}) {
                SetTraining.Progress stop = new SetTraining.Progress() {
                    @Override public void batch(int epoch, int done, int total) {
                        if (epoch == stopEpoch && done == 1) Thread.currentThread().interrupt();
                    }
                };
                assertThatThrownBy(() -> SetTraining.train(smallConfig(3, 1), data, true, run, stop).close())
                        .isInstanceOf(CancellationException.class);
                assertThat(Thread.interrupted()).isTrue();
                assertThat(Files.exists(run.resolve(SetTraining.CHECKPOINT))).as("checkpoint after a stop in epoch %d", stopEpoch + 1).isEqualTo(stopEpoch > 0);
            }
            // said as the other algorithms' resumes say it
            assertThatThrownBy(() -> SetTraining.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessage(run + ": no checkpoint.dst4j there (a run stopped before its first epoch ended: start it again, with --overwrite)");
        }
    }

    /** An interrupt (mid-epoch, or while an epoch's files are written) stops the run resumably, the flag kept. */
    @Test
    void anInterruptedRunStopsWithACancellationAndResumesToTheSameModel(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = small()) {
            SetTraining.train(smallConfig(3, 1), data, true, dir.resolve("whole"), null).close();
            for (boolean whileWriting : new boolean[] {false, true}) {
                Path run = dir.resolve("interrupted-" + whileWriting);
                SetTraining.Progress interrupter = new SetTraining.Progress() {
                    @Override public void batch(int epoch, int done, int total) {
                        if (!whileWriting && epoch == 1 && done == 3) Thread.currentThread().interrupt();
                    }

                    @Override public void epoch(EpochMetrics m) {
                        if (whileWriting && m.epoch() == 2) Thread.currentThread().interrupt();
                    }
                };
                assertThatThrownBy(() -> SetTraining.train(smallConfig(3, 1), data, true, run, interrupter).close())
                        .isInstanceOf(CancellationException.class).hasMessageContaining("interrupted");
                assertThat(Thread.interrupted()).as("the interrupt flag is kept").isTrue();
                try (SparseClassifier m = SetTraining.resume(run, data, 2, null)) {
                    assertThat(m.network().connections()).isPositive();
                }
                assertThat(Files.readAllBytes(run.resolve(SetTraining.MODEL))).as("whileWriting=" + whileWriting)
                        .isEqualTo(Files.readAllBytes(dir.resolve("whole").resolve(SetTraining.MODEL)));
            }
        }
    }

    // Killed after the last epoch's checkpoint but before the model file: the checkpoint has every epoch done, which
    // resume must accept (only more than the run's epochs is refused) and finish by writing the model file alone. From
    // the API, too, resume removes the run's temporaries a kill left (the command line removes them before it calls resume).
    @Test
    void aCheckpointOfTheLastEpochResumesToTheModelFile(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = small()) {
            Path whole = dir.resolve("whole"), cut = dir.resolve("cut");
            SetTraining.train(smallConfig(2, 1), data, true, whole, null).close();
            Files.createDirectories(cut);
            for (String f : new String[] {SetTraining.CHECKPOINT, SetTraining.METRICS}) Files.copy(whole.resolve(f), cut.resolve(f));
            Path stale = Files.writeString(cut.resolve("." + SetTraining.MODEL + ".4711.tmp"), "half");
            Path foreign = Files.writeString(cut.resolve(".notes.txt.1.tmp"), "not the run's");
            SetTraining.resume(cut, data, 1, null).close();
            assertThat(Files.readAllBytes(cut.resolve(SetTraining.MODEL))).isEqualTo(Files.readAllBytes(whole.resolve(SetTraining.MODEL)));
            assertThat(MetricsLog.readAll(cut.resolve(SetTraining.METRICS))).hasSize(2);
            assertThat(stale).doesNotExist();
            assertThat(foreign).exists();
        }
    }

    /** kill -9 in the middle of a run, resume from its checkpoint: the final model is byte-identical. */
    @Test
    void killedAndResumedRunEndsWithTheSameModelBytes(@TempDir Path dir) throws Exception {
        int epochs = 14;
        Path whole = dir.resolve("whole"), killed = dir.resolve("killed");
        assertThat(Main.run(args("--epochs", "" + epochs, "--threads", "2", "--out", whole.toString()))).isZero();

        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "set"));
        cmd.addAll(List.of(SMALL));
        cmd.addAll(List.of("--epochs", "" + epochs, "--threads", "1", "--out", killed.toString()));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        Path metrics = killed.resolve(SetTraining.METRICS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && child.isAlive() && lines(metrics) < 3) Thread.sleep(2);
        assertThat(child.isAlive()).as("child still training when killed; log: %s", dir.resolve("child.log")).isTrue();
        child.destroyForcibly();  // SIGKILL: no shutdown hooks, no cleanup
        child.waitFor();
        assertThat(Files.exists(killed.resolve(SetTraining.MODEL))).isFalse();
        int done = lines(metrics);
        assertThat(done).isBetween(3, epochs - 1);

        // A write the kill interrupted leaves its temporary: the resumed run removes it.
        Path stale = Files.writeString(killed.resolve(".learning-curve.png.4711.tmp"), "half");
        Path foreign = Files.writeString(killed.resolve(".p.csv.4712.tmp"), "another process's write in progress");
        // Resume with a different thread count: results do not depend on it.
        String resumed = Printed.stdout(() -> assertThat(Main.run(new String[] {"set", "--resume", killed.toString(), "--threads", "2", "--limit-train", "1500",
                "--limit-test", "400"})).isZero());
        assertThat(Files.readAllBytes(killed.resolve(SetTraining.MODEL))).isEqualTo(Files.readAllBytes(whole.resolve(SetTraining.MODEL)));
        assertThat(MetricsLog.readAll(metrics)).hasSize(epochs);
        assertThat(stale).doesNotExist();
        assertThat(foreign).exists();
        // The summary covers the whole run, the epochs before the kill included.
        List<EpochMetrics> all = SetTraining.history(killed);
        EpochMetrics best = all.stream().max(Comparator.comparingDouble(EpochMetrics::testAccuracy)).orElseThrow();
        assertThat(resumed).contains(String.format("(best %.4f at epoch %d)", best.testAccuracy(), best.epoch()));
        double[] secs = all.stream().mapToDouble(EpochMetrics::epochSeconds).sorted().toArray();
        double median = secs.length % 2 == 1 ? secs[secs.length / 2] : (secs[secs.length / 2 - 1] + secs[secs.length / 2]) / 2;
        assertThat(resumed).contains(String.format("median epoch %.3f s", median));
    }

    /**
     * Ctrl-C (SIGINT) or SIGTERM during an --overwrite run: the earlier run comes back, as when a run fails, rather than
     * staying hidden in DIR/.dst4j-earlier-run-*, beside the new run's first epochs, for the next --overwrite to delete.
     */
    @Test
    void aTerminatedOverwriteRunGivesTheEarlierRunBack(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertThat(Main.run(args("--epochs", "1", "--threads", "1", "--out", run.toString()))).isZero();
        byte[] earlier = Files.readAllBytes(run.resolve(SetTraining.MODEL));

        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "set"));
        cmd.addAll(List.of(SMALL));
        cmd.addAll(List.of("--epochs", "200", "--threads", "1", "--out", run.toString(), "--overwrite"));
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && child.isAlive() && lines(run.resolve(SetTraining.METRICS)) < 2) Thread.sleep(2);
            assertThat(child.isAlive()).as("child still training when stopped; log: %s", log).isTrue();
            child.destroy(); // SIGTERM: what a Ctrl-C or a job scheduler's stop does
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly(); // a failed assertion must not leave it training into the temporary directory
        }
        String printed = Files.readString(log);
        assertThat(printed).contains("interrupted").contains("the earlier run in " + run + " is back in place").doesNotContain("\tat ", "Exception");
        assertThat(Files.readAllBytes(run.resolve(SetTraining.MODEL))).isEqualTo(earlier);
        assertThat(MetricsLog.readAll(run.resolve(SetTraining.METRICS))).hasSize(1);
        try (var names = Files.list(run)) {
            assertThat(names.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("."));
        }
    }

    /**
     * SIGTERM (or Ctrl-C) during a set --resume: training stops between batches and says where, as in a new run. A
     * resumed run claims no directory: a shutdown hook waiting only for a claimed one would let the JVM halt at once, with
     * no "interrupted" line and in the middle of an epoch's writes.
     */
    @Test
    void aTerminatedResumedRunStopsBetweenBatchesAndSaysWhere(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "set"));
        List<String> first = new ArrayList<>(cmd);
        first.addAll(List.of(SMALL));
        first.addAll(List.of("--epochs", "200", "--threads", "1", "--out", run.toString()));
        List<String> resume = new ArrayList<>(cmd);
        resume.addAll(List.of("--resume", run.toString(), "--limit-train", "1500", "--limit-test", "400", "--threads", "1"));
        Path log = dir.resolve("child.log");
        for (List<String> c : List.of(first, resume)) {
            int before = lines(run.resolve(SetTraining.METRICS));
            Process child = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline && child.isAlive() && lines(run.resolve(SetTraining.METRICS)) < before + 2) Thread.sleep(2);
                assertThat(child.isAlive()).as("child still training when stopped; log: %s", Files.readString(log)).isTrue();
                child.destroy(); // SIGTERM
                assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                child.destroyForcibly();
            }
            assertThat(Files.readString(log)).as("stopped between batches, saying where").contains("dst4j set: interrupted: training interrupted after ");
        }
    }

    // Not "test accuracy 0,7120" and "1,82s" under a German locale: the command's numbers read as in the README and
    // metrics.json on every machine.
    @Test
    void theCommandLinePrintsNumbersTheSameUnderEveryLocale(@TempDir Path dir) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "-Duser.language=de",
                "-Duser.country=DE", "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "set"));
        cmd.addAll(List.of(SMALL));
        cmd.addAll(List.of("--epochs", "1", "--threads", "1", "--out", dir.resolve("run").toString()));
        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        String printed = Files.readString(log);
        assertThat(child.exitValue()).as(printed).isZero();
        assertThat(printed).contains("test accuracy 0.", "median epoch ").doesNotContainPattern("\\d,\\d");
    }

    private static int lines(Path p) throws IOException {
        try {
            return (int) Files.readAllLines(p).stream().filter(l -> l.endsWith("}")).count();
        } catch (NoSuchFileException notYet) { // not written yet, or being moved aside by the child's claim
            return 0;
        }
    }

    @Test
    void resumeRefusesACorruptCheckpointAndOtherData(@TempDir Path dir) throws Exception {
        assertThat(Main.run(args("--epochs", "2", "--threads", "1", "--out", dir.toString()))).isZero();
        Path ck = dir.resolve(SetTraining.CHECKPOINT);
        byte[] b = Files.readAllBytes(ck);
        // A different training set is refused by checksum.
        assertThat(Main.run(new String[] {"set", "--resume", dir.toString(), "--limit-train", "1400", "--limit-test", "400"})).isEqualTo(1);
        // The message says what the run trained on (a bare checksum did not).
        assertThatThrownBy(() -> {
            try (DatasetSplit data = DataSources.load(new DataOptions(null, null, null, null, null, "last", 0.2, 0, 1400, 400))) {
                SetTraining.resume(dir, data, 1, null).close();
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("the training data differs from the run's, which trained on fashion-mnist-small/train (1500 samples)")
                .hasMessageContaining("give the data options the run was started with");
        // So is another test set: the learning curve would switch test sets part-way.
        assertThatThrownBy(() -> {
            try (DatasetSplit data = DataSources.load(new DataOptions(null, null, null, null, null, "last", 0.2, 0, 1500, 300))) {
                SetTraining.resume(dir, data, 1, null).close();
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("the test data differs from the run's, which tested on 400 samples");
        // A finished run's model copied in as the checkpoint: named as such, not as a missing optimizer tensor.
        Path copy = Files.createDirectories(dir.resolve("copy"));
        Files.copy(dir.resolve(SetTraining.MODEL), copy.resolve(SetTraining.CHECKPOINT));
        assertThatThrownBy(() -> {
            try (DatasetSplit data = small()) {
                SetTraining.resume(copy, data, 1, null).close();
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("checkpoint.dst4j is a trained model without its optimizer state");
        b[b.length / 2] ^= 0x10;
        Files.write(ck, b);
        assertThatThrownBy(() -> {
            try (DatasetSplit data = small()) {
                SetTraining.resume(dir, data, 1, new SetTraining.Progress() {}).close();
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("CRC32C mismatch");
        // A bad thread count is the caller's mistake, not the checkpoint's.
        assertThatThrownBy(() -> {
            try (DatasetSplit data = small()) {
                SetTraining.resume(dir, data, 0, null).close();
            }
        }).isInstanceOf(IllegalArgumentException.class).hasMessage("threads must be >= 1, got 0");
        Files.write(ck, Arrays.copyOf(b, 100));
        assertThat(Main.run(new String[] {"set", "--resume", dir.toString(), "--limit-train", "1500", "--limit-test", "400"})).isEqualTo(1);
    }

    @Test
    void resumeRefusesAModelFileThatIsNotASetCheckpoint(@TempDir Path dir) throws Exception {
        // Any dst4j model file loads as a model; without the training state it is named, not a stack trace.
        try (DatasetSplit data = small();
             SparseClassifier bare = new SparseClassifier(SparseMlp.create(new MlpConfig(
                     new int[] {data.train().features(), 8, 10}, "relu", 0.6f, Activation.linear(), 0f,
                     new Density.Uniform(0.5), new WeightInit.HeUniform()),
                     new RandomStream(1), 1), null, Map.of(), 1)) {
            bare.save(dir.resolve(SetTraining.CHECKPOINT));
            assertThatThrownBy(() -> SetTraining.resume(dir, data, 1, null).close()).isInstanceOf(IOException.class)
                    .hasMessage(dir + ": checkpoint.dst4j is not a SET training checkpoint (field 'training': expected an object, got null)");
        }
    }

    @Test
    void badArgumentsAreOneLineErrorsWithExitCodeTwo(@TempDir Path dir) {
        // Refused before training; had a check let one through, it writes here, not into runs/ in the working directory.
        String refused = dir.resolve("refused").toString();
        assertThat(Main.run(new String[] {"set", "--epochs", "-3", "--out", refused})).isEqualTo(2);
        assertThat(Main.run(new String[] {"set", "--activation", "gelu", "--out", refused})).isEqualTo(2);
        assertThat(Main.run(new String[] {"set", "--hidden", "10,zero", "--out", refused})).isEqualTo(2);
        assertThat(Main.run(new String[] {"set", "--schedule", "wavy", "--out", refused})).isEqualTo(2);
        assertThat(Main.run(new String[] {"set", "--data", "/nonexistent/dir", "--epochs", "1", "--out", refused})).isEqualTo(1);
        assertThat(Main.run(new String[] {"predict"})).isEqualTo(2);
    }
}
