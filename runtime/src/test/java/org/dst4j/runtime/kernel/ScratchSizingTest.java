package org.dst4j.runtime.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;

/**
 * The Panama kernels keep heap scratch per thread and size it on every call. The other kernel tests call them many times
 * on one thread, so scratch grown by an earlier, larger call hid a call that asked for too little: here each call is the
 * first of a new thread, and must give the bits the same call gives on a thread that has run it before.
 */
class ScratchSizingTest {

    private static <T> T inNewThread(Callable<T> call) throws Exception {
        FutureTask<T> task = new FutureTask<>(call);
        Thread t = new Thread(task);
        t.start();
        t.join();
        return task.get(); // an exception in the thread (an index past the scratch) fails the test here
    }

    // Batches under, at and past a vector, with tails: the dropout draws' tail writes up to three entries past n.
    private static final int[] BATCHES = {1, 3, 5, 7, 17, 19, 33, 70};

    @Test
    void dropoutInAFreshThread() throws Exception {
        for (Kernels k : Backends.all()) {
            for (int n : BATCHES) {
                RandomStream rnd = new RandomStream(n);
                try (DenseMatrix a = Fixtures.randomDense(rnd, 3, n); DenseMatrix mask = DenseMatrix.allocate(3, n);
                     DenseMatrix out = DenseMatrix.allocate(3, n)) {
                    k.dropout(a, 11, 19661, 1.25f, mask, out, 0, 3);
                    float[][] warm = Fixtures.dense(out);
                    float[][] fresh = inNewThread(() -> {
                        k.dropout(a, 11, 19661, 1.25f, mask, out, 0, 3);
                        return Fixtures.dense(out);
                    });
                    assertThat(fresh).as("%s, batch %d", Backends.label(k), n).isDeepEqualTo(warm);
                }
            }
        }
    }

    @Test
    void softmaxCrossEntropyInAFreshThread() throws Exception {
        for (Kernels k : Backends.all()) {
            for (int n : BATCHES) {
                RandomStream rnd = new RandomStream(n);
                int[] labels = new int[n];
                for (int c = 0; c < n; c++) labels[c] = rnd.nextInt(10);
                try (DenseMatrix z = Fixtures.randomDense(rnd, 10, n); DenseMatrix g = DenseMatrix.allocate(10, n);
                     DenseMatrix p = DenseMatrix.allocate(10, n)) {
                    double loss = k.softmaxCrossEntropy(z, labels, 0, 0.5f, g, p);
                    float[][] grad = Fixtures.dense(g), probs = Fixtures.dense(p);
                    double freshLoss = inNewThread(() -> k.softmaxCrossEntropy(z, labels, 0, 0.5f, g, p));
                    assertThat(freshLoss).as("%s, batch %d", Backends.label(k), n).isEqualTo(loss);
                    assertThat(Fixtures.dense(g)).isDeepEqualTo(grad);
                    assertThat(Fixtures.dense(p)).isDeepEqualTo(probs);
                }
            }
        }
    }

    // A first row of 300 connections: its dots need 75 quads of scratch, more than any row before it on that thread.
    @Test
    void sddmmWithALongFirstRowInAFreshThread() throws Exception {
        for (Kernels k : Backends.all()) {
            for (int n : BATCHES) {
                RandomStream rnd = new RandomStream(n);
                try (CsrMatrix w = Fixtures.randomCsr(rnd, 3, 300, 1.0); DenseMatrix dy = Fixtures.randomDense(rnd, 3, n);
                     DenseMatrix x = Fixtures.randomDense(rnd, 300, n); Arena arena = Arena.ofConfined()) {
                    MemorySegment grad = arena.allocate(w.nnz() * Float.BYTES);
                    k.sddmm(w, dy, x, 0.5f, grad, 0, 3);
                    float[] warm = grad.toArray(ValueLayout.JAVA_FLOAT);
                    float[] fresh = inNewThread(() -> {
                        try (Arena own = Arena.ofConfined()) {
                            MemorySegment g = own.allocate(w.nnz() * Float.BYTES);
                            k.sddmm(w, dy, x, 0.5f, g, 0, 3);
                            return g.toArray(ValueLayout.JAVA_FLOAT);
                        }
                    });
                    assertThat(fresh).as("%s, batch %d", Backends.label(k), n).isEqualTo(warm);
                }
            }
        }
    }
}
