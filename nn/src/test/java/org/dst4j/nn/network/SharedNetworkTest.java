package org.dst4j.nn.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ConcurrentModificationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;

/**
 * A network has one set of activation buffers: a second thread calling it while another is inside is refused,
 * rather than overwriting the other's activations and getting its (or a mix of) outputs.
 */
class SharedNetworkTest {
    private static final int IN = 200, BATCH = 16;

    private static SparseMlp net() {
        MlpConfig c = new MlpConfig(new int[] {IN, 400, 400, 10}, "relu", 0.6f, Activation.linear(), 0f,
                new Density.Uniform(0.3), new WeightInit.HeUniform());
        return SparseMlp.create(c, new RandomStream(3), 1);
    }

    private static DenseMatrix input(long seed) {
        DenseMatrix x = DenseMatrix.allocate(IN, BATCH);
        RandomStream r = new RandomStream(seed);
        for (int f = 0; f < IN; f++) for (int c = 0; c < BATCH; c++) x.set(f, c, (float) r.nextGaussian());
        return x;
    }

    private static float[] out(DenseMatrix y) {
        float[] o = new float[y.rows() * y.cols()];
        for (int j = 0; j < y.rows(); j++) for (int c = 0; c < y.cols(); c++) o[j * y.cols() + c] = y.get(j, c);
        return o;
    }

    @Test
    void twoThreadsPredictingOnOneNetworkAtOnceAreRefused() throws Exception {
        try (SparseMlp net = net(); WorkerPool p1 = new WorkerPool(1); WorkerPool p2 = new WorkerPool(1);
             DenseMatrix x1 = input(1); DenseMatrix x2 = input(2)) {
            ParallelKernels k1 = new ParallelKernels(KernelProvider.get(), p1), k2 = new ParallelKernels(KernelProvider.get(), p2);
            float[] e1 = out(net.predict(k1, x1));
            AtomicInteger refused = new AtomicInteger(), other = new AtomicInteger();
            CyclicBarrier start = new CyclicBarrier(2);
            // 300 ms, longer (up to 10 s) on a machine so busy that the two threads have not yet run at once
            long t0 = System.nanoTime(), until = t0 + TimeUnit.MILLISECONDS.toNanos(300), limit = t0 + TimeUnit.SECONDS.toNanos(10);
            Runnable[] jobs = new Runnable[2];
            for (int t = 0; t < 2; t++) {
                ParallelKernels k = t == 0 ? k1 : k2;
                DenseMatrix x = t == 0 ? x1 : x2;
                jobs[t] = () -> {
                    try {
                        start.await();
                    } catch (Exception ex) {
                        throw new AssertionError(ex);
                    }
                    for (long now = System.nanoTime(); now < until || (refused.get() == 0 && now < limit); now = System.nanoTime()) {
                        try {
                            // Outputs are not compared: predict returns a view of the network's own buffer, which
                            // the other thread's next call may overwrite between the return and this copy (the
                            // Javadoc's "valid until the next call"); the guard sees calls that overlap, not that
                            // window.
                            out(net.predict(k, x));
                        } catch (ConcurrentModificationException ex) {
                            refused.incrementAndGet();
                        } catch (RuntimeException ex) {
                            other.incrementAndGet();
                        }
                    }
                };
            }
            Thread a = new Thread(jobs[0]), b = new Thread(jobs[1]);
            a.start();
            b.start();
            a.join();
            b.join();
            assertThat(other.get()).as("other failures").isZero();
            assertThat(refused.get()).as("calls refused while the other thread's ran").isPositive();
            // Refusals leave the network whole: one thread alone gets the right outputs again.
            assertThat(out(net.predict(k1, x1))).containsExactly(e1);
        }
    }

    @Test
    void theRefusalNamesTheThreadUsingTheNetworkAndHowToShareOne() throws Exception {
        try (SparseMlp net = net(); WorkerPool p = new WorkerPool(1); DenseMatrix x = input(1)) {
            ParallelKernels k = new ParallelKernels(KernelProvider.get(), p);
            whileHeld(net.user(), () -> assertThatThrownBy(() -> net.predict(k, x)).isInstanceOf(ConcurrentModificationException.class)
                    .hasMessageContaining("\"holder\"").hasMessageContaining("SparseClassifier"));
            net.predict(k, x); // free again
        }
    }

    @Test
    void aMultiHeadNetworkIsRefusedWhileAnotherThreadIsInItOrInItsBackbone() throws Exception {
        MlpConfig full = new MlpConfig(new int[] {IN, 64, 32, 10}, "relu", 0.6f, Activation.linear(), 0f,
                new Density.Uniform(0.3), new WeightInit.HeUniform());
        try (MultiHeadMlp net = MultiHeadMlp.create(full, 1, 2, new RandomStream(5), new RandomStream(6));
             WorkerPool p = new WorkerPool(1); DenseMatrix x = input(1)) {
            ParallelKernels k = new ParallelKernels(KernelProvider.get(), p);
            whileHeld(net.backbone().user(), () -> {
                assertThatThrownBy(() -> net.predict(k, x)).isInstanceOf(ConcurrentModificationException.class);
                assertThatThrownBy(() -> net.headProbabilities(k, x)).isInstanceOf(ConcurrentModificationException.class);
            });
            net.headProbabilities(k, x);
        }
    }

    // Runs check while a thread named "holder" is inside user, as a call in progress is.
    private static void whileHeld(SingleUser user, Runnable check) throws InterruptedException {
        CountDownLatch inside = new CountDownLatch(1), done = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            user.enter();
            try {
                inside.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                user.exit();
            }
        }, "holder");
        holder.start();
        inside.await();
        try {
            check.run();
        } finally {
            done.countDown();
            holder.join();
        }
    }
}
