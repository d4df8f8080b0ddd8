package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.dst4j.nn.model.ClassifierLifecycleTest.CLASSES;
import static org.dst4j.nn.model.ClassifierLifecycleTest.data;
import static org.dst4j.nn.model.ClassifierLifecycleTest.multiHead;
import static org.dst4j.nn.model.ClassifierLifecycleTest.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.runtime.dense.Argmax;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inference: on unlabeled-like data, and from several threads at once. */
class ClassifierPredictionTest {

    private static int[] argmax(float[] probs, int samples) {
        return Argmax.ofRows(probs, samples, CLASSES);
    }

    @Test
    void missingPartsAndABatchOfZeroAreRefusedUpFront() {
        assertThatThrownBy(() -> new SparseClassifier(null, null, Map.of(), 1)).isInstanceOf(NullPointerException.class).hasMessage("net");
        try (var net = net(1)) {
            assertThatThrownBy(() -> new SparseClassifier(net, null, null, 1)).isInstanceOf(NullPointerException.class).hasMessage("header");
        }
        // Accepted, it would make a classifier whose every call fails and whose close() leaves its worker threads running.
        assertThatThrownBy(() -> new MultiHeadClassifier(null, null, 1)).isInstanceOf(NullPointerException.class).hasMessage("net");
        try (Dataset d = data("d", 4, CLASSES, 1)) {
            // A batch of 0 would never advance: an endless loop.
            assertThatThrownBy(() -> d.inBatches(0, null, (x, from, m) -> {})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("d: batch must be >= 1, got 0");
        }
    }

    @Test
    void predictNeedsNoLabelsWithinTheModelsClasses() {
        try (SparseClassifier c = new SparseClassifier(net(1), null, Map.of(), 1);
             Dataset inClasses = data("three", 40, CLASSES, 7);
             Dataset fiveClasses = data("five", 40, 5, 7)) {
            int[] expected = c.evaluate(inClasses).predictions();
            // Same features, labels 3 and 4 that the model does not have: prediction ignores them.
            assertThat(c.predict(fiveClasses)).containsExactly(expected);
            assertThat(c.predict(inClasses)).containsExactly(expected);
            assertThat(expected).containsExactly(argmax(c.predictProbabilities(inClasses), 40));
            assertThatThrownBy(() -> c.evaluate(fiveClasses)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void ensembleAndMultiHeadPredictNeedNoLabelsWithinTheModelsClassesEither() {
        try (EnsembleClassifier e = new EnsembleClassifier(List.of(new SparseClassifier(net(1), null, Map.of(), 1),
                     new SparseClassifier(net(2), null, Map.of(), 1)), Map.of());
             MultiHeadClassifier m = new MultiHeadClassifier(multiHead(3), null, 1);
             Dataset fiveClasses = data("five", 30, 5, 7)) {
            assertThat(e.predict(fiveClasses)).containsExactly(argmax(e.predictProbabilities(fiveClasses), 30));
            assertThat(m.predict(fiveClasses)).containsExactly(argmax(m.predictProbabilities(fiveClasses), 30));
        }
    }

    private static float[] rowMajor(Dataset d) {
        float[] x = new float[d.samples() * d.features()];
        for (int i = 0; i < d.samples(); i++) {
            for (int f = 0; f < d.features(); f++) x[i * d.features() + f] = d.get(i, f);
        }
        return x;
    }

    @Test
    void rawFloatSamplesGiveTheDatasetsPredictionsBitForBit() {
        float[] mean = new float[ClassifierLifecycleTest.FEATURES], std = new float[mean.length];
        for (int f = 0; f < mean.length; f++) {
            mean[f] = 0.1f * f;
            std[f] = 1.5f + f;
        }
        try (SparseClassifier c = new SparseClassifier(net(1), new Standardizer(mean, std), Map.of(), 1);
             EnsembleClassifier e = new EnsembleClassifier(List.of(new SparseClassifier(net(1), null, Map.of(), 1),
                     new SparseClassifier(net(2), new Standardizer(mean, std), Map.of(), 1)), Map.of());
             MultiHeadClassifier m = new MultiHeadClassifier(multiHead(3), new Standardizer(mean, std), 1);
             Dataset d = data("d", 1003, CLASSES, 5)) {
            float[] x = rowMajor(d);
            float[] one = Arrays.copyOfRange(x, 7 * d.features(), 8 * d.features());
            assertThat(c.predictProbabilities(x)).containsExactly(c.predictProbabilities(d));
            assertThat(c.predict(x)).containsExactly(c.predict(d));
            assertThat(c.predict(one)).containsExactly(c.predict(d)[7]);
            assertThat(e.predictProbabilities(x)).containsExactly(e.predictProbabilities(d));
            assertThat(e.predict(x)).containsExactly(e.predict(d));
            assertThat(m.predictProbabilities(x)).containsExactly(m.predictProbabilities(d));
            assertThat(m.predict(x)).containsExactly(m.predict(d));
            assertThat(c.inputs()).isEqualTo(e.inputs()).isEqualTo(m.inputs()).isEqualTo(ClassifierLifecycleTest.FEATURES);
            assertThat(c.classes()).isEqualTo(CLASSES);
            // The last sample lies in the second batch of 1,000: alone, it gives what the whole dataset gives it.
            float[] last = Arrays.copyOfRange(x, 1002 * d.features(), 1003 * d.features());
            assertThat(c.predictProbabilities(last)).containsExactly(Arrays.copyOfRange(c.predictProbabilities(d), 1002 * CLASSES, 1003 * CLASSES));
            assertThat(e.predictProbabilities(last)).containsExactly(Arrays.copyOfRange(e.predictProbabilities(d), 1002 * CLASSES, 1003 * CLASSES));
            assertThat(m.predictProbabilities(last)).containsExactly(Arrays.copyOfRange(m.predictProbabilities(d), 1002 * CLASSES, 1003 * CLASSES));
            // An ensemble's standardizer is its first member's.
            assertThat(e.standardizer()).isNull();
            try (EnsembleClassifier s = new EnsembleClassifier(List.of(new SparseClassifier(net(3), new Standardizer(mean, std), Map.of(), 1)), Map.of())) {
                assertThat(s.standardizer()).isEqualTo(new Standardizer(mean, std));
            }
        }
    }

    @Test
    void aDatasetOfAnotherWidthIsRefusedNamingItAndTheModelsInputs() {
        try (SparseClassifier c = new SparseClassifier(net(1), null, Map.of(), 1);
             MultiHeadClassifier m = new MultiHeadClassifier(multiHead(3), null, 1);
             Dataset wide = Dataset.of("wide", new float[2 * 7], 2, 7, new int[] {0, 1}, CLASSES)) {
            String expected = "wide has 7 features; the model takes " + ClassifierLifecycleTest.FEATURES;
            assertThatThrownBy(() -> c.predict(wide)).isInstanceOf(IllegalArgumentException.class).hasMessage(expected);
            assertThatThrownBy(() -> c.predictProbabilities(wide)).isInstanceOf(IllegalArgumentException.class).hasMessage(expected);
            assertThatThrownBy(() -> c.evaluate(wide)).isInstanceOf(IllegalArgumentException.class).hasMessage(expected);
            assertThatThrownBy(() -> m.predictProbabilities(wide)).isInstanceOf(IllegalArgumentException.class).hasMessage(expected);
        }
    }

    // Not the JDK's message naming a method called on the null from inside ("because \"data\" is null" at best).
    @Test
    void aNullDatasetIsRefusedByName() {
        try (SparseClassifier c = new SparseClassifier(net(1), null, Map.of(), 1);
             MultiHeadClassifier m = new MultiHeadClassifier(multiHead(3), null, 1);
             EnsembleClassifier e = new EnsembleClassifier(List.of(new SparseClassifier(net(2), null, Map.of(), 1)), Map.of())) {
            List<ThrowingCallable> calls = List.of(() -> c.predict((Dataset) null), () -> c.predictProbabilities((Dataset) null),
                    () -> c.evaluate(null), () -> m.predict((Dataset) null), () -> m.predictProbabilities((Dataset) null),
                    () -> m.evaluate(null), () -> m.headProbabilities(null), () -> e.predict((Dataset) null),
                    () -> e.predictProbabilities((Dataset) null), () -> e.evaluate(null), () -> e.memberProbabilities(null));
            for (ThrowingCallable call : calls) assertThatThrownBy(call).isInstanceOf(NullPointerException.class).hasMessage("data");
        }
    }

    @Test
    void rawFloatSamplesOfTheWrongLengthAreRefusedNamingTheExpectedCount() {
        try (SparseClassifier c = new SparseClassifier(net(1), null, Map.of(), 1);
             MultiHeadClassifier m = new MultiHeadClassifier(multiHead(3), null, 1)) {
            assertThatThrownBy(() -> c.predictProbabilities(new float[ClassifierLifecycleTest.FEATURES + 1]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("samples of " + ClassifierLifecycleTest.FEATURES + " features, got 7 values");
            assertThatThrownBy(() -> m.predict(new float[0])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("got 0 values");
            // Named as the caller knows it, not by the name of the Dataset factory's parameter ("rowMajor").
            assertThatThrownBy(() -> c.predict((float[]) null)).isInstanceOf(NullPointerException.class).hasMessage("features");
            assertThatThrownBy(() -> m.predictProbabilities((float[]) null)).isInstanceOf(NullPointerException.class).hasMessage("features");
        }
    }

    @Test
    void classifierLoadReadsEveryKindOfSavedModel(@TempDir Path dir) throws Exception {
        Path single = dir.resolve("single.dst4j"), ensemble = dir.resolve("ensemble"), heads = dir.resolve("heads");
        Files.createDirectories(ensemble);
        try (Dataset d = data("d", 50, CLASSES, 5);
             SparseClassifier c = new SparseClassifier(net(1), null, Map.of(), 1);
             SparseClassifier c2 = new SparseClassifier(net(2), null, Map.of(), 1);
             MultiHeadClassifier m = new MultiHeadClassifier(multiHead(3), null, 1)) {
            c.save(single);
            c.save(ensemble.resolve("a.dst4j"));
            c2.save(ensemble.resolve("b.dst4j"));
            EnsembleClassifier.writeManifest(ensemble, List.of("a.dst4j", "b.dst4j"), Map.of("algorithm", "freetickets"));
            MultiHeadClassifier.save(m.network(), heads, null, Map.of("algorithm", "neurotrails"));
            float[] averaged = EnsembleMetrics.average(List.of(c.predictProbabilities(d), c2.predictProbabilities(d)));
            try (Classifier s = Classifier.load(single, 1); Classifier e = Classifier.load(ensemble, 1); Classifier h = Classifier.load(heads, 1)) {
                assertThat(s).isInstanceOf(SparseClassifier.class);
                assertThat(e).isInstanceOf(EnsembleClassifier.class);
                assertThat(h).isInstanceOf(MultiHeadClassifier.class);
                assertThat(s.predictProbabilities(d)).containsExactly(c.predictProbabilities(d));
                assertThat(e.predictProbabilities(d)).containsExactly(averaged);
                assertThat(h.predictProbabilities(d)).containsExactly(m.predictProbabilities(d));
                // What the writer added is in the loaded manifest, beside the fields the loader reads.
                assertThat(((EnsembleClassifier) e).manifest()).containsEntry("algorithm", "freetickets")
                        .containsEntry("format", EnsembleClassifier.FORMAT).containsEntry("members", List.of("a.dst4j", "b.dst4j"));
                assertThat(((MultiHeadClassifier) h).manifest()).containsEntry("algorithm", "neurotrails")
                        .containsEntry("format", MultiHeadClassifier.FORMAT).containsEntry("backbone", "backbone.dst4j");
                // Evaluation scores the members' or heads' probabilities, as the metrics would given them.
                assertThat(((EnsembleClassifier) e).evaluate(d))
                        .isEqualTo(EnsembleMetrics.of(List.of(c.predictProbabilities(d), c2.predictProbabilities(d)), d.labels(), CLASSES));
                assertThat(((MultiHeadClassifier) h).evaluate(d)).isEqualTo(EnsembleMetrics.of(m.headProbabilities(d), d.labels(), CLASSES));
            }
            Files.copy(ensemble.resolve(EnsembleClassifier.MANIFEST), heads.resolve(EnsembleClassifier.MANIFEST));
            assertThatThrownBy(() -> Classifier.load(heads, 1)).isInstanceOf(IOException.class).hasMessageContaining("holds both");
        }
    }

    // A loaded ensemble's manifest passed on as info, to keep what its writer added, replaced the member list given
    // with its own: the member added was left out of the ensemble without a word.
    @Test
    void anEnsembleManifestListsTheMembersGivenWhateverItsInfoHolds(@TempDir Path dir) throws Exception {
        try (SparseClassifier c = new SparseClassifier(net(1), null, Map.of(), 1);
             SparseClassifier c2 = new SparseClassifier(net(2), null, Map.of(), 1)) {
            c.save(dir.resolve("a.dst4j"));
            c2.save(dir.resolve("b.dst4j"));
            EnsembleClassifier.writeManifest(dir, List.of("a.dst4j"), Map.of("algorithm", "freetickets"));
            Map<String, Object> earlier;
            try (EnsembleClassifier e = EnsembleClassifier.load(dir, 1)) {
                earlier = e.manifest();
            }
            EnsembleClassifier.writeManifest(dir, List.of("a.dst4j", "b.dst4j"), earlier);
            try (EnsembleClassifier e = EnsembleClassifier.load(dir, 1)) {
                assertThat(e.members()).hasSize(2);
                assertThat(e.manifest()).containsEntry("members", List.of("a.dst4j", "b.dst4j")).containsEntry("algorithm", "freetickets");
            }
            // The manifest's own fields keep their places: a manifest written without such info keeps its bytes.
            assertThat(Files.readString(dir.resolve(EnsembleClassifier.MANIFEST)))
                    .isEqualTo("{\"format\":\"dst4j-ensemble\",\"members\":[\"a.dst4j\",\"b.dst4j\"],\"algorithm\":\"freetickets\"}\n");
        }
    }

    // A save over a saved multi-head model that fails part-way (here at its second head, whose file cannot be written)
    // leaves the earlier model whole, not its backbone and first head replaced: a directory that would load silently
    // as a mix of the two models.
    @Test
    void aSaveThatFailsPartWayLeavesTheEarlierMultiHeadModel(@TempDir Path dir) throws Exception {
        Path heads = dir.resolve("heads");
        try (Dataset d = data("d", 50, CLASSES, 5);
             MultiHeadClassifier a = new MultiHeadClassifier(multiHead(3), null, 1);
             MultiHeadClassifier b = new MultiHeadClassifier(multiHead(4), null, 1)) {
            MultiHeadClassifier.save(a.network(), heads, null, Map.of("model", "a"));
            Files.createDirectories(heads.resolve(".head-2.dst4j.new").resolve("x")); // in the way of the second head's write
            assertThatThrownBy(() -> MultiHeadClassifier.save(b.network(), heads, null, Map.of("model", "b"))).isInstanceOf(IOException.class);
            try (MultiHeadClassifier h = MultiHeadClassifier.load(heads, 1)) {
                assertThat(h.manifest()).containsEntry("model", "a");
                assertThat(h.predictProbabilities(d)).containsExactly(a.predictProbabilities(d));
            }
            try (var files = Files.list(heads)) {
                assertThat(files.map(f -> f.getFileName().toString())).as("no part of b left behind")
                        .containsExactlyInAnyOrder("backbone.dst4j", "head-1.dst4j", "head-2.dst4j", MultiHeadClassifier.MANIFEST, ".head-2.dst4j.new");
            }
            Files.delete(heads.resolve(".head-2.dst4j.new").resolve("x"));
            Files.delete(heads.resolve(".head-2.dst4j.new"));
            MultiHeadClassifier.save(b.network(), heads, null, Map.of("model", "b"));
            try (MultiHeadClassifier h = MultiHeadClassifier.load(heads, 1)) {
                assertThat(h.manifest()).containsEntry("model", "b");
                assertThat(h.predictProbabilities(d)).containsExactly(b.predictProbabilities(d));
            }
        }
    }

    // Runs `predict` from two threads at once, alternating two datasets, and counts results that differ from
    // the same calls made one after another.
    private static int concurrentMismatches(Function<Dataset, float[]> predict) throws Exception {
        try (Dataset small = data("small", 300, CLASSES, 11); Dataset large = data("large", 1200, CLASSES, 12)) {
            float[] expectSmall = predict.apply(small), expectLarge = predict.apply(large);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<Integer>> jobs = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    int first = t;
                    jobs.add(pool.submit(() -> {
                        int wrong = 0;
                        for (int i = 0; i < 30; i++) {
                            boolean s = (i + first) % 2 == 0;
                            if (!Arrays.equals(predict.apply(s ? small : large), s ? expectSmall : expectLarge)) wrong++;
                        }
                        return wrong;
                    }));
                }
                int wrong = 0;
                for (Future<Integer> f : jobs) wrong += f.get();
                return wrong;
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void concurrentPredictionsOnOneClassifierGiveTheSequentialResults() throws Exception {
        try (SparseClassifier c = new SparseClassifier(net(1), null, Map.of(), 1)) {
            assertThat(concurrentMismatches(c::predictProbabilities)).as("mismatches").isZero();
            assertThat(concurrentMismatches(d -> {
                int[] p = c.predict(d);
                float[] f = new float[p.length];
                for (int i = 0; i < p.length; i++) f[i] = p[i];
                return f;
            })).isZero();
        }
        try (MultiHeadClassifier m = new MultiHeadClassifier(multiHead(3), null, 2)) {
            assertThat(concurrentMismatches(m::predictProbabilities)).as("mismatches").isZero();
        }
    }
}
