package org.dst4j.nn.init;

import java.util.Arrays;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Samples a random sparse weight matrix directly row by row: never a dense {@code out x in} pass, so
 * initialization costs O(connections) however wide the layer.
 */
public final class SparseInit {
    private SparseInit() {}

    /**
     * An {@code out x in} matrix with {@code round(density * out * in)} connections at uniformly random
     * distinct positions and weights drawn by {@code init}.
     *
     * @throws IllegalArgumentException if {@code density} is not in [0, 1], or the layer would have more than
     *     2^31-1 connections
     */
    public static CsrMatrix sample(int out, int in, double density, WeightInit init, RandomStream rnd) {
        if (!(density >= 0 && density <= 1)) throw new IllegalArgumentException("density must be in [0, 1], got " + density);
        long total = connections(out, in, density);
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a layer of " + total + " connections exceeds the 2^31-1 per-layer limit; split it");
        }
        int[] counts = rowCounts(out, in, total, rnd);
        CsrMatrix.Builder b = CsrMatrix.builder(out, in, total);
        int[] cols = new int[in];
        float[] vals = new float[in];
        int[] scratch = new int[in];
        for (int r = 0; r < out; r++) {
            int k = sampleColumns(in, counts[r], rnd, cols, scratch);
            for (int i = 0; i < k; i++) vals[i] = init.sample(rnd, in, out);
            b.addRow(cols, vals, k);
        }
        return b.build();
    }

    /**
     * The connections {@link #sample} places in an {@code out x in} layer at {@code density}, computed
     * without sampling, so a caller can refuse a layer of none, or of more than 2^31-1, before building it.
     */
    public static long connections(int out, int in, double density) {
        long cells = (long) out * in;
        return Math.min(cells, Math.round(density * cells));
    }

    // Multinomial row counts: each connection picks a row uniformly; a full row passes its excess on.
    private static int[] rowCounts(int out, int in, long total, RandomStream rnd) {
        int[] counts = new int[out];
        if (out == 0) return counts;
        if (total == (long) out * in) {
            Arrays.fill(counts, in);
            return counts;
        }
        long excess = 0;
        for (long t = 0; t < total; t++) {
            int r = rnd.nextInt(out);
            if (counts[r] < in) counts[r]++;
            else excess++;
        }
        for (int r = 0; excess > 0; r = (r + 1) % out) {
            if (counts[r] < in) {
                counts[r]++;
                excess--;
            }
        }
        return counts;
    }

    /**
     * Fills {@code out[0..k)} with {@code k} distinct ascending columns drawn uniformly from {@code [0, n)};
     * returns k. Dense rows are drawn as the complement of a smaller sample.
     */
    static int sampleColumns(int n, int k, RandomStream rnd, int[] out, int[] scratch) {
        if (k == n) {
            for (int i = 0; i < n; i++) out[i] = i;
            return n;
        }
        if (k > n / 2) {
            int m = sampleDistinct(n, n - k, rnd, scratch);
            int j = 0, o = 0;
            for (int c = 0; c < n; c++) {
                if (j < m && scratch[j] == c) j++;
                else out[o++] = c;
            }
            return o;
        }
        return sampleDistinct(n, k, rnd, out);
    }

    // k distinct sorted values from [0, n), k <= n/2: draw, sort, drop repeats, draw the shortfall again.
    private static int sampleDistinct(int n, int k, RandomStream rnd, int[] out) {
        int have = 0;
        while (have < k) {
            for (int i = have; i < k; i++) out[i] = rnd.nextInt(n);
            Arrays.sort(out, 0, k);
            int w = 0;
            for (int i = 0; i < k; i++) if (w == 0 || out[i] != out[w - 1]) out[w++] = out[i];
            have = w;
        }
        return k;
    }
}
