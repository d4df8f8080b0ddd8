package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
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
import org.dst4j.nn.model.Classifier;
import org.dst4j.nn.train.EpochMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every public entry point stops the worker threads it started, whether the run completes, is interrupted
 * or fails in its progress listener: an embedding application that trains again and again must not gain
 * parked threads. Each scenario runs on a thread of its own group, so that the workers it started (they
 * join their creator's group) are told apart from those of any other test; a pool left open keeps its
 * workers parked until the garbage collector happens to find it, so they are still alive when checked (a
 * collection in between could hide such a leak, never report one that is not there).
 */
class WorkerThreadsEndTest {
    private static final int THREADS = 3;

    private enum Ending { COMPLETES, INTERRUPTED, LISTENER_THROWS }

    private interface Scenario {
        void run(DatasetSplit data, Path out, TrainingProgress progress, SetTraining.Progress setProgress,
                 QuickSelection.Progress qsProgress) throws Exception;
    }

    @Test
    void everyRunStopsItsWorkersHoweverItEnds(@TempDir Path tmp) throws Exception {
        List<String> names = List.of("set", "quickselection", "freetickets-dst", "freetickets-edst", "neurotrails", "spacenet");
        List<Scenario> scenarios = List.of(
                (d, out, p, sp, qp) -> {
                    SetTraining.train(SetConfig.defaults().withHidden(16).withEpochs(2).withBatch(16).withThreads(THREADS), d, true, out, sp).close();
                    loadAndPredict(out.resolve(SetTraining.MODEL), d);
                },
                (d, out, p, sp, qp) -> QuickSelection.select(QuickSelectionConfig.defaults().withK(4).withHidden(16).withEpochs(2).withBatch(16)
                        .withThreads(THREADS), d.train(), QuickSelection.Scaling.CENTER, qp),
                (d, out, p, sp, qp) -> {
                    FreeTickets.run(FreeTicketsConfig.defaults(Variant.DST).withHidden(16, 16).withMembers(2).withEpochs(1).withBatch(16)
                            .withThreads(THREADS), d, true, out, p);
                    loadAndPredict(out, d);
                },
                (d, out, p, sp, qp) -> {
                    FreeTickets.run(FreeTicketsConfig.defaults(Variant.EDST).withHidden(16, 16).withMembers(2).withExploreEpochs(1)
                            .withRefineEpochs(1).withBatch(16).withThreads(THREADS), d, true, out, p);
                    loadAndPredict(out, d);
                },
                (d, out, p, sp, qp) -> {
                    NeuroTrails.run(NeuroTrailsConfig.defaults().withHidden(16, 16).withHeads(2).withEpochs(1).withBatch(16).withThreads(THREADS),
                            d, true, false, out, p);
                    loadAndPredict(out.resolve("model"), d);
                },
                (d, out, p, sp, qp) -> SpaceNetRun.run(new SpaceNetConfig(2, new int[] {16}, new int[] {40, 10}, 6, 3, 0.2, 1, 16, 0.01f, 0f, 0f,
                        7, THREADS), d, true, false, out, p));
        List<String> leaks = new ArrayList<>();
        for (int s = 0; s < scenarios.size(); s++) {
            for (Ending ending : Ending.values()) {
                String what = names.get(s) + " " + ending;
                Path out = Files.createDirectories(tmp.resolve(names.get(s) + "-" + ending));
                List<Thread> alive = runInOwnGroup(what, scenarios.get(s), out, ending);
                if (!alive.isEmpty()) leaks.add(what + ": " + alive);
            }
        }
        assertThat(leaks).as("worker threads still alive after the run").isEmpty();
    }

    private static void loadAndPredict(Path model, DatasetSplit d) throws Exception {
        try (Classifier c = Classifier.load(model, THREADS)) {
            c.predict(d.test());
        }
    }

    // The workers started while the scenario ran and still alive once it has returned. They get 30 s in all to end: a
    // leaked worker never ends, and a busy one-core runner may take seconds to schedule the ones that do.
    private static List<Thread> runInOwnGroup(String what, Scenario scenario, Path out, Ending ending) throws Exception {
        ThreadGroup group = new ThreadGroup("workers-of " + what);
        Throwable[] failure = new Throwable[1];
        Thread runner = new Thread(group, () -> {
            try (DatasetSplit data = data()) {
                scenario.run(data, out, progress(ending), setProgress(ending), qsProgress(ending));
                if (ending != Ending.COMPLETES) failure[0] = new AssertionError(what + ": the run ended normally");
            } catch (CancellationException | InterruptedIOException e) {
                if (ending != Ending.INTERRUPTED) failure[0] = e;
            } catch (ListenerFailure e) {
                if (ending != Ending.LISTENER_THROWS) failure[0] = e;
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "runner " + what);
        runner.start();
        runner.join();
        if (failure[0] != null) throw new AssertionError(what + ": unexpected outcome", failure[0]);
        Thread[] threads = new Thread[group.activeCount() + 16];
        int n = group.enumerate(threads);
        List<Thread> alive = new ArrayList<>();
        long end = System.nanoTime() + 30_000_000_000L;
        for (int i = 0; i < n; i++) {
            if (!threads[i].getName().startsWith("dst4j-worker-")) continue; // e.g. a cleaner or Java2D's disposer started lazily here
            threads[i].join(Math.max(1, (end - System.nanoTime()) / 1_000_000));
            if (threads[i].isAlive()) alive.add(threads[i]);
        }
        return alive;
    }

    private static final class ListenerFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ListenerFailure() { super("listener failed"); }
    }

    // Acts at the second batch: the pools are up and have run jobs by then.
    private static void act(Ending ending, int batch) {
        if (batch != 2) return;
        if (ending == Ending.INTERRUPTED) Thread.currentThread().interrupt();
        if (ending == Ending.LISTENER_THROWS) throw new ListenerFailure();
    }

    private static TrainingProgress progress(Ending ending) {
        return new TrainingProgress() {
            int batches;
            @Override public void batch(int epoch, int done, int total) { act(ending, ++batches); }
        };
    }

    private static SetTraining.Progress setProgress(Ending ending) {
        return new SetTraining.Progress() {
            int batches;
            @Override public void batch(int epoch, int done, int total) { act(ending, ++batches); }
            @Override public void epoch(EpochMetrics m) {}
        };
    }

    private static QuickSelection.Progress qsProgress(Ending ending) {
        return new QuickSelection.Progress() {
            int batches;
            @Override public void batch(int epoch, int done, int total) { act(ending, ++batches); }
        };
    }

    // Four well-separated classes (SpaceNet splits them into two tasks of two).
    private static DatasetSplit data() {
        Random r = new Random(11);
        return new DatasetSplit(blobs("train", r, 96), blobs("test", r, 40));
    }

    private static Dataset blobs(String name, Random r, int n) {
        return Blobs.of(name, r, n, 12, 2f);
    }
}
