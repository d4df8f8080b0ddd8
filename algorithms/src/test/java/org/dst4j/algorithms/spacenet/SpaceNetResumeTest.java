package org.dst4j.algorithms.spacenet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.dst4j.algorithms.Interrupts;
import org.dst4j.algorithms.Printed;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.data.DataOptions;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.MetricsLog;
import org.dst4j.nn.model.ModelFile;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.memory.OffHeap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SpaceNet run stopped anywhere — in a SpaceNet task, between two, in either baseline — then resumed, ends as the run
 * that was never stopped: the same model, connection owners, chart, metrics and log (the times aside). What it needs
 * beyond a network's weights — the owners, frozen flags and parked classifier rows, the neurons each task reserved, the
 * baselines' SGD momentum and random streams, the accuracy matrices so far, the log's length — is in the checkpoint;
 * each, lost, changes one of the files compared here.
 */
class SpaceNetResumeTest {
    private static final int TASKS = 3, EPOCHS = 3, ALL = 3 * TASKS * EPOCHS;
    private static final List<String> FILES = List.of(SpaceNetRun.MODEL, SpaceNetRun.OWNERS, SpaceNetRun.CHART, SpaceNetRun.METRICS, SpaceNetRun.LOG);

    // Momentum and weight decay on: the SGD state (per connection and per bias) must come back with the weights.
    private static SpaceNetConfig config(int threads) {
        return new SpaceNetConfig(TASKS, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.2, EPOCHS, 16, 0.05f, 0.9f, 1e-4f, 7, threads);
    }

    private static void assertSameRun(Path whole, Path resumed) throws IOException {
        for (String f : List.of(SpaceNetRun.MODEL, SpaceNetRun.OWNERS, SpaceNetRun.CHART)) {
            // compared whole (a failure printed both files' bytes)
            assertThat(Arrays.equals(Files.readAllBytes(resumed.resolve(f)), Files.readAllBytes(whole.resolve(f)))).as(f + " byte-identical").isTrue();
        }
        assertThat(withoutTimes(Json.parseObject(Json.readFile(resumed.resolve(SpaceNetRun.METRICS)))))
                .isEqualTo(withoutTimes(Json.parseObject(Json.readFile(whole.resolve(SpaceNetRun.METRICS)))));
        assertThat(logWithoutTimes(resumed)).isEqualTo(logWithoutTimes(whole));
        try (Stream<Path> files = Files.list(resumed)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no checkpoint or temporary file left").containsExactlyInAnyOrderElementsOf(FILES);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutTimes(Map<String, Object> metrics) {
        Map<String, Object> m = new LinkedHashMap<>(metrics);
        List<Object> methods = new ArrayList<>();
        for (Object o : (List<Object>) m.get("methods")) {
            Map<String, Object> e = new LinkedHashMap<>((Map<String, Object>) o);
            e.remove("seconds");
            methods.add(e);
        }
        m.put("methods", methods);
        return m;
    }

    private static List<Map<String, Object>> logWithoutTimes(Path dir) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : MetricsLog.readAll(dir.resolve(SpaceNetRun.LOG))) {
            Map<String, Object> c = new LinkedHashMap<>(r);
            c.keySet().removeIf(k -> k.endsWith("seconds"));
            out.add(c);
        }
        return out;
    }

    // Runs into `dir`, stopped by an interrupt after `epochs` epochs; the interrupt flag cleared.
    private static void stopAfter(int epochs, DatasetSplit data, Path dir, boolean baselines) {
        try {
            SpaceNetRun.run(config(1), data, true, baselines, dir, Interrupts.afterEpochs(epochs));
            throw new AssertionError("the run was not stopped");
        } catch (CancellationException | IOException e) { // an interrupt that lands in a checkpoint's write is that write's
            assertThat(Thread.interrupted()).as("the interrupt flag stays set").isTrue();
        }
    }

    private static int resumeCounting(Path run, DatasetSplit data) throws IOException {
        int[] trained = {0};
        SpaceNetRun.resume(run, data, 2, new TrainingProgress() {
            @Override public void epoch(String phase, EpochMetrics m) {
                trained[0]++;
            }
        });
        return trained[0];
    }

    @Test
    void stoppedAtEveryEpochThenResumedEndsAsTheWholeRun(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = SpaceNetTest.blobs(240, 60, 1)) {
            Path whole = dir.resolve("whole");
            long held = OffHeap.bytesInUse(); // the data's
            SpaceNetRun.Result r = SpaceNetRun.run(config(1), data, true, true, whole, null);
            int resumed = 0;
            for (int k = 1; k < ALL; k++) {
                Path run = dir.resolve("stopped-" + k);
                long t0 = System.nanoTime();
                stopAfter(k, data, run, true);
                assertThat(OffHeap.bytesInUse()).as("off-heap bytes held after a stop after %d epochs", k).isEqualTo(held);
                int done = SpaceNetRun.resumable(run, 3).epochsDone();
                // every method resumes after its last finished epoch, SpaceNet in the middle of a task too
                assertThat(done).as("epochs done when stopped after %d", k).isEqualTo(k);
                SpaceNetRun.Result again = resumedResult(run, data, ALL - done);
                // a method's clock goes on from the seconds its checkpoint saved: within the two runs' wall-clock time
                double elapsed = (System.nanoTime() - t0) / 1e9;
                int stop = k;
                assertThat(again.methods()).allSatisfy(x -> assertThat(x.seconds()).as("%s after a stop after %d epochs", x.name(), stop).isPositive()
                        .isLessThanOrEqualTo(elapsed));
                assertThat(OffHeap.bytesInUse()).as("off-heap bytes held after resuming").isEqualTo(held);
                assertSameRun(whole, run);
                assertThat(again.tasks()).isEqualTo(r.tasks());
                for (int m = 0; m < 3; m++) {
                    assertThat(again.methods().get(m).accuracy()).isEqualTo(r.methods().get(m).accuracy());
                    assertThat(again.methods().get(m).taskAccuracy()).isEqualTo(r.methods().get(m).taskAccuracy());
                }
                resumed++;
            }
            assertThat(resumed).isEqualTo(ALL - 1);
        }
    }

    // A resumed method's clock starts at the seconds its checkpoint saved (here edited to 1000): its time is those plus the
    // resumed part; the methods after it start their own clocks at 0.
    @Test
    void aResumedMethodsClockStartsFromTheSecondsItsCheckpointSaved(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = SpaceNetTest.blobs(240, 60, 1)) {
            int[] stops = {EPOCHS + 1, TASKS * EPOCHS + 1, 2 * TASKS * EPOCHS + 1}; // in SpaceNet's, fine-tuning's and joint training's second task or epoch
            for (int m = 0; m < 3; m++) {
                Path run = dir.resolve("stopped-" + stops[m]);
                stopAfter(stops[m], data, run, true);
                edit(run.resolve(SpaceNetRun.CHECKPOINT), "training", t -> t.put("seconds", 1000.0));
                long t0 = System.nanoTime();
                SpaceNetRun.Result r = SpaceNetRun.resume(run, data, 1, null);
                double elapsed = (System.nanoTime() - t0) / 1e9;
                assertThat(r.methods().get(m).seconds()).as(r.methods().get(m).name()).isGreaterThan(1000).isLessThanOrEqualTo(1000 + elapsed);
                for (SpaceNetRun.Method later : r.methods().subList(m + 1, 3)) assertThat(later.seconds()).as(later.name()).isPositive().isLessThanOrEqualTo(elapsed);
            }
        }
    }

    private static SpaceNetRun.Result resumedResult(Path run, DatasetSplit data, int toTrain) throws IOException {
        int[] trained = {0};
        SpaceNetRun.Result r = SpaceNetRun.resume(run, data, 2, new TrainingProgress() {
            @Override public void epoch(String phase, EpochMetrics m) {
                trained[0]++;
            }
        });
        assertThat(trained[0]).as("epochs trained after the resume").isEqualTo(toTrain);
        return r;
    }

    @Test
    void withoutBaselinesARunStoppedBetweenTasksResumes(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = SpaceNetTest.blobs(240, 60, 2)) {
            Path whole = dir.resolve("whole"), run = dir.resolve("run");
            SpaceNetRun.run(config(2), data, true, false, whole, null);
            stopAfter(EPOCHS + 1, data, run, false);
            assertThat(SpaceNetRun.resumable(run, 1)).isEqualTo(new SpaceNetRun.Resumable(config(1), true, false, EPOCHS + 1));
            assertThat(resumeCounting(run, data)).isEqualTo(TASKS * EPOCHS - EPOCHS - 1);
            assertSameRun(whole, run);
        }
    }

    // A kill in the middle of a write leaves its temporary ("." + the file's name + "." + digits + ".tmp") beside the run's
    // files: the resume removes the run's, and leaves a file of the same pattern that is not one of the run's.
    @Test
    void aResumeRemovesTheTemporariesAKillLeftOfTheRunsFilesOnly(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = SpaceNetTest.blobs(240, 60, 2)) {
            Path run = dir.resolve("run");
            stopAfter(EPOCHS + 1, data, run, false);
            List<Path> cut = new ArrayList<>();
            for (String f : List.of(SpaceNetRun.CHECKPOINT, SpaceNetRun.MODEL, SpaceNetRun.METRICS)) cut.add(Files.writeString(run.resolve("." + f + ".4711.tmp"), "cut short"));
            Path users = Files.writeString(run.resolve(".notes.txt.1.tmp"), "not the run's");
            assertThat(resumeCounting(run, data)).isEqualTo(TASKS * EPOCHS - EPOCHS - 1);
            assertThat(cut).allSatisfy(p -> assertThat(p).doesNotExist());
            assertThat(users).hasContent("not the run's");
        }
    }

    @Test
    void aCheckpointForOtherDataAnotherRunOrEditedIsRefusedByName(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = SpaceNetTest.blobs(240, 60, 1); DatasetSplit other = SpaceNetTest.blobs(240, 60, 2)) {
            Path run = dir.resolve("run");
            stopAfter(2 * EPOCHS + 1, data, run, true);
            assertThatThrownBy(() -> SpaceNetRun.resume(run, other, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("the training data differs from the run's");
            assertThatThrownBy(() -> SpaceNetRun.resume(run, data, 0, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("threads must be >= 1, got 0");
            assertThatThrownBy(() -> SpaceNetRun.resume(dir.resolve("none"), data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessage(dir.resolve("none") + ": no checkpoint.dst4j there");
            // a count of tasks done that the log's length contradicts
            Path file = run.resolve(SpaceNetRun.CHECKPOINT);
            Map<String, Object> saved = edit(file, "training", t -> t.put("task", 1));
            assertThatThrownBy(() -> SpaceNetRun.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("is not a SpaceNet training checkpoint").hasMessageContaining("field 'records'");
            edit(file, "training", t -> t.putAll(saved));
            // a standardization the file does not hold: the resumed run would drop it and end as another model, without
            // a word
            edit(file, "training", t -> t.put("standardize", false));
            assertThatThrownBy(() -> SpaceNetRun.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining(file + ": the checkpoint's 'standardize' is false, but the file holds a standardizer (file edited?)");
            edit(file, "training", t -> t.putAll(saved));
            // a neuron reserved twice: the learner's tasks contradict each other
            Map<String, Object> learner = edit(file, "spacenet", t -> {
                @SuppressWarnings("unchecked") List<Object> tasks = (List<Object>) t.get("tasks");
                @SuppressWarnings("unchecked") Map<String, Object> second = new LinkedHashMap<>((Map<String, Object>) tasks.get(1));
                @SuppressWarnings("unchecked") Map<String, Object> first = (Map<String, Object>) tasks.getFirst();
                second.put("reserved_neuron_indices", first.get("reserved_neuron_indices"));
                List<Object> copy = new ArrayList<>(tasks);
                copy.set(1, second);
                t.put("tasks", copy);
            });
            assertThatThrownBy(() -> SpaceNetRun.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("is not a saved SpaceNet learner").hasMessageContaining("which an earlier task had reserved");
            edit(file, "spacenet", t -> t.putAll(learner));
            // counts and indices the metrics report, edited: taken as they were
            BiConsumer<String, Object> firstTask = (key, value) -> {
                try {
                    edit(file, "spacenet", t -> {
                        @SuppressWarnings("unchecked") List<Object> tasks = new ArrayList<>((List<Object>) t.get("tasks"));
                        @SuppressWarnings("unchecked") Map<String, Object> first = new LinkedHashMap<>((Map<String, Object>) tasks.getFirst());
                        first.put(key, value);
                        tasks.set(0, first);
                        t.put("tasks", tasks);
                    });
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
            @SuppressWarnings("unchecked") List<Object> connections = (List<Object>) ((Map<String, Object>) ((List<Object>) learner.get("tasks")).getFirst()).get("connections");
            List<Object> negative = new ArrayList<>(connections);
            negative.set(0, -5L);
            firstTask.accept("connections", negative);
            assertThatThrownBy(() -> SpaceNetRun.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("task 0's connections [-5, ").hasMessageContaining("expected 3 counts >= 0");
            edit(file, "spacenet", t -> t.putAll(learner));
            @SuppressWarnings("unchecked") List<Object> selected = (List<Object>) ((Map<String, Object>) ((List<Object>) learner.get("tasks")).getFirst()).get("selected_neuron_indices");
            List<Object> wrong = new ArrayList<>(selected);
            @SuppressWarnings("unchecked") List<Object> layer1 = new ArrayList<>((List<Object>) wrong.get(1));
            layer1.set(0, 999L);
            wrong.set(1, layer1);
            firstTask.accept("selected_neuron_indices", wrong);
            assertThatThrownBy(() -> SpaceNetRun.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("task 0 selected neuron 999 of layer 1, which is not a hidden neuron");
            edit(file, "spacenet", t -> t.putAll(learner));
            // finished: nothing to resume, and the message says where the results are
            assertThat(resumeCounting(run, data)).isEqualTo(ALL - 2 * EPOCHS - 1);
            assertThatThrownBy(() -> SpaceNetRun.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessage(run + ": no checkpoint.dst4j there (the run had finished: its results are in metrics.json)");
            // another command's checkpoint is named as such
            Path set = dir.resolve("set");
            try (var embedded = DataSources.embedded(); var c = SetTraining.train(
                    SetConfig.defaults().withHidden(16).withEpochs(1).withThreads(1), embedded, true, set, null)) {
                assertThat(c).isNotNull();
            }
            assertThatThrownBy(() -> SpaceNetRun.resume(set, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessage(set.resolve(SpaceNetRun.CHECKPOINT) + " is the checkpoint of a set run, not of a SpaceNet run");
            // a baseline resumed without SpaceNet's network, which it starts from
            Path ft = dir.resolve("ft");
            stopAfter(TASKS * EPOCHS + 1, data, ft, true);
            Files.delete(ft.resolve(SpaceNetRun.MODEL));
            assertThatThrownBy(() -> SpaceNetRun.resume(ft, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining(ft.resolve(SpaceNetRun.MODEL) + ": missing");
        }
    }

    // The run's record in the checkpoint's header, edited out of what a run can have saved, is refused naming the field, before
    // anything trains; restored, the run resumes. The checkpoint is fine-tuning's after its first epoch (task 0, 1 epoch done).
    @Test
    void aCheckpointsRunRecordOutOfRangeIsRefusedNamingTheField(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = SpaceNetTest.blobs(240, 60, 1)) {
            Path run = dir.resolve("run"), file = run.resolve(SpaceNetRun.CHECKPOINT);
            stopAfter(TASKS * EPOCHS + 1, data, run, true);
            Map<String, Object> saved = edit(file, "training", t -> { });
            assertThat(saved).containsEntry("phase", "fine-tuning").containsEntry("task", 0L).containsEntry("epochs_done", 1L);
            long records = TASKS * EPOCHS + 1;
            Map<Map<String, Object>, String> refused = new LinkedHashMap<>();
            refused.put(Map.of("phase", "finetune"), "field 'phase': expected spacenet, fine-tuning or joint, got \"finetune\"");
            refused.put(Map.of("baselines", false), "field 'phase': fine-tuning in a run without baselines");
            refused.put(Map.of("step", -1L), "field 'step': expected a count >= 0, got -1");
            refused.put(Map.of("seconds", -1.0), "field 'seconds': expected a time >= 0, got -1.0");
            refused.put(Map.of("task", (long) TASKS), "field 'task': 3 is not in [0, 2]");
            refused.put(Map.of("task", -1L), "field 'task': -1 is not in [0, 2]");
            refused.put(Map.of("epochs_done", 0L, "records", records - 1), "field 'epochs_done': 0 is not in [1, 3]");
            refused.put(Map.of("epochs_done", (long) EPOCHS + 1, "records", records + EPOCHS), "field 'epochs_done': 4 is not in [1, 3]");
            // SpaceNet's first task has a checkpoint only after its first epoch; between tasks, none with epochs done
            refused.put(Map.of("phase", "spacenet", "epochs_done", 0L, "records", 0L), "field 'epochs_done': 0 is not in [1, 3]");
            refused.put(Map.of("phase", "spacenet", "task", (long) TASKS, "epochs_done", 1L, "records", records), "field 'epochs_done': 1 is not in [0, 0]");
            refused.put(Map.of("phase", "spacenet", "task", (long) TASKS + 1, "epochs_done", 0L, "records", records + 2), "field 'task': 4 is not in [0, 3]");
            refused.put(Map.of("phase", "joint", "epochs_done", (long) TASKS * EPOCHS + 1, "records", records + 2 * TASKS * EPOCHS),
                    "field 'epochs_done': 10 is not in [1, 9]");
            refused.put(Map.of("records", records + 1), "field 'records': " + (records + 1) + ", but phase, task and epochs_done make " + records);
            refused.put(Map.of("methods", List.of()), "field 'methods': 0 finished in phase fine-tuning, expected 1");
            refused.put(Map.of("tasks", ((List<?>) saved.get("tasks")).subList(0, 2)), "field 'tasks': 2 tasks' statistics, expected 3");
            refused.put(Map.of("accuracy_matrix", ((List<?>) saved.get("accuracy_matrix")).subList(0, 2)), "field 'accuracy_matrix': expected 3 rows");
            refused.put(Map.of("accuracy_matrix", List.of(List.of(0.5), List.of(), List.of())), "field 'accuracy_matrix'[0]: expected 3 numbers");
            List<Object> text = new ArrayList<>(List.of("0.5", 0.5, 0.5));
            refused.put(Map.of("task_incremental_accuracy_matrix", List.of(text, text, text)), "field 'task_incremental_accuracy_matrix'[0][0]: expected a number or null");
            for (Map.Entry<Map<String, Object>, String> e : refused.entrySet()) {
                edit(file, "training", t -> t.putAll(e.getKey()));
                assertThatThrownBy(() -> SpaceNetRun.resume(run, data, 1, null)).as("%s", e.getKey()).isInstanceOf(IOException.class)
                        .hasMessage(file + " is not a SpaceNet training checkpoint (" + e.getValue() + ")");
                edit(file, "training", t -> t.putAll(saved));
            }
            assertThat(resumeCounting(run, data)).isEqualTo(ALL - records);
        }
    }

    // A baseline whose loss diverges names itself, and fine-tuning its task, as SpaceNet does (here a resume with the checkpoint's
    // learning rate edited to 1e6 makes it diverge).
    @Test
    void aDivergedBaselineNamesItselfAndItsTask(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = SpaceNetTest.blobs(240, 60, 1)) {
            Map<Integer, String> stops = Map.of(TASKS * EPOCHS + EPOCHS + 1, "fine-tuning baseline, task 2 of 3: training diverged at epoch ",
                    2 * TASKS * EPOCHS + 1, "joint-training baseline: training diverged at epoch ");
            for (Map.Entry<Integer, String> e : stops.entrySet()) {
                Path run = dir.resolve("stopped-" + e.getKey());
                stopAfter(e.getKey(), data, run, true);
                edit(run.resolve(SpaceNetRun.CHECKPOINT), "training", t -> {
                    @SuppressWarnings("unchecked") Map<String, Object> cfg = new LinkedHashMap<>((Map<String, Object>) t.get("config"));
                    cfg.put("lr", 1e6);
                    t.put("config", cfg);
                });
                assertThatThrownBy(() -> SpaceNetRun.resume(run, data, 1, null)).isInstanceOf(Trainer.DivergedException.class)
                        .hasMessageStartingWith(e.getValue());
            }
        }
    }

    // A baseline resumed over a model.dst4j that is not SpaceNet's network of the run (another run's, of other sizes) is refused
    // by name, and the network read from it is freed.
    @Test
    void aBaselineResumedOverAnotherRunsModelRefusesItAndFreesWhatItRead(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = SpaceNetTest.blobs(240, 60, 1)) {
            Path run = dir.resolve("run"), other = dir.resolve("other");
            stopAfter(TASKS * EPOCHS + 1, data, run, true);
            SpaceNetRun.run(new SpaceNetConfig(TASKS, new int[] {16, 16}, new int[] {60, 40, 16}, 8, 4, 0.2, 1, 16, 0.05f, 0.9f, 1e-4f, 7, 1), data, true, false, other, null);
            Files.copy(other.resolve(SpaceNetRun.MODEL), run.resolve(SpaceNetRun.MODEL), StandardCopyOption.REPLACE_EXISTING);
            long held = OffHeap.bytesInUse();
            assertThatThrownBy(() -> SpaceNetRun.resume(run, data, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(run.resolve(SpaceNetRun.MODEL) + " holds layers [20, 16, 16, 6] with ")
                    .hasMessageContaining("but SpaceNet's network in this run has [20, 24, 24, 6] with ").hasMessageEndingWith(" (file replaced?)");
            assertThat(OffHeap.bytesInUse()).as("off-heap bytes held after the refusal").isEqualTo(held);
        }
    }

    // The command line: --resume with the run's data options continues it; options that would describe another run are refused.
    @Test
    void theCommandLineResumesARunAndRefusesOptionsItWouldIgnore(@TempDir Path dir) throws Exception {
        String[] dataArgs = {"--limit-train", "300", "--limit-test", "100"};
        Path whole = dir.resolve("whole"), run = dir.resolve("run");
        List<String> common = new ArrayList<>(List.of("spacenet", "--hidden", "40,40", "--connections", "200,60,10", "--selected", "8", "--reserved", "4",
                "--epochs", "2", "--momentum", "0.5", "--threads", "1"));
        common.addAll(List.of(dataArgs));
        List<String> first = new ArrayList<>(common);
        first.addAll(List.of("--out", whole.toString()));
        assertThat(Printed.stdout(() -> assertThat(Main.run(first.toArray(String[]::new))).isZero())).contains(" s; total ").doesNotContain("resumed");
        SpaceNetConfig cfg = new SpaceNetConfig(5, new int[] {40, 40}, new int[] {200, 60, 10}, 8, 4, 0.2, 2, 128, 0.01f, 0.5f, 0f, 13, 1);
        try (DatasetSplit data = DataSources.load(new DataOptions(null, null, null, null, null, "last", 0.2, 13, 300, 100))) {
            try {
                SpaceNetRun.run(cfg, data, true, true, run, Interrupts.afterEpochs(5));
                throw new AssertionError("not stopped");
            } catch (CancellationException e) {
                assertThat(Thread.interrupted()).isTrue();
                assertThat(e).hasMessageStartingWith("SpaceNet, task 3 of 5: training interrupted");
            }
        }
        String described = Printed.stdout(() -> assertThat(Main.run(new String[] {"inspect", "--model", run.resolve(SpaceNetRun.CHECKPOINT).toString()})).isZero());
        assertThat(described).contains("epochs done: 5 of 30 (SpaceNet: 2 of 5 tasks learned, task 3: 1 of its 2 epochs; this network is SpaceNet's in that task")
                .contains("784 inputs (standardized as in training)");
        assertThat(Printed.stderr(() -> assertThat(Main.run(new String[] {"spacenet", "--resume", run.toString(), "--epochs", "3", "--seed", "1"})).isEqualTo(2)))
                .contains("--resume continues the run as its checkpoint defines it; drop --epochs, --seed (with --resume only --threads and the data options apply)");
        // A new run given the stopped run's directory is pointed to --resume; given a finished run's, only to --overwrite.
        List<String> again = new ArrayList<>(common);
        again.addAll(List.of("--out", run.toString()));
        assertThat(Printed.stderr(() -> assertThat(Main.run(again.toArray(String[]::new))).isEqualTo(2)))
                .contains("holds an earlier run").contains("continue it with --resume " + run);
        List<String> onFinished = new ArrayList<>(common);
        onFinished.addAll(List.of("--out", whole.toString()));
        assertThat(Printed.stderr(() -> assertThat(Main.run(onFinished.toArray(String[]::new))).isEqualTo(2)))
                .contains("holds an earlier run").doesNotContain("--resume");
        assertThat(Printed.stderr(() -> assertThat(Main.run(new String[] {"spacenet", "--resume", run.resolve(SpaceNetRun.CHECKPOINT).toString()})).isEqualTo(1)))
                .contains("is a file; expected the run's directory: --resume " + run);
        // other data: refused by its checksum, nothing trained
        assertThat(Printed.stderr(() -> assertThat(Main.run(new String[] {"spacenet", "--resume", run.toString(), "--limit-train", "200", "--limit-test", "100"}))
                .isEqualTo(1))).contains("the training data differs from the run's");
        List<String> resume = new ArrayList<>(List.of("spacenet", "--resume", run.toString(), "--threads", "2"));
        resume.addAll(List.of(dataArgs));
        String printed = Printed.stdout(() -> assertThat(Main.run(resume.toArray(String[]::new))).isZero());
        assertThat(printed).contains("SpaceNet").contains("fine-tuning").contains("joint training (upper bound)")
                .contains(" s (the stopped run's part included); this resumed run ");
        assertSameRun(whole, run);
        assertThat(Printed.stderr(() -> assertThat(Main.run(resume.toArray(String[]::new))).as("a finished run").isEqualTo(1)))
                .contains("--resume " + run + ": no checkpoint.dst4j there (the run had finished: its results are in metrics.json)");
    }

    // A new run into a stopped run's directory (the Java API sets nothing aside) removes that run's checkpoint before it
    // trains: stopped in its own first task, it would otherwise leave the old checkpoint beside its own log for a
    // resume to continue.
    @Test
    void aNewRunOverAStoppedOneLeavesNoCheckpointOfTheOld(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = SpaceNetTest.blobs(240, 60, 1)) {
            Path run = dir.resolve("run");
            stopAfter(2 * EPOCHS + 1, data, run, true);
            assertThat(run.resolve(SpaceNetRun.CHECKPOINT)).isRegularFile();
            stopAfter(0, data, run, true);
            assertThat(run.resolve(SpaceNetRun.CHECKPOINT)).doesNotExist();
            assertThatThrownBy(() -> SpaceNetRun.resume(run, data, 1, null)).isInstanceOf(IOException.class).hasMessageContaining("no checkpoint.dst4j there");
        }
    }

    // The checkpoint keeps the configuration as JSON: read back, it is the run's, task classes in their order included.
    @Test
    void aConfigReadBackFromItsJsonIsTheRunsOwn() {
        SpaceNetConfig inOrder = config(3), given = config(3).withTaskClasses(new int[][] {{5, 0}, {2}, {4, 1, 3}});
        for (SpaceNetConfig c : List.of(inOrder, given, SpaceNetConfig.defaults().withSeed(-9))) {
            Map<String, Object> m = Json.parseObject(Json.write(c.toMap()));
            assertThat(SpaceNetConfig.fromMap(m, c.threads())).isEqualTo(c);
        }
        Map<String, Object> m = new LinkedHashMap<>(Json.parseObject(Json.write(given.toMap())));
        m.put("task_classes", List.of(List.of(5, 0), "2"));
        assertThatThrownBy(() -> SpaceNetConfig.fromMap(m, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("task_classes[1]");
        m.remove("task_classes");
        m.remove("epochs_per_task");
        assertThatThrownBy(() -> SpaceNetConfig.fromMap(m, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("field 'epochs_per_task'");
    }

    // Rewrites the checkpoint with its header's `field` ("training", the run's; "spacenet", the learner's) changed by
    // `change`; returns the field as it was.
    private static Map<String, Object> edit(Path file, String field, Consumer<Map<String, Object>> change) throws IOException {
        Sgd sgd = new Sgd(0.9f, 1e-4f);
        Map<String, ValueLayout> sides = new LinkedHashMap<>(SpaceNet.KEPT);
        sides.put(SpaceNet.IMPORTANCE, ValueLayout.JAVA_FLOAT); // a checkpoint in the middle of a task has it
        ModelFile.Loaded l = ModelFile.load(file, sgd, sides);
        try (SparseMlp net = l.net(); CheckpointFile.Checkpoint c = CheckpointFile.read(file)) {
            List<CheckpointFile.Tensor> inTask = new ArrayList<>(); // the task's arrays, kept as they are
            for (String name : c.names()) if (name.startsWith("spacenet.in_task.")) inTask.add(c.tensor(name));
            Map<String, Object> header = new LinkedHashMap<>(l.header());
            header.keySet().removeAll(List.of("format", "network", "optimizer_steps")); // the file's own
            Map<String, Object> before = new LinkedHashMap<>(Json.getObject(header, field));
            Map<String, Object> changed = new LinkedHashMap<>(before);
            change.accept(changed);
            header.put(field, changed);
            ModelFile.save(file, net, sgd, l.standardizer(), header, sides.keySet().stream().filter(s -> net.layers().stream().anyMatch(x -> x.weights().hasSide(s))).toList(),
                    inTask);
            return before;
        }
    }
}
