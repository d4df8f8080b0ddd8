package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;

class DatasetTest {

    private static Dataset three() {
        return Dataset.of("three", new float[] {1, 2, 3, 4, 5, 6}, 3, 2, new int[] {0, 1, 0}, 2);
    }

    // A grid of negative sizes, or one not covering the features, is refused, not kept for a pixel chart to fail on
    // later.
    @Test
    void anImageGridMustCoverTheFeatures() {
        int[] labels = {0, 1};
        Dataset.allocate("ok", 2, 6, labels, 2, 2, 3).close();
        Dataset.allocate("flat", 2, 6, labels, 2, 0, 0).close();
        for (int[] grid : new int[][] {{-2, -3}, {2, 2}, {0, 6}, {6, 0}}) {
            assertThatThrownBy(() -> Dataset.allocate("d", 2, 6, labels, 2, grid[0], grid[1])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("d: an image grid of " + grid[0] + " x " + grid[1] + " for 6 features; expected rows x cols = features,"
                            + " or 0 x 0 for data that are not images");
        }
    }

    @Test
    void afterCloseTheLabelsAreAnIllegalStateExceptionLikeTheFeatures() {
        Dataset d = three();
        d.close();
        assertThatThrownBy(() -> d.label(0)).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
        assertThatThrownBy(d::labels).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
        assertThatThrownBy(() -> d.get(0, 0)).isInstanceOf(IllegalStateException.class);
        // the segments too, when asked for, not when first read somewhere else
        assertThatThrownBy(() -> d.features(0)).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
        assertThatThrownBy(d::segment).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
        assertThat(d.samples()).isEqualTo(3);
    }

    @Test
    void aSamplesFeaturesAreItsOwnAndASampleOutOfRangeIsRefused() {
        try (Dataset d = three()) {
            assertThat(d.features(2).toArray(ValueLayout.JAVA_FLOAT)).containsExactly(5, 6);
            assertThatThrownBy(() -> d.features(3)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> d.features(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    // A closed set's batches are refused naming it, not with the runtime's "Already closed".
    @Test
    void batchesOfAClosedDatasetAreRefusedNamingIt() {
        Dataset d = three();
        d.close();
        try (WorkerPool pool = new WorkerPool(1); DenseMatrix out = DenseMatrix.allocate(2, 3)) {
            assertThatThrownBy(() -> d.gatherBatch(new int[] {0, 1, 2}, 0, 3, out)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("three: the dataset is closed");
            assertThatThrownBy(() -> d.gatherBatch(pool, new int[] {0, 1, 2}, 0, 3, out)).isInstanceOf(IllegalStateException.class)
                    .hasMessage("three: the dataset is closed");
            assertThatThrownBy(() -> d.inBatches(2, null, (x, from, m) -> { })).isInstanceOf(IllegalStateException.class)
                    .hasMessage("three: the dataset is closed");
            assertThatThrownBy(() -> d.inBatches(out, null, (x, from, m) -> { })).isInstanceOf(IllegalStateException.class)
                    .hasMessage("three: the dataset is closed");
        }
    }

    // A copy of a closed dataset is refused before the copy is allocated, naming the dataset.
    @Test
    void copiesOfAClosedDatasetAreRefusedNamingIt() {
        Dataset d = three();
        d.close();
        assertThatThrownBy(() -> d.subset(new int[] {1})).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
        assertThatThrownBy(() -> d.selectFeatures(new int[] {1})).isInstanceOf(IllegalStateException.class)
                .hasMessage("three: the dataset is closed");
        assertThatThrownBy(() -> d.withClasses(3)).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
        assertThatThrownBy(d::checksum).isInstanceOf(IllegalStateException.class).hasMessage("three: the dataset is closed");
    }

    @Test
    void subsetCopiesTheSamplesAndNamesAnIndexOutOfRange() {
        try (Dataset d = three(); Dataset s = d.subset(new int[] {2, 1})) {
            assertThat(s.samples()).isEqualTo(2);
            assertThat(s.labels()).containsExactly(0, 1);
            assertThat(s.get(0, 1)).isEqualTo(6f);
            assertThat(s.get(1, 0)).isEqualTo(3f);
            assertThatThrownBy(() -> d.subset(new int[] {0, 3})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("three: sample index 3 (at 1) out of range [0, 3)");
            assertThatThrownBy(() -> d.selectFeatures(new int[] {2})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("three: feature 2 out of range [0, 2)");
        }
    }
    @Test
    void unlabeledSamplesAreOneClassOfLabelZeroAndAWrongLengthIsNamed() {
        try (Dataset d = Dataset.unlabeled("u", new float[] {1, 2, 3, 4, 5, 6}, 3)) {
            assertThat(d.samples()).isEqualTo(2);
            assertThat(d.features()).isEqualTo(3);
            assertThat(d.classes()).isEqualTo(1);
            assertThat(d.labels()).containsExactly(0, 0);
            assertThat(d.get(1, 2)).isEqualTo(6f);
        }
        assertThatThrownBy(() -> Dataset.unlabeled("u", new float[] {1}, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("u: features must be >= 1, got 0");
        assertThatThrownBy(() -> Dataset.unlabeled("u", new float[0], 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("u: expected one or more samples of 3 features, got 0 values");
        assertThatThrownBy(() -> Dataset.unlabeled("u", new float[4], 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("u: expected one or more samples of 3 features, got 4 values");
    }

    @Test
    void anEmptySetIsADatasetButNoTrainingSet() {
        try (Dataset empty = Dataset.of("empty", new float[0], 0, 2, new int[0], 1); Dataset d = three()) {
            assertThatThrownBy(empty::requireTrainingSamples).isInstanceOf(IllegalArgumentException.class).hasMessage("empty: no training samples");
            d.requireTrainingSamples();
        }
        assertThatThrownBy(() -> Dataset.of("c", new float[2], 1, 2, new int[] {2}, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("c: label 2 of sample 0 out of range [0, 2)");
        assertThatThrownBy(() -> Dataset.of("c", new float[2], 1, 2, new int[] {0}, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("c: classes must be >= 1, got 0");
    }

    // Gathered and standardized by a pool's threads, every batch has the bits of the calling thread's.
    @Test
    void inBatchesThroughAPoolHandsTheSameBatches() {
        int samples = 37, features = 300;
        float[] raw = new float[samples * features];
        RandomStream rnd = new RandomStream(5);
        for (int i = 0; i < raw.length; i++) raw[i] = 3f * (float) rnd.nextGaussian() + i % 7;
        try (Dataset d = Dataset.of("random", raw, samples, features, new int[samples], 1);
             WorkerPool pool = new WorkerPool(3)) {
            Standardizer std = Standardizer.fit(d);
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            List<float[]> alone = new ArrayList<>(), pooled = new ArrayList<>();
            d.inBatches(10, std, (x, from, m) -> alone.add(x.toArray()));
            d.inBatches(pk, 10, std, (x, from, m) -> pooled.add(x.toArray()));
            assertThat(pooled).hasSize(4);
            for (int b = 0; b < alone.size(); b++) {
                float[] a = alone.get(b), p = pooled.get(b);
                assertThat(p).hasSameSizeAs(a);
                for (int i = 0; i < a.length; i++) assertThat(Float.floatToRawIntBits(p[i])).as("batch %d value %d", b, i).isEqualTo(Float.floatToRawIntBits(a[i]));
            }
            assertThat(alone.get(0)[0]).isEqualTo((raw[0] - std.mean()[0]) / std.std()[0], within(1e-5f));
        }
    }

    @Test
    void inBatchesHandsEverySampleInOrderStandardizedAndRefusesABadBuffer() {
        Standardizer std = new Standardizer(new float[] {1, 2}, new float[] {2, 4});
        try (Dataset d = Dataset.of("five", new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5, 2, new int[5], 1);
             DenseMatrix buffer = DenseMatrix.allocate(2, 2)) {
            List<String> seen = new ArrayList<>();
            Dataset.Batch record = (x, from, m) -> {
                StringBuilder b = new StringBuilder(from + ":");
                for (int c = 0; c < m; c++) b.append(' ').append(x.get(0, c)).append('/').append(x.get(1, c));
                seen.add(b.toString());
            };
            d.inBatches(2, std, record);
            d.inBatches(buffer, null, record);
            assertThat(seen).containsExactly("0: 0.0/0.0 1.0/0.5", "2: 2.0/1.0 3.0/1.5", "4: 4.0/2.0",
                    "0: 1.0/2.0 3.0/4.0", "2: 5.0/6.0 7.0/8.0", "4: 9.0/10.0");
            // Batches of one, and batches that divide the samples evenly: no empty batch at the end.
            seen.clear();
            try (Dataset four = d.subset(new int[] {0, 1, 2, 3}); DenseMatrix one = DenseMatrix.allocate(2, 1)) {
                four.inBatches(2, null, record);
                four.inBatches(1, null, record);
                four.inBatches(one, null, record);
            }
            assertThat(seen).containsExactly("0: 1.0/2.0 3.0/4.0", "2: 5.0/6.0 7.0/8.0",
                    "0: 1.0/2.0", "1: 3.0/4.0", "2: 5.0/6.0", "3: 7.0/8.0", "0: 1.0/2.0", "1: 3.0/4.0", "2: 5.0/6.0", "3: 7.0/8.0");
            assertThatThrownBy(() -> d.inBatches(0, null, record)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("five: batch must be >= 1, got 0");
            try (DenseMatrix wrong = DenseMatrix.allocate(3, 2)) {
                assertThatThrownBy(() -> d.inBatches(wrong, null, record)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("five: a batch buffer needs 2 rows and at least one column, got 3 x 2");
            }
            assertThatThrownBy(() -> d.inBatches(buffer.columns(0), null, record)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("five: a batch buffer needs 2 rows and at least one column, got 2 x 0");
            // A gather into a matrix too narrow for the batch is refused, on a pool or not.
            assertThatThrownBy(() -> d.gatherBatch(new int[] {0, 1, 2}, 0, 3, buffer)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("batch matrix 2 x 2 cannot hold 3 samples of 2 features");
            try (WorkerPool pool = new WorkerPool(1)) {
                assertThatThrownBy(() -> d.gatherBatch(pool, new int[] {0, 1, 2}, 0, 3, buffer)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("batch matrix 2 x 2 cannot hold 3 samples of 2 features");
            }
        }
    }

    @Test
    void withClassesAndSelectFeaturesCopy() {
        try (Dataset d = three(); Dataset wider = d.withClasses(5); Dataset same = d.withClasses(2); Dataset picked = d.selectFeatures(new int[] {1, 0, 1})) {
            assertThat(wider.classes()).isEqualTo(5);
            assertThat(wider.labels()).containsExactly(0, 1, 0);
            assertThat(wider.checksum()).isEqualTo(d.checksum());
            assertThat(same.classes()).isEqualTo(2);
            assertThat(picked.features()).isEqualTo(3);
            assertThat(picked.labels()).containsExactly(0, 1, 0);
            for (int s = 0; s < 3; s++) {
                assertThat(picked.get(s, 0)).isEqualTo(d.get(s, 1)).isEqualTo(picked.get(s, 2));
                assertThat(picked.get(s, 1)).isEqualTo(d.get(s, 0));
            }
            assertThatThrownBy(() -> d.withClasses(1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("three: 1 classes, fewer than the 2 it has");
            assertThatThrownBy(() -> d.selectFeatures(new int[] {-1})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("three: feature -1 out of range [0, 2)");
        }
    }

    @Test
    void theChecksumIsCrc32cOfTheBigEndianLabelsThenTheFeatureBytes() {
        // More than one 1 MB chunk of features, with a part chunk at the end.
        int samples = 70_001, features = 4;
        float[] x = new float[samples * features];
        int[] y = new int[samples];
        for (int i = 0; i < x.length; i++) x[i] = i * 0.5f - 7;
        for (int i = 0; i < samples; i++) y[i] = i % 3;
        CRC32C crc = new CRC32C();
        ByteBuffer labels = ByteBuffer.allocate(4 * samples);
        for (int l : y) labels.putInt(l);
        crc.update(labels.array());
        ByteBuffer floats = ByteBuffer.allocate(4 * x.length).order(ByteOrder.nativeOrder());
        for (float v : x) floats.putFloat(v);
        crc.update(floats.array());
        try (Dataset d = Dataset.of("big", x, samples, features, y, 3)) {
            assertThat(d.checksum()).isEqualTo(crc.getValue());
            x[x.length - 1] = 0;
            try (Dataset last = Dataset.of("big", x, samples, features, y, 3)) {
                assertThat(last.checksum()).isNotEqualTo(d.checksum());
            }
        }
    }

    @Test
    void closingWhileAnotherThreadTakesTheChecksumFailsTheReaderNotTheCloser() throws Exception {
        // CRC32C over a buffer of the segment would hold the arena for the call: close() would fail ("Session is
        // acquired by 1 clients") and the dataset stay open, where every other read fails with IllegalStateException
        // instead.
        int samples = 4000, features = 784;
        for (int round = 0; round < 10; round++) {
            Dataset d = Dataset.of("wide", new float[samples * features], samples, features, new int[samples], 1);
            AtomicReference<Throwable> reader = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            long end = System.nanoTime() + 10_000_000_000L;
            Thread t = new Thread(() -> {
                try {
                    d.checksum();
                    started.countDown();
                    while (System.nanoTime() < end) d.checksum();
                } catch (Throwable e) {
                    reader.set(e);
                }
            });
            t.start();
            started.await();
            Thread.sleep(1); // into a later checksum's reads
            try {
                d.close();
            } finally {
                t.join();
            }
            assertThat(reader.get()).as("round %d", round).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(d::checksum).isInstanceOf(IllegalStateException.class).hasMessage("wide: the dataset is closed");
        }
    }
}
