package org.dst4j.algorithms.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.dst4j.nn.data.Dataset;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;

class EvaluationTest {

    // Two finite values 6e38 apart: their difference overflows a float, and a threshold of +Infinity would never stop
    // the tree growing.
    @Test
    void aFeatureSpanningMoreThanTheFloatRangeStillSplits() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (Dataset d = Dataset.of("wide", new float[] {-3e38f, 3e38f}, 2, 1, new int[] {0, 1}, 2);
                 WorkerPool pool = new WorkerPool(1)) {
                assertThat(ExtraTrees.fit(d, null, 1, 7, pool).accuracy(d, null, pool)).isEqualTo(1.0);
            }
        });
    }

    @Test
    void hungarianFindsTheOptimalAssignment() {
        double[][] cost = {{4, 1, 3}, {2, 0, 5}, {3, 2, 2}};
        // brute force over all 6 permutations: the optimum is 1 + 2 + 2 = 5 (rows -> cols 1, 0, 2)
        assertThat(Hungarian.minimize(cost)).containsExactly(1, 0, 2);
        int[][] perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        RandomStream rng = new RandomStream(3);
        for (int trial = 0; trial < 50; trial++) {
            double[][] c = new double[3][3];
            for (double[] r : c) for (int j = 0; j < 3; j++) r[j] = rng.nextInt(10);
            double best = Double.POSITIVE_INFINITY;
            for (int[] p : perms) best = Math.min(best, c[0][p[0]] + c[1][p[1]] + c[2][p[2]]);
            int[] a = Hungarian.minimize(c);
            assertThat(c[0][a[0]] + c[1][a[1]] + c[2][a[2]]).isEqualTo(best);
        }
    }

    // Sizes 1 to 7 against every permutation; small integer costs make ties, and negative ones are allowed.
    @Test
    void hungarianMatchesBruteForceOnLargerMatricesWithTies() {
        RandomStream rng = new RandomStream(11);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + trial % 7;
            double[][] c = new double[n][n];
            for (double[] r : c) for (int j = 0; j < n; j++) r[j] = rng.nextInt(trial % 2 == 0 ? 4 : 100) - 10;
            int[] a = Hungarian.minimize(c);
            assertThat(a).as("a permutation").doesNotHaveDuplicates().hasSize(n);
            for (int j : a) assertThat(j).isBetween(0, n - 1);
            double got = 0;
            for (int i = 0; i < n; i++) got += c[i][a[i]];
            assertThat(got).as("trial %d, n %d", trial, n).isEqualTo(bestAssignment(c, new boolean[n], 0));
        }
    }

    private static double bestAssignment(double[][] c, boolean[] used, int row) {
        if (row == c.length) return 0;
        double best = Double.POSITIVE_INFINITY;
        for (int j = 0; j < c.length; j++) {
            if (used[j]) continue;
            used[j] = true;
            best = Math.min(best, c[row][j] + bestAssignment(c, used, row + 1));
            used[j] = false;
        }
        return best;
    }

    @Test
    void clusteringAccuracyIsInvariantToRenamingClusters() {
        int[] labels = {0, 0, 1, 1, 2, 2};
        assertThat(Hungarian.clusteringAccuracy(new int[] {2, 2, 0, 0, 1, 1}, labels, 3)).isEqualTo(1.0);
        assertThat(Hungarian.clusteringAccuracy(new int[] {2, 2, 0, 1, 1, 1}, labels, 3)).isEqualTo(5 / 6.0);
        assertThat(Hungarian.clusteringAccuracy(new int[] {0, 0, 0, 0, 0, 0}, labels, 3)).isEqualTo(2 / 6.0);
        // labels beyond the k clusters widen the matching: two clusters for classes 0 and 2 (1 has no sample) match both
        assertThat(Hungarian.clusteringAccuracy(new int[] {1, 1, 0, 0}, new int[] {0, 0, 2, 2}, 2)).isEqualTo(1.0);
        assertThat(Hungarian.clusteringAccuracy(new int[] {1, 1, 0, 1}, new int[] {0, 0, 2, 2}, 2)).isEqualTo(3 / 4.0);
    }

    // A NaN or infinite cost never beats the running minimum: no column would be picked and minimize loop for ever.
    @Test
    void hungarianRefusesACostThatIsNotFinite() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertThatThrownBy(() -> Hungarian.minimize(new double[][] {{0, 1}, {2, Double.NaN}}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("cost[1][1] must be finite, got NaN");
            assertThatThrownBy(() -> Hungarian.minimize(new double[][] {{Double.POSITIVE_INFINITY}}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("cost[0][0] must be finite, got Infinity");
        });
    }

    // Out of range, a cluster or a label is named, not an array index failure naming neither.
    @Test
    void clusteringAccuracyNamesAClusterOrLabelOutOfRange() {
        int[] labels = {0, 1, 1};
        assertThatThrownBy(() -> Hungarian.clusteringAccuracy(new int[] {0, 2, 1}, labels, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("sample 1: cluster 2 out of range [0, 2)");
        assertThatThrownBy(() -> Hungarian.clusteringAccuracy(new int[] {0, 1, -1}, labels, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("sample 2: cluster -1 out of range [0, 2)");
        assertThatThrownBy(() -> Hungarian.clusteringAccuracy(new int[] {0, 1, 1}, new int[] {0, -1, 1}, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("sample 1: label -1 must be >= 0");
        assertThatThrownBy(() -> Hungarian.clusteringAccuracy(new int[0], new int[0], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("k must be >= 1, got 0");
    }

    // With no tree nothing would vote and every sample be called class 0 (an accuracy of 0.5 here); a negative count a
    // NegativeArraySizeException.
    @Test
    void extraTreesRefuseACountOfTreesBelowOne() {
        try (WorkerPool pool = new WorkerPool(1); Dataset d = toy(20, 1)) {
            assertThatThrownBy(() -> ExtraTrees.fit(d, null, 0, 7, pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("treeCount must be >= 1, got 0");
            assertThatThrownBy(() -> ExtraTrees.fit(d, null, -1, 7, pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("treeCount must be >= 1, got -1");
        }
    }

    // Grown on no sample, every tree would be one empty leaf and every sample predicted as class 0.
    @Test
    void extraTreesRefuseATrainingSetOfNoSamples() {
        try (WorkerPool pool = new WorkerPool(1); Dataset empty = Dataset.of("none", new float[0], 0, 2, new int[0], 2)) {
            assertThatThrownBy(() -> ExtraTrees.fit(empty, null, 3, 7, pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("none: no training samples");
        }
    }

    // The trees split on columns by position: fewer would fail as an array index, more be read as other features.
    @Test
    void extraTreesScoreOnlyAsManyFeaturesAsTheyWereFitOn() {
        try (WorkerPool pool = new WorkerPool(1); Dataset d = toy(20, 1); Dataset three = wide(20, 2)) {
            ExtraTrees one = ExtraTrees.fit(d, new int[] {0}, 3, 7, pool);
            assertThatThrownBy(() -> one.accuracy(d, null, pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("the trees were fit on 1 features, given 2 of toy");
            ExtraTrees two = ExtraTrees.fit(d, null, 3, 7, pool);
            assertThatThrownBy(() -> two.accuracy(d, new int[] {1}, pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("the trees were fit on 2 features, given 1 of toy");
            assertThatThrownBy(() -> two.accuracy(three, null, pool)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the trees were fit on 2 features, given 16 of wide");
            assertThat(two.accuracy(d, new int[] {0, 1}, pool)).isEqualTo(two.accuracy(d, null, pool));
        }
    }

    @Test
    void extraTreesColumnsNameAFeatureTheDataDoesNotHave() {
        try (Dataset d = toy(4, 1)) {
            assertThatThrownBy(() -> ExtraTrees.columns(d, new int[] {0, 2}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("features[1] = 2 is not a feature of toy (it has 2)");
            assertThatThrownBy(() -> ExtraTrees.columns(d, new int[] {-1}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("features[0] = -1 is not a feature of toy (it has 2)");
        }
    }

    // With no iteration every sample would be left in cluster -1; with no run the mean would be 0 / 0.
    @Test
    void kMeansRefusesNoIterationsAndNoRuns() {
        float[][] cols = {{0, 0.1f, 5, 5.1f}};
        try (WorkerPool pool = new WorkerPool(1)) {
            assertThatThrownBy(() -> KMeans.cluster(cols, 2, 0, new RandomStream(1), pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("maxIterations must be >= 1, got 0");
            assertThatThrownBy(() -> KMeans.meanClusteringAccuracy(cols, new int[] {0, 0, 1, 1}, 2, 0, 1, pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("runs must be >= 1, got 0");
            assertThatThrownBy(() -> KMeans.cluster(new float[][] {{0, 1, 2}, {0, 1}}, 2, 5, new RandomStream(1), pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("column 1 has 2 samples, column 0 has 3");
            assertThat(KMeans.meanClusteringAccuracy(cols, new int[] {0, 0, 1, 1}, 2, 1, 1, pool)).isEqualTo(1.0);
        }
    }

    /** Two features: feature 0 decides the class (x0 > 0.5), feature 1 is noise. */
    private static Dataset toy(int n, long seed) {
        RandomStream rng = new RandomStream(seed);
        float[] x = new float[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = (float) rng.nextDouble();
            x[2 * i + 1] = (float) rng.nextDouble();
            y[i] = x[2 * i] > 0.5f ? 1 : 0;
        }
        return Dataset.of("toy", x, n, 2, y, 2);
    }

    @Test
    void extraTreesLearnAThresholdAndIgnoreNoise() {
        try (WorkerPool pool = new WorkerPool(2); Dataset train = toy(400, 1); Dataset test = toy(400, 2)) {
            ExtraTrees all = ExtraTrees.fit(train, null, 20, 7, pool);
            assertThat(all.accuracy(test, null, pool)).isGreaterThan(0.95);
            // on the noise feature alone the best possible accuracy is chance
            int[] noise = {1};
            assertThat(ExtraTrees.fit(train, noise, 20, 7, pool).accuracy(test, noise, pool)).isBetween(0.35, 0.65);
            // training accuracy of fully grown trees on distinct points is exact
            assertThat(all.accuracy(train, null, pool)).isEqualTo(1.0);
        }
    }

    // Sixteen features (four candidates per node): feature 11 decides the class, feature 0 is constant, the rest
    // noise. The trees find the signal only if each node draws its candidates from all features and keeps the one
    // with the lowest weighted Gini impurity; random splits (a Gini that did not score them) stay near chance.
    @Test
    void extraTreesPickTheInformativeFeatureAmongManyByGini() {
        try (WorkerPool pool = new WorkerPool(1); Dataset train = wide(300, 21); Dataset test = wide(300, 22)) {
            assertThat(ExtraTrees.fit(train, null, 5, 3, pool).accuracy(test, null, pool)).isGreaterThan(0.9);
        }
    }

    // A hundred features, so ten candidates per node, and only the last one not constant: if the constant ones
    // counted toward the ten, most nodes would try only constants and end as impure leaves. Labels are random, so a
    // node is pure only when every split it needed was found.
    @Test
    void constantFeaturesDoNotCountTowardTheCandidatesANodeTries() {
        int n = 200, f = 100;
        RandomStream rng = new RandomStream(31);
        float[] x = new float[n * f];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < f - 1; j++) x[f * i + j] = j % 7;
            x[f * i + f - 1] = i;
            y[i] = rng.nextInt(3);
        }
        try (WorkerPool pool = new WorkerPool(1); Dataset d = Dataset.of("constants", x, n, f, y, 3)) {
            assertThat(ExtraTrees.fit(d, null, 1, 5, pool).accuracy(d, null, pool)).isEqualTo(1.0);
        }
    }

    // Samples that no feature can tell apart end in one impure leaf, which votes its class frequencies (summing to
    // one, whatever the leaf's size), so a large leaf does not outvote a small one in another tree.
    @Test
    void anImpureLeafVotesItsClassFrequencies() {
        float[][] cols = {{0, 0, 0, 1, 1}};
        int[] y = {0, 1, 1, 2, 2};
        ExtraTrees.Tree tree = ExtraTrees.Tree.grow(cols, y, 3, new RandomStream(2));
        float[] votes = new float[3];
        tree.addDistribution(new float[] {0}, votes);
        assertThat(votes).containsExactly(1 / 3f, 2 / 3f, 0f);
        tree.addDistribution(new float[] {1}, votes);
        assertThat(votes).containsExactly(1 / 3f, 2 / 3f, 1f);
    }

    private static Dataset wide(int n, long seed) {
        RandomStream rng = new RandomStream(seed);
        int f = 16;
        float[] x = new float[n * f];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 1; j < f; j++) x[f * i + j] = (float) rng.nextDouble();
            x[f * i] = 2f;
            y[i] = x[f * i + 11] > 0.5f ? 1 : 0;
        }
        return Dataset.of("wide", x, n, f, y, 2);
    }

    @Test
    void extraTreesAreTheSameForAnyThreadCount() {
        try (WorkerPool one = new WorkerPool(1); WorkerPool three = new WorkerPool(3); Dataset train = toy(300, 4); Dataset test = toy(300, 5)) {
            int[] f = {1};
            assertThat(ExtraTrees.fit(train, f, 9, 11, one).accuracy(test, f, one))
                    .isEqualTo(ExtraTrees.fit(train, f, 9, 11, three).accuracy(test, f, three));
        }
    }

    @Test
    void kMeansSeparatesWellSeparatedBlobs() {
        int n = 300;
        float[] x = new float[n * 2];
        int[] y = new int[n];
        RandomStream rng = new RandomStream(8);
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            x[2 * i] = (float) (10 * y[i] + 0.3 * rng.nextGaussian());
            x[2 * i + 1] = (float) (-7 * y[i] + 0.3 * rng.nextGaussian());
        }
        try (WorkerPool pool = new WorkerPool(2); Dataset d = Dataset.of("blobs", x, n, 2, y, 3)) {
            // k-means++ may still start two centers in one blob; the mean over 10 runs is near 1.
            assertThat(KMeans.meanClusteringAccuracy(d, null, 10, 1, pool)).isGreaterThan(0.9).isLessThanOrEqualTo(1.0);
            int[] c = KMeans.cluster(ExtraTrees.columns(d, null), 3, 100, new RandomStream(5), pool);
            assertThat(Hungarian.clusteringAccuracy(c, y, 3)).isIn(1.0, 2 / 3.0);
        }
    }

    // k is allowed from 1 to the number of samples: one cluster holds everything; as many clusters as samples hold
    // one each (k-means++ never picks a point twice: a chosen point is at distance 0). Outside that range, an error.
    @Test
    void kMeansTakesOneClusterUpToOnePerSample() {
        float[][] cols = {{0f, 1f, 5f, 9f, 20f}};
        try (WorkerPool pool = new WorkerPool(1)) {
            assertThat(KMeans.cluster(cols, 1, 10, new RandomStream(1), pool)).containsOnly(0);
            assertThat(KMeans.cluster(cols, 5, 10, new RandomStream(1), pool)).doesNotHaveDuplicates().containsOnly(0, 1, 2, 3, 4);
            assertThatThrownBy(() -> KMeans.cluster(cols, 6, 10, new RandomStream(1), pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("k must be in [1, 5], got 6");
            assertThatThrownBy(() -> KMeans.cluster(cols, 0, 10, new RandomStream(1), pool))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("k must be in [1, 5], got 0");
        }
    }

    // k-means++ seeding alone, without Lloyd's updates (one iteration returns the nearest-seed assignment): with three
    // tight blobs 100 apart, the D^2 draw puts one seed in each blob, so the blobs come back exactly. A uniform draw,
    // a draw that does not keep each point's distance to its nearest seed so far, or one scaled wrongly puts two seeds
    // in one blob on some of these seeds.
    @Test
    void kMeansPlusPlusSeedsOnePerWellSeparatedBlob() {
        int n = 90;
        float[][] cols = new float[1][n];
        int[] labels = new int[n];
        RandomStream jitter = new RandomStream(3);
        for (int i = 0; i < n; i++) {
            labels[i] = i * 3 / n;
            cols[0][i] = 100f * labels[i] + 0.01f * (float) jitter.nextDouble();
        }
        try (WorkerPool pool = new WorkerPool(1)) {
            for (int seed = 0; seed < 20; seed++) {
                int[] c = KMeans.cluster(cols, 3, 1, new RandomStream(seed), pool);
                assertThat(Hungarian.clusteringAccuracy(c, labels, 3)).as("seed %d", seed).isEqualTo(1.0);
            }
        }
    }

    // Lloyd's iterations run to convergence: every point ends nearest to the mean of its own cluster (k-means' fixed point).
    // The blob tests pass on the k-means++ seeds alone, whose nearest-seed assignment is not that on uniform points.
    @Test
    void kMeansEndsWithEveryPointNearestToItsClustersMean() {
        int n = 200, k = 4;
        RandomStream rng = new RandomStream(3);
        float[][] cols = new float[2][n];
        for (int s = 0; s < n; s++) for (int f = 0; f < 2; f++) cols[f][s] = (float) rng.nextDouble();
        try (WorkerPool pool = new WorkerPool(1)) {
            for (long seed = 0; seed < 5; seed++) {
                int[] c = KMeans.cluster(cols, k, 300, new RandomStream(seed), pool);
                double[][] mean = new double[k][2];
                int[] count = new int[k];
                for (int s = 0; s < n; s++) {
                    count[c[s]]++;
                    for (int f = 0; f < 2; f++) mean[c[s]][f] += cols[f][s];
                }
                for (int j = 0; j < k; j++) {
                    assertThat(count[j]).as("seed %d: cluster %d", seed, j).isPositive();
                    for (int f = 0; f < 2; f++) mean[j][f] /= count[j];
                }
                for (int s = 0; s < n; s++) {
                    double own = 0;
                    for (int f = 0; f < 2; f++) own += (cols[f][s] - mean[c[s]][f]) * (cols[f][s] - mean[c[s]][f]);
                    for (int j = 0; j < k; j++) {
                        double d = 0;
                        for (int f = 0; f < 2; f++) d += (cols[f][s] - mean[j][f]) * (cols[f][s] - mean[j][f]);
                        assertThat(own).as("seed %d: point %d in cluster %d, against cluster %d", seed, s, c[s], j).isLessThanOrEqualTo(d + 1e-12);
                    }
                }
            }
        }
    }
}
