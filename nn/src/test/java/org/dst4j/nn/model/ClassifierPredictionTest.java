package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.dst4j.nn.model.ClassifierLifecycleTest.CLASSES;
import static org.dst4j.nn.model.ClassifierLifecycleTest.data;
import static org.dst4j.nn.model.ClassifierLifecycleTest.multiHead;
import static org.dst4j.nn.model.ClassifierLifecycleTest.net;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.junit.jupiter.api.Test;

/** Inference: on unlabeled-like data, and from several threads at once. */
class ClassifierPredictionTest {

    private static int[] argmax(float[] probs, int samples) {
        int[] out = new int[samples];
        for (int i = 0; i < samples; i++) out[i] = EnsembleMetrics.argmax(probs, i, CLASSES);
        return out;
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
