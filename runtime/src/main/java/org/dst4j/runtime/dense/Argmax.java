package org.dst4j.runtime.dense;

import java.util.function.IntToDoubleFunction;

/**
 * The index of the largest score: a classifier's predicted class from its outputs or probabilities.
 * Every form here is {@link #of}, so the ensembles, the single networks and the evaluations break ties
 * and treat NaN alike: on ties the lowest index wins, and as NaN compares larger than nothing and nothing
 * compares larger than it, a NaN at index 0 is kept while a NaN anywhere else is never chosen.
 */
public final class Argmax {
    private Argmax() {}

    /** The index in {@code [0, n)} of the largest {@code score(i)} (see the class for ties and NaN); 0 when {@code n < 1}. */
    public static int of(int n, IntToDoubleFunction score) {
        if (n < 1) return 0;
        int best = 0;
        double bestScore = score.applyAsDouble(0);
        for (int i = 1; i < n; i++) {
            double s = score.applyAsDouble(i);
            if (s > bestScore) {
                bestScore = s;
                best = i;
            }
        }
        return best;
    }

    /** The argmax of row {@code row} of the row-major {@code [rows x width]} array {@code a}: {@code a[row * width + i]}. */
    public static int ofRow(float[] a, int row, int width) {
        int at = row * width;
        return of(width, i -> a[at + i]);
    }

    /** The argmax of row {@code row} of the row-major {@code [rows x width]} array {@code a}: {@code a[row * width + i]}. */
    public static int ofRow(double[] a, int row, int width) {
        int at = row * width;
        return of(width, i -> a[at + i]);
    }

    /** The argmax of every row of the row-major {@code [rows x width]} array {@code a}. */
    public static int[] ofRows(float[] a, int rows, int width) {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) out[r] = ofRow(a, r, width);
        return out;
    }

    /** The row of {@code m} holding the largest value of column {@code c} (a batch's outputs are {@code [outputs x batch]}). */
    public static int ofColumn(DenseMatrix m, int c) {
        return of(m.rows(), r -> m.get(r, c));
    }
}
