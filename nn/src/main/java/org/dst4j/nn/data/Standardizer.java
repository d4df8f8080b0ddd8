package org.dst4j.nn.data;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.Kernels;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.record.ArrayRecords;

/**
 * Per-feature standardization {@code (x - mean) / std}, fitted on training data only and applied to
 * every split (a feature with zero variance, or one too small for float to divide by, is only centred).
 * Saved with a model so predictions see the same transform.
 *
 * @param mean each feature's mean, finite
 * @param std each feature's standard deviation, finite and > 0 (1 for a feature without variance, or with one below
 *     {@code 1 / Float.MAX_VALUE}, which is only centred)
 */
public record Standardizer(float[] mean, float[] std) {

    /** Copies both arrays: changing the caller's afterwards does not change the transform. */
    public Standardizer {
        mean = Objects.requireNonNull(mean, "mean").clone();
        std = Objects.requireNonNull(std, "std").clone();
        if (mean.length != std.length) throw new IllegalArgumentException("mean has " + mean.length + " features, std " + std.length);
        // fit() never gives these; a std of 0 would turn a feature into NaN or infinity.
        for (int f = 0; f < mean.length; f++) {
            if (!Float.isFinite(mean[f])) throw new IllegalArgumentException("mean of feature " + f + " is " + mean[f] + ", expected a finite number");
            if (!(std[f] > 0 && Float.isFinite(std[f]))) throw new IllegalArgumentException("std of feature " + f + " is " + std[f] + ", expected a finite number > 0");
            // Up to 1 / Float.MAX_VALUE (itself included) the inverse apply() multiplies by is infinite, and every prediction NaN.
            if (!Float.isFinite(1f / std[f])) {
                throw new IllegalArgumentException("std of feature " + f + " is " + std[f] + ", too small to divide by; expected at least "
                        + Math.nextUp(1f / Float.MAX_VALUE));
            }
        }
    }

    // By content: the generated methods would compare and print the arrays by identity.
    @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

    @Override public int hashCode() { return ArrayRecords.hashCode(this); }

    @Override public String toString() { return ArrayRecords.toString(this); }

    /** Fits on {@code train} (double accumulation, two passes). */
    public static Standardizer fit(Dataset train) {
        int d = train.features(), n = train.samples();
        double[] sum = new double[d], sq = new double[d];
        float[] row = new float[d];
        for (long s = 0; s < n; s++) {
            MemorySegment.copy(train.features(s), JAVA_FLOAT, 0, row, 0, d);
            for (int f = 0; f < d; f++) sum[f] += row[f];
        }
        float[] mean = new float[d], std = new float[d];
        for (int f = 0; f < d; f++) mean[f] = (float) (sum[f] / Math.max(1, n));
        for (long s = 0; s < n; s++) {
            MemorySegment.copy(train.features(s), JAVA_FLOAT, 0, row, 0, d);
            for (int f = 0; f < d; f++) {
                // The float difference overflows for features near the float range (3e38 - -1e38): those are taken in
                // double; the others keep the float difference, so that every std fitted before keeps its bits.
                float d32 = row[f] - mean[f];
                double e = Float.isFinite(d32) ? d32 : (double) row[f] - mean[f];
                sq[f] += e * e;
            }
        }
        for (int f = 0; f < d; f++) {
            // Not a fixed threshold: one of 1e-12 only centred features measured in small units (1e-20 apart), leaving
            // them at ~0 beside features of 1. A constant feature's variance is exactly 0; one varying by less than
            // float can divide by (subnormals) is only centred too.
            float v = (float) Math.sqrt(sq[f] / Math.max(1, n));
            std[f] = v > 0 && Float.isFinite(1f / v) ? v : 1f;
        }
        return new Standardizer(mean, std);
    }

    /**
     * One mean and one standard deviation over every feature of {@code train} (the global scalars of
     * torchvision's {@code Normalize}): an affine rescaling that keeps pixels comparable to each other.
     */
    public static Standardizer fitGlobal(Dataset train) {
        int d = train.features(), n = train.samples();
        double sum = 0, sq = 0;
        float[] row = new float[d];
        for (long s = 0; s < n; s++) {
            MemorySegment.copy(train.features(s), JAVA_FLOAT, 0, row, 0, d);
            for (int f = 0; f < d; f++) sum += row[f];
        }
        double count = Math.max(1.0, (double) n * d), mean = sum / count;
        for (long s = 0; s < n; s++) {
            MemorySegment.copy(train.features(s), JAVA_FLOAT, 0, row, 0, d);
            for (int f = 0; f < d; f++) sq += (row[f] - mean) * (row[f] - mean);
        }
        float sd = (float) Math.sqrt(sq / count);
        float[] m = new float[d], sdv = new float[d];
        Arrays.fill(m, (float) mean);
        // fit's rule, not its old fixed threshold of 1e-12, which only centred data in small units here too
        Arrays.fill(sdv, sd > 0 && Float.isFinite(1f / sd) ? sd : 1f);
        return new Standardizer(m, sdv);
    }

    /** The same means with every standard deviation 1: subtracts the means and scales nothing. */
    public Standardizer centeringOnly() {
        float[] one = new float[std.length];
        Arrays.fill(one, 1f);
        return new Standardizer(mean, one);
    }

    /**
     * How far {@code data} lies from the data this was fitted on: the mean over its samples and features of
     * |x − mean| / std. Data like the fitted data gives under about 1 (the fitted data's own mean absolute score is at
     * most 1); data on another scale, such as 0..255 pixels beside 0..1 ones, gives hundreds. Finite for finite data,
     * values near the float range included.
     *
     * @throws IllegalArgumentException if {@code data} has another number of features
     */
    public double meanAbsoluteScore(Dataset data) {
        int d = mean.length;
        if (data.features() != d) {
            throw new IllegalArgumentException(data.name() + " has " + data.features() + " features; the standardizer was fitted on " + d);
        }
        if (data.samples() == 0) return 0;
        float[] row = new float[d];
        double sum = 0;
        for (long s = 0; s < data.samples(); s++) {
            MemorySegment.copy(data.features(s), JAVA_FLOAT, 0, row, 0, d);
            // In double: in float, a value near the float range (3.4e38 beside a std of 0.5, or 3e38 beside a mean of -3e38)
            // overflowed, and data far outside was said to lie "Infinity" standard deviations away.
            for (int f = 0; f < d; f++) sum += Math.abs(((double) row[f] - mean[f]) / std[f]);
        }
        return sum / ((double) data.samples() * d);
    }

    /** Standardizes {@code data} in place. */
    public void apply(Dataset data) {
        int d = mean.length;
        if (data.features() != d) {
            throw new IllegalArgumentException(data.name() + " has " + data.features() + " features; the standardizer was fitted on " + d);
        }
        float[] row = new float[d];
        for (long s = 0; s < data.samples(); s++) {
            MemorySegment seg = data.features(s);
            MemorySegment.copy(seg, JAVA_FLOAT, 0, row, 0, d);
            for (int f = 0; f < d; f++) row[f] = Kernels.standardized(row[f], mean[f], 1f / std[f], std[f]);
            MemorySegment.copy(row, 0, seg, JAVA_FLOAT, 0, d);
        }
    }

    /** Standardizes the columns of a feature-major batch ({@code features x batch}) in place, on the calling thread. */
    public void apply(DenseMatrix batch) {
        checkBatch(batch);
        KernelProvider.get().standardize(batch, mean, std, 0, batch.rows());
    }

    /** {@link #apply(DenseMatrix)} with the features split between {@code pk}'s threads. */
    public void apply(ParallelKernels pk, DenseMatrix batch) {
        checkBatch(batch);
        pk.standardize(batch, mean, std);
    }

    private void checkBatch(DenseMatrix batch) {
        if (batch.rows() != mean.length) {
            throw new IllegalArgumentException("batch has " + batch.rows() + " features; the standardizer was fitted on " + mean.length);
        }
    }

    /** The mean of each feature; a copy. */
    @Override public float[] mean() { return mean.clone(); }

    /** The standard deviation of each feature; a copy. */
    @Override public float[] std() { return std.clone(); }
}
