package org.dst4j.algorithms.spacenet;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.data.Offset.offset;
import static org.assertj.core.data.Percentage.withPercentage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.dst4j.algorithms.Printed;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.data.TaskStream;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.model.ModelFile;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpaceNetTest {

    @Test
    void theJavaApiRefusesTasksThatCannotGetTheirNeuronsOrConnections(@TempDir Path dir) {
        int[] labels = new int[60];
        for (int i = 0; i < labels.length; i++) labels[i] = i % 6;
        try (DatasetSplit data = new DatasetSplit(Dataset.of("tr", new float[600], 60, 10, labels, 6), Dataset.of("te", new float[600], 60, 10, labels, 6))) {
            // 3 tasks reserving 8 neurons each leave the last task none of a 10-neuron layer: it would train with no connections.
            SpaceNetConfig noRoom = new SpaceNetConfig(3, new int[] {10}, new int[] {40, 20}, 8, 8, 0.2, 1, 32, 0.01f, 0f, 0f, 1, 1);
            assertThatThrownBy(() -> SpaceNetRun.run(noRoom, data, true, false, dir.resolve("a"), null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("selectedNeurons 8 with reservedNeurons 8 over 3 tasks needs 24 neurons in every hidden layer; hidden layer 1 has 10");
            SpaceNetConfig tooMany = new SpaceNetConfig(3, new int[] {40}, new int[] {40, 20}, 8, 8, 0.2, 1, 32, 0.01f, 0f, 0f, 1, 1);
            assertThatThrownBy(() -> SpaceNetRun.run(tooMany, data, true, false, dir.resolve("b"), null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("connectionsPerTask[1] 20: a task can place at most 16 connections in layer 2");
            assertThat(dir.resolve("a")).doesNotExist();
        }
    }

    // Not an array index failure (an empty set of classes) or a matrix index one (a class past the outputs).
    @Test
    void accuracyRefusesSeenClassesTheNetworkDoesNotHave() {
        SpaceNetConfig cfg = new SpaceNetConfig(2, new int[] {24}, new int[] {60, 16}, 8, 4, 0.2, 1, 32, 0.01f, 0f, 0f, 7, 1);
        try (WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, 10, 4);
             Dataset d = Dataset.of("d", new float[40], 4, 10, new int[] {0, 1, 2, 3}, 4)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            assertThatThrownBy(() -> SpaceNet.accuracy(sn.network(), d, new int[0], pk, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("seen must hold at least one class");
            assertThatThrownBy(() -> SpaceNet.accuracy(sn.network(), d, new int[] {0, 4}, pk, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("seen[1] = 4 is not a class of the network's 4 outputs");
            assertThatThrownBy(() -> SpaceNet.accuracy(sn.network(), d, new int[] {-1}, pk, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("seen[0] = -1 is not a class of the network's 4 outputs");
            assertThat(SpaceNet.accuracy(sn.network(), d, new int[] {0, 1, 2, 3}, pk, null)).isBetween(0.0, 1.0);
        }
    }

    // Each task counts its epochs from 1: a diverged loss names the task (and the method) it was in.
    @Test
    void aDivergedLossNamesItsTask(@TempDir Path dir) {
        SpaceNetConfig cfg = new SpaceNetConfig(3, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.2, 2, 1, 1000f, 0.99f, 0f, 7, 1);
        try (DatasetSplit data = blobs(120, 30, 3)) {
            assertThatThrownBy(() -> SpaceNetRun.run(cfg, data, true, true, dir, null))
                    .isInstanceOf(Trainer.DivergedException.class)
                    .hasMessageMatching("SpaceNet, task [1-3] of 3: training diverged at epoch [12], batch \\d+: .*");
        }
    }

    private static final int CLASSES = 6, FEATURES = 20;

    // Gaussian blobs, one centre per class, well separated.
    static DatasetSplit blobs(int train, int test, long seed) {
        RandomStream rnd = new RandomStream(seed);
        float[][] centres = new float[CLASSES][FEATURES];
        for (float[] c : centres) for (int i = 0; i < FEATURES; i++) c[i] = 2f * (float) rnd.nextGaussian();
        return new DatasetSplit(sample("blobs/train", train, centres, rnd), sample("blobs/test", test, centres, rnd));
    }

    private static Dataset sample(String name, int n, float[][] centres, RandomStream rnd) {
        float[] x = new float[n * FEATURES];
        int[] y = new int[n];
        for (int s = 0; s < n; s++) {
            y[s] = s % CLASSES;
            for (int i = 0; i < FEATURES; i++) x[s * FEATURES + i] = centres[y[s]][i] + 0.7f * (float) rnd.nextGaussian();
        }
        return Dataset.of(name, x, n, FEATURES, y, CLASSES);
    }

    private static SpaceNetConfig small(int threads) {
        return new SpaceNetConfig(3, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.2, 3, 16, 0.05f, 0f, 0f, 7, threads);
    }

    private static final Trainer.Listener QUIET = (m, s) -> { };

    // Refused once the task had begun (by the trainer, or as an index out of bounds), the learner would stay in the
    // middle of it for good: not saved, not evaluated, not taught again, and a task number skipped.
    @Test
    void aTaskThatDoesNotFitIsRefusedLeavingTheLearnerAsItWas(@TempDir Path dir) throws Exception {
        SpaceNetConfig cfg = new SpaceNetConfig(3, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1);
        try (DatasetSplit data = blobs(300, 60, 3); TaskStream stream = TaskStream.split(data, 3); WorkerPool pool = new WorkerPool(1);
             Dataset wide = Dataset.of("wide", new float[4 * (FEATURES + 1)], 4, FEATURES + 1, new int[] {2, 3, 2, 3}, 4);
             Dataset beyond = Dataset.of("beyond", new float[4 * FEATURES], 4, FEATURES, new int[] {2, 3, 2, 4}, 5);
             SpaceNet sn = new SpaceNet(cfg, FEATURES, 4)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            sn.learn(stream.get(0), null, pk, null, QUIET);
            assertThatThrownBy(() -> sn.learn(stream.get(1), wide, pk, null, QUIET))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("wide has 21 features; this learner takes 20");
            // a label one past the last class (the bound is exclusive)
            assertThatThrownBy(() -> sn.learn(stream.get(1), beyond, pk, null, QUIET))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("beyond has label 4; this learner has classes 0..3");
            assertThatThrownBy(() -> sn.learn(stream.get(2), null, pk, null, QUIET))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("task 2 has class 4; this learner has classes 0..3");
            // a null kernel set or listener, not found inside the trainer with the task begun
            assertThatThrownBy(() -> sn.learn(stream.get(1), null, null, null, QUIET))
                    .isInstanceOf(NullPointerException.class).hasMessage("pk");
            assertThatThrownBy(() -> sn.learn(stream.get(1), null, pk, null, null))
                    .isInstanceOf(NullPointerException.class).hasMessage("listener");
            assertThatThrownBy(() -> sn.learn(null, null, pk, null, QUIET))
                    .isInstanceOf(NullPointerException.class).hasMessage("t");
            assertThat(sn.task()).as("no task begun").isZero();
            sn.learn(stream.get(1), null, pk, null, QUIET);
            assertThat(sn.task()).isEqualTo(1);
            // named "file", the caller's parameter, not the atomic write's "target"
            assertThatThrownBy(() -> sn.save(null, null, Map.of()))
                    .isInstanceOf(NullPointerException.class).hasMessage("file");
            sn.save(dir.resolve("learner.dst4j"), null, Map.of());
        }
    }

    private record Conn(int layer, int row, int col) {}

    private static Map<Conn, Float> frozen(SpaceNet sn) {
        Map<Conn, Float> m = new HashMap<>();
        var layers = sn.network().layers();
        for (int l = 0; l < layers.size(); l++) {
            CsrMatrix w = layers.get(l).weights();
            MemorySegment f = w.side(SpaceNet.FROZEN);
            for (int r = 0; r < w.rows(); r++) {
                for (long k = w.rowStart(r); k < w.rowEnd(r); k++) if (f.get(JAVA_BYTE, k) != 0) m.put(new Conn(l, r, w.col(k)), w.value(k));
            }
        }
        return m;
    }

    // Also with momentum and weight decay (--momentum, --weight-decay): a frozen connection's step skipped only in
    // part (its velocity, or the decay) would move it; the other tests here train without either.
    @ParameterizedTest(name = "momentum {0}, weight decay {1}")
    @CsvSource({"0, 0", "0.9, 0.001"})
    void frozenConnectionsNeverChangeAndReservedNeuronsAreNeverReallocated(float momentum, float weightDecay) {
        SpaceNetConfig s = small(2);
        SpaceNetConfig cfg = new SpaceNetConfig(s.tasks(), s.hidden(), s.connectionsPerTask(), s.selectedNeurons(), s.reservedNeurons(),
                s.dropFraction(), s.epochs(), s.batch(), s.lr(), momentum, weightDecay, s.seed(), s.threads());
        try (DatasetSplit data = blobs(600, 120, 1); TaskStream stream = TaskStream.split(data, 3);
             WorkerPool pool = new WorkerPool(2); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            int[] sizes = sn.sizes();
            Map<Conn, Float> before = Map.of();
            List<int[][]> reservedAfter = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                sn.learn(stream.get(t), null, pk, null, QUIET);
                Map<Conn, Float> now = frozen(sn);
                for (var e : before.entrySet()) {
                    assertThat(now).as("connection %s of an earlier task", e.getKey()).containsKey(e.getKey());
                    assertThat(Float.floatToRawIntBits(now.get(e.getKey()))).as("value of %s", e.getKey())
                            .isEqualTo(Float.floatToRawIntBits(e.getValue()));
                }
                before = now;
                int[][] res = new int[sizes.length][];
                for (int l = 1; l + 1 < sizes.length; l++) res[l] = sn.reservedBy(l);
                for (int[][] earlier : reservedAfter) {
                    for (int l = 1; l + 1 < sizes.length; l++) {
                        for (int i = 0; i < sizes[l]; i++) if (earlier[l][i] >= 0) assertThat(res[l][i]).isEqualTo(earlier[l][i]);
                    }
                }
                reservedAfter.add(res);
                // this task's connections touch no neuron reserved by an earlier task
                var layers = sn.network().layers();
                for (int l = 0; l < layers.size(); l++) {
                    CsrMatrix w = layers.get(l).weights();
                    MemorySegment owner = w.side(SpaceNet.OWNER);
                    for (int r = 0; r < w.rows(); r++) {
                        for (long k = w.rowStart(r); k < w.rowEnd(r); k++) {
                            if (owner.getAtIndex(JAVA_INT, k) != t + 1) continue;
                            if (l + 1 < sizes.length - 1) assertThat(res[l + 1][r]).as("row neuron %d of layer %d", r, l + 1).isIn(-1, t);
                            if (l > 0) assertThat(res[l][w.col(k)]).as("column neuron of layer %d", l).isIn(-1, t);
                        }
                    }
                }
            }
        }
    }

    // Every step adds, to each free neuron, the importance of its connections, and a connection's importance
    // only grows; a dropped connection's keeps counting (the reference never clears its importance matrix
    // within a task). So what a neuron gains per epoch never shrinks from one epoch to the next; if drops
    // lost their importance it would shrink after each drop-and-grow.
    @Test
    void droppedConnectionsKeepCountingTowardsTheirNeuronsImportance() {
        SpaceNetConfig cfg = new SpaceNetConfig(2, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.5, 6, 16, 0.05f, 0f, 0f, 7, 1);
        try (DatasetSplit data = blobs(600, 120, 1); TaskStream stream = TaskStream.split(data, 2);
             WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            int layers = sn.sizes().length - 1;
            List<double[][]> after = new ArrayList<>();
            sn.learn(stream.get(0), null, pk, null, new Trainer.Listener() {
                @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                    double[][] snap = new double[layers][];
                    for (int l = 0; l < layers; l++) snap[l] = sn.neuronImportance(l);
                    after.add(snap);
                }
            });
            assertThat(after).hasSize(cfg.epochs());
            int grew = 0;
            for (int e = 1; e < after.size(); e++) {
                for (int l = 0; l < layers; l++) {
                    for (int i = 0; i < after.get(e)[l].length; i++) {
                        double now = after.get(e)[l][i] - after.get(e - 1)[l][i];
                        double before = after.get(e - 1)[l][i] - (e >= 2 ? after.get(e - 2)[l][i] : 0);
                        assertThat(now).as("epoch %d's gain of neuron %d in layer %d", e + 1, i, l).isGreaterThanOrEqualTo(before * (1 - 1e-9));
                        if (now > before) grew++;
                    }
                }
            }
            assertThat(grew).as("neurons whose gain grew").isPositive();
        }
    }

    // Each step adds a first-layer connection's importance to its input (outgoing) and to its hidden neuron (incoming), and a
    // dropped one's to both as well: the inputs' importance always sums to the first hidden layer's. Growth in the first
    // layer ranks inputs by it, so an input that stopped counting (its step, or its dropped connections) was never seen.
    @Test
    void theInputsImportanceAddsUpToTheFirstHiddenLayersThroughDropsAndTasks() {
        SpaceNetConfig cfg = new SpaceNetConfig(3, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.5, 4, 16, 0.05f, 0f, 0f, 7, 1);
        try (DatasetSplit data = blobs(600, 120, 1); TaskStream stream = TaskStream.split(data, 3);
             WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            int[] checked = {0};
            for (int t = 0; t < 3; t++) {
                sn.learn(stream.get(t), null, pk, null, new Trainer.Listener() {
                    @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                        double inputs = Arrays.stream(sn.neuronImportance(0)).sum(), hidden = Arrays.stream(sn.neuronImportance(1)).sum();
                        assertThat(inputs).as("task %d, epoch %d", sn.task() + 1, m.epoch()).isPositive().isCloseTo(hidden, withPercentage(1e-6));
                        checked[0]++;
                    }
                });
            }
            assertThat(checked[0]).isEqualTo(3 * cfg.epochs());
        }
    }

    // What a neuron's dropped connections gathered is kept twice: per neuron (added to its importance every step) and per
    // dropped position (given back to the connection if the position regrows, and then taken off the neuron's share). After
    // every epoch the per-neuron sums are the positions' still dropped plus those regrown and waiting for their next step:
    // a regrown position's importance counted on as dropped, taken off again at every later step, or a finished task's
    // dropped positions carried into the next task, all left the two apart (and the neuron sums above cannot see it).
    @Test
    void eachNeuronsDroppedImportanceIsWhatItsDroppedPositionsGathered(@TempDir Path dir) throws Exception {
        SpaceNetConfig cfg = new SpaceNetConfig(2, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.5, 4, 16, 0.05f, 0f, 0f, 7, 1);
        Path file = dir.resolve("in-task.dst4j");
        try (DatasetSplit data = blobs(600, 120, 1); TaskStream stream = TaskStream.split(data, 2);
             WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            int[] sizes = sn.sizes();
            int[] checked = {0}, pending = {0}, dropped = {0};
            for (int t = 0; t < 2; t++) {
                int task = t;
                List<Set<Long>> occupied = new ArrayList<>(); // per layer, before the epoch's topology update
                sn.learn(stream.get(t), null, pk, null, new Trainer.Listener() {
                    @Override public void epochTrained(int epoch, Trainer.State s) {
                        occupied.clear();
                        for (var layer : sn.network().layers()) {
                            CsrMatrix w = layer.weights();
                            Set<Long> keys = new HashSet<>();
                            for (int r = 0; r < w.rows(); r++) for (long k = w.rowStart(r); k < w.rowEnd(r); k++) keys.add((long) r * w.cols() + w.col(k));
                            occupied.add(keys);
                        }
                    }

                    @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                        try {
                            sn.saveInTask(file, null, Map.of());
                            double[][] expected = new double[sizes.length][];
                            for (int l = 0; l < sizes.length; l++) expected[l] = new double[sizes[l]];
                            try (CheckpointFile.Checkpoint c = CheckpointFile.read(file)) {
                                for (int l = 0; l + 1 < sizes.length; l++) {
                                    long[] at = c.tensor("spacenet.in_task.dropped_at." + l).data().toArray(ValueLayout.JAVA_LONG);
                                    float[] v = c.tensor("spacenet.in_task.dropped_at_importance." + l).data().toArray(ValueLayout.JAVA_FLOAT);
                                    for (int i = 0; i < at.length; i++) {
                                        expected[l + 1][(int) (at[i] / sizes[l])] += v[i];
                                        if (l == 0) expected[0][(int) (at[i] % sizes[l])] += v[i];
                                    }
                                    dropped[0] += at.length;
                                }
                                long[] p = c.tensor("spacenet.in_task.pending_restore").data().toArray(ValueLayout.JAVA_LONG);
                                for (int i = 0; i < p.length; i += 3) {
                                    int l = (int) p[i];
                                    float v = Float.intBitsToFloat((int) p[i + 2]);
                                    // grown by this epoch's update: a position waiting since an earlier one was never given back
                                    assertThat(occupied.get(l)).as("task %d, epoch %d: pending position %d of layer %d was there before the update", task + 1,
                                            m.epoch(), p[i + 1], l).doesNotContain(p[i + 1]);
                                    expected[l + 1][(int) (p[i + 1] / sizes[l])] += v;
                                    if (l == 0) expected[0][(int) (p[i + 1] % sizes[l])] += v;
                                    pending[0]++;
                                }
                                for (int l = 0; l < sizes.length; l++) {
                                    long[] bits = c.tensor("spacenet.in_task.dropped_importance." + l).data().toArray(ValueLayout.JAVA_LONG);
                                    for (int i = 0; i < sizes[l]; i++) {
                                        assertThat(Double.longBitsToDouble(bits[i])).as("task %d, epoch %d: neuron %d of layer %d", task + 1, m.epoch(), i, l)
                                                .isCloseTo(expected[l][i], offset(1e-9 * (1 + Math.abs(expected[l][i]))));
                                    }
                                }
                            }
                            checked[0]++;
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                });
            }
            assertThat(checked[0]).isEqualTo(2 * cfg.epochs());
            assertThat(dropped[0]).as("dropped positions seen").isPositive();
            assertThat(pending[0]).as("regrown dropped positions seen").isPositive();
        }
    }

    // The learner owns its network: closing it frees the layers' memory (kept until the process ended otherwise).
    @Test
    void closingTheLearnerFreesItsNetwork() {
        SpaceNet sn = new SpaceNet(small(1), FEATURES, CLASSES);
        MemorySegment bias = sn.network().layers().getFirst().bias(), owner = sn.network().layers().getLast().weights().side(SpaceNet.OWNER);
        assertThat(bias.scope().isAlive()).isTrue();
        sn.close();
        assertThat(bias.scope().isAlive()).as("a layer's bias").isFalse();
        assertThat(owner.scope().isAlive()).as("the output layer's owners").isFalse();
    }

    // Through the Java API (SpaceNetRun refuses it beforehand) a task can find no free neuron left: it places no connection
    // and reserves none, and its statistics (0 connections in every layer) are saved and loaded like any other's.
    @Test
    void aTaskThatFoundNoFreeNeuronIsSavedAndLoadedWithItsZeroCounts(@TempDir Path dir) throws Exception {
        SpaceNetConfig cfg = new SpaceNetConfig(2, new int[] {8}, new int[] {40, 6}, 8, 8, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1);
        Path file = dir.resolve("learner.dst4j");
        try (DatasetSplit data = blobs(120, 30, 3); TaskStream stream = TaskStream.split(data, 2); WorkerPool pool = new WorkerPool(1);
             SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            for (int t = 0; t < 2; t++) sn.learn(stream.get(t), null, pk, null, QUIET);
            assertThat(sn.taskStats().get(1).connections()).containsExactly(0, 0);
            assertThat(sn.taskStats().get(1).reservedNeurons()).containsExactly(0, 0, 0);
            sn.save(file, null, Map.of());
            try (SpaceNet again = SpaceNet.load(file, 1).learner()) {
                assertThat(again.taskStats()).isEqualTo(sn.taskStats());
            }
        }
    }

    // Out of off-heap memory part-way through the layers (the JVM's limit, like a too-large --hidden): the layers already
    // allocated are freed, at every point the allocation can stop.
    @Test
    void aLearnerThatRunsOutOfMemoryWhileAllocatingFreesWhatItTook() {
        long before = OffHeap.bytesInUse();
        assertThat(refusalsUntilItFits(() -> new SpaceNet(small(1), FEATURES, CLASSES).close()))
                .as("allocations refused before the learner fitted").isGreaterThan(3);
        assertThat(OffHeap.bytesInUse()).isEqualTo(before);
    }

    // Steps the off-heap limit up from the bytes in use, 16 at a time, until `allocate` fits; after each refusal the bytes
    // in use must be back where they were. Returns the number of refusals.
    private static int refusalsUntilItFits(Runnable allocate) {
        long limit = OffHeap.limit(), before = OffHeap.bytesInUse();
        int refused = 0;
        try {
            for (long allowed = 16; ; allowed += 16) {
                OffHeap.setLimit(before + allowed);
                try {
                    allocate.run();
                    return refused;
                } catch (OffHeap.LimitReached e) {
                    refused++;
                    assertThat(OffHeap.bytesInUse()).as("refused with %d bytes allowed", allowed).isEqualTo(before);
                }
            }
        } finally {
            OffHeap.setLimit(limit);
        }
    }

    // The baselines' fresh network on SpaceNet's topology, out of memory part-way through its layers: those made are freed.
    @Test
    void theBaselinesNetworkFreesWhatItTookWhenItRunsOutOfMemory() {
        SpaceNetConfig cfg = small(1);
        try (DatasetSplit data = blobs(120, 30, 1); TaskStream stream = TaskStream.split(data, 3);
             WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            for (int t = 0; t < 3; t++) sn.learn(stream.get(t), null, pk, null, QUIET);
            assertThat(refusalsUntilItFits(() -> SpaceNetRun.sameTopology(sn.network(), 3).close()))
                    .as("allocations refused before the network fitted").isGreaterThan(3);
        }
    }

    // A connection's importance gains |Δw · g| at each step. SGD's step (velocity v = m · v' - lr · g, Δw = v - wd · w) gives
    // g = (m · v' - v) / lr with v = Δw + wd · w, so the gain is seen step by step from the weights the connection took
    // (plain SGD: Δw² / lr). The tests above compare importances with each other only; with momentum and decay this also
    // sees a velocity that was not kept or a decay of the wrong sign.
    @ParameterizedTest(name = "momentum {0}, weight decay {1}")
    @CsvSource({"0, 0", "0.9, 0.001"})
    void eachStepAddsTheFirstOrderLossChangeToItsConnectionsImportance(float momentum, float decay) {
        float lr = 0.05f;
        SpaceNetConfig cfg = new SpaceNetConfig(2, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.2, 1, 16, lr, momentum, decay, 7, 1);
        try (DatasetSplit data = blobs(300, 60, 1); TaskStream stream = TaskStream.split(data, 2);
             WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            var layers = sn.network().layers();
            int[] checked = {0}, moved = {0};
            for (int t = 0; t < 2; t++) {
                // per layer, after each of the two previous steps: {values, importance}
                List<List<float[][]>> seen = new ArrayList<>();
                for (int l = 0; l < layers.size(); l++) seen.add(new ArrayList<>());
                sn.learn(stream.get(t), null, pk, null, new Trainer.Listener() {
                    @Override public void epochDone(EpochMetrics m, Trainer.State s) {}

                    @Override public void batchDone(int epoch, int done, int total) {
                        for (int l = 0; l < layers.size(); l++) {
                            CsrMatrix w = layers.get(l).weights();
                            MemorySegment f = w.side(SpaceNet.FROZEN), imp = w.side(SpaceNet.IMPORTANCE);
                            float[] v = new float[(int) w.nnz()], im = new float[v.length];
                            List<float[][]> before = seen.get(l);
                            for (int k = 0; k < v.length; k++) {
                                v[k] = w.value(k);
                                im[k] = imp.getAtIndex(ValueLayout.JAVA_FLOAT, k);
                                if (before.size() < 2) continue;
                                if (f.get(JAVA_BYTE, k) != 0) {
                                    assertThat(im[k]).as("a frozen connection's importance").isZero();
                                    continue;
                                }
                                float w2 = before.get(0)[0][k], w1 = before.get(1)[0][k];
                                double dw = (double) v[k] - w1, vel = dw + (double) decay * w1, velBefore = ((double) w1 - w2) + (double) decay * w2;
                                double g = (momentum * velBefore - vel) / lr, gain = (double) im[k] - before.get(1)[1][k];
                                double u = Math.ulp(Math.max(Math.max(Math.abs(v[k]), Math.abs(w1)), Math.abs(w2)));
                                double tolerance = 4 * (Math.abs(g) * u + Math.abs(dw) * (1 + momentum) * u / lr) + 2 * Math.ulp(im[k]);
                                assertThat(gain).as("task %d, step %d, layer %d, connection %d", sn.task() + 1, done, l, k).isCloseTo(Math.abs(dw * g),
                                        offset(tolerance));
                                checked[0]++;
                                if (dw != 0) moved[0]++;
                            }
                            before.add(new float[][] {v, im});
                            if (before.size() > 2) before.removeFirst();
                        }
                    }
                });
            }
            assertThat(moved[0]).as("steps that moved a connection").isGreaterThan(1000);
            assertThat(checked[0]).isGreaterThan(moved[0] / 2);
        }
    }

    @Test
    void sizesAreCheckedBeforeAnyLayerIsAllocated() {
        assertThatThrownBy(() -> new SpaceNet(small(2), 0, CLASSES))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("inputs must be >= 1, got 0");
        assertThatThrownBy(() -> new SpaceNet(small(2), FEATURES, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("classes must be >= 1, got 0");
        new SpaceNet(small(1), 1, 1).close();
    }

    // The limits are inclusive: as many tasks as classes, hidden layers of exactly the neurons needed.
    @Test
    void checkFitsAcceptsTheLimitsAndChecksTheTaskClassesRange() {
        SpaceNetConfig six = new SpaceNetConfig(6, new int[] {28, 28}, new int[] {60, 40, 8}, 8, 4, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1);
        assertThat(six.neuronsNeeded()).isEqualTo(28);
        SpaceNetRun.checkFits(six, FEATURES, CLASSES);
        assertThatThrownBy(() -> SpaceNetRun.checkFits(six, FEATURES, 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tasks 6 exceeds the 5 classes of the data");
        SpaceNetConfig beyond = new SpaceNetConfig(2, new int[] {24}, new int[] {60, 8}, 8, 4, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1,
                new int[][] {{0, 1, 2}, {3, 6}});
        assertThatThrownBy(() -> SpaceNetRun.checkFits(beyond, FEATURES, CLASSES))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("task classes: task 2 has class 6");
    }

    @Test
    void capacityAccountingAddsUp() {
        SpaceNetConfig cfg = small(1);
        try (DatasetSplit data = blobs(600, 120, 2); TaskStream stream = TaskStream.split(data, 3);
             WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            for (int t = 0; t < 3; t++) sn.learn(stream.get(t), null, pk, null, QUIET);
            int[] sizes = sn.sizes();
            var layers = sn.network().layers();
            List<SpaceNet.TaskStats> stats = sn.taskStats();
            assertThat(stats).hasSize(3);
            for (int l = 0; l < layers.size(); l++) {
                CsrMatrix w = layers.get(l).weights();
                long[] perTask = new long[3];
                MemorySegment owner = w.side(SpaceNet.OWNER), frozen = w.side(SpaceNet.FROZEN);
                for (long k = 0; k < w.nnz(); k++) {
                    assertThat(frozen.get(JAVA_BYTE, k)).isEqualTo((byte) 1);
                    perTask[owner.getAtIndex(JAVA_INT, k) - 1]++;
                }
                long sum = 0;
                for (int t = 0; t < 3; t++) {
                    assertThat(stats.get(t).connections()[l]).isEqualTo(perTask[t]);
                    // drop-and-grow keeps each task's count: what it allocated, capped by the room it had
                    assertThat(perTask[t]).isLessThanOrEqualTo(cfg.connectionsPerTask()[l]).isPositive();
                    sum += perTask[t];
                }
                assertThat(sum).isEqualTo(w.nnz());
            }
            assertThat(stats.get(0).connections()).containsExactly(60, 40, 16);
            for (int l = 1; l + 1 < sizes.length; l++) {
                int[] res = sn.reservedBy(l);
                int reserved = 0;
                for (int t = 0; t < 3; t++) {
                    int n = 0;
                    for (int r : res) if (r == t) n++;
                    assertThat(n).isEqualTo(stats.get(t).reservedNeurons()[l]).isEqualTo(cfg.reservedNeurons());
                    reserved += n;
                }
                int free = 0;
                for (int r : res) if (r < 0) free++;
                assertThat(reserved + free).isEqualTo(sizes[l]);
            }
        }
    }

    // One thread (the test above runs two), and what it does not look at: while a later task trains, the finished
    // tasks' classifier connections are out of the forward pass (zero) and come back with their values after it; the
    // biases of reserved neurons and of earlier tasks' classes keep their values; every task selects exactly its
    // share of the neurons no earlier task reserved; and a task does learn (its classes are well separated).
    @Test
    void finishedTasksAreParkedWhileLaterTasksTrainAndKeepTheirBiases() {
        SpaceNetConfig cfg = small(1);
        try (DatasetSplit data = blobs(600, 120, 1); TaskStream stream = TaskStream.split(data, 3);
             WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            int[] sizes = sn.sizes();
            int last = sizes.length - 1;
            var layers = sn.network().layers();
            CsrMatrix out = layers.get(last - 1).weights();
            Map<Conn, Float> frozenBefore = Map.of();
            Map<String, Float> keptBiases = new HashMap<>();
            for (int t = 0; t < 3; t++) {
                int[] parkedSeen = {0};
                sn.learn(stream.get(t), null, pk, null, new Trainer.Listener() {
                    @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                        MemorySegment f = out.side(SpaceNet.FROZEN);
                        for (long k = 0; k < out.nnz(); k++) {
                            if (f.get(JAVA_BYTE, k) == 0) continue;
                            assertThat(out.value(k)).as("a finished task's output connection while a later task trains").isZero();
                            parkedSeen[0]++;
                        }
                    }
                });
                assertThat(parkedSeen[0] > 0).as("task %d trained with earlier output connections parked", t).isEqualTo(t > 0);
                Map<Conn, Float> now = frozen(sn);
                for (var e : frozenBefore.entrySet()) assertThat(now.get(e.getKey())).as("%s", e.getKey()).isEqualTo(e.getValue());
                frozenBefore = now;
                for (var e : keptBiases.entrySet()) {
                    String[] at = e.getKey().split(":");
                    float b = layers.get(Integer.parseInt(at[0])).bias().getAtIndex(ValueLayout.JAVA_FLOAT, Integer.parseInt(at[1]));
                    assertThat(b).as("bias %s after task %d", e.getKey(), t + 1).isEqualTo(e.getValue());
                }
                SpaceNet.TaskStats st = sn.taskStats().get(t);
                for (int l = 1; l < last; l++) {
                    int[] by = sn.reservedBy(l);
                    int[] selected = st.selectedNeuronIndices()[l];
                    assertThat(selected).as("task %d, layer %d", t + 1, l).hasSize(cfg.selectedNeurons());
                    for (int i : selected) assertThat(by[i]).as("task %d selected neuron %d of layer %d", t + 1, i, l).isIn(-1, t);
                    // drawn at random among the free neurons, not the first of them
                    int task = t;
                    int[] firstFree = IntStream.range(0, sizes[l]).filter(i -> by[i] < 0 || by[i] == task)
                            .limit(cfg.selectedNeurons()).toArray();
                    assertThat(selected).as("task %d, layer %d", t + 1, l).isNotEqualTo(firstFree);
                    for (int i : st.reservedNeuronIndices()[l]) {
                        keptBiases.put((l - 1) + ":" + i, layers.get(l - 1).bias().getAtIndex(ValueLayout.JAVA_FLOAT, i));
                    }
                }
                for (int c : stream.get(t).classes()) keptBiases.put((last - 1) + ":" + c, layers.get(last - 1).bias().getAtIndex(ValueLayout.JAVA_FLOAT, c));
                double learned = sn.taskAccuracy(stream.tasks().subList(t, t + 1), pk, null)[0];
                assertThat(learned).as("task %d's accuracy among its classes", t + 1).isGreaterThan(0.9);
            }
        }
    }

    // The run's capacity figures are the tasks' sums over the network's: 20-24-24-6 has 1,200 connections when dense
    // and 48 hidden neurons; each task reserves 4 of each layer's 24 and freezes 60 + 40 + 16 connections.
    @Test
    void theRunsCapacityFiguresAddUpTheTasks(@TempDir Path dir) throws Exception {
        SpaceNetConfig cfg = small(1);
        SpaceNetRun.Result r;
        double elapsed;
        try (DatasetSplit data = blobs(600, 120, 2)) {
            long t0 = System.nanoTime();
            r = SpaceNetRun.run(cfg, data, true, false, dir, null);
            elapsed = (System.nanoTime() - t0) / 1e9;
        }
        assertThat(r.methods()).singleElement().satisfies(m -> assertThat(m.seconds()).isPositive().isLessThanOrEqualTo(elapsed));
        assertThat(Files.size(dir.resolve(SpaceNetRun.CHART))).isPositive();
        assertThat(Files.readAllLines(dir.resolve(SpaceNetRun.LOG))).extracting(l -> Json.getLong(Json.parseObject(l), "task"))
                .containsExactly(1L, 1L, 1L, 2L, 2L, 2L, 3L, 3L, 3L);
        long dense = 20 * 24 + 24 * 24 + 24 * 6;
        long[] frozen = new long[3];
        for (int t = 0; t < 3; t++) for (long c : r.tasks().get(t).connections()) frozen[t] += c;
        assertThat(r.reservedNeuronShare()).isEqualTo(3 * 2 * 4 / 48.0);
        assertThat(r.reservedConnectionShare()).isEqualTo((double) (frozen[0] + frozen[1] + frozen[2]) / dense);
        assertThat(frozen[0]).isEqualTo(60 + 40 + 16);
        try (SparseClassifier c = SparseClassifier.load(dir.resolve(SpaceNetRun.MODEL), 1)) {
            assertThat(c.network().connections()).isEqualTo(frozen[0] + frozen[1] + frozen[2]);
            assertThat(Json.getObject(c.header(), "provenance")).containsEntry("algorithm", "spacenet");
        }
        Map<String, Object> m = Json.parseObject(Files.readString(dir.resolve(SpaceNetRun.METRICS)));
        assertThat(Json.getLong(m, "dense_connections")).isEqualTo(dense);
        assertThat(Json.getLong(m, "hidden_neurons")).isEqualTo(48);
        assertThat(((Number) m.get("reserved_hidden_neuron_share")).doubleValue()).isEqualTo(r.reservedNeuronShare());
        assertThat(((Number) m.get("reserved_connection_share")).doubleValue()).isEqualTo(r.reservedConnectionShare());
        @SuppressWarnings("unchecked") List<Map<String, Object>> tasks = (List<Map<String, Object>>) m.get("tasks");
        for (int t = 0; t < 3; t++) {
            Map<String, Object> e = tasks.get(t);
            assertThat(Json.getLong(e, "task")).isEqualTo(t + 1);
            assertThat(((Number) e.get("connection_share")).doubleValue()).isEqualTo((double) frozen[t] / dense);
            assertThat(((Number) e.get("reserved_neuron_share")).doubleValue()).isEqualTo(2 * 4 / 48.0);
        }
    }

    // Few connections in a large block: allocation draws positions at random (rather than walking the block); each task
    // still gets exactly its count, all between the neurons it selected, and they are never re-drawn onto taken positions.
    @Test
    void aSparseAllocationPlacesEveryConnectionInItsTasksBlock() {
        SpaceNetConfig cfg = new SpaceNetConfig(3, new int[] {24, 24}, new int[] {12, 6, 3}, 8, 4, 0.2, 2, 16, 0.05f, 0f, 0f, 7, 1);
        try (DatasetSplit data = blobs(600, 120, 1); TaskStream stream = TaskStream.split(data, 3);
             WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            for (int t = 0; t < 3; t++) sn.learn(stream.get(t), null, pk, null, QUIET);
            var layers = sn.network().layers();
            int last = sn.sizes().length - 1;
            for (int t = 0; t < 3; t++) {
                SpaceNet.TaskStats st = sn.taskStats().get(t);
                assertThat(st.connections()).containsExactly(12, 6, 3);
                for (int l = 0; l < layers.size(); l++) {
                    Set<Integer> rows = new HashSet<>(), cols = new HashSet<>();
                    if (l + 1 < last) for (int i : st.selectedNeuronIndices()[l + 1]) rows.add(i);
                    else for (int c : stream.get(t).classes()) rows.add(c);
                    if (l > 0) for (int i : st.selectedNeuronIndices()[l]) cols.add(i);
                    CsrMatrix w = layers.get(l).weights();
                    MemorySegment owner = w.side(SpaceNet.OWNER);
                    for (int r = 0; r < w.rows(); r++) {
                        for (long k = w.rowStart(r); k < w.rowEnd(r); k++) {
                            if (owner.getAtIndex(JAVA_INT, k) != t + 1) continue;
                            assertThat(rows).as("task %d, layer %d row", t + 1, l).contains(r);
                            if (l > 0) assertThat(cols).as("task %d, layer %d column", t + 1, l).contains(w.col(k));
                            if (k > w.rowStart(r)) assertThat(w.col(k)).as("columns ascending in row %d", r).isGreaterThan(w.col(k - 1));
                        }
                    }
                }
            }
        }
    }

    // Which neurons a task reserved is reported by SpaceNetRun.run and in metrics.json, not only in the learner's
    // reservedBy: a study of the tasks' neurons need not re-run the learner by hand.
    @Test
    void theNeuronsEachTaskSelectedAndReservedAreReportedByIndex(@TempDir Path dir) throws Exception {
        SpaceNetConfig cfg = small(1);
        SpaceNetRun.Result r;
        try (DatasetSplit data = blobs(600, 120, 2); TaskStream stream = TaskStream.split(data, 3);
             WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            for (int t = 0; t < 3; t++) sn.learn(stream.get(t), null, pk, Standardizer.fitGlobal(data.train()), QUIET);
            int[] sizes = sn.sizes();
            List<SpaceNet.TaskStats> stats = sn.taskStats();
            for (SpaceNet.TaskStats st : stats) {
                int[][] reserved = st.reservedNeuronIndices(), selected = st.selectedNeuronIndices();
                assertThat(reserved.length).isEqualTo(sizes.length);
                assertThat(selected.length).isEqualTo(sizes.length);
                assertThat(reserved[0]).isEmpty();
                assertThat(reserved[sizes.length - 1]).isEmpty();
                assertThat(selected[0]).isEmpty();
                assertThat(selected[sizes.length - 1]).isEmpty();
                for (int l = 1; l + 1 < sizes.length; l++) {
                    int[] by = sn.reservedBy(l);
                    int task = st.task();
                    assertThat(reserved[l]).containsExactly(IntStream.range(0, by.length).filter(i -> by[i] == task).toArray());
                    assertThat(reserved[l]).hasSize(st.reservedNeurons()[l]);
                    assertThat(selected[l]).hasSize(st.selectedNeurons()[l]).isSorted().contains(reserved[l]);
                }
            }
            // the same through SpaceNetRun.run, and in metrics.json
            r = SpaceNetRun.run(cfg, data, true, false, dir, null);
            assertThat(r.tasks()).isEqualTo(stats);
        }
        Map<String, Object> m = Json.parseObject(Files.readString(dir.resolve(SpaceNetRun.METRICS)));
        List<?> tasks = (List<?>) m.get("tasks");
        for (int t = 0; t < 3; t++) {
            Map<?, ?> e = (Map<?, ?>) tasks.get(t);
            SpaceNet.TaskStats st = r.tasks().get(t);
            assertThat(e.get("reserved_neuron_indices_by_layer")).isEqualTo(Json.parse(Json.write(st.reservedNeuronIndices())));
            assertThat(e.get("selected_neuron_indices_by_layer")).isEqualTo(Json.parse(Json.write(st.selectedNeuronIndices())));
        }
    }

    // A task reserves its most important neurons among those it selected: with fewer neurons that gathered importance
    // than it reserves (2 connections in the second layer touch at most 2 of its 8 selected neurons there), the rest of
    // its reservation is selected neurons of no importance, not free neurons it never placed a connection on.
    @Test
    void aTaskReservesOnlyNeuronsItSelectedEvenWhenFewGatheredImportance() {
        SpaceNetConfig cfg = new SpaceNetConfig(3, new int[] {24, 24}, new int[] {12, 2, 3}, 8, 4, 0.2, 2, 16, 0.05f, 0f, 0f, 7, 1);
        try (DatasetSplit data = blobs(600, 120, 1); TaskStream stream = TaskStream.split(data, 3);
             WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            for (int t = 0; t < 3; t++) {
                sn.learn(stream.get(t), null, pk, null, QUIET);
                SpaceNet.TaskStats st = sn.taskStats().get(t);
                for (int l = 1; l <= 2; l++) {
                    assertThat(st.reservedNeuronIndices()[l]).as("task %d, layer %d", t + 1, l).hasSize(cfg.reservedNeurons());
                    assertThat(st.selectedNeuronIndices()[l]).as("task %d, layer %d: selected neurons", t + 1, l).contains(st.reservedNeuronIndices()[l]);
                }
            }
        }
    }

    // One topology update, checked against what it saw: in each hidden layer the task drops exactly its floor(fraction x own)
    // least important connections (the lower storage index first on ties), and grows as many where the product of the two
    // neurons' importances is largest among the free positions of its selected block; the output layer keeps its own.
    @Test
    void dropAndGrowFollowConnectionAndNeuronImportance() {
        SpaceNetConfig cfg = new SpaceNetConfig(2, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.25, 3, 16, 0.05f, 0f, 0f, 7, 1);
        try (DatasetSplit data = blobs(600, 120, 1); TaskStream stream = TaskStream.split(data, 2);
             WorkerPool pool = new WorkerPool(1); SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            int[] sizes = sn.sizes();
            int layers = sizes.length - 1;
            int[] updates = {0};
            for (int t = 0; t < 2; t++) {
                List<Set<Long>> occupied = new ArrayList<>(), expectedDrop = new ArrayList<>();
                List<long[]> own = new ArrayList<>();
                List<double[]> importance = new ArrayList<>();
                List<Object[]> growths = new ArrayList<>();
                sn.learn(stream.get(t), null, pk, null, new Trainer.Listener() {
                    @Override public void epochDone(EpochMetrics m, Trainer.State s) {}

                    @Override public void epochTrained(int epoch, Trainer.State s) {
                        occupied.clear();
                        expectedDrop.clear();
                        own.clear();
                        importance.clear();
                        for (int l = 0; l < layers; l++) {
                            CsrMatrix w = sn.network().layers().get(l).weights();
                            MemorySegment f = w.side(SpaceNet.FROZEN), imp = w.side(SpaceNet.IMPORTANCE);
                            Set<Long> all = new HashSet<>();
                            List<long[]> mine = new ArrayList<>(); // {importance bits, k, key}
                            for (int r = 0; r < w.rows(); r++) {
                                for (long k = w.rowStart(r); k < w.rowEnd(r); k++) {
                                    long key = (long) r * w.cols() + w.col(k);
                                    all.add(key);
                                    if (f.get(JAVA_BYTE, k) == 0) mine.add(new long[] {Float.floatToIntBits(imp.getAtIndex(ValueLayout.JAVA_FLOAT, k)), k, key});
                                }
                            }
                            mine.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
                            int drop = l + 1 == layers ? 0 : (int) (mine.size() * cfg.dropFraction());
                            Set<Long> dropped = new HashSet<>();
                            for (int i = 0; i < drop; i++) dropped.add(mine.get(i)[2]);
                            occupied.add(all);
                            expectedDrop.add(dropped);
                            own.add(mine.stream().mapToLong(a -> a[2]).toArray());
                        }
                        for (int l = 0; l <= layers; l++) importance.add(sn.neuronImportance(l));
                    }

                    @Override public void evolved(int epoch, long step, List<TopologyEvolution.Report> reports) {
                        updates[0]++;
                        int task = sn.task();
                        for (int l = 0; l < layers; l++) {
                            CsrMatrix w = sn.network().layers().get(l).weights();
                            MemorySegment f = w.side(SpaceNet.FROZEN);
                            Set<Long> now = new HashSet<>();
                            for (int r = 0; r < w.rows(); r++) {
                                for (long k = w.rowStart(r); k < w.rowEnd(r); k++) if (f.get(JAVA_BYTE, k) == 0) now.add((long) r * w.cols() + w.col(k));
                            }
                            Set<Long> before = new HashSet<>();
                            for (long key : own.get(l)) before.add(key);
                            Set<Long> gone = new HashSet<>(before), grown = new HashSet<>(now);
                            gone.removeAll(now);
                            grown.removeAll(before);
                            assertThat(gone).as("task %d, layer %d: dropped", task + 1, l).isEqualTo(expectedDrop.get(l));
                            assertThat(grown).as("task %d, layer %d: grown", task + 1, l).hasSameSizeAs(gone);
                            if (!grown.isEmpty()) growths.add(new Object[] {l, grown, occupied.get(l), importance.get(l + 1), importance.get(l), w.rows(), w.cols()});
                        }
                    }
                });
                // the block is the task's selected neurons (every input in the first layer), known once it has ended
                SpaceNet.TaskStats st = sn.taskStats().get(t);
                assertThat(growths).isNotEmpty();
                for (Object[] g : growths) {
                    int l = (Integer) g[0], rows = (Integer) g[5], cols = (Integer) g[6];
                    @SuppressWarnings("unchecked") Set<Long> grown = (Set<Long>) g[1], taken = (Set<Long>) g[2];
                    double[] ri = (double[]) g[3], ci = (double[]) g[4];
                    boolean[] rowSel = new boolean[rows], colSel = new boolean[cols];
                    for (int r : st.selectedNeuronIndices()[l + 1]) rowSel[r] = true;
                    if (l == 0) Arrays.fill(colSel, true);
                    else for (int c : st.selectedNeuronIndices()[l]) colSel[c] = true;
                    double lowest = Double.POSITIVE_INFINITY;
                    for (long key : grown) {
                        int r = (int) (key / cols), c = (int) (key % cols);
                        assertThat(rowSel[r] && colSel[c]).as("task %d, layer %d: grown at %d,%d inside the block", t + 1, l, r, c).isTrue();
                        lowest = Math.min(lowest, ri[r] * ci[c]);
                    }
                    // every free position of the block that was not grown scores no higher than the lowest grown one
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            long key = (long) r * cols + c;
                            if (!rowSel[r] || !colSel[c] || taken.contains(key) || grown.contains(key)) continue;
                            assertThat(ri[r] * ci[c]).as("task %d, layer %d: free position %d,%d not grown", t + 1, l, r, c).isLessThanOrEqualTo(lowest);
                        }
                    }
                }
            }
            assertThat(updates[0]).isEqualTo(2 * (cfg.epochs() - 1));
        }
    }

    @Test
    void sameSeedSameModelForAnyThreadCount() {
        float[][] a = train(1), b = train(2);
        assertThat(a.length).isEqualTo(b.length);
        for (int l = 0; l < a.length; l++) assertThat(b[l]).containsExactly(a[l]);
    }

    private static float[][] train(int threads) {
        try (DatasetSplit data = blobs(600, 120, 3); TaskStream stream = TaskStream.split(data, 3);
             WorkerPool pool = new WorkerPool(threads); SpaceNet sn = new SpaceNet(small(threads), FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            for (int t = 0; t < 3; t++) sn.learn(stream.get(t), null, pk, null, QUIET);
            return sn.network().layers().stream().map(x -> x.weights().values().toArray(ValueLayout.JAVA_FLOAT)).toArray(float[][]::new);
        }
    }

    // A continual learner kept between tasks in a file (another process, days later) learns its next task as the learner
    // that was saved would have: the same weights, owners, frozen flags and reserved neurons, bit for bit.
    @Test
    void aLearnerSavedBetweenTasksAndLoadedGoesOnAsIfItHadNotStopped(@TempDir Path dir) throws Exception {
        SpaceNetConfig cfg = new SpaceNetConfig(3, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.2, 3, 16, 0.05f, 0.9f, 1e-4f, 7, 1);
        Path file = dir.resolve("learner.dst4j");
        try (DatasetSplit data = blobs(600, 120, 3); TaskStream stream = TaskStream.split(data, 3); WorkerPool pool = new WorkerPool(1);
             WorkerPool two = new WorkerPool(2); SpaceNet whole = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Standardizer std = Standardizer.fitGlobal(data.train());
            for (int t = 0; t < 3; t++) whole.learn(stream.get(t), null, pk, std, QUIET);
            for (int stop = 0; stop <= 3; stop++) {
                try (SpaceNet first = new SpaceNet(cfg, FEATURES, CLASSES)) {
                    for (int t = 0; t < stop; t++) first.learn(stream.get(t), null, pk, std, QUIET);
                    first.save(file, std, Map.of("note", "kept between tasks"));
                }
                if (stop == 2) {
                    String described = Printed.stdout(() -> assertThat(Main.run(new String[] {"inspect", "--model", file.toString()})).isZero());
                    assertThat(described).contains("a SpaceNet learner: 2 of 3 tasks learned (SpaceNet.load continues it with task 3)")
                            .contains(FEATURES + " inputs (standardized as in training)");
                }
                SpaceNet.Loaded l = SpaceNet.load(file, 2);
                try (SpaceNet again = l.learner()) {
                    assertThat(l.header()).containsEntry("note", "kept between tasks");
                    assertThat(l.standardizer().mean()).containsExactly(std.mean());
                    assertThat(again.config()).isEqualTo(cfg.withThreads(2));
                    assertThat(again.task()).isEqualTo(stop - 1);
                    ParallelKernels pk2 = new ParallelKernels(KernelProvider.get(), two);
                    for (int t = stop; t < 3; t++) again.learn(stream.get(t), null, pk2, std, QUIET);
                    assertThat(again.taskStats()).as("after a stop after %d tasks", stop).isEqualTo(whole.taskStats());
                    for (int layer = 1; layer <= 2; layer++) assertThat(again.reservedBy(layer)).isEqualTo(whole.reservedBy(layer));
                    for (int l2 = 0; l2 < 3; l2++) {
                        CsrMatrix a = whole.network().layers().get(l2).weights(), b = again.network().layers().get(l2).weights();
                        assertThat(b.nnz()).isEqualTo(a.nnz());
                        for (String side : List.of(SpaceNet.OWNER)) {
                            assertThat(b.side(side).asSlice(0, 4 * b.nnz()).toArray(JAVA_INT)).isEqualTo(a.side(side).asSlice(0, 4 * a.nnz()).toArray(JAVA_INT));
                        }
                        assertThat(b.values().asSlice(0, 4 * b.nnz()).toArray(ValueLayout.JAVA_FLOAT))
                                .as("layer %d after a stop after %d tasks", l2, stop)
                                .containsExactly(a.values().asSlice(0, 4 * a.nnz()).toArray(ValueLayout.JAVA_FLOAT));
                        assertThat(b.rowPtr().toArray(ValueLayout.JAVA_LONG)).isEqualTo(a.rowPtr().toArray(ValueLayout.JAVA_LONG));
                    }
                    assertThat(again.accuracy(stream.tasks(), stream.seenClasses(2), pk2, std)).containsExactly(whole.accuracy(stream.tasks(), stream.seenClasses(2), pk, std));
                }
            }
            // the file is a model file: a classifier of every class learned, as predict reads it
            whole.save(file, std, Map.of());
            try (SparseClassifier c = SparseClassifier.load(file, 1)) {
                assertThat(c.network().connections()).isEqualTo(whole.network().connections());
            }
            // a connection's owner that no task learned went on into connection-owners.npz (docs: task numbers from 1)
            for (int bad : new int[] {99, -3, 0}) {
                Path edited = dir.resolve("owner-" + bad + ".dst4j");
                Copied c = Copied.of(file, "layer.1.side.owner", b -> b.putInt(0, bad));
                CheckpointFile.write(edited, c.header(), c.tensors());
                assertThatThrownBy(() -> SpaceNet.load(edited, 1)).isInstanceOf(IOException.class)
                        .hasMessageContaining("connection 0 of layer 1 has owner " + bad + ", not one of the");
            }
            // mid-task it is refused; another model file is named as what it is not
            try (SpaceNet mid = new SpaceNet(cfg, FEATURES, CLASSES)) {
                mid.beginTask(new int[] {0, 1});
                assertThatThrownBy(() -> mid.save(file, std, Map.of())).isInstanceOf(IllegalStateException.class)
                        .hasMessage("cannot save in the middle of task 0");
                mid.endTask();
            }
            Path plain = dir.resolve("plain.dst4j");
            ModelFile.save(plain, whole.network(), null, null, Map.of());
            assertThatThrownBy(() -> SpaceNet.load(plain, 1)).isInstanceOf(IOException.class)
                    .hasMessage(plain + " is not a saved SpaceNet learner (field 'spacenet': expected an object, got null)");
            assertThatThrownBy(() -> SpaceNet.load(file, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("threads");
            // named "file", the caller's parameter, not the file system's "path"
            assertThatThrownBy(() -> SpaceNet.load(null, 1)).isInstanceOf(NullPointerException.class)
                    .hasMessage("file");
            assertThatThrownBy(() -> new SpaceNet(null, 4, 2)).isInstanceOf(NullPointerException.class)
                    .hasMessage("cfg");
        }
    }

    // A learner of two tasks saved after its first: what the tests below edit.
    private static Path savedAfterOneTask(Path file) throws IOException {
        SpaceNetConfig cfg = new SpaceNetConfig(2, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1);
        try (DatasetSplit data = blobs(120, 30, 3); TaskStream stream = TaskStream.split(data, 2); WorkerPool pool = new WorkerPool(1);
             SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            sn.learn(stream.get(0), null, new ParallelKernels(KernelProvider.get(), pool), null, QUIET);
            sn.save(file, null, Map.of());
        }
        return file;
    }

    // The output layer's parked values are what a later task's start takes its finished tasks' classifier rows out to,
    // and its end puts back: a saved learner without them (only the output layer keeps them) is not one to go on with.
    @Test
    void aSavedLearnerWithoutTheOutputLayersParkedValuesIsRefusedByName(@TempDir Path dir) throws Exception {
        Path file = savedAfterOneTask(dir.resolve("learner.dst4j")), edited = dir.resolve("edited.dst4j");
        Copied c = Copied.of(file, "", b -> { });
        List<CheckpointFile.Tensor> without = c.tensors().stream().filter(t -> !t.name().equals("layer.2.side.parked")).toList();
        assertThat(without).hasSize(c.tensors().size() - 1);
        CheckpointFile.write(edited, c.header(), without);
        long held = OffHeap.bytesInUse();
        assertThatThrownBy(() -> SpaceNet.load(edited, 1)).isInstanceOf(IOException.class)
                .hasMessage(edited + " is not a saved SpaceNet learner (layer 2 has no 'parked' array)");
        assertThat(OffHeap.bytesInUse()).as("off-heap bytes after the refused load: the network it read is freed").isEqualTo(held);
        SpaceNet.load(file, 1).learner().close();
    }

    // A finished task's statistics are what inspect and metrics.json report, and its reserved indices what the loaded learner
    // keeps free of later tasks: edited by hand (a count beside indices it does not match, a neuron outside the hidden layers),
    // they are refused by name; counts beside no indices at all are statistics saved before the indices were recorded.
    @Test
    void aSavedLearnersTaskStatisticsAreCheckedAgainstItsNetwork(@TempDir Path dir) throws Exception {
        Path file = savedAfterOneTask(dir.resolve("learner.dst4j")), edited = dir.resolve("edited.dst4j");
        Copied saved = Copied.of(file, "", b -> { });
        // edit(field, layer, value): the first task's entry of that layer, a count or (a List) the indices
        record Edit(String field, int layer, Object value, String refused) {}
        List<Edit> edits = List.of(
                new Edit("reserved_neurons", 1, 40, "task 0 counts 40 reserved and 8 selected neurons in layer 1 beside 4 and 8 indices"),
                new Edit("selected_neurons", 2, 9, "task 0 counts 4 reserved and 9 selected neurons in layer 2 beside 4 and 8 indices"),
                new Edit("selected_neuron_indices", 1, List.of(0, 1, 2, 3, 4, 5, 6, 24), "task 0 selected neuron 24 of layer 1, which is not a hidden neuron"),
                new Edit("selected_neuron_indices", 3, List.of(0), "task 0 selected neuron 0 of layer 3, which is not a hidden neuron"),
                new Edit("reserved_neuron_indices", 2, List.of(1, 2, 3, 24), "task 0 reserved neuron 24 of layer 2, which is not a hidden neuron"),
                new Edit("reserved_neuron_indices", 3, List.of(0), "task 0 reserved neuron 0 of layer 3, which is not a hidden neuron"),
                new Edit("reserved_neuron_indices", 1, List.of(), null), // as saved before the indices were recorded
                new Edit("selected_neuron_indices", 2, List.of(), null));
        for (Edit e : edits) {
            Map<String, Object> header = Json.parseObject(Json.write(saved.header()));
            @SuppressWarnings("unchecked") Map<String, Object> first = (Map<String, Object>) ((List<Object>) Json.getObject(header, SpaceNet.HEADER).get("tasks")).getFirst();
            @SuppressWarnings("unchecked") List<Object> entries = (List<Object>) first.get(e.field());
            // the output layer's count matching its one index: the index itself is what is refused
            @SuppressWarnings("unchecked") List<Object> counts = (List<Object>) first.get(e.field().replace("_indices", "s"));
            if (e.layer() == 3 && e.field().endsWith("_indices")) counts.set(3, 1);
            entries.set(e.layer(), e.value());
            CheckpointFile.write(edited, header, saved.tensors());
            if (e.refused() == null) {
                SpaceNet.load(edited, 1).learner().close();
            } else {
                long held = OffHeap.bytesInUse();
                assertThatThrownBy(() -> SpaceNet.load(edited, 1)).as("%s", e).isInstanceOf(IOException.class)
                        .hasMessage(edited + " is not a saved SpaceNet learner (" + e.refused() + ")");
                assertThat(OffHeap.bytesInUse()).as("off-heap bytes after the refused load: the network it read is freed").isEqualTo(held);
            }
        }
    }

    // A saved file's header and tensors, copied onto the heap with one tensor's bytes changed (little-endian), to write back.
    record Copied(Map<String, Object> header, List<CheckpointFile.Tensor> tensors) {
        static Copied of(Path file, String name, Consumer<ByteBuffer> change) throws IOException {
            List<CheckpointFile.Tensor> tensors = new ArrayList<>();
            try (CheckpointFile.Checkpoint c = CheckpointFile.read(file)) {
                for (String n : c.names()) {
                    CheckpointFile.Tensor t = c.tensor(n);
                    byte[] copy = t.data().toArray(ValueLayout.JAVA_BYTE);
                    if (n.equals(name)) change.accept(ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN));
                    tensors.add(new CheckpointFile.Tensor(n, t.dtype(), t.shape(), MemorySegment.ofArray(copy)));
                }
                return new Copied(c.header(), tensors);
            }
        }
    }

    // A run's checkpoint in the middle of a task keeps the task's own state: loaded and saved again, the file is the
    // same, byte for byte — every field saved is restored (importance per neuron and per connection, dropped positions
    // and those waiting for their importance back, selected neurons, biases as the task began).
    @Test
    void aLearnerSavedInTheMiddleOfATaskIsRestoredWhole(@TempDir Path dir) throws Exception {
        SpaceNetConfig cfg = new SpaceNetConfig(2, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.4, 4, 16, 0.05f, 0.9f, 1e-4f, 7, 1);
        Path first = dir.resolve("first.dst4j"), again = dir.resolve("again.dst4j");
        try (DatasetSplit data = blobs(600, 120, 3); TaskStream stream = TaskStream.split(data, 2); WorkerPool pool = new WorkerPool(1);
             SpaceNet sn = new SpaceNet(cfg, FEATURES, CLASSES)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Standardizer std = Standardizer.fitGlobal(data.train());
            sn.learn(stream.get(0), null, pk, std, QUIET);
            sn.beginTask(stream.get(1).classes());
            sn.finishTask(stream.get(1), null, pk, std, sn.taskState(), (m, s) -> {
                if (s.epochsDone != 2) return;
                try {
                    sn.saveInTask(first, std, Map.of());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        try (SpaceNet loaded = SpaceNet.load(first, 2, true).learner()) {
            assertThat(loaded.task()).isEqualTo(1);
            loaded.saveInTask(again, ModelFile.load(first, null).standardizer(), Map.of());
        }
        assertThat(Arrays.equals(Files.readAllBytes(again), Files.readAllBytes(first))).as("saved again, byte-identical").isTrue();
        Copied copied = Copied.of(first, "spacenet.in_task.selected.1", b -> b.putInt(0, 24));
        Map<String, Object> header = copied.header();
        List<CheckpointFile.Tensor> tensors = copied.tensors();
        assertThat(tensors.stream().filter(t -> t.name().startsWith("spacenet.in_task.dropped_at.")).mapToLong(t -> t.elements()).sum())
                .as("positions dropped so far").isPositive();
        // the arrays are tensors: the header stays small however large the network (it holds at most 64 MiB)
        Map<String, Object> in = Json.getObject(Json.getObject(header, SpaceNet.HEADER), "in_task");
        assertThat(in).containsOnlyKeys("task", "classes");
        Path edited = dir.resolve("edited.dst4j");
        CheckpointFile.write(edited, header, tensors);
        long held = OffHeap.bytesInUse();
        assertThatThrownBy(() -> SpaceNet.load(edited, 1, true)).isInstanceOf(IOException.class)
                .hasMessage(edited + " is not a saved SpaceNet learner (tensor 'spacenet.in_task.selected.1': neuron 24 of 24)");
        assertThat(OffHeap.bytesInUse()).as("off-heap bytes after the refused load: the learner it made is freed").isEqualTo(held);
        // a dropped position one past its layer (20 x 24), a position waiting for its importance in the output layer, which
        // keeps its connections (it would index past the layers), and an output layer without its parked values
        assertThat(tensors.stream().filter(t -> t.name().equals("spacenet.in_task.dropped_at.0")).findFirst().orElseThrow().elements()).isPositive();
        assertThat(tensors.stream().filter(t -> t.name().equals("spacenet.in_task.pending_restore")).findFirst().orElseThrow().elements()).isPositive();
        Copied outside = Copied.of(first, "spacenet.in_task.dropped_at.0", b -> b.putLong(0, 20 * 24));
        CheckpointFile.write(edited, outside.header(), outside.tensors());
        assertThatThrownBy(() -> SpaceNet.load(edited, 1, true)).isInstanceOf(IOException.class)
                .hasMessage(edited + " is not a saved SpaceNet learner (tensor 'spacenet.in_task.dropped_at.0': position 480 outside the layer)");
        Copied lastLayer = Copied.of(first, "spacenet.in_task.pending_restore", b -> b.putLong(0, 3));
        CheckpointFile.write(edited, lastLayer.header(), lastLayer.tensors());
        assertThatThrownBy(() -> SpaceNet.load(edited, 1, true)).isInstanceOf(IOException.class)
                .hasMessage(edited + " is not a saved SpaceNet learner (tensor 'spacenet.in_task.pending_restore': layer 3)");
        Copied whole = Copied.of(first, "", b -> { });
        CheckpointFile.write(edited, whole.header(), whole.tensors().stream().filter(t -> !t.name().equals("layer.2.side.parked")).toList());
        assertThatThrownBy(() -> SpaceNet.load(edited, 1, true)).isInstanceOf(IOException.class)
                .hasMessage(edited + " is not a saved SpaceNet learner (the output layer has no 'parked' array)");
        // the output layer drops nothing, so its importance list is empty: one more value is not the file's
        List<CheckpointFile.Tensor> extra = whole.tensors().stream().map(t -> t.name().equals("spacenet.in_task.dropped_at_importance.2")
                ? CheckpointFile.Tensor.of(t.name(), new float[] {1f}) : t).toList();
        assertThat(whole.tensors().stream().filter(t -> t.name().equals("spacenet.in_task.dropped_at_importance.2")).findFirst().orElseThrow().elements()).isZero();
        CheckpointFile.write(edited, whole.header(), extra);
        assertThatThrownBy(() -> SpaceNet.load(edited, 1, true)).isInstanceOf(IOException.class)
                .hasMessage(edited + " is not a saved SpaceNet learner (tensor 'spacenet.in_task.dropped_at_importance.2' has 1 values, not 0)");
        assertThat(OffHeap.bytesInUse()).as("off-heap bytes after the refused loads").isEqualTo(held);
        // the first position of a layer (row 0, column 0) is one, in the dropped positions and in those waiting for their importance
        Copied origin = Copied.of(first, "spacenet.in_task.pending_restore", b -> b.putLong(0, 0).putLong(8, 0));
        CheckpointFile.write(edited, origin.header(), origin.tensors());
        SpaceNet.load(edited, 1, true).learner().close();
        // a selected neuron the first task reserved, a NaN importance: taken as they are, the task would go on from a
        // state no run reaches
        @SuppressWarnings("unchecked") List<Object> firstTask = (List<Object>) Json.getObject(header, SpaceNet.HEADER).get("tasks");
        @SuppressWarnings("unchecked") int reserved = ((Number) ((List<Object>) ((List<Object>) ((Map<String, Object>) firstTask.getFirst())
                .get("reserved_neuron_indices")).get(1)).getFirst()).intValue();
        Copied taken = Copied.of(first, "spacenet.in_task.selected.1", b -> b.putInt(0, reserved));
        CheckpointFile.write(edited, taken.header(), taken.tensors());
        assertThatThrownBy(() -> SpaceNet.load(edited, 1, true)).isInstanceOf(IOException.class)
                .hasMessageContaining("tensor 'spacenet.in_task.selected.1': neuron " + reserved + ", which task 1 reserved");
        Copied nan = Copied.of(first, "spacenet.in_task.neuron_importance.1", b -> b.putDouble(0, Double.NaN));
        CheckpointFile.write(edited, nan.header(), nan.tensors());
        assertThatThrownBy(() -> SpaceNet.load(edited, 1, true)).isInstanceOf(IOException.class)
                .hasMessageContaining("neuron 0 has NaN and").hasMessageContaining("expected finite sums");
        Map<String, Object> legacy = new LinkedHashMap<>(header), own = new LinkedHashMap<>(Json.getObject(header, SpaceNet.HEADER)),
                inJson = new LinkedHashMap<>(in);
        inJson.put("neuron_importance_bits", List.of());
        own.put("in_task", inJson);
        legacy.put(SpaceNet.HEADER, own);
        CheckpointFile.write(edited, legacy, tensors);
        assertThatThrownBy(() -> SpaceNet.load(edited, 1, true)).isInstanceOf(IOException.class)
                .hasMessageContaining("as an earlier dst4j build wrote it");
        // not a model to predict with, so not what the public load gives
        assertThatThrownBy(() -> SpaceNet.load(first, 1)).isInstanceOf(IOException.class)
                .hasMessageContaining("in the middle of a task");
    }

    // The trainer counts one task's epochs: "no epoch was completed" from task 2 would read as if the whole run had none.
    @Test
    void anInterruptedRunSaysWhichTaskItStoppedIn(@TempDir Path dir) throws Exception {
        SpaceNetConfig cfg = new SpaceNetConfig(3, new int[] {48, 48}, new int[] {120, 80, 20}, 14, 7, 0.2, 2, 16, 0.05f, 0f, 0f, 5, 1);
        boolean[] firstTaskDone = {false};
        TrainingProgress interruptInTask2 = new TrainingProgress() {
            @Override public void epoch(String phase, EpochMetrics m) {
                if (phase.equals("spacenet task 1") && m.epoch() == 2) firstTaskDone[0] = true;
            }

            @Override public void batch(int epoch, int done, int total) {
                if (firstTaskDone[0] && done == 1) Thread.currentThread().interrupt();
            }
        };
        try (DatasetSplit data = blobs(600, 150, 4)) {
            assertThatThrownBy(() -> SpaceNetRun.run(cfg, data, true, false, dir, interruptInTask2))
                    .isInstanceOf(CancellationException.class)
                    .hasMessageStartingWith("SpaceNet, task 2 of 3: training interrupted after step 1 (epoch 1, 1 of ")
                    .hasMessageEndingWith("batches trained); no epoch was completed");
        } finally {
            Thread.interrupted(); // not for the next test on this thread
        }
    }

    // The baselines name themselves and, for fine-tuning, the task it stopped in (its phases count tasks from 1, like SpaceNet's).
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "fine-tuning task 1 | 2 | fine-tuning baseline, task 2 of 3: training interrupted after step 1 (epoch 1, 1 of ",
        "fine-tuning task 3 | 2 | joint-training baseline: training interrupted after step 1 (epoch 1, 1 of "})
    void anInterruptedBaselineSaysWhereItStopped(String after, int lastEpoch, String message, @TempDir Path dir) {
        SpaceNetConfig cfg = new SpaceNetConfig(3, new int[] {24, 24}, new int[] {60, 40, 16}, 8, 4, 0.2, 2, 16, 0.05f, 0f, 0f, 5, 1);
        boolean[] done = {false};
        TrainingProgress interrupt = new TrainingProgress() {
            @Override public void epoch(String phase, EpochMetrics m) {
                if (phase.equals(after) && m.epoch() == lastEpoch) done[0] = true;
            }

            @Override public void batch(int epoch, int d, int total) {
                if (done[0] && d == 1) Thread.currentThread().interrupt();
            }
        };
        try (DatasetSplit data = blobs(240, 60, 4)) {
            assertThatThrownBy(() -> SpaceNetRun.run(cfg, data, true, true, dir, interrupt))
                    .isInstanceOf(CancellationException.class)
                    .hasMessageStartingWith(message).hasMessageEndingWith("batches trained); no epoch was completed");
        } finally {
            Thread.interrupted(); // not for the next test on this thread
        }
    }

    @Test
    void remembersEarlierTasksWhereFineTuningForgets(@TempDir Path dir) throws Exception {
        SpaceNetConfig cfg = new SpaceNetConfig(3, new int[] {48, 48}, new int[] {120, 80, 20}, 14, 7, 0.2, 4, 16, 0.05f, 0f, 0f, 5, 2);
        SpaceNetRun.Result r;
        double saved, elapsed;
        try (DatasetSplit data = blobs(1200, 300, 4)) {
            long t0 = System.nanoTime();
            r = SpaceNetRun.run(cfg, data, true, true, dir, new TrainingProgress() {});
            elapsed = (System.nanoTime() - t0) / 1e9;
            // The network after the last task is saved as a classifier of every class.
            try (SparseClassifier c = SparseClassifier.load(dir.resolve(SpaceNetRun.MODEL), 1)) {
                saved = c.evaluate(data.test()).accuracy();
            }
        }
        // The test set's classes are equally many, so the tasks' mean accuracy after the last task is the whole set's.
        assertThat(saved).isCloseTo(r.methods().get(0).averageAccuracy(), within(1e-9));
        SpaceNetRun.Method sn = r.methods().get(0), ft = r.methods().get(1), joint = r.methods().get(2);
        assertThat(sn.name()).isEqualTo("SpaceNet");
        // each method's clock is its share of the run's (in seconds, not nanoseconds)
        assertThat(r.methods()).allSatisfy(x -> assertThat(x.seconds()).as(x.name()).isPositive().isLessThanOrEqualTo(elapsed));
        assertThat(sn.seconds() + ft.seconds() + joint.seconds()).isLessThanOrEqualTo(elapsed);
        // fine-tuning predicts only the newest classes: the first task is forgotten
        assertThat(ft.accuracy()[0][2]).isLessThan(0.2);
        assertThat(sn.accuracy()[0][2]).isGreaterThan(ft.accuracy()[0][2] + 0.3);
        assertThat(sn.averageAccuracy()).isGreaterThan(ft.averageAccuracy() + 0.1);
        assertThat(sn.averageForgetting()).isLessThan(ft.averageForgetting());
        assertThat(joint.averageAccuracy()).isGreaterThan(0.9);
        assertThat(r.reservedNeuronShare()).isEqualTo(3 * 7 * 2 / 96.0);
        assertThat(Files.size(dir.resolve(SpaceNetRun.CHART))).isPositive();
        Map<String, Object> m = Json.parseObject(Files.readString(dir.resolve(SpaceNetRun.METRICS)));
        assertThat((List<?>) m.get("methods")).hasSize(3);
        assertThat((List<?>) m.get("tasks")).hasSize(3);
    }

    // The resume and save-and-load tests compare a learner's task statistics with isEqualTo: equal by content, and unequal
    // when any count or index differs (an equals that always held would let every one of them pass).
    @Test
    void taskStatisticsAreEqualByContentOnly() {
        int[][] reserved = {{}, {1, 3}, {}}, selected = {{}, {1, 2, 3}, {}};
        SpaceNet.TaskStats a = new SpaceNet.TaskStats(0, new long[] {5, 2}, new int[] {0, 2, 0}, new int[] {0, 3, 0}, reserved, selected);
        assertThat(a).isEqualTo(new SpaceNet.TaskStats(0, new long[] {5, 2}, new int[] {0, 2, 0}, new int[] {0, 3, 0}, reserved, selected))
                .hasSameHashCodeAs(new SpaceNet.TaskStats(0, new long[] {5, 2}, new int[] {0, 2, 0}, new int[] {0, 3, 0}, reserved, selected));
        assertThat(a).isNotEqualTo(new SpaceNet.TaskStats(1, new long[] {5, 2}, new int[] {0, 2, 0}, new int[] {0, 3, 0}, reserved, selected))
                .isNotEqualTo(new SpaceNet.TaskStats(0, new long[] {5, 3}, new int[] {0, 2, 0}, new int[] {0, 3, 0}, reserved, selected))
                .isNotEqualTo(new SpaceNet.TaskStats(0, new long[] {5, 2}, new int[] {0, 2, 0}, new int[] {0, 3, 0}, new int[][] {{}, {1, 2}, {}}, selected));
        assertThat(a.toString()).contains("[1, 3]");
    }

    @Test
    void forgettingAndAverageOnAKnownMatrix() {
        double n = Double.NaN;
        SpaceNetRun.Method m = new SpaceNetRun.Method("x", new double[][] {{0.9, 0.8, 0.5}, {n, 0.7, 0.6}, {n, n, 0.9}}, 0, 0);
        assertThat(m.averageAccuracy()).isCloseTo((0.5 + 0.6 + 0.9) / 3, offset(1e-12));
        assertThat(m.averageForgetting()).isCloseTo(((0.9 - 0.5) + (0.7 - 0.6)) / 2, offset(1e-12));
    }

    // The best accuracy is taken over the columns before the last only: a task that gained by the end has negative
    // forgetting (backward transfer), not 0; two tasks are enough for a forgetting; one column (joint training) has none.
    @Test
    void forgettingComparesWithTheColumnsBeforeTheLastOnly() {
        double n = Double.NaN;
        SpaceNetRun.Method gained = new SpaceNetRun.Method("x", new double[][] {{0.5, 0.9}, {n, 0.8}}, 0, 0);
        assertThat(gained.averageForgetting()).isCloseTo(0.5 - 0.9, offset(1e-12));
        assertThat(gained.averageAccuracy()).isCloseTo((0.9 + 0.8) / 2, offset(1e-12));
        SpaceNetRun.Method lost = new SpaceNetRun.Method("x", new double[][] {{0.9, 0.3}, {n, 0.8}}, 0, 0);
        assertThat(lost.averageForgetting()).isCloseTo(0.9 - 0.3, offset(1e-12));
        SpaceNetRun.Method joint = new SpaceNetRun.Method("x", new double[][] {{0.9}, {0.4}}, 0, 0);
        assertThat(joint.averageForgetting()).isZero();
    }

    @Test
    void cliRunsAndRejectsBadTaskCounts(@TempDir Path dir) throws Exception {
        PrintStream stdout = System.out, stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream(), errors = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        System.setErr(new PrintStream(errors, true));
        try {
            assertThat(Main.run(new String[] {"spacenet", "--limit-train", "1000", "--limit-test", "300", "--epochs", "1", "--no-baselines",
                "--threads", "2", "--out", dir.toString()})).isZero();
            // the first 1,000 images: 178 in the smallest task, 2 steps; said, as it explains the near-chance figures
            assertThat(errors.toString()).contains("dst4j spacenet: note: the smallest task has 178 training samples, 2 SGD steps at --batch 128 and --epochs 1");
            errors.reset();
            // over 100 images per task at batch 2 and 2 epochs: over 100 steps, no note
            assertThat(Main.run(new String[] {"spacenet", "--limit-train", "800", "--limit-test", "100", "--epochs", "2", "--batch", "2", "--no-baselines",
                "--hidden", "40,40", "--connections", "200,60,10", "--selected", "8", "--reserved", "4", "--threads", "2", "--out", dir.resolve("b").toString()})).isZero();
            assertThat(errors.toString()).doesNotContain("note:");
            // Refused before training; had a check let one through, it writes here, not into runs/ in the working directory.
            String refused = dir.resolve("refused").toString();
            assertThat(Main.run(new String[] {"spacenet", "--tasks", "11", "--limit-train", "100", "--limit-test", "50", "--out", refused})).isEqualTo(2);
            assertThat(Main.run(new String[] {"spacenet", "--connections", "10,10", "--out", refused})).isEqualTo(2);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        assertThat(captured.toString()).contains("SpaceNet", "hidden neurons reserved");
        assertThat(Files.exists(dir.resolve(SpaceNetRun.METRICS))).isTrue();
    }
}
