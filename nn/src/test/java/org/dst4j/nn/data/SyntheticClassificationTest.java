package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.Arrays;
import java.util.concurrent.FutureTask;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.parallel.WorkerPool;
import org.junit.jupiter.api.Test;

class SyntheticClassificationTest {

    @Test
    void sameDataForAnyThreadCountAndDisjointRangesDiffer() {
        SyntheticClassification g = new SyntheticClassification(7, 300, 20, 3, 1f);
        try (WorkerPool one = new WorkerPool(1); WorkerPool three = new WorkerPool(3);
             Dataset a = g.generate("a", 0, 50, one); Dataset b = g.generate("b", 0, 50, three); Dataset c = g.generate("c", 50, 50, one)) {
            assertThat(a.checksum()).isEqualTo(b.checksum());
            assertThat(a.labels()).isEqualTo(b.labels());
            assertThat(c.checksum()).isNotEqualTo(a.checksum());
        }
    }

    @Test
    void informativeFeaturesCarryTheClassAndNoiseHasUnitVariance() {
        int features = 400, informative = 10, n = 6000;
        SyntheticClassification g = new SyntheticClassification(3, features, informative, 2, 1.5f);
        try (WorkerPool pool = new WorkerPool(2); Dataset d = g.generate("d", 0, n, pool)) {
            int[] labels = d.labels();
            int signal = 0;
            double noiseVar = 0;
            int noiseCount = 0;
            for (int f = 0; f < features; f++) {
                double[] sum = new double[2];
                int[] count = new int[2];
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    float v = d.get(i, f);
                    sum[labels[i]] += v;
                    count[labels[i]]++;
                    sq += v * v;
                }
                double gap = Math.abs(sum[0] / count[0] - sum[1] / count[1]);
                if (gap > 1.0) signal++;                    // informative: means differ by 0 or 3
                else {
                    noiseVar += sq / n;
                    noiseCount++;
                }
            }
            // of the informative features, those whose random signs differ between the classes show a gap
            assertThat(signal).isBetween(1, informative);
            assertThat(noiseVar / noiseCount).isCloseTo(1.0, offset(0.1));
            assertThat(Arrays.stream(labels).filter(l -> l == 0).count()).isBetween(2700L, 3300L);
        }
    }

    @Test
    void gatherBatchTransposesWideSamplesExactly() {
        int features = 613;   // more than one 256-feature block, with a tail
        SyntheticClassification g = new SyntheticClassification(5, features, 7, 4, 1f);
        try (WorkerPool pool = new WorkerPool(1); Dataset d = g.generate("d", 0, 40, pool); DenseMatrix x = DenseMatrix.allocate(features, 7)) {
            int[] order = {39, 3, 17, 0, 22, 8, 31, 5, 11};
            d.gatherBatch(order, 2, 7, x);
            for (int c = 0; c < 7; c++) {
                for (int f = 0; f < features; f++) assertThat(x.get(f, c)).isEqualTo(d.get(order[2 + c], f));
            }
        }
    }

    @Test
    void aWideBatchIsTransposedExactlyAlsoSplitBetweenThreads() throws Exception {
        // (The per-thread buffer's 256 KB bound: DenseMatrixTest.)
        int features = 300, n = 700;
        SyntheticClassification g = new SyntheticClassification(5, features, 7, 4, 1f);
        FutureTask<Void> task = new FutureTask<>(() -> {
            try (WorkerPool pool = new WorkerPool(1); Dataset d = g.generate("d", 0, n, pool); DenseMatrix x = DenseMatrix.allocate(features, n)) {
                int[] order = new int[n];
                for (int i = 0; i < n; i++) order[i] = (i * 37 + 11) % n;
                d.gatherBatch(order, 0, n, x);
                for (int c = 0; c < n; c++) {
                    for (int f = 0; f < features; f++) assertThat(x.get(f, c)).isEqualTo(d.get(order[c], f));
                }
                try (WorkerPool three = new WorkerPool(3); DenseMatrix y = DenseMatrix.allocate(features, n)) {
                    d.gatherBatch(three, order, 0, n, y);
                    assertThat(y.toArray()).isEqualTo(x.toArray());
                }
            }
            return null;
        });
        Thread.ofPlatform().start(task);  // a fresh thread: nothing kept from earlier tests
        task.get();
    }

    @Test
    void theStreamIsFixedByTheSeedAndARangeIsASliceOfIt() {
        SyntheticClassification g = new SyntheticClassification(7, 30, 5, 3, 1f);
        try (WorkerPool pool = new WorkerPool(1); Dataset all = g.generate("all", 0, 20, pool); Dataset tail = g.generate("tail", 10, 10, pool)) {
            for (int i = 0; i < 10; i++) {
                assertThat(tail.label(i)).isEqualTo(all.label(10 + i));
                for (int f = 0; f < 30; f++) assertThat(tail.get(i, f)).isEqualTo(all.get(10 + i, f));
            }
            // Benchmarks compare runs across versions on this data: its values are pinned.
            assertThat(all.checksum()).isEqualTo(4058577376L);
        }
    }

    @Test
    void eachInformativeFeatureCarriesItsClassMeanAndEveryValueItsNoise() {
        // A separation far beyond the noise's sqrt(3): the informative features are the ones far from 0.
        int features = 12, informative = 4;
        SyntheticClassification g = new SyntheticClassification(9, features, informative, 3, 100f);
        try (WorkerPool pool = new WorkerPool(1); Dataset d = g.generate("d", 0, 60, pool)) {
            boolean[] far = new boolean[features];
            for (int i = 0; i < d.samples(); i++) {
                int count = 0;
                for (int f = 0; f < features; f++) {
                    float v = d.get(i, f);
                    float noise = Math.abs(v) > 50 ? Math.abs(v) - 100 : v;
                    assertThat(Math.abs(noise)).isLessThanOrEqualTo((float) Math.sqrt(3.0) + 1e-4f);
                    if (Math.abs(v) > 50) {
                        count++;
                        far[f] = true;
                    }
                }
                assertThat(count).as("sample %d", i).isEqualTo(informative);
            }
            int columns = 0;
            for (boolean b : far) if (b) columns++;
            assertThat(columns).isEqualTo(informative);
        }
    }

    @Test
    void theLeastSizesAreTaken() {
        SyntheticClassification g = new SyntheticClassification(1, 1, 1, 2, 1f);
        try (WorkerPool pool = new WorkerPool(1); Dataset one = g.generate("one", 0, 3, pool); Dataset none = g.generate("none", 0, 0, pool)) {
            assertThat(one.features()).isEqualTo(1);
            assertThat(none.samples()).isZero();
            assertThatThrownBy(() -> g.generate("bad", 0, -1, pool)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("samples must be >= 0, got -1");
        }
        assertThatThrownBy(() -> new SyntheticClassification(1, 0, 1, 2, 1f)).hasMessage("features must be >= 1, got 0");
        assertThatThrownBy(() -> new SyntheticClassification(1, 10, 0, 2, 1f)).hasMessage("informative features must be in [1, 10], got 0");
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> new SyntheticClassification(1, 10, 11, 2, 1f)).hasMessageContaining("informative features must be in [1, 10]");
        assertThatThrownBy(() -> new SyntheticClassification(1, 10, 5, 1, 1f)).hasMessageContaining("classes must be >= 2");
    }
}
