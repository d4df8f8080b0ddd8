package org.dst4j.nn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.evolution.EvolutionSchedule;
import org.dst4j.nn.evolution.GradientGrow;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.loss.Loss;
import org.dst4j.nn.loss.MeanSquaredError;
import org.dst4j.nn.loss.SoftmaxCrossEntropy;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.MultiHeadMlp;
import org.dst4j.nn.network.Network;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;

class TrainerTest {
    static final int FEATURES = 12, CLASSES = 3;

    // Gaussian blobs around one centre per class.
    static Dataset blobs(String name, int n, long seed) {
        RandomStream rnd = new RandomStream(seed), centres = new RandomStream(1);
        float[][] c = new float[CLASSES][FEATURES];
        for (float[] row : c) for (int f = 0; f < FEATURES; f++) row[f] = (float) centres.nextGaussian();
        float[] x = new float[n * FEATURES];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % CLASSES;
            for (int f = 0; f < FEATURES; f++) x[i * FEATURES + f] = c[y[i]][f] + (float) rnd.nextGaussian();
        }
        return Dataset.of(name, x, n, FEATURES, y, CLASSES);
    }

    static MlpConfig config() {
        return new MlpConfig(new int[] {FEATURES, 24, 16, CLASSES}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.5),
                new WeightInit.HeUniform());
    }

    static Trainer trainer(ParallelKernels pk) {
        // RigL regrowth reads the last training batch's activations and deltas after the epoch's evaluation.
        TopologyEvolution rigl = TopologyEvolution.magnitude(new GradientGrow(), EvolutionSchedule.everyEpoch(0.4));
        return new Trainer(pk, new Trainer.Settings(4, 16, new LearningRate.Constant(0.05f), new Sgd(0.9f, 0f), new SoftmaxCrossEntropy(), rigl, 50));
    }

    static List<String> weights(List<SparseLinear> layers) {
        List<String> w = new ArrayList<>();
        for (SparseLinear l : layers) {
            w.add(Arrays.toString(l.weights().colIdx().asSlice(0, l.connections() * 4).toArray(ValueLayout.JAVA_INT)));
            w.add(Arrays.toString(l.weights().values().asSlice(0, l.connections() * 4).toArray(ValueLayout.JAVA_FLOAT)));
        }
        return w;
    }

    // Trains net; with `probe`, evaluates it at every epochTrained and checks the epoch's test figures against that.
    static void train(Network net, Dataset train, Dataset test, boolean probe) {
        try (WorkerPool pool = new WorkerPool(1)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Evaluation[] before = new Evaluation[1];
            int[] epochs = {0};
            trainer(pk).run(net, train, test, null, new Trainer.State(new RandomStream(3), new RandomStream(4)), new Trainer.Listener() {
                @Override public void epochTrained(int epoch, Trainer.State s) {
                    if (probe) before[0] = Evaluation.of(pk, net, test, null, new SoftmaxCrossEntropy(), 50);
                }

                @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                    epochs[0]++;
                    if (!probe) return;
                    assertThat(m.testLoss()).as("epoch %d", m.epoch()).isEqualTo(before[0].loss());
                    assertThat(m.testAccuracy()).as("epoch %d", m.epoch()).isEqualTo(before[0].accuracy());
                }
            });
            assertThat(epochs[0]).isEqualTo(4);
        }
    }

    @Test
    void anEpochsTestFiguresAreThoseOfTheModelBeforeItsTopologyUpdate() {
        try (Dataset train = blobs("train", 90, 5); Dataset test = blobs("test", 40, 6);
             SparseMlp probed = SparseMlp.create(config(), new RandomStream(2), 9);
             SparseMlp plain = SparseMlp.create(config(), new RandomStream(2), 9)) {
            train(probed, train, test, true);
            train(plain, train, test, false);
            // Predicting between the last batch and gradient regrowth left the regrowth as it was.
            assertThat(weights(probed.layers())).containsExactlyElementsOf(weights(plain.layers()));
        }
    }

    @Test
    void afterARunTheFreedBatchIsNotReadByALaterRegrowth() {
        try (Dataset train = blobs("train", 90, 5); Dataset test = blobs("test", 40, 6);
             SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9); WorkerPool pool = new WorkerPool(1)) {
            train(net, train, test, false);
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            // The Trainer's batch matrix is closed: the network must not regrow from it ("Already closed", or worse, stale data).
            assertThatThrownBy(() -> net.evolve(TopologyEvolution.magnitude(new GradientGrow(), EvolutionSchedule.everyEpoch(0.4)), 0.4,
                    new RandomStream(1), pk)).isInstanceOf(IllegalStateException.class).hasMessageContaining("gradient regrowth needs the gradient of a training batch");
        }
    }

    @Test
    void aMultiHeadNetworkCanBePredictedBetweenItsLastBatchAndGradientRegrowth() {
        try (Dataset train = blobs("train", 90, 5); Dataset test = blobs("test", 40, 6);
             MultiHeadMlp probed = MultiHeadMlp.create(config(), 1, 2, new RandomStream(2), new RandomStream(3));
             MultiHeadMlp plain = MultiHeadMlp.create(config(), 1, 2, new RandomStream(2), new RandomStream(3))) {
            probed.headInputDropout(0.2f, 11);
            plain.headInputDropout(0.2f, 11);
            train(probed, train, test, true);
            train(plain, train, test, false);
            assertThat(weights(probed.backbone().layers())).containsExactlyElementsOf(weights(plain.backbone().layers()));
            for (int h = 0; h < 2; h++) {
                assertThat(weights(probed.heads().get(h).layers())).containsExactlyElementsOf(weights(plain.heads().get(h).layers()));
            }
        }
    }

    // Trains net for 4 epochs of 6 batches, logging the listener's calls in `seen`; at batch interruptBatch of
    // epoch interruptEpoch (both from 1; batch 0: in that epoch's epochDone) the listener sets the interrupt
    // flag, as another thread would.
    static void interruptedRun(SparseMlp net, Dataset train, Dataset test, Trainer.State state, List<String> seen,
                               int interruptEpoch, int interruptBatch) {
        try (WorkerPool pool = new WorkerPool(1)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            trainer(pk).run(net, train, test, null, state, new Trainer.Listener() {
                @Override public void batchDone(int epoch, int done, int total) {
                    seen.add("batch " + (epoch + 1) + "." + done);
                    if (epoch + 1 == interruptEpoch && done == interruptBatch) Thread.currentThread().interrupt();
                }

                @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                    seen.add("epoch " + m.epoch());
                    if (m.epoch() == interruptEpoch && interruptBatch == 0) Thread.currentThread().interrupt();
                }
            });
        }
    }

    @Test
    void aLossNotFiniteOnTheFirstBatchBlamesTheInputsAndLaterTheLearningRate() {
        try (Dataset normal = blobs("train", 90, 5); Dataset test = blobs("test", 40, 6);
             Dataset huge = Dataset.of("huge", scaled(normal, 1e38), 90, FEATURES, normal.labels(), CLASSES);
             SparseMlp a = SparseMlp.create(config(), new RandomStream(2), 9); SparseMlp b = SparseMlp.create(config(), new RandomStream(2), 9);
             WorkerPool pool = new WorkerPool(1)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            assertThatThrownBy(() -> trainer(pk).run(a, huge, test, null, new Trainer.State(new RandomStream(3), new RandomStream(4)), (m, s) -> {}))
                    .isInstanceOf(Trainer.DivergedException.class).hasMessageStartingWith("the loss of the first batch, before any update, is ")
                    .hasMessageMatching(".*\\(its largest input's magnitude: [0-9.]+E38\\): scale the inputs \\(standardize the features\\)");
            // Inputs in range on the first batch: the initial weights are all that is left.
            MlpConfig hugeWeights = new MlpConfig(new int[] {FEATURES, 24, 16, CLASSES}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.5),
                    new WeightInit.Normal(1e30f));
            try (SparseMlp d = SparseMlp.create(hugeWeights, new RandomStream(2), 9)) {
                assertThatThrownBy(() -> trainer(pk).run(d, normal, test, null, new Trainer.State(new RandomStream(3), new RandomStream(4)), (m, s) -> {}))
                        .isInstanceOf(Trainer.DivergedException.class)
                        .hasMessageMatching("the loss of the first batch, before any update, is NaN \\(its largest input's magnitude: [0-9.]+\\): "
                                + "the initial weights are too large for the network");
            }
            // Finite at first, then overflowing through the updates: both causes are named.
            try (Dataset large = Dataset.of("large", scaled(normal, 1e20), 90, FEATURES, normal.labels(), CLASSES);
                 SparseMlp c = SparseMlp.create(config(), new RandomStream(2), 9)) {
                assertThatThrownBy(() -> trainer(pk).run(c, large, test, null, new Trainer.State(new RandomStream(3), new RandomStream(4)), (m, s) -> {}))
                        .isInstanceOf(Trainer.DivergedException.class).hasMessageStartingWith("training diverged at epoch 1, batch ")
                        .hasMessageMatching(".* on a batch with inputs as large as [0-9.]+E20 in magnitude; scale the inputs \\(standardize the features\\), "
                                + "or try a lower learning rate \\(now 0.05\\)");
            }
            Trainer fast = new Trainer(pk, new Trainer.Settings(4, 16, new LearningRate.Constant(1e30f), new Sgd(0.9f, 0f), new SoftmaxCrossEntropy(), null, 50));
            assertThatThrownBy(() -> fast.run(b, normal, test, null, new Trainer.State(new RandomStream(3), new RandomStream(4)), (m, s) -> {}))
                    .isInstanceOf(Trainer.DivergedException.class).hasMessageStartingWith("training diverged at epoch 1, batch ")
                    .hasMessageNotContaining("batch 1:").hasMessageEndingWith("; try a lower learning rate (now 1.0E30)");
        }
    }

    // Clamped to the largest finite float: the inputs stay finite, only what the network makes of them overflows.
    static float[] scaled(Dataset d, double factor) {
        float[] x = new float[d.samples() * d.features()];
        for (int i = 0; i < d.samples(); i++) {
            for (int f = 0; f < d.features(); f++) x[i * d.features() + f] = (float) Math.clamp(d.get(i, f) * factor, -Float.MAX_VALUE, Float.MAX_VALUE);
        }
        return x;
    }

    @Test
    void anInterruptStopsTrainingBeforeTheNextBatchAndKeepsTheFlag() {
        try (Dataset train = blobs("train", 90, 5); Dataset test = blobs("test", 40, 6);
             SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9); WorkerPool pool = new WorkerPool(1)) {
            List<String> seen = new ArrayList<>();
            Trainer.State state = new Trainer.State(new RandomStream(3), new RandomStream(4));
            try {
                assertThatThrownBy(() -> interruptedRun(net, train, test, state, seen, 2, 2)).isInstanceOf(CancellationException.class)
                        .hasMessage("training interrupted after step 8 (epoch 2, 2 of 6 batches trained); the last completed epoch is 1");
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(seen).endsWith("epoch 1", "batch 2.1", "batch 2.2");
            assertThat(state.epochsDone).isEqualTo(1);
            // The run's batch matrix is freed and the network no longer refers to it.
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            assertThatThrownBy(() -> net.evolve(TopologyEvolution.magnitude(new GradientGrow(), EvolutionSchedule.everyEpoch(0.4)), 0.4,
                    new RandomStream(1), pk)).isInstanceOf(IllegalStateException.class).hasMessageContaining("gradient regrowth needs the gradient of a training batch");
        }
    }

    @Test
    void anInterruptDuringEpochDoneStopsBeforeTheNextEpochAndOneAfterTheLastBatchBeforeEpochDone() {
        try (Dataset train = blobs("train", 90, 5); Dataset test = blobs("test", 40, 6);
             SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9)) {
            List<String> seen = new ArrayList<>();
            Trainer.State state = new Trainer.State(new RandomStream(3), new RandomStream(4));
            try {
                assertThatThrownBy(() -> interruptedRun(net, train, test, state, seen, 2, 0)).isInstanceOf(CancellationException.class)
                        .hasMessage("training interrupted after step 12 (epoch 3, 0 of 6 batches trained); the last completed epoch is 2");
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(seen).endsWith("batch 2.6", "epoch 2");
            assertThat(state.epochsDone).isEqualTo(2);
        }
        // Interrupted in the last batch, the epoch is not reported done: its listener would write on an interrupted thread.
        try (Dataset train = blobs("train", 90, 5); Dataset test = blobs("test", 40, 6);
             SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9)) {
            List<String> seen = new ArrayList<>();
            Trainer.State state = new Trainer.State(new RandomStream(3), new RandomStream(4));
            try {
                assertThatThrownBy(() -> interruptedRun(net, train, test, state, seen, 1, 6)).isInstanceOf(CancellationException.class)
                        .hasMessage("training interrupted after step 6 (epoch 1, 6 of 6 batches trained); no epoch was completed");
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(seen).endsWith("batch 1.5", "batch 1.6").doesNotContain("epoch 1");
            assertThat(state.epochsDone).isZero();
        }
    }

    // A listener's work on an update (logging it) is its own time, not the update's: evolution_seconds must not
    // report a listener that sleeps 100 ms per update as 0.4 s of evolution per epoch. The calls come in the
    // documented order: a step's update before its batchDone, the epoch's after epochTrained.
    @Test
    void evolutionTimeIsTheUpdatesAloneAndTheListenerHearsOfEachInOrder() {
        EvolutionSchedule everyOtherStep = new EvolutionSchedule() {
            @Override public boolean afterEpoch(int epoch, int epochs) { return epoch == 0; }

            @Override public double fraction(int epoch, int epochs) { return 0.2; }

            @Override public boolean afterStep(long step, int epoch, int epochs) { return step % 2 == 0; }
        };
        TopologyEvolution evo = TopologyEvolution.magnitude(new GradientGrow(), everyOtherStep);
        List<String> seen = new ArrayList<>();
        List<EpochMetrics> metrics = new ArrayList<>();
        try (Dataset train = blobs("train", 90, 5); Dataset test = blobs("test", 40, 6);
             SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9); WorkerPool pool = new WorkerPool(1)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            new Trainer(pk, new Trainer.Settings(2, 16, new LearningRate.Constant(0.05f), new Sgd(0.9f, 0f), new SoftmaxCrossEntropy(), evo, 50))
                    .run(net, train, test, null, new Trainer.State(new RandomStream(3), new RandomStream(4)), new Trainer.Listener() {
                        @Override public void evolved(int epoch, long step, List<TopologyEvolution.Report> reports) {
                            seen.add("evolved " + (epoch + 1) + "@" + step);
                            try {
                                Thread.sleep(400);
                            } catch (InterruptedException e) {
                                throw new AssertionError(e);
                            }
                        }

                        @Override public void batchDone(int epoch, int done, int total) { seen.add("batch " + (epoch + 1) + "." + done); }

                        @Override public void epochTrained(int epoch, Trainer.State s) { seen.add("trained " + (epoch + 1)); }

                        @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                            seen.add("epoch " + m.epoch());
                            metrics.add(m);
                        }
                    });
        }
        assertThat(seen).containsExactly("batch 1.1", "evolved 1@2", "batch 1.2", "batch 1.3", "evolved 1@4", "batch 1.4", "batch 1.5",
                "evolved 1@6", "batch 1.6", "trained 1", "evolved 1@6", "epoch 1",
                "batch 2.1", "evolved 2@8", "batch 2.2", "batch 2.3", "evolved 2@10", "batch 2.4", "batch 2.5", "evolved 2@12", "batch 2.6",
                "trained 2", "epoch 2");
        // 4 updates of a 12-24-16-3 network in epoch 1, 3 in epoch 2: milliseconds. Counting the listener's time
        // would give at least its 1.6 and 1.2 s, which are the bounds: only a stall that long inside the updates
        // themselves (a busy one-core machine) could fail this.
        assertThat(metrics.get(0).evolutionSeconds()).isPositive().isLessThan(1.6).isLessThanOrEqualTo(metrics.get(0).epochSeconds());
        assertThat(metrics.get(1).evolutionSeconds()).isLessThan(1.2);
    }

    // A batch's loss is computed before its update: a run whose last update diverged would otherwise end as if trained,
    // its network giving NaN on its own training data (and an earlier epoch's last update fail only an epoch later,
    // after its epochDone had saved the broken network).
    @Test
    void anEpochsLastUpdateThatDivergesStopsTheRunBeforeEpochDone() {
        try (Dataset train = blobs("train", 90, 5); Dataset test = blobs("test", 40, 6);
             SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9); WorkerPool pool = new WorkerPool(1)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Trainer t = new Trainer(pk, new Trainer.Settings(2, 90, new LearningRate.Constant(1e30f), new Sgd(0.9f, 0f), new SoftmaxCrossEntropy(), null, 50));
            List<EpochMetrics> done = new ArrayList<>();
            assertThatThrownBy(() -> t.run(net, train, test, null, new Trainer.State(new RandomStream(3), new RandomStream(4)), (m, s) -> done.add(m)))
                    .isInstanceOf(Trainer.DivergedException.class)
                    .hasMessage("training diverged at epoch 1, batch 1: after its update the network's outputs on that batch are not finite;"
                            + " try a lower learning rate (now 1.0E30)");
            assertThat(done).as("no epoch ended").isEmpty();
        }
    }

    // With mean squared error a label beyond the outputs would be a target of all zeros, trained on without a word.
    @Test
    void labelsBeyondTheOutputsAreRefusedBeforeAnyBatchIsTrained() {
        int[] four = new int[30];
        for (int i = 0; i < four.length; i++) four[i] = i % 4;
        try (Dataset ok = blobs("train", 30, 5); Dataset train = Dataset.of("four", new float[30 * FEATURES], 30, FEATURES, four, 4);
             SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9); WorkerPool pool = new WorkerPool(1)) {
            List<String> weights = weights(net.layers());
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            for (Loss loss : List.of(new SoftmaxCrossEntropy(), new MeanSquaredError())) {
                Trainer t = new Trainer(pk, new Trainer.Settings(1, 16, new LearningRate.Constant(0.05f), new Sgd(0.9f, 0f), loss, null, 50));
                assertThatThrownBy(() -> t.run(net, train, null, null, new Trainer.State(new RandomStream(3), new RandomStream(4)), (m, st) -> { }))
                        .isInstanceOf(IllegalArgumentException.class).hasMessage("training set four has labels up to 3, but the network has 3 outputs");
                assertThatThrownBy(() -> t.run(net, ok, train, null, new Trainer.State(new RandomStream(3), new RandomStream(4)), (m, st) -> { }))
                        .isInstanceOf(IllegalArgumentException.class).hasMessage("test set four has labels up to 3, but the network has 3 outputs");
            }
            assertThat(weights(net.layers())).containsExactlyElementsOf(weights);
        }
    }

    @Test
    void aTestSetOfAnotherWidthIsRefusedBeforeAnyBatchIsTrained() {
        try (Dataset train = blobs("train", 30, 5); Dataset test = Dataset.of("narrow", new float[10], 2, 5, new int[2], 1);
             SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9); WorkerPool pool = new WorkerPool(1)) {
            List<String> weights = weights(net.layers());
            List<String> seen = new ArrayList<>();
            Trainer.State state = new Trainer.State(new RandomStream(3), new RandomStream(4));
            assertThatThrownBy(() -> trainer(new ParallelKernels(KernelProvider.get(), pool)).run(net, train, test, null, state,
                    new Trainer.Listener() {
                        @Override public void epochDone(EpochMetrics m, Trainer.State s) { seen.add("epoch"); }
                        @Override public void batchDone(int epoch, int done, int total) { seen.add("batch"); }
                    })).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the network takes " + FEATURES + " inputs but test set narrow has 5 features");
            assertThat(seen).isEmpty();
            assertThat(state.step).isZero();
            assertThat(weights(net.layers())).containsExactlyElementsOf(weights);
        }
    }

    // Refused before any batch, not found at the end of the first with the network already trained on it.
    @Test
    void aNullListenerOrStateIsRefusedByNameBeforeAnyBatchIsTrained() {
        try (Dataset train = blobs("train", 30, 5); SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9);
             WorkerPool pool = new WorkerPool(1)) {
            List<String> weights = weights(net.layers());
            Trainer.State state = new Trainer.State(new RandomStream(3), new RandomStream(4));
            Trainer trainer = trainer(new ParallelKernels(KernelProvider.get(), pool));
            assertThatThrownBy(() -> trainer.run(net, train, null, null, state, null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("listener");
            assertThat(state.step).isZero();
            assertThat(weights(net.layers())).containsExactlyElementsOf(weights);
            assertThatThrownBy(() -> trainer.run(net, train, null, null, null, (m, s) -> { })).isInstanceOf(NullPointerException.class)
                    .hasMessage("state");
            // the JDK's message named a method called on them
            assertThatThrownBy(() -> trainer.run(null, train, null, null, state, (m, s) -> { })).isInstanceOf(NullPointerException.class)
                    .hasMessage("net");
            assertThatThrownBy(() -> trainer.run(net, null, null, null, state, (m, s) -> { })).isInstanceOf(NullPointerException.class)
                    .hasMessage("train");
        }
    }

    // An epoch's training figures are those of the training set's samples with their own labels: at learning rate 0
    // (no dropout, no evolution) the network does not move, so each epoch's training loss and accuracy must be those
    // of an evaluation of the training set.
    @Test
    void anEpochsTrainingFiguresAreTheMeanLossAndShareRightOfItsSamplesWithTheirLabels() {
        try (Dataset train = blobs("train", 90, 5); SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9);
             WorkerPool pool = new WorkerPool(1)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Evaluation expected = Evaluation.of(pk, net, train, null, new SoftmaxCrossEntropy(), 50);
            assertThat(expected.accuracy()).as("a share strictly between 0 and 1").isStrictlyBetween(0.0, 1.0);
            List<EpochMetrics> metrics = new ArrayList<>();
            new Trainer(pk, new Trainer.Settings(2, 16, new LearningRate.Constant(0f), new Sgd(0.9f, 0f), new SoftmaxCrossEntropy(), null, 50))
                    .run(net, train, null, null, new Trainer.State(new RandomStream(3), new RandomStream(4)), (m, s) -> metrics.add(m));
            assertThat(metrics).hasSize(2);
            for (EpochMetrics m : metrics) {
                assertThat(m.trainLoss()).as("epoch %d", m.epoch()).isCloseTo(expected.loss(), within(1e-6));
                assertThat(m.trainAccuracy()).as("epoch %d", m.epoch()).isEqualTo(expected.accuracy());
                assertThat(m.testLoss()).isNaN();
            }
        }
    }

    // Each epoch's samples come in the order the shuffle stream draws: another seed, another order, other weights.
    @Test
    void theShuffleStreamDecidesTheOrderOfTheSamples() {
        List<List<String>> trained = new ArrayList<>();
        for (long seed : new long[] {3, 3, 5}) {
            try (Dataset train = blobs("train", 90, 5); SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9);
                 WorkerPool pool = new WorkerPool(1)) {
                new Trainer(new ParallelKernels(KernelProvider.get(), pool), new Trainer.Settings(1, 16, new LearningRate.Constant(0.05f),
                        new Sgd(0.9f, 0f), new SoftmaxCrossEntropy(), null, 50))
                        .run(net, train, null, null, new Trainer.State(new RandomStream(seed), new RandomStream(4)), (m, s) -> { });
                trained.add(weights(net.layers()));
            }
        }
        assertThat(trained.get(1)).as("the same shuffle seed").containsExactlyElementsOf(trained.get(0));
        assertThat(trained.get(2)).as("another shuffle seed").isNotEqualTo(trained.get(0));
    }

    // The checks' edges: no epoch, batches of one sample and an evaluation batch of one are a run's settings.
    @Test
    void noEpochsAndBatchesOfOneAreSettingsAndBelowThemAreRefused() {
        Trainer.Settings edge = new Trainer.Settings(0, 1, new LearningRate.Constant(0.05f), new Sgd(0.9f, 0f), new SoftmaxCrossEntropy(), null, 1);
        assertThat(List.of(edge.epochs(), edge.batch(), edge.evalBatch())).containsExactly(0, 1, 1);
        assertThatThrownBy(() -> new Trainer.Settings(-1, 1, new LearningRate.Constant(0.05f), new Sgd(0.9f, 0f), new SoftmaxCrossEntropy(), null, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("epochs must be >= 0, got -1");
        assertThatThrownBy(() -> new Trainer.Settings(0, 0, new LearningRate.Constant(0.05f), new Sgd(0.9f, 0f), new SoftmaxCrossEntropy(), null, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("batch must be >= 1, got 0");
        assertThatThrownBy(() -> new Trainer.Settings(0, 1, new LearningRate.Constant(0.05f), new Sgd(0.9f, 0f), new SoftmaxCrossEntropy(), null, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("eval batch must be >= 1, got 0");
    }

    // Unchecked, a null learning rate, optimizer or loss failed in run, after the network's training buffers were made.
    @Test
    void settingsWithoutALearningRateOptimizerOrLossAreRefusedNamingIt() {
        LearningRate lr = new LearningRate.Constant(0.05f);
        Sgd sgd = new Sgd(0.9f, 0f);
        SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
        assertThatThrownBy(() -> new Trainer.Settings(1, 1, null, sgd, loss, null, 1)).isInstanceOf(NullPointerException.class).hasMessage("learningRate");
        assertThatThrownBy(() -> new Trainer.Settings(1, 1, lr, null, loss, null, 1)).isInstanceOf(NullPointerException.class).hasMessage("optimizer");
        assertThatThrownBy(() -> new Trainer.Settings(1, 1, lr, sgd, null, null, 1)).isInstanceOf(NullPointerException.class).hasMessage("loss");
    }

    // Every batch is standardized by the inputs' Standardizer before the network sees it, so at learning rate 0 the
    // training loss is that of an evaluation of the standardized set, not of the raw one.
    @Test
    void everyTrainingBatchIsStandardizedByTheInputsStandardizer() {
        try (Dataset train = blobs("train", 90, 5); SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9);
             WorkerPool pool = new WorkerPool(1)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            // far from standardized: each feature scaled by 5 and shifted by 3
            Standardizer input = new Standardizer(filled(3f), filled(5f));
            double standardized = Evaluation.of(pk, net, train, input, new SoftmaxCrossEntropy(), 50).loss();
            double raw = Evaluation.of(pk, net, train, null, new SoftmaxCrossEntropy(), 50).loss();
            assertThat(standardized).isNotCloseTo(raw, within(1e-3));
            List<EpochMetrics> metrics = new ArrayList<>();
            new Trainer(pk, new Trainer.Settings(1, 16, new LearningRate.Constant(0f), new Sgd(0.9f, 0f), new SoftmaxCrossEntropy(), null, 50))
                    .run(net, train, null, input, new Trainer.State(new RandomStream(3), new RandomStream(4)), (m, s) -> metrics.add(m));
            assertThat(metrics.getFirst().trainLoss()).isCloseTo(standardized, within(1e-6));
        }
    }

    private static float[] filled(float v) {
        float[] a = new float[FEATURES];
        Arrays.fill(a, v);
        return a;
    }

    // A denoising autoencoder sees each sample with its own noise (the same every epoch, or fresh each epoch) and is
    // scored against the clean sample. At learning rate 0 its training loss is the mean
    // squared error of its outputs on the noisy set against the clean one.
    @Test
    void aDenoisingAutoencoderSeesItsSamplesNoiseAndIsScoredAgainstTheCleanSample() {
        MlpConfig c = new MlpConfig(new int[] {FEATURES, 8, FEATURES}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.5),
                new WeightInit.HeUniform());
        int n = 40;
        for (InputNoise noise : new InputNoise[] {new InputNoise(0.5f, 7, false), new InputNoise(0.5f, 7, true), new InputNoise(0f, 7, false)}) {
            try (Dataset train = blobs("train", n, 5); SparseMlp net = SparseMlp.create(c, new RandomStream(2), 9);
                 WorkerPool pool = new WorkerPool(1);
                 DenseMatrix clean = DenseMatrix.allocate(FEATURES, n);
                 DenseMatrix noisy = DenseMatrix.allocate(FEATURES, n)) {
                ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
                int[] all = new int[n];
                for (int i = 0; i < n; i++) all[i] = i;
                train.gatherBatch(pool, all, 0, n, clean);
                List<EpochMetrics> metrics = new ArrayList<>();
                Trainer.State state = new Trainer.State(new RandomStream(3), new RandomStream(4));
                new Trainer(pk, new Trainer.Settings(2, 16, new LearningRate.Constant(0f), new Sgd(0.9f, 0f),
                        new MeanSquaredError(), null, 50, noise))
                        .run(net, train, null, null, state, (m, s) -> metrics.add(m));
                assertThat(metrics).hasSize(2);
                assertThat(state.step).as("3 batches of 40 samples in each of 2 epochs").isEqualTo(6);
                double[] expected = new double[2];
                for (int epoch = 0; epoch < 2; epoch++) {
                    float[] z = new float[FEATURES];
                    for (int i = 0; i < n; i++) {
                        if (noise.factor() > 0) noise.sample(noise.key(epoch), i, z);
                        for (int f = 0; f < FEATURES; f++) noisy.set(f, i, clean.get(f, i) + z[f]);
                    }
                    expected[epoch] = new MeanSquaredError().compute(pk, net.predict(pk, noisy), null, 0, clean, null, 1f) / n;
                    assertThat(metrics.get(epoch).trainLoss()).as("%s, epoch %d", noise, epoch + 1).isCloseTo(expected[epoch], within(1e-5));
                    assertThat(metrics.get(epoch).testLoss()).isNaN();
                }
                if (noise.freshEachEpoch()) assertThat(expected[1]).as("fresh noise").isNotCloseTo(expected[0], within(1e-4));
                if (noise.factor() > 0) {
                    double cleanLoss = new MeanSquaredError().compute(pk, net.predict(pk, clean), null, 0, clean, null, 1f) / n;
                    assertThat(expected[0]).as("the noise matters").isNotCloseTo(cleanLoss, within(1e-3));
                }
            }
        }
    }

    @Test
    void aDenoisingAutoencoderOfOtherOutputsThanInputsIsRefused() {
        try (Dataset train = blobs("train", 30, 5); SparseMlp net = SparseMlp.create(config(), new RandomStream(2), 9); WorkerPool pool = new WorkerPool(1)) {
            Trainer t = new Trainer(new ParallelKernels(KernelProvider.get(), pool), new Trainer.Settings(1, 16, new LearningRate.Constant(0.05f),
                    new Sgd(0.9f, 0f), new MeanSquaredError(), null, 50, new InputNoise(0.1f, 1, false)));
            assertThatThrownBy(() -> t.run(net, train, null, null, new Trainer.State(new RandomStream(3), new RandomStream(4)), (m, s) -> { }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("a denoising autoencoder needs as many outputs as inputs, got " + FEATURES + " -> " + CLASSES);
        }
    }
}
