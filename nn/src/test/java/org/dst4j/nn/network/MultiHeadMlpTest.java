package org.dst4j.nn.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.dst4j.nn.ensemble.TopologyDistance;
import org.dst4j.nn.evolution.EvolutionSchedule;
import org.dst4j.nn.evolution.GradientGrow;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.Dropout;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.loss.SoftmaxCrossEntropy;
import org.dst4j.nn.model.Classifier;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.MultiHeadClassifier;
import org.dst4j.nn.optim.Adam;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultiHeadMlpTest {
    private static final int N = 9;

    private static MultiHeadMlp tiny(String hidden, int shared) {
        return tiny(hidden, shared, MultiHeadMlp.HeadLoss.SUM);
    }

    private static MultiHeadMlp tiny(String hidden, int shared, MultiHeadMlp.HeadLoss headLoss) {
        MlpConfig cfg = new MlpConfig(new int[] {5, 7, 6, 3}, hidden, 0.6f, Activation.linear(), 0f, new Density.Uniform(0.7),
                new WeightInit.XavierUniform());
        return MultiHeadMlp.create(cfg, shared, 3, headLoss, new RandomStream(11), new RandomStream(12));
    }

    private static DenseMatrix input(Blobs data) {
        DenseMatrix x = DenseMatrix.allocate(5, N);
        for (int c = 0; c < N; c++) for (int f = 0; f < 5; f++) x.set(f, c, data.x()[c * 5 + f]);
        return x;
    }

    // The training objective: the heads' cross-entropies summed over the batch, and (MEAN) divided by the head count.
    private static double headLoss(MultiHeadMlp net, ParallelKernels pk, DenseMatrix x, int[] y) {
        double loss = 0;
        for (float[] p : net.headProbabilities(pk, x)) for (int c = 0; c < N; c++) loss -= Math.log(p[c * 3 + y[c]]);
        return net.headLoss() == MultiHeadMlp.HeadLoss.MEAN ? loss / net.heads().size() : loss;
    }

    // As headLoss, with each head's input features dropped by `drop` as training step 0 drops them.
    private static double droppedHeadLoss(MultiHeadMlp net, ParallelKernels pk, DenseMatrix x, int[] y, Dropout drop) {
        double loss = 0;
        DenseMatrix features = net.backbone().predict(pk, x);
        try (DenseMatrix in = DenseMatrix.allocate(features.rows(), N); DenseMatrix mask = DenseMatrix.allocate(features.rows(), N)) {
            for (int h = 0; h < net.heads().size(); h++) {
                drop.apply(pk, 0, h, features, mask, in);
                DenseMatrix out = net.heads().get(h).predict(pk, in);
                for (int c = 0; c < N; c++) {
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < 3; j++) max = Math.max(max, out.get(j, c));
                    for (int j = 0; j < 3; j++) sum += Math.exp(out.get(j, c) - max);
                    loss -= out.get(y[c], c) - max - Math.log(sum);
                }
            }
        }
        return loss;
    }

    @Test
    void headInputDropoutGradientsMatchFiniteDifferencesOfTheMaskedObjective() {
        Blobs data = Blobs.make(N, 5, 3, 0.5f, 3);
        try (WorkerPool pool = new WorkerPool(1); MultiHeadMlp net = tiny("tanh", 1); DenseMatrix x = input(data)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.scalar(), pool);
            net.headInputDropout(0.4f, 99);
            Dropout drop = new Dropout(0.4f, 99);
            Sgd sgd = new Sgd(0f, 0f);
            net.attach(sgd);
            for (SparseLinear layer : allLayers(net)) {
                MemorySegment v = layer.weights().values();
                for (long k = 0; k < layer.connections(); k += 3) {
                    float w0 = v.getAtIndex(ValueLayout.JAVA_FLOAT, k);
                    double h = 1e-3;
                    v.setAtIndex(ValueLayout.JAVA_FLOAT, k, (float) (w0 + h));
                    double up = droppedHeadLoss(net, pk, x, data.y(), drop);
                    v.setAtIndex(ValueLayout.JAVA_FLOAT, k, (float) (w0 - h));
                    double down = droppedHeadLoss(net, pk, x, data.y(), drop);
                    v.setAtIndex(ValueLayout.JAVA_FLOAT, k, w0);
                    double numeric = (up - down) / (2 * h) / N;
                    List<float[]> before = snapshot(net);
                    net.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), sgd, 1f, 0);
                    double analytic = w0 - v.getAtIndex(ValueLayout.JAVA_FLOAT, k);
                    restore(net, before);
                    assertThat(analytic).as("weight %d of a %dx%d layer", k, layer.out(), layer.in())
                            .isCloseTo(numeric, within(2e-3 + 2e-2 * Math.abs(numeric)));
                }
            }
            // The masks differ between heads (else the heads would see one view, as without the option).
            DenseMatrix f = net.backbone().predict(pk, x); // the backbone's buffer: not ours to close
            try (DenseMatrix a = DenseMatrix.allocate(f.rows(), N);
                 DenseMatrix b = DenseMatrix.allocate(f.rows(), N); DenseMatrix o = DenseMatrix.allocate(f.rows(), N)) {
                drop.apply(pk, 0, 0, f, a, o);
                drop.apply(pk, 0, 1, f, b, o);
                boolean differ = false;
                for (int r = 0; r < f.rows(); r++) for (int c = 0; c < N; c++) differ |= a.get(r, c) != b.get(r, c);
                assertThat(differ).isTrue();
            }
        }
    }

    @Test
    void headInputDropoutTrainsTheSameWithAnyThreadCount() {
        Blobs data = Blobs.make(N, 5, 3, 0.5f, 3);
        List<List<float[]>> weights = new ArrayList<>();
        for (int threads : new int[] {1, 3}) {
            try (WorkerPool pool = new WorkerPool(threads); MultiHeadMlp net = tiny("relu", 1); DenseMatrix x = input(data)) {
                ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
                net.headInputDropout(0.3f, 5);
                Sgd sgd = new Sgd(0.9f, 1e-4f);
                net.attach(sgd);
                for (int step = 0; step < 4; step++) net.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), sgd, 0.1f, step);
                weights.add(snapshot(net));
            }
        }
        for (int i = 0; i < weights.get(0).size(); i++) assertThat(weights.get(1).get(i)).isEqualTo(weights.get(0).get(i));
    }

    // Head 0's first step and regrowth do not depend on the heads after it (its input, mask, init and update are
    // its own), so with 1 or 2 heads it must regrow the same connections. With one input buffer shared by the
    // heads, head 0 regrew from head 1's dropped-out features.
    @Test
    void withHeadInputDropoutEachHeadRegrowsFromItsOwnInput() {
        Blobs data = Blobs.make(N, 5, 3, 0.5f, 3);
        MlpConfig cfg = new MlpConfig(new int[] {5, 7, 6, 3}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.5),
                new WeightInit.XavierUniform());
        List<List<int[]>> topologies = new ArrayList<>();
        for (int heads : new int[] {1, 2}) {
            try (WorkerPool pool = new WorkerPool(1); DenseMatrix x = input(data);
                 MultiHeadMlp net = MultiHeadMlp.create(cfg, 1, heads, new RandomStream(11), new RandomStream(12))) {
                ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
                net.headInputDropout(0.5f, 7);
                Sgd sgd = new Sgd(0f, 0f);
                net.attach(sgd);
                net.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), sgd, 0.1f, 0);
                net.evolve(TopologyEvolution.magnitude(new GradientGrow(),
                        EvolutionSchedule.everyEpoch(0.5)), 0.5, new RandomStream(4), pk);
                List<int[]> t = new ArrayList<>();
                for (SparseLinear l : net.heads().getFirst().layers()) {
                    t.add(l.weights().colIdx().asSlice(0, l.connections() * 4).toArray(ValueLayout.JAVA_INT));
                    t.add(LongStream.of(l.weights().rowPtr().asSlice(0, (l.out() + 1) * 8L).toArray(ValueLayout.JAVA_LONG))
                            .mapToInt(v -> (int) v).toArray());
                }
                topologies.add(t);
            }
        }
        for (int i = 0; i < topologies.get(0).size(); i++) assertThat(topologies.get(1).get(i)).as("head 0, array %d", i).isEqualTo(topologies.get(0).get(i));
    }

    // All-ReLU alternates the slope's sign layer by layer through the whole network; the heads do not restart it.
    @Test
    void allReluAlternatesAcrossTheSplitAsInTheSingleNetwork() {
        MlpConfig cfg = new MlpConfig(new int[] {5, 7, 6, 4, 3}, "allrelu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.7),
                new WeightInit.XavierUniform());
        List<String> single = new ArrayList<>();
        try (SparseMlp s = SparseMlp.create(cfg, new RandomStream(1), 2)) {
            for (SparseLinear l : s.layers()) single.add(l.activation().toString());
        }
        assertThat(single).containsExactly("leaky:-0.6", "leaky:0.6", "leaky:-0.6", "linear");
        for (int shared : new int[] {1, 2, 3}) {
            try (MultiHeadMlp net = MultiHeadMlp.create(cfg, shared, 2, new RandomStream(11), new RandomStream(12))) {
                for (SparseMlp head : net.heads()) {
                    List<String> layers = new ArrayList<>();
                    for (SparseLinear l : net.backbone().layers()) layers.add(l.activation().toString());
                    for (SparseLinear l : head.layers()) layers.add(l.activation().toString());
                    assertThat(layers).as("shared %d", shared).isEqualTo(single);
                }
            }
        }
    }

    // Sizes 5-7-6-3 sharing two layers, three 6-3 heads, a batch of 9: the backbone's first layer costs 2 products
    // (no input gradient), every other layer 3, the heads' first layer included (it feeds the backbone's gradient).
    // Dense, per step: 2 * 9 * (2*5*7 + 3*7*6 + 3 * 3*6*3) = 18 * (70 + 126 + 162) = 6444.
    @Test
    void trainingFlopsAddTheBackboneAndEveryHead() {
        Blobs data = Blobs.make(N, 5, 3, 0.5f, 3);
        try (WorkerPool pool = new WorkerPool(1); DenseMatrix x = input(data); MultiHeadMlp net = tiny("relu", 2)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Sgd sgd = new Sgd(0.9f, 0f);
            net.attach(sgd);
            net.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), sgd, 0.1f, 0);
            List<SparseLinear> back = net.backbone().layers();
            long heads = 0;
            for (SparseMlp h : net.heads()) heads += h.layers().getFirst().connections();
            assertThat(net.heads()).hasSize(3);
            assertThat(net.trainingFlops()).isEqualTo(2L * N * (2 * back.get(0).connections() + 3 * back.get(1).connections() + 3 * heads));
            assertThat(net.denseTrainingFlops()).isEqualTo(6444);
        }
    }

    // --dropout acts on every hidden layer of the whole network, the shared features included (the backbone, a
    // network of its own, treated them as outputs and never dropped them). With one head that is only the output
    // layer, the same dropout seed and the same weights, a multi-head network is the single network, bit for bit.
    @Test
    void dropoutDropsTheSharedFeaturesAsTheSingleNetworkDrops() {
        Blobs data = Blobs.make(N, 5, 3, 0.5f, 3);
        MlpConfig full = new MlpConfig(new int[] {5, 7, 6, 3}, "relu", 0.6f, Activation.linear(), 0.4f, new Density.Uniform(0.7),
                new WeightInit.XavierUniform());
        MlpConfig back = new MlpConfig(new int[] {5, 7, 6}, "relu", 0.6f, Activation.relu(), 0.4f, new Density.Uniform(0.7), new WeightInit.XavierUniform());
        MlpConfig head = new MlpConfig(new int[] {6, 3}, "relu", 0.6f, Activation.linear(), 0.4f, new Density.Uniform(0.7), new WeightInit.XavierUniform());
        SparseMlp source = SparseMlp.create(full, new RandomStream(11), 21); // its layers pass to the parts below
        List<SparseLinear> layers = source.layers();
        try (WorkerPool pool = new WorkerPool(1); DenseMatrix x = input(data);
             SparseMlp single = SparseMlp.create(full, new RandomStream(11), 21);
             MultiHeadMlp multi = new MultiHeadMlp(SparseMlp.of(back, layers.subList(0, 2), 21), List.of(SparseMlp.of(head, layers.subList(2, 3), 22)))) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Sgd s1 = new Sgd(0.9f, 1e-4f), s2 = new Sgd(0.9f, 1e-4f);
            single.attach(s1);
            multi.attach(s2);
            for (int step = 0; step < 3; step++) {
                single.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), s1, 0.1f, step);
                multi.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), s2, 0.1f, step);
            }
            List<SparseLinear> parts = allLayers(multi);
            for (int l = 0; l < 3; l++) {
                SparseLinear a = single.layers().get(l), b = parts.get(l);
                assertThat(b.weights().values().asSlice(0, b.connections() * 4).toArray(ValueLayout.JAVA_FLOAT)).as("layer %d", l)
                        .isEqualTo(a.weights().values().asSlice(0, a.connections() * 4).toArray(ValueLayout.JAVA_FLOAT));
            }
        }
    }

    private static List<SparseLinear> allLayers(MultiHeadMlp net) {
        List<SparseLinear> all = new ArrayList<>(net.backbone().layers());
        for (SparseMlp h : net.heads()) all.addAll(h.layers());
        return all;
    }

    @Test
    void backboneAndHeadGradientsMatchFiniteDifferences() {
        Blobs data = Blobs.make(N, 5, 3, 0.5f, 3);
        for (MultiHeadMlp.HeadLoss combine : MultiHeadMlp.HeadLoss.values()) {
            for (String hidden : new String[] {"tanh", "sigmoid"}) {
                for (int shared : new int[] {1, 2}) {
                    try (WorkerPool pool = new WorkerPool(1); MultiHeadMlp net = tiny(hidden, shared, combine); DenseMatrix x = input(data)) {
                        ParallelKernels pk = new ParallelKernels(KernelProvider.scalar(), pool);
                        Sgd sgd = new Sgd(0f, 0f); // lr 1, no momentum: a weight's change is exactly -gradient / N
                        net.attach(sgd);
                        for (SparseLinear layer : allLayers(net)) {
                            MemorySegment v = layer.weights().values();
                            for (long k = 0; k < layer.connections(); k += 4) {
                                float w0 = v.getAtIndex(ValueLayout.JAVA_FLOAT, k);
                                double h = 1e-3;
                                v.setAtIndex(ValueLayout.JAVA_FLOAT, k, (float) (w0 + h));
                                double up = headLoss(net, pk, x, data.y());
                                v.setAtIndex(ValueLayout.JAVA_FLOAT, k, (float) (w0 - h));
                                double down = headLoss(net, pk, x, data.y());
                                v.setAtIndex(ValueLayout.JAVA_FLOAT, k, w0);
                                double numeric = (up - down) / (2 * h) / N;
                                List<float[]> before = snapshot(net);
                                net.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), sgd, 1f, 0);
                                double analytic = w0 - v.getAtIndex(ValueLayout.JAVA_FLOAT, k);
                                restore(net, before);
                                assertThat(analytic).as("%s loss, %s, %d shared, weight %d of a %dx%d layer", combine, hidden, shared, k,
                                        layer.out(), layer.in()).isCloseTo(numeric, within(2e-3 + 2e-2 * Math.abs(numeric)));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void meanHeadLossAtMTimesTheLearningRateTrainsAsTheSum() {
        Blobs data = Blobs.make(N, 5, 3, 0.5f, 3);
        try (WorkerPool pool = new WorkerPool(1); MultiHeadMlp sum = tiny("tanh", 1, MultiHeadMlp.HeadLoss.SUM);
             MultiHeadMlp mean = tiny("tanh", 1, MultiHeadMlp.HeadLoss.MEAN); DenseMatrix x = input(data)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.scalar(), pool);
            Sgd a = new Sgd(0.9f, 1e-3f), b = new Sgd(0.9f, 1e-3f);
            sum.attach(a);
            mean.attach(b);
            for (int step = 0; step < 5; step++) {
                sum.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), a, 0.1f, step);
                mean.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), b, 0.3f, step);
            }
            List<float[]> ws = snapshot(sum), wm = snapshot(mean);
            boolean moved = false;
            try (MultiHeadMlp fresh = tiny("tanh", 1)) {
                List<float[]> w0 = snapshot(fresh);
                for (int i = 0; i < ws.size(); i++) {
                    for (int k = 0; k < ws.get(i).length; k++) {
                        assertThat(wm.get(i)[k]).isCloseTo(ws.get(i)[k], within(1e-5f));
                        moved |= Math.abs(ws.get(i)[k] - w0.get(i)[k]) > 1e-3;
                    }
                }
            }
            assertThat(moved).isTrue();
        }
    }

    // What a training batch reports (NeuroTrails' training loss and accuracy): the mean of the heads' summed
    // cross-entropies, and how many samples the ensemble (the heads' mean probability) gets right. At learning rate 0
    // the weights stay, so both follow from the heads' probabilities before the step.
    @Test
    void aTrainingBatchReportsTheMeanHeadLossAndTheEnsemblesCorrectCount() {
        Blobs data = Blobs.make(N, 5, 3, 0.5f, 3);
        for (MultiHeadMlp.HeadLoss kind : MultiHeadMlp.HeadLoss.values()) {
            try (WorkerPool pool = new WorkerPool(1); MultiHeadMlp net = tiny("relu", 1, kind); DenseMatrix x = input(data)) {
                ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
                List<float[]> p = net.headProbabilities(pk, x);
                double loss = 0;
                for (float[] head : p) for (int c = 0; c < N; c++) loss -= Math.log(head[c * 3 + data.y()[c]]);
                int correct = 0;
                for (int c = 0; c < N; c++) {
                    int best = 0;
                    double bestP = -1;
                    for (int j = 0; j < 3; j++) {
                        double mean = (p.get(0)[c * 3 + j] + p.get(1)[c * 3 + j] + p.get(2)[c * 3 + j]) / 3;
                        if (mean > bestP) {
                            bestP = mean;
                            best = j;
                        }
                    }
                    if (best == data.y()[c]) correct++;
                }
                assertThat(correct).as("a count strictly between none and all").isStrictlyBetween(0, N);
                Sgd opt = new Sgd(0.9f, 0f);
                net.attach(opt);
                SparseMlp.BatchResult r = net.trainBatch(pk, x, data.y(), 0, null, new SoftmaxCrossEntropy(), opt, 0f, 0);
                assertThat(r.loss()).as("%s", kind).isCloseTo(loss / 3, within(1e-4));
                assertThat(r.correct()).as("%s", kind).isEqualTo(correct);
            }
        }
    }

    @Test
    void headsAreIndependentNetworksOnTheSharedFeatures() {
        Blobs data = Blobs.make(N, 5, 3, 0.5f, 3);
        try (WorkerPool pool = new WorkerPool(1); MultiHeadMlp net = tiny("relu", 1); DenseMatrix x = input(data)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            // Different initial topologies (own random streams)...
            assertThat(TopologyDistance.byLayer(net.heads().get(0), net.heads().get(1))[0]).isPositive();
            // ...and changing one head's weights leaves the others' predictions untouched.
            List<float[]> before = net.headProbabilities(pk, x);
            MemorySegment v = net.heads().get(0).layers().getFirst().weights().values();
            for (long k = 0; k < net.heads().get(0).layers().getFirst().connections(); k++) v.setAtIndex(ValueLayout.JAVA_FLOAT, k, 0.5f);
            List<float[]> after = net.headProbabilities(pk, x);
            assertThat(after.get(0)).isNotEqualTo(before.get(0));
            assertThat(after.get(1)).isEqualTo(before.get(1));
            assertThat(after.get(2)).isEqualTo(before.get(2));
            // The ensemble output is the log of the heads' mean probability.
            DenseMatrix out = net.predict(pk, x);
            for (int c = 0; c < N; c++) {
                for (int j = 0; j < 3; j++) {
                    double mean = (after.get(0)[c * 3 + j] + after.get(1)[c * 3 + j] + after.get(2)[c * 3 + j]) / 3;
                    assertThat(Math.exp(out.get(j, c))).isCloseTo(mean, within(1e-5));
                }
            }
        }
    }

    @Test
    void savedModelLoadsWithIdenticalPredictions(@TempDir Path dir) throws Exception {
        Blobs data = Blobs.make(N, 5, 3, 0.5f, 3);
        try (WorkerPool pool = new WorkerPool(1); MultiHeadMlp net = tiny("relu", 2); DenseMatrix x = input(data)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            MultiHeadClassifier.save(net, dir, null, Map.of("note", "test"));
            List<float[]> expected = net.headProbabilities(pk, x);
            try (MultiHeadClassifier loaded = MultiHeadClassifier.load(dir, 1)) {
                assertThat(loaded.network().heads()).hasSize(3);
                List<float[]> got = loaded.network().headProbabilities(pk, x);
                for (int h = 0; h < 3; h++) assertThat(got.get(h)).isEqualTo(expected.get(h));
            }
        }
    }

    @Test
    void aManifestCannotPointOutsideItsDirectory(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        try (MultiHeadMlp net = tiny("relu", 2)) {
            MultiHeadClassifier.save(net, model, null, Map.of());
        }
        Path manifest = model.resolve(MultiHeadClassifier.MANIFEST);
        String original = Files.readString(manifest);
        Files.copy(model.resolve("backbone.dst4j"), dir.resolve("outside.dst4j"));
        for (String bad : new String[] {"../outside.dst4j", dir.resolve("outside.dst4j").toString(), "..", ""}) {
            Files.writeString(manifest, original.replace("\"backbone.dst4j\"", Json.write(bad)));
            assertThatThrownBy(() -> MultiHeadClassifier.load(model, 1)).isInstanceOf(IOException.class)
                    .hasMessageContaining("field 'backbone': expected a file name in " + model);
        }
        Files.writeString(manifest, original);
        try (MultiHeadClassifier ok = MultiHeadClassifier.load(model, 1)) {
            assertThat(ok.network().heads()).hasSize(3);
        }
        // The backbone alone is a feature extractor, not a classifier of its hidden units.
        assertThatThrownBy(() -> Classifier.load(model.resolve("backbone.dst4j"), 1)).isInstanceOf(IOException.class)
                .hasMessageContaining("backbone.dst4j: its network ends in relu units, not a classifier's linear outputs");
        Path ensemble = Files.createDirectories(dir.resolve("ens"));
        Files.writeString(ensemble.resolve(EnsembleClassifier.MANIFEST),
                "{\"format\": \"" + EnsembleClassifier.FORMAT + "\", \"members\": [\"../outside.dst4j\"]}");
        assertThatThrownBy(() -> EnsembleClassifier.load(ensemble, 1)).isInstanceOf(IOException.class)
                .hasMessageContaining("expected a file name in " + ensemble);
    }

    private static List<float[]> snapshot(MultiHeadMlp net) {
        List<float[]> s = new ArrayList<>();
        for (SparseLinear l : allLayers(net)) {
            s.add(l.weights().values().asSlice(0, l.connections() * 4).toArray(ValueLayout.JAVA_FLOAT));
            s.add(l.bias().asSlice(0, l.out() * 4L).toArray(ValueLayout.JAVA_FLOAT));
        }
        return s;
    }

    private static void restore(MultiHeadMlp net, List<float[]> s) {
        int i = 0;
        for (SparseLinear l : allLayers(net)) {
            MemorySegment.copy(s.get(i), 0, l.weights().values(), ValueLayout.JAVA_FLOAT, 0, s.get(i++).length);
            MemorySegment.copy(s.get(i), 0, l.bias(), ValueLayout.JAVA_FLOAT, 0, s.get(i++).length);
        }
    }

    // Not the runtime's "Already closed" from the parts' freed memory (or, for attach, nothing done without a word).
    @Test
    void attachingEvolvingOrTrainingAClosedNetworkSaysItIsClosed() {
        MultiHeadMlp net = tiny("relu", 1);
        net.close();
        assertThatThrownBy(() -> net.attach(new Sgd(0.9f, 0f))).isInstanceOf(IllegalStateException.class).hasMessage("the network is closed");
        assertThatThrownBy(() -> net.evolve(TopologyEvolution.set(0.2, new WeightInit.HeUniform()), 0.2, new RandomStream(1), null))
                .isInstanceOf(IllegalStateException.class).hasMessage("the network is closed");
    }

    // Not an array index out of bounds inside the loss, after the backbone's forward pass.
    @Test
    void aTrainingBatchWithTooFewLabelsIsRefusedBeforeTheStep() {
        try (WorkerPool pool = new WorkerPool(1); MultiHeadMlp net = tiny("relu", 1); DenseMatrix x = DenseMatrix.allocate(5, 4)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Adam adam = Adam.withWeightDecay(0f);
            net.attach(adam);
            assertThatThrownBy(() -> net.trainBatch(pk, x, new int[] {0, 1, 2}, 0, null, new SoftmaxCrossEntropy(), adam, 0.1f, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("labels: a batch of 4 samples from offset 0 needs labels[0 .. 3], got 3 labels");
            assertThat(adam.steps()).isZero();
        }
    }
}
