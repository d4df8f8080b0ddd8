package org.dst4j.algorithms.neurotrails;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Percentage.withPercentage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dst4j.algorithms.Blobs;
import org.dst4j.algorithms.Interrupts;
import org.dst4j.algorithms.Printed;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.algorithms.freetickets.FreeTickets;
import org.dst4j.nn.data.DataOptions;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.MetricsLog;
import org.dst4j.nn.model.MultiHeadClassifier;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.runtime.memory.OffHeap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A NeuroTrails run stopped at any epoch of any phase (NeuroTrails, then with {@code compare} the single network and
 * the DST members), then resumed, ends as the run that was never stopped: the same model files, baselines' members,
 * chart, log and metrics (the times aside).
 */
class NeuroTrailsResumeTest {

    // 12 features, 4 classes: 120 training samples, 40 test samples.
    private static DatasetSplit data() {
        Random r = new Random(3);
        return new DatasetSplit(Blobs.of("train", r, 120, 12, 2f), Blobs.of("test", r, 40, 12, 2f));
    }

    // Dropout and head-input dropout on: their masks are keyed by the step, which the checkpoint must carry. 2 heads,
    // 3 epochs: with compare, 3 (NeuroTrails) + 3 (single) + 2 x 3 (DST members) = 12 epochs.
    private static NeuroTrailsConfig config(int threads) {
        return new NeuroTrailsConfig(2, 1, new int[] {16, 12}, 0.5, 3, 32, 0.05f, 0.9f, 1e-5f, 0.1f, "relu", 0.3, 1, "gradient", 5, threads,
                "sum", "0.6", 0.2f, "layer");
    }

    private static TrainingProgress stopAfter(int epochs) {
        return Interrupts.afterEpochs(epochs);
    }

    private static void stopped(NeuroTrailsConfig cfg, DatasetSplit data, boolean compare, Path dir, TrainingProgress progress) {
        try {
            NeuroTrails.run(cfg, data, true, compare, dir, progress);
            throw new AssertionError("the run was not stopped");
        } catch (CancellationException | IOException e) {
            assertThat(Thread.interrupted()).as("the interrupt flag stays set").isTrue();
        }
    }

    private static final List<String> FILES = List.of("model/backbone.dst4j", "model/head-1.dst4j", "model/head-2.dst4j", "model/multihead.json",
            NeuroTrails.CHART);
    private static final List<String> BASELINE_FILES = List.of("single/member-1.dst4j", "freetickets-dst/member-1.dst4j",
            "freetickets-dst/member-2.dst4j", "freetickets-dst/ensemble.json");

    private static void assertSameRun(Path whole, Path resumed, boolean compare) throws IOException {
        List<String> files = new ArrayList<>(FILES);
        if (compare) files.addAll(BASELINE_FILES);
        for (String f : files) {
            assertThat(Files.readAllBytes(resumed.resolve(f))).as(f).isEqualTo(Files.readAllBytes(whole.resolve(f)));
        }
        assertThat(withoutTimes(Json.parseObject(Json.readFile(resumed.resolve(NeuroTrails.METRICS)))))
                .isEqualTo(withoutTimes(Json.parseObject(Json.readFile(whole.resolve(NeuroTrails.METRICS)))));
        assertThat(MetricsLog.readAll(resumed.resolve(NeuroTrails.LOG)).stream().map(NeuroTrailsResumeTest::withoutTimes).toList())
                .isEqualTo(MetricsLog.readAll(whole.resolve(NeuroTrails.LOG)).stream().map(NeuroTrailsResumeTest::withoutTimes).toList());
        try (Stream<Path> list = Files.list(resumed)) {
            List<String> names = list.map(p -> p.getFileName().toString()).toList();
            assertThat(names).as("no checkpoint or temporary left").doesNotContain(NeuroTrails.CHECKPOINT_DIR).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    // Every key ending in "seconds" (and "train_seconds"), at any depth: times differ between any two runs.
    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutTimes(Map<String, Object> m) {
        Map<String, Object> c = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (k.endsWith("seconds")) return;
            if (v instanceof Map<?, ?> inner) v = withoutTimes((Map<String, Object>) inner);
            if (v instanceof List<?> l) v = l.stream().map(x -> x instanceof Map<?, ?> xm ? withoutTimes((Map<String, Object>) xm) : x).toList();
            c.put(k, v);
        });
        return c;
    }

    @Test
    void stoppedInEveryEpochOfEveryPhaseThenResumedEndsAsTheWholeRun(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path whole = dir.resolve("whole");
            NeuroTrails.Result r = NeuroTrails.run(config(1), data, true, true, whole, null);
            for (int k = 1; k < 12; k++) {
                Path run = dir.resolve("stopped-" + k);
                stopped(config(1), data, true, run, stopAfter(k));
                assertThat(NeuroTrails.resumable(run, 3).epochsDone()).as("epochs done when stopped after %d", k).isEqualTo(k);
                assertThat(NeuroTrails.resumable(run, 3).compare()).isTrue();
                int[] trained = {0};
                NeuroTrails.Result resumed = NeuroTrails.resume(run, data, 2, new TrainingProgress() {
                    @Override public void epoch(String phase, EpochMetrics m) {
                        trained[0]++;
                    }
                });
                assertThat(trained[0]).as("epochs trained after the resume from %d", k).isEqualTo(12 - k);
                assertSameRun(whole, run, true);
                assertThat(resumed.test()).isEqualTo(r.test());
                assertThat(resumed.rows()).extracting(NeuroTrails.Row::trainingFlops).isEqualTo(r.rows().stream().map(NeuroTrails.Row::trainingFlops).toList());
            }
        }
    }

    @Test
    void withoutCompareTheResumedRunIsTheWholeOneToo(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path whole = dir.resolve("whole"), run = dir.resolve("run");
            NeuroTrails.run(config(2), data, true, false, whole, null);
            stopped(config(2), data, false, run, stopAfter(2));
            // What a kill leaves: the parts of an epoch whose state file was never written, and a cut-short write.
            Files.writeString(run.resolve(NeuroTrails.CHECKPOINT_DIR).resolve("backbone-3.dst4j"), "a later epoch's part, its state never written");
            Files.writeString(run.resolve(NeuroTrails.CHECKPOINT_DIR).resolve(".state.json.4711.tmp"), "cut short");
            Files.writeString(run.resolve("." + NeuroTrails.METRICS + ".815.tmp"), "cut short");
            NeuroTrails.resume(run, data, 1, null);
            assertSameRun(whole, run, false);
        }
    }

    // A new run into a directory a stopped one left (the Java API does not set earlier runs aside) starts every phase
    // over: it does not continue the stopped run's baseline from its FreeTickets checkpoint.
    @Test
    void aNewRunOverAStoppedOneTrainsEveryEpoch(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path whole = dir.resolve("whole"), run = dir.resolve("run");
            NeuroTrails.run(config(1), data, true, true, whole, null);
            stopped(config(1), data, true, run, stopAfter(4));
            assertThat(run.resolve("single").resolve(FreeTickets.CHECKPOINT)).isRegularFile();
            int[] trained = {0};
            NeuroTrails.run(config(1), data, true, true, run, new TrainingProgress() {
                @Override public void epoch(String phase, EpochMetrics m) {
                    trained[0]++;
                }
            });
            assertThat(trained[0]).isEqualTo(12);
            assertSameRun(whole, run, true);
            // stopped in its first epoch, before its own first save, a new run leaves no checkpoint of the old one to resume
            Path again = dir.resolve("again");
            stopped(config(1), data, false, again, stopAfter(2));
            assertThat(again.resolve(NeuroTrails.CHECKPOINT)).isRegularFile();
            stopped(config(1), data, false, again, stopAfter(0));
            assertThat(again.resolve(NeuroTrails.CHECKPOINT_DIR)).doesNotExist();
        }
    }

    // MultiHeadMlp.HeadLoss: the mean of M heads' losses at learning rate M * lr trains exactly as their sum at lr (the
    // scale is a power of two here, so bit for bit). A mean run, stopped after its first epoch and resumed, ends with the
    // sum run's model: the run builds its network with the configured loss, and the resume rebuilds it with the same.
    @Test
    void aMeanHeadLossRunAtTwiceTheRateResumedEndsWithTheSumRunsModel(@TempDir Path dir) throws Exception {
        NeuroTrailsConfig sum = config(1);
        NeuroTrailsConfig mean = new NeuroTrailsConfig(2, 1, new int[] {16, 12}, 0.5, 3, 32, 2 * sum.lr(), 0.9f, 1e-5f, 0.1f, "relu", 0.3, 1,
                "gradient", 5, 1, "mean", "0.6", 0.2f, "layer");
        try (DatasetSplit data = data()) {
            Path whole = dir.resolve("sum"), run = dir.resolve("mean");
            NeuroTrails.Result r = NeuroTrails.run(sum, data, true, false, whole, null);
            stopped(mean, data, false, run, stopAfter(1));
            NeuroTrails.Result resumed = NeuroTrails.resume(run, data, 1, null);
            for (String f : List.of("model/backbone.dst4j", "model/head-1.dst4j", "model/head-2.dst4j")) {
                assertThat(Files.readAllBytes(run.resolve(f))).as(f).isEqualTo(Files.readAllBytes(whole.resolve(f)));
            }
            assertThat(resumed.test()).isEqualTo(r.test());
            assertThat(Json.getString(Json.getObject(Json.parseObject(Json.readFile(run.resolve(NeuroTrails.METRICS))), "config"), "head_loss"))
                    .isEqualTo("mean");
        }
    }

    // A new run over a run stopped in its single-network baseline, itself stopped before its own baselines, resumes as
    // itself, not from the earlier run's FreeTickets checkpoint in single/ continued as this run's baseline (the
    // earlier run's seed: another single network, 10 epochs trained of 11), nor with resumable counting 2 epochs done,
    // not 1.
    @Test
    void aNewRunStoppedOverAStoppedOneResumesItsOwnBaselines(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path whole = dir.resolve("whole"), run = dir.resolve("run");
            NeuroTrailsConfig other = config(1).withSeed(6);
            NeuroTrails.run(other, data, true, true, whole, null);
            stopped(config(1), data, true, run, stopAfter(4));
            assertThat(run.resolve("single").resolve(FreeTickets.CHECKPOINT)).isRegularFile();
            stopped(other, data, true, run, stopAfter(1));
            assertThat(NeuroTrails.resumable(run, 1).epochsDone()).isEqualTo(1);
            int[] trained = {0};
            NeuroTrails.resume(run, data, 1, new TrainingProgress() {
                @Override public void epoch(String phase, EpochMetrics m) {
                    trained[0]++;
                }
            });
            assertThat(trained[0]).isEqualTo(11);
            assertSameRun(whole, run, true);
        }
    }

    // Random regrowth draws from the evolution stream, which the checkpoint carries (the other tests regrow by gradient,
    // which draws nothing from it): a random-regrowth run stopped after each epoch and resumed ends as the whole run.
    @Test
    void aRandomRegrowthRunResumedEndsAsTheWholeRun(@TempDir Path dir) throws Exception {
        NeuroTrailsConfig random = new NeuroTrailsConfig(2, 1, new int[] {16, 12}, 0.5, 3, 32, 0.05f, 0.9f, 1e-5f, 0.1f, "relu", 0.3, 1, "random",
                5, 1, "sum", "0.6", 0.2f, "layer");
        try (DatasetSplit data = data()) {
            Path whole = dir.resolve("whole");
            NeuroTrails.run(random, data, true, false, whole, null);
            for (int k = 1; k < 3; k++) {
                Path run = dir.resolve("stopped-" + k);
                stopped(random, data, false, run, stopAfter(k));
                NeuroTrails.resume(run, data, 1, null);
                assertSameRun(whole, run, false);
            }
        }
    }

    // The state file's 'standardize' is checked against the backbone part: a resume told to standardize differently from
    // the run would train on differently scaled features.
    @Test
    void aStateFileWhoseStandardizeDisagreesWithTheBackboneIsRefused(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path run = dir.resolve("run");
            stopped(config(1), data, false, run, stopAfter(1));
            Path state = run.resolve(NeuroTrails.CHECKPOINT);
            Files.writeString(state, Files.readString(state).replace("\"standardize\":true", "\"standardize\":false"));
            assertThatThrownBy(() -> NeuroTrails.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("backbone-1.dst4j: the checkpoint's 'standardize' is false, but the file holds a standardizer");
        }
    }

    // After each save the checkpoint holds only its epoch's parts; a resume first removes what a kill left (a later epoch's
    // part, an earlier epoch's, a cut-short write there and of the model's files, a manifest naming the epoch before), so a
    // resume stopped at once leaves the same, a model of the epoch the state names.
    @Test
    void theCheckpointHoldsOnlyTheEpochItNamesEvenAfterAResumeStoppedAtOnce(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path run = dir.resolve("run"), checkpoint = run.resolve(NeuroTrails.CHECKPOINT_DIR);
            stopped(config(1), data, false, run, stopAfter(2));
            List<String> epoch2 = List.of("backbone-2.dst4j", "head-1-2.dst4j", "head-2-2.dst4j", "multihead.json", "state.json");
            assertThat(names(checkpoint)).containsExactlyInAnyOrderElementsOf(epoch2);
            Files.writeString(checkpoint.resolve("backbone-3.dst4j"), "a later epoch's part, its state never written");
            Files.writeString(checkpoint.resolve("head-2-1.dst4j"), "an earlier epoch's part, a kill before its removal");
            // a kill after the state file named epoch 2, before the manifest did
            Path manifest = checkpoint.resolve(MultiHeadClassifier.MANIFEST);
            Files.writeString(manifest, Files.readString(manifest).replace("-2.dst4j", "-1.dst4j"));
            Files.writeString(checkpoint.resolve(".head-1-3.dst4j.4711.tmp"), "cut short");
            Files.createDirectories(run.resolve(NeuroTrails.MODEL_DIR));
            Files.writeString(run.resolve(NeuroTrails.MODEL_DIR).resolve(".head-2.dst4j.815.tmp"), "cut short");
            try {
                NeuroTrails.resume(run, data, 1, stopAfter(0));
                throw new AssertionError("the resume was not stopped");
            } catch (CancellationException e) {
                assertThat(Thread.interrupted()).as("the interrupt flag stays set").isTrue();
            }
            assertThat(names(checkpoint)).containsExactlyInAnyOrderElementsOf(epoch2);
            assertThat(names(run.resolve(NeuroTrails.MODEL_DIR))).isEmpty();
            try (MultiHeadClassifier c = MultiHeadClassifier.load(checkpoint, 1)) {
                assertThat(c.manifest()).containsEntry("backbone", "backbone-2.dst4j").containsEntry("heads", List.of("head-1-2.dst4j", "head-2-2.dst4j"));
            }
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).toList();
        }
    }

    // A baseline is trained into an emptied subdirectory: a run of 2 heads over a finished run of 3 leaves no third DST
    // member beside its own two.
    @Test
    void aBaselineOverAnEarlierRunsLeavesNoneOfItsFiles(@TempDir Path dir) throws Exception {
        NeuroTrailsConfig three = new NeuroTrailsConfig(3, 1, new int[] {16, 12}, 0.5, 1, 32, 0.05f, 0.9f, 1e-5f, 0.1f, "relu", 0.3, 1, "gradient",
                5, 1, "sum", "0.6", 0.2f, "layer");
        NeuroTrailsConfig two = new NeuroTrailsConfig(2, 1, new int[] {16, 12}, 0.5, 1, 32, 0.05f, 0.9f, 1e-5f, 0.1f, "relu", 0.3, 1, "gradient",
                5, 1, "sum", "0.6", 0.2f, "layer");
        try (DatasetSplit data = data()) {
            Path run = dir.resolve("run"), fresh = dir.resolve("fresh");
            NeuroTrails.run(three, data, true, true, run, null);
            assertThat(run.resolve("freetickets-dst/member-3.dst4j")).isRegularFile();
            NeuroTrails.run(two, data, true, true, run, null);
            NeuroTrails.run(two, data, true, true, fresh, null);
            for (String sub : List.of("single", "freetickets-dst")) {
                assertThat(names(run.resolve(sub))).as(sub).containsExactlyInAnyOrderElementsOf(names(fresh.resolve(sub)));
            }
        }
    }

    // What a kill between the DST baseline's row and the end of the run leaves (both baselines recorded, no FreeTickets
    // checkpoint left): every epoch of the run done, each DST member's counted.
    @Test
    void resumableCountsEveryMembersEpochsOfARecordedDstBaseline(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path run = dir.resolve("run");
            stopped(config(1), data, true, run, stopAfter(7));
            assertThat(NeuroTrails.resumable(run, 1).epochsDone()).isEqualTo(7);
            Path state = run.resolve(NeuroTrails.CHECKPOINT);
            Map<String, Object> h = Json.parseObject(Files.readString(state));
            Map<String, Object> t = Json.getObject(h, "training");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> done = new ArrayList<>((List<Map<String, Object>>) t.get("baselines_done"));
            assertThat(done).extracting(m -> m.get("model")).containsExactly("single sparse network");
            done.add(with(done.getFirst(), "model", "FreeTickets DST (M=2)"));
            h.put("training", with(t, "baselines_done", done));
            Files.writeString(state, Json.write(h) + "\n");
            Files.delete(run.resolve("freetickets-dst").resolve(FreeTickets.CHECKPOINT));
            assertThat(NeuroTrails.resumable(run, 1).epochsDone()).isEqualTo(3 + 3 + 2 * 3);
        }
    }

    @Test
    void whatCannotBeResumedIsRefusedNamingTheCause(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path finished = dir.resolve("finished");
            NeuroTrails.run(config(1), data, true, false, finished, null);
            assertThatThrownBy(() -> NeuroTrails.resume(finished, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("no " + NeuroTrails.CHECKPOINT).hasMessageContaining("the run had finished");

            Path early = Files.createDirectories(dir.resolve("early"));
            Files.writeString(early.resolve(NeuroTrails.LOG), ""); // what a run killed in its first epoch leaves
            assertThatThrownBy(() -> NeuroTrails.resume(early, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("a run stopped before its first epoch ended: start it again, with --overwrite");

            Path otherRun = Files.createDirectories(dir.resolve("other"));
            Files.writeString(otherRun.resolve(FreeTickets.CHECKPOINT), "another command's");
            assertThatThrownBy(() -> NeuroTrails.resume(otherRun, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("the checkpoint of a freetickets, set, quickselection or spacenet run: that command's --resume continues it");

            Path run = dir.resolve("run");
            stopped(config(1), data, false, run, stopAfter(1));
            // The run directory given to a command that reads models: it points to the resume.
            String inspect = Printed.stderr(() -> assertThat(Main.run(new String[] {"inspect", "--model", run.toString()})).isEqualTo(1));
            Path checkpoint = run.resolve(NeuroTrails.CHECKPOINT_DIR);
            assertThat(inspect).contains("it holds a NeuroTrails run stopped before its model was saved: --model " + checkpoint
                    + " reads the network as the run left it, and neurotrails --resume " + run + " continues it");
            // the checkpoint's parts of its last epoch are a multi-head model: scored as the run left it, and as it stood
            try (MultiHeadClassifier c = MultiHeadClassifier.load(checkpoint, 1)) {
                assertThat(c.manifest()).containsEntry("backbone", "backbone-1.dst4j").containsEntry("heads", List.of("head-1-1.dst4j", "head-2-1.dst4j"));
                assertThat(c.network().heads()).hasSize(2);
                assertThat(c.standardizer()).isNotNull();
                assertThat(c.evaluate(data.test()).ensemble().accuracy()).isBetween(0.0, 1.0);
            }
            String described = Printed.stdout(() -> assertThat(Main.run(new String[] {"inspect", "--model", checkpoint.toString()})).isZero());
            assertThat(described).contains("a shared backbone and 2 heads").contains("trained by neurotrails").contains("epochs done: 1 of 3");

            Path state = run.resolve(NeuroTrails.CHECKPOINT);
            String saved = Files.readString(state);
            Files.writeString(state, saved.replace("\"epochs_done\":1", "\"epochs_done\":7"));
            assertThatThrownBy(() -> NeuroTrails.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining(state.toString()).hasMessageContaining("field 'epochs_done': 7 is not in [1, 3]");
            // A count the log disagrees with is refused before anything is cleaned: deleting epoch 1's parts and
            // rewriting the manifest to name epoch 2's, which do not exist, would leave nothing to continue the run.
            Files.writeString(state, saved.replace("\"epochs_done\":1", "\"epochs_done\":2"));
            assertThatThrownBy(() -> NeuroTrails.resume(run, data, 1, null)).isInstanceOf(IOException.class);
            assertThat(checkpoint.resolve("backbone-1.dst4j")).exists();
            assertThat(checkpoint.resolve("head-1-1.dst4j")).exists();
            Files.writeString(state, saved);
            try (MultiHeadClassifier c = MultiHeadClassifier.load(checkpoint, 1)) {
                assertThat(c.manifest()).containsEntry("backbone", "backbone-1.dst4j");
            }
            Files.delete(run.resolve(NeuroTrails.CHECKPOINT_DIR).resolve("head-2-1.dst4j"));
            long inUse = OffHeap.bytesInUse();
            assertThatThrownBy(() -> NeuroTrails.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("head-2-1.dst4j: missing");
            // the backbone and the first head were loaded before the second was found missing: both freed again
            assertThat(OffHeap.bytesInUse()).isEqualTo(inUse);

            try (DatasetSplit other = new DatasetSplit(Blobs.of("train", new Random(4), 120, 12, 2f), Blobs.of("test", new Random(5), 40, 12, 2f))) {
                assertThatThrownBy(() -> NeuroTrails.resume(run, other, 1, null)).isInstanceOf(IOException.class)
                        .hasMessageContaining("the training data differs from the run's");
            }
        }
    }

    // Each field of the state file at the ends of its range, and a baseline the run does not have: an edited file, named as such.
    @Test
    void aStateFileWhoseFieldsAreOutOfRangeIsRefusedNamingTheField(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path run = dir.resolve("run");
            stopped(config(1), data, false, run, stopAfter(1));
            Path state = run.resolve(NeuroTrails.CHECKPOINT);
            String saved = Files.readString(state);
            Map<String, Object> single = new LinkedHashMap<>(Map.of("model", "single sparse network", "connections", 10, "accuracy", 0.5,
                    "nll", 1.0, "ece", 0.1, "disagreement", 0.0, "kl", 0.0, "training_flops", 100, "seconds", 1.0));
            List<Map.Entry<String, UnaryOperator<Map<String, Object>>>> edits = List.of(
                    Map.entry("field 'epochs_done': 0 is not in [1, 3]", t -> with(t, "epochs_done", 0)),
                    Map.entry("field 'step'", t -> with(t, "step", -1)),
                    Map.entry("field 'network_flops'", t -> with(t, "network_flops", new long[] {-1, 0})),
                    Map.entry("field 'network_flops'", t -> with(t, "network_flops", new long[] {0, -1})),
                    Map.entry("field 'network_flops'", t -> with(t, "network_flops", new long[] {1})),
                    Map.entry("field 'train_seconds'", t -> with(t, "train_seconds", -0.5)),
                    Map.entry("field 'baselines_done': expected an array", t -> with(t, "baselines_done", "single sparse network")),
                    Map.entry("field 'baselines_done': expected objects", t -> with(t, "baselines_done", List.of("single sparse network"))),
                    Map.entry("field 'baselines_done': 'single sparse network' is not a baseline of this run", t -> with(t, "baselines_done", List.of(single))),
                    Map.entry("field 'baselines_done': 'bagging' is not a baseline of this run",
                            t -> with(with(t, "compare", true), "baselines_done", List.of(with(single, "model", "bagging")))));
            for (var edit : edits) {
                Map<String, Object> h = Json.parseObject(saved);
                h.put("training", edit.getValue().apply(Json.getObject(h, "training")));
                Files.writeString(state, Json.write(h) + "\n");
                assertThatThrownBy(() -> NeuroTrails.resume(run, data, 1, null)).as(edit.getKey()).isInstanceOf(IOException.class)
                        .hasMessageContaining(state + " is not a NeuroTrails checkpoint").hasMessageContaining(edit.getKey());
            }
            Map<String, Object> h = Json.parseObject(saved);
            h.put("provenance", with(Json.getObject(h, "provenance"), "algorithm", "freetickets-dst"));
            Files.writeString(state, Json.write(h) + "\n");
            assertThatThrownBy(() -> NeuroTrails.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("field 'algorithm': expected \"neurotrails\", got freetickets-dst");
        }
    }

    // Parts whose layers are not the shape the state file's settings make (a hand-edited hidden size) are refused naming
    // the part and both shapes, before anything of the checkpoint is removed.
    @Test
    void partsOfAnotherShapeThanTheSettingsMakeAreRefusedNamingThePart(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = data()) {
            Path run = dir.resolve("run");
            stopped(config(1), data, false, run, stopAfter(1));
            Path state = run.resolve(NeuroTrails.CHECKPOINT);
            String saved = Files.readString(state);
            assertThat(saved).contains("\"hidden\":[16,12]");
            Files.writeString(state, saved.replace("\"hidden\":[16,12]", "\"hidden\":[16,13]"));
            Path checkpoint = run.resolve(NeuroTrails.CHECKPOINT_DIR);
            assertThatThrownBy(() -> NeuroTrails.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessage(checkpoint.resolve("head-1-1.dst4j") + " holds layers [16, 12, 4], but the run's settings on this data make [16, 13, 4] (file edited?)");
            assertThat(names(checkpoint)).contains("backbone-1.dst4j", "head-1-1.dst4j", "head-2-1.dst4j");
            Files.writeString(state, saved);
            NeuroTrails.resume(run, data, 1, null);
            assertThat(run.resolve(NeuroTrails.METRICS)).isRegularFile();
        }
    }

    private static Map<String, Object> with(Map<String, Object> m, String key, Object value) {
        Map<String, Object> c = new LinkedHashMap<>(m);
        c.put(key, value);
        return c;
    }

    @Test
    void theCommandRefusesRunOptionsWithResume(@TempDir Path dir) {
        String err = Printed.stderr(() -> assertThat(Main.run(new String[] {"neurotrails", "--resume", dir.toString(), "--epochs", "5",
                "--heads", "2"})).isEqualTo(2));
        assertThat(err).contains("drop --heads, --epochs").contains("only --threads, --seed and the data options apply");
        String none = Printed.stderr(() -> assertThat(Main.run(new String[] {"neurotrails", "--resume", dir.toString(), "--dataset",
                "fashion-mnist-small"})).isEqualTo(1));
        assertThat(none).contains("--resume " + dir + ": no " + NeuroTrails.CHECKPOINT + " there");
    }

    // The command line continues a stopped run: it says where it resumes, then prints every head's scores and the
    // FLOPs of the dense networks it compares with, as a run that was never stopped does.
    @Test
    void theCommandLineResumesAStoppedRunAndPrintsItsSummary(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        try (DatasetSplit data = DataSources.load(new DataOptions(null, null, null, null, null, "last", 0.2, 42, 300, 100))) {
            NeuroTrailsConfig cfg = new NeuroTrailsConfig(2, 1, new int[] {16, 12}, 0.5, 2, 64, 0.05f, 0.9f, 1e-5f, 0.1f, "relu", 0.3, 1, "gradient", 5, 1,
                    "sum", "erk", 0f, "layer");
            stopped(cfg, data, false, run, stopAfter(1));
        }
        String[] out = new String[1];
        String err = Printed.stderr(() -> out[0] = Printed.stdout(() -> assertThat(Main.run(new String[] {"neurotrails", "--resume", run.toString(),
                "--limit-train", "300", "--limit-test", "100", "--threads", "1"})).isZero()));
        assertThat(err).contains("dst4j neurotrails M=2, shared layers 1, resuming after 1 epoch: ");
        assertThat("\n" + out[0]).contains("\nhead 1: accuracy ").contains("\nhead 2: accuracy ").doesNotContain("head 3");
        Matcher dense = Pattern.compile("one dense network of this shape, same epochs: (\\S+) FLOPs; 2 independent dense networks: (\\S+)\\n")
                .matcher(out[0]);
        assertThat(dense.find()).as(out[0]).isTrue();
        assertThat(Double.parseDouble(dense.group(2))).isCloseTo(2 * Double.parseDouble(dense.group(1)), withPercentage(0.1));
        assertThat(out[0]).contains("wrote " + run.resolve("model"));
        assertThat(run.resolve(NeuroTrails.METRICS)).isRegularFile();
    }
}
