package org.dst4j.algorithms.quickselection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.MadelonLike;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.model.ModelFile;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.runtime.memory.OffHeap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuickSelectionResumeTest {
    @TempDir Path dir;

    // dropout (0.2 by default) draws its masks from the step count, which a resume has to restore
    private static final QuickSelectionConfig CFG = QuickSelectionConfig.defaults().withK(10).withHidden(24).withEpochs(6).withBatch(50).withThreads(1);

    // Interrupts the calling thread in the first batch after `epochs` epochs, as Ctrl-C does.
    private static QuickSelection.Progress stopAfter(int epochs) {
        return new QuickSelection.Progress() {
            int done;

            @Override public void epoch(EpochMetrics m) {
                done++;
            }

            @Override public void batch(int epoch, int batch, int total) {
                if (done == epochs && batch == 1) Thread.currentThread().interrupt();
            }
        };
    }

    // A run directory passed for the checkpoint file is left in place, even empty, not replaced by the file.
    @Test
    void aDirectoryGivenForTheCheckpointFileIsRefusedAndLeftInPlace() throws IOException {
        try (MadelonLike m = MadelonLike.generate(3, 300, 40, 5, 5, 30)) {
            Dataset train = m.split().train();
            Path run = Files.createDirectory(dir.resolve("run"));
            assertThatThrownBy(() -> QuickSelection.select(CFG, train, QuickSelection.Scaling.NONE, null, run)).isInstanceOf(IOException.class)
                    .hasMessage(run + " is a directory, not a checkpoint file (such as " + run.resolve(QuickSelection.CHECKPOINT) + ")");
            assertThat(run).isEmptyDirectory();
        }
    }

    // A new selection given a stopped one's checkpoint file, itself stopped in its first epoch before its own first save,
    // leaves no checkpoint of the old run for a resume to continue.
    @Test
    void aNewRunOverAStoppedOneLeavesNoCheckpointOfTheOld() throws IOException {
        try (MadelonLike m = MadelonLike.generate(3, 300, 40, 5, 5, 30)) {
            Dataset train = m.split().train();
            Path file = dir.resolve(QuickSelection.CHECKPOINT);
            assertThatThrownBy(() -> QuickSelection.select(CFG, train, QuickSelection.Scaling.STANDARDIZE, stopAfter(2), file)).isInstanceOf(CancellationException.class);
            Thread.interrupted();
            assertThat(file).isRegularFile();
            assertThatThrownBy(() -> QuickSelection.select(CFG, train, QuickSelection.Scaling.STANDARDIZE, stopAfter(0), file)).isInstanceOf(CancellationException.class);
            Thread.interrupted();
            assertThat(file).doesNotExist();
        }
    }

    @Test
    void aRunStoppedAfterAnyEpochAndResumedOnOtherThreadsEndsWithTheUninterruptedSelection() throws IOException {
        for (QuickSelection.Scaling scaling : QuickSelection.Scaling.values()) {
            try (MadelonLike m = MadelonLike.generate(3, 300, 40, 5, 5, 30)) {
                Dataset train = m.split().train();
                QuickSelectionConfig cfg = CFG.withOutput(scaling == QuickSelection.Scaling.NONE ? "tanh" : "linear");
                Path whole = dir.resolve("whole-" + scaling.label());
                Files.createDirectories(whole);
                QuickSelection.Result full = QuickSelection.select(cfg, train, scaling, null, whole.resolve(QuickSelection.CHECKPOINT));
                assertThat(QuickSelection.select(cfg, train, scaling, null).strength()).as("the checkpoint changes nothing").containsExactly(full.strength());
                assertThat(QuickSelection.resumable(whole.resolve(QuickSelection.CHECKPOINT), 1).epochsDone()).isEqualTo(6);
                for (int k = 1; k < cfg.epochs(); k++) {
                    Path run = dir.resolve(scaling.label() + "-" + k);
                    Files.createDirectories(run);
                    Path file = run.resolve(QuickSelection.CHECKPOINT);
                    int stopped = k;
                    assertThatThrownBy(() -> QuickSelection.select(cfg, train, scaling, stopAfter(stopped), file)).isInstanceOf(CancellationException.class);
                    assertThat(Thread.interrupted()).isTrue();
                    QuickSelection.Resumable r = QuickSelection.resumable(file, 2);
                    assertThat(r.epochsDone()).isEqualTo(k);
                    assertThat(r.config()).isEqualTo(cfg.withThreads(2));
                    assertThat(r.scaling()).isEqualTo(scaling);
                    int[] trained = {0};
                    QuickSelection.Result resumed = QuickSelection.resume(file, train, 2, new QuickSelection.Progress() {
                        @Override public void epoch(EpochMetrics e) {
                            trained[0]++;
                        }
                    });
                    assertThat(trained[0]).as("epochs trained after %d", k).isEqualTo(cfg.epochs() - k);
                    assertThat(resumed.strength()).as("stopped after %d, %s", k, scaling).containsExactly(full.strength());
                    assertThat(resumed.ranking()).containsExactly(full.ranking());
                    assertThat(resumed.history()).extracting(EpochMetrics::trainLoss).containsExactlyElementsOf(losses(full.history()));
                    assertThat(resumed.history()).extracting(EpochMetrics::connections)
                            .containsExactlyElementsOf(full.history().stream().map(EpochMetrics::connections).toList());
                    assertThat(QuickSelection.resumable(file, 1).epochsDone()).isEqualTo(cfg.epochs());
                }
            }
        }
    }

    // The checkpoint of a run of CFG stopped after 2 of its 6 epochs, in dir.
    private Path stoppedAfterTwoEpochs(Dataset train) {
        Path file = dir.resolve(QuickSelection.CHECKPOINT);
        assertThatThrownBy(() -> QuickSelection.select(CFG, train, QuickSelection.Scaling.STANDARDIZE, stopAfter(2), file))
                .isInstanceOf(CancellationException.class);
        assertThat(Thread.interrupted()).isTrue();
        return file;
    }

    private static List<Double> losses(List<EpochMetrics> h) {
        return h.stream().map(EpochMetrics::trainLoss).toList();
    }

    // A caller of the API resuming after a save a kill interrupted gets the checkpoint's temporary removed, as the
    // command line does.
    @Test
    void resumeRemovesTheTemporaryOfAnInterruptedSaveOfItsCheckpointOnly() throws IOException {
        try (MadelonLike m = MadelonLike.generate(3, 300, 40, 5, 5, 30)) {
            Dataset train = m.split().train();
            Path file = stoppedAfterTwoEpochs(train);
            Path torn = Files.writeString(dir.resolve("." + QuickSelection.CHECKPOINT + ".12345.tmp"), "half a checkpoint");
            Path others = Files.writeString(dir.resolve(".notes.txt.12345.tmp"), "another program's write");
            QuickSelection.resume(file, train, 1, null);
            assertThat(torn).doesNotExist();
            assertThat(others).hasContent("another program's write");
        }
    }

    @Test
    void aFinishedRunResumesToItsSelectionWithoutTraining() throws IOException {
        try (MadelonLike m = MadelonLike.generate(3, 300, 40, 5, 5, 30)) {
            Dataset train = m.split().train();
            Path file = dir.resolve(QuickSelection.CHECKPOINT);
            QuickSelection.Result full = QuickSelection.select(CFG, train, QuickSelection.Scaling.CENTER, null, file);
            QuickSelection.Result again = QuickSelection.resume(file, train, 1, new QuickSelection.Progress() {
                @Override public void batch(int epoch, int done, int total) {
                    throw new AssertionError("trained");
                }
            });
            assertThat(again.strength()).containsExactly(full.strength());
            assertThat(again.history()).hasSize(CFG.epochs());
        }
    }

    @Test
    void resumeRefusesOtherDataOtherCheckpointsAndEditedOnes() throws Exception {
        try (MadelonLike m = MadelonLike.generate(3, 300, 40, 5, 5, 30); MadelonLike other = MadelonLike.generate(4, 300, 40, 5, 5, 30)) {
            Dataset train = m.split().train();
            Path file = stoppedAfterTwoEpochs(train);
            assertThatThrownBy(() -> QuickSelection.resume(file, other.split().train(), 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("the training data differs from the run's");
            assertThatThrownBy(() -> QuickSelection.resume(dir.resolve("none.dst4j"), train, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("no such checkpoint");
            assertThatThrownBy(() -> QuickSelection.resume(file, train, 0, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("threads must be >= 1");
            // an edited count of epochs done, and another command's checkpoint, are named as such
            Path edited = dir.resolve("edited.dst4j");
            Sgd sgd = new Sgd(CFG.momentum(), CFG.weightDecay());
            ModelFile.Loaded l = ModelFile.load(file, sgd);
            try (var net = l.net()) {
                Map<String, Object> training = new LinkedHashMap<>(Json.getObject(l.header(), "training"));
                assertThat(training).containsEntry("epochs_done", 2L);
                training.put("epochs_done", 9);
                ModelFile.save(edited, net, sgd, l.standardizer(), Map.of("training", training, "provenance", l.header().get("provenance")));
            }
            assertThatThrownBy(() -> QuickSelection.resume(edited, train, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("not a QuickSelection training checkpoint").hasMessageContaining("epochs_done");
            Path set = dir.resolve("set");
            try (var data = DataSources.embedded(); var c = SetTraining.train(
                    SetConfig.defaults().withHidden(16).withEpochs(1).withThreads(1), data, true, set, null)) {
                assertThat(c).isNotNull();
            }
            assertThatThrownBy(() -> QuickSelection.resume(set.resolve("checkpoint.dst4j"), train, 1, null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("is the checkpoint of a set run, not of a QuickSelection run");
        }
    }

    // Each field a resume checks, edited alone in a checkpoint saved after 2 of 6 epochs, is refused naming it, before training
    // and with no memory kept.
    @Test
    void resumeRefusesEachEditedFieldNamingIt() throws Exception {
        try (MadelonLike m = MadelonLike.generate(3, 300, 40, 5, 5, 30)) {
            Dataset train = m.split().train();
            Path file = stoppedAfterTwoEpochs(train);
            Sgd sgd = new Sgd(CFG.momentum(), CFG.weightDecay());
            ModelFile.Loaded l = ModelFile.load(file, sgd);
            try (var net = l.net()) {
                Map<String, Object> training = Json.getObject(l.header(), "training");
                Object provenance = l.header().get("provenance");
                @SuppressWarnings("unchecked") List<Object> history = (List<Object>) training.get("history");
                Map<String, Object> config = new LinkedHashMap<>(Json.getObject(training, "config"));
                config.put("hidden", 25);
                Map<String, Map<String, Object>> edits = new LinkedHashMap<>();
                edits.put("epochs_done", Map.of("epochs_done", 0));
                edits.put("step", Map.of("step", -1));
                edits.put("history", Map.of("history", history.subList(0, 1)));
                edits.put("scaling", Map.of("scaling", "none"));
                edits.put("the network", Map.of("config", config));
                for (var e : edits.entrySet()) {
                    Map<String, Object> t = new LinkedHashMap<>(training);
                    t.putAll(e.getValue());
                    Path edited = dir.resolve("edited-" + edits.keySet().stream().toList().indexOf(e.getKey()) + ".dst4j"); // a name no message holds
                    ModelFile.save(edited, net, sgd, l.standardizer(), Map.of("training", t, "provenance", provenance));
                    long held = OffHeap.bytesInUse();
                    assertThatThrownBy(() -> QuickSelection.resume(edited, train, 1, new QuickSelection.Progress() {
                        @Override public void batch(int epoch, int done, int total) { throw new AssertionError("trained"); }
                    })).as(e.getKey()).isInstanceOf(IOException.class).hasMessageStartingWith(edited.toString()).hasMessageContaining(e.getKey());
                    // a network loaded before the refusal is closed with it
                    assertThat(OffHeap.bytesInUse()).as("off-heap bytes after refusing %s", e.getKey()).isEqualTo(held);
                }
                // the scaling the header names and the file's standardizer disagree the other way too
                Map<String, Object> t = new LinkedHashMap<>(training);
                Path noStd = dir.resolve("edited-no-standardizer.dst4j");
                ModelFile.save(noStd, net, sgd, null, Map.of("training", t, "provenance", provenance));
                assertThatThrownBy(() -> QuickSelection.resume(noStd, train, 1, null)).isInstanceOf(IOException.class)
                        .hasMessage(noStd + ": its scaling is standardize but the file holds none (file edited?)");
                // a copy of the network without its SGD state is a finished model, not a checkpoint
                Path model = dir.resolve("model.dst4j");
                ModelFile.save(model, net, null, l.standardizer(), Map.of("training", t, "provenance", provenance));
                assertThatThrownBy(() -> QuickSelection.resume(model, train, 1, null)).isInstanceOf(IOException.class).hasMessageContaining("no optimizer state");
            }
        }
    }
}
