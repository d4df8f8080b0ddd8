package org.dst4j.algorithms.evaluation;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.dst4j.nn.data.Dataset;
import org.dst4j.runtime.dense.Argmax;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;

/**
 * Extremely Randomized Trees (Geurts, Ernst and Wehenkel, 2006), the classifier by which feature
 * selection papers score a selection: each tree is grown on the whole training set to pure leaves;
 * at every node {@code sqrt(features)} candidate features each get one uniformly random threshold in
 * the node's range, and the candidate with the best Gini decrease splits. Prediction averages the
 * trees' leaf class distributions. Tree {@code t} uses random stream {@code split(t)}, so the forest is
 * the same for any thread count.
 */
public final class ExtraTrees {
    private final Tree[] trees;
    private final int classes;
    private final int features; // the columns the trees split on, by position

    private ExtraTrees(Tree[] trees, int classes, int features) {
        this.trees = trees;
        this.classes = classes;
        this.features = features;
    }

    /**
     * Grows {@code treeCount} trees on {@code features} of {@code train} (all features when null).
     *
     * @throws IllegalArgumentException if {@code train} has no samples, {@code treeCount < 1}, or a feature index is not one
     *     of {@code train}'s
     */
    public static ExtraTrees fit(Dataset train, int[] features, int treeCount, long seed, WorkerPool pool) {
        // Grown on no sample, every tree was one empty leaf and every sample was predicted as class 0.
        train.requireTrainingSamples();
        // No tree voted for no class: every sample was predicted as class 0 (and a negative count was a NegativeArraySizeException).
        if (treeCount < 1) throw new IllegalArgumentException("treeCount must be >= 1, got " + treeCount);
        float[][] cols = columns(train, features);
        int[] y = train.labels();
        Tree[] trees = new Tree[treeCount];
        RandomStream root = new RandomStream(seed).split("extra-trees");
        pool.run(treeCount, (from, to) -> {
            for (int t = from; t < to; t++) trees[t] = Tree.grow(cols, y, train.classes(), root.split(t));
        });
        return new ExtraTrees(trees, train.classes(), cols.length);
    }

    /**
     * Accuracy on {@code test}, restricted to the same features as at fit time.
     *
     * @throws IllegalArgumentException if {@code features} (or, when null, {@code test}'s) are not as many as at fit time,
     *     or a feature index is not one of {@code test}'s
     */
    public double accuracy(Dataset test, int[] features, WorkerPool pool) {
        float[][] cols = columns(test, features);
        // The trees split on columns by position: fewer failed as an array index, more were read as the wrong features.
        if (cols.length != this.features) {
            throw new IllegalArgumentException("the trees were fit on " + this.features + " features, given " + cols.length + " of " + test.name());
        }
        int n = test.samples();
        int[] correct = new int[n];
        pool.run(n, (from, to) -> {
            float[] votes = new float[classes];
            float[] row = new float[cols.length];
            for (int s = from; s < to; s++) {
                Arrays.fill(votes, 0f);
                for (int f = 0; f < cols.length; f++) row[f] = cols[f][s];
                for (Tree t : trees) t.addDistribution(row, votes);
                correct[s] = Argmax.ofRow(votes, 0, classes) == test.label(s) ? 1 : 0;
            }
        });
        return n == 0 ? 0 : (double) Arrays.stream(correct).sum() / n;
    }

    /**
     * The values of {@code features} (all when null) as columns, {@code [feature][sample]}, on the heap.
     *
     * @throws IllegalArgumentException if a feature index is not in [0, {@code d.features()})
     */
    public static float[][] columns(Dataset d, int[] features) {
        int[] f = features != null ? features : IntStream.range(0, d.features()).toArray();
        for (int j = 0; j < f.length; j++) {
            if (f[j] < 0 || f[j] >= d.features()) {
                throw new IllegalArgumentException("features[" + j + "] = " + f[j] + " is not a feature of " + d.name() + " (it has " + d.features() + ")");
            }
        }
        float[][] cols = new float[f.length][d.samples()];
        for (int s = 0; s < d.samples(); s++) {
            for (int j = 0; j < f.length; j++) cols[j][s] = d.get(s, f[j]);
        }
        return cols;
    }

    /** One tree as flat arrays: internal nodes have a feature >= 0, leaves -1 and a class distribution. */
    static final class Tree {
        private int[] feature = new int[64], left = new int[64], right = new int[64], leaf = new int[64];
        private float[] threshold = new float[64];
        private float[] dist = new float[64];
        private int nodes, distUsed;
        private final int classes;

        private Tree(int classes) {
            this.classes = classes;
        }

        static Tree grow(float[][] cols, int[] y, int classes, RandomStream rng) {
            Tree t = new Tree(classes);
            int n = y.length;
            int[] idx = new int[n];
            for (int i = 0; i < n; i++) idx[i] = i;
            int m = Math.max(1, (int) Math.sqrt(cols.length)); // floor, as scikit-learn's max_features="sqrt"
            int[] order = new int[cols.length];
            int[] countL = new int[classes], countR = new int[classes], total = new int[classes];
            // Explicit stack of (node, from, to) instead of recursion: deep trees on 60,000 samples.
            int[] stack = new int[3 * 64];
            int sp = 0;
            int rootNode = t.newNode();
            stack[sp++] = rootNode;
            stack[sp++] = 0;
            stack[sp++] = n;
            while (sp > 0) {
                int to = stack[--sp], from = stack[--sp], node = stack[--sp];
                Arrays.fill(total, 0);
                for (int i = from; i < to; i++) total[y[idx[i]]]++;
                int bestF = -1;
                float bestT = 0;
                double bestScore = Double.POSITIVE_INFINITY;
                if (!pure(total, to - from)) {
                    // Candidate features in random order; like the reference implementation, constant
                    // features do not count towards the m tried, so a split is found whenever one exists.
                    for (int i = 0; i < order.length; i++) order[i] = i;
                    int tried = 0;
                    for (int k = 0; k < order.length && tried < m; k++) {
                        int pick = k + rng.nextInt(order.length - k);
                        int f = order[pick];
                        order[pick] = order[k];
                        order[k] = f;
                        float[] col = cols[f];
                        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
                        for (int i = from; i < to; i++) {
                            float v = col[idx[i]];
                            lo = Math.min(lo, v);
                            hi = Math.max(hi, v);
                        }
                        if (!(hi > lo)) continue;
                        tried++;
                        // hi - lo overflows a float for a feature spanning more than its range (-3e38 and 3e38): the
                        // threshold was then +Infinity, every sample went left, and the node split into itself forever
                        float span = hi - lo;
                        float thr = (float) (lo + rng.nextDouble() * (Float.isFinite(span) ? span : (double) hi - lo));
                        if (!(thr > lo)) thr = Math.nextUp(lo);
                        Arrays.fill(countL, 0);
                        int nl = 0;
                        for (int i = from; i < to; i++) {
                            if (col[idx[i]] < thr) {
                                countL[y[idx[i]]]++;
                                nl++;
                            }
                        }
                        int nr = to - from - nl;
                        for (int c = 0; c < classes; c++) countR[c] = total[c] - countL[c];
                        double score = nl * gini(countL, nl) + nr * gini(countR, nr);
                        if (score < bestScore) {
                            bestScore = score;
                            bestF = f;
                            bestT = thr;
                        }
                    }
                }
                if (bestF < 0) {
                    t.makeLeaf(node, total, to - from);
                    continue;
                }
                float[] col = cols[bestF];
                int mid = from;
                for (int i = from; i < to; i++) {
                    if (col[idx[i]] < bestT) {
                        int tmp = idx[i];
                        idx[i] = idx[mid];
                        idx[mid++] = tmp;
                    }
                }
                int l = t.newNode(), r = t.newNode();
                t.feature[node] = bestF;
                t.threshold[node] = bestT;
                t.left[node] = l;
                t.right[node] = r;
                if (sp + 6 > stack.length) stack = Arrays.copyOf(stack, stack.length * 2);
                stack[sp++] = l;
                stack[sp++] = from;
                stack[sp++] = mid;
                stack[sp++] = r;
                stack[sp++] = mid;
                stack[sp++] = to;
            }
            return t;
        }

        private static boolean pure(int[] counts, int n) {
            for (int c : counts) if (c == n) return true;
            return n <= 1;
        }

        private static double gini(int[] counts, int n) {
            if (n == 0) return 0;
            double s = 0;
            for (int c : counts) s += (double) c * c;
            return 1 - s / ((double) n * n);
        }

        private int newNode() {
            if (nodes == feature.length) {
                int cap = nodes * 2;
                feature = Arrays.copyOf(feature, cap);
                left = Arrays.copyOf(left, cap);
                right = Arrays.copyOf(right, cap);
                leaf = Arrays.copyOf(leaf, cap);
                threshold = Arrays.copyOf(threshold, cap);
            }
            feature[nodes] = -1;
            return nodes++;
        }

        private void makeLeaf(int node, int[] counts, int n) {
            if (distUsed + classes > dist.length) dist = Arrays.copyOf(dist, Math.max(dist.length * 2, distUsed + classes));
            for (int c = 0; c < classes; c++) dist[distUsed + c] = n == 0 ? 0 : (float) counts[c] / n;
            feature[node] = -1;
            leaf[node] = distUsed;
            distUsed += classes;
        }

        void addDistribution(float[] row, float[] votes) {
            int node = 0;
            while (feature[node] >= 0) node = row[feature[node]] < threshold[node] ? left[node] : right[node];
            int base = leaf[node];
            for (int c = 0; c < classes; c++) votes[c] += dist[base + c];
        }
    }
}
