package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.dst4j.algorithms.freetickets.FreeTickets;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.algorithms.neurotrails.NeuroTrails;
import org.dst4j.algorithms.neurotrails.NeuroTrailsConfig;
import org.dst4j.algorithms.quickselection.QuickSelection;
import org.dst4j.algorithms.quickselection.QuickSelectionConfig;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.algorithms.spacenet.SpaceNetConfig;
import org.dst4j.algorithms.spacenet.SpaceNetRun;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.SyntheticClassification;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.MultiHeadClassifier;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.runtime.parallel.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A null argument to an entry point is an NPE naming it, thrown before any directory is made; a null
 * {@code progress} means no progress reporting, for every algorithm.
 */
class EntryPointArgumentsTest {
    private static DatasetSplit data;

    @BeforeAll
    static void data() {
        SyntheticClassification gen = new SyntheticClassification(1, 12, 4, 4, 2f);
        try (WorkerPool pool = new WorkerPool(1)) {
            data = new DatasetSplit(gen.generate("train", 0, 160, pool), gen.generate("test", 160, 40, pool));
        }
    }

    @AfterAll
    static void close() {
        data.close();
    }

    private static void rejectsNull(ThrowingCallable c, String argument) {
        assertThatThrownBy(c).isInstanceOf(NullPointerException.class).hasMessage(argument);
    }

    private static SetConfig set() {
        return new SetConfig(new int[] {8}, 3, 0.3, 1, 32, 0.01f, 0.9f, 0f, 0f, "relu", 0.6f, "sgd", "constant", "he-uniform", 1, 1);
    }

    private static FreeTicketsConfig freeTickets() {
        return new FreeTicketsConfig(Variant.DST, 1, new int[] {8}, 0.5, 1, 0, 1, 32, 0.05f, 0.9f, 0f, 0f, "relu", 0.5, 0, 1, "gradient", 1, 1,
                "cosine", 0.0, "shared");
    }

    private static NeuroTrailsConfig neuroTrails() {
        return new NeuroTrailsConfig(2, 1, new int[] {8, 8}, 0.5, 1, 32, 0.05f, 0.9f, 0f, 0f, "relu", 0.5, 1, "gradient", 1, 1, "sum", "erk", 0f);
    }

    private static SpaceNetConfig spaceNet() {
        return new SpaceNetConfig(2, new int[] {12}, new int[] {20, 12}, 6, 3, 0.2, 1, 32, 0.05f, 0f, 0f, 1, 1);
    }

    @Test
    void nullArgumentsAreNamedBeforeAnythingIsWritten(@TempDir Path tmp) {
        Path out = tmp.resolve("out");
        TrainingProgress none = new TrainingProgress() {};
        rejectsNull(() -> SetTraining.train(null, data, true, out, null), "cfg");
        rejectsNull(() -> SetTraining.train(set(), null, true, out, null), "data");
        rejectsNull(() -> SetTraining.resume(null, data, 1, null), "dir");
        rejectsNull(() -> FreeTickets.run(null, data, true, out, none), "cfg");
        rejectsNull(() -> FreeTickets.run(freeTickets(), null, true, out, none), "data");
        rejectsNull(() -> FreeTickets.run(freeTickets(), data, true, null, none), "out");
        rejectsNull(() -> NeuroTrails.run(null, data, true, false, out, none), "cfg");
        rejectsNull(() -> NeuroTrails.run(neuroTrails(), null, true, false, out, none), "data");
        rejectsNull(() -> NeuroTrails.run(neuroTrails(), data, true, false, null, none), "out");
        rejectsNull(() -> SpaceNetRun.run(null, data, true, false, out, none), "cfg");
        rejectsNull(() -> SpaceNetRun.run(spaceNet(), null, true, false, out, none), "data");
        rejectsNull(() -> SpaceNetRun.run(spaceNet(), data, true, false, null, none), "out");
        rejectsNull(() -> QuickSelection.select(null, data.train(), true, null), "cfg");
        rejectsNull(() -> QuickSelection.select(QuickSelectionConfig.defaults(), null, QuickSelection.Scaling.NONE, null), "train");
        rejectsNull(() -> QuickSelection.select(QuickSelectionConfig.defaults(), data.train(), (QuickSelection.Scaling) null, null), "scaling");
        rejectsNull(() -> QuickSelection.Scaling.parse(null), "scaling");
        rejectsNull(() -> FreeTickets.trainDst(null, freeTickets(), 1, data, null, null, null, null, "p", 1), "net");
        rejectsNull(() -> SparseClassifier.load(null, 1), "file");
        rejectsNull(() -> EnsembleClassifier.load(null, 1), "dir");
        rejectsNull(() -> MultiHeadClassifier.load(null, 1), "dir");
        assertThat(out).doesNotExist();
    }

    @Test
    void anEmptyTrainingSetIsRefusedByEveryAlgorithmBeforeAnythingIsWritten(@TempDir Path tmp) {
        // By every algorithm, not SET alone: the others would train nothing and return results (QuickSelection a ranking of zeros).
        Path out = tmp.resolve("out");
        try (Dataset empty = data.train().subset(new int[0]); Dataset test = data.test().subset(new int[] {0, 1})) {
            DatasetSplit d = new DatasetSplit(empty, test);
            String refused = "train: no training samples";
            assertThatThrownBy(() -> SetTraining.train(set(), d, true, out, null)).isInstanceOf(IllegalArgumentException.class).hasMessage(refused);
            assertThatThrownBy(() -> QuickSelection.select(QuickSelectionConfig.defaults().withK(5).withHidden(8).withEpochs(1).withThreads(1), empty, true,
                    null)).isInstanceOf(IllegalArgumentException.class).hasMessage(refused);
            assertThatThrownBy(() -> FreeTickets.run(freeTickets(), d, true, out, null)).isInstanceOf(IllegalArgumentException.class).hasMessage(refused);
            assertThatThrownBy(() -> NeuroTrails.run(neuroTrails(), d, true, false, out, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(refused);
            assertThatThrownBy(() -> SpaceNetRun.run(spaceNet(), d, true, false, out, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(refused);
        }
        assertThat(out).doesNotExist();
    }

    @Test
    void oneProgressListenerHearsNeuroTrailsAndSpaceNet(@TempDir Path tmp) throws Exception {
        // One listener type for every run that trains in phases, not one owned by another algorithm.
        List<String> phases = new ArrayList<>();
        int[] batches = {0};
        TrainingProgress p = new TrainingProgress() {
            @Override public void batch(int epoch, int done, int total) { batches[0]++; }

            @Override public void epoch(String phase, EpochMetrics m) { phases.add(phase); }
        };
        NeuroTrails.run(neuroTrails(), data, true, false, tmp.resolve("nt"), p);
        SpaceNetRun.run(spaceNet(), data, true, false, tmp.resolve("sn"), p);
        assertThat(phases).containsExactly("neurotrails", "spacenet task 1", "spacenet task 2");
        assertThat(batches[0]).isPositive();
    }

    @Test
    void anUncheckedIOExceptionFromAProgressListenerReachesTheCallerUnchanged(@TempDir Path tmp) {
        // A run's own failed write leaves the training loop unchecked and is thrown as its IOException; a
        // listener's own UncheckedIOException is not taken for one and passed on as its cause.
        UncheckedIOException mine = new UncheckedIOException(new IOException("the listener's own"));
        TrainingProgress p = new TrainingProgress() {
            @Override public void epoch(String phase, EpochMetrics m) { throw mine; }
        };
        SetTraining.Progress sp = new SetTraining.Progress() {
            @Override public void epoch(EpochMetrics m) { throw mine; }
        };
        assertThatThrownBy(() -> SetTraining.train(set(), data, true, tmp.resolve("set"), sp)).isSameAs(mine);
        assertThatThrownBy(() -> FreeTickets.run(freeTickets(), data, true, tmp.resolve("ft"), p)).isSameAs(mine);
        assertThatThrownBy(() -> NeuroTrails.run(neuroTrails(), data, true, false, tmp.resolve("nt"), p)).isSameAs(mine);
        assertThatThrownBy(() -> SpaceNetRun.run(spaceNet(), data, true, false, tmp.resolve("sn"), p)).isSameAs(mine);
    }

    @Test
    void nullProgressMeansNoReporting(@TempDir Path tmp) throws Exception {
        try (SparseClassifier c = SetTraining.train(set(), data, true, tmp.resolve("set"), null)) {
            assertThat(c.evaluate(data.test()).accuracy()).isBetween(0.0, 1.0);
        }
        try (SparseClassifier c = SetTraining.resume(tmp.resolve("set"), data, 1, null)) {
            assertThat(c.network().connections()).isPositive();
        }
        assertThat(FreeTickets.run(freeTickets(), data, true, tmp.resolve("ft"), null).memberFiles()).hasSize(1);
        assertThat(NeuroTrails.run(neuroTrails(), data, true, false, tmp.resolve("nt"), null).rows()).hasSize(1);
        assertThat(SpaceNetRun.run(spaceNet(), data, true, false, tmp.resolve("sn"), null).methods()).hasSize(1);
        assertThat(QuickSelection.select(QuickSelectionConfig.defaults().withK(5).withHidden(8).withEpochs(1).withThreads(1), data.train(), true, null)
                .ranking()).hasSize(12);
    }
}
