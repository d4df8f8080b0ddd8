package org.dst4j.nn.data;

import java.util.Arrays;
import java.util.Objects;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.record.ArrayRecords;
import org.dst4j.runtime.resource.Closing;

/**
 * A synthetic two-class problem in the manner of NIPS 2003's MADELON (Guyon): {@code informative}
 * features hold Gaussian clusters placed on the vertices of a hypercube (half the vertices per
 * class, each cluster with its own random covariance), {@code redundant} features are random linear
 * combinations of the informative ones, and the rest is pure N(0, 1) noise. Columns are shuffled; the
 * relevant (informative + redundant) column indices are known, so a feature selector can be scored
 * by how many of them it recovers. Fully determined by the seed.
 *
 * @param split train/test data (features not standardized)
 * @param relevant column indices of the informative and redundant features, ascending
 */
public record MadelonLike(DatasetSplit split, int[] relevant) implements AutoCloseable {

    /** Copies {@code relevant}: changing the caller's array afterwards does not change which features count as relevant. */
    public MadelonLike {
        relevant = Objects.requireNonNull(relevant, "relevant").clone();
    }

    /** Column indices of the informative and redundant features, ascending; a copy. */
    @Override public int[] relevant() { return relevant.clone(); }

    // By content: the generated methods would compare and print the arrays by identity.
    @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

    @Override public int hashCode() { return ArrayRecords.hashCode(this); }

    @Override public String toString() { return ArrayRecords.toString(this); }

    /** QuickSelection's MADELON benchmark: 2,600 samples (2,000 train / 600 test), 5 informative, 15 redundant, 480 noise features. */
    public static MadelonLike standard(long seed) {
        return generate(seed, 2000, 600, 5, 15, 480);
    }

    /**
     * A problem of the given sizes, fully determined by {@code seed}.
     *
     * @param informative features that carry the classes, in [1, 20] (the hypercube has 2^informative vertices)
     * @param redundant random linear combinations of the informative features, >= 0
     * @param noise N(0, 1) features, >= 0
     * @throws IllegalArgumentException for sizes outside those ranges, fewer than 2 training or no test samples
     */
    public static MadelonLike generate(long seed, int trainSamples, int testSamples, int informative, int redundant, int noise) {
        if (informative < 1 || informative > 20) throw new IllegalArgumentException("informative must be in [1, 20], got " + informative);
        if (trainSamples < 2) throw new IllegalArgumentException("trainSamples must be at least 2, got " + trainSamples);
        if (testSamples < 1) throw new IllegalArgumentException("testSamples must be at least 1, got " + testSamples);
        if (redundant < 0) throw new IllegalArgumentException("redundant must be >= 0, got " + redundant);
        if (noise < 0) throw new IllegalArgumentException("noise must be >= 0, got " + noise);
        RandomStream rng = new RandomStream(seed).split("madelon");
        int vertices = 1 << informative, d = informative + redundant + noise, n = trainSamples + testSamples;
        // Half of the hypercube's vertices per class, chosen at random.
        int[] vertexOrder = new int[vertices];
        for (int i = 0; i < vertices; i++) vertexOrder[i] = i;
        rng.shuffle(vertexOrder);
        double[][][] cov = new double[vertices][informative][informative];
        for (double[][] a : cov) for (double[] row : a) for (int j = 0; j < row.length; j++) row[j] = 2 * rng.nextDouble() - 1;
        double[][] mix = new double[informative][redundant];
        for (double[] row : mix) for (int j = 0; j < row.length; j++) row[j] = 2 * rng.nextDouble() - 1;
        int[] column = new int[d];
        for (int i = 0; i < d; i++) column[i] = i;
        rng.shuffle(column); // column[f] = where generated feature f lands
        float[] x = new float[n * d];
        int[] y = new int[n];
        double[] z = new double[informative], u = new double[informative];
        for (int s = 0; s < n; s++) {
            int cluster = s % vertices; // balanced clusters, then samples are shuffled below
            int vertex = vertexOrder[cluster];
            y[s] = cluster < vertices / 2 ? 0 : 1;
            for (int i = 0; i < informative; i++) z[i] = rng.nextGaussian();
            for (int i = 0; i < informative; i++) {
                double v = ((vertex >> i) & 1) == 1 ? 1 : -1;
                for (int j = 0; j < informative; j++) v += z[j] * cov[cluster][j][i];
                u[i] = v;
                x[s * d + column[i]] = (float) v;
            }
            for (int r = 0; r < redundant; r++) {
                double v = 0;
                for (int i = 0; i < informative; i++) v += u[i] * mix[i][r];
                x[s * d + column[informative + r]] = (float) v;
            }
            for (int q = 0; q < noise; q++) x[s * d + column[informative + redundant + q]] = (float) rng.nextGaussian();
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        rng.shuffle(order);
        float[] tx = new float[trainSamples * d], ex = new float[testSamples * d];
        int[] ty = new int[trainSamples], ey = new int[testSamples];
        for (int i = 0; i < n; i++) {
            int s = order[i];
            if (i < trainSamples) {
                System.arraycopy(x, s * d, tx, i * d, d);
                ty[i] = y[s];
            } else {
                System.arraycopy(x, s * d, ex, (i - trainSamples) * d, d);
                ey[i - trainSamples] = y[s];
            }
        }
        int[] relevant = new int[informative + redundant];
        for (int f = 0; f < relevant.length; f++) relevant[f] = column[f];
        Arrays.sort(relevant);
        Dataset train = Dataset.of("madelon/train", tx, trainSamples, d, ty, 2);
        try {
            return new MadelonLike(new DatasetSplit(train, Dataset.of("madelon/test", ex, testSamples, d, ey, 2)), relevant);
        } catch (Throwable e) {
            Closing.after(e, train::close);
            throw e;
        }
    }

    /** How many of {@code selected} are relevant. */
    public int recovered(int[] selected) {
        int hit = 0;
        for (int f : selected) if (Arrays.binarySearch(relevant, f) >= 0) hit++;
        return hit;
    }

    @Override
    public void close() {
        split.close();
    }
}
