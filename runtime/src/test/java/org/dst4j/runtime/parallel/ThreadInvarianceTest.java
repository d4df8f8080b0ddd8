package org.dst4j.runtime.parallel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Stream;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.Kernels;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** A training step's kernels give the same bits with 1, 2 and 3 threads. */
class ThreadInvarianceTest {

    private static CsrMatrix randomCsr(RandomStream rnd, int out, int in, IntToDoubleFunction rowDensity) {
        CsrMatrix.Builder b = CsrMatrix.builder(out, in, (long) out * in);
        int[] cs = new int[in];
        float[] vs = new float[in];
        for (int r = 0; r < out; r++) {
            int n = 0;
            double density = rowDensity.applyAsDouble(r);
            for (int c = 0; c < in; c++) if (rnd.nextDouble() < density) { cs[n] = c; vs[n++] = (float) rnd.nextGaussian(); }
            b.addRow(cs, vs, n);
        }
        return b.build();
    }

    private static byte[] step(int threads, int batch) {
        RandomStream rnd = new RandomStream(99);
        int out = 301, in = 257;
        // Skewed rows: a static even split would be unbalanced; a few rows are empty.
        try (CsrMatrix w = randomCsr(rnd, out, in, r -> r % 17 == 0 ? 0 : (r < 30 ? 0.6 : 0.05)); WorkerPool pool = new WorkerPool(threads);
             DenseMatrix x = DenseMatrix.allocate(in, batch); DenseMatrix y = DenseMatrix.allocate(out, batch);
             DenseMatrix dx = DenseMatrix.allocate(in, batch); Arena arena = Arena.ofShared()) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            for (int i = 0; i < in; i++) for (int c = 0; c < batch; c++) x.set(i, c, (float) rnd.nextGaussian());
            MemorySegment bias = arena.allocate(JAVA_FLOAT, out), db = arena.allocate(JAVA_FLOAT, out);
            MemorySegment vel = w.addSide("velocity", JAVA_FLOAT);
            pk.forward(w, x, bias, y);
            pk.tanh(y, y);
            pk.tanhBackward(y, y);
            pk.biasGradient(y, db);
            pk.transposed(w, y, dx);
            pk.sddmmSgd(w, y, x, 1f / batch, vel, 0.1f, 0.9f, 1e-4f);
            pk.sddmmSgd(w, y, dx, 1f / batch, vel, 0.1f, 0.9f, 1e-4f);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (MemorySegment s : new MemorySegment[] {y.segment(), dx.segment(), db, w.values(), vel}) {
                bytes.writeBytes(s.toArray(ValueLayout.JAVA_BYTE));
            }
            return bytes.toByteArray();
        }
    }

    // batch 1: the products and SDDMM run along the connections (gathers) on wide vectors
    @ParameterizedTest
    @ValueSource(ints = {45, 1, 2})
    void resultsAreBitIdenticalForOneTwoAndThreeThreads(int batch) {
        byte[] one = step(1, batch);
        byte[] two = step(2, batch);
        int first = Arrays.mismatch(one, two);
        assertThat(first).as("first differing byte of " + one.length).isEqualTo(-1);
        assertThat(two).isEqualTo(one);
        assertThat(step(3, batch)).isEqualTo(one);
    }

    static Stream<Arguments> backendsThreadsAndBatches() {
        List<Arguments> a = new ArrayList<>();
        for (Kernels k : new Kernels[] {KernelProvider.scalar(), KernelProvider.panama()}) {
            for (int threads = 1; threads <= 3; threads++) {
                for (int batch : new int[] {1, 2, 45}) a.add(Arguments.of(k.name(), k, threads, batch));
            }
        }
        return a.stream();
    }

    // Thread counts compared with each other would not see a row that no thread computes. Every
    // ParallelKernels operation is compared, bit for bit, with one call of the plain kernel over all rows
    // (whose results do not depend on the split, Kernels' contract), on both backends; the outputs start
    // as NaN, so a row left out shows.
    @ParameterizedTest(name = "{0} {2} threads batch {3}")
    @MethodSource("backendsThreadsAndBatches")
    void everyParallelOperationGivesTheSingleCallBits(String label, Kernels k, int threads, int batch) {
        RandomStream rnd = new RandomStream(47);
        int out = 301, in = 257;
        IntToDoubleFunction density = r -> r % 17 == 0 ? 0 : (r < 30 ? 0.6 : 0.05);
        try (CsrMatrix w = randomCsr(new RandomStream(48), out, in, density); CsrMatrix w2 = randomCsr(new RandomStream(48), out, in, density);
             CsrMatrix w3 = randomCsr(new RandomStream(48), out, in, density); WorkerPool pool = new WorkerPool(threads);
             DenseMatrix x = DenseMatrix.allocate(in, batch); DenseMatrix dy = DenseMatrix.allocate(out, batch);
             DenseMatrix a = DenseMatrix.allocate(out, batch); DenseMatrix b = DenseMatrix.allocate(out, batch);
             DenseMatrix ain = DenseMatrix.allocate(in, batch); DenseMatrix bin = DenseMatrix.allocate(in, batch);
             Arena arena = Arena.ofShared()) {
            ParallelKernels pk = new ParallelKernels(k, pool);
            for (int i = 0; i < in; i++) for (int c = 0; c < batch; c++) x.set(i, c, (float) rnd.nextGaussian());
            for (int j = 0; j < out; j++) for (int c = 0; c < batch; c++) dy.set(j, c, (float) rnd.nextGaussian());
            MemorySegment bias = arena.allocate(JAVA_FLOAT, out);
            for (int j = 0; j < out; j++) bias.setAtIndex(JAVA_FLOAT, j, (float) rnd.nextGaussian());

            nan(a.segment());
            nan(b.segment());
            pk.forward(w, x, bias, a);
            k.csrForward(w, x, bias, b, 0, out);
            assertSame(a, b, "forward");
            nan(ain.segment());
            nan(bin.segment());
            pk.transposed(w, dy, ain);
            k.csrTransposed(w, dy, bin, 0, in);
            assertSame(ain, bin, "transposed");

            long nnz = w.nnz();
            MemorySegment g = arena.allocate(JAVA_FLOAT, nnz), ref = arena.allocate(JAVA_FLOAT, nnz);
            nan(g);
            nan(ref);
            pk.sddmm(w, dy, x, 0.5f, g);
            k.sddmm(w, dy, x, 0.5f, ref, 0, out);
            assertSame(g, ref, "sddmm");
            MemorySegment v = arena.allocate(JAVA_FLOAT, nnz), vRef = arena.allocate(JAVA_FLOAT, nnz);
            for (long e = 0; e < nnz; e++) {
                float f = (float) rnd.nextGaussian();
                v.setAtIndex(JAVA_FLOAT, e, f);
                vRef.setAtIndex(JAVA_FLOAT, e, f);
            }
            pk.sddmmSgd(w2, dy, x, 0.5f, v, 0.1f, 0.9f, 0.01f);
            k.sddmmSgd(w3, dy, x, 0.5f, vRef, 0.1f, 0.9f, 0.01f, 0, out);
            assertSame(v, vRef, "sddmmSgd velocity");
            assertSame(w2.values(), w3.values(), "sddmmSgd weights");
            MemorySegment db = arena.allocate(JAVA_FLOAT, out), dbRef = arena.allocate(JAVA_FLOAT, out);
            nan(db);
            nan(dbRef);
            pk.biasGradient(dy, db);
            k.biasGradient(dy, dbRef, 0, out);
            assertSame(db, dbRef, "biasGradient");

            for (String op : new String[] {"leakyRelu", "sigmoid", "tanh"}) {
                nan(a.segment());
                nan(b.segment());
                switch (op) {
                    case "leakyRelu" -> { pk.leakyRelu(dy, 0.3f, a); k.leakyRelu(dy, 0.3f, b, 0, out); }
                    case "sigmoid" -> { pk.sigmoid(dy, a); k.sigmoid(dy, b, 0, out); }
                    default -> { pk.tanh(dy, a); k.tanh(dy, b, 0, out); }
                }
                assertSame(a, b, op);
                // the derivative of a gradient (x's first rows) at that activation (leakyRelu's at its input)
                DenseMatrix at = op.equals("leakyRelu") ? dy : b;
                for (DenseMatrix m : new DenseMatrix[] {a, b}) {
                    nan(m.segment());
                    for (int j = 0; j < out; j++) for (int c = 0; c < batch; c++) m.set(j, c, x.get(j % in, c));
                }
                switch (op) {
                    case "leakyRelu" -> { pk.leakyReluBackward(at, 0.3f, a); k.leakyReluBackward(at, 0.3f, b, 0, out); }
                    case "sigmoid" -> { pk.sigmoidBackward(at, a); k.sigmoidBackward(at, b, 0, out); }
                    default -> { pk.tanhBackward(at, a); k.tanhBackward(at, b, 0, out); }
                }
                assertSame(a, b, op + " backward");
            }

            try (DenseMatrix maskA = DenseMatrix.allocate(out, batch); DenseMatrix maskB = DenseMatrix.allocate(out, batch)) {
                for (DenseMatrix m : new DenseMatrix[] {a, b, maskA, maskB}) nan(m.segment());
                pk.dropout(dy, 0x5EEDL, 19661, 1.4f, maskA, a);
                k.dropout(dy, 0x5EEDL, 19661, 1.4f, maskB, b, 0, out);
                assertSame(maskA, maskB, "dropout mask");
                assertSame(a, b, "dropout");
                pk.elementMult(a, dy);
                k.elementMult(b, dy, 0, out);
                assertSame(a, b, "elementMult");
            }
            float[] mean = new float[out], std = new float[out];
            for (int j = 0; j < out; j++) {
                mean[j] = (float) rnd.nextGaussian();
                std[j] = j % 5 == 0 ? 0f : 0.5f + j % 3; // a constant feature's deviation is 0
            }
            for (DenseMatrix m : new DenseMatrix[] {a, b}) {
                for (int j = 0; j < out; j++) for (int c = 0; c < batch; c++) m.set(j, c, dy.get(j, c));
            }
            pk.standardize(a, mean, std);
            k.standardize(b, mean, std, 0, out);
            assertSame(a, b, "standardize");
        }
    }

    // One ParallelKernels serves every layer of a network: it keeps row splits per pointer array (eight at most) and one
    // even split of the narrow transposed product's columns. Ten weight matrices of ten shapes, each product twice in
    // turn (the first splits evicted by the later ones), must each give the single call's bits: a split kept for another
    // row or column count leaves rows out or reads past the matrix.
    @Test
    void oneParallelKernelsServesMatricesOfManyShapesWithTheSingleCallBits() {
        RandomStream rnd = new RandomStream(61);
        int shapes = 10;
        CsrMatrix[] w = new CsrMatrix[shapes];
        try (WorkerPool pool = new WorkerPool(3); Arena arena = Arena.ofShared()) {
            for (int i = 0; i < shapes; i++) w[i] = randomCsr(rnd, 40 + 7 * i, 30 + 5 * i, r -> 0.2);
            for (Kernels k : new Kernels[] {KernelProvider.scalar(), KernelProvider.panama()}) {
                ParallelKernels pk = new ParallelKernels(k, pool);
                for (int pass = 0; pass < 2; pass++) {
                    for (int i = 0; i < shapes; i++) {
                        // batch 2 takes the narrow scatter on the SIMD backend (columns split evenly), batch 20 the index
                        int batch = (i + pass) % 2 == 0 ? 2 : 20, out = w[i].rows(), in = w[i].cols();
                        String at = k.name() + ", matrix " + out + " x " + in + ", batch " + batch + ", pass " + pass;
                        try (DenseMatrix x = DenseMatrix.allocate(in, batch); DenseMatrix dy = DenseMatrix.allocate(out, batch);
                             DenseMatrix a = DenseMatrix.allocate(out, batch); DenseMatrix b = DenseMatrix.allocate(out, batch);
                             DenseMatrix ain = DenseMatrix.allocate(in, batch); DenseMatrix bin = DenseMatrix.allocate(in, batch)) {
                            for (int r = 0; r < in; r++) for (int c = 0; c < batch; c++) x.set(r, c, (float) rnd.nextGaussian());
                            for (int r = 0; r < out; r++) for (int c = 0; c < batch; c++) dy.set(r, c, (float) rnd.nextGaussian());
                            nan(a.segment());
                            nan(b.segment());
                            pk.forward(w[i], x, null, a);
                            k.csrForward(w[i], x, null, b, 0, out);
                            assertSame(a, b, "forward, " + at);
                            nan(ain.segment());
                            nan(bin.segment());
                            pk.transposed(w[i], dy, ain);
                            k.csrTransposed(w[i], dy, bin, 0, in);
                            assertSame(ain, bin, "transposed, " + at);
                            MemorySegment g = arena.allocate(JAVA_FLOAT, w[i].nnz()), ref = arena.allocate(JAVA_FLOAT, w[i].nnz());
                            nan(g);
                            nan(ref);
                            pk.sddmm(w[i], dy, x, 0.5f, g);
                            k.sddmm(w[i], dy, x, 0.5f, ref, 0, out);
                            assertSame(g, ref, "sddmm, " + at);
                        }
                    }
                }
            }
        } finally {
            for (CsrMatrix m : w) if (m != null) m.close();
        }
    }

    private static void nan(MemorySegment s) {
        s.fill((byte) 0xff);
    }

    private static void assertSame(MemorySegment actual, MemorySegment expected, String what) {
        float[] a = actual.toArray(JAVA_FLOAT), e = expected.toArray(JAVA_FLOAT);
        int first = Arrays.mismatch(actual.toArray(ValueLayout.JAVA_BYTE), expected.toArray(ValueLayout.JAVA_BYTE));
        assertThat(first).as("%s: first differing byte of %d (float %d: %s against %s)", what, e.length * 4,
                first / 4, first < 0 ? "" : a[first / 4], first < 0 ? "" : e[first / 4]).isEqualTo(-1);
    }

    // the entries (not the padding, which the contract leaves to the kernels)
    private static void assertSame(DenseMatrix actual, DenseMatrix expected, String what) {
        for (int r = 0; r < actual.rows(); r++) {
            for (int c = 0; c < actual.cols(); c++) {
                assertThat(Float.floatToRawIntBits(actual.get(r, c))).as("%s at [%d,%d]", what, r, c)
                        .isEqualTo(Float.floatToRawIntBits(expected.get(r, c)));
            }
        }
    }

    // The narrow scatter reads no transpose index, so splitting its work must not build one (12 bytes
    // per connection, rebuilt after every topology change); the wide kernels need it. Columns of ~15
    // entries (the transposed product's lines) keep batch 2 off the along-connections path at every vector width.
    @Test
    void narrowTransposedProductBuildsNoTransposeIndex() {
        RandomStream rnd = new RandomStream(5);
        int out = 301, in = 257;
        try (CsrMatrix w = randomCsr(rnd, out, in, r -> 0.05); WorkerPool pool = new WorkerPool(2);
             DenseMatrix dy = DenseMatrix.allocate(out, 2); DenseMatrix dx = DenseMatrix.allocate(in, 2);
             DenseMatrix wideDy = DenseMatrix.allocate(out, 64); DenseMatrix wideDx = DenseMatrix.allocate(in, 64)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.panama(), pool);
            for (int j = 0; j < out; j++) for (int c = 0; c < 2; c++) dy.set(j, c, (float) rnd.nextGaussian());
            long before = w.byteSize();
            pk.transposed(w, dy, dx);
            assertThat(w.byteSize()).isEqualTo(before);
            float[] expect = new float[in * 2];
            for (int j = 0; j < out; j++) {
                for (long k = w.rowPtr().getAtIndex(ValueLayout.JAVA_LONG, j);
                     k < w.rowPtr().getAtIndex(ValueLayout.JAVA_LONG, j + 1L); k++) {
                    int i = w.colIdx().getAtIndex(ValueLayout.JAVA_INT, k);
                    for (int c = 0; c < 2; c++) expect[i * 2 + c] += w.values().getAtIndex(JAVA_FLOAT, k) * dy.get(j, c);
                }
            }
            for (int i = 0; i < in; i++) for (int c = 0; c < 2; c++) assertThat(dx.get(i, c)).isCloseTo(expect[i * 2 + c], offset(1e-4f));
            pk.transposed(w, wideDy, wideDx);
            assertThat(w.byteSize()).isGreaterThan(before);
        }
    }

    // A ParallelKernels keeps its last even split (the narrow transposed product's, by columns) and must not reuse it
    // for a matrix of another width: fewer columns then, and the next, wider product would leave rows uncomputed.
    @Test
    void anEvenSplitIsNotReusedForAnotherWidth() {
        RandomStream rnd = new RandomStream(6);
        Kernels k = KernelProvider.panama();
        try (CsrMatrix narrow = randomCsr(rnd, 301, 100, r -> 0.05); CsrMatrix wide = randomCsr(rnd, 301, 257, r -> 0.05);
             WorkerPool pool = new WorkerPool(3); DenseMatrix dy = DenseMatrix.allocate(301, 2)) {
            ParallelKernels pk = new ParallelKernels(k, pool);
            for (int j = 0; j < 301; j++) for (int c = 0; c < 2; c++) dy.set(j, c, (float) rnd.nextGaussian());
            for (CsrMatrix w : new CsrMatrix[] {narrow, wide, narrow}) {
                try (DenseMatrix a = DenseMatrix.allocate(w.cols(), 2); DenseMatrix b = DenseMatrix.allocate(w.cols(), 2)) {
                    nan(a.segment());
                    nan(b.segment());
                    long before = w.byteSize();
                    pk.transposed(w, dy, a);
                    k.csrTransposed(w, dy, b, 0, w.cols());
                    assertSame(a, b, "transposed, " + w.cols() + " columns");
                    assertThat(w.byteSize()).as("the even split's path builds no transpose index").isEqualTo(before);
                }
            }
        }
    }

    @Test
    void splitByNnzBalancesWorkAndCoversAllRows() {
        try (Arena a = Arena.ofConfined(); WorkerPool pool = new WorkerPool(3)) {
            int rows = 100;
            MemorySegment ptr = a.allocate(ValueLayout.JAVA_LONG, rows + 1);
            long acc = 0;
            for (int r = 0; r <= rows; r++) {
                ptr.setAtIndex(ValueLayout.JAVA_LONG, r, acc);
                acc += r < 10 ? 100 : 1;
            }
            int[] b = pool.splitByNnz(ptr, rows, 0);
            assertThat(b).hasSize(4).startsWith(0).endsWith(rows).isSorted();
            assertThat(b[1]).isLessThan(10);
        }
    }

    // Every index is run exactly once per job, also when a thread stalls mid-job and jobs follow each
    // other without pause (a late worker must not run the next job's range with the previous task).
    @Test
    void everyChunkRunsExactlyOnceWhenThreadsStall() throws Exception {
        try (WorkerPool pool = new WorkerPool(3)) {
            int n = 37;
            for (int job = 0; job < 3000; job++) {
                int[] hits = new int[n];
                final int id = job;
                pool.run(n, (from, to) -> {
                    if ((from + id) % 11 == 0) Thread.onSpinWait();
                    if ((from * 7 + id) % 97 == 0) LockSupport.parkNanos(50_000);
                    for (int i = from; i < to; i++) hits[i]++;
                });
                assertThat(hits).as("job " + job).containsOnly(1);
            }
        }
    }

    @Test
    void aFailingTaskFailsTheCallAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThatThrownBy(() -> pool.run(10, (from, to) -> {
                if (from > 0) throw new IllegalStateException("boom in " + from);
            })).isInstanceOf(IllegalStateException.class).hasMessageContaining("boom");
            int[] hits = new int[10];
            pool.run(10, (from, to) -> { for (int i = from; i < to; i++) hits[i]++; });
            assertThat(hits).containsOnly(1);
        }
    }
}
