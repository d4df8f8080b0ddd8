package org.dst4j.nn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.loss.MeanSquaredError;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;

/**
 * Evaluation.of against the network's outputs on the whole set at once, not against another Evaluation.of (which a
 * loss summed with the wrong sign, a confusion matrix missing class 0 or a wrong count of right answers would pass).
 */
class EvaluationTest {
    static final int FEATURES = TrainerTest.FEATURES, OUTPUTS = TrainerTest.CLASSES;

    @Test
    void lossAccuracyConfusionAndPredictionsAreThoseOfTheOutputsBatchByBatch() {
        int n = 41, classes = OUTPUTS + 1;
        RandomStream rnd = new RandomStream(8);
        float[] rowMajor = new float[n * FEATURES];
        for (int i = 0; i < rowMajor.length; i++) rowMajor[i] = (float) rnd.nextGaussian();
        // labels 0..3 for a network of 3 outputs: label 3 is no output's, so it is in no row and never right
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % classes;
        try (Dataset data = Dataset.of("four", rowMajor, n, FEATURES, labels, classes);
             SparseMlp net = SparseMlp.create(TrainerTest.config(), new RandomStream(2), 9);
             WorkerPool pool = new WorkerPool(1);
             DenseMatrix x = DenseMatrix.allocate(FEATURES, n)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            for (int i = 0; i < n; i++) for (int f = 0; f < FEATURES; f++) x.set(f, i, rowMajor[i * FEATURES + f]);
            DenseMatrix out = net.predict(pk, x);
            double loss = new MeanSquaredError().compute(pk, out, labels, 0, null, null, 1f) / n;
            long[][] confusion = new long[OUTPUTS][OUTPUTS];
            int[] predicted = new int[n];
            int right = 0;
            for (int i = 0; i < n; i++) {
                int p = 0;
                for (int j = 1; j < OUTPUTS; j++) if (out.get(j, i) > out.get(p, i)) p = j;
                predicted[i] = p;
                if (labels[i] < OUTPUTS) confusion[labels[i]][p]++;
                if (p == labels[i]) right++;
            }
            assertThat(right).as("some right, some wrong").isStrictlyBetween(0, n);

            Evaluation e = Evaluation.of(pk, net, data, null, new MeanSquaredError(), 7);
            assertThat(e.samples()).isEqualTo(n);
            assertThat(e.loss()).isPositive().isCloseTo(loss, within(1e-6));
            assertThat(e.accuracy()).isEqualTo((double) right / n);
            assertThat(e.predictions()).containsExactly(predicted);
            assertThat(e.confusion()).isDeepEqualTo(confusion);
            assertThat(confusion[0][0] + confusion[0][1] + confusion[0][2]).as("class 0's samples").isEqualTo(11);
        }
    }

    @Test
    void anEmptySetHasNoLossAndNoAccuracy() {
        try (Dataset empty = Dataset.of("empty", new float[0], 0, FEATURES, new int[0], OUTPUTS);
             SparseMlp net = SparseMlp.create(TrainerTest.config(), new RandomStream(2), 9);
             WorkerPool pool = new WorkerPool(1)) {
            Evaluation e = Evaluation.of(new ParallelKernels(KernelProvider.get(), pool), net, empty, null, new MeanSquaredError(), 7);
            assertThat(e.samples()).isZero();
            assertThat(e.loss()).isZero();
            assertThat(e.accuracy()).isZero();
            assertThat(e.confusion()).isDeepEqualTo(new long[OUTPUTS][OUTPUTS]);
        }
    }
}
