package org.dst4j.algorithms.freetickets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.dst4j.algorithms.Blobs;
import org.dst4j.algorithms.Interrupts;
import org.dst4j.algorithms.Printed;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.data.DataOptions;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.MetricsLog;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.runtime.memory.OffHeap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A FreeTickets run stopped at any epoch, then resumed, ends as the run that was never stopped: the same member
 * files, manifest, chart and metrics (the training time aside). The state it needs beyond the network — which DST
 * member was training, the held-out selection so far, the FLOPs of the members done, the log's records — is in the
 * checkpoint's header; each of them, lost, changes one of the files compared here.
 */
class FreeTicketsResumeTest {

    // 12 features, 4 classes: 120 training samples (108 after a 10% hold-out: 4 batches of 32), 40 test samples.
    private static DatasetSplit data() {
        Random r = new Random(3);
        return new DatasetSplit(Blobs.of("train", r, 120, 12, 2f), Blobs.of("test", r, 40, 12, 2f));
    }

    // Dropout on: its masks are keyed by the step, which the checkpoint must carry. DST: 2 members x 3 epochs; EDST:
    // 2 exploration epochs and 2 tickets of 2: 6 epochs either way.
    private static FreeTicketsConfig config(Variant v, double validSplit, int threads) {
        return new FreeTicketsConfig(v, 2, new int[] {16, 12}, 0.5, 3, 2, 2, 32, 0.05f, 0.9f, 1e-5f, 0.1f, "relu",
                0.3, 0.8, 1, "gradient", 5, threads, v == Variant.DST ? "cosine" : "constant", validSplit, v == Variant.DST ? "own" : "shared");
    }

    private static TrainingProgress stopAfter(int epochs) {
        return Interrupts.afterEpochs(epochs);
    }

    // Runs `cfg` into `dir`, stopped by `progress`; returns what stopped it, the interrupt flag cleared.
    private static Exception stopped(FreeTicketsConfig cfg, DatasetSplit data, Path dir, TrainingProgress progress) {
        try {
            FreeTickets.run(cfg, data, true, dir, progress);
            throw new AssertionError("the run was not stopped");
        } catch (CancellationException | IOException e) {
            assertThat(Thread.interrupted()).as("the interrupt flag stays set").isTrue();
            return e;
        }
    }

    private static void assertSameRun(Path whole, Path resumed) throws IOException {
        for (String f : List.of("member-1.dst4j", "member-2.dst4j", "ensemble.json", FreeTickets.CHART)) {
            assertThat(Files.readAllBytes(resumed.resolve(f))).as(f).isEqualTo(Files.readAllBytes(whole.resolve(f)));
        }
        Map<String, Object> a = Json.parseObject(Json.readFile(whole.resolve(FreeTickets.METRICS)));
        Map<String, Object> b = Json.parseObject(Json.readFile(resumed.resolve(FreeTickets.METRICS)));
        a.remove("train_seconds");
        b.remove("train_seconds");
        assertThat(b).isEqualTo(a);
        assertThat(withoutTimes(MetricsLog.readAll(resumed.resolve(FreeTickets.LOG)))).isEqualTo(withoutTimes(MetricsLog.readAll(whole.resolve(FreeTickets.LOG))));
        try (Stream<Path> files = Files.list(resumed)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no checkpoint, candidate or temporary file left")
                    .containsExactlyInAnyOrder("member-1.dst4j", "member-2.dst4j", "ensemble.json", FreeTickets.CHART, FreeTickets.METRICS, FreeTickets.LOG);
        }
    }

    private static List<Map<String, Object>> withoutTimes(List<Map<String, Object>> records) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : records) {
            Map<String, Object> c = new LinkedHashMap<>(r);
            c.keySet().removeIf(k -> k.endsWith("_seconds"));
            out.add(c);
        }
        return out;
    }

    private static void stoppedAtEveryEpochThenResumedEndsAsTheWholeRun(Variant v, double validSplit, Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path whole = dir.resolve("whole");
            FreeTickets.Result r = FreeTickets.run(config(v, validSplit, 1), data, true, whole, null);
            for (int k = 1; k < 6; k++) {
                Path run = dir.resolve("stopped-" + k);
                assertThat(stopped(config(v, validSplit, 1), data, run, stopAfter(k))).isInstanceOf(CancellationException.class);
                assertThat(FreeTickets.resumable(run, 3).epochsDone()).as("epochs done when stopped after %d", k).isEqualTo(k);
                int[] trained = {0};
                FreeTickets.Result resumed = FreeTickets.resume(run, data, 2, new TrainingProgress() {
                    @Override public void epoch(String phase, EpochMetrics m) {
                        trained[0]++;
                    }
                });
                assertThat(trained[0]).as("epochs trained after the resume").isEqualTo(6 - k);
                assertSameRun(whole, run);
                assertThat(resumed.trainingFlops()).as("FLOPs of the whole run").isEqualTo(r.trainingFlops());
                assertThat(resumed.denseFlops()).isEqualTo(r.denseFlops());
                assertThat(resumed.test()).isEqualTo(r.test());
            }
        }
    }

    // A new run into a stopped run's directory (the Java API sets nothing aside), itself stopped in its first epoch before
    // its own first save, leaves no checkpoint of the old run beside its own log for a resume to continue.
    @Test
    void aNewRunOverAStoppedOneLeavesNoCheckpointOfTheOld(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path run = dir.resolve("run");
            stopped(config(Variant.EDST, 0, 1), data, run, stopAfter(3));
            assertThat(run.resolve(FreeTickets.CHECKPOINT)).isRegularFile();
            stopped(config(Variant.EDST, 0, 1), data, run, stopAfter(0));
            assertThat(run.resolve(FreeTickets.CHECKPOINT)).doesNotExist();
        }
    }

    // A finished member replaced by another run's would be trained beside and averaged in: of another shape, ending in
    // a stack trace once the last member has trained; of the same shape, as an ensemble that was never this run's.
    @Test
    void aFinishedMemberFromAnotherRunIsRefusedBeforeAnythingTrains(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path run = dir.resolve("run"), other = dir.resolve("other");
            stopped(config(Variant.DST, 0.1, 1), data, run, stopAfter(4)); // in member 2
            FreeTicketsConfig seven = config(Variant.DST, 0.1, 1).withSeed(7);
            FreeTickets.run(seven, data, true, other, null);
            Path member = run.resolve("member-1.dst4j");
            byte[] own = Files.readAllBytes(member);
            Files.copy(other.resolve("member-1.dst4j"), member, StandardCopyOption.REPLACE_EXISTING);
            int[] trained = {0};
            assertThatThrownBy(() -> FreeTickets.resume(run, data, 1, new TrainingProgress() {
                @Override public void epoch(String phase, EpochMetrics m) {
                    trained[0]++;
                }
            })).isInstanceOf(IOException.class).hasMessage(member + ": not member 1 of the run in " + run + " (its header names another run's"
                    + " settings, seed or data): put the run's own back, or start the run again with --overwrite");
            assertThat(trained[0]).isZero();
            Files.write(member, own);
            assertThat(FreeTickets.resume(run, data, 1, null).test().members()).hasSize(2);
        }
    }

    // The settings alone do not tell a run's members apart: an EDST ticket put in another ticket's place has the run's
    // settings and seed, and a member of a run of the same settings on other data has them all but the data's checksum.
    @Test
    void aFinishedMemberOfTheSameSettingsIsRefusedWhenItIsAnotherTicketOrFromOtherData(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data();
             DatasetSplit otherData = new DatasetSplit(Blobs.of("train", new Random(4), 120, 12, 2f), Blobs.of("test", new Random(5), 40, 12, 2f))) {
            Path edst = dir.resolve("edst"), wholeEdst = dir.resolve("whole-edst");
            stopped(config(Variant.EDST, 0, 1), data, edst, stopAfter(5)); // in ticket 2: ticket 1 written
            FreeTickets.run(config(Variant.EDST, 0, 1), data, true, wholeEdst, null);
            Files.copy(wholeEdst.resolve("member-2.dst4j"), edst.resolve("member-1.dst4j"), StandardCopyOption.REPLACE_EXISTING);
            assertThatThrownBy(() -> FreeTickets.resume(edst, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(edst.resolve("member-1.dst4j") + ": not member 1 of the run in " + edst);

            Path dst = dir.resolve("dst"), elsewhere = dir.resolve("other-data");
            stopped(config(Variant.DST, 0.1, 1), data, dst, stopAfter(4)); // in member 2
            FreeTickets.run(config(Variant.DST, 0.1, 1), otherData, true, elsewhere, null);
            Files.copy(elsewhere.resolve("member-1.dst4j"), dst.resolve("member-1.dst4j"), StandardCopyOption.REPLACE_EXISTING);
            assertThatThrownBy(() -> FreeTickets.resume(dst, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(dst.resolve("member-1.dst4j") + ": not member 1 of the run in " + dst);
        }
    }

    // Earlier builds wrote the float settings widened to double (momentum 0.8999999761581421); their members are the run's own.
    @Test
    void aFinishedMemberWrittenWithWidenedFloatSettingsIsStillTheRunsOwn(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path run = dir.resolve("run");
            stopped(config(Variant.DST, 0.1, 1), data, run, stopAfter(4)); // in member 2
            Path member = run.resolve("member-1.dst4j");
            editTraining(member, t -> {
                Map<String, Object> c = new LinkedHashMap<>(Json.getObject(t, "config"));
                for (String k : List.of("lr", "momentum", "weight_decay", "dropout")) c.put(k, (double) (float) Json.getDouble(c, k));
                return put(t, "config", c);
            });
            try (CheckpointFile.Index ix = CheckpointFile.open(member)) {
                assertThat(Json.write(ix.header())).contains("\"momentum\":0.8999999761581421");
            }
            assertThat(FreeTickets.resume(run, data, 1, null).test().members()).hasSize(2);
        }
    }

    @Test
    void dstStoppedAtEveryEpochThenResumedEndsAsTheWholeRun(@TempDir Path dir) throws Exception {
        // Stopped after 3 epochs, the checkpoint is member 1's last epoch: the resumed run goes on with member 2.
        stoppedAtEveryEpochThenResumedEndsAsTheWholeRun(Variant.DST, 0.1, dir);
    }

    @Test
    void edstWithHeldOutSelectionStoppedAtEveryEpochThenResumedEndsAsTheWholeRun(@TempDir Path dir) throws Exception {
        stoppedAtEveryEpochThenResumedEndsAsTheWholeRun(Variant.EDST, 0.1, dir);
    }

    @Test
    void edstStoppedAtEveryEpochThenResumedEndsAsTheWholeRun(@TempDir Path dir) throws Exception {
        stoppedAtEveryEpochThenResumedEndsAsTheWholeRun(Variant.DST, 0, dir.resolve("dst"));
        stoppedAtEveryEpochThenResumedEndsAsTheWholeRun(Variant.EDST, 0, dir.resolve("edst"));
    }

    // An interrupt that lands in the epoch's file work. Without a hold-out, in the checkpoint's write: the log has the
    // epoch (written first), the checkpoint is the epoch before. With one, in reading back the epoch's candidate model
    // for selection: neither log nor checkpoint has the epoch.
    @Test
    void anInterruptInAnEpochsFileWorkResumesFromTheCheckpointBefore(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            for (double validSplit : new double[] {0, 0.1}) {
                Path whole = dir.resolve("whole-" + validSplit), run = dir.resolve("run-" + validSplit);
                FreeTickets.run(config(Variant.DST, validSplit, 1), data, true, whole, null);
                Exception e = stopped(config(Variant.DST, validSplit, 1), data, run, new TrainingProgress() {
                    int done;

                    @Override public void epoch(String phase, EpochMetrics m) {
                        if (++done == 4) Thread.currentThread().interrupt(); // before the epoch's selection, log record and checkpoint
                    }
                });
                assertThat(e).isInstanceOf(InterruptedIOException.class)
                        .hasMessageContaining(validSplit == 0 ? FreeTickets.CHECKPOINT : "member-2.dst4j.candidate");
                assertThat(MetricsLog.readAll(run.resolve(FreeTickets.LOG))).hasSize(validSplit == 0 ? 4 : 3);
                assertThat(FreeTickets.resumable(run, 1).epochsDone()).isEqualTo(3);
                FreeTickets.resume(run, data, 1, null);
                assertSameRun(whole, run);
            }
        }
    }

    // A SIGKILL in a member's or candidate's write leaves its temporary (as in one at the checkpoint's): the resumed run
    // writes those files again under new temporary names, so the old ones would stay beside the finished run.
    @Test
    void temporariesOfMemberWritesAKillCutShortAreRemoved(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            for (double validSplit : new double[] {0, 0.1}) {
                Path whole = dir.resolve("whole-" + validSplit), run = dir.resolve("run-" + validSplit);
                FreeTickets.run(config(Variant.DST, validSplit, 1), data, true, whole, null);
                stopped(config(Variant.DST, validSplit, 1), data, run, stopAfter(4));
                // The names AtomicFiles gives its temporaries: "." + the file's name + "." + digits + ".tmp".
                Files.writeString(run.resolve(".member-1.dst4j.4711.tmp"), "cut short");
                Files.writeString(run.resolve(".member-2.dst4j.candidate.815.tmp"), "cut short");
                Path users = Files.writeString(run.resolve(".notes.txt.1.tmp"), "not the run's");
                FreeTickets.resume(run, data, 1, null);
                assertThat(Files.readString(users)).as("a temporary of no file of the run stays").isEqualTo("not the run's");
                Files.delete(users);
                assertSameRun(whole, run);
            }
        }
    }

    // predict on a stopped run's checkpoint finds a single data file's test split as on its members: the checkpoint
    // records the training set as given, so predict neither takes it for a model recording no data ("cannot be
    // checked") nor scores a split the run had partly trained on.
    @Test
    void predictOnAStoppedRunsCheckpointChecksASingleFilesSplit(@TempDir Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        Random r = new Random(5);
        for (int i = 0; i < 200; i++) {
            int c = r.nextInt(4);
            for (int f = 0; f < 6; f++) sb.append(String.format(Locale.ROOT, "%.3f,", (f == c ? 1.0 : 0.0) + 0.9 * r.nextGaussian()));
            sb.append(c).append('\n');
        }
        Path csv = Files.writeString(dir.resolve("data.csv"), sb.toString()), run = dir.resolve("run");
        try (DatasetSplit data = DataSources.load(new DataOptions(csv, null, null, null, null, "last", 0.25, 7, 0, 0))) {
            stopped(config(Variant.DST, 0.1, 1).withSeed(7), data, run, stopAfter(2));
        }
        String model = run.resolve(FreeTickets.CHECKPOINT).toString(), out = dir.resolve("p.csv").toString();
        String same = Printed.stderr(() -> assertThat(Main.run(new String[] {"predict", "--model", model, "--data", csv.toString(),
                "--test-fraction", "0.25", "--threads", "1", "--output", out})).isZero());
        assertThat(same).doesNotContain("cannot be checked");
        String other = Printed.stderr(() -> assertThat(Main.run(new String[] {"predict", "--model", model, "--data", csv.toString(),
                "--test-fraction", "0.3", "--threads", "1", "--output", out})).isEqualTo(1));
        assertThat(other).contains("is not the one held out when " + model + " was trained");
    }

    @Test
    void whatCannotBeResumedIsRefusedNamingTheCause(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path finished = dir.resolve("finished");
            FreeTickets.run(config(Variant.DST, 0.1, 1), data, true, finished, null);
            assertThatThrownBy(() -> FreeTickets.resume(finished, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("no " + FreeTickets.CHECKPOINT).hasMessageContaining("had finished");
            assertThatThrownBy(() -> FreeTickets.resume(dir.resolve("nothing"), data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("no " + FreeTickets.CHECKPOINT).hasMessageNotContaining("finished");

            Path run = dir.resolve("run");
            stopped(config(Variant.DST, 0.1, 1), data, run, stopAfter(4));
            try (DatasetSplit other = new DatasetSplit(Blobs.of("train", new Random(4), 120, 12, 2f), Blobs.of("test", new Random(5), 40, 12, 2f))) {
                assertThatThrownBy(() -> FreeTickets.resume(run, other, 1, null)).isInstanceOf(IOException.class)
                        .hasMessageContaining("training data differs");
            }
            Random r = new Random(3);
            try (DatasetSplit sameTrain = new DatasetSplit(Blobs.of("train", r, 120, 12, 2f), Blobs.of("test", new Random(9), 40, 12, 2f))) {
                assertThatThrownBy(() -> FreeTickets.resume(run, sameTrain, 1, null)).isInstanceOf(IOException.class)
                        .hasMessageContaining("test data differs");
            }
            assertThatThrownBy(() -> FreeTickets.resume(run, data, 0, null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads");
            // Each command's resume names another command's checkpoint for what it is.
            Path set = dir.resolve("set");
            try (var model = SetTraining.train(SetConfig.defaults().withEpochs(1).withHidden(16).withThreads(1),
                    data, true, set, null)) {
                assertThat(model).isNotNull();
            }
            assertThatThrownBy(() -> FreeTickets.resume(set, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("the checkpoint of a set run, not of a FreeTickets run");
            assertThatThrownBy(() -> SetTraining.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("the checkpoint of a freetickets-dst run, not of a SET run");

            // A header whose counts disagree with each other is an edited file, not a run to continue from.
            Path file = run.resolve(FreeTickets.CHECKPOINT);
            byte[] original = Files.readAllBytes(file);
            // Each count is checked at both ends of its range (stopped after 4 epochs: member 2 of 2, 1 epoch of its 3).
            List<Map.Entry<String, UnaryOperator<Map<String, Object>>>> edits = List.of(
                    Map.entry("field 'records'", t -> put(t, "records", 5)),
                    Map.entry("field 'member'", t -> put(t, "member", 2)),
                    Map.entry("field 'member'", t -> put(t, "member", -1)),
                    Map.entry("field 'epochs_done'", t -> put(t, "epochs_done", 4)),
                    Map.entry("field 'epochs_done'", t -> put(t, "epochs_done", 0)),
                    Map.entry("field 'step'", t -> put(t, "step", -1)),
                    Map.entry("field 'train_seconds'", t -> put(t, "train_seconds", -0.5)),
                    Map.entry("field 'flops_done'", t -> put(t, "flops_done", new long[] {-1, 0})),
                    Map.entry("field 'flops_done'", t -> put(t, "flops_done", new long[] {0, -1})),
                    Map.entry("field 'network_flops'", t -> put(t, "network_flops", new long[] {1})),
                    Map.entry("field 'selected'", t -> put(t, "selected", List.of(Map.of("file", "../x.dst4j", "epoch", 1, "accuracy", 0.5, "loss", 1.0)))),
                    Map.entry("field 'selected'", t -> put(t, "selected", List.of(Map.of("file", "member-3.dst4j", "epoch", 1, "accuracy", 0.5, "loss", 1.0)))),
                    Map.entry("field 'selected'", t -> put(t, "selected", List.of(Map.of("file", "member-0.dst4j", "epoch", 1, "accuracy", 0.5, "loss", 1.0)))),
                    Map.entry("field 'selected'", t -> put(t, "selected", List.of("member-1.dst4j"))),
                    Map.entry("field 'selected'", t -> put(t, "selected", "member-1.dst4j")),
                    Map.entry("field 'variant'", t -> put(t, "config", put(Json.getObject(t, "config"), "variant", "set"))));
            for (var edit : edits) {
                editTraining(file, edit.getValue());
                assertThatThrownBy(() -> FreeTickets.resume(run, data, 1, null)).as(edit.getKey()).isInstanceOf(IOException.class)
                        .hasMessageContaining(file.toString()).hasMessageContaining("not a FreeTickets training checkpoint").hasMessageContaining(edit.getKey());
                Files.write(file, original);
            }
            // A checkpoint that says it was not standardized while it holds a standardizer.
            editTraining(file, t -> put(t, "standardize", false));
            assertThatThrownBy(() -> FreeTickets.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessage(file + ": the checkpoint's 'standardize' is false, but the file holds a standardizer (file edited?)");
            Files.write(file, original);
            FreeTickets.resume(run, data, 1, null);
            Path whole = dir.resolve("whole");
            FreeTickets.run(config(Variant.DST, 0.1, 1), data, true, whole, null);
            assertSameRun(whole, run);
        }
    }

    // Random regrowth draws from the run's evolution stream (gradient regrowth, as in the tests above, draws nothing from it):
    // the checkpoint carries where that stream stood, so a run stopped part-way ends as the whole run (DST: in member 2).
    @Test
    void withRandomRegrowthAStoppedRunResumedEndsAsTheWholeRun(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            for (Variant v : Variant.values()) {
                FreeTicketsConfig cfg = new FreeTicketsConfig(v, 2, new int[] {16, 12}, 0.5, 3, 2, 2, 32, 0.05f, 0.9f, 1e-5f, 0.1f, "relu",
                        0.3, 0.8, 1, "random", 5, 1, "constant", 0, "shared");
                Path whole = dir.resolve(v.label() + "-whole"), run = dir.resolve(v.label() + "-stopped");
                FreeTickets.Result r = FreeTickets.run(cfg, data, true, whole, null);
                assertThat(stopped(cfg, data, run, stopAfter(4))).isInstanceOf(CancellationException.class);
                FreeTickets.Result resumed = FreeTickets.resume(run, data, 1, null);
                assertSameRun(whole, run);
                assertThat(resumed.test()).as("%s", v).isEqualTo(r.test());
            }
        }
    }

    // A member file put in the place of the last member's, from a run with the same seed and data but other settings (another
    // learning rate): the run's own was written by the held-out selection before the stop, which a later epoch may not beat.
    @Test
    void theLastMembersFileFromARunOfOtherSettingsIsRefused(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path run = dir.resolve("run"), other = dir.resolve("other");
            stopped(config(Variant.DST, 0.1, 1), data, run, stopAfter(4)); // in member 2: its first epoch kept
            FreeTickets.run(config(Variant.DST, 0.1, 1).withLearningRate(0.04f), data, true, other, null);
            Path member = run.resolve("member-2.dst4j");
            assertThat(member).isRegularFile();
            Files.copy(other.resolve("member-2.dst4j"), member, StandardCopyOption.REPLACE_EXISTING);
            assertThatThrownBy(() -> FreeTickets.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(member + ": not member 2 of the run in " + run);
        }
    }

    // A member file whose recorded settings are not FreeTickets settings at all (its variant edited) is not the run's either.
    @Test
    void aFinishedMemberWhoseSettingsCannotBeReadIsRefused(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path run = dir.resolve("run");
            stopped(config(Variant.DST, 0.1, 1), data, run, stopAfter(4)); // in member 2
            Path member = run.resolve("member-1.dst4j");
            editTraining(member, t -> put(t, "config", put(Json.getObject(t, "config"), "variant", "set")));
            assertThatThrownBy(() -> FreeTickets.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(member + ": not member 1 of the run in " + run);
        }
    }

    @Test
    void aResumableCountsNoEpochsOrMore() {
        FreeTicketsConfig cfg = config(Variant.EDST, 0, 1);
        assertThat(new FreeTickets.Resumable(cfg, 0).epochsDone()).isZero();
        assertThatThrownBy(() -> new FreeTickets.Resumable(cfg, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("epochsDone must be >= 0, got -1");
    }

    // A checkpoint whose network is not the one its settings build on this data (the header's hidden sizes edited, before any
    // member file was written): refused naming the file, and the network read from it is freed.
    @Test
    void aCheckpointWhoseNetworkIsNotTheOneItsSettingsBuildIsRefusedAndFreed(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            for (Variant v : Variant.values()) {
                Path run = dir.resolve(v.label());
                stopped(config(v, 0, 1), data, run, stopAfter(1));
                Path file = run.resolve(FreeTickets.CHECKPOINT);
                editTraining(file, t -> put(t, "config", put(Json.getObject(t, "config"), "hidden", List.of(16, 13))));
                long held = OffHeap.bytesInUse();
                assertThatThrownBy(() -> FreeTickets.resume(run, data, 1, null)).as("%s", v).isInstanceOf(IOException.class)
                        .hasMessageStartingWith(file + " holds the network ").hasMessageContaining("13").hasMessageEndingWith("(file edited?)");
                assertThat(OffHeap.bytesInUse()).as("%s: off-heap bytes after the refused resume", v).isEqualTo(held);
            }
        }
    }

    private static Map<String, Object> put(Map<String, Object> m, String key, Object value) {
        Map<String, Object> c = new LinkedHashMap<>(m);
        c.put(key, value);
        return c;
    }

    // Rewrites the header's "training" object, the tensors unchanged.
    private static void editTraining(Path file, UnaryOperator<Map<String, Object>> change) throws IOException {
        Path tmp = file.resolveSibling("edited.tmp");
        try (CheckpointFile.Checkpoint ck = CheckpointFile.read(file)) {
            List<CheckpointFile.Tensor> tensors = new ArrayList<>();
            for (String n : ck.names()) tensors.add(ck.tensor(n));
            Map<String, Object> h = new LinkedHashMap<>(ck.header());
            h.put("training", change.apply(Json.getObject(h, "training")));
            CheckpointFile.write(tmp, h, tensors);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }

    // The command line: --resume with the run's data options continues it; options that would describe another run are refused.
    @Test
    void theCommandLineResumesARunAndRefusesOptionsItWouldIgnore(@TempDir Path dir) throws Exception {
        String[] dataArgs = {"--limit-train", "300", "--limit-test", "100"};
        Path whole = dir.resolve("whole"), run = dir.resolve("run");
        List<String> common = new ArrayList<>(List.of("freetickets", "--variant", "dst", "--members", "2", "--epochs", "2", "--hidden", "16,16",
                "--batch", "64", "--threads", "1"));
        common.addAll(List.of(dataArgs));
        List<String> first = new ArrayList<>(common);
        first.addAll(List.of("--out", whole.toString()));
        assertThat(Main.run(first.toArray(String[]::new))).isZero();
        try (DatasetSplit data = DataSources.load(new DataOptions(null, null, null, null, null, "last", 0.2, 42, 300, 100))) {
            FreeTicketsConfig cfg = FreeTicketsConfig.defaults(Variant.DST).withMembers(2).withEpochs(2).withHidden(16, 16).withBatch(64).withThreads(1);
            stopped(cfg, data, run, stopAfter(3));
        }
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        PrintStream out = System.out;
        System.setOut(new PrintStream(text, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(new String[] {"inspect", "--model", run.resolve(FreeTickets.CHECKPOINT).toString()})).isZero();
        } finally {
            System.setOut(out);
        }
        assertThat(text.toString(StandardCharsets.UTF_8)).contains("epochs done: 3 of 4 (member 2 of 2: 1 of its 2)");
        assertThat(Main.run(new String[] {"freetickets", "--resume", run.toString(), "--epochs", "3", "--limit-train", "300"})).isEqualTo(2);
        // A new run given the stopped run's directory is pointed to --resume; given a finished run's, only to --overwrite.
        List<String> again = new ArrayList<>(common);
        again.addAll(List.of("--out", run.toString()));
        assertThat(Printed.stderr(() -> assertThat(Main.run(again.toArray(String[]::new))).isEqualTo(2)))
                .contains("holds an earlier run").contains("continue it with --resume " + run);
        List<String> onFinished = new ArrayList<>(common);
        onFinished.addAll(List.of("--out", whole.toString()));
        assertThat(Printed.stderr(() -> assertThat(Main.run(onFinished.toArray(String[]::new))).isEqualTo(2)))
                .contains("holds an earlier run").doesNotContain("--resume");
        assertThat(Main.run(new String[] {"freetickets", "--resume", run.resolve(FreeTickets.CHECKPOINT).toString()})).isEqualTo(1);
        List<String> resume = new ArrayList<>(List.of("freetickets", "--resume", run.toString(), "--threads", "2"));
        resume.addAll(List.of(dataArgs));
        assertThat(Main.run(resume.toArray(String[]::new))).isZero();
        assertSameRun(whole, run);
        assertThat(Main.run(resume.toArray(String[]::new))).as("a finished run").isEqualTo(1);
    }
}
