package org.dst4j.runtime.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.resource.Closing;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * The sparse products of a training step timed in interleaved rounds, for machines whose load changes while they are
 * measured (shared or throttling ones). Each round times, for every thread count in turn, the backend's FMA ceiling
 * ({@link Kernels#fmaProbe} on every worker at once), each product, and the products' reads alone (the memory side's
 * bound, {@link Kernels#rowReads}) for a fixed time; a figure is the median over
 * the rounds of its GFLOP/s ({@code 2 * nnz * batch} per product call), and every ratio is the median of per-round
 * ratios between figures measured seconds apart in the same round, so that load changing over minutes cancels out of
 * it. JMH's figures come from separate forks run minutes apart; these ratios do not.
 */
public final class KernelRounds {
    private KernelRounds() {}

    /** The products timed, in order; the probe's name is {@link #PEAK_FMA}. */
    public static final List<String> PRODUCTS = List.of("forward", "transposed", "sddmm", "sddmm+sgd");
    /** The name of the FMA-ceiling figure. */
    public static final String PEAK_FMA = "peak fma";
    /**
     * The reads bounds' names ({@link Kernels#rowReads}): the rows of X at the CSR column indices, row range by row
     * range as the forward product and SDDMM read them; the rows of dY at the transpose index's row indices, as the
     * transposed product reads them. Counted as their products' FLOPs, so a product's GFLOP/s over its bound's is the
     * share of its reads' speed it reaches.
     */
    public static final String READS_FORWARD = "reads: forward order", READS_TRANSPOSED = "reads: transposed order";

    /**
     * What to time.
     *
     * @param size rows and columns of the square weight matrix
     * @param density share of its entries stored, in (0, 1]
     * @param batch columns of the activations
     * @param threads worker-thread counts, each timed in every round (ratios against the first)
     * @param rounds rounds measured, after {@code warmupRounds} that are not
     * @param warmupRounds rounds run first and discarded (JIT compilation)
     * @param roundMillis how long each figure is timed in a round
     * @param scalar whether to time the scalar backend's forward product too, for the SIMD/scalar ratio
     * @param plain whether to time the plain SIMD forward loop too (row by row, no blocking, four vector
     *     accumulators over the batch; with the SIMD backend and a batch at least a vector wide only), for every
     *     product's ratio to it
     * @param seed draws the matrices
     */
    public record Settings(int size, double density, int batch, int[] threads, int rounds, int warmupRounds, int roundMillis, boolean scalar,
                           boolean plain, long seed) {
        /**
         * Checks every field.
         *
         * @throws IllegalArgumentException naming a field out of range
         */
        public Settings {
            threads = Objects.requireNonNull(threads, "threads").clone();
            if (size < 1) throw new IllegalArgumentException("size must be >= 1, got " + size);
            if (!(density > 0 && density <= 1)) throw new IllegalArgumentException("density must be in (0, 1], got " + density);
            if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
            if (threads.length == 0) throw new IllegalArgumentException("threads: expected at least one count");
            for (int t : threads) WorkerPool.checkThreads(t);
            if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
            if (warmupRounds < 0) throw new IllegalArgumentException("warm-up rounds must be >= 0, got " + warmupRounds);
            if (roundMillis < 1) throw new IllegalArgumentException("round time must be >= 1 ms, got " + roundMillis);
        }

        /** The thread counts; a copy. */
        @Override public int[] threads() { return threads.clone(); }
    }

    /**
     * One figure: a product (or a bound) on a thread count.
     *
     * @param name a {@link #PRODUCTS} entry, {@link #PEAK_FMA}, {@link #READS_FORWARD}, {@link #READS_TRANSPOSED},
     *     {@code "forward (scalar)"} or {@link #PLAIN_FORWARD}
     * @param threads worker threads
     * @param gflops median GFLOP/s over the rounds
     * @param q1 its first quartile over the rounds
     * @param q3 its third quartile
     * @param ofPeak median of the per-round ratio to the probe on as many threads (1 for the probe itself)
     * @param ofFirstThreads median of the per-round ratio to the same figure on the first thread count (1 there)
     * @param ofScalar for the SIMD forward product, the median of the per-round ratio to the scalar one on as many
     *     threads; NaN otherwise
     * @param ofPlain the median of the per-round ratio to the plain forward loop on as many threads; NaN when it is not timed
     * @param ofReads for a product (the plain loop included), the median of the per-round ratio to its reads bound on as
     *     many threads ({@link #READS_TRANSPOSED} for the transposed product, {@link #READS_FORWARD} for the others); NaN
     *     otherwise, and when the bounds are not timed (a batch narrower than a SIMD vector, where the products gather)
     */
    public record Figure(String name, int threads, double gflops, double q1, double q3, double ofPeak, double ofFirstThreads, double ofScalar,
                         double ofPlain, double ofReads) {}

    /** The name of the plain forward loop's figure ({@link Settings#plain}). */
    public static final String PLAIN_FORWARD = "forward (plain loop)";

    /**
     * Times the products of {@code kernels} (and with {@code settings.scalar()} the scalar forward product, with
     * {@code settings.plain()} the plain forward loop) as the class says; {@code progress}, when not null, is told each
     * round's end. Allocates the matrices off-heap and frees them.
     *
     * @return one figure per name and thread count: per thread count the probe, the products, the two reads bounds
     *     (with the scalar backend, or a batch at least a vector wide), then the scalar forward and the plain loop when
     *     timed
     */
    public static List<Figure> run(Kernels kernels, Settings settings, Consumer<String> progress) {
        Objects.requireNonNull(kernels, "kernels");
        Objects.requireNonNull(settings, "settings");
        int[] threads = settings.threads();
        List<String> names = new ArrayList<>();
        names.add(PEAK_FMA);
        names.addAll(PRODUCTS);
        // whole vectors per row: a batch at least a vector wide has a stride of whole vectors (see DenseMatrix)
        boolean panama = kernels.name().equals("panama"), vectorRows = panama && settings.batch() >= kernels.floatLanes();
        // Narrower batches have no reads bound: the SIMD products gather there, while the reads fall back to scalar
        // loops (at batch 4 and 16 lanes the products ran 5x faster than their "bound").
        boolean reads = !panama || vectorRows;
        if (reads) {
            names.add(READS_FORWARD);
            names.add(READS_TRANSPOSED);
        }
        if (settings.scalar()) names.add("forward (scalar)");
        boolean plain = settings.plain() && vectorRows;
        if (plain) names.add(PLAIN_FORWARD);
        // samples[t][name][round]
        double[][][] samples = new double[threads.length][names.size()][settings.rounds()];
        RandomStream rng = new RandomStream(settings.seed());
        CsrMatrix w = randomCsr(settings.size(), settings.size(), settings.density(), rng);
        List<Runnable> owned = new ArrayList<>();
        owned.add(w::close);
        try (Arena arena = Arena.ofShared()) {
            // each owned as soon as it exists: when a later one cannot be allocated, the earlier ones are freed
            DenseMatrix x = randomDense(settings.size(), settings.batch(), rng);
            owned.add(x::close);
            DenseMatrix dy = randomDense(settings.size(), settings.batch(), rng);
            owned.add(dy::close);
            DenseMatrix y = DenseMatrix.allocate(settings.size(), settings.batch());
            owned.add(y::close);
            DenseMatrix dx = DenseMatrix.allocate(settings.size(), settings.batch());
            owned.add(dx::close);
            MemorySegment bias = arena.allocate(ValueLayout.JAVA_FLOAT, settings.size());
            MemorySegment side = arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, w.nnz()));
            double flops = productFlops(w.nnz(), settings.batch());
            long nanos = settings.roundMillis() * 1_000_000L;
            WorkerPool[] pools = new WorkerPool[threads.length];
            try {
                for (int t = 0; t < threads.length; t++) pools[t] = new WorkerPool(threads[t]);
                // per thread count, made once: ParallelKernels keeps its row splits
                ParallelKernels[] simd = new ParallelKernels[threads.length], scalar = new ParallelKernels[threads.length];
                // the products' own splits (ParallelKernels splits rows and columns by entries, as here)
                int[][] rowSplit = new int[threads.length][], colSplit = new int[threads.length][];
                MemorySegment rp = w.rowPtr(), cp = w.colPtr();
                for (int t = 0; t < threads.length; t++) {
                    simd[t] = new ParallelKernels(kernels, pools[t]);
                    scalar[t] = new ParallelKernels(KernelProvider.scalar(), pools[t]);
                    rowSplit[t] = pools[t].splitByNnz(rp, w.rows(), 4);
                    colSplit[t] = pools[t].splitByNnz(cp, w.cols(), 4);
                }
                for (int r = -settings.warmupRounds(); r < settings.rounds(); r++) {
                    for (int t = 0; t < threads.length; t++) {
                        int tt = t;
                        ParallelKernels pk = simd[t], sk = scalar[t];
                        for (int i = 0; i < names.size(); i++) {
                            String name = names.get(i);
                            double g = name.equals(PEAK_FMA) ? probe(kernels, pools[t], nanos) : time(nanos, flops, switch (name) {
                                case "forward" -> () -> pk.forward(w, x, bias, y);
                                case "transposed" -> () -> pk.transposed(w, dy, dx);
                                case "sddmm" -> () -> pk.sddmm(w, dy, x, 1f / settings.batch(), side);
                                // a tiny learning rate keeps the weights, and so the work, the same over millions of calls
                                case "sddmm+sgd" -> () -> pk.sddmmSgd(w, dy, x, 1f / settings.batch(), side, 1e-12f, 0.9f, 0f);
                                case PLAIN_FORWARD -> () -> pools[tt].run(rowSplit[tt], (a, b) -> PanamaKernels.plainForward(w, x, bias, y, a, b));
                                case READS_FORWARD -> () -> pools[tt].run(rowSplit[tt], (a, b) ->
                                        sink = kernels.rowReads(w.colIdx(), entry(rp, a), entry(rp, b), x));
                                case READS_TRANSPOSED -> () -> pools[tt].run(colSplit[tt], (a, b) ->
                                        sink = kernels.rowReads(w.rowIdx(), entry(cp, a), entry(cp, b), dy));
                                default -> () -> sk.forward(w, x, bias, y);
                            });
                            if (r >= 0) samples[t][i][r] = g;
                        }
                    }
                    if (progress != null) progress.accept(r < 0 ? "warm-up round " + (r + settings.warmupRounds() + 1) + " of " + settings.warmupRounds()
                            : "round " + (r + 1) + " of " + settings.rounds());
                }
            } finally {
                Closing.each(Arrays.asList(pools), p -> {
                    if (p != null) p.close();
                });
            }
        } finally {
            Closing.each(owned, Runnable::run);
        }
        List<Figure> out = new ArrayList<>();
        int scalarIndex = names.indexOf("forward (scalar)"), forwardIndex = names.indexOf("forward"), plainIndex = names.indexOf(PLAIN_FORWARD);
        int readsForward = names.indexOf(READS_FORWARD), readsTransposed = names.indexOf(READS_TRANSPOSED);
        for (int t = 0; t < threads.length; t++) {
            for (int i = 0; i < names.size(); i++) {
                double[] g = samples[t][i];
                double[] sorted = g.clone();
                Arrays.sort(sorted);
                out.add(new Figure(names.get(i), threads[t], quantile(sorted, 0.5), quantile(sorted, 0.25), quantile(sorted, 0.75),
                        medianRatio(g, samples[t][0]), medianRatio(g, samples[0][i]),
                        i == forwardIndex && scalarIndex >= 0 ? medianRatio(g, samples[t][scalarIndex]) : Double.NaN,
                        plainIndex >= 0 ? medianRatio(g, samples[t][plainIndex]) : Double.NaN,
                        switch (names.get(i)) {
                            case "forward", "sddmm", "sddmm+sgd", PLAIN_FORWARD -> reads ? medianRatio(g, samples[t][readsForward]) : Double.NaN;
                            case "transposed" -> reads ? medianRatio(g, samples[t][readsTransposed]) : Double.NaN;
                            default -> Double.NaN;
                        }));
            }
        }
        return out;
    }

    /** As a JSON-ready map: the settings, the backend, and the figures. */
    public static Map<String, Object> toMap(Kernels kernels, Settings s, List<Figure> figures) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", kernels.name());
        m.put("lanes", kernels.floatLanes());
        m.put("size", s.size());
        m.put("density", s.density());
        m.put("batch", s.batch());
        m.put("rounds", s.rounds());
        m.put("warmup_rounds", s.warmupRounds());
        m.put("round_ms", s.roundMillis());
        List<Object> f = new ArrayList<>();
        for (Figure x : figures) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", x.name());
            e.put("threads", x.threads());
            e.put("gflops", x.gflops());
            e.put("gflops_q1", x.q1());
            e.put("gflops_q3", x.q3());
            e.put("of_peak_fma", x.ofPeak());
            e.put("of_first_threads", x.ofFirstThreads());
            if (!Double.isNaN(x.ofScalar())) e.put("of_scalar", x.ofScalar());
            if (!Double.isNaN(x.ofPlain())) e.put("of_plain_forward", x.ofPlain());
            if (!Double.isNaN(x.ofReads())) e.put("of_reads", x.ofReads());
            f.add(e);
        }
        m.put("figures", f);
        return m;
    }

    // GFLOP/s of calls of `call` for `nanos` (at least one call).
    private static double time(long nanos, double flopsPerCall, Runnable call) {
        long t0 = System.nanoTime(), t;
        long calls = 0;
        do {
            call.run();
            calls++;
            t = System.nanoTime();
        } while (t - t0 < nanos);
        return flopsPerCall * calls / (t - t0);
    }

    private static volatile float sink;

    private static long entry(MemorySegment ptr, int i) {
        return ptr.getAtIndex(ValueLayout.JAVA_LONG, i);
    }

    // The probe on every worker at once, in chunks of 10^4 steps, for `nanos`.
    private static double probe(Kernels k, WorkerPool pool, long nanos) {
        int steps = 10_000, workers = pool.threads();
        float[] sums = new float[workers];
        double flopsPerCall = 20.0 * k.floatLanes() * steps * workers;
        int[] bounds = pool.splitEven(workers);
        double g = time(nanos, flopsPerCall, () -> pool.run(bounds, (from, to) -> {
            for (int i = from; i < to; i++) sums[i] += k.fmaProbe(i, steps);
        }));
        float s = 0;
        for (float v : sums) s += v;
        sink = s;
        return g;
    }

    // Each product's effective work: a multiply and an add per stored weight and batch column.
    static double productFlops(long nnz, int batch) {
        return 2.0 * nnz * batch;
    }

    // The median of a[i] / b[i]: ratios of samples of the same round, which share that round's machine load.
    static double medianRatio(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i] / b[i];
        Arrays.sort(r);
        return quantile(r, 0.5);
    }

    // Linear interpolation between the closest ranks, as NumPy's default quantile.
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    /** How many weights the matrix {@link #run} times stores: drawn as {@code run} draws it (none at a small size and density). */
    public static long storedWeights(Settings settings) {
        try (CsrMatrix w = randomCsr(settings.size(), settings.size(), settings.density(), new RandomStream(settings.seed()))) {
            return w.nnz();
        }
    }

    /**
     * A {@code rows x cols} matrix with each entry stored with probability {@code density} (geometric gaps between
     * stored entries, so that large sparse matrices are drawn in time proportional to their entries), values
     * N(0, 0.05²). The JMH benchmarks draw their matrices with it too.
     */
    public static CsrMatrix randomCsr(int rows, int cols, double density, RandomStream rng) {
        CsrMatrix.Builder b = CsrMatrix.builder(rows, cols, Math.round(rows * (double) cols * density * 1.2) + cols);
        int[] c = new int[cols];
        float[] v = new float[cols];
        for (int r = 0; r < rows; r++) {
            int n = 0;
            for (long i = gap(density, rng); i < cols; i += 1 + gap(density, rng)) {
                c[n] = (int) i;
                v[n++] = (float) rng.nextGaussian() * 0.05f;
            }
            b.addRow(c, v, n);
        }
        return b.build();
    }

    // cells skipped before the next stored one
    private static long gap(double density, RandomStream rng) {
        if (density >= 1) return 0;
        if (density <= 0) return Long.MAX_VALUE / 2;
        return (long) Math.floor(Math.log(1 - rng.nextDouble()) / Math.log1p(-density));
    }

    /** A {@code rows x cols} matrix of N(0, 1) entries. */
    public static DenseMatrix randomDense(int rows, int cols, RandomStream rng) {
        DenseMatrix m = DenseMatrix.allocate(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) m.set(r, c, (float) rng.nextGaussian());
        }
        return m;
    }
}
