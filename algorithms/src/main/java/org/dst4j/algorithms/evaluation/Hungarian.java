package org.dst4j.algorithms.evaluation;

import java.util.Arrays;

/** Minimum-cost perfect assignment on a square matrix (Hungarian method, O(n^3), Jonker–Volgenant style potentials). */
public final class Hungarian {
    private Hungarian() {}

    /**
     * {@code result[row]} = the column assigned to {@code row}, minimizing the summed cost.
     *
     * @throws IllegalArgumentException if the matrix is not square or a cost is not finite
     */
    public static int[] minimize(double[][] cost) {
        int n = cost.length;
        for (int i = 0; i < n; i++) {
            double[] r = cost[i];
            if (r.length != n) throw new IllegalArgumentException("cost matrix must be square, got " + n + " x " + r.length);
            // A NaN or infinite cost is never below the running minimum: no column was ever picked and the search looped forever.
            for (int j = 0; j < n; j++) {
                if (!Double.isFinite(r[j])) throw new IllegalArgumentException("cost[" + i + "][" + j + "] must be finite, got " + r[j]);
            }
        }
        double[] u = new double[n + 1], v = new double[n + 1];
        int[] p = new int[n + 1], way = new int[n + 1];
        for (int i = 1; i <= n; i++) {
            p[0] = i;
            int j0 = 0;
            double[] minv = new double[n + 1];
            Arrays.fill(minv, Double.POSITIVE_INFINITY);
            boolean[] used = new boolean[n + 1];
            do {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                double delta = Double.POSITIVE_INFINITY;
                for (int j = 1; j <= n; j++) {
                    if (used[j]) continue;
                    double cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
                    if (cur < minv[j]) {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta) {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (int j = 0; j <= n; j++) {
                    if (used[j]) {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    } else {
                        minv[j] -= delta;
                    }
                }
                j0 = j1;
            } while (p[j0] != 0);
            do {
                int j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            } while (j0 != 0);
        }
        int[] assignment = new int[n];
        for (int j = 1; j <= n; j++) assignment[p[j] - 1] = j - 1;
        return assignment;
    }

    /**
     * Clustering accuracy: the share of samples whose cluster maps to their label under the best
     * one-to-one mapping of clusters to classes.
     *
     * @param clusters the cluster of each sample, in [0, k)
     * @param labels the class of each sample, >= 0
     * @param k the number of clusters
     * @throws IllegalArgumentException if the arrays differ in length, {@code k < 1}, or a cluster or label is out of range
     */
    public static double clusteringAccuracy(int[] clusters, int[] labels, int k) {
        if (clusters.length != labels.length) throw new IllegalArgumentException(clusters.length + " clusters for " + labels.length + " labels");
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        int n = k;
        for (int i = 0; i < labels.length; i++) {
            // Out of range, a cluster or label failed as an array index naming neither.
            if (clusters[i] < 0 || clusters[i] >= k) {
                throw new IllegalArgumentException("sample " + i + ": cluster " + clusters[i] + " out of range [0, " + k + ")");
            }
            if (labels[i] < 0) throw new IllegalArgumentException("sample " + i + ": label " + labels[i] + " must be >= 0");
            n = Math.max(n, labels[i] + 1);
        }
        double[][] cost = new double[n][n];
        for (int i = 0; i < clusters.length; i++) cost[clusters[i]][labels[i]] -= 1;
        int[] a = minimize(cost);
        long hit = 0;
        for (int c = 0; c < n; c++) hit -= (long) cost[c][a[c]];
        return clusters.length == 0 ? 0 : (double) hit / clusters.length;
    }
}
