package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.loss.SoftmaxCrossEntropy;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.Adam;
import org.dst4j.nn.optim.Optimizer;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model saved with its optimizer state and loaded again resumes training exactly: one more step on
 * the original and on the loaded copy leaves the same weights, biases and optimizer state, bit for bit.
 */
class ModelFileResumeTest {
    private static final int IN = 8, BATCH = 13, STEPS = 4;

    @TempDir Path dir;

    @Test
    void sgdWithMomentumResumesBitForBit() throws IOException {
        resume(() -> new Sgd(0.9f, 1e-4f), 0.05f);
    }

    @Test
    void adamResumesBitForBit() throws IOException {
        resume(() -> Adam.withWeightDecay(1e-3f), 0.003f);
    }

    private void resume(Supplier<Optimizer> optimizer, float lr) throws IOException {
        MlpConfig cfg = new MlpConfig(new int[] {IN, 16, 12, 3}, "relu", 0.6f, Activation.linear(), 0.1f,
                new Density.Uniform(0.5), new WeightInit.HeUniform());
        RandomStream data = new RandomStream(31);
        int[] labels = new int[(STEPS + 1) * BATCH];
        for (int i = 0; i < labels.length; i++) labels[i] = data.nextInt(3);
        Path file = dir.resolve("model.dst4j");
        try (WorkerPool pool = new WorkerPool(1);
             SparseMlp net = SparseMlp.create(cfg, new RandomStream(3), 77);
             DenseMatrix x = DenseMatrix.allocate(IN, BATCH)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Optimizer opt = optimizer.get();
            net.attach(opt);
            for (int step = 0; step < STEPS; step++) {
                fill(x, data);
                net.trainBatch(pk, x, labels, step * BATCH, null, new SoftmaxCrossEntropy(), opt, lr, step);
            }
            ModelFile.save(file, net, opt, null, Map.of());
            Optimizer reloaded = optimizer.get();
            try (SparseMlp copy = ModelFile.load(file, reloaded).net()) {
                assertSameState("after loading", net, opt, copy, reloaded);
                fill(x, data);
                net.trainBatch(pk, x, labels, STEPS * BATCH, null, new SoftmaxCrossEntropy(), opt, lr, STEPS);
                copy.trainBatch(pk, x, labels, STEPS * BATCH, null, new SoftmaxCrossEntropy(), reloaded, lr, STEPS);
                assertSameState("after one more step", net, opt, copy, reloaded);
            }
        }
    }

    private static void fill(DenseMatrix x, RandomStream rnd) {
        for (int c = 0; c < BATCH; c++) for (int f = 0; f < IN; f++) x.set(f, c, (float) rnd.nextGaussian());
    }

    private static void assertSameState(String when, SparseMlp a, Optimizer optA, SparseMlp b, Optimizer optB) {
        assertThat(optB.steps()).as(when + ": optimizer steps").isEqualTo(optA.steps());
        assertThat(b.layers()).hasSameSizeAs(a.layers());
        for (int l = 0; l < a.layers().size(); l++) {
            SparseLinear la = a.layers().get(l), lb = b.layers().get(l);
            CsrMatrix wa = la.weights(), wb = lb.weights();
            String at = when + ": layer " + l + " ";
            assertThat(wb.nnz()).as(at + "connections").isEqualTo(wa.nnz());
            long nnz = wa.nnz();
            assertThat(wb.rowPtr().asSlice(0, (wa.rows() + 1L) * 8).toArray(ValueLayout.JAVA_LONG)).as(at + "row pointers")
                    .isEqualTo(wa.rowPtr().asSlice(0, (wa.rows() + 1L) * 8).toArray(ValueLayout.JAVA_LONG));
            assertSameBits(at + "columns", wa.colIdx(), wb.colIdx(), nnz);
            assertSameBits(at + "weights", wa.values(), wb.values(), nnz);
            assertSameBits(at + "biases", la.bias(), lb.bias(), la.out());
            assertSameBits(at + "bias optimizer state", la.biasState(), lb.biasState(), (long) la.out() * optA.biasSlots());
            for (String side : optA.sideArrays()) {
                assertSameBits(at + side, wa.side(side), wb.side(side), nnz);
                boolean someNonZero = false;
                for (long k = 0; k < nnz; k++) someNonZero |= wa.side(side).getAtIndex(ValueLayout.JAVA_FLOAT, k) != 0f;
                assertThat(someNonZero).as(at + side + " holds state").isTrue();
            }
        }
    }

    // n 4-byte elements, compared bit for bit; a mismatch names the first index and its values as floats.
    private static void assertSameBits(String what, MemorySegment expected, MemorySegment actual, long n) {
        for (long i = 0; i < n; i++) {
            int e = expected.getAtIndex(ValueLayout.JAVA_INT, i), got = actual.getAtIndex(ValueLayout.JAVA_INT, i);
            if (got != e) {
                fail(what + " [" + i + "]: " + Float.intBitsToFloat(got) + " (bits " + Integer.toHexString(got) + "), expected "
                        + Float.intBitsToFloat(e) + " (bits " + Integer.toHexString(e) + ")");
            }
        }
    }
}
