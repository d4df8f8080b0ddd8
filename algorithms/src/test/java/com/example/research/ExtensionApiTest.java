package com.example.research;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.evolution.BatchGradient;
import org.dst4j.nn.evolution.EvolutionSchedule;
import org.dst4j.nn.evolution.GrowRule;
import org.dst4j.nn.evolution.GrowthRegion;
import org.dst4j.nn.evolution.PruneRule;
import org.dst4j.nn.evolution.RandomGrow;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.loss.SoftmaxCrossEntropy;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.Evaluation;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.random.RngStreams;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;

/**
 * A new dynamic-sparse-training method written the way a researcher outside the project would: in a
 * package of its own, with the public API only. Its parts are a SNIP-like prune by {@code |w·g|}, the
 * built-in uniform regrowth restricted to some input neurons of the first layer
 * ({@link RandomGrow#within} a {@link GrowthRegion}), a GraNet-like schedule that updates every few
 * steps and prunes more than it regrows over the first epochs, and a listener logging each layer's
 * connections. Each part's effect is checked, and the network trained with them still learns.
 */
class ExtensionApiTest {

    /** SNIP-like: removes the connections with the smallest {@code |w·g|} on the latest training batch. */
    static final class SaliencyPrune implements PruneRule {
        @Override public long prune(CsrMatrix w, double fraction, MemorySegment keep) {
            throw new IllegalStateException("saliency pruning needs the batch gradient");
        }

        @Override public long prune(CsrMatrix w, double fraction, MemorySegment keep, RandomStream rnd, BatchGradient gradient) {
            if (gradient == null) return prune(w, fraction, keep);
            int nnz = (int) w.nnz(), n = (int) Math.round(fraction * nnz);
            float[] saliency = new float[nnz];
            try (Arena arena = Arena.ofShared()) { // the kernels' threads write it
                MemorySegment g = arena.allocate(JAVA_FLOAT, Math.max(1, nnz));
                gradient.atConnections(w, g);
                for (int k = 0; k < nnz; k++) saliency[k] = Math.abs(w.value(k) * g.getAtIndex(JAVA_FLOAT, k));
            }
            Integer[] order = new Integer[nnz];
            for (int k = 0; k < nnz; k++) order[k] = k;
            Arrays.sort(order, Comparator.<Integer>comparingDouble(k -> saliency[k]).thenComparingInt(k -> k));
            for (int i = 0; i < n; i++) keep.set(JAVA_BYTE, order[i], (byte) 0);
            return n;
        }

        @Override public boolean needsGradient() { return true; }
    }

    /** GraNet-like: every {@code steps} steps, prune {@code zeta}; over the first {@code shrinkEpochs} regrow only {@code shrinkRegrowth} of it. */
    record GradualSchedule(double zeta, int steps, int shrinkEpochs, double shrinkRegrowth) implements EvolutionSchedule {
        @Override public boolean afterEpoch(int epoch, int epochs) { return false; }

        @Override public boolean afterStep(long step, int epoch, int epochs) { return step % steps == 0; }

        @Override public double fraction(int epoch, int epochs) { return zeta; }

        @Override public double regrowth(int epoch, int epochs) { return epoch < shrinkEpochs ? shrinkRegrowth : 1; }
    }

    private static Set<Long> positions(CsrMatrix w) {
        Set<Long> p = new HashSet<>();
        for (int r = 0; r < w.rows(); r++) for (long k = w.rowStart(r); k < w.rowEnd(r); k++) p.add((long) r * w.cols() + w.col(k));
        return p;
    }

    @Test
    void customPruneGrowScheduleAndListenerTrainAFashionMnistSubset() throws Exception {
        int epochs = 3, batch = 50, steps = 5, shrinkEpochs = 2;
        double zeta = 0.2, shrinkRegrowth = 0.5;
        try (DatasetSplit all = DataSources.embedded();
             Dataset train = all.train().subset(IntStream.range(0, 1000).toArray());
             Dataset test = all.test().subset(IntStream.range(0, 500).toArray());
             WorkerPool pool = new WorkerPool(2)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Standardizer std = Standardizer.fit(train);
            MlpConfig cfg = new MlpConfig(MlpConfig.sizes(784, new int[] {100}, 10), "relu", 0.6f, Activation.linear(), 0f,
                    new Density.ErdosRenyi(10), new WeightInit.HeUniform());
            RngStreams rng = new RngStreams(11);
            try (SparseMlp net = SparseMlp.create(cfg, rng.stream("init"), 1)) {
                // the central 20x20 pixels of the 28x28 images: where regrowth may go in the first layer
                int[] centre = IntStream.range(0, 784).filter(p -> p / 28 >= 4 && p / 28 < 24 && p % 28 >= 4 && p % 28 < 24).toArray();
                CsrMatrix first = net.layers().get(0).weights();
                GrowRule grow = RandomGrow.within(w -> w == first ? GrowthRegion.inputs(centre) : GrowthRegion.all());
                Set<Long> initial = positions(first);
                long startConnections = net.connections();
                TopologyEvolution method = new TopologyEvolution(new SaliencyPrune(), grow,
                        new GradualSchedule(zeta, steps, shrinkEpochs, shrinkRegrowth), new WeightInit.HeUniform());
                Trainer trainer = new Trainer(pk, new Trainer.Settings(epochs, batch, new LearningRate.Constant(0.01f), new Sgd(0.9f, 0.0002f),
                        new SoftmaxCrossEntropy(), method, 500));
                List<Long> updateSteps = new ArrayList<>();
                List<long[]> perLayerLog = new ArrayList<>();
                long[] lastReported = new long[net.layers().size()];
                trainer.run(net, train, test, std, new Trainer.State(rng.stream("shuffle"), rng.stream("evolution")), new Trainer.Listener() {
                    @Override public void evolved(int epoch, long step, List<TopologyEvolution.Report> reports) {
                        updateSteps.add(step);
                        double share = epoch < shrinkEpochs ? shrinkRegrowth : 1;
                        assertThat(reports).hasSize(lastReported.length);
                        for (int l = 0; l < reports.size(); l++) {
                            TopologyEvolution.Report r = reports.get(l);
                            assertThat(r.grown()).as("step %d layer %d", step, l).isEqualTo(Math.round(r.pruned() * share));
                            lastReported[l] = r.connections();
                        }
                    }

                    @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                        long[] counts = net.layers().stream().mapToLong(SparseLinear::connections).toArray();
                        perLayerLog.add(counts);
                        assertThat(counts).isEqualTo(lastReported);
                        assertThat(Arrays.stream(counts).sum()).isEqualTo(m.connections());
                    }
                });
                int stepsPerEpoch = (1000 + batch - 1) / batch;
                assertThat(updateSteps).hasSize(epochs * stepsPerEpoch / steps);
                assertThat(updateSteps).allMatch(s -> s % steps == 0);
                assertThat(perLayerLog).hasSize(epochs);
                // sparser while the schedule regrows half, then constant
                assertThat(net.connections()).isLessThan(startConnections);
                assertThat(perLayerLog.get(2)).isEqualTo(perLayerLog.get(1));
                Set<Long> grown = positions(first);
                grown.removeAll(initial);
                assertThat(grown).isNotEmpty();
                assertThat(grown).allMatch(key -> Arrays.binarySearch(centre, (int) (key % 784)) >= 0);
                assertThat(centre).hasSize(400);
                double accuracy = Evaluation.of(pk, net, test, std, new SoftmaxCrossEntropy(), 500).accuracy();
                assertThat(accuracy).as("10 classes: chance is 0.1").isGreaterThan(0.5);
            }
        }
    }

    /**
     * The prune rule ranks by the gradient of the batch just trained: on a single softmax layer that
     * gradient is {@code (p - y) xᵀ / n}, computed here independently, and every connection pruned has a
     * saliency no larger than any kept. With a regrowth of 0 nothing comes back.
     */
    @Test
    void saliencyPruneSeesTheLatestBatchGradient() {
        int features = 12, classes = 3, n = 40;
        RandomStream data = new RandomStream(5);
        int[] labels = new int[n];
        try (WorkerPool pool = new WorkerPool(1); DenseMatrix x = DenseMatrix.allocate(features, n);
             SparseMlp net = SparseMlp.create(new MlpConfig(new int[] {features, classes}, "relu", 0.6f, Activation.linear(), 0f,
                     new Density.Uniform(0.6), new WeightInit.HeUniform()), new RandomStream(6), 1)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            for (int c = 0; c < n; c++) {
                labels[c] = c % classes;
                for (int i = 0; i < features; i++) x.set(i, c, (float) (data.nextGaussian() + (i % classes == labels[c] ? 1 : 0)));
            }
            DenseMatrix logits = net.predict(pk, x);
            double[][] g = new double[classes][features];
            for (int c = 0; c < n; c++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < classes; j++) max = Math.max(max, logits.get(j, c));
                double[] p = new double[classes];
                for (int j = 0; j < classes; j++) sum += p[j] = Math.exp(logits.get(j, c) - max);
                for (int j = 0; j < classes; j++) {
                    double d = p[j] / sum - (labels[c] == j ? 1 : 0);
                    for (int i = 0; i < features; i++) g[j][i] += d * x.get(i, c) / n;
                }
            }
            Sgd sgd = new Sgd(0.9f, 0f);
            net.attach(sgd);
            net.trainBatch(pk, x, labels, 0, null, new SoftmaxCrossEntropy(), sgd, 0.1f, 0);
            CsrMatrix w = net.layers().get(0).weights();
            List<double[]> before = new ArrayList<>(); // {key, saliency}
            for (int r = 0; r < classes; r++) {
                for (long k = w.rowStart(r); k < w.rowEnd(r); k++) {
                    before.add(new double[] {(long) r * features + w.col(k), Math.abs(w.value(k) * g[r][w.col(k)])});
                }
            }
            TopologyEvolution evo = new TopologyEvolution(new SaliencyPrune(), new RandomGrow(), EvolutionSchedule.everyEpoch(0.5),
                    new WeightInit.Zero());
            List<TopologyEvolution.Report> reports = net.evolve(evo, 0.5, 0, new RandomStream(7), pk);
            assertThat(reports.getFirst().grown()).isZero();
            assertThat(w.nnz()).isEqualTo(before.size() - Math.round(0.5 * before.size()));
            Set<Long> kept = positions(w);
            double maxPruned = before.stream().filter(e -> !kept.contains((long) e[0])).mapToDouble(e -> e[1]).max().orElseThrow();
            double minKept = before.stream().filter(e -> kept.contains((long) e[0])).mapToDouble(e -> e[1]).min().orElseThrow();
            assertThat(maxPruned).isLessThanOrEqualTo(minKept + 1e-6);
        }
    }
}
