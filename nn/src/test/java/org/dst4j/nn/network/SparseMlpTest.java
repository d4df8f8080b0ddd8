package org.dst4j.nn.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
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
import org.dst4j.nn.optim.Adam;
import org.dst4j.nn.optim.Optimizer;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.Kernels;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;

class SparseMlpTest {

    private static MlpConfig config(String hidden, float dropout) {
        return new MlpConfig(new int[] {20, 64, 32, 4}, hidden, 0.6f, Activation.linear(), dropout,
                new Density.ErdosRenyi(5), new WeightInit.HeUniform());
    }

    // Trains on blobs with SET evolution; returns test accuracy and the final weights' bytes.
    private static double[] train(int threads, String hidden, Optimizer opt, float lr, byte[][] weightsOut) {
        Blobs train = Blobs.make(600, 20, 4, 1.2f, 1), test = Blobs.make(300, 20, 4, 1.2f, 1 + 0 * 2);
        Blobs testSet = Blobs.make(300, 20, 4, 1.2f, 1);
        try (WorkerPool pool = new WorkerPool(threads);
             SparseMlp net = SparseMlp.create(config(hidden, 0.1f), new RandomStream(7), 99);
             DenseMatrix x = DenseMatrix.allocate(20, 32)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            net.attach(opt);
            Loss loss = new SoftmaxCrossEntropy();
            TopologyEvolution evo = TopologyEvolution.set(0.2, new WeightInit.HeUniform());
            RandomStream shuffle = new RandomStream(5), evolve = new RandomStream(6);
            int[] order = new int[train.n()];
            long step = 0;
            int epochs = 12;
            long connections = net.connections();
            for (int e = 0; e < epochs; e++) {
                for (int i = 0; i < order.length; i++) order[i] = i;
                shuffle.shuffle(order);
                int[] labels = new int[order.length];
                for (int i = 0; i < order.length; i++) labels[i] = train.y()[order[i]];
                for (int from = 0; from < order.length; from += 32) {
                    int n = Math.min(32, order.length - from);
                    DenseMatrix xb = x.columns(n);
                    for (int c = 0; c < n; c++) for (int f = 0; f < 20; f++) xb.set(f, c, train.x()[order[from + c] * 20 + f]);
                    net.trainBatch(pk, xb, labels, from, null, loss, opt, lr, step++);
                }
                if (evo.schedule().afterEpoch(e, epochs)) {
                    net.evolve(evo, evo.schedule().fraction(e, epochs), evolve);
                    assertThat(net.connections()).isEqualTo(connections);
                }
            }
            int correct = 0;
            for (int from = 0; from < testSet.n(); from += 32) {
                int n = Math.min(32, testSet.n() - from);
                DenseMatrix xb = x.columns(n);
                for (int c = 0; c < n; c++) for (int f = 0; f < 20; f++) xb.set(f, c, testSet.x()[(from + c) * 20 + f]);
                correct += SparseMlp.countCorrect(net.predict(pk, xb), testSet.y(), from);
            }
            if (weightsOut != null) {
                for (int l = 0; l < net.layers().size(); l++) {
                    SparseLinear layer = net.layers().get(l);
                    weightsOut[l] = layer.weights().values().asSlice(0, layer.connections() * 4).toArray(ValueLayout.JAVA_BYTE);
                }
            }
            return new double[] {(double) correct / testSet.n()};
        }
    }

    @Test
    void everyEvolutionDrawsFreshRandomness() {
        // split() leaves its parent as it was; evolve must still move the stream on, or each epoch would
        // regrow from the same random sequence
        try (SparseMlp net = SparseMlp.create(config("relu", 0f), new RandomStream(7), 99)) {
            TopologyEvolution evo = TopologyEvolution.set(0.3, new WeightInit.HeUniform());
            RandomStream rnd = new RandomStream(6);
            long[] s0 = rnd.state();
            net.evolve(evo, 0.3, rnd);
            long[] s1 = rnd.state();
            net.evolve(evo, 0.3, rnd);
            assertThat(s1).isNotEqualTo(s0);
            assertThat(rnd.state()).isNotEqualTo(s1);
        }
    }

    @Test
    void trainingFlopsChargeTwoProductsToTheFirstLayerThreeToTheOthersAndGradientRegrowth() {
        // Sizes 5-7-6-3, batch of 4: 2 FLOPs per connection, sample and product; the first layer has the forward
        // and weight-gradient products (2), the others the transposed product too (3). Dense, per step:
        // 2 * 4 * (2*5*7 + 3*7*6 + 3*6*3) = 8 * (70 + 126 + 54) = 2000.
        MlpConfig cfg = new MlpConfig(new int[] {5, 7, 6, 3}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.5),
                new WeightInit.XavierUniform());
        Blobs data = Blobs.make(4, 5, 3, 0.5f, 3);
        try (WorkerPool pool = new WorkerPool(1);
             SparseMlp net = SparseMlp.create(cfg, new RandomStream(3), 1);
             DenseMatrix x = DenseMatrix.allocate(5, 4)) {
            for (int c = 0; c < 4; c++) for (int f = 0; f < 5; f++) x.set(f, c, data.x()[c * 5 + f]);
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Sgd sgd = new Sgd(0.9f, 0f);
            net.attach(sgd);
            List<SparseLinear> layers = net.layers();
            long sparse = 2L * 4 * (2 * layers.get(0).connections() + 3 * layers.get(1).connections() + 3 * layers.get(2).connections());
            assertThat(net.trainingFlops()).isZero();
            net.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), sgd, 0.1f, 0);
            assertThat(net.trainingFlops()).isEqualTo(sparse);
            assertThat(net.denseTrainingFlops()).isEqualTo(2000);
            net.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), sgd, 0.1f, 1);
            assertThat(net.trainingFlops()).isEqualTo(2 * sparse);
            assertThat(net.denseTrainingFlops()).isEqualTo(4000);
            // Gradient regrowth's dense gradient is charged on top; denseTrainingFlops is steps only.
            TopologyEvolution evo = TopologyEvolution.magnitude(new GradientGrow(), EvolutionSchedule.everyEpoch(0.3));
            long regrowth = net.evolve(evo, 0.3, new RandomStream(5), pk).stream().mapToLong(TopologyEvolution.Report::flops).sum();
            assertThat(regrowth).isPositive();
            assertThat(net.trainingFlops()).isEqualTo(2 * sparse + regrowth);
            assertThat(net.denseTrainingFlops()).isEqualTo(4000);
        }
    }

    @Test
    void learnsBlobsWellAboveChanceWithSgdAndAdam() {
        assertThat(train(2, "relu", new Sgd(0.9f, 1e-4f), 0.05f, null)[0]).isGreaterThan(0.9);
        assertThat(train(2, "allrelu", Adam.withWeightDecay(0f), 0.003f, null)[0]).isGreaterThan(0.9);
        assertThat(train(1, "tanh", new Sgd(0.9f, 0f), 0.05f, null)[0]).isGreaterThan(0.9);
    }

    @Test
    void sameSeedGivesIdenticalWeightsWithOneAndTwoThreads() {
        byte[][] one = new byte[3][], two = new byte[3][];
        double a = train(1, "relu", new Sgd(0.9f, 1e-4f), 0.05f, one)[0];
        double b = train(2, "relu", new Sgd(0.9f, 1e-4f), 0.05f, two)[0];
        assertThat(b).isEqualTo(a);
        for (int l = 0; l < 3; l++) assertThat(two[l]).isEqualTo(one[l]);
    }

    /** The backends an nn test covers: the scalar kernels and the Panama SIMD ones (at this JVM's width). */
    static List<Kernels> backends() {
        return List.of(KernelProvider.scalar(), KernelProvider.panama());
    }

    static String label(Kernels k) {
        return k.name() + "/" + k.floatLanes();
    }

    /**
     * Finite differences through every layer, on every backend: the analytic weight and bias gradients
     * (one plain SGD step with lr 1, so averaged over the batch as the optimizers average them) match.
     */
    @Test
    void gradientsMatchFiniteDifferences() {
        for (Kernels k : backends()) {
            for (String hidden : new String[] {"tanh", "sigmoid", "allrelu"}) {
                for (Loss loss : new Loss[] {new SoftmaxCrossEntropy(), new MeanSquaredError()}) {
                    checkGradient(k, hidden, loss);
                }
            }
        }
    }

    private static void checkGradient(Kernels kernels, String hidden, Loss loss) {
        MlpConfig cfg = new MlpConfig(new int[] {5, 7, 6, 3}, hidden, 0.6f, Activation.linear(), 0f,
                new Density.Uniform(0.6), new WeightInit.XavierUniform());
        // 9 samples: a whole SIMD vector of columns and a tail at 4 and 8 lanes
        Blobs data = Blobs.make(9, 5, 3, 0.5f, 3);
        try (WorkerPool pool = new WorkerPool(1);
             SparseMlp net = SparseMlp.create(cfg, new RandomStream(11), 1);
             DenseMatrix x = DenseMatrix.allocate(5, 9)) {
            ParallelKernels pk = new ParallelKernels(kernels, pool);
            for (int c = 0; c < 9; c++) for (int f = 0; f < 5; f++) x.set(f, c, data.x()[c * 5 + f]);
            // Plain SGD with lr 1 and no momentum: the weight change is exactly -gradient.
            Sgd sgd = new Sgd(0f, 0f);
            net.attach(sgd);
            // Non-zero biases: the gradients are checked away from the initial point, and a neuron left without
            // inputs (layer 0 has one) does not sit on ReLU's kink, where no finite difference matches.
            for (SparseLinear layer : net.layers()) {
                for (int j = 0; j < layer.out(); j++) layer.bias().setAtIndex(ValueLayout.JAVA_FLOAT, j, 0.1f * (j % 3 - 1) + 0.05f);
            }
            String what = label(kernels) + " " + hidden + " " + loss;
            for (int l = 0; l < net.layers().size(); l++) {
                SparseLinear layer = net.layers().get(l);
                for (long k = 0; k < layer.connections(); k += 3) {
                    checkOne(net, pk, x, data.y(), loss, sgd, layer.weights().values(), k, index(net, layer, k),
                            what + " layer " + l + " weight " + k);
                }
                for (int j = 0; j < layer.out(); j++) {
                    checkOne(net, pk, x, data.y(), loss, sgd, layer.bias(), j, index(net, layer, layer.connections() + j),
                            what + " layer " + l + " bias " + j);
                }
            }
        }
    }

    // Parameter k of the float segment v (snapshot position `at`): its central difference against one SGD step.
    private static void checkOne(SparseMlp net, ParallelKernels pk, DenseMatrix x, int[] y, Loss loss, Sgd sgd,
                                 MemorySegment v, long k, int at, String what) {
        float w0 = v.getAtIndex(ValueLayout.JAVA_FLOAT, k);
        double h = 1e-3; // small enough not to cross a ReLU kink, large enough for float loss differences
        v.setAtIndex(ValueLayout.JAVA_FLOAT, k, (float) (w0 + h));
        double up = lossOf(net, pk, x, y, loss);
        v.setAtIndex(ValueLayout.JAVA_FLOAT, k, (float) (w0 - h));
        double down = lossOf(net, pk, x, y, loss);
        v.setAtIndex(ValueLayout.JAVA_FLOAT, k, w0);
        double numeric = (up - down) / (2 * h) / x.cols();
        float[] before = snapshot(net);
        net.trainBatch(pk, x, y, 0, null, loss, sgd, 1f, 0);
        float[] after = snapshot(net);
        double analytic = before[at] - after[at];
        restore(net, before);
        assertThat(analytic).as(what).isCloseTo(numeric, within(2e-3 + 2e-2 * Math.abs(numeric)));
    }

    private static double lossOf(SparseMlp net, ParallelKernels pk, DenseMatrix x, int[] y, Loss loss) {
        return loss.compute(pk, net.predict(pk, x), y, 0, null, null, 1f);
    }

    private static int index(SparseMlp net, SparseLinear layer, long k) {
        int base = 0;
        for (SparseLinear l : net.layers()) {
            if (l == layer) return base + (int) k;
            base += (int) l.connections() + l.out();
        }
        throw new AssertionError();
    }

    private static float[] snapshot(SparseMlp net) {
        float[] all = new float[0];
        for (SparseLinear l : net.layers()) {
            float[] w = l.weights().values().asSlice(0, l.connections() * 4).toArray(ValueLayout.JAVA_FLOAT);
            float[] b = l.bias().asSlice(0, l.out() * 4L).toArray(ValueLayout.JAVA_FLOAT);
            float[] next = Arrays.copyOf(all, all.length + w.length + b.length);
            System.arraycopy(w, 0, next, all.length, w.length);
            System.arraycopy(b, 0, next, all.length + w.length, b.length);
            all = next;
        }
        return all;
    }

    private static void restore(SparseMlp net, float[] all) {
        int p = 0;
        for (SparseLinear l : net.layers()) {
            for (long k = 0; k < l.connections(); k++) l.weights().setValue(k, all[p++]);
            for (int j = 0; j < l.out(); j++) l.bias().setAtIndex(ValueLayout.JAVA_FLOAT, j, all[p++]);
        }
    }

    // Not the runtime's "Already closed" from the layers' freed memory, which names no network.
    @Test
    void attachingOrEvolvingAClosedNetworkSaysItIsClosed() {
        SparseMlp net = SparseMlp.create(config("relu", 0f), new RandomStream(7), 99);
        net.close();
        assertThatThrownBy(() -> net.attach(Adam.withWeightDecay(0f))).isInstanceOf(IllegalStateException.class).hasMessage("the network is closed");
        assertThatThrownBy(() -> net.evolve(TopologyEvolution.set(0.2, new WeightInit.HeUniform()), 0.2, new RandomStream(1)))
                .isInstanceOf(IllegalStateException.class).hasMessage("the network is closed");
    }

    // Not an array index out of bounds inside the loss, after the forward pass.
    @Test
    void aTrainingBatchWhoseLabelsOrTargetsDoNotCoverItIsRefusedBeforeTheStep() {
        try (WorkerPool pool = new WorkerPool(1);
             SparseMlp net = SparseMlp.create(config("relu", 0f), new RandomStream(7), 99);
             DenseMatrix x = DenseMatrix.allocate(20, 3);
             DenseMatrix narrow = DenseMatrix.allocate(4, 2)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Sgd sgd = new Sgd(0.9f, 0f);
            net.attach(sgd);
            float[] before = net.layers().getFirst().weights().values().asSlice(0, 4 * net.layers().getFirst().connections())
                    .toArray(ValueLayout.JAVA_FLOAT);
            assertThatThrownBy(() -> net.trainBatch(pk, x, new int[] {0, 1}, 0, null, new SoftmaxCrossEntropy(), sgd, 0.1f, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("labels: a batch of 3 samples from offset 0 needs labels[0 .. 2], got 2 labels");
            assertThatThrownBy(() -> net.trainBatch(pk, x, new int[] {0, 1, 2}, 1, null, new SoftmaxCrossEntropy(), sgd, 0.1f, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("labels: a batch of 3 samples from offset 1");
            assertThatThrownBy(() -> net.trainBatch(pk, x, null, 0, narrow, new MeanSquaredError(), sgd, 0.1f, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("targets: expected 4 rows (the outputs) and at least 3 columns (the batch), got 4 x 2");
            assertThatThrownBy(() -> net.trainBatch(pk, x, null, 0, null, new SoftmaxCrossEntropy(), sgd, 0.1f, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("labels: null, but the loss SoftmaxCrossEntropy needs labels");
            assertThatThrownBy(() -> net.trainBatch(pk, x, new int[3], 0, null, null, sgd, 0.1f, 0))
                    .isInstanceOf(NullPointerException.class).hasMessage("loss");
            assertThat(net.layers().getFirst().weights().values().asSlice(0, 4 * net.layers().getFirst().connections())
                    .toArray(ValueLayout.JAVA_FLOAT)).containsExactly(before);
        }
    }
}
