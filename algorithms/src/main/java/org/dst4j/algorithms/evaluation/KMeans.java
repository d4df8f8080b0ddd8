package org.dst4j.algorithms.evaluation;

import java.util.Arrays;
import org.dst4j.nn.data.Dataset;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;

/**
 * Lloyd's k-means with k-means++ seeding, in double precision. Used to score a feature selection by
 * clustering accuracy (clusters matched to labels by {@link Hungarian}).
 */
public final class KMeans {
    private KMeans() {}

    /**
     * Cluster index of every sample of the columns {@code cols}.
     *
     * @param cols the feature columns, {@code [feature][sample]}, all of one length
     * @param k the number of clusters, in [1, samples]
     * @param maxIterations the most Lloyd iterations, >= 1
     * @throws IllegalArgumentException if {@code k} or {@code maxIterations} is out of range or the columns differ in length
     */
    public static int[] cluster(float[][] cols, int k, int maxIterations, RandomStream rng, WorkerPool pool) {
        int d = cols.length, n = d == 0 ? 0 : cols[0].length;
        for (int f = 1; f < d; f++) {
            if (cols[f].length != n) throw new IllegalArgumentException("column " + f + " has " + cols[f].length + " samples, column 0 has " + n);
        }
        if (k < 1 || k > n) throw new IllegalArgumentException("k must be in [1, " + n + "], got " + k);
        // With no iteration every sample kept the cluster -1.
        if (maxIterations < 1) throw new IllegalArgumentException("maxIterations must be >= 1, got " + maxIterations);
        double[][] centers = new double[k][d];
        // k-means++: the first center uniformly, each next one with probability proportional to D(x)^2.
        double[] dist = new double[n];
        int first = rng.nextInt(n);
        for (int f = 0; f < d; f++) centers[0][f] = cols[f][first];
        for (int s = 0; s < n; s++) dist[s] = squared(cols, s, centers[0]);
        for (int c = 1; c < k; c++) {
            double sum = 0;
            for (double x : dist) sum += x;
            double r = rng.nextDouble() * sum;
            int pick = n - 1;
            for (int s = 0; s < n; s++) {
                r -= dist[s];
                if (r < 0) {
                    pick = s;
                    break;
                }
            }
            for (int f = 0; f < d; f++) centers[c][f] = cols[f][pick];
            for (int s = 0; s < n; s++) dist[s] = Math.min(dist[s], squared(cols, s, centers[c]));
        }
        int[] assign = new int[n];
        Arrays.fill(assign, -1);
        for (int it = 0; it < maxIterations; it++) {
            int[] moved = new int[n];
            pool.run(n, (from, to) -> {
                for (int s = from; s < to; s++) {
                    int best = 0;
                    double bd = Double.POSITIVE_INFINITY;
                    for (int c = 0; c < k; c++) {
                        double dd = squared(cols, s, centers[c]);
                        if (dd < bd) {
                            bd = dd;
                            best = c;
                        }
                    }
                    moved[s] = assign[s] != best ? 1 : 0;
                    assign[s] = best;
                }
            });
            if (Arrays.stream(moved).sum() == 0) break;
            double[][] sum = new double[k][d];
            int[] count = new int[k];
            for (int s = 0; s < n; s++) {
                count[assign[s]]++;
                for (int f = 0; f < d; f++) sum[assign[s]][f] += cols[f][s];
            }
            for (int c = 0; c < k; c++) {
                if (count[c] == 0) continue; // an empty cluster keeps its center
                for (int f = 0; f < d; f++) centers[c][f] = sum[c][f] / count[c];
            }
        }
        return assign;
    }

    private static double squared(float[][] cols, int s, double[] center) {
        double t = 0;
        for (int f = 0; f < center.length; f++) {
            double e = cols[f][s] - center[f];
            t += e * e;
        }
        return t;
    }

    /**
     * Mean clustering accuracy over {@code runs} k-means runs (k = number of classes) on {@code features}.
     *
     * @throws IllegalArgumentException if {@code runs < 1}, a feature index is not one of {@code data}'s, or as {@link #cluster}
     */
    public static double meanClusteringAccuracy(Dataset data, int[] features, int runs, long seed, WorkerPool pool) {
        return meanClusteringAccuracy(ExtraTrees.columns(data, features), data.labels(), data.classes(), runs, seed, pool);
    }

    /**
     * Mean clustering accuracy over {@code runs} k-means runs (k = {@code classes}) on feature columns
     * {@code cols} ({@code [feature][sample]}, for instance scaled copies of {@link ExtraTrees#columns}).
     *
     * @throws IllegalArgumentException if {@code runs < 1}, or as {@link #cluster} and {@link Hungarian#clusteringAccuracy}
     */
    public static double meanClusteringAccuracy(float[][] cols, int[] labels, int classes, int runs, long seed, WorkerPool pool) {
        // No run was a mean of 0 / 0: NaN, or -0.0 for a negative count.
        if (runs < 1) throw new IllegalArgumentException("runs must be >= 1, got " + runs);
        RandomStream root = new RandomStream(seed).split("kmeans");
        double total = 0;
        for (int r = 0; r < runs; r++) {
            int[] clusters = cluster(cols, classes, 300, root.split(r), pool);
            total += Hungarian.clusteringAccuracy(clusters, labels, classes);
        }
        return total / runs;
    }
}
