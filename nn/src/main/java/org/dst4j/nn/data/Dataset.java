package org.dst4j.nn.data;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.memory.OffHeap;

/**
 * A labeled dataset: features off-heap, row-major {@code [samples x features]} (long offsets, so it may
 * exceed 2^31 floats), labels in {@code [0, classes)} on the heap. Owns its memory: after
 * {@link #close()} its features and labels are an {@link IllegalStateException}; its name and sizes
 * still answer.
 */
public final class Dataset implements AutoCloseable {
    // Where every dataset's memory comes from; tests replace it to count arenas and refuse allocations.
    static volatile Supplier<Arena> arenas = OffHeap::newShared;

    private final String name;
    private final Arena arena;
    private final MemorySegment x;
    private final int samples;
    private final int features;
    private final int[] labels;
    private final int classes;
    private final int imageRows;
    private final int imageCols;

    private Dataset(String name, int samples, int features, int[] labels, int classes, int imageRows, int imageCols) {
        if (samples < 0 || features < 0) throw new IllegalArgumentException("samples and features must be >= 0, got " + samples + " x " + features);
        if (labels.length != samples) throw new IllegalArgumentException(name + ": " + labels.length + " labels for " + samples + " samples");
        if (classes < 1) throw new IllegalArgumentException(name + ": classes must be >= 1, got " + classes);
        // an image grid is both sizes or neither, and covers the features: a chart of the pixels is drawn from it
        if (imageRows < 0 || imageCols < 0 || (imageRows == 0) != (imageCols == 0) || (imageRows > 0 && (long) imageRows * imageCols != features)) {
            throw new IllegalArgumentException(name + ": an image grid of " + imageRows + " x " + imageCols + " for " + features
                    + " features; expected rows x cols = features, or 0 x 0 for data that are not images");
        }
        for (int i = 0; i < samples; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException(name + ": label " + labels[i] + " of sample " + i + " out of range [0, " + classes + ")");
            }
        }
        this.name = name;
        this.samples = samples;
        this.features = features;
        this.labels = labels;
        this.classes = classes;
        this.imageRows = imageRows;
        this.imageCols = imageCols;
        this.arena = arenas.get();
        try {
            this.x = arena.allocate(JAVA_FLOAT, Math.max(1, (long) samples * features));
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A dataset copied from heap arrays.
     *
     * @throws IllegalArgumentException naming the dataset if {@code rowMajor} does not hold {@code samples x features}
     *     floats, {@code labels} is not one per sample, or a label is outside {@code [0, classes)}
     */
    public static Dataset of(String name, float[] rowMajor, int samples, int features, int[] labels, int classes) {
        Objects.requireNonNull(rowMajor, "rowMajor");
        Objects.requireNonNull(labels, "labels");
        if ((long) samples * features != rowMajor.length) {
            throw new IllegalArgumentException(name + ": " + rowMajor.length + " floats for " + samples + " x " + features);
        }
        Dataset d = new Dataset(name, samples, features, labels.clone(), classes, 0, 0);
        MemorySegment.copy(rowMajor, 0, d.x, JAVA_FLOAT, 0, rowMajor.length);
        return d;
    }

    /**
     * Samples to predict on, copied from a row-major array of one or more samples of {@code features}
     * values each; every label is 0 of one class (prediction does not read labels).
     *
     * @throws IllegalArgumentException if {@code rowMajor} is empty or not a whole number of samples
     */
    public static Dataset unlabeled(String name, float[] rowMajor, int features) {
        Objects.requireNonNull(rowMajor, "rowMajor");
        if (features < 1) throw new IllegalArgumentException(name + ": features must be >= 1, got " + features);
        if (rowMajor.length == 0 || rowMajor.length % features != 0) {
            throw new IllegalArgumentException(name + ": expected one or more samples of " + features + " features, got "
                    + rowMajor.length + " values");
        }
        int samples = rowMajor.length / features;
        return of(name, rowMajor, samples, features, new int[samples], 1);
    }

    /** A zero-filled dataset for a generator or loader to fill through {@link #features(long)}. */
    public static Dataset allocate(String name, int samples, int features, int[] labels, int classes, int imageRows, int imageCols) {
        return new Dataset(name, samples, features, labels.clone(), classes, imageRows, imageCols);
    }

    /** The name given when the dataset was made or loaded (a file or dataset name), used in messages. */
    public String name() { return name; }

    /** Number of samples (rows). */
    public int samples() { return samples; }

    /**
     * Refuses a set with no samples as training data: a run over it would train nothing and write an
     * untrained model without a word. Every algorithm's entry point calls it before making any directory.
     *
     * @throws IllegalArgumentException naming the set if it has no samples
     */
    public void requireTrainingSamples() {
        if (samples == 0) throw new IllegalArgumentException(name + ": no training samples");
    }

    /** Number of features of each sample (columns). */
    public int features() { return features; }

    /** Number of classes: every label is in {@code [0, classes())}. */
    public int classes() { return classes; }

    /** Image height when the features are pixels of an image, else 0. */
    public int imageRows() { return imageRows; }

    /** Image width when the features are pixels of an image, else 0. */
    public int imageCols() { return imageCols; }

    /**
     * The label of sample {@code i}, in {@code [0, classes())}.
     *
     * @throws IllegalStateException if the dataset is closed
     */
    public int label(int i) {
        checkOpen();
        return labels[i];
    }

    /**
     * The labels (a copy).
     *
     * @throws IllegalStateException if the dataset is closed
     */
    public int[] labels() {
        checkOpen();
        return labels.clone();
    }

    // The labels are on the heap and would still answer; for the caller a closed dataset is closed.
    private void checkOpen() {
        if (!arena.scope().isAlive()) throw new IllegalStateException(name + ": the dataset is closed");
    }

    /**
     * Feature {@code feature} of sample {@code sample}.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= sample < samples()} and {@code 0 <= feature < features()}
     */
    public float get(long sample, int feature) {
        // The rows are contiguous: a feature past the last would silently read the next sample's first.
        Objects.checkIndex(sample, samples);
        Objects.checkIndex(feature, features);
        return x.getAtIndex(JAVA_FLOAT, sample * features + feature);
    }

    /**
     * The feature segment of one sample (a slice of {@code features} floats, writable).
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= sample < samples()}
     * @throws IllegalStateException if the dataset is closed
     */
    public MemorySegment features(long sample) {
        // A slice of a closed segment is made without complaint and fails only when read, far from here.
        checkOpen();
        Objects.checkIndex(sample, samples);
        return x.asSlice(sample * features * Float.BYTES, (long) features * Float.BYTES);
    }

    /**
     * All features, row-major.
     *
     * @throws IllegalStateException if the dataset is closed
     */
    public MemorySegment segment() {
        checkOpen();
        return x;
    }

    /** What {@link #inBatches} hands each batch: samples {@code from .. from + m - 1} as the columns of {@code x}. */
    public interface Batch {
        /**
         * Takes one batch.
         *
         * @param x the batch, {@code features x m}, feature-major: column {@code c} is sample {@code from + c};
         *     reused for the next batch, so read it before returning
         * @param from the index of the batch's first sample
         * @param m the number of samples in the batch
         */
        void accept(DenseMatrix x, int from, int m);
    }

    /**
     * Every sample in order, {@code batch} at a time, as feature-major columns of one matrix reused for
     * every batch, standardized by {@code std} first (null: as they are). For inference and evaluation.
     */
    public void inBatches(int batch, Standardizer std, Batch each) {
        inBatches(null, batch, std, each);
    }

    /**
     * {@link #inBatches(int, Standardizer, Batch)} with each batch gathered and standardized by {@code pk}'s
     * threads (null: the calling thread's).
     */
    public void inBatches(ParallelKernels pk, int batch, Standardizer std, Batch each) {
        // 0 would never advance the loop below: a silent endless evaluation.
        if (batch < 1) throw new IllegalArgumentException(name + ": batch must be >= 1, got " + batch);
        checkOpen();
        try (DenseMatrix x = DenseMatrix.allocate(features, Math.min(batch, Math.max(1, samples)))) {
            inBatches(pk, x, std, each);
        }
    }

    /**
     * {@link #inBatches(int, Standardizer, Batch)} in batches of {@code buffer.cols()} samples, gathered into
     * the caller's {@code buffer} ({@code features x batch}), which stays the caller's: one kept between
     * calls spares a caller predicting a few samples at a time an allocation per call.
     *
     * @throws IllegalArgumentException if {@code buffer} does not have {@link #features()} rows and at least one column
     */
    public void inBatches(DenseMatrix buffer, Standardizer std, Batch each) {
        inBatches(null, buffer, std, each);
    }

    /**
     * {@link #inBatches(DenseMatrix, Standardizer, Batch)} with each batch gathered and standardized by
     * {@code pk}'s threads (null: the calling thread's).
     *
     * @throws IllegalArgumentException if {@code buffer} does not have {@link #features()} rows and at least one column
     */
    public void inBatches(ParallelKernels pk, DenseMatrix buffer, Standardizer std, Batch each) {
        Objects.requireNonNull(buffer, "buffer");
        if (buffer.rows() != features || buffer.cols() < 1) {
            throw new IllegalArgumentException(name + ": a batch buffer needs " + features + " rows and at least one column, got "
                    + buffer.rows() + " x " + buffer.cols());
        }
        int batch = buffer.cols();
        int[] order = new int[samples];
        for (int i = 0; i < samples; i++) order[i] = i;
        for (int from = 0; from < samples; from += batch) {
            int m = Math.min(batch, samples - from);
            DenseMatrix xb = buffer.columns(m);
            if (pk == null) {
                gatherBatch(order, from, m, xb);
                if (std != null) std.apply(xb);
            } else {
                gatherBatch(pk.pool(), order, from, m, xb);
                if (std != null) std.apply(pk, xb);
            }
            each.accept(xb, from, m);
        }
    }

    /**
     * Writes samples {@code order[from .. from+n)} into columns {@code 0..n-1} of the feature-major
     * {@code out} ({@code features x batch}).
     */
    public void gatherBatch(int[] order, int from, int n, DenseMatrix out) {
        checkBatch(n, out);
        out.gatherTransposed(x, order, from, n, 0, features, false);
    }

    /** {@link #gatherBatch(int[], int, int, DenseMatrix)} with the features split between the pool's threads. */
    public void gatherBatch(WorkerPool pool, int[] order, int from, int n, DenseMatrix out) {
        checkBatch(n, out);
        pool.run(features, (f0, f1) -> out.gatherTransposed(x, order, from, n, f0, f1, false));
    }

    // A closed set failed here with the runtime's "Already closed", naming no dataset.
    private void checkBatch(int n, DenseMatrix out) {
        checkOpen();
        if (out.rows() != features || out.cols() < n) {
            throw new IllegalArgumentException("batch matrix " + out.rows() + " x " + out.cols() + " cannot hold " + n + " samples of " + features + " features");
        }
    }

    /**
     * A new dataset of the given samples, in that order.
     *
     * @throws IllegalArgumentException naming the first index outside {@code [0, samples())}
     * @throws IllegalStateException if this dataset is closed
     */
    public Dataset subset(int[] sampleIndices) {
        checkOpen();
        int[] l = new int[sampleIndices.length];
        for (int i = 0; i < l.length; i++) {
            int s = sampleIndices[i];
            if (s < 0 || s >= samples) {
                throw new IllegalArgumentException(name + ": sample index " + s + " (at " + i + ") out of range [0, " + samples + ")");
            }
            l[i] = labels[s];
        }
        Dataset d = new Dataset(name, l.length, features, l, classes, imageRows, imageCols);
        try {
            for (int i = 0; i < l.length; i++) {
                MemorySegment.copy(x, (long) sampleIndices[i] * features * Float.BYTES, d.x, (long) i * features * Float.BYTES, (long) features * Float.BYTES);
            }
        } catch (RuntimeException | Error e) {
            // e.g. this dataset closed by another thread meanwhile
            d.close();
            throw e;
        }
        return d;
    }

    /** A copy declaring {@code classes} classes (at least as many as now), for a split whose test set has more. */
    Dataset withClasses(int classes) {
        if (classes < this.classes) throw new IllegalArgumentException(name + ": " + classes + " classes, fewer than the " + this.classes + " it has");
        checkOpen();
        Dataset d = new Dataset(name, samples, features, labels.clone(), classes, imageRows, imageCols);
        try {
            MemorySegment.copy(x, 0, d.x, 0, (long) samples * features * Float.BYTES);
        } catch (RuntimeException | Error e) {
            d.close();
            throw e;
        }
        return d;
    }

    /**
     * A new dataset keeping only the given features, in that order.
     *
     * @throws IllegalArgumentException naming the first feature outside {@code [0, features())}
     * @throws IllegalStateException if this dataset is closed
     */
    public Dataset selectFeatures(int[] featureIndices) {
        checkOpen();
        for (int f : featureIndices) if (f < 0 || f >= features) throw new IllegalArgumentException(name + ": feature " + f + " out of range [0, " + features + ")");
        Dataset d = new Dataset(name, samples, featureIndices.length, labels.clone(), classes, 0, 0);
        try {
            for (long s = 0; s < samples; s++) {
                for (int j = 0; j < featureIndices.length; j++) {
                    d.x.setAtIndex(JAVA_FLOAT, s * featureIndices.length + j, get(s, featureIndices[j]));
                }
            }
        } catch (RuntimeException | Error e) {
            // e.g. this dataset closed by another thread meanwhile
            d.close();
            throw e;
        }
        return d;
    }

    /** CRC32C over the labels and the feature bits: identifies the data in a model's provenance. */
    public long checksum() {
        checkOpen();
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocate(4 * labels.length);
        for (int l : labels) b.putInt(l);
        crc.update(b.array());
        long bytes = (long) samples * features * Float.BYTES;
        // Through a heap copy, not a buffer over the segment: CRC32C held the arena for the whole call, so a close from
        // another thread failed ("Session is acquired by 1 clients") instead of this read, as every other read fails.
        byte[] chunk = new byte[(int) Math.min(1 << 20, bytes)];
        for (long off = 0; off < bytes; off += chunk.length) {
            int len = (int) Math.min(chunk.length, bytes - off);
            MemorySegment.copy(x, ValueLayout.JAVA_BYTE, off, chunk, 0, len);
            crc.update(chunk, 0, len);
        }
        return crc.getValue();
    }

    /**
     * Frees the features. Closing again does nothing; reading the features or labels after closing
     * throws {@link IllegalStateException}.
     */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
