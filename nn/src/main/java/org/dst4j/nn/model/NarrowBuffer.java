package org.dst4j.nn.model;

import java.util.Objects;
import org.dst4j.runtime.dense.DenseMatrix;

// A classifier's matrix for calls of a few samples, kept from one call to the next. Allocating it per call
// meant creating and closing a shared arena each time, and closing a shared arena is a handshake with every
// thread of the JVM: in a one-sample predict that close was the largest single cost (JMH's stack profiler),
// more so in an application with many threads. Wider batches keep allocating per call, so a large
// prediction leaves nothing behind.
final class NarrowBuffer implements AutoCloseable {
    // A narrow batch's rows are padded to at most 8 floats (DenseMatrix.paddedStride): a kept buffer of a
    // 784-input model is 25 KB.
    static final int MAX_SAMPLES = 8;

    private DenseMatrix matrix;

    // A rows x samples matrix owned by this buffer, the same one while calls ask for the same shape; null
    // when samples is outside 1..MAX_SAMPLES. Same shape, same stride: the kernels see what a fresh
    // allocation would give them.
    DenseMatrix get(int rows, int samples) {
        if (samples < 1 || samples > MAX_SAMPLES) return null;
        if (matrix != null && matrix.rows() == rows && matrix.cols() == samples) return matrix;
        close();
        matrix = DenseMatrix.allocate(rows, samples);
        return matrix;
    }

    // The samples of a row-major array of inputs-long rows as the columns of this buffer's matrix; null when
    // they are not 1..MAX_SAMPLES whole rows (the caller then goes through a dataset, which says what is wrong).
    DenseMatrix samplesOf(float[] rowMajor, int inputs) {
        int n = narrowSamples(rowMajor, inputs);
        if (n == 0) return null;
        DenseMatrix x = get(inputs, n);
        for (int c = 0; c < n; c++) {
            for (int f = 0; f < inputs; f++) x.set(f, c, rowMajor[c * inputs + f]);
        }
        return x;
    }

    // How many inputs-long rows rowMajor holds when they are 1..MAX_SAMPLES whole rows; else 0.
    static int narrowSamples(float[] rowMajor, int inputs) {
        Objects.requireNonNull(rowMajor, "features");
        if (inputs < 1 || rowMajor.length == 0 || rowMajor.length % inputs != 0) return 0;
        int n = rowMajor.length / inputs;
        return n <= MAX_SAMPLES ? n : 0;
    }

    @Override
    public void close() {
        DenseMatrix m = matrix;
        matrix = null;
        if (m != null) m.close();
    }
}
