package org.dst4j.runtime.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.data.Offset.offset;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every kernel of every backend against naive double-precision arithmetic on heap arrays. */
class KernelsTest {

    record Shape(int out, int in, int batch, double density, int[] emptyRows) {
        @Override public String toString() {
            return out + "x" + in + " batch " + batch + " density " + density;
        }
    }

    static List<Shape> shapes() {
        return List.of(
                new Shape(1, 1, 1, 1.0, new int[0]),
                new Shape(1, 1, 1, 0.0, new int[0]),
                new Shape(7, 5, 3, 0.5, new int[] {2}),
                new Shape(45, 38, 6, 0.3, new int[] {1}),
                new Shape(41, 33, 2, 0.15, new int[] {40}),
                new Shape(33, 17, 17, 0.3, new int[] {0, 5, 32}),
                new Shape(40, 64, 128, 0.1, new int[] {3}),
                new Shape(20, 30, 67, 1.0, new int[0]),
                new Shape(50, 70, 33, 0.0, new int[0]),
                new Shape(9, 300, 250, 0.05, new int[] {8}),
                // dY over 1 MB (2,100 rows of 144 floats)
                new Shape(2100, 30, 130, 0.05, new int[] {7, 2099}),
                new Shape(16, 16, 0, 0.5, new int[0]),
                // narrow batches with long rows or columns: products run along the connections (gathers)
                new Shape(37, 700, 1, 0.2, new int[] {3}),
                new Shape(29, 900, 2, 0.5, new int[] {0}),
                new Shape(600, 40, 1, 0.3, new int[] {599}),
                new Shape(64, 64, 1, 1.0, new int[0]),
                new Shape(64, 64, 4, 1.0, new int[0]),
                // rows of 35, 41 and 31 entries (2 x 16 + 3, 2 x 16 + 9, 16 + 15): a partial last vector at 4, 8 and 16 lanes
                new Shape(20, 35, 1, 1.0, new int[] {4}),
                new Shape(20, 41, 1, 1.0, new int[0]),
                new Shape(20, 31, 1, 1.0, new int[0]));
    }

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (Kernels k : Backends.all()) for (Shape s : shapes()) a.add(Arguments.of(Backends.label(k), k, s));
        return a.stream();
    }

    private static final double TOL = 1e-4;

    @Test
    void forcedVectorWidthTakesEffect() {
        Integer bits = Integer.getInteger("dst4j.vectorBits");
        if (bits != null && bits > 0) assertThat(KernelProvider.panama().floatLanes() * 32).isEqualTo(bits);
        assertThat(KernelProvider.panama().floatLanes()).isGreaterThanOrEqualTo(4);
    }

    private static boolean along(Kernels k, int batch, long nnz, int lines) {
        return k.name().equals("panama") && PanamaKernels.alongConnections(batch, nnz, lines);
    }

    @Test
    void narrowBatchesWithLongRowsRunAlongTheConnections() {
        int lanes = KernelProvider.panama().floatLanes();
        assertThat(PanamaKernels.alongConnections(1, 100L * lanes, 1)).isTrue();
        assertThat(PanamaKernels.alongConnections(1, 1, 1)).as("short rows").isFalse();
        assertThat(PanamaKernels.alongConnections(lanes, 100L * lanes, 1)).as("a full vector of batch").isFalse();
        assertThat(PanamaKernels.alongConnections(1, 0, 0)).isFalse();
    }

    // A product along the connections (PanamaKernels.forwardAlongConnections), in scalar code: entry i of
    // a line into partial sum i mod lanes by fused multiply-adds in entry order, the lanes past the end of
    // the last partial vector taking fma(0, 0, s) as the masked step does (it turns -0 into +0), then the
    // sums added pairwise at distance lanes / 2, ..., 2, 1 (the butterfly). Its bits depend on the width.
    static float alongOrder(float[] w, float[] x) {
        int lanes = KernelProvider.panama().floatLanes();
        float[] s = new float[lanes];
        for (int i = 0; i < w.length; i++) s[i % lanes] = Math.fma(w[i], x[i], s[i % lanes]);
        if (w.length % lanes != 0) for (int i = w.length % lanes; i < lanes; i++) s[i] = Math.fma(0f, 0f, s[i]);
        for (int h = lanes / 2; h >= 1; h /= 2) for (int i = 0; i < h; i++) s[i] += s[i + h];
        return s[0];
    }

    private static float alongForward(CsrMatrix w, DenseMatrix x, int j, int c) {
        long from = w.rowPtr().getAtIndex(ValueLayout.JAVA_LONG, j), to = w.rowPtr().getAtIndex(ValueLayout.JAVA_LONG, j + 1L);
        float[] wv = new float[(int) (to - from)], xv = new float[wv.length];
        for (int e = 0; e < wv.length; e++) {
            wv[e] = w.values().getAtIndex(JAVA_FLOAT, from + e);
            xv[e] = x.get(w.colIdx().getAtIndex(JAVA_INT, from + e), c);
        }
        return alongOrder(wv, xv);
    }

    private static float alongTransposed(CsrMatrix w, DenseMatrix dy, int i, int c) {
        long from = w.colPtr().getAtIndex(ValueLayout.JAVA_LONG, i), to = w.colPtr().getAtIndex(ValueLayout.JAVA_LONG, i + 1L);
        float[] wv = new float[(int) (to - from)], dyv = new float[wv.length];
        for (int e = 0; e < wv.length; e++) {
            wv[e] = w.values().getAtIndex(JAVA_FLOAT, w.valuePos().getAtIndex(JAVA_INT, from + e));
            dyv[e] = dy.get(w.rowIdx().getAtIndex(JAVA_INT, from + e), c);
        }
        return alongOrder(wv, dyv);
    }

    private static void assertClose(float actual, double expected, String what) {
        assertThat((double) actual).as(what).isCloseTo(expected, within(TOL * (1 + Math.abs(expected))));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void forwardMatchesReferenceAndScalarBitForBit(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(11);
        try (CsrMatrix w = Fixtures.randomCsr(rnd, s.out, s.in, s.density, s.emptyRows);
             DenseMatrix x = Fixtures.randomDense(rnd, s.in, s.batch);
             DenseMatrix y = DenseMatrix.allocate(s.out, s.batch);
             DenseMatrix yScalar = DenseMatrix.allocate(s.out, s.batch);
             Arena arena = Arena.ofConfined()) {
            MemorySegment bias = arena.allocate(JAVA_FLOAT, Math.max(1, s.out));
            for (int j = 0; j < s.out; j++) bias.setAtIndex(JAVA_FLOAT, j, (float) rnd.nextGaussian());
            k.csrForward(w, x, bias, y, 0, s.out);
            KernelProvider.scalar().csrForward(w, x, bias, yScalar, 0, s.out);
            if (k.name().equals("panama") && s.batch >= k.floatLanes()) {
                // the benchmarks' plain loop (KernelRounds' reference) too: the scalar bits, in two row ranges, the later first
                try (DenseMatrix yPlain = DenseMatrix.allocate(s.out, s.batch)) {
                    PanamaKernels.plainForward(w, x, bias, yPlain, s.out / 2, s.out);
                    PanamaKernels.plainForward(w, x, bias, yPlain, 0, s.out / 2);
                    for (int j = 0; j < s.out; j++) {
                        for (int c = 0; c < s.batch; c++) assertThat(yPlain.get(j, c)).as("plain loop y[%d,%d]", j, c).isEqualTo(yScalar.get(j, c));
                    }
                }
            }
            float[][] wd = Fixtures.dense(w), xd = Fixtures.dense(x);
            for (int j = 0; j < s.out; j++) {
                for (int c = 0; c < s.batch; c++) {
                    double e = bias.getAtIndex(JAVA_FLOAT, j);
                    for (int i = 0; i < s.in; i++) e += (double) wd[j][i] * xd[i][c];
                    assertClose(y.get(j, c), e, "y[" + j + "," + c + "]");
                    // Same fused multiply-adds in the same order: the SIMD path must equal the scalar one
                    // exactly; along the connections, the order of a butterfly over the machine's lanes.
                    if (!along(k, s.batch, w.nnz(), s.out)) assertThat(y.get(j, c)).isEqualTo(yScalar.get(j, c));
                    else assertThat(y.get(j, c)).as("y[%d,%d] along the connections", j, c)
                            .isEqualTo(alongForward(w, x, j, c) + bias.getAtIndex(JAVA_FLOAT, j));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void forwardWithoutBiasAndOnASubrange(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(12);
        try (CsrMatrix w = Fixtures.randomCsr(rnd, s.out, s.in, s.density, s.emptyRows);
             DenseMatrix x = Fixtures.randomDense(rnd, s.in, s.batch);
             DenseMatrix y = DenseMatrix.allocate(s.out, s.batch)) {
            int from = s.out / 3, to = s.out - s.out / 4;
            for (int j = 0; j < s.out; j++) for (int c = 0; c < s.batch; c++) y.set(j, c, 42f);
            k.csrForward(w, x, null, y, from, to);
            float[][] wd = Fixtures.dense(w), xd = Fixtures.dense(x);
            for (int j = 0; j < s.out; j++) {
                for (int c = 0; c < s.batch; c++) {
                    if (j < from || j >= to) {
                        assertThat(y.get(j, c)).as("row outside the range untouched").isEqualTo(42f);
                        continue;
                    }
                    double e = 0;
                    for (int i = 0; i < s.in; i++) e += (double) wd[j][i] * xd[i][c];
                    assertClose(y.get(j, c), e, "y[" + j + "," + c + "]");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void transposedMatchesReference(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(13);
        try (CsrMatrix w = Fixtures.randomCsr(rnd, s.out, s.in, s.density, s.emptyRows);
             DenseMatrix dy = Fixtures.randomDense(rnd, s.out, s.batch);
             DenseMatrix dx = Fixtures.randomDense(rnd, s.in, s.batch);
             DenseMatrix dxScalar = DenseMatrix.allocate(s.in, s.batch)) {
            k.csrTransposed(w, dy, dx, 0, s.in);
            KernelProvider.scalar().csrTransposed(w, dy, dxScalar, 0, s.in);
            float[][] wd = Fixtures.dense(w), dyd = Fixtures.dense(dy);
            for (int i = 0; i < s.in; i++) {
                for (int c = 0; c < s.batch; c++) {
                    double e = 0;
                    for (int j = 0; j < s.out; j++) e += (double) wd[j][i] * dyd[j][c];
                    assertClose(dx.get(i, c), e, "dx[" + i + "," + c + "]");
                    if (!along(k, s.batch, w.nnz(), s.in)) assertThat(dx.get(i, c)).isEqualTo(dxScalar.get(i, c));
                    else assertThat(dx.get(i, c)).as("dx[%d,%d] along the connections", i, c).isEqualTo(alongTransposed(w, dy, i, c));
                }
            }
        }
    }

    // A pool copies the values into column order by rows, in any split, then runs the product by
    // columns: the same bits as the product that gathers its own values.
    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void transposedAfterTheColumnCopyHasTheTransposedBits(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(16);
        try (CsrMatrix w = Fixtures.randomCsr(rnd, s.out, s.in, s.density, s.emptyRows);
             DenseMatrix dy = Fixtures.randomDense(rnd, s.out, s.batch);
             DenseMatrix dx = DenseMatrix.allocate(s.in, s.batch);
             DenseMatrix dxByColumn = DenseMatrix.allocate(s.in, s.batch)) {
            MemorySegment byColumn = w.valuesByColumn(), pos = w.valuePos();
            for (long t = 0; t < w.nnz(); t++) byColumn.setAtIndex(JAVA_FLOAT, t, Float.NaN);
            for (int p = 2; p >= 0; p--) k.copyValuesByColumn(w, s.out * p / 3, s.out * (p + 1) / 3);
            for (long t = 0; t < w.nnz(); t++) {
                assertThat(byColumn.getAtIndex(JAVA_FLOAT, t)).as("column-order value %d", t)
                        .isEqualTo(w.value(pos.getAtIndex(JAVA_INT, t)));
            }
            k.csrTransposed(w, dy, dx, 0, s.in);
            fill(dxByColumn, SENTINEL);
            for (int p = 0; p < 3; p++) k.csrTransposedByColumn(w, dy, dxByColumn, s.in * p / 3, s.in * (p + 1) / 3);
            assertRows(dxByColumn, dx, null, 0, s.in, "transposed after the column copy");
        }
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void sddmmMatchesReference(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(14);
        try (CsrMatrix w = Fixtures.randomCsr(rnd, s.out, s.in, s.density, s.emptyRows);
             DenseMatrix dy = Fixtures.randomDense(rnd, s.out, s.batch);
             DenseMatrix x = Fixtures.randomDense(rnd, s.in, s.batch);
             Arena arena = Arena.ofConfined()) {
            MemorySegment grad = arena.allocate(JAVA_FLOAT, Math.max(1, w.nnz()));
            float scale = 0.5f;
            k.sddmm(w, dy, x, scale, grad, 0, s.out);
            float[][] dyd = Fixtures.dense(dy), xd = Fixtures.dense(x);
            for (int j = 0; j < s.out; j++) {
                for (long p = w.rowStart(j); p < w.rowEnd(j); p++) {
                    double e = 0;
                    for (int c = 0; c < s.batch; c++) e += (double) dyd[j][c] * xd[w.col(p)][c];
                    assertClose(grad.getAtIndex(JAVA_FLOAT, p), scale * e, "grad at " + p);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void sddmmSgdAppliesMomentumAndDecay(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(15);
        try (CsrMatrix w = Fixtures.randomCsr(rnd, s.out, s.in, s.density, s.emptyRows);
             DenseMatrix dy = Fixtures.randomDense(rnd, s.out, s.batch);
             DenseMatrix x = Fixtures.randomDense(rnd, s.in, s.batch);
             Arena arena = Arena.ofConfined()) {
            long nnz = w.nnz();
            MemorySegment vel = arena.allocate(JAVA_FLOAT, Math.max(1, nnz));
            float[] w0 = new float[(int) nnz], v0 = new float[(int) nnz];
            for (int p = 0; p < nnz; p++) {
                v0[p] = (float) rnd.nextGaussian();
                vel.setAtIndex(JAVA_FLOAT, p, v0[p]);
                w0[p] = w.value(p);
            }
            float scale = 1f / Math.max(1, s.batch), lr = 0.05f, mom = 0.9f, wd = 0.001f;
            k.sddmmSgd(w, dy, x, scale, vel, lr, mom, wd, 0, s.out);
            float[][] dyd = Fixtures.dense(dy), xd = Fixtures.dense(x);
            for (int j = 0; j < s.out; j++) {
                for (long p = w.rowStart(j); p < w.rowEnd(j); p++) {
                    double g = 0;
                    for (int c = 0; c < s.batch; c++) g += (double) dyd[j][c] * xd[w.col(p)][c];
                    g *= scale;
                    double v = mom * v0[(int) p] - lr * g;
                    double nw = w0[(int) p] + v - wd * w0[(int) p];
                    assertClose(vel.getAtIndex(JAVA_FLOAT, p), v, "velocity at " + p);
                    assertClose(w.value(p), nw, "weight at " + p);
                }
            }
        }
    }

    // Row sub-ranges, as a WorkerPool splits the work: a call writes the rows of its range only (the others
    // keep a sentinel), with the bits of the whole-range call, and the range split in three pieces gives the
    // whole-range bits too. The narrow transposed product finds each thread's slice of a row by binary
    // search over its sorted columns; the other kernels walk their rows directly.
    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void subrangesWriteTheirRowsOnlyWithTheWholeRangeBits(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(41);
        int n = s.batch;
        try (CsrMatrix w = Fixtures.randomCsr(new RandomStream(42), s.out, s.in, s.density, s.emptyRows);
             CsrMatrix wPart = Fixtures.randomCsr(new RandomStream(42), s.out, s.in, s.density, s.emptyRows);
             DenseMatrix dy = Fixtures.randomDense(rnd, s.out, n); DenseMatrix x = Fixtures.randomDense(rnd, s.in, n);
             DenseMatrix dxFull = DenseMatrix.allocate(s.in, n); DenseMatrix dxPart = DenseMatrix.allocate(s.in, n);
             DenseMatrix yFull = DenseMatrix.allocate(s.out, n); DenseMatrix yPart = DenseMatrix.allocate(s.out, n);
             DenseMatrix gFull = DenseMatrix.allocate(s.out, n); DenseMatrix gPart = DenseMatrix.allocate(s.out, n);
             Arena arena = Arena.ofConfined()) {
            // the transposed product over input rows [from, to), and in three pieces, against the whole range
            k.csrTransposed(w, dy, dxFull, 0, s.in);
            int from = s.in / 3, to = s.in - s.in / 4;
            fill(dxPart, SENTINEL);
            k.csrTransposed(w, dy, dxPart, from, to);
            assertRows(dxPart, dxFull, null, from, to, "transposed");
            float[][] wd = Fixtures.dense(w), dyd = Fixtures.dense(dy);
            for (int i = from; i < to; i++) {
                for (int c = 0; c < n; c++) {
                    double e = 0;
                    for (int j = 0; j < s.out; j++) e += (double) wd[j][i] * dyd[j][c];
                    assertClose(dxPart.get(i, c), e, "dx[" + i + "," + c + "] of rows " + from + ".." + to);
                }
            }
            fill(dxPart, SENTINEL);
            for (int p = 0; p < 3; p++) k.csrTransposed(w, dy, dxPart, s.in * p / 3, s.in * (p + 1) / 3);
            assertRows(dxPart, dxFull, null, 0, s.in, "transposed in three pieces");

            // SDDMM, SDDMM + SGD and the bias gradient over output rows [from, to)
            from = s.out / 3;
            to = s.out - s.out / 4;
            long nnz = Math.max(1, w.nnz()), kFrom = w.rowPtr().getAtIndex(JAVA_LONG, from), kTo = w.rowPtr().getAtIndex(JAVA_LONG, to);
            MemorySegment grad = arena.allocate(JAVA_FLOAT, nnz), gradPart = arena.allocate(JAVA_FLOAT, nnz);
            k.sddmm(w, dy, x, 0.5f, grad, 0, s.out);
            for (long e = 0; e < w.nnz(); e++) gradPart.setAtIndex(JAVA_FLOAT, e, SENTINEL);
            k.sddmm(w, dy, x, 0.5f, gradPart, from, to);
            for (long e = 0; e < w.nnz(); e++) {
                float want = e >= kFrom && e < kTo ? grad.getAtIndex(JAVA_FLOAT, e) : SENTINEL;
                assertThat(Float.floatToRawIntBits(gradPart.getAtIndex(JAVA_FLOAT, e))).as("sddmm at %d of rows %d..%d", e, from, to)
                        .isEqualTo(Float.floatToRawIntBits(want));
            }
            MemorySegment vel = arena.allocate(JAVA_FLOAT, nnz), velPart = arena.allocate(JAVA_FLOAT, nnz);
            for (long e = 0; e < w.nnz(); e++) {
                float v = (float) rnd.nextGaussian();
                vel.setAtIndex(JAVA_FLOAT, e, v);
                velPart.setAtIndex(JAVA_FLOAT, e, v);
            }
            float[] w0 = w.values().toArray(JAVA_FLOAT), v0 = vel.toArray(JAVA_FLOAT);
            k.sddmmSgd(w, dy, x, 0.5f, vel, 0.1f, 0.9f, 0.01f, 0, s.out);
            k.sddmmSgd(wPart, dy, x, 0.5f, velPart, 0.1f, 0.9f, 0.01f, from, to);
            for (long e = 0; e < w.nnz(); e++) {
                boolean in = e >= kFrom && e < kTo;
                assertThat(Float.floatToRawIntBits(wPart.value(e))).as("sddmmSgd weight at %d of rows %d..%d", e, from, to)
                        .isEqualTo(Float.floatToRawIntBits(in ? w.value(e) : w0[(int) e]));
                assertThat(Float.floatToRawIntBits(velPart.getAtIndex(JAVA_FLOAT, e))).as("sddmmSgd velocity at %d of rows %d..%d", e, from, to)
                        .isEqualTo(Float.floatToRawIntBits(in ? vel.getAtIndex(JAVA_FLOAT, e) : v0[(int) e]));
            }
            MemorySegment db = arena.allocate(JAVA_FLOAT, Math.max(1, s.out)), dbPart = arena.allocate(JAVA_FLOAT, Math.max(1, s.out));
            k.biasGradient(dy, db, 0, s.out);
            for (int j = 0; j < s.out; j++) dbPart.setAtIndex(JAVA_FLOAT, j, SENTINEL);
            k.biasGradient(dy, dbPart, from, to);
            for (int j = 0; j < s.out; j++) {
                assertThat(Float.floatToRawIntBits(dbPart.getAtIndex(JAVA_FLOAT, j))).as("db[%d] of rows %d..%d", j, from, to)
                        .isEqualTo(Float.floatToRawIntBits(j >= from && j < to ? db.getAtIndex(JAVA_FLOAT, j) : SENTINEL));
            }

            // the activations (of dy) and their derivatives (of a gradient) over rows [from, to)
            float[][] g0 = new float[s.out][n];
            for (int r = 0; r < s.out; r++) for (int c = 0; c < n; c++) g0[r][c] = (float) rnd.nextGaussian();
            for (String op : new String[] {"leakyRelu", "sigmoid", "tanh"}) {
                activation(k, op, dy, yFull, 0, s.out);
                fill(yPart, SENTINEL);
                activation(k, op, dy, yPart, from, to);
                assertRows(yPart, yFull, null, from, to, op);
                DenseMatrix pre = op.equals("leakyRelu") ? dy : yFull; // leakyRelu' takes the input, the others the output
                load(gFull, g0);
                load(gPart, g0);
                derivative(k, op, pre, gFull, 0, s.out);
                derivative(k, op, pre, gPart, from, to);
                assertRows(gPart, gFull, g0, from, to, op + "'");
            }
        }
    }

    private static final float SENTINEL = 42f;

    private static void fill(DenseMatrix m, float v) {
        for (int r = 0; r < m.rows(); r++) for (int c = 0; c < m.cols(); c++) m.set(r, c, v);
    }

    // rows [from, to) of actual have inside's bits, the others outside's (or SENTINEL when null)
    private static void assertRows(DenseMatrix actual, DenseMatrix inside, float[][] outside, int from, int to, String what) {
        for (int r = 0; r < actual.rows(); r++) {
            for (int c = 0; c < actual.cols(); c++) {
                float want = r >= from && r < to ? inside.get(r, c) : outside == null ? SENTINEL : outside[r][c];
                assertThat(Float.floatToRawIntBits(actual.get(r, c))).as("%s at [%d,%d], rows %d..%d", what, r, c, from, to)
                        .isEqualTo(Float.floatToRawIntBits(want));
            }
        }
    }

    private static void activation(Kernels k, String op, DenseMatrix x, DenseMatrix y, int from, int to) {
        switch (op) {
            case "leakyRelu" -> k.leakyRelu(x, 0.6f, y, from, to);
            case "sigmoid" -> k.sigmoid(x, y, from, to);
            default -> k.tanh(x, y, from, to);
        }
    }

    private static void derivative(Kernels k, String op, DenseMatrix pre, DenseMatrix grad, int from, int to) {
        switch (op) {
            case "leakyRelu" -> k.leakyReluBackward(pre, 0.6f, grad, from, to);
            case "sigmoid" -> k.sigmoidBackward(pre, grad, from, to);
            default -> k.tanhBackward(pre, grad, from, to);
        }
    }

    // nn runs the kernels on DenseMatrix.columns(n) views of buffers allocated for a wider batch, next to
    // matrices allocated for n: operands whose strides differ (64, or n + 5 columns' 8, 16 or 48, against n's own). Every kernel
    // must read each operand with its own stride and give the bits it gives on matrices allocated for n;
    // the views' hidden columns (and all padding) hold NaN, which must not reach a result. Narrow batches
    // take the narrow-row kernels (one 2-, 4- or 8-float vector per connection) and, with long rows
    // (37 x 700) or long columns (300 x 40), the products along the connections.
    enum Layout { TIGHT, WIDE, ODD }

    static Stream<Arguments> stridedCases() {
        List<Arguments> a = new ArrayList<>();
        for (Kernels k : Backends.all()) for (int n : new int[] {1, 2, 3, 4, 6, 9, 33}) a.add(Arguments.of(Backends.label(k), k, n));
        return a.stream();
    }

    @ParameterizedTest(name = "{0} batch {2}")
    @MethodSource("stridedCases")
    void operandsWithDifferentStridesGiveTheBitsOfMatricesAllocatedForTheBatch(String label, Kernels k, int n) {
        Layout[][] pairs = {{Layout.WIDE, Layout.TIGHT}, {Layout.TIGHT, Layout.WIDE}, {Layout.ODD, Layout.WIDE}};
        int[][] shapes = {{41, 33, 15}, {37, 700, 20}, {300, 40, 50}}; // out, in, density in percent
        for (int[] sh : shapes) {
            if (sh != shapes[0] && n > 4) continue; // long rows and columns: for the narrow batches that run along them
            for (Layout[] pair : pairs) {
                String what = label + " batch " + n + " " + sh[0] + "x" + sh[1] + " x " + pair[0] + ", y " + pair[1];
                stridedOperands(k, n, sh[0], sh[1], sh[2] / 100.0, pair[0], pair[1], what);
            }
        }
    }

    private static void stridedOperands(Kernels k, int n, int out, int in, double density, Layout lx, Layout ly, String what) {
        RandomStream rnd = new RandomStream(43);
        List<DenseMatrix> owned = new ArrayList<>();
        try (CsrMatrix w = Fixtures.randomCsr(new RandomStream(44), out, in, density, 1);
             CsrMatrix w2 = Fixtures.randomCsr(new RandomStream(44), out, in, density, 1);
             CsrMatrix w3 = Fixtures.randomCsr(new RandomStream(44), out, in, density, 1);
             Arena arena = Arena.ofConfined()) {
            float[][] xd = gaussian(rnd, in, n), dyd = gaussian(rnd, out, n), zd = gaussian(rnd, 10, n);
            // x-side operands (in rows) in layout lx, y-side (out rows) in ly; the reference run all TIGHT
            DenseMatrix x = operand(owned, lx, xd), y = operand(owned, ly, out, n), dy = operand(owned, ly, dyd), dx = operand(owned, lx, in, n);
            DenseMatrix tx = operand(owned, Layout.TIGHT, xd), ty = operand(owned, Layout.TIGHT, out, n);
            DenseMatrix tdy = operand(owned, Layout.TIGHT, dyd), tdx = operand(owned, Layout.TIGHT, in, n);
            MemorySegment bias = arena.allocate(JAVA_FLOAT, out);
            for (int j = 0; j < out; j++) bias.setAtIndex(JAVA_FLOAT, j, (float) rnd.nextGaussian());

            k.csrForward(w, x, bias, y, 0, out);
            k.csrForward(w, tx, bias, ty, 0, out);
            assertSameBits(y, ty, "forward " + what);
            float[][] wd = Fixtures.dense(w);
            for (int j = 0; j < out; j++) {
                for (int c = 0; c < n; c++) {
                    double e = bias.getAtIndex(JAVA_FLOAT, j);
                    for (int i = 0; i < in; i++) e += (double) wd[j][i] * xd[i][c];
                    assertClose(y.get(j, c), e, "forward y[" + j + "," + c + "] " + what);
                }
            }
            k.csrTransposed(w, dy, dx, 0, in);
            k.csrTransposed(w, tdy, tdx, 0, in);
            assertSameBits(dx, tdx, "transposed " + what);
            for (int i = 0; i < in; i++) {
                for (int c = 0; c < n; c++) {
                    double e = 0;
                    for (int j = 0; j < out; j++) e += (double) wd[j][i] * dyd[j][c];
                    assertClose(dx.get(i, c), e, "transposed dx[" + i + "," + c + "] " + what);
                }
            }
            long nnz = Math.max(1, w.nnz());
            MemorySegment g = arena.allocate(JAVA_FLOAT, nnz), tg = arena.allocate(JAVA_FLOAT, nnz);
            k.sddmm(w, dy, x, 0.5f, g, 0, out);
            k.sddmm(w, tdy, tx, 0.5f, tg, 0, out);
            assertThat(g.toArray(JAVA_FLOAT)).as("sddmm " + what).isEqualTo(tg.toArray(JAVA_FLOAT));
            MemorySegment v = arena.allocate(JAVA_FLOAT, nnz), tv = arena.allocate(JAVA_FLOAT, nnz);
            k.sddmmSgd(w2, dy, x, 0.5f, v, 0.1f, 0.9f, 0.01f, 0, out);
            k.sddmmSgd(w3, tdy, tx, 0.5f, tv, 0.1f, 0.9f, 0.01f, 0, out);
            assertThat(v.toArray(JAVA_FLOAT)).as("sddmmSgd velocity " + what).isEqualTo(tv.toArray(JAVA_FLOAT));
            assertThat(w2.values().toArray(JAVA_FLOAT)).as("sddmmSgd weights " + what).isEqualTo(w3.values().toArray(JAVA_FLOAT));
            MemorySegment db = arena.allocate(JAVA_FLOAT, out), tdb = arena.allocate(JAVA_FLOAT, out);
            k.biasGradient(dy, db, 0, out);
            k.biasGradient(tdy, tdb, 0, out);
            assertThat(db.toArray(JAVA_FLOAT)).as("biasGradient " + what).isEqualTo(tdb.toArray(JAVA_FLOAT));

            // activations from an lx operand into an ly one, derivatives of an ly gradient by an lx operand
            DenseMatrix a = operand(owned, lx, dyd), ta = operand(owned, Layout.TIGHT, dyd);
            for (String op : new String[] {"leakyRelu", "sigmoid", "tanh"}) {
                activation(k, op, a, y, 0, out);
                activation(k, op, ta, ty, 0, out);
                assertSameBits(y, ty, op + " " + what);
                // leakyRelu' takes the activation's input, the others its output
                boolean input = op.equals("leakyRelu");
                DenseMatrix pre = input ? a : operand(owned, lx, Fixtures.dense(ty)), tpre = input ? ta : operand(owned, Layout.TIGHT, Fixtures.dense(ty));
                DenseMatrix grad = operand(owned, ly, reversedRows(dyd)), tgrad = operand(owned, Layout.TIGHT, reversedRows(dyd));
                derivative(k, op, pre, grad, 0, out);
                derivative(k, op, tpre, tgrad, 0, out);
                assertSameBits(grad, tgrad, op + "' " + what);
            }
            // softmax: logits lx, gradient ly, probabilities the other layout; and the gradient alone
            Layout lp = lx == Layout.ODD || ly == Layout.ODD ? Layout.TIGHT : Layout.ODD;
            int[] labels = new int[n];
            for (int c = 0; c < n; c++) labels[c] = rnd.nextInt(10);
            DenseMatrix z = operand(owned, lx, zd), sg = operand(owned, ly, 10, n), sp = operand(owned, lp, 10, n), sg2 = operand(owned, ly, 10, n);
            DenseMatrix tz = operand(owned, Layout.TIGHT, zd), tsg = operand(owned, Layout.TIGHT, 10, n), tsp = operand(owned, Layout.TIGHT, 10, n);
            double loss = k.softmaxCrossEntropy(z, labels, 0, 0.25f, sg, sp);
            assertThat(k.softmaxCrossEntropy(tz, labels, 0, 0.25f, tsg, tsp)).as("softmax loss " + what).isEqualTo(loss);
            assertThat(k.softmaxCrossEntropy(z, labels, 0, 0.25f, sg2, null)).as("softmax loss, grad only " + what).isEqualTo(loss);
            assertSameBits(sg, tsg, "softmax grad " + what);
            assertSameBits(sp, tsp, "softmax probs " + what);
            assertSameBits(sg2, tsg, "softmax grad only " + what);
        } finally {
            for (DenseMatrix m : owned) m.close();
        }
    }

    private static float[][] gaussian(RandomStream rnd, int rows, int n) {
        float[][] d = new float[rows][n];
        for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) d[r][c] = (float) rnd.nextGaussian();
        return d;
    }

    // a gradient made of dy's rows in reverse order, so that it differs from the activations' inputs
    private static float[][] reversedRows(float[][] d) {
        float[][] g = new float[d.length][];
        for (int r = 0; r < d.length; r++) g[r] = d[d.length - 1 - r].clone();
        return g;
    }

    // a rows x n operand in the layout, every float of its memory NaN
    private static DenseMatrix operand(List<DenseMatrix> owned, Layout l, int rows, int n) {
        DenseMatrix base = DenseMatrix.allocate(rows, switch (l) {
            case TIGHT -> n;
            case WIDE -> 64;
            case ODD -> n + 5;
        });
        owned.add(base);
        base.segment().fill((byte) 0xff);
        return base.columns(n);
    }

    private static DenseMatrix operand(List<DenseMatrix> owned, Layout l, float[][] d) {
        DenseMatrix m = operand(owned, l, d.length, d.length == 0 ? 0 : d[0].length);
        load(m, d);
        return m;
    }

    private static void assertSameBits(DenseMatrix actual, DenseMatrix expected, String what) {
        for (int r = 0; r < actual.rows(); r++) {
            for (int c = 0; c < actual.cols(); c++) {
                assertThat(Float.floatToRawIntBits(actual.get(r, c))).as("%s at [%d,%d] (strides %d, %d)", what, r, c, actual.stride(), expected.stride())
                        .isEqualTo(Float.floatToRawIntBits(expected.get(r, c)));
            }
        }
    }

    // PanamaKernels.exp step by step in scalar code: clamp to [-87.3, 88.3]; n = x * log2(e) rounded to an
    // integer by adding and subtracting 1.5 * 2^23; r = x - n ln2 in two fused steps (Cody-Waite);
    // Cephes' degree-5 polynomial by Horner's rule in fused multiply-adds, then p r^2 + r fused, plus 1;
    // times 2^n built from the exponent bits. Every operation is exactly rounded (Java float arithmetic
    // does not fuse a multiply and an add unless asked), so this is the kernel's result lane by lane,
    // at any vector width and compilation tier; the built-in lanewise EXP is not.
    static float expModel(float x) {
        x = Math.min(Math.max(x, -87.3f), 88.3f);
        float n = x * 1.44269504088896341f + 12582912f - 12582912f;
        float r = Math.fma(n, -0.693359375f, x);
        r = Math.fma(n, 2.12194440e-4f, r);
        float p = 1.9875691500e-4f;
        p = Math.fma(p, r, 1.3981999507e-3f);
        p = Math.fma(p, r, 8.3334519073e-3f);
        p = Math.fma(p, r, 4.1665795894e-2f);
        p = Math.fma(p, r, 1.6666665459e-1f);
        p = Math.fma(p, r, 5.0000001201e-1f);
        p = Math.fma(p, r * r, r) + 1f;
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    static float sigmoidModel(float x) {
        return 1f / (expModel(-x) + 1f);
    }

    static float tanhModel(float x) {
        return 1f - 2f / (expModel(x * 2f) + 1f);
    }

    // Inputs over the whole range: uniform on [-100, 100], [-10, 10] and [-1, 1]; the clamp limits of
    // exp(-x) (sigmoid) and exp(2x) (tanh) and a few ulps around them; the points where x log2(e) is
    // half an integer (n's rounding); zeros, the smallest and largest floats and the infinities.
    static float[] expInputs() {
        RandomStream rnd = new RandomStream(53);
        List<Float> v = new ArrayList<>();
        for (double range : new double[] {100, 10, 1}) for (int i = 0; i < 1000; i++) v.add((float) ((2 * rnd.nextDouble() - 1) * range));
        for (float limit : new float[] {87.3f, 88.3f, 87.3f / 2, 88.3f / 2}) {
            for (float sign : new float[] {1f, -1f}) {
                float a = sign * limit, b = a;
                for (int i = 0; i < 6; i++) {
                    v.add(a);
                    v.add(b);
                    a = Math.nextUp(a);
                    b = Math.nextDown(b);
                }
            }
        }
        for (int h = -253; h <= 253; h += 2) {
            float half = (float) (h / 2.0 / 1.4426950408889634);
            v.add(half);
            v.add(Math.nextUp(half));
            v.add(Math.nextDown(half));
        }
        for (float f : new float[] {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-8f, -1e-8f, 1e30f, -1e30f,
                Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) v.add(f);
        float[] a = new float[v.size()];
        for (int i = 0; i < a.length; i++) a[i] = v.get(i);
        return a;
    }

    // A batch with a tail at every width (67 = 16 * 4 + 3), so that masked vectors are checked too.
    private static final int MODEL_BATCH = 67;

    private static float[] sigmoidTanh(Kernels k, boolean tanh, float[] in, DenseMatrix x, DenseMatrix y) {
        for (int i = 0; i < x.rows() * x.cols(); i++) x.set(i / x.cols(), i % x.cols(), in[i % in.length]);
        if (tanh) k.tanh(x, y, 0, x.rows());
        else k.sigmoid(x, y, 0, x.rows());
        return y.toArray();
    }

    // logits [classes x MODEL_BATCH] from the inputs' range: columns of spread 1, 10 and 100, and every fifth
    // column with one logit 1000 above the rest (the others' exp clamps); their labels
    static float[][] softmaxLogits(int classes) {
        RandomStream rnd = new RandomStream(59);
        float[][] z = new float[classes][MODEL_BATCH];
        for (int c = 0; c < MODEL_BATCH; c++) {
            double spread = new double[] {1, 10, 100}[c % 3];
            for (int j = 0; j < classes; j++) z[j][c] = (float) (rnd.nextGaussian() * spread);
            if (c % 5 == 4) z[c % classes][c] += 1000f;
        }
        return z;
    }

    // The softmax kernel's steps per column in scalar code: the maximum, exp(z - max) by expModel, their
    // float sum in class order, p = e * (1 / sum), grad = gradScale p, minus gradScale at the label; the
    // loss log(sum) + max - z[label] in double, summed column by column: the same sum at every vector width (a sum per
    // vector of columns, then over the vectors, made the loss differ with the width in its last digits).
    static double softmaxModel(float[][] z, int[] labels, float gradScale, int lanes, float[][] p, float[][] g) {
        int classes = z.length, n = z[0].length;
        double loss = 0;
        for (int c0 = 0; c0 < n; c0 += lanes) {
            for (int c = c0; c < Math.min(n, c0 + lanes); c++) {
                float max = Float.NEGATIVE_INFINITY, total = 0f;
                for (int j = 0; j < classes; j++) max = Math.max(max, z[j][c]);
                float[] e = new float[classes];
                for (int j = 0; j < classes; j++) {
                    e[j] = expModel(z[j][c] - max);
                    total += e[j];
                }
                float inv = 1f / total;
                for (int j = 0; j < classes; j++) {
                    p[j][c] = e[j] * inv;
                    g[j][c] = p[j][c] * gradScale;
                }
                g[labels[c]][c] -= gradScale;
                loss += StrictMath.log(total) + max - z[labels[c]][c];
            }
        }
        return loss;
    }

    @Test
    void panamaSigmoidTanhAndSoftmaxAreTheirPolynomialsScalarModelBitForBit() {
        Kernels k = KernelProvider.panama();
        float[] in = expInputs();
        int rows = (in.length + MODEL_BATCH - 1) / MODEL_BATCH;
        try (DenseMatrix x = DenseMatrix.allocate(rows, MODEL_BATCH); DenseMatrix y = DenseMatrix.allocate(rows, MODEL_BATCH)) {
            for (boolean tanh : new boolean[] {false, true}) {
                float[] out = sigmoidTanh(k, tanh, in, x, y);
                for (int i = 0; i < out.length; i++) {
                    float xi = in[i % in.length], want = tanh ? tanhModel(xi) : sigmoidModel(xi);
                    assertThat(Float.floatToRawIntBits(out[i])).as("%s(%s) = %s against the model's %s, %d lanes", tanh ? "tanh" : "sigmoid",
                            xi, out[i], want, k.floatLanes()).isEqualTo(Float.floatToRawIntBits(want));
                }
            }
        }
        int classes = 10;
        float[][] zd = softmaxLogits(classes), pm = new float[classes][MODEL_BATCH], gm = new float[classes][MODEL_BATCH];
        int[] labels = new int[MODEL_BATCH];
        for (int c = 0; c < MODEL_BATCH; c++) labels[c] = (c * 7) % classes;
        double lossModel = softmaxModel(zd, labels, 0.25f, k.floatLanes(), pm, gm);
        try (DenseMatrix z = DenseMatrix.allocate(classes, MODEL_BATCH); DenseMatrix p = DenseMatrix.allocate(classes, MODEL_BATCH);
             DenseMatrix g = DenseMatrix.allocate(classes, MODEL_BATCH); DenseMatrix g2 = DenseMatrix.allocate(classes, MODEL_BATCH)) {
            load(z, zd);
            assertThat(k.softmaxCrossEntropy(z, labels, 0, 0.25f, g, p)).as("loss").isEqualTo(lossModel);
            assertThat(k.softmaxCrossEntropy(z, labels, 0, 0.25f, g2, null)).as("loss, gradient alone").isEqualTo(lossModel);
            for (int j = 0; j < classes; j++) {
                for (int c = 0; c < MODEL_BATCH; c++) {
                    assertThat(Float.floatToRawIntBits(p.get(j, c))).as("p[%d,%d] = %s against the model's %s", j, c, p.get(j, c), pm[j][c])
                            .isEqualTo(Float.floatToRawIntBits(pm[j][c]));
                    assertThat(Float.floatToRawIntBits(g.get(j, c))).as("grad[%d,%d]", j, c).isEqualTo(Float.floatToRawIntBits(gm[j][c]));
                    assertThat(Float.floatToRawIntBits(g2.get(j, c))).as("grad alone [%d,%d]", j, c).isEqualTo(Float.floatToRawIntBits(gm[j][c]));
                }
            }
        }
    }

    // The same bits on every call, from the interpreter's first through C2's compiled code: 8,000 calls of
    // each kernel (enough for C2 to compile exp, expMap and softmaxBlock here), each against the scalar model.
    @Test
    void panamaExpKernelsGiveTheModelsBitsOnEveryCallAsTheJitCompilesThem() {
        Kernels k = KernelProvider.panama();
        float[] all = expInputs();
        float[] in = new float[4 * MODEL_BATCH];
        for (int i = 0; i < in.length; i++) in[i] = all[(i * 13) % all.length]; // a spread of the inputs, the clamp limits included
        float[] wantSigmoid = new float[in.length], wantTanh = new float[in.length];
        for (int i = 0; i < in.length; i++) {
            wantSigmoid[i] = sigmoidModel(in[i]);
            wantTanh[i] = tanhModel(in[i]);
        }
        int classes = 10;
        float[][] zd = softmaxLogits(classes), pm = new float[classes][MODEL_BATCH], gm = new float[classes][MODEL_BATCH];
        int[] labels = new int[MODEL_BATCH];
        for (int c = 0; c < MODEL_BATCH; c++) labels[c] = (c * 3) % classes;
        double lossModel = softmaxModel(zd, labels, 0.5f, k.floatLanes(), pm, gm);
        float[] wantP = new float[classes * MODEL_BATCH], wantG = new float[classes * MODEL_BATCH];
        for (int j = 0; j < classes; j++) {
            System.arraycopy(pm[j], 0, wantP, j * MODEL_BATCH, MODEL_BATCH);
            System.arraycopy(gm[j], 0, wantG, j * MODEL_BATCH, MODEL_BATCH);
        }
        try (DenseMatrix x = DenseMatrix.allocate(4, MODEL_BATCH); DenseMatrix y = DenseMatrix.allocate(4, MODEL_BATCH);
             DenseMatrix z = DenseMatrix.allocate(classes, MODEL_BATCH); DenseMatrix p = DenseMatrix.allocate(classes, MODEL_BATCH);
             DenseMatrix g = DenseMatrix.allocate(classes, MODEL_BATCH)) {
            load(z, zd);
            for (int call = 0; call < 8000; call++) {
                assertSameFloats(sigmoidTanh(k, false, in, x, y), wantSigmoid, "sigmoid, call " + call);
                assertSameFloats(sigmoidTanh(k, true, in, x, y), wantTanh, "tanh, call " + call);
                assertThat(k.softmaxCrossEntropy(z, labels, 0, 0.5f, g, p)).as("softmax loss, call %d", call).isEqualTo(lossModel);
                assertSameFloats(p.toArray(), wantP, "softmax, call " + call);
                assertSameFloats(g.toArray(), wantG, "softmax gradient, call " + call);
            }
        }
    }

    private static void assertSameFloats(float[] actual, float[] expected, String what) {
        for (int i = 0; i < actual.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                assertThat(actual[i]).as("%s, element %d", what, i).isEqualTo(expected[i]);
                assertThat(Float.floatToRawIntBits(actual[i])).as("%s, element %d", what, i).isEqualTo(Float.floatToRawIntBits(expected[i]));
            }
        }
    }

    // Sums over the batch (SDDMM's dots, the bias gradient) keep one order at every vector width, the
    // scalar backend's: a seed then trains the same model on 128-, 256- and 512-bit hardware. Batches
    // around the 16-lane groups, below them (the along-connections path) and with tails of every kind:
    // 1 to 7 (a partial first 8-lane chunk), 8 and 9 to 15 (a partial second chunk) past whole groups.
    static Stream<Arguments> batchSums() {
        return Stream.of(1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 20, 24, 31, 33, 36, 40, 47, 100, 128)
                .map(b -> Arguments.of(new Shape(23, 19, b, 0.4, new int[] {5})));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("batchSums")
    void sumsOverTheBatchHaveTheScalarBitsAtEveryWidth(Shape s) {
        Kernels panama = KernelProvider.panama(), scalar = new ScalarKernels();
        RandomStream rnd = new RandomStream(19);
        try (CsrMatrix w = Fixtures.randomCsr(new RandomStream(20), s.out, s.in, s.density, s.emptyRows);
             CsrMatrix ws = Fixtures.randomCsr(new RandomStream(20), s.out, s.in, s.density, s.emptyRows);
             DenseMatrix dy = Fixtures.randomDense(rnd, s.out, s.batch);
             DenseMatrix x = Fixtures.randomDense(rnd, s.in, s.batch);
             Arena arena = Arena.ofConfined()) {
            long nnz = Math.max(1, w.nnz());
            MemorySegment g = arena.allocate(JAVA_FLOAT, nnz), gs = arena.allocate(JAVA_FLOAT, nnz);
            MemorySegment v = arena.allocate(JAVA_FLOAT, nnz), vs = arena.allocate(JAVA_FLOAT, nnz);
            MemorySegment db = arena.allocate(JAVA_FLOAT, s.out), dbs = arena.allocate(JAVA_FLOAT, s.out);
            panama.sddmm(w, dy, x, 0.25f, g, 0, s.out);
            scalar.sddmm(ws, dy, x, 0.25f, gs, 0, s.out);
            panama.sddmmSgd(w, dy, x, 0.25f, v, 0.1f, 0.9f, 0.001f, 0, s.out);
            scalar.sddmmSgd(ws, dy, x, 0.25f, vs, 0.1f, 0.9f, 0.001f, 0, s.out);
            panama.biasGradient(dy, db, 0, s.out);
            scalar.biasGradient(dy, dbs, 0, s.out);
            for (long p = 0; p < w.nnz(); p++) {
                assertThat(Float.floatToRawIntBits(g.getAtIndex(JAVA_FLOAT, p))).as("gradient at %d", p)
                        .isEqualTo(Float.floatToRawIntBits(gs.getAtIndex(JAVA_FLOAT, p)));
                assertThat(Float.floatToRawIntBits(w.value(p))).as("weight at %d", p).isEqualTo(Float.floatToRawIntBits(ws.value(p)));
            }
            for (int j = 0; j < s.out; j++) {
                assertThat(Float.floatToRawIntBits(db.getAtIndex(JAVA_FLOAT, j))).as("bias gradient %d", j)
                        .isEqualTo(Float.floatToRawIntBits(dbs.getAtIndex(JAVA_FLOAT, j)));
            }
        }
    }

    // The sign of a zero sum, for the same sums over the batch: a dot whose every product underflows
    // (1e-25 * -1e-25 rounds to -0) is -0 when each of the 16 partial sums is. The vector dots pad the last
    // partial group of 16 with zeros, and fma(0, 0, s) turns a partial sum of -0 into +0, so the scalar
    // twin adds the same +0 to the partial sums past the batch in that group (a batch of 17 once gave -0
    // on the scalar backend and +0 at every vector width). X rows 0, 3, 6, ... are tiny negatives (each
    // of their dots with a tiny positive dY row is a zero of the scalar order's sign); the others, and dY
    // rows 4 and 9, mix tiny values of either sign, +-0 and now and then an ordinary value. Momentum 0
    // with a negative velocity (momentum * v = -0) carries the gradient's sign into the velocity.
    static Stream<Arguments> zeroSignBatches() {
        return Stream.of(1, 2, 3, 4, 5, 8, 9, 15, 16, 17, 20, 24, 25, 31, 32, 33, 40, 47, 48, 100, 128, 131)
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "batch {0}")
    @MethodSource("zeroSignBatches")
    void underflowingSumsOverTheBatchHaveTheScalarSignOfZeroAtEveryWidth(int n) {
        Kernels panama = KernelProvider.panama(), scalar = new ScalarKernels();
        int out = 12, in = 30;
        RandomStream rnd = new RandomStream(53L * n + 1);
        try (CsrMatrix w = Fixtures.randomCsr(new RandomStream(54), out, in, 0.5, 7);
             CsrMatrix ws = Fixtures.randomCsr(new RandomStream(54), out, in, 0.5, 7);
             DenseMatrix dy = DenseMatrix.allocate(out, n);
             DenseMatrix x = DenseMatrix.allocate(in, n);
             Arena arena = Arena.ofConfined()) {
            for (int j = 0; j < out; j++) {
                for (int c = 0; c < n; c++) dy.set(j, c, j == 4 || j == 9 ? mixedTiny(rnd) : (float) (1e-25 * (1 + rnd.nextDouble())));
            }
            for (int i = 0; i < in; i++) {
                for (int c = 0; c < n; c++) x.set(i, c, i % 3 == 0 ? (float) (-1e-25 * (1 + rnd.nextDouble())) : mixedTiny(rnd));
            }
            for (DenseMatrix m : new DenseMatrix[] {dy, x}) { // garbage in the padding must never reach a result
                for (int r = 0; r < m.rows(); r++) for (long c = n; c < m.stride(); c++) m.segment().setAtIndex(JAVA_FLOAT, r * m.stride() + c, Float.NaN);
            }
            long nnz = w.nnz();
            MemorySegment g = arena.allocate(JAVA_FLOAT, nnz), gs = arena.allocate(JAVA_FLOAT, nnz);
            MemorySegment v = arena.allocate(JAVA_FLOAT, nnz), vs = arena.allocate(JAVA_FLOAT, nnz);
            MemorySegment db = arena.allocate(JAVA_FLOAT, out), dbs = arena.allocate(JAVA_FLOAT, out);
            for (long p = 0; p < nnz; p++) {
                float v0 = -(float) (0.5 + rnd.nextDouble());
                v.setAtIndex(JAVA_FLOAT, p, v0);
                vs.setAtIndex(JAVA_FLOAT, p, v0);
            }
            panama.sddmm(w, dy, x, 0.25f, g, 0, out);
            scalar.sddmm(ws, dy, x, 0.25f, gs, 0, out);
            panama.sddmmSgd(w, dy, x, 0.25f, v, 0.1f, 0f, 0.001f, 0, out);
            scalar.sddmmSgd(ws, dy, x, 0.25f, vs, 0.1f, 0f, 0.001f, 0, out);
            panama.biasGradient(dy, db, 0, out);
            scalar.biasGradient(dy, dbs, 0, out);
            int negativeZeros = 0;
            for (long p = 0; p < nnz; p++) {
                float want = gs.getAtIndex(JAVA_FLOAT, p);
                if (Float.floatToRawIntBits(want) == Float.floatToRawIntBits(-0f)) negativeZeros++;
                assertThat(Float.floatToRawIntBits(g.getAtIndex(JAVA_FLOAT, p))).as("gradient at %d: %s, scalar %s", p, g.getAtIndex(JAVA_FLOAT, p), want)
                        .isEqualTo(Float.floatToRawIntBits(want));
                assertThat(Float.floatToRawIntBits(v.getAtIndex(JAVA_FLOAT, p))).as("velocity at %d: %s, scalar %s", p, v.getAtIndex(JAVA_FLOAT, p), vs.getAtIndex(JAVA_FLOAT, p))
                        .isEqualTo(Float.floatToRawIntBits(vs.getAtIndex(JAVA_FLOAT, p)));
                assertThat(Float.floatToRawIntBits(w.value(p))).as("weight at %d", p).isEqualTo(Float.floatToRawIntBits(ws.value(p)));
            }
            for (int j = 0; j < out; j++) {
                assertThat(Float.floatToRawIntBits(db.getAtIndex(JAVA_FLOAT, j))).as("bias gradient %d", j)
                        .isEqualTo(Float.floatToRawIntBits(dbs.getAtIndex(JAVA_FLOAT, j)));
            }
            // the inputs reach the case: a batch of whole groups of 16 tiny negative products gives -0; any
            // other batch +0 (below 16 an empty partial sum is +0, past it the padding's +0 turns -0 into +0)
            if (n % 16 == 0) assertThat(negativeZeros).as("gradients of -0").isPositive();
            else assertThat(negativeZeros).as("gradients of -0").isZero();
        }
    }

    // A tiny value of either sign (its products with another underflow), +0 or -0, or now and then an ordinary one.
    private static float mixedTiny(RandomStream rnd) {
        int kind = rnd.nextInt(16);
        if (kind == 0) return 0f;
        if (kind == 1) return -0f;
        if (kind == 2) return (float) rnd.nextGaussian();
        float t = (float) (1e-25 * (1 + rnd.nextDouble()));
        return kind < 6 ? t : -t;
    }

    // The fused step must be exactly the gradient kernel's dots followed by the scalar SGD step: same bits,
    // whichever order the kernel walks the rows and applies the weight step in.
    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void sddmmSgdIsTheGradientThenOneSgdStepBitForBit(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(17);
        try (CsrMatrix w = Fixtures.randomCsr(new RandomStream(18), s.out, s.in, s.density, s.emptyRows);
             CsrMatrix fused = Fixtures.randomCsr(new RandomStream(18), s.out, s.in, s.density, s.emptyRows);
             DenseMatrix dy = Fixtures.randomDense(rnd, s.out, s.batch);
             DenseMatrix x = Fixtures.randomDense(rnd, s.in, s.batch);
             Arena arena = Arena.ofConfined()) {
            long nnz = w.nnz();
            MemorySegment grad = arena.allocate(JAVA_FLOAT, Math.max(1, nnz)), vel = arena.allocate(JAVA_FLOAT, Math.max(1, nnz));
            MemorySegment expected = arena.allocate(JAVA_FLOAT, Math.max(1, nnz));
            for (long p = 0; p < nnz; p++) {
                float v = (float) rnd.nextGaussian();
                vel.setAtIndex(JAVA_FLOAT, p, v);
                expected.setAtIndex(JAVA_FLOAT, p, v);
            }
            float scale = 1f / Math.max(1, s.batch), lr = 0.05f, mom = 0.9f, wd = 0.001f;
            k.sddmm(w, dy, x, scale, grad, 0, s.out);
            for (long p = 0; p < nnz; p++) ScalarKernels.sgdStep(w.values(), expected, p, grad.getAtIndex(JAVA_FLOAT, p), lr, mom, wd);
            k.sddmmSgd(fused, dy, x, scale, vel, lr, mom, wd, 0, s.out);
            for (long p = 0; p < nnz; p++) {
                assertThat(Float.floatToRawIntBits(vel.getAtIndex(JAVA_FLOAT, p))).as("velocity at %d", p)
                        .isEqualTo(Float.floatToRawIntBits(expected.getAtIndex(JAVA_FLOAT, p)));
                assertThat(Float.floatToRawIntBits(fused.value(p))).as("weight at %d", p).isEqualTo(Float.floatToRawIntBits(w.value(p)));
            }
        }
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void activationsAndDerivatives(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(16);
        int rows = s.out, n = s.batch;
        try (DenseMatrix x = Fixtures.randomDense(rnd, rows, n);
             DenseMatrix y = DenseMatrix.allocate(rows, n);
             DenseMatrix g = DenseMatrix.allocate(rows, n)) {
            float[][] xd = Fixtures.dense(x);
            float[][] gd = new float[rows][n];
            for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) gd[r][c] = (float) rnd.nextGaussian();
            for (float slope : new float[] {0f, 0.6f, -0.6f}) {
                k.leakyRelu(x, slope, y, 0, rows);
                load(g, gd);
                k.leakyReluBackward(x, slope, g, 0, rows);
                for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) {
                    float v = xd[r][c];
                    assertThat(y.get(r, c)).isEqualTo(v > 0 ? v : slope * v);
                    assertThat(g.get(r, c)).isEqualTo(v > 0 ? gd[r][c] : slope * gd[r][c]);
                }
            }
            k.sigmoid(x, y, 0, rows);
            load(g, gd);
            k.sigmoidBackward(y, g, 0, rows);
            for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) {
                double sg = 1 / (1 + Math.exp(-xd[r][c]));
                assertClose(y.get(r, c), sg, "sigmoid");
                assertClose(g.get(r, c), gd[r][c] * sg * (1 - sg), "sigmoid'");
            }
            k.tanh(x, y, 0, rows);
            load(g, gd);
            k.tanhBackward(y, g, 0, rows);
            for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) {
                double t = Math.tanh(xd[r][c]);
                assertClose(y.get(r, c), t, "tanh");
                assertClose(g.get(r, c), gd[r][c] * (1 - t * t), "tanh'");
            }
            // In place: y may be x.
            k.leakyRelu(x, 0f, x, 0, rows);
            for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) assertThat(x.get(r, c)).isEqualTo(Math.max(0f, xd[r][c]));
        }
    }

    // Exact zeros, which Gaussian inputs never give: the derivative at +0 and -0 is the negative side's
    // slope (as PyTorch's ReLU gives 0 there), and the forward is slope * x there too (-0 for x = +0 and
    // a negative slope). Zeros in whole vectors and in the tail at every width, next to the smallest
    // subnormals (which are > 0 or < 0).
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void leakyReluAtExactZerosTakesTheNegativeSlope(String label, Kernels k) {
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1f, -1f};
        RandomStream rnd = new RandomStream(31);
        for (int n : new int[] {1, 2, 3, 5, 8, 17, 33}) {
            int rows = 4;
            try (DenseMatrix x = DenseMatrix.allocate(rows, n); DenseMatrix y = DenseMatrix.allocate(rows, n);
                 DenseMatrix g = DenseMatrix.allocate(rows, n)) {
                float[][] gd = new float[rows][n];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < n; c++) {
                        x.set(r, c, special[(r * n + c) % special.length]);
                        gd[r][c] = (float) rnd.nextGaussian();
                    }
                }
                for (float slope : new float[] {0f, 0.6f, -0.6f, 2f}) {
                    k.leakyRelu(x, slope, y, 0, rows);
                    load(g, gd);
                    k.leakyReluBackward(x, slope, g, 0, rows);
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < n; c++) {
                            float v = x.get(r, c), want = v > 0 ? v : slope * v, wantGrad = v > 0 ? gd[r][c] : slope * gd[r][c];
                            assertThat(Float.floatToRawIntBits(y.get(r, c))).as("leakyRelu(%s) slope %s, batch %d", v, slope, n)
                                    .isEqualTo(Float.floatToRawIntBits(want));
                            assertThat(Float.floatToRawIntBits(g.get(r, c))).as("leakyRelu'(%s) slope %s, batch %d", v, slope, n)
                                    .isEqualTo(Float.floatToRawIntBits(wantGrad));
                        }
                    }
                }
            }
        }
    }

    private static void load(DenseMatrix m, float[][] d) {
        for (int r = 0; r < m.rows(); r++) for (int c = 0; c < m.cols(); c++) m.set(r, c, d[r][c]);
    }

    // A sample's probabilities must not depend on where in a batch it sits: the batch's last columns
    // (fewer than a vector) once went through the scalar softmax and differed by a few ulps.
    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {1, 2, 3, 5, 7, 8, 9, 13, 16, 17, 31})
    void softmaxOfAColumnHasTheSameBitsAnywhereInABatch(int n) {
        Kernels k = KernelProvider.panama();
        int lanes = k.floatLanes(), classes = 10;
        int wide = (n + lanes - 1) / lanes * lanes + lanes; // every column of the narrow batch lies in a whole vector of the wide one
        RandomStream rnd = new RandomStream(23);
        try (DenseMatrix zw = Fixtures.randomDense(rnd, classes, wide);
             DenseMatrix pw = DenseMatrix.allocate(classes, wide); DenseMatrix gw = DenseMatrix.allocate(classes, wide);
             DenseMatrix z = DenseMatrix.allocate(classes, n); DenseMatrix p = DenseMatrix.allocate(classes, n);
             DenseMatrix g = DenseMatrix.allocate(classes, n); DenseMatrix p2 = DenseMatrix.allocate(classes, n)) {
            for (int j = 0; j < classes; j++) for (int c = 0; c < n; c++) z.set(j, c, zw.get(j, c) * 4);
            for (int j = 0; j < classes; j++) for (int c = 0; c < wide; c++) zw.set(j, c, zw.get(j, c) * 4);
            int[] labels = new int[wide];
            for (int c = 0; c < wide; c++) labels[c] = rnd.nextInt(classes);
            k.softmaxCrossEntropy(zw, labels, 0, 0.5f, gw, pw);
            double loss = k.softmaxCrossEntropy(z, labels, 0, 0.5f, g, p);
            double lossProbsOnly = k.softmaxCrossEntropy(z, labels, 0, 0.5f, null, p2);
            assertThat(lossProbsOnly).isEqualTo(loss);
            for (int j = 0; j < classes; j++) {
                for (int c = 0; c < n; c++) {
                    assertThat(Float.floatToRawIntBits(p.get(j, c))).as("p[%d,%d] of %d lanes", j, c, lanes).isEqualTo(Float.floatToRawIntBits(pw.get(j, c)));
                    assertThat(Float.floatToRawIntBits(p2.get(j, c))).as("p[%d,%d] without grad", j, c).isEqualTo(Float.floatToRawIntBits(pw.get(j, c)));
                    assertThat(Float.floatToRawIntBits(g.get(j, c))).as("grad[%d,%d]", j, c).isEqualTo(Float.floatToRawIntBits(gw.get(j, c)));
                }
            }
        }
    }

    // The same for sigmoid and tanh, whose last columns went through StrictMath: a sample's activations
    // depended on its place in the batch and on the SIMD width (a batch of 100 has a tail at 8 lanes, none at 4).
    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {1, 2, 3, 5, 7, 8, 9, 13, 16, 17, 31, 100})
    void sigmoidAndTanhOfAColumnHaveTheSameBitsAnywhereInABatch(int n) {
        Kernels k = KernelProvider.panama();
        int lanes = k.floatLanes(), rows = 5;
        int wide = (n + lanes - 1) / lanes * lanes + lanes;
        RandomStream rnd = new RandomStream(29);
        try (DenseMatrix xw = Fixtures.randomDense(rnd, rows, wide); DenseMatrix yw = DenseMatrix.allocate(rows, wide);
             DenseMatrix x = DenseMatrix.allocate(rows, n); DenseMatrix y = DenseMatrix.allocate(rows, n)) {
            for (int r = 0; r < rows; r++) for (int c = 0; c < wide; c++) xw.set(r, c, xw.get(r, c) * 6);
            for (boolean tanh : new boolean[] {false, true}) {
                for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) x.set(r, c, xw.get(r, c));
                if (tanh) {
                    k.tanh(xw, yw, 0, rows);
                    k.tanh(x, y, 0, rows);
                    k.tanh(x, x, 0, rows); // in place
                } else {
                    k.sigmoid(xw, yw, 0, rows);
                    k.sigmoid(x, y, 0, rows);
                    k.sigmoid(x, x, 0, rows);
                }
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < n; c++) {
                        int want = Float.floatToRawIntBits(yw.get(r, c));
                        assertThat(Float.floatToRawIntBits(y.get(r, c))).as("%s[%d,%d] of %d lanes", tanh ? "tanh" : "sigmoid", r, c, lanes).isEqualTo(want);
                        assertThat(Float.floatToRawIntBits(x.get(r, c))).as("in place [%d,%d]", r, c).isEqualTo(want);
                    }
                }
            }
        }
    }

    // A label equal to the class count is out of range too: on the scalar backend it was read as a row
    // past the logits (an IndexOutOfBoundsException, or the next sample's logit) instead of refused.
    @Test
    void aLabelOutsideTheClassesIsRefusedNamingItOnEveryBackend() {
        for (Kernels k : Backends.all()) {
            try (DenseMatrix z = DenseMatrix.allocate(3, 2); DenseMatrix g = DenseMatrix.allocate(3, 2)) {
                for (int bad : new int[] {3, -1}) {
                    assertThatThrownBy(() -> k.softmaxCrossEntropy(z, new int[] {0, 1, bad}, 1, 1f, g, null))
                            .as(Backends.label(k)).isInstanceOf(IllegalArgumentException.class)
                            .hasMessage("label " + bad + " at index 2 out of range [0, 3)");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void softmaxCrossEntropyIsStable(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(17);
        int classes = Math.max(2, Math.min(s.out, 12)), n = s.batch;
        try (DenseMatrix z = Fixtures.randomDense(rnd, classes, n);
             DenseMatrix g = DenseMatrix.allocate(classes, n);
             DenseMatrix p = DenseMatrix.allocate(classes, n);
             DenseMatrix gOnly = DenseMatrix.allocate(classes, n)) {
            int[] labels = new int[n + 3];
            for (int c = 0; c < labels.length; c++) labels[c] = rnd.nextInt(classes);
            // Huge logits: a naive exp overflows to Inf/NaN.
            for (int c = 0; c < n; c += 2) z.set(0, c, 1000f + c);
            float[][] zd = Fixtures.dense(z);
            float gs = 0.25f;
            double loss = k.softmaxCrossEntropy(z, labels, 3, gs, g, p);
            double expected = 0;
            for (int c = 0; c < n; c++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < classes; j++) max = Math.max(max, zd[j][c]);
                double sum = 0;
                for (int j = 0; j < classes; j++) sum += Math.exp(zd[j][c] - max);
                double lse = max + Math.log(sum);
                expected += lse - zd[labels[3 + c]][c];
                for (int j = 0; j < classes; j++) {
                    double pj = Math.exp(zd[j][c] - lse);
                    assertClose(p.get(j, c), pj, "p[" + j + "," + c + "]");
                    assertClose(g.get(j, c), gs * (pj - (j == labels[3 + c] ? 1 : 0)), "grad");
                }
            }
            assertThat(loss).isFinite().isCloseTo(expected, within(1e-3 * (1 + Math.abs(expected))));
            // Training asks for the gradient alone (nn's SoftmaxCrossEntropy: probs null), then the
            // exponentials wait in grad until the total is known: the same gradient and loss, bit for bit.
            double lossGradOnly = k.softmaxCrossEntropy(z, labels, 3, gs, gOnly, null);
            assertThat(lossGradOnly).as("loss with grad only").isEqualTo(loss);
            assertThat(k.softmaxCrossEntropy(z, labels, 3, gs, null, null)).as("loss alone").isEqualTo(loss);
            for (int j = 0; j < classes; j++) {
                for (int c = 0; c < n; c++) {
                    assertThat(Float.floatToRawIntBits(gOnly.get(j, c))).as("grad[%d,%d] without probs", j, c)
                            .isEqualTo(Float.floatToRawIntBits(g.get(j, c)));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void biasGradientScaleAxpy(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(18);
        try (DenseMatrix dy = Fixtures.randomDense(rnd, s.out, s.batch); Arena arena = Arena.ofConfined()) {
            MemorySegment db = arena.allocate(JAVA_FLOAT, Math.max(1, s.out));
            k.biasGradient(dy, db, 0, s.out);
            for (int j = 0; j < s.out; j++) {
                double e = 0;
                for (int c = 0; c < s.batch; c++) e += dy.get(j, c);
                assertClose(db.getAtIndex(JAVA_FLOAT, j), e, "db[" + j + "]");
            }
            int n = s.out * 3 + s.batch;
            MemorySegment x = arena.allocate(JAVA_FLOAT, n + 5), y = arena.allocate(JAVA_FLOAT, n + 5);
            float[] xs = new float[n + 5], ys = new float[n + 5];
            for (int i = 0; i < n + 5; i++) {
                xs[i] = (float) rnd.nextGaussian();
                ys[i] = (float) rnd.nextGaussian();
                x.setAtIndex(JAVA_FLOAT, i, xs[i]);
                y.setAtIndex(JAVA_FLOAT, i, ys[i]);
            }
            k.axpy(-1.5f, x, 1, y, 2, n);
            k.scale(x, 3, n, 0.5f);
            for (int i = 0; i < n + 5; i++) {
                double ey = i >= 2 && i < 2 + n ? ys[i] + -1.5 * xs[i - 1] : ys[i];
                double ex = i >= 3 && i < 3 + n ? 0.5 * xs[i] : xs[i];
                assertClose(y.getAtIndex(JAVA_FLOAT, i), ey, "axpy[" + i + "]");
                assertClose(x.getAtIndex(JAVA_FLOAT, i), ex, "scale[" + i + "]");
            }
        }
    }

    // The documented draw, element by element: bits 16(c mod 4) .. +15 of mix(mix(seed + r K) + c / 4).
    private static int draw(long seed, int r, int c) {
        long h = RandomStream.mix(RandomStream.mix(seed + r * 0xD1B54A32D192ED03L) + c / 4);
        return (int) ((h >>> (16 * (c % 4))) & 0xffff);
    }

    // Thresholds from keep-all to drop-all (rate 0, 0.3, 0.5, the largest rate below 1, and 1), and ints
    // outside [0, 65536], where the definition still keeps all or none (a sign trick that overflows would
    // not); the mask into a wider matrix (another stride), out in place of a, and two row ranges: the bits
    // of one call.
    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void dropoutKeepsExactlyTheDrawsAtOrAboveTheThreshold(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(19);
        int rows = s.out, n = s.batch;
        long seed = rnd.nextLong();
        try (DenseMatrix a = Fixtures.randomDense(rnd, rows, n);
             DenseMatrix wide = DenseMatrix.allocate(rows, n + 37);
             DenseMatrix out = DenseMatrix.allocate(rows, n)) {
            float[][] ad = Fixtures.dense(a);
            DenseMatrix mask = wide.columns(n);
            for (int threshold : new int[] {0, 19661, 32768, 65535, 65536, -1, Integer.MIN_VALUE, Integer.MIN_VALUE + 65535, 65537, Integer.MAX_VALUE}) {
                float keep = threshold < 0 || threshold >= 65536 ? 7f : 1f / (1f - threshold / 65536f);
                k.dropout(a, seed, threshold, keep, mask, out, 0, rows);
                int kept = 0;
                for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) {
                    float m = draw(seed, r, c) >= threshold ? keep : 0f;
                    kept += m != 0f ? 1 : 0;
                    assertThat(Float.floatToRawIntBits(mask.get(r, c))).as("mask (%d, %d) at threshold %d", r, c, threshold)
                            .isEqualTo(Float.floatToRawIntBits(m));
                    assertThat(Float.floatToRawIntBits(out.get(r, c))).as("out (%d, %d) at threshold %d", r, c, threshold)
                            .isEqualTo(Float.floatToRawIntBits(ad[r][c] * m));
                }
                if (threshold <= 0) assertThat(kept).as("kept at threshold %d", threshold).isEqualTo(rows * n);
                if (threshold >= 65536) assertThat(kept).as("kept at threshold %d", threshold).isZero();
                if (threshold == 32768 && rows * n >= 1000) assertThat(kept / (double) (rows * n)).isBetween(0.45, 0.55);
            }
            // In place, in two row ranges: the same bits as above at threshold 19661.
            int split = rows / 3;
            k.dropout(a, seed, 19661, 1.4f, mask, a, 0, split);
            k.dropout(a, seed, 19661, 1.4f, mask, a, split, rows);
            for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) {
                float m = draw(seed, r, c) >= 19661 ? 1.4f : 0f;
                assertThat(Float.floatToRawIntBits(a.get(r, c))).as("in place (%d, %d)", r, c)
                        .isEqualTo(Float.floatToRawIntBits(ad[r][c] * m));
            }
            // The mask's padding columns are not written.
            for (int r = 0; r < rows; r++) for (int c = n; c < n + 37; c++) assertThat(wide.get(r, c)).isZero();
        }
    }

    // Rows with means and deviations of their own; entries where (x - mean) overflows float (3e38 against a
    // mean of -1e38), NaN and infinite ones, which take the double path; two row ranges.
    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void standardizeIsTheDefinitionEntryByEntry(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(21);
        int rows = s.out, n = s.batch;
        try (DenseMatrix x = Fixtures.randomDense(rnd, rows, n)) {
            float[] mean = new float[rows], std = new float[rows];
            for (int r = 0; r < rows; r++) {
                mean[r] = r % 5 == 1 ? -1e38f : (float) rnd.nextGaussian();
                std[r] = r % 5 == 1 ? 1e10f : 0.1f + (float) Math.abs(rnd.nextGaussian());
                for (int c = 0; c < n; c++) {
                    int pick = rnd.nextInt(20);
                    if (pick == 0) x.set(r, c, 3e38f);
                    else if (pick == 1) x.set(r, c, Float.NaN);
                    else if (pick == 2) x.set(r, c, Float.NEGATIVE_INFINITY);
                }
            }
            float[][] before = Fixtures.dense(x);
            int split = rows / 3;
            k.standardize(x, mean, std, split, rows);
            k.standardize(x, mean, std, 0, split);
            for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) {
                float want = Kernels.standardized(before[r][c], mean[r], 1f / std[r], std[r]);
                assertThat(Float.floatToRawIntBits(x.get(r, c))).as("(%d, %d) from %s", r, c, before[r][c]).isEqualTo(Float.floatToRawIntBits(want));
            }
        }
        // the definition itself: the float formula where it is finite, the double one where it overflows
        assertThat(Kernels.standardized(2f, 1f, 0.5f, 2f)).isEqualTo(0.5f);
        assertThat(Kernels.standardized(3e38f, -1e38f, 1e-10f, 1e10f)).isEqualTo((float) (4e38 / 1e10));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void elementMultIsTheProductOfEachPair(String label, Kernels k, Shape s) {
        RandomStream rnd = new RandomStream(20);
        int rows = s.out, n = s.batch;
        try (DenseMatrix x = Fixtures.randomDense(rnd, rows, n);
             DenseMatrix wide = DenseMatrix.allocate(rows, n + 5)) {
            float[][] xd = Fixtures.dense(x);
            DenseMatrix y = wide.columns(n);
            for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) y.set(r, c, (r + c) % 3 == 0 ? 0f : (float) rnd.nextGaussian());
            k.elementMult(x, y, 0, rows / 2);
            k.elementMult(x, y, rows / 2, rows);
            for (int r = 0; r < rows; r++) for (int c = 0; c < n; c++) {
                assertThat(Float.floatToRawIntBits(x.get(r, c))).as("(%d, %d)", r, c)
                        .isEqualTo(Float.floatToRawIntBits(xd[r][c] * y.get(r, c)));
            }
        }
    }

    // Lengths with awkward tails and an empty range; offsets not on a vector boundary; gradients from
    // tiny to large. Bitwise against the scalar kernel (the promised cross-backend identity) and within
    // rounding of the formula evaluated in double.
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void adamStepIsTheScalarStepBitForBit(String label, Kernels k) {
        Kernels ref = KernelProvider.scalar();
        RandomStream rnd = new RandomStream(23);
        for (int len : new int[] {0, 1, 7, 16, 17, 33, 100, 257}) {
            for (long from : new long[] {0, 3}) {
                int n = (int) from + len + 5;
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment[] a = new MemorySegment[8];
                    for (int i = 0; i < 8; i++) a[i] = arena.allocate(JAVA_FLOAT, n);
                    float[][] start = new float[4][n];
                    for (int i = 0; i < n; i++) {
                        start[0][i] = (float) rnd.nextGaussian();                                   // p
                        start[1][i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 6)); // g
                        start[2][i] = (float) (rnd.nextGaussian() * 1e-2);                           // m
                        start[3][i] = (float) Math.abs(rnd.nextGaussian() * 1e-4);                  // v
                        for (int s2 = 0; s2 < 4; s2++) {
                            a[s2].setAtIndex(JAVA_FLOAT, i, start[s2][i]);
                            a[s2 + 4].setAtIndex(JAVA_FLOAT, i, start[s2][i]);
                        }
                    }
                    float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 1e-4f, lr = 1e-3f, gs = 0.5f;
                    float c1 = (float) (1 - Math.pow(b1, 7)), c2 = (float) (1 - Math.pow(b2, 7));
                    k.adamStep(a[0], a[1], a[2], a[3], from, from + len, gs, b1, b2, eps, wd, lr, c1, c2);
                    ref.adamStep(a[4], a[5], a[6], a[7], from, from + len, gs, b1, b2, eps, wd, lr, c1, c2);
                    for (int s2 = 0; s2 < 4; s2++) {
                        assertThat(a[s2].toArray(JAVA_FLOAT)).as("array " + s2 + ", length " + len + " from " + from)
                                .isEqualTo(a[s2 + 4].toArray(JAVA_FLOAT));
                    }
                    for (int i = 0; i < n; i++) {
                        boolean in = i >= from && i < from + len;
                        double g = gs * (double) start[1][i];
                        double m = in ? b1 * (double) start[2][i] + (1 - b1) * g : start[2][i];
                        double v = in ? b2 * (double) start[3][i] + (1 - b2) * g * g : start[3][i];
                        double p = in ? start[0][i] - lr * ((m / c1) / (Math.sqrt(v / c2) + eps) + wd * start[0][i]) : start[0][i];
                        assertThat((double) a[2].getAtIndex(JAVA_FLOAT, i)).as("m[" + i + "]").isCloseTo(m, offset(1e-6 * (Math.abs(b1 * (double) start[2][i]) + Math.abs((1 - b1) * g)) + 1e-30));
                        assertThat((double) a[0].getAtIndex(JAVA_FLOAT, i)).as("p[" + i + "]").isCloseTo(p, offset(1e-5 * Math.abs(p) + 1e-7));
                    }
                }
            }
        }
    }

    // The documented AdamW update against double arithmetic within a few float roundings (the bound below
    // follows each rounding of the kernel's operations), with a weight decay and an eps that matter: the
    // decay term lr * wd * p is 5e-4 |p|, far outside the bound, and eps is 1e-8 (negligible except where
    // v is 0) or 1e-3. Every fifth entry is a fresh connection (m = v = g = 0): its moments stay 0 and p
    // changes by the decay alone, p - lr * (wd * p) (without eps it would be 0 / 0).
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void adamStepIsTheDocumentedUpdateWithDecayAndEps(String label, Kernels k) {
        RandomStream rnd = new RandomStream(37);
        double u = 0x1p-24;
        float b1 = 0.9f, b2 = 0.999f, wd = 0.05f, lr = 0.01f, gs = 0.5f;
        float c1 = (float) (1 - Math.pow(b1, 3)), c2 = (float) (1 - Math.pow(b2, 3));
        for (float eps : new float[] {1e-8f, 1e-3f}) {
            for (int len : new int[] {1, 7, 16, 17, 33, 100}) {
                for (long from : new long[] {0, 3}) {
                    int n = (int) from + len + 2;
                    float[] p0 = new float[n], g0 = new float[n], m0 = new float[n], v0 = new float[n];
                    for (int i = 0; i < n; i++) {
                        p0[i] = (float) rnd.nextGaussian();
                        if (i % 5 == 1) continue; // fresh: m = v = g = 0
                        g0[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 4));
                        m0[i] = (float) (rnd.nextGaussian() * 1e-2);
                        v0[i] = (float) Math.abs(rnd.nextGaussian() * 1e-4);
                    }
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment p = arena.allocateFrom(JAVA_FLOAT, p0), g = arena.allocateFrom(JAVA_FLOAT, g0);
                        MemorySegment m = arena.allocateFrom(JAVA_FLOAT, m0), v = arena.allocateFrom(JAVA_FLOAT, v0);
                        k.adamStep(p, g, m, v, from, from + len, gs, b1, b2, eps, wd, lr, c1, c2);
                        for (int i = 0; i < n; i++) {
                            String at = "[" + i + "] eps " + eps + ", length " + len + " from " + from;
                            float pi = p.getAtIndex(JAVA_FLOAT, i), mi = m.getAtIndex(JAVA_FLOAT, i), vi = v.getAtIndex(JAVA_FLOAT, i);
                            if (i < from || i >= from + len) {
                                assertThat(new float[] {pi, mi, vi}).as("outside the range " + at).isEqualTo(new float[] {p0[i], m0[i], v0[i]});
                                continue;
                            }
                            if (i % 5 == 1) {
                                assertThat(Float.floatToRawIntBits(mi)).as("fresh m" + at).isZero();
                                assertThat(Float.floatToRawIntBits(vi)).as("fresh v" + at).isZero();
                                assertThat(pi).as("fresh p" + at).isFinite().isEqualTo(p0[i] - lr * (wd * p0[i]));
                            }
                            double gk = gs * (double) g0[i];
                            double em = b1 * (double) m0[i] + (1 - b1) * gk, mAbs = Math.abs(b1 * (double) m0[i]) + Math.abs((1 - b1) * gk);
                            double ev = b2 * (double) v0[i] + (1 - b2) * gk * gk;
                            double s = Math.sqrt(ev / c2) + eps, term = (em / c1) / s;
                            double update = term + wd * (double) p0[i], ep = p0[i] - lr * update;
                            double tolM = 4 * u * mAbs + Float.MIN_NORMAL, tolV = 5 * u * ev + Float.MIN_NORMAL;
                            double tolP = 2 * (lr * (tolM / (c1 * s) + 10 * u * (Math.abs(term) + Math.abs(wd * (double) p0[i])))
                                    + 2 * u * (Math.abs(p0[i]) + lr * Math.abs(update))) + Float.MIN_NORMAL;
                            assertThat((double) mi).as("m" + at).isCloseTo(em, within(tolM));
                            assertThat((double) vi).as("v" + at).isCloseTo(ev, within(tolV));
                            assertThat((double) pi).as("p" + at).isCloseTo(ep, within(tolP));
                        }
                    }
                }
            }
        }
    }

    // The probe's chains in plain float arithmetic, one value per chain, summed in chain order.
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void fmaProbeIsTheScalarChainsInEveryLane(String label, Kernels k) {
        for (int rounds : new int[] {0, 1, 7, 1000}) {
            for (float start : new float[] {0f, 1f, -3.5f, 1e30f}) {
                float sum = 0;
                for (int c = 0; c < 10; c++) {
                    float a = start + c;
                    for (int i = 0; i < rounds; i++) a = Math.fma(a, Kernels.FMA_PROBE_M, Kernels.FMA_PROBE_C);
                    sum += a;
                }
                assertThat(Float.floatToRawIntBits(k.fmaProbe(start, rounds))).as("start %s, %d rounds", start, rounds)
                        .isEqualTo(Float.floatToRawIntBits(sum));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void rowReadsSumTheIndexedRowsOfEveryBlockWidth(String label, Kernels k) {
        RandomStream rng = new RandomStream(11);
        for (int batch : new int[] {0, 1, 2, 3, 5, 8, 15, 16, 17, 33, 48, 64, 100, 128, 130, 256, 300}) {
            int rows = 37;
            try (DenseMatrix x = DenseMatrix.allocate(rows, batch); Arena arena = Arena.ofConfined()) {
                long[] rowSum = new long[rows];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < batch; c++) {
                        int v = rng.nextInt(7) - 3; // small integers: every order of adds gives the same float
                        x.set(r, c, v);
                        rowSum[r] += v;
                    }
                }
                int n = 90;
                MemorySegment idx = arena.allocate(JAVA_INT, n);
                for (int i = 0; i < n; i++) idx.setAtIndex(JAVA_INT, i, i < 3 ? rows - 1 : rng.nextInt(rows)); // repeats, the last row
                for (long[] range : new long[][] {{0, n}, {5, 6}, {17, 17}, {40, n}}) {
                    long expected = 0;
                    for (long i = range[0]; i < range[1]; i++) expected += rowSum[idx.getAtIndex(JAVA_INT, i)];
                    assertThat(k.rowReads(idx, range[0], range[1], x)).as("batch %d, entries %d-%d", batch, range[0], range[1]).isEqualTo((float) expected);
                }
            }
        }
    }

    static List<Arguments> backends() {
        List<Arguments> a = new ArrayList<>();
        for (Kernels k : Backends.all()) a.add(Arguments.of(Backends.label(k), k));
        return a;
    }
}
