package org.dst4j.runtime.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.dst4j.runtime.random.RandomStream.mix;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * SIMD kernels on {@code jdk.incubator.vector}, for any vector width. Only {@link KernelProvider}
 * loads this class, and only after checking that the incubator module is readable ({@link KernelRounds} calls
 * {@code plainForward} only once this backend has been chosen).
 *
 * <p>Sparse products keep a block of the batch in registers while walking a row's connections: each
 * connection costs one broadcast and one FMA per vector, and every output is stored once.
 *
 * <p>Determinism: float {@code reduceLanes(ADD)} and the transcendental {@code lanewise} operators may
 * give different bits in interpreted and JIT-compiled code, so a result would depend on when the JIT
 * ran. These kernels use only exactly-rounded operations (add, mul, div, fma, permutations): lane sums
 * by a fixed butterfly, {@code exp} by a polynomial.
 */
final class PanamaKernels implements Kernels {
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    // The species must be a static final constant: C2 intrinsifies vector operations only on constant
    // species; an instance field makes every operation a boxed fallback (measured: 2 vs 66 GFLOP/s).
    // The width is fixed per JVM, from -Ddst4j.vectorBits (tests run separate JVMs per width).
    private static final VectorSpecies<Float> sp = warnIfEmulated(vectorBits(System.getProperty("dst4j.vectorBits"), System.err), System.err);
    private static final int lanes = sp.length();
    // narrow rows (DenseMatrix pads batches of up to 8 columns to 2, 4 or 8 floats)
    private static final VectorSpecies<Float> S2 = FloatVector.SPECIES_64, S4 = FloatVector.SPECIES_128, S8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> isp = VectorSpecies.of(int.class, sp.vectorShape());
    // dropout's draws for one float vector: a quarter as many 64-bit hashes, in a vector of half the width
    // (none at 4 lanes: a one-lane long vector is not a SIMD one)
    private static final VectorSpecies<Long> DRAW_HASHES = lanes >= 8 ? VectorSpecies.of(long.class, VectorShape.forBitSize(lanes * 16)) : null;

    PanamaKernels() {}

    // -Ddst4j.vectorBits: 128, 256 or 512; anything else is one warning and the machine's width (0), not
    // an ExceptionInInitializerError at the first kernel call.
    static int vectorBits(String v, PrintStream warn) {
        if (v == null || v.isBlank()) return 0;
        switch (v.strip()) {
            case "128": return 128;
            case "256": return 256;
            case "512": return 512;
            default:
                warn.println("WARNING: -Ddst4j.vectorBits=" + v + " is not 128, 256 or 512; using the machine's preferred width");
                return 0;
        }
    }

    // A species wider than the hardware's is not intrinsified: every operation runs the Java fallback and
    // allocates (forward, 4096 x 4096 at 1%, batch 128, on AVX2: 512 bits 0.18 GFLOP/s and 275 MB per call,
    // against 1.9 for the scalar kernels; a JVM limited to 64-bit vectors, clamped up to 128 here, 0.09 and
    // 550 MB). The width stays (the tests force every width on any machine), but not silently.
    private static VectorSpecies<Float> warnIfEmulated(int forcedBits, PrintStream warn) {
        VectorSpecies<Float> s = species(forcedBits);
        String w = emulatedWarning(forcedBits, s.vectorBitSize(), FloatVector.SPECIES_PREFERRED.vectorBitSize());
        if (w != null) warn.println(w);
        return s;
    }

    // The warning for kernels of chosenBits on hardware whose widest float vector is hardwareBits, or null
    // when the hardware holds them; forcedBits is -Ddst4j.vectorBits (0 when not set).
    static String emulatedWarning(int forcedBits, int chosenBits, int hardwareBits) {
        if (chosenBits <= hardwareBits) return null;
        return forcedBits > 0
                ? "WARNING: -Ddst4j.vectorBits=" + forcedBits + " is wider than this machine's " + hardwareBits
                        + "-bit vectors: the Vector API emulates them, far slower than the scalar kernels (meant for tests)"
                : "WARNING: this JVM's vectors are " + hardwareBits + " bits, narrower than the " + chosenBits
                        + " the SIMD kernels need: the Vector API emulates them, far slower than the scalar kernels;"
                        + " start java with -Ddst4j.kernels=scalar";
    }

    // 4 to 16 lanes: the SDDMM reduction combines quads of dots in at most two further steps.
    private static VectorSpecies<Float> species(int bits) {
        VectorSpecies<Float> s = bits <= 0 ? FloatVector.SPECIES_PREFERRED : VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
        return s.length() < 4 ? FloatVector.SPECIES_128 : s.length() > 16 ? FloatVector.SPECIES_512 : s;
    }

    // sum's pairing order (the same bits) on lanes stored to a heap array. The along-connections loops
    // use it: on AVX2, C2 boxed the vector they passed to sum once per row (129 KB per single-sample
    // predict, JFR), though it keeps sum's vectors in registers in the other kernels.
    private static float sumLanes(float[] s) {
        for (int h = lanes / 2; h >= 1; h /= 2) {
            for (int i = 0; i < h; i++) s[i] += s[i + h];
        }
        return s[0];
    }

    // Sum of lanes in a fixed pairing order, the same bits in every compilation tier. Constant shuffles:
    // rearranging by an array element (not a constant to C2) boxed the vectors (480 B per call).
    private static float sum(FloatVector v) {
        v = v.add(v.rearrange(SWAP_HALF));
        v = v.add(v.rearrange(SWAP_QUARTER));
        if (lanes >= 8) v = v.add(v.rearrange(SWAP_EIGHTH));
        if (lanes >= 16) v = v.add(v.rearrange(SWAP_SIXTEENTH));
        return v.lane(0);
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding and subtracting it rounds to an integer

    // exp(x) from Cephes' expf polynomial; relative error ~1e-7 over the clamped range.
    private static FloatVector exp(FloatVector x) {
        x = x.max(-87.3f).min(88.3f);
        FloatVector n = x.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(sp, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(sp, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(sp, 1.9875691500e-4f);
        p = p.fma(r, FloatVector.broadcast(sp, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(sp, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(sp, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(sp, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(sp, 5.0000001201e-1f));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    @Override public String name() { return "panama"; }

    @Override public int floatLanes() { return lanes; }

    // Ten chains hide the FMA latency (4-5 cycles) on CPUs that issue one or two vector FMAs per cycle. Two steps per
    // iteration keep the method over C2's inlining size for hot calls (FreqInlineSize, 325 bytecodes): inlined into a
    // caller's loop (JMH's, or a loop of calls) the tiered C2 code ran at half speed on a Zen 4 (49-51 GFLOP/s on one
    // thread against 112-115 compiled on its own, alternating 100 ms chunks; 113 with -XX:-TieredCompilation): there C2
    // re-broadcast m and c from the constant table before every FMA instead of keeping them in registers.
    @Override
    public float fmaProbe(float start, int rounds) {
        FloatVector m = FloatVector.broadcast(sp, FMA_PROBE_M), c = FloatVector.broadcast(sp, FMA_PROBE_C);
        FloatVector a0 = FloatVector.broadcast(sp, start), a1 = a0.add(1), a2 = a0.add(2), a3 = a0.add(3), a4 = a0.add(4);
        FloatVector a5 = a0.add(5), a6 = a0.add(6), a7 = a0.add(7), a8 = a0.add(8), a9 = a0.add(9);
        int i = 0;
        for (; i + 2 <= rounds; i += 2) {
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c); a4 = a4.fma(m, c);
            a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c); a8 = a8.fma(m, c); a9 = a9.fma(m, c);
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c); a4 = a4.fma(m, c);
            a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c); a8 = a8.fma(m, c); a9 = a9.fma(m, c);
        }
        if (i < rounds) {
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c); a4 = a4.fma(m, c);
            a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c); a8 = a8.fma(m, c); a9 = a9.fma(m, c);
        }
        return a0.lane(0) + a1.lane(0) + a2.lane(0) + a3.lane(0) + a4.lane(0) + a5.lane(0) + a6.lane(0) + a7.lane(0) + a8.lane(0) + a9.lane(0);
    }

    // Masked loads are written out at their call sites, not through a helper like this one: a helper
    // taking the mask, when C2 did not inline it, fell back to the Java implementation (SDDMM + SGD at
    // batch 3-4 on AVX2: 2.4 MB allocated per call, JFR).
    private static FloatVector load(MemorySegment s, long floatIndex) {
        return FloatVector.fromMemorySegment(sp, s, floatIndex * Float.BYTES, NO);
    }

    private static void store(FloatVector v, MemorySegment s, long floatIndex) {
        v.intoMemorySegment(s, floatIndex * Float.BYTES, NO);
    }

    // Sparse products walk the batch in blocks of 8, 4, 2 or 1 vectors in the OUTER loop and all rows
    // inside it: one block of X ([features x 8 vectors], 2 MB at 4096 features and 512-bit vectors)
    // then stays in L2 while every row reads it, where a row-outer loop streams all of X per row range
    // from L3. The weights are re-read once per block, sequentially.
    //
    // Each block width is its own method: C2 compiles each with its own inlining budget. In one large
    // method it ran out of nodes (NodeCountInliningCutoff) before reaching the 1-vector loop that batch
    // 32 takes, left load/store as calls and boxed every vector (2.3 GFLOP/s, 33 MB allocated per call).
    //
    // A block narrower than the row leaves gaps between the block's rows; then the block is kept to
    // 256 B a row (1 MB of X at 4096 features), as 512 B blocks of 1 KB rows measured 1.3-1.5x slower
    // (JMH, 4096 x 4096, 1%, 1 thread, 512-bit: forward at batch 192/256/512 36.5/30.1/22.6 -> 43.2/43.9/28.9
    // GFLOP/s, transposed 31.3/26.1/22.5 -> 39.9/29.7/31.3, batch 256 41.4 in a second run). A whole row
    // of 512 B (batch 128) stays one block: two 256 B blocks measured slower (36.2 against 41.2). At 256
    // bits 8 vectors are 256 B, and measured best at every batch (4-vector blocks 5-20% slower).
    private static boolean eightVectorBlocks(int n) {
        return n <= 8 * lanes || 8 * lanes * Float.BYTES <= 256;
    }

    @Override
    public void csrForward(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y, int rowFrom, int rowTo) {
        if (y.cols() == 0) return; // the narrow kernels load a whole 2-lane vector, beyond a 0-column matrix's 4 bytes
        if (alongConnections(y.cols(), w.nnz(), w.rows())) {
            forwardAlongConnections(w, x, bias, y, rowFrom, rowTo);
            return;
        }
        if (narrowRows(y.cols(), x.stride(), y.stride())) {
            forwardNarrow(w, x, bias, y, rowFrom, rowTo);
            return;
        }
        blocks(w.rowPtr(), w.colIdx(), w.values(), x, bias, y, rowFrom, rowTo);
    }

    // Y[j,:] = bias[j] + sum of vals[k] * X[idx[k],:] over k in [ptr[j], ptr[j+1]), rows j in [from, to),
    // batch block by batch block. The forward product runs it over the CSR arrays, the transposed one
    // over the transpose index with the values in column order and no bias.
    //
    // A row's last partial vector is read and written whole: the extra lanes compute on padding (in a
    // columns(n) view, on the wider matrix's later columns) and land in padding, which no kernel reads as
    // data. (This replaced a scalar pass over all connections per leftover column: at batch 100 = 6
    // vectors + 4 columns it cost as much as the vector part.) Both strides are multiples of the lane
    // count here: a DenseMatrix stride is a multiple of 16 floats or, for up to 8 columns, a power of two,
    // so it is not a multiple of the lanes only when it is narrower than a vector, and rows narrower than
    // a vector with such a stride go to the narrow kernels (narrowRows) before reaching this method.
    private static void blocks(MemorySegment ptr, MemorySegment idx, MemorySegment vals, DenseMatrix x, MemorySegment bias,
                               DenseMatrix y, int from, int to) {
        assert x.stride() % lanes == 0 && y.stride() % lanes == 0;
        int n = y.cols(), c = 0;
        for (; c + 8 * lanes <= n && eightVectorBlocks(n); c += 8 * lanes) forward8(ptr, idx, vals, x, bias, y, from, to, c);
        for (; c + 4 * lanes <= n; c += 4 * lanes) forward4(ptr, idx, vals, x, bias, y, from, to, c);
        for (; c + 2 * lanes <= n; c += 2 * lanes) forward2(ptr, idx, vals, x, bias, y, from, to, c);
        for (; c < n; c += lanes) forward1(ptr, idx, vals, x, bias, y, from, to, c);
    }

    // The reference loop, for benchmarks only (KernelRounds' "forward (plain loop)"): a feature-major CSR
    // forward product with no blocking, row by row, four vector accumulators over the batch, then one for what is left.
    // Each element sums bias and products in the same order as csrForward, so it has the same bits. Written out, not
    // as calls of the blocks' forward4 / forward1 per row: with a call per row and block the loop ran ~20% slower
    // (bench kernels --plain --threads 1: 18.7 against 23.5 for the shipped forward, where the written-out loop ran level
    // with it), which would flatter the kernels it is the reference for.
    static void plainForward(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), xs = x.segment(), ys = y.segment();
        long xStride = x.stride(), yStride = y.stride();
        int n = y.cols();
        for (int j = rowFrom; j < rowTo; j++) {
            long start = rp.getAtIndex(JAVA_LONG, j), end = rp.getAtIndex(JAVA_LONG, j + 1L);
            FloatVector b = FloatVector.broadcast(sp, bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j));
            int c = 0;
            for (; c + 4 * lanes <= n; c += 4 * lanes) {
                FloatVector a0 = b, a1 = b, a2 = b, a3 = b;
                for (long k = start; k < end; k++) {
                    FloatVector wk = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, k));
                    long xb = ci.getAtIndex(JAVA_INT, k) * xStride + c;
                    a0 = load(xs, xb).fma(wk, a0);
                    a1 = load(xs, xb + lanes).fma(wk, a1);
                    a2 = load(xs, xb + 2L * lanes).fma(wk, a2);
                    a3 = load(xs, xb + 3L * lanes).fma(wk, a3);
                }
                long yb = j * yStride + c;
                store(a0, ys, yb);
                store(a1, ys, yb + lanes);
                store(a2, ys, yb + 2L * lanes);
                store(a3, ys, yb + 3L * lanes);
            }
            for (; c < n; c += lanes) { // whole vectors: strides are multiples of the lanes here (see blocks)
                FloatVector a = b;
                for (long k = start; k < end; k++) {
                    a = load(xs, ci.getAtIndex(JAVA_INT, k) * xStride + c).fma(FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, k)), a);
                }
                store(a, ys, j * yStride + c);
            }
        }
    }

    // The blocks' reads of X with adds for FMAs and no rows: what the products would cost if only their reads did.
    @Override
    public float rowReads(MemorySegment idx, long from, long to, DenseMatrix x) {
        int n = x.cols();
        if (narrowRows(n, x.stride(), x.stride())) return Kernels.super.rowReads(idx, from, to, x);
        float s = 0;
        int c = 0;
        for (; c + 8 * lanes <= n && eightVectorBlocks(n); c += 8 * lanes) s += reads8(idx, from, to, x, c);
        for (; c + 4 * lanes <= n; c += 4 * lanes) s += reads4(idx, from, to, x, c);
        for (; c + 2 * lanes <= n; c += 2 * lanes) s += reads2(idx, from, to, x, c);
        for (; c < n; c += lanes) s += reads1(idx, from, to, x, c);
        return s;
    }

    private static float reads8(MemorySegment idx, long from, long to, DenseMatrix x, int c) {
        MemorySegment xs = x.segment();
        long stride = x.stride();
        FloatVector a0 = FloatVector.zero(sp), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (long k = from; k < to; k++) {
            long xb = idx.getAtIndex(JAVA_INT, k) * stride + c;
            a0 = a0.add(load(xs, xb));
            a1 = a1.add(load(xs, xb + lanes));
            a2 = a2.add(load(xs, xb + 2L * lanes));
            a3 = a3.add(load(xs, xb + 3L * lanes));
            a4 = a4.add(load(xs, xb + 4L * lanes));
            a5 = a5.add(load(xs, xb + 5L * lanes));
            a6 = a6.add(load(xs, xb + 6L * lanes));
            a7 = a7.add(load(xs, xb + 7L * lanes));
        }
        return sum(a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7));
    }

    private static float reads4(MemorySegment idx, long from, long to, DenseMatrix x, int c) {
        MemorySegment xs = x.segment();
        long stride = x.stride();
        FloatVector a0 = FloatVector.zero(sp), a1 = a0, a2 = a0, a3 = a0;
        for (long k = from; k < to; k++) {
            long xb = idx.getAtIndex(JAVA_INT, k) * stride + c;
            a0 = a0.add(load(xs, xb));
            a1 = a1.add(load(xs, xb + lanes));
            a2 = a2.add(load(xs, xb + 2L * lanes));
            a3 = a3.add(load(xs, xb + 3L * lanes));
        }
        return sum(a0.add(a1).add(a2).add(a3));
    }

    private static float reads2(MemorySegment idx, long from, long to, DenseMatrix x, int c) {
        MemorySegment xs = x.segment();
        long stride = x.stride();
        FloatVector a0 = FloatVector.zero(sp), a1 = a0;
        for (long k = from; k < to; k++) {
            long xb = idx.getAtIndex(JAVA_INT, k) * stride + c;
            a0 = a0.add(load(xs, xb));
            a1 = a1.add(load(xs, xb + lanes));
        }
        return sum(a0.add(a1));
    }

    private static float reads1(MemorySegment idx, long from, long to, DenseMatrix x, int c) {
        MemorySegment xs = x.segment();
        long stride = x.stride();
        FloatVector a = FloatVector.zero(sp);
        for (long k = from; k < to; k++) a = a.add(load(xs, idx.getAtIndex(JAVA_INT, k) * stride + c));
        return sum(a);
    }

    private static void forward8(MemorySegment rp, MemorySegment ci, MemorySegment wv, DenseMatrix x, MemorySegment bias, DenseMatrix y,
                                 int rowFrom, int rowTo, int c) {
        MemorySegment xs = x.segment(), ys = y.segment();
        long xStride = x.stride(), yStride = y.stride();
        for (int j = rowFrom; j < rowTo; j++) {
            FloatVector a0 = FloatVector.broadcast(sp, bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j)), a1 = a0, a2 = a0, a3 = a0;
            FloatVector a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            long end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                FloatVector wk = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, k));
                long xb = ci.getAtIndex(JAVA_INT, k) * xStride + c;
                a0 = load(xs, xb).fma(wk, a0);
                a1 = load(xs, xb + lanes).fma(wk, a1);
                a2 = load(xs, xb + 2L * lanes).fma(wk, a2);
                a3 = load(xs, xb + 3L * lanes).fma(wk, a3);
                a4 = load(xs, xb + 4L * lanes).fma(wk, a4);
                a5 = load(xs, xb + 5L * lanes).fma(wk, a5);
                a6 = load(xs, xb + 6L * lanes).fma(wk, a6);
                a7 = load(xs, xb + 7L * lanes).fma(wk, a7);
            }
            long yb = j * yStride + c;
            store(a0, ys, yb);
            store(a1, ys, yb + lanes);
            store(a2, ys, yb + 2L * lanes);
            store(a3, ys, yb + 3L * lanes);
            store(a4, ys, yb + 4L * lanes);
            store(a5, ys, yb + 5L * lanes);
            store(a6, ys, yb + 6L * lanes);
            store(a7, ys, yb + 7L * lanes);
        }
    }

    private static void forward4(MemorySegment rp, MemorySegment ci, MemorySegment wv, DenseMatrix x, MemorySegment bias, DenseMatrix y,
                                 int rowFrom, int rowTo, int c) {
        MemorySegment xs = x.segment(), ys = y.segment();
        long xStride = x.stride(), yStride = y.stride();
        for (int j = rowFrom; j < rowTo; j++) {
            FloatVector a0 = FloatVector.broadcast(sp, bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j)), a1 = a0, a2 = a0, a3 = a0;
            long end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                FloatVector wk = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, k));
                long xb = ci.getAtIndex(JAVA_INT, k) * xStride + c;
                a0 = load(xs, xb).fma(wk, a0);
                a1 = load(xs, xb + lanes).fma(wk, a1);
                a2 = load(xs, xb + 2L * lanes).fma(wk, a2);
                a3 = load(xs, xb + 3L * lanes).fma(wk, a3);
            }
            long yb = j * yStride + c;
            store(a0, ys, yb);
            store(a1, ys, yb + lanes);
            store(a2, ys, yb + 2L * lanes);
            store(a3, ys, yb + 3L * lanes);
        }
    }

    private static void forward2(MemorySegment rp, MemorySegment ci, MemorySegment wv, DenseMatrix x, MemorySegment bias, DenseMatrix y,
                                 int rowFrom, int rowTo, int c) {
        MemorySegment xs = x.segment(), ys = y.segment();
        long xStride = x.stride(), yStride = y.stride();
        for (int j = rowFrom; j < rowTo; j++) {
            FloatVector a0 = FloatVector.broadcast(sp, bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j)), a1 = a0;
            long end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                FloatVector wk = FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, k));
                long xb = ci.getAtIndex(JAVA_INT, k) * xStride + c;
                a0 = load(xs, xb).fma(wk, a0);
                a1 = load(xs, xb + lanes).fma(wk, a1);
            }
            long yb = j * yStride + c;
            store(a0, ys, yb);
            store(a1, ys, yb + lanes);
        }
    }

    private static void forward1(MemorySegment rp, MemorySegment ci, MemorySegment wv, DenseMatrix x, MemorySegment bias, DenseMatrix y,
                                 int rowFrom, int rowTo, int c) {
        MemorySegment xs = x.segment(), ys = y.segment();
        long xStride = x.stride(), yStride = y.stride();
        for (int j = rowFrom; j < rowTo; j++) {
            FloatVector a = FloatVector.broadcast(sp, bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j));
            long end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                a = load(xs, ci.getAtIndex(JAVA_INT, k) * xStride + c).fma(FloatVector.broadcast(sp, wv.getAtIndex(JAVA_FLOAT, k)), a);
            }
            store(a, ys, j * yStride + c);
        }
    }

    // Narrow batches: one vector per connection leaves most lanes idle, and the time per call is that of
    // a full vector (batches 1 to 16 took the same time). The lanes can run along a row's connections
    // instead: a vector of column indices and one of weights per step, the inputs gathered, a butterfly sum per
    // row. The Vector API gathers only from heap arrays, so X is bulk-copied once per call into a
    // per-thread float[] (features x stride floats, small against the connections; narrow batches have
    // a narrow stride). Masked gathers and mask casts are not intrinsified (they box: 2 MB per call), so
    // a row's tail reads a masked index vector and gathers unmasked.
    //
    // Gathering costs per column of the batch (~0.37 ns per connection here) plus a reduction per row
    // (~2.6 vectors' worth); a full vector per connection costs ~3x a gathered lane whatever the batch.
    // Measured at 4096 x 4096 (JMH, 1 thread): batch 1 gains 1.6x at 1% density and 2.6x at 10%, batch 2
    // gains 1.6x at 10% and loses at 1%, batch 4 always loses; hence the rule below. The sum order per
    // row is fixed (same bits for any thread count), but it is not the scalar kernel's order.
    static boolean alongConnections(int n, long entries, int lines) {
        if (n <= 0 || lines == 0 || NARROW_BATCH == NarrowBatch.VECTOR) return false;
        if (NARROW_BATCH == NarrowBatch.GATHER) return 4 * n <= lanes;
        double perLine = (double) entries / lines;
        return n * (perLine + 3.0 * lanes) < 3.0 * perLine;
    }

    // -Ddst4j.narrowBatch=auto (the rule above), gather or vector: to compare the two on a given model
    private enum NarrowBatch { AUTO, GATHER, VECTOR }

    private static final NarrowBatch NARROW_BATCH = narrowBatch(System.getProperty("dst4j.narrowBatch", "auto"));

    private static NarrowBatch narrowBatch(String v) {
        try {
            return NarrowBatch.valueOf(v.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) { // a tuning switch: warn, keep running with the default
            System.err.println("WARNING: -Ddst4j.narrowBatch=" + v + " is not auto, gather or vector; using auto");
            return NarrowBatch.AUTO;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        float[] columns = new float[0];
        final int[] index = new int[16];
        final float[] sums = new float[4 * 16];
        float[] quads = new float[0];
        int[] draws = new int[0];

        int[] draws(int n) {
            if (draws.length < n) draws = new int[n];
            return draws;
        }

        float[] quads(int n) {
            if (quads.length < n) quads = new float[n];
            return quads;
        }

        private MemorySegment block = MemorySegment.ofArray(new float[0]);

        // at least n floats of heap scratch as a segment, so the vector code reads it as it reads the matrices
        MemorySegment block(int n) {
            if (block.byteSize() < (long) n * Float.BYTES) block = MemorySegment.ofArray(new float[n]);
            return block;
        }

        // the whole matrix, padding included, as one bulk copy: row r's column c is at r * stride + c
        float[] copy(DenseMatrix m) {
            long need = m.rows() * m.stride();
            if (need > Integer.MAX_VALUE) throw new IllegalArgumentException("a " + m.rows() + " x " + m.cols() + " operand is too large for the narrow-batch gather");
            if (columns.length < need) columns = new float[(int) need];
            MemorySegment.copy(m.segment(), JAVA_FLOAT, 0, columns, 0, (int) need);
            return columns;
        }
    }

    private static void forwardAlongConnections(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y, int rowFrom, int rowTo) {
        Scratch scratch = SCRATCH.get();
        float[] xc = scratch.copy(x);
        int[] idx = scratch.index;
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), ys = y.segment();
        int xStride = (int) x.stride();
        long yStride = y.stride();
        for (int c = 0; c < y.cols(); c++) {
            for (int j = rowFrom; j < rowTo; j++) {
                long k = rp.getAtIndex(JAVA_LONG, j), end = rp.getAtIndex(JAVA_LONG, j + 1L);
                FloatVector a = FloatVector.zero(sp);
                for (; k + lanes <= end; k += lanes) {
                    IntVector.fromMemorySegment(isp, ci, k * Integer.BYTES, NO).mul(xStride).intoArray(idx, 0);
                    a = FloatVector.fromArray(sp, xc, c, idx, 0).fma(load(wv, k), a);
                }
                if (k < end) { // masked-off lanes gather index 0 (valid), then blend to zero
                    VectorMask<Float> m = sp.indexInRange(k, end);
                    IntVector.fromMemorySegment(isp, ci, k * Integer.BYTES, NO, isp.indexInRange(k, end)).mul(xStride).intoArray(idx, 0);
                    a = FloatVector.zero(sp).blend(FloatVector.fromArray(sp, xc, c, idx, 0), m).fma(FloatVector.fromMemorySegment(sp, wv, k * Float.BYTES, NO, m), a);
                }
                a.intoArray(scratch.sums, 0);
                ys.setAtIndex(JAVA_FLOAT, j * yStride + c, sumLanes(scratch.sums) + (bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j)));
            }
        }
    }

    // Rows narrower than a vector and not padded to one (DenseMatrix pads batches of up to 8 only to a
    // power of two): the whole-vector kernels would read past them, the narrow ones below do not.
    private static boolean narrowRows(int n, long strideA, long strideB) {
        return n < lanes && (strideA % lanes != 0 || strideB % lanes != 0);
    }

    // One vector of exactly the stride per connection; masked loads of the preferred width measured 3x
    // slower. One method per species: C2 intrinsifies only constant species.
    private static void forwardNarrow(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y, int rowFrom, int rowTo) {
        int n = y.cols(); // n < lanes; a species of n rounded up to 2, 4 or 8 fits in any row of n columns
        if (n <= 2) forwardNarrow2(w, x, bias, y, rowFrom, rowTo);
        else if (n <= 4) forwardNarrow4(w, x, bias, y, rowFrom, rowTo);
        else forwardNarrow8(w, x, bias, y, rowFrom, rowTo);
    }

    private static void forwardNarrow2(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), xs = x.segment(), ys = y.segment();
        long xStride = x.stride() * Float.BYTES, yStride = y.stride() * Float.BYTES;
        for (int j = rowFrom; j < rowTo; j++) {
            FloatVector a = FloatVector.broadcast(S2, bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j));
            long end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                a = FloatVector.fromMemorySegment(S2, xs, ci.getAtIndex(JAVA_INT, k) * xStride, NO).fma(FloatVector.broadcast(S2, wv.getAtIndex(JAVA_FLOAT, k)), a);
            }
            a.intoMemorySegment(ys, j * yStride, NO);
        }
    }

    private static void forwardNarrow4(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), xs = x.segment(), ys = y.segment();
        long xStride = x.stride() * Float.BYTES, yStride = y.stride() * Float.BYTES;
        for (int j = rowFrom; j < rowTo; j++) {
            FloatVector a = FloatVector.broadcast(S4, bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j));
            long end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                a = FloatVector.fromMemorySegment(S4, xs, ci.getAtIndex(JAVA_INT, k) * xStride, NO).fma(FloatVector.broadcast(S4, wv.getAtIndex(JAVA_FLOAT, k)), a);
            }
            a.intoMemorySegment(ys, j * yStride, NO);
        }
    }

    private static void forwardNarrow8(CsrMatrix w, DenseMatrix x, MemorySegment bias, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), xs = x.segment(), ys = y.segment();
        long xStride = x.stride() * Float.BYTES, yStride = y.stride() * Float.BYTES;
        for (int j = rowFrom; j < rowTo; j++) {
            FloatVector a = FloatVector.broadcast(S8, bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, j));
            long end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (long k = rp.getAtIndex(JAVA_LONG, j); k < end; k++) {
                a = FloatVector.fromMemorySegment(S8, xs, ci.getAtIndex(JAVA_INT, k) * xStride, NO).fma(FloatVector.broadcast(S8, wv.getAtIndex(JAVA_FLOAT, k)), a);
            }
            a.intoMemorySegment(ys, j * yStride, NO);
        }
    }

    // The same blocks (the forward kernels) over the transpose index: dX = W^T dY is the forward product
    // of the column-major arrays without a bias. The values are first put into column order
    // (valuesByColumn) in one pass, and the blocks read them sequentially: gathering inside the block
    // loop misses cache on values evicted by the dY stream once dY outgrows L2 (batch 128: 27 GFLOP/s
    // gathering in the loop, 33-35 with the pass, 41 reading values sequentially without any pass).
    // Below that the in-loop gather measured faster in JMH (batch 32: 29.5 against 25.3), but in
    // training it is not: with the value read through valuePos inside the loop, C2's profiled loop
    // predicates kept failing (deoptimization reason profile_predicate, dozens per run),
    // each failure finishing the call in the interpreter with boxed vectors. TrainingEpochBench, 256-bit
    // Zen 3, three forks each: in-loop gather below 1 MB 625-722 ms and 141-144 MB allocated per call,
    // pass always 299-433 ms and 14.5 MB (the JVM flag -XX:-UseProfiledLoopPredicate gave 460-557 ms).
    //
    // A pool runs that pass by rows (copyValuesByColumn: sequential reads, scattered writes) before the
    // product by columns (csrTransposedByColumn); csrTransposed alone gathers its columns' values
    // (values[valuePos[t]]). After the blocks have evicted them, the gather's random reads cost 0.24 ms
    // of a 1.5 ms call and the scatter's writes 0.16 (4096 x 4096, 1%, batch 128, 512-bit Zen 4):
    // stores that miss do not hold up the loop the way loads do. Old/new in one JVM, medians of pair
    // ratios: 1.02-1.12 at 1%, 1.12 at 10%, batch 32 to 256, 1 and 2 threads.
    @Override
    public boolean transposedReadsIndex(CsrMatrix w, DenseMatrix dy, DenseMatrix dx) {
        return !scatters(w, dy, dx);
    }

    private static boolean scatters(CsrMatrix w, DenseMatrix dy, DenseMatrix dx) {
        return !alongConnections(dx.cols(), w.nnz(), w.cols()) && narrowRows(dx.cols(), dy.stride(), dx.stride());
    }

    @Override
    public void csrTransposed(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        if (!scatters(w, dy, dx)) {
            MemorySegment values = w.values(), pos = w.valuePos(), vals = w.valuesByColumn();
            for (long t = w.colPtr().getAtIndex(JAVA_LONG, colFrom), end = w.colPtr().getAtIndex(JAVA_LONG, colTo); t < end; t++) {
                vals.setAtIndex(JAVA_FLOAT, t, values.getAtIndex(JAVA_FLOAT, pos.getAtIndex(JAVA_INT, t)));
            }
        }
        csrTransposedByColumn(w, dy, dx, colFrom, colTo);
    }

    @Override
    public void csrTransposedByColumn(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        if (dx.cols() == 0) return; // as in csrForward
        if (scatters(w, dy, dx)) {
            transposedNarrow(w, dy, dx, colFrom, colTo);
        } else if (alongConnections(dx.cols(), w.nnz(), w.cols())) {
            transposedAlongConnections(w, w.valuesByColumn(), dy, dx, colFrom, colTo);
        } else {
            blocks(w.colPtr(), w.rowIdx(), w.valuesByColumn(), dy, null, dx, colFrom, colTo);
        }
    }

    // As forwardAlongConnections, over the transpose index with the values in column order.
    private static void transposedAlongConnections(CsrMatrix w, MemorySegment byColumn, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        Scratch scratch = SCRATCH.get();
        float[] dyc = scratch.copy(dy);
        int[] idx = scratch.index;
        MemorySegment cp = w.colPtr(), ri = w.rowIdx(), dxs = dx.segment();
        int dyStride = (int) dy.stride();
        long dxStride = dx.stride();
        for (int c = 0; c < dx.cols(); c++) {
            for (int i = colFrom; i < colTo; i++) {
                long t = cp.getAtIndex(JAVA_LONG, i), end = cp.getAtIndex(JAVA_LONG, i + 1L);
                FloatVector a = FloatVector.zero(sp);
                for (; t + lanes <= end; t += lanes) {
                    IntVector.fromMemorySegment(isp, ri, t * Integer.BYTES, NO).mul(dyStride).intoArray(idx, 0);
                    a = FloatVector.fromArray(sp, dyc, c, idx, 0).fma(load(byColumn, t), a);
                }
                if (t < end) { // masked-off lanes gather index 0 (valid), then blend to zero
                    VectorMask<Float> m = sp.indexInRange(t, end);
                    IntVector.fromMemorySegment(isp, ri, t * Integer.BYTES, NO, isp.indexInRange(t, end)).mul(dyStride).intoArray(idx, 0);
                    a = FloatVector.zero(sp).blend(FloatVector.fromArray(sp, dyc, c, idx, 0), m).fma(FloatVector.fromMemorySegment(sp, byColumn, t * Float.BYTES, NO, m), a);
                }
                a.intoArray(scratch.sums, 0);
                dxs.setAtIndex(JAVA_FLOAT, i * dxStride + c, sumLanes(scratch.sums));
            }
        }
    }

    // Narrow rows are scattered in row order instead of gathered in column order: values and column
    // indices stream sequentially, the dY row is loaded once per row, and the one random access per
    // entry is the dX row (read-modify-write); gathering needed two (the dY row and the value, through
    // valuePos) and made the product twice the forward's cost at 600,000 x 600,000. Each thread owns the
    // dX rows colFrom..colTo and takes that slice of every row (binary search: columns are sorted), so
    // each dX row still adds its entries in ascending row order: the gathering kernels' bits.
    private static void transposedNarrow(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        int n = dx.cols();
        if (n <= 2) transposedNarrow2(w, dy, dx, colFrom, colTo);
        else if (n <= 4) transposedNarrow4(w, dy, dx, colFrom, colTo);
        else transposedNarrow8(w, dy, dx, colFrom, colTo);
    }

    // first position in from..to whose column is >= col
    private static long lowerBound(MemorySegment ci, long from, long to, int col) {
        while (from < to) {
            long mid = (from + to) >>> 1;
            if (ci.getAtIndex(JAVA_INT, mid) < col) from = mid + 1;
            else to = mid;
        }
        return from;
    }

    private static void transposedNarrow2(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), dys = dy.segment(), dxs = dx.segment();
        long dyStride = dy.stride() * Float.BYTES, dxStride = dx.stride() * Float.BYTES;
        dxs.asSlice(colFrom * dxStride, (colTo - colFrom) * dxStride).fill((byte) 0);
        boolean all = colFrom == 0 && colTo == w.cols();
        for (int j = 0; j < w.rows(); j++) {
            long k = rp.getAtIndex(JAVA_LONG, j), end = rp.getAtIndex(JAVA_LONG, j + 1L);
            if (k == end) continue;
            if (!all) { // this thread's slice of the row; the first and last thread search one end only
                if (colFrom > 0) k = lowerBound(ci, k, end, colFrom);
                if (colTo < w.cols()) end = lowerBound(ci, k, end, colTo);
            }
            FloatVector d = FloatVector.fromMemorySegment(S2, dys, j * dyStride, NO);
            for (; k < end; k++) {
                long xb = ci.getAtIndex(JAVA_INT, k) * dxStride;
                d.fma(FloatVector.broadcast(S2, wv.getAtIndex(JAVA_FLOAT, k)), FloatVector.fromMemorySegment(S2, dxs, xb, NO)).intoMemorySegment(dxs, xb, NO);
            }
        }
    }

    private static void transposedNarrow4(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), dys = dy.segment(), dxs = dx.segment();
        long dyStride = dy.stride() * Float.BYTES, dxStride = dx.stride() * Float.BYTES;
        dxs.asSlice(colFrom * dxStride, (colTo - colFrom) * dxStride).fill((byte) 0);
        boolean all = colFrom == 0 && colTo == w.cols();
        for (int j = 0; j < w.rows(); j++) {
            long k = rp.getAtIndex(JAVA_LONG, j), end = rp.getAtIndex(JAVA_LONG, j + 1L);
            if (k == end) continue;
            if (!all) { // this thread's slice of the row; the first and last thread search one end only
                if (colFrom > 0) k = lowerBound(ci, k, end, colFrom);
                if (colTo < w.cols()) end = lowerBound(ci, k, end, colTo);
            }
            FloatVector d = FloatVector.fromMemorySegment(S4, dys, j * dyStride, NO);
            for (; k < end; k++) {
                long xb = ci.getAtIndex(JAVA_INT, k) * dxStride;
                d.fma(FloatVector.broadcast(S4, wv.getAtIndex(JAVA_FLOAT, k)), FloatVector.fromMemorySegment(S4, dxs, xb, NO)).intoMemorySegment(dxs, xb, NO);
            }
        }
    }

    private static void transposedNarrow8(CsrMatrix w, DenseMatrix dy, DenseMatrix dx, int colFrom, int colTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), dys = dy.segment(), dxs = dx.segment();
        long dyStride = dy.stride() * Float.BYTES, dxStride = dx.stride() * Float.BYTES;
        dxs.asSlice(colFrom * dxStride, (colTo - colFrom) * dxStride).fill((byte) 0);
        boolean all = colFrom == 0 && colTo == w.cols();
        for (int j = 0; j < w.rows(); j++) {
            long k = rp.getAtIndex(JAVA_LONG, j), end = rp.getAtIndex(JAVA_LONG, j + 1L);
            if (k == end) continue;
            if (!all) { // this thread's slice of the row; the first and last thread search one end only
                if (colFrom > 0) k = lowerBound(ci, k, end, colFrom);
                if (colTo < w.cols()) end = lowerBound(ci, k, end, colTo);
            }
            FloatVector d = FloatVector.fromMemorySegment(S8, dys, j * dyStride, NO);
            for (; k < end; k++) {
                long xb = ci.getAtIndex(JAVA_INT, k) * dxStride;
                d.fma(FloatVector.broadcast(S8, wv.getAtIndex(JAVA_FLOAT, k)), FloatVector.fromMemorySegment(S8, dxs, xb, NO)).intoMemorySegment(dxs, xb, NO);
            }
        }
    }

    // SDDMM produces a row's dot products a vector of connections at a time, in order, so the gradient
    // store or the SGD step is a few vector operations over the row's contiguous values and velocity
    // (masked for the row's last connections) instead of per-connection scalar work. Four dots share
    // each dY load (quad); quads are combined by blend-and-add steps that halve the lanes per dot each
    // time until every lane holds one full dot, then one constant shuffle puts them in order.
    @Override
    public void sddmm(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment grad, int rowFrom, int rowTo) {
        sddmmRows(w, dy, x, scale, grad, null, 0f, 0f, 0f, rowFrom, rowTo);
    }

    @Override
    public void sddmmSgd(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment velocity,
                         float lr, float momentum, float weightDecay, int rowFrom, int rowTo) {
        sddmmRows(w, dy, x, scale, null, velocity, lr, momentum, weightDecay, rowFrom, rowTo);
    }

    private static void sddmmRows(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment grad,
                                  MemorySegment velocity, float lr, float momentum, float weightDecay, int rowFrom, int rowTo) {
        // Here the lanes are connections with no reduction per row: gathering wins up to a quarter vector;
        // rows not padded to a vector also go this way, as quad reads whole vectors.
        if (dy.cols() > 0 && (4 * dy.cols() <= lanes || narrowRows(dy.cols(), dy.stride(), x.stride()))) {
            sddmmAlongConnections(w, dy, x, scale, grad, velocity, lr, momentum, weightDecay, rowFrom, rowTo);
            return;
        }
        MemorySegment rp = w.rowPtr(), wv = w.values();
        sddmmDots(w, dy, x, scale, grad, velocity, lr, momentum, rowFrom, rowTo);
        // The weight step is a second pass over the rows' connections, in a method of its own: in this
        // one C2 ran out of inlining budget (NodeCountInliningCutoff) and boxed vectors. One pass for the
        // whole range: per row it cost a call and a scalar tail for every row.
        if (velocity != null) applyVelocity(wv, velocity, rp.getAtIndex(JAVA_LONG, rowFrom), rp.getAtIndex(JAVA_LONG, rowTo), weightDecay);
    }

    // Every width goes through the same two steps per row. At 16 lanes the quads' results once went
    // straight into the butterfly and the store, in one loop over a row's connections; in training (not in
    // the kernel benchmarks) C2 sometimes lost the class of that loop's vectors (the SIMD kernels' other
    // widths, used for narrow batches, make the Vector API's own call sites polymorphic) and boxed them:
    // TrainingEpochBench, 512 bits, 55-214 MB per call in 6 of 21 forks, JFR pointing at that loop's
    // rearrange and masked load. Read back from the array, each vector is fresh.
    // Narrower vectors keep the 16-lane order of quad's accumulators: element c of the batch in lane
    // c mod 16. A 256-bit accumulator holds lanes 0-7 or 8-15 (two sets), a 128-bit one a quarter
    // (four sets). Adding the sets at lane distance 8 (and 4) is the first step (two steps) of quad's
    // butterfly, and the rest is the same butterfly at the narrower width, so the dots have the same
    // bits at every width and on the scalar backend (ScalarKernels.SUM_LANES), so the weight gradients do
    // not depend on the hardware's vector width. The sign of a zero dot too: at every width (dotSets'
    // masked chunks, quad's masked tail) each lane past the batch in its last group of 16 takes exactly
    // one fma(0, 0, s) = s + 0, which turns -0 into +0, and ScalarKernels.dot adds that +0 as well.
    // Each row goes in two steps through a per-thread array: every quad's dots reduced to one vector
    // (wholeQuads at 16 lanes, wholeGroupQuads when the batch is whole 16-element groups at 256 bits,
    // anyBatchQuads otherwise),
    // then pairs of quads combined and stored. Each step alone fits C2's
    // inlining budget; together, or with a tail loop beside the main one, they boxed vectors.
    // Measured at 256 bits against the earlier 8-lane order (JMH, 4096 x 4096, 1%, 1 thread, noisy host,
    // two alternating runs): batch 32 1.35x, batch 100 1.1-1.2x (the old tail boxed 4.4 MB per call),
    // batch 128 1.0-1.2x. At forced 128 bits on x86 anyBatchQuads' rotating 16 accumulators spill: 0.35-0.5x
    // (a straight 16-accumulator loop exceeded the budget and boxed); NEON has 32 registers, not measured.
    private static void sddmmDots(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment grad,
                                  MemorySegment velocity, float lr, float momentum, int rowFrom, int rowTo) {
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), dys = dy.segment(), xs = x.segment();
        long xStride = x.stride();
        int n = dy.cols();
        Scratch scratch = SCRATCH.get();
        float[] sums = scratch.sums;
        for (int j = rowFrom; j < rowTo; j++) {
            long dyBase = j * dy.stride(), start = rp.getAtIndex(JAVA_LONG, j), end = rp.getAtIndex(JAVA_LONG, j + 1L);
            if (start == end) continue;
            // each quad's dots, reduced to one vector as quad's, for the whole row
            float[] quads = scratch.quads((int) ((end - start + 3) / 4) * lanes);
            if (lanes == 16) {
                wholeQuads(dys, dyBase, xs, xStride, ci, start, end, n, quads);
            } else if (lanes == 8 && n % 16 == 0) {
                wholeGroupQuads(dys, dyBase, xs, xStride, ci, start, end, n, quads);
            } else {
                anyBatchQuads(dys, dyBase, xs, xStride, ci, start, end, n, quads, sums);
            }
            for (long k = start; k < end; k += lanes) {
                int q = (int) (k - start) / 4;
                FloatVector d = FloatVector.fromArray(sp, quads, q * lanes);
                if (lanes == 8) d = combine(d, k + 4 < end ? FloatVector.fromArray(sp, quads, (q + 1) * lanes) : FloatVector.zero(sp), EIGHTH_BIT, SWAP_EIGHTH);
                if (lanes == 16) { // quads 0 and 1 join on lane bit 2, then 2 and 3, and both pairs on bit 1
                    FloatVector z = FloatVector.zero(sp);
                    FloatVector p1 = k + 4 < end ? FloatVector.fromArray(sp, quads, (q + 1) * lanes) : z;
                    FloatVector p2 = k + 8 < end ? FloatVector.fromArray(sp, quads, (q + 2) * lanes) : z;
                    FloatVector p3 = k + 12 < end ? FloatVector.fromArray(sp, quads, (q + 3) * lanes) : z;
                    d = combine(combine(d, p1, EIGHTH_BIT, SWAP_EIGHTH), combine(p2, p3, EIGHTH_BIT, SWAP_EIGHTH), SIXTEENTH_BIT, SWAP_SIXTEENTH);
                }
                // the dots (lanes in butterfly order) as the gradient, or as SGD's velocity step (the operations
                // of ScalarKernels.sgdStep, lane-wise), for the connections before the row's end; not a method
                // taking d: once compiled on its own (it is hot) it was too big to inline, and d was boxed on
                // every call (seen in training, not in JMH)
                FloatVector g = d.rearrange(DOT_ORDER).mul(scale);
                VectorMask<Float> m = sp.indexInRange(k, end);
                if (velocity == null) {
                    g.intoMemorySegment(grad, k * Float.BYTES, NO, m);
                } else {
                    FloatVector.fromMemorySegment(sp, velocity, k * Float.BYTES, NO, m).mul(momentum).sub(g.mul(lr)).intoMemorySegment(velocity, k * Float.BYTES, NO, m);
                }
            }
        }
    }

    // At 16 lanes: quad's own result per quad, for the whole row.
    private static void wholeQuads(MemorySegment dys, long dyBase, MemorySegment xs, long xStride, MemorySegment ci,
                                   long start, long end, int n, float[] quads) {
        for (long kq = start; kq < end; kq += 4) {
            quad(dys, dyBase, xs, xRow(ci, kq, end, xStride), xRow(ci, kq + 1, end, xStride), xRow(ci, kq + 2, end, xStride),
                    xRow(ci, kq + 3, end, xStride), n).intoArray(quads, (int) (kq - start) / 4 * lanes);
        }
    }

    // The same for any batch and at 128 bits: dotSets per quad, then quad's butterfly.
    private static void anyBatchQuads(MemorySegment dys, long dyBase, MemorySegment xs, long xStride, MemorySegment ci,
                                      long start, long end, int n, float[] quads, float[] sums) {
        for (long kq = start; kq < end; kq += 4) {
            dotSets(dys, dyBase, xs, xRow(ci, kq, end, xStride), xRow(ci, kq + 1, end, xStride),
                    xRow(ci, kq + 2, end, xStride), xRow(ci, kq + 3, end, xStride), n, sums);
            FloatVector sa = FloatVector.fromArray(sp, sums, 0), sb = FloatVector.fromArray(sp, sums, lanes);
            FloatVector sc = FloatVector.fromArray(sp, sums, 2 * lanes), se = FloatVector.fromArray(sp, sums, 3 * lanes);
            combine(combine(sa, sb, HALF_BIT, SWAP_HALF), combine(sc, se, HALF_BIT, SWAP_HALF), QUARTER_BIT, SWAP_QUARTER)
                    .intoArray(quads, (int) (kq - start) / 4 * lanes);
        }
    }

    // dotSets' sums for a batch of whole 16-element groups at 256 bits, for every quad of a row at once:
    // one call per row instead of per quad (batch 32 ran at about half speed with a call per quad).
    private static void wholeGroupQuads(MemorySegment dys, long dyBase, MemorySegment xs, long xStride, MemorySegment ci,
                                        long start, long end, int n, float[] quads) {
        for (long kq = start; kq < end; kq += 4) {
            long x0 = xRow(ci, kq, end, xStride), x1 = xRow(ci, kq + 1, end, xStride);
            long x2 = xRow(ci, kq + 2, end, xStride), x3 = xRow(ci, kq + 3, end, xStride);
            FloatVector a0 = FloatVector.zero(sp), b0 = a0, c0 = a0, e0 = a0, a1 = a0, b1 = a0, c1 = a0, e1 = a0;
            for (int t = 0; t + 16 <= n; t += 16) {
                FloatVector lo = load(dys, dyBase + t), hi = load(dys, dyBase + t + 8);
                a0 = load(xs, x0 + t).fma(lo, a0);
                a1 = load(xs, x0 + t + 8).fma(hi, a1);
                b0 = load(xs, x1 + t).fma(lo, b0);
                b1 = load(xs, x1 + t + 8).fma(hi, b1);
                c0 = load(xs, x2 + t).fma(lo, c0);
                c1 = load(xs, x2 + t + 8).fma(hi, c1);
                e0 = load(xs, x3 + t).fma(lo, e0);
                e1 = load(xs, x3 + t + 8).fma(hi, e1);
            }
            combine(combine(a0.add(a1), b0.add(b1), HALF_BIT, SWAP_HALF), combine(c0.add(c1), e0.add(e1), HALF_BIT, SWAP_HALF), QUARTER_BIT, SWAP_QUARTER)
                    .intoArray(quads, (int) (kq - start) / 4 * lanes);
        }
    }

    // The four dots of x rows x0..x3 with dY's row at dyBase, each reduced to one vector of partial sums
    // (lane distance 8, and 4 at 128 bits, already added), written to sums[0 .. 4 * lanes). Through the
    // array because this loop and the caller's butterfly and store do not fit C2's inlining budget
    // together (it boxed vectors); a method returning one vector would box it whenever not inlined.
    private static void dotSets(MemorySegment dys, long dyBase, MemorySegment xs, long x0, long x1, long x2, long x3, int n, float[] sums) {
        int passes = 16 / lanes;
        // sets 0..passes-1 of four accumulators; chunk i of the batch goes into set i mod passes,
        // which the rotation after each chunk keeps in position 0
        FloatVector z = FloatVector.zero(sp), a0 = z, b0 = z, c0 = z, e0 = z, a1 = z, b1 = z, c1 = z, e1 = z;
        FloatVector a2 = z, b2 = z, c2 = z, e2 = z, a3 = z, b3 = z, c3 = z, e3 = z;
        int chunks = 0, t = 0;
        if (passes == 2) { // whole 16-element groups straight, both sets at once
            for (; t + 16 <= n; t += 16) {
                FloatVector lo = load(dys, dyBase + t), hi = load(dys, dyBase + t + 8);
                a0 = load(xs, x0 + t).fma(lo, a0);
                a1 = load(xs, x0 + t + 8).fma(hi, a1);
                b0 = load(xs, x1 + t).fma(lo, b0);
                b1 = load(xs, x1 + t + 8).fma(hi, b1);
                c0 = load(xs, x2 + t).fma(lo, c0);
                c1 = load(xs, x2 + t + 8).fma(hi, c1);
                e0 = load(xs, x3 + t).fma(lo, e0);
                e1 = load(xs, x3 + t + 8).fma(hi, e1);
            }
        }
        // past the batch, until set 0 is back in position 0: chunks of zeros (read at the row's start, masked
        // off), so each lane past the batch in its last group of 16 takes one fma(0, 0, s) = s + 0 (-0
        // becomes +0), as in ScalarKernels.dot; none when the batch is whole groups
        for (; t < n || chunks % passes != 0; t += lanes, chunks++) {
            VectorMask<Float> m = IOTA.lt((float) (n - t)); // the last chunk read whole (rows are padded), past n zeroed
            long o = t < n ? t : 0;
            FloatVector dv = z.blend(load(dys, dyBase + o), m);
            FloatVector na = z.blend(load(xs, x0 + o), m).fma(dv, a0), nb = z.blend(load(xs, x1 + o), m).fma(dv, b0);
            FloatVector nc = z.blend(load(xs, x2 + o), m).fma(dv, c0), ne = z.blend(load(xs, x3 + o), m).fma(dv, e0);
            if (passes == 2) {
                a0 = a1; b0 = b1; c0 = c1; e0 = e1;
                a1 = na; b1 = nb; c1 = nc; e1 = ne;
            } else {
                a0 = a1; b0 = b1; c0 = c1; e0 = e1;
                a1 = a2; b1 = b2; c1 = c2; e1 = e2;
                a2 = a3; b2 = b3; c2 = c3; e2 = e3;
                a3 = na; b3 = nb; c3 = nc; e3 = ne;
            }
        }
        // lane distance 8: set 0 + set 1 at 256 bits; (0 + 2) + (1 + 3) at 128 bits, then distance 4
        FloatVector sa, sb, sc, se;
        if (passes == 2) {
            sa = a0.add(a1); sb = b0.add(b1); sc = c0.add(c1); se = e0.add(e1);
        } else {
            sa = a0.add(a2).add(a1.add(a3)); sb = b0.add(b2).add(b1.add(b3));
            sc = c0.add(c2).add(c1.add(c3)); se = e0.add(e2).add(e1.add(e3));
        }
        sa.intoArray(sums, 0);
        sb.intoArray(sums, lanes);
        sc.intoArray(sums, 2 * lanes);
        se.intoArray(sums, 3 * lanes);
    }

    // Lane indices: IOTA.lt(r) selects the first r lanes with one compare (indexInRange boxed its mask
    // on 256-bit AVX2 here: 4 MB allocated per call at batch 100).
    private static final FloatVector IOTA = FloatVector.zero(sp).addIndex(1);

    // Batches of at most a quarter vector, or rows not padded to a vector: each lane is one connection,
    // its dot product gathered column by column from the per-thread copy of X (see alongConnections),
    // in the scalar kernel's order.
    // Measured (4096 x 4096, 1%, 1 thread): SDDMM+SGD 2.9x faster at batch 1, 2.2x at 2, 1.5x at 4.
    private static void sddmmAlongConnections(CsrMatrix w, DenseMatrix dy, DenseMatrix x, float scale, MemorySegment grad,
                                              MemorySegment velocity, float lr, float momentum, float weightDecay, int rowFrom, int rowTo) {
        Scratch scratch = SCRATCH.get();
        float[] xc = scratch.copy(x);
        int[] idx = scratch.index;
        MemorySegment rp = w.rowPtr(), ci = w.colIdx(), wv = w.values(), dys = dy.segment();
        int n = dy.cols(), xStride = (int) x.stride();
        for (int j = rowFrom; j < rowTo; j++) {
            long dyBase = j * dy.stride(), start = rp.getAtIndex(JAVA_LONG, j), end = rp.getAtIndex(JAVA_LONG, j + 1L);
            for (long k = start; k < end; k += lanes) {
                // past the row's end: index 0 (valid), results masked off
                IntVector.fromMemorySegment(isp, ci, k * Integer.BYTES, NO, isp.indexInRange(k, end)).mul(xStride).intoArray(idx, 0);
                // one product per element of the batch (fewer than 16 here), in the pairwise order of
                // ScalarKernels.SUM_LANES: element c in v[c mod 8] (c and c + 8 paired first), then 4, 2, 1.
                // v starts at +0, so a product of -0 added first gives +0 where the scalar sum keeps it; the
                // dot has the scalar bits all the same: with fewer than 16 elements a scalar partial sum is
                // empty (+0), so neither backend's dot is ever -0, and no nonzero sum changes
                FloatVector z = FloatVector.zero(sp), v0 = z, v1 = z, v2 = z, v3 = z, v4 = z, v5 = z, v6 = z, v7 = z;
                for (int c = 0; c < n; c++) {
                    FloatVector p = FloatVector.fromArray(sp, xc, c, idx, 0).fma(FloatVector.broadcast(sp, dys.getAtIndex(JAVA_FLOAT, dyBase + c)), z);
                    switch (c & 7) {
                        case 0 -> v0 = p.add(v0);
                        case 1 -> v1 = p.add(v1);
                        case 2 -> v2 = p.add(v2);
                        case 3 -> v3 = p.add(v3);
                        case 4 -> v4 = p.add(v4);
                        case 5 -> v5 = p.add(v5);
                        case 6 -> v6 = p.add(v6);
                        default -> v7 = p.add(v7);
                    }
                }
                FloatVector d = v0.add(v4).add(v2.add(v6)).add(v1.add(v5).add(v3.add(v7)));
                FloatVector g = d.mul(scale);
                VectorMask<Float> m = sp.indexInRange(k, end);
                if (velocity == null) {
                    g.intoMemorySegment(grad, k * Float.BYTES, NO, m);
                } else {
                    FloatVector.fromMemorySegment(sp, velocity, k * Float.BYTES, NO, m).mul(momentum).sub(g.mul(lr)).intoMemorySegment(velocity, k * Float.BYTES, NO, m);
                }
            }
        }
        if (velocity != null) applyVelocity(wv, velocity, rp.getAtIndex(JAVA_LONG, rowFrom), rp.getAtIndex(JAVA_LONG, rowTo), weightDecay);
    }

    // w += v - weightDecay * w, in the order of ScalarKernels.sgdStep.
    private static void applyVelocity(MemorySegment wv, MemorySegment velocity, long from, long to, float weightDecay) {
        long k = from;
        for (; k + lanes <= to; k += lanes) {
            FloatVector wk = load(wv, k);
            store(wk.add(load(velocity, k)).sub(wk.mul(weightDecay)), wv, k);
        }
        for (; k < to; k++) {
            float wk = wv.getAtIndex(JAVA_FLOAT, k);
            wv.setAtIndex(JAVA_FLOAT, k, wk + velocity.getAtIndex(JAVA_FLOAT, k) - weightDecay * wk);
        }
    }

    // Connections past the row's end repeat its last X row: valid memory, their results masked off.
    private static long xRow(MemorySegment ci, long k, long end, long xStride) {
        return ci.getAtIndex(JAVA_INT, Math.min(k, end - 1)) * xStride;
    }

    // Dot products of one dY row with the X rows at x0..x3, reduced until each quarter of the lanes
    // holds partial sums of one of them: quarters 0, 1, 2, 3 <- x0, x2, x1, x3. Kept under C2's
    // inlining size limit (325 bytecodes): a FloatVector returned from a call is boxed.
    private static FloatVector quad(MemorySegment dys, long dyBase, MemorySegment xs, long x0, long x1, long x2, long x3, int n) {
        FloatVector a = FloatVector.zero(sp), b = a, c = a, d = a;
        int k = 0;
        for (; k + lanes <= n; k += lanes) {
            FloatVector dv = load(dys, dyBase + k);
            a = load(xs, x0 + k).fma(dv, a);
            b = load(xs, x1 + k).fma(dv, b);
            c = load(xs, x2 + k).fma(dv, c);
            d = load(xs, x3 + k).fma(dv, d);
        }
        // the last partial vector, read whole (rows are padded), padding zeroed: it may hold stale values.
        // Its lanes past n take fma(0, 0, s) = s + 0 (-0 becomes +0), as in ScalarKernels.dot.
        if (k < n) {
            VectorMask<Float> m = sp.indexInRange(k, n);
            FloatVector z = FloatVector.zero(sp), dv = z.blend(load(dys, dyBase + k), m);
            a = z.blend(load(xs, x0 + k), m).fma(dv, a);
            b = z.blend(load(xs, x1 + k), m).fma(dv, b);
            c = z.blend(load(xs, x2 + k), m).fma(dv, c);
            d = z.blend(load(xs, x3 + k), m).fma(dv, d);
        }
        return combine(combine(a, b, HALF_BIT, SWAP_HALF), combine(c, d, HALF_BIT, SWAP_HALF), QUARTER_BIT, SWAP_QUARTER);
    }

    // Lanes with the mask's bit clear get x[l] + x[l ^ bit], lanes with it set get y[l] + y[l ^ bit].
    private static FloatVector combine(FloatVector x, FloatVector y, VectorMask<Float> bitSet, VectorShuffle<Float> swap) {
        return x.blend(y, bitSet).add(y.blend(x, bitSet).rearrange(swap));
    }

    // Constant masks and shuffles (not an array, whose elements C2 cannot treat as constants); they
    // select lanes by one bit of the lane index: L/2, L/4, L/8, L/16 for L lanes.
    private static final VectorMask<Float> HALF_BIT = laneBit(lanes / 2), QUARTER_BIT = laneBit(lanes / 4);
    private static final VectorMask<Float> EIGHTH_BIT = laneBit(lanes / 8), SIXTEENTH_BIT = laneBit(lanes / 16);
    private static final VectorShuffle<Float> SWAP_HALF = swap(lanes / 2), SWAP_QUARTER = swap(lanes / 4);
    private static final VectorShuffle<Float> SWAP_EIGHTH = swap(lanes / 8), SWAP_SIXTEENTH = swap(lanes / 16);
    private static final VectorShuffle<Float> DOT_ORDER = dotOrder();

    private static VectorMask<Float> laneBit(int bit) {
        long m = 0;
        for (int i = 0; i < lanes; i++) if ((i & bit) != 0) m |= 1L << i;
        return VectorMask.fromLong(sp, m);
    }

    private static VectorShuffle<Float> swap(int bit) {
        return VectorShuffle.fromOp(sp, i -> i ^ Math.max(1, bit));
    }

    // Lane l of the reduced vector holds the dot of connection 4*quad + position in quad, where the quad
    // comes from bits L/8 (+1) and L/16 (+2) and the position from bits L/4 (+2) and L/2 (+1).
    private static VectorShuffle<Float> dotOrder() {
        int[] from = new int[lanes];
        for (int l = 0; l < lanes; l++) {
            int quad = bit(l, lanes / 8) + 2 * bit(l, lanes / 16), pos = 2 * bit(l, lanes / 4) + bit(l, lanes / 2);
            if (4 * quad + pos < lanes) from[4 * quad + pos] = l;
        }
        return VectorShuffle.fromArray(sp, from, 0);
    }

    private static int bit(int l, int bit) {
        return bit > 0 && (l & bit) != 0 ? 1 : 0;
    }

    @Override
    public void leakyRelu(DenseMatrix x, float slope, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment xs = x.segment(), ys = y.segment();
        int n = x.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long xb = r * x.stride(), yb = r * y.stride();
            int c = 0;
            for (; c + lanes <= n; c += lanes) {
                FloatVector v = load(xs, xb + c);
                VectorMask<Float> pos = v.compare(VectorOperators.GT, 0f);
                store(v.mul(slope).blend(v, pos), ys, yb + c);
            }
            for (; c < n; c++) {
                float v = xs.getAtIndex(JAVA_FLOAT, xb + c);
                ys.setAtIndex(JAVA_FLOAT, yb + c, v > 0f ? v : slope * v);
            }
        }
    }

    @Override
    public void leakyReluBackward(DenseMatrix pre, float slope, DenseMatrix grad, int rowFrom, int rowTo) {
        MemorySegment ps = pre.segment(), gs = grad.segment();
        int n = grad.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long pb = r * pre.stride(), gb = r * grad.stride();
            int c = 0;
            for (; c + lanes <= n; c += lanes) {
                VectorMask<Float> pos = load(ps, pb + c).compare(VectorOperators.GT, 0f);
                FloatVector g = load(gs, gb + c);
                store(g.mul(slope).blend(g, pos), gs, gb + c);
            }
            for (; c < n; c++) {
                if (!(ps.getAtIndex(JAVA_FLOAT, pb + c) > 0f)) gs.setAtIndex(JAVA_FLOAT, gb + c, slope * gs.getAtIndex(JAVA_FLOAT, gb + c));
            }
        }
    }

    // The draws are hashed a row at a time into a per-thread int array (one 64-bit hash gives four
    // columns), then the mask is made in vectors from its sign: (u - threshold) >> 31 is 0 where the
    // element is kept, so its complement selects keepScale's bits. Scalar per element, this was 3 to 5 ns
    // (SET's dropout on three 1000 x 128 layers per batch: 15% of an epoch).
    @Override
    public void dropout(DenseMatrix a, long seed, int threshold, float keepScale, DenseMatrix mask, DenseMatrix out, int rowFrom, int rowTo) {
        // The draws are 0..65535, so clamping changes no comparison; it keeps u - threshold from
        // overflowing, which for thresholds near Integer.MIN_VALUE flipped the sign (all dropped, not kept).
        threshold = Math.clamp(threshold, 0, 65536);
        MemorySegment as = a.segment(), ms = mask.segment(), os = out.segment();
        int n = a.cols(), keepBits = Float.floatToRawIntBits(keepScale);
        int[] u = SCRATCH.get().draws(n + 3);
        for (int r = rowFrom; r < rowTo; r++) {
            long rowSeed = mix(seed + r * 0xD1B54A32D192ED03L);
            long ab = r * a.stride(), mb = r * mask.stride(), ob = r * out.stride();
            int c = 0;
            // RandomStream.mix on lanes / 4 hashes at once; read as 16-bit lanes, lane 4q + i is bits
            // 16i..16i+15 of hash q (little-endian), the draw of column 4q + i
            for (; DRAW_HASHES != null && c + lanes <= n; c += lanes) {
                LongVector z = LongVector.broadcast(DRAW_HASHES, rowSeed + (c >>> 2)).addIndex(1);
                z = z.lanewise(VectorOperators.LSHR, 30).lanewise(VectorOperators.XOR, z).mul(0xBF58476D1CE4E5B9L);
                z = z.lanewise(VectorOperators.LSHR, 27).lanewise(VectorOperators.XOR, z).mul(0x94D049BB133111EBL);
                z = z.lanewise(VectorOperators.LSHR, 31).lanewise(VectorOperators.XOR, z);
                IntVector draws = (IntVector) z.reinterpretAsShorts().convertShape(VectorOperators.ZERO_EXTEND_S2I, isp, 0);
                FloatVector m = draws.sub(threshold).lanewise(VectorOperators.ASHR, 31).not().and(keepBits).reinterpretAsFloats();
                store(m, ms, mb + c);
                store(load(as, ab + c).mul(m), os, ob + c);
            }
            for (int q = c; q < n; q += 4) {
                long h = mix(rowSeed + (q >>> 2));
                u[q] = (int) h & 0xffff;
                u[q + 1] = (int) (h >>> 16) & 0xffff;
                u[q + 2] = (int) (h >>> 32) & 0xffff;
                u[q + 3] = (int) (h >>> 48);
            }
            for (; c + lanes <= n; c += lanes) {
                FloatVector m = IntVector.fromArray(isp, u, c).sub(threshold).lanewise(VectorOperators.ASHR, 31)
                        .not().and(keepBits).reinterpretAsFloats();
                store(m, ms, mb + c);
                store(load(as, ab + c).mul(m), os, ob + c);
            }
            for (; c < n; c++) {
                float m = Float.intBitsToFloat(~(u[c] - threshold >> 31) & keepBits);
                ms.setAtIndex(JAVA_FLOAT, mb + c, m);
                os.setAtIndex(JAVA_FLOAT, ob + c, as.getAtIndex(JAVA_FLOAT, ab + c) * m);
            }
        }
    }

    @Override
    public void elementMult(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo) {
        MemorySegment xs = x.segment(), ys = y.segment();
        int n = x.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long xb = r * x.stride(), yb = r * y.stride();
            int c = 0;
            for (; c + lanes <= n; c += lanes) store(load(xs, xb + c).mul(load(ys, yb + c)), xs, xb + c);
            for (; c < n; c++) xs.setAtIndex(JAVA_FLOAT, xb + c, xs.getAtIndex(JAVA_FLOAT, xb + c) * ys.getAtIndex(JAVA_FLOAT, yb + c));
        }
    }

    @Override
    public void sigmoid(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo) {
        expMap(x, y, rowFrom, rowTo, false);
    }

    // sigmoid (tanh false) or tanh over rows. The columns after the last whole vector go through the same
    // lane-wise code under a mask, as softmax's go through a zero-padded vector: with a scalar tail a sample's
    // activations depended on its place in the batch and on the SIMD width. (A heap scratch vector for the
    // tail made the loads polymorphic and QuickSelection's epochs ~20% slower.) One exp call site (see
    // softmaxBlock).
    private static void expMap(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo, boolean tanh) {
        MemorySegment xs = x.segment(), ys = y.segment();
        int n = x.cols();
        FloatVector one = FloatVector.broadcast(sp, 1f), two = FloatVector.broadcast(sp, 2f);
        VectorMask<Float> all = sp.maskAll(true);
        for (int r = rowFrom; r < rowTo; r++) {
            long xb = r * x.stride(), yb = r * y.stride();
            for (int c = 0; c < n; c += lanes) {
                VectorMask<Float> m = c + lanes <= n ? all : sp.indexInRange(c, n);
                // masked-off lanes read as 0, so every valid lane computes exactly as in a whole vector
                FloatVector v = FloatVector.fromMemorySegment(sp, xs, (xb + c) * Float.BYTES, NO, m);
                // tanh(x) = 1 - 2 / (exp(2x) + 1): saturates cleanly at +-1 when exp overflows or vanishes.
                FloatVector d = exp(tanh ? v.mul(2f) : v.neg()).add(1f);
                (tanh ? one.sub(two.div(d)) : one.div(d)).intoMemorySegment(ys, (yb + c) * Float.BYTES, NO, m);
            }
        }
    }

    @Override
    public void sigmoidBackward(DenseMatrix y, DenseMatrix grad, int rowFrom, int rowTo) {
        MemorySegment ys = y.segment(), gs = grad.segment();
        int n = grad.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long yb = r * y.stride(), gb = r * grad.stride();
            int c = 0;
            for (; c + lanes <= n; c += lanes) {
                FloatVector s = load(ys, yb + c);
                store(load(gs, gb + c).mul(s).mul(s.neg().add(1f)), gs, gb + c);
            }
            for (; c < n; c++) {
                float s = ys.getAtIndex(JAVA_FLOAT, yb + c);
                gs.setAtIndex(JAVA_FLOAT, gb + c, gs.getAtIndex(JAVA_FLOAT, gb + c) * s * (1f - s));
            }
        }
    }

    @Override
    public void tanh(DenseMatrix x, DenseMatrix y, int rowFrom, int rowTo) {
        expMap(x, y, rowFrom, rowTo, true);
    }

    @Override
    public void tanhBackward(DenseMatrix y, DenseMatrix grad, int rowFrom, int rowTo) {
        MemorySegment ys = y.segment(), gs = grad.segment();
        int n = grad.cols();
        for (int r = rowFrom; r < rowTo; r++) {
            long yb = r * y.stride(), gb = r * grad.stride();
            int c = 0;
            for (; c + lanes <= n; c += lanes) {
                FloatVector t = load(ys, yb + c);
                store(load(gs, gb + c).mul(t.mul(t).neg().add(1f)), gs, gb + c);
            }
            for (; c < n; c++) {
                float t = ys.getAtIndex(JAVA_FLOAT, yb + c);
                gs.setAtIndex(JAVA_FLOAT, gb + c, gs.getAtIndex(JAVA_FLOAT, gb + c) * (1f - t * t));
            }
        }
    }

    @Override
    public double softmaxCrossEntropy(DenseMatrix logits, int[] labels, int labelOffset, float gradScale,
                                      DenseMatrix grad, DenseMatrix probs) {
        int classes = logits.rows(), n = logits.cols();
        MemorySegment ls = logits.segment(), ps = probs == null ? null : probs.segment(), gs = grad == null ? null : grad.segment();
        long lStride = logits.stride(), pStride = probs == null ? 0 : probs.stride(), gStride = grad == null ? 0 : grad.stride();
        double loss = 0;
        int c = 0;
        for (; c + lanes <= n; c += lanes) {
            loss = softmaxBlock(classes, lanes, ls, c, lStride, ps, c, pStride, gs, c, gStride, labels, labelOffset + c, gradScale, loss);
        }
        if (c < n) {
            // The columns after the last whole vector go through the same lane-wise operations, in a scratch
            // block padded with zeros, so a sample's probabilities do not depend on where in a batch it sits
            // (through the scalar softmax they differed by a few ulps from the same sample in a full vector).
            int valid = n - c;
            MemorySegment t = SCRATCH.get().block(3 * classes * lanes);
            long tp = (long) classes * lanes, tg = 2L * classes * lanes;
            t.fill((byte) 0);
            for (int j = 0; j < classes; j++) MemorySegment.copy(ls, JAVA_FLOAT, (j * lStride + c) * Float.BYTES, t, JAVA_FLOAT, (long) j * lanes * Float.BYTES, valid);
            loss = softmaxBlock(classes, valid, t, 0, lanes, ps == null ? null : t, tp, lanes, gs == null ? null : t, tg, lanes, labels, labelOffset + c, gradScale, loss);
            for (int j = 0; j < classes; j++) {
                if (ps != null) MemorySegment.copy(t, JAVA_FLOAT, (tp + (long) j * lanes) * Float.BYTES, ps, JAVA_FLOAT, (j * pStride + c) * Float.BYTES, valid);
                if (gs != null) MemorySegment.copy(t, JAVA_FLOAT, (tg + (long) j * lanes) * Float.BYTES, gs, JAVA_FLOAT, (j * gStride + c) * Float.BYTES, valid);
            }
        }
        return loss;
    }

    // One vector of columns starting at float offsets lAt / pAt / gAt (probs and grad may be null); `loss` plus the
    // losses of the first `valid` columns, added one column at a time as the scalar kernel adds them (a partial sum per
    // vector made the batch's loss differ with the vector width in its last digits). One exp call site: with two, C2
    // ran out of inlining budget here and boxed the vectors.
    private static double softmaxBlock(int classes, int valid, MemorySegment ls, long lAt, long lStride, MemorySegment ps, long pAt, long pStride,
                                       MemorySegment gs, long gAt, long gStride, int[] labels, int labelAt, float gradScale, double loss) {
        FloatVector max = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < classes; j++) max = load(ls, j * lStride + lAt).max(max); // see total below: the loaded vector as receiver
        // exp once per logit, kept in probs or grad until the total is known
        MemorySegment ks = ps != null ? ps : gs;
        long kAt = ps != null ? pAt : gAt, kStride = ps != null ? pStride : gStride;
        FloatVector total = FloatVector.zero(sp);
        for (int j = 0; j < classes; j++) {
            FloatVector e = exp(load(ls, j * lStride + lAt).sub(max));
            // A loaded or computed vector as the receiver, never the loop's accumulator: C2 sometimes lost the
            // accumulator's class (a loop phi; FloatVector's own call sites see every width this class uses), left
            // total.add(e) and max.max(..) virtual calls and boxed (16-32 KB per call at 16 lanes, batch 128, in
            // about 1 of 10 JMH forks). Addition and max commute: the same bits.
            total = e.add(total);
            if (ks != null) store(e, ks, j * kStride + kAt);
        }
        FloatVector inv = FloatVector.broadcast(sp, 1f).div(total);
        for (int j = 0; ks != null && j < classes; j++) {
            FloatVector p = load(ks, j * kStride + kAt).mul(inv);
            if (ps != null) store(p, ps, j * pStride + pAt);
            if (gs != null) store(p.mul(gradScale), gs, j * gStride + gAt);
        }
        for (int i = 0; i < valid; i++) {
            int label = checkedLabel(labels, labelAt + i, classes);
            loss += StrictMath.log(total.lane(i)) + max.lane(i) - ls.getAtIndex(JAVA_FLOAT, label * lStride + lAt + i);
            if (gs != null) gs.setAtIndex(JAVA_FLOAT, label * gStride + gAt + i, gs.getAtIndex(JAVA_FLOAT, label * gStride + gAt + i) - gradScale);
        }
        return loss;
    }

    private static int checkedLabel(int[] labels, int index, int classes) {
        int label = labels[index];
        if (label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + label + " at index " + index + " out of range [0, " + classes + ")");
        }
        return label;
    }

    @Override
    public void biasGradient(DenseMatrix dy, MemorySegment db, int rowFrom, int rowTo) {
        MemorySegment s = dy.segment();
        int n = dy.cols();
        for (int j = rowFrom; j < rowTo; j++) {
            long base = j * dy.stride();
            // 16 lanes of partial sums at every width, as SDDMM's dots (sddmmDots)
            FloatVector a0 = FloatVector.zero(sp), a1 = a0, a2 = a0, a3 = a0;
            int c = 0;
            for (; c + 16 <= n; c += 16) {
                a0 = load(s, base + c).add(a0); // the loaded vector as receiver, as in softmaxBlock
                if (lanes <= 8) a1 = load(s, base + c + lanes).add(a1);
                if (lanes == 4) {
                    a2 = load(s, base + c + 8).add(a2);
                    a3 = load(s, base + c + 12).add(a3);
                }
            }
            if (lanes == 8) a0 = a0.add(a1);
            if (lanes == 4) a0 = a0.add(a2).add(a1.add(a3));
            float total = sum(a0);
            for (; c < n; c++) total += s.getAtIndex(JAVA_FLOAT, base + c);
            db.setAtIndex(JAVA_FLOAT, j, total);
        }
    }

    // ScalarKernels.adamStep lane-wise, the same operations in the same order; the tail is the scalar kernel.
    @Override
    public void adamStep(MemorySegment p, MemorySegment g, MemorySegment m, MemorySegment v, long from, long to, float gScale,
                         float beta1, float beta2, float eps, float weightDecay, float lr, float c1, float c2) {
        long k = from;
        for (; k + lanes <= to; k += lanes) {
            FloatVector gk = load(g, k).mul(gScale);
            FloatVector mk = load(m, k).mul(beta1).add(gk.mul(1 - beta1));
            FloatVector vk = load(v, k).mul(beta2).add(gk.mul(1 - beta2).mul(gk));
            store(mk, m, k);
            store(vk, v, k);
            FloatVector pk = load(p, k);
            FloatVector update = mk.div(c1).div(vk.div(c2).sqrt().add(eps)).add(pk.mul(weightDecay));
            store(pk.sub(update.mul(lr)), p, k);
        }
        SCALAR.adamStep(p, g, m, v, k, to, gScale, beta1, beta2, eps, weightDecay, lr, c1, c2);
    }

    private static final ScalarKernels SCALAR = new ScalarKernels();

    @Override
    public void scale(MemorySegment x, long off, long n, float a) {
        long i = 0;
        for (; i + lanes <= n; i += lanes) store(load(x, off + i).mul(a), x, off + i);
        for (; i < n; i++) x.setAtIndex(JAVA_FLOAT, off + i, a * x.getAtIndex(JAVA_FLOAT, off + i));
    }

    @Override
    public void axpy(float a, MemorySegment x, long xOff, MemorySegment y, long yOff, long n) {
        long i = 0;
        for (; i + lanes <= n; i += lanes) store(load(x, xOff + i).fma(FloatVector.broadcast(sp, a), load(y, yOff + i)), y, yOff + i);
        for (; i < n; i++) {
            y.setAtIndex(JAVA_FLOAT, yOff + i, Math.fma(a, x.getAtIndex(JAVA_FLOAT, xOff + i), y.getAtIndex(JAVA_FLOAT, yOff + i)));
        }
    }
}
