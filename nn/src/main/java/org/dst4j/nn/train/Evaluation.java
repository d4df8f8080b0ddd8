package org.dst4j.nn.train;

import java.util.Arrays;
import java.util.Objects;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.loss.Loss;
import org.dst4j.nn.network.Network;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;

/**
 * Loss, accuracy and confusion matrix of a network on a dataset, streamed in batches (no activation
 * matrix larger than one batch is ever held).
 *
 * @param loss mean loss per sample
 * @param accuracy share of samples whose predicted class is their label, in [0, 1]
 * @param confusion {@code confusion[true][predicted]} counts, {@code classes x classes} whatever the loss (a squared
 *     error classifier's targets are its labels, one-hot); a label outside the network's classes is in no row
 * @param predictions the predicted class of every sample
 * @param samples number of samples evaluated
 */
public record Evaluation(double loss, double accuracy, long[][] confusion, int[] predictions, int samples) {

    /** Copies the arrays, the matrix row by row: changing the caller's afterwards does not change the evaluation. */
    public Evaluation {
        confusion = copy(Objects.requireNonNull(confusion, "confusion"));
        predictions = Objects.requireNonNull(predictions, "predictions").clone();
    }

    /** {@code confusion[true][predicted]} counts, {@code classes x classes}; a copy. */
    @Override public long[][] confusion() { return copy(confusion); }

    /** The predicted class of every sample; a copy. */
    @Override public int[] predictions() { return predictions.clone(); }

    private static long[][] copy(long[][] a) {
        return Arrays.stream(a).map(long[]::clone).toArray(long[][]::new);
    }

    /**
     * Evaluates {@code net} on every sample of {@code data}, {@code batch} at a time, each batch
     * standardized by {@code input} first (null: used as is).
     */
    public static Evaluation of(ParallelKernels pk, Network net, Dataset data, Standardizer input, Loss loss, int batch) {
        int n = data.samples(), classes = net.outputs();
        int[] labels = data.labels();
        long[][] confusion = new long[classes][classes];
        int[] predictions = new int[n];
        double[] lossSum = {0};
        long[] correct = {0};
        data.inBatches(pk, batch, input, (xb, from, m) -> {
            DenseMatrix out = net.predict(pk, xb);
            lossSum[0] += loss.compute(pk, out, labels, from, null, null, 1f);
            for (int c = 0; c < m; c++) {
                int p = SparseMlp.argmax(out, c);
                predictions[from + c] = p;
                int t = labels[from + c];
                if (t >= 0 && t < classes) confusion[t][p]++;
                if (p == t) correct[0]++;
            }
        });
        return new Evaluation(n == 0 ? 0 : lossSum[0] / n, n == 0 ? 0 : (double) correct[0] / n, confusion, predictions, n);
    }
}
