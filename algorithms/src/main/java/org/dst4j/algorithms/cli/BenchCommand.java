package org.dst4j.algorithms.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dst4j.algorithms.set.ScaleBenchmark;
import org.dst4j.nn.data.CsvReader;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.SparseInit;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.KernelRounds;
import org.dst4j.runtime.kernel.Kernels;
import org.dst4j.runtime.parallel.WorkerPool;

/** {@code dst4j bench scale|lung}: SET training cost against network size. */
final class BenchCommand implements Command {
    // The SET reference's own scale table (Lung-shaped data, three hidden layers of each width): minutes per epoch on a 16 GB laptop.
    private static final int[] LUNG_WIDTHS = {3_000, 30_000, 300_000, 600_000};
    private static final double[] LUNG_REFERENCE_MINUTES = {0.3, 3, 49, 112};
    // The workload the reference's minutes were measured on (its Lung table): bench lung's defaults.
    private static final int LUNG_FEATURES = 3312, LUNG_CLASSES = 5, LUNG_TRAIN = 200, LUNG_BATCH = 2;
    private static final double LUNG_EPSILON = 20;

    static final RunDirectory.Outputs OUTPUTS = RunDirectory.Outputs.of(ScaleBenchmark.METRICS, ScaleBenchmark.CHART);

    @Override public String summary() {
        return "benchmarks: 'bench scale' (SET up to >= 10^6 neurons), 'bench lung' (the SET reference's table), 'bench kernels' (the sparse products, interleaved)";
    }

    @Override
    public int run(String[] args) throws UsageException, UserException, IOException {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println("usage: dst4j bench scale [options]   SET on synthetic high-dimensional data, 10^6 to 5*10^8 connections");
            System.out.println("       dst4j bench lung [options]    the SET reference's scale table (Lung-shaped data, batch 2)");
            System.out.println("       dst4j bench kernels [options] the sparse products' GFLOP/s in interleaved rounds, with this machine's FMA ceiling");
            System.out.println("'dst4j bench scale --help', 'dst4j bench lung --help' and 'dst4j bench kernels --help' list the options.");
            // A missing subcommand is a usage error, as a bare 'dst4j' is; only asking for help succeeds.
            return args.length == 0 ? 2 : 0;
        }
        if (args[0].equals("kernels")) return kernels(Arrays.copyOfRange(args, 1, args.length));
        if (!(args[0].equals("scale") || args[0].equals("lung"))) {
            throw new UsageException("expected 'bench scale', 'bench lung' or 'bench kernels', got '" + args[0] + "'");
        }
        boolean lung = args[0].equals("lung");
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        Options o = new Options("bench " + args[0], lung
                ? "the SET reference's scale table: Lung-shaped synthetic data, 3 hidden layers of each width, epsilon 20, batch 2, sigmoid + MSE"
                : "SET on synthetic high-dimensional data, one epoch + one evolution per size, in the order --sizes gives them")
                .option("sizes", lung ? "3000x3@20,30000x3@20,300000x3@20,600000x3@20" : "10000@13,30000@30,100000@60,300000@100,1000000@190,1000000@470",
                        "networks as WIDTH[xLAYERS]@EPSILON, comma-separated")
                .option("features", lung ? String.valueOf(LUNG_FEATURES) : "65536", "input features")
                .option("informative", lung ? "100" : "256", "features that carry the class; the rest is noise")
                .option("classes", lung ? String.valueOf(LUNG_CLASSES) : "10", "classes")
                .option("separation", lung ? "0.5" : "0.35", "class-mean offset of informative features (noise has variance 1)")
                .option("train", lung ? String.valueOf(LUNG_TRAIN) : "10000", "training samples")
                .option("test", lung ? "100" : "2000", "test samples")
                .option("batch", lung ? String.valueOf(LUNG_BATCH) : "32", "mini-batch size")
                .option("lr", "0.01", "SGD learning rate")
                .option("momentum", "0.9", "SGD momentum")
                .option("weight-decay", "0.0002", "weight decay per step (SET reference style)")
                .option("zeta", "0.3", "share of each layer's connections replaced by the evolution step")
                .option("seed", "42", "random seed")
                .option("threads", String.valueOf(Runtime.getRuntime().availableProcessors()), "worker threads")
                .option("out", lung ? "runs/bench-lung" : "runs/bench-scale", "output directory (scale.json, scale.png)")
                .flag("replot", "only re-draw DIR/scale.png from the DIR/scale.json of an earlier run");
        RunDirectory.declare(o);
        if (!o.parse(rest)) return 0;
        if (o.flag("replot")) {
            // A replot draws what the earlier run's JSON holds; the run options would be silently ignored.
            for (String n : List.of("sizes", "features", "informative", "classes", "separation", "train", "test", "batch", "lr", "momentum",
                    "weight-decay", "zeta", "seed", "threads")) {
                if (o.given(n)) throw new UsageException("--" + n + " does not apply to --replot, which re-draws the chart from " + o.path("out").resolve(ScaleBenchmark.METRICS));
            }
            try {
                System.out.println("wrote " + o.path("out").resolve(ScaleBenchmark.CHART) + " from " + ScaleBenchmark.replot(o.path("out")).size() + " sizes");
                return 0;
            } catch (IOException e) {
                throw new UserException(e.getMessage(), e);
            }
        }
        List<ScaleBenchmark.Size> sizes = parseSizes(o.string("sizes"));
        ScaleBenchmark.Settings s;
        try {
            int features = o.integer("features", 1, Integer.MAX_VALUE), informative = o.integer("informative", 1, Integer.MAX_VALUE);
            if (informative > features) throw new UsageException("--informative " + informative + " exceeds --features " + features);
            s = new ScaleBenchmark.Settings(features, informative,
                    o.integer("classes", 2, 1 << 20), (float) o.number("separation", 0, 1e6), o.integer("train", 1, Integer.MAX_VALUE),
                    o.integer("test", 1, Integer.MAX_VALUE), o.integer("batch", 1, 1 << 20), (float) o.number("lr", 1e-12, 1e3),
                    (float) o.number("momentum", 0, 0.999999), (float) o.number("weight-decay", 0, 1), o.number("zeta", 0, 1),
                    lung, o.longValue("seed"), o.integer("threads", 1, WorkerPool.MAX_THREADS));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        checkLayers(sizes, s.features(), s.classes());
        Path out = RunDirectory.claim(o, OUTPUTS);
        if (lung && sizes.stream().anyMatch(z -> Double.isNaN(lungReferenceMinutes(s, z)))) {
            System.out.printf("note: the reference's minutes per epoch are compared only at its table's workload (3 hidden layers of 3000, 30000, 300000 or "
                    + "600000 at epsilon %d, --features %d --train %d --batch %d --classes %d); not for the other sizes or settings here%n",
                    (int) LUNG_EPSILON, LUNG_FEATURES, LUNG_TRAIN, LUNG_BATCH, LUNG_CLASSES);
        }
        System.out.printf("%-22s %13s %8s %9s %9s %7s %9s %9s %8s %9s%s%n", "hidden", "connections", "init s", "train s", "evolve s",
                "evo %", "peak RSS", "B/conn", "test acc", "eval s", lung ? "   reference (min/epoch)   speed-up" : "");
        try {
            List<ScaleBenchmark.Point> points = ScaleBenchmark.run(s, sizes, out, new ScaleBenchmark.Progress() {
                @Override public void message(String line) { System.out.println(line); }

                @Override public void point(ScaleBenchmark.Point p) {
                    String ref = "";
                    double minutes = lung ? lungReferenceMinutes(s, p.size()) : Double.NaN;
                    if (!Double.isNaN(minutes)) {
                        ref = String.format("   %8.1f min = %7.0f s   %7.0fx", minutes, minutes * 60, minutes * 60 / p.epochSeconds());
                    }
                    System.out.printf("%-22s %13d %8.1f %9.2f %9.2f %6.1f%% %8.2fG %9.1f %8.4f %9.2f%s%n", describe(p.size()), p.connections(),
                            p.initSeconds(), p.trainSeconds(), p.evolutionSeconds(), 100 * p.evolutionShare(), p.peakRssBytes() / 1e9,
                            p.bytesPerConnection(), p.testAccuracy(), p.evalSeconds(), ref);
                }
            });
            if (points.size() >= 2) {
                System.out.printf("log-log slope of epoch time against connections: %.3f; wrote %s%n",
                        ScaleBenchmark.epochTimeSlope(points), RunSummary.written(out.resolve(ScaleBenchmark.METRICS), out.resolve(ScaleBenchmark.CHART)));
            } else {
                System.out.println("wrote " + out.resolve(ScaleBenchmark.METRICS) + " (no " + ScaleBenchmark.CHART + ": the chart and its slopes need two sizes or more)");
            }
            return 0;
        } catch (IOException e) {
            throw new UserException(e.getMessage(), e);
        }
    }

    /**
     * The SET reference's minutes per epoch for {@code size}, or NaN when the run is not the workload they were measured
     * on: a speed-up against them was printed for any three equal layers of a listed width, at any epsilon, sample
     * count or batch (--train 20 made the 3 x 3000 network "123x" faster, where the README measures 44x).
     */
    static double lungReferenceMinutes(ScaleBenchmark.Settings s, ScaleBenchmark.Size size) {
        if (!s.sigmoidMse() || s.features() != LUNG_FEATURES || s.train() != LUNG_TRAIN || s.batch() != LUNG_BATCH || s.classes() != LUNG_CLASSES
                || size.epsilon() != LUNG_EPSILON) {
            return Double.NaN;
        }
        int[] h = size.hidden();
        if (h.length != 3 || h[0] != h[1] || h[1] != h[2]) return Double.NaN;
        for (int i = 0; i < LUNG_WIDTHS.length; i++) {
            if (LUNG_WIDTHS[i] == h[0]) return LUNG_REFERENCE_MINUTES[i];
        }
        return Double.NaN;
    }

    // Figures and ratios are medians over rounds (KernelRounds): on a loaded machine the ratios hold when the GFLOP/s do not.
    private static int kernels(String[] args) throws UsageException, UserException {
        Options o = new Options("bench kernels", "the sparse products of a training step (forward, transposed, SDDMM, SDDMM + SGD) at one layer "
                + "shape, timed in interleaved rounds with this machine's FMA ceiling and the products' reads alone (their memory bound); figures are medians over rounds, ratios medians of per-round ratios")
                .option("size", "4096", "rows and columns of the square weight matrix")
                .option("density", "0.01", "share of the weights stored")
                .option("batch", "128", "batch columns")
                .option("threads", "1,2", "worker-thread counts, each timed in every round (ratios against the first)")
                .option("rounds", "30", "rounds measured")
                .option("warmup", "5", "rounds run first and not counted (JIT compilation)")
                .option("round-ms", "100", "milliseconds each figure is timed in a round")
                .option("seed", "42", "random seed of the matrices")
                .option("json", null, "also write the figures to this JSON file; an earlier one there is replaced, any other file is not")
                .flag("scalar", "also time the scalar backend's forward product, for the SIMD/scalar ratio")
                .flag("plain", "also time a plain SIMD forward loop (row by row, no blocking, 4 vector accumulators: the issue's reference), "
                        + "for every product's ratio to it");
        if (!o.parse(args)) return 0;
        KernelRounds.Settings s;
        try {
            s = new KernelRounds.Settings(o.integer("size", 1, 1 << 20), o.number("density", 1e-9, 1), o.integer("batch", 1, 1 << 16),
                    o.integers("threads", 1, WorkerPool.MAX_THREADS), o.integer("rounds", 1, 100_000), o.integer("warmup", 0, 100_000), o.integer("round-ms", 1, 60_000),
                    o.flag("scalar"), o.flag("plain"), o.longValue("seed"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path json = o.path("json");
        // Before the rounds: checked only when writing, a --json that could not be written ended the command after every round had run.
        if (json != null) {
            // predict and export take '-' for standard output; here that is where the table goes, so '-' named a file "-".
            if (o.string("json").equals("-")) throw new UsageException("--json -: the figures' table goes to standard output; give the JSON a file path");
            if (Files.isDirectory(json)) throw new UsageException("--json " + json + " is a directory; expected the path of the JSON file");
            Path existing = RunDirectory.nearestExisting(json.toAbsolutePath().getParent());
            if (existing != null && !Files.isDirectory(existing)) {
                throw new UsageException("--json " + json + ": cannot be created, " + existing + " is a file");
            }
            // As export's --output: a regular file is replaced only when it holds an earlier run's figures ('--json data.csv'
            // replaced the data). A device or pipe is written in place (AtomicFiles).
            if (Files.isRegularFile(json) && !isKernelsJson(json)) {
                throw new UsageException("--json " + json + " exists and is not a figures file of bench kernels; remove it or choose another path");
            }
        }
        // A matrix that stores nothing was timed at 0.0 GFLOP/s, with every ratio NaN.
        if (KernelRounds.storedWeights(s) == 0) {
            throw new UsageException("--size " + s.size() + " --density " + o.string("density") + " stores no weights (the " + s.size() + " x " + s.size()
                    + " matrix drawn with --seed " + s.seed() + "); raise --size or --density");
        }
        Kernels k = KernelProvider.get();
        // As KernelRounds times it: given otherwise, --plain was dropped without a word (no row, an empty column).
        if (s.plain() && !k.name().equals("panama")) {
            throw new UsageException("--plain times a SIMD loop, and this run's kernel backend is " + k.name() + " (no SIMD)");
        }
        if (s.plain() && s.batch() < k.floatLanes()) {
            throw new UsageException("--plain times a SIMD loop over the batch, which needs --batch " + k.floatLanes() + " or more here (one vector of "
                    + k.floatLanes() + " floats), got " + s.batch());
        }
        System.err.printf("dst4j bench kernels: %s, %d lanes; %d x %d at density %s, batch %d; %d rounds (+%d warm-up) of %d ms per figure%n", k.name(),
                k.floatLanes(), s.size(), s.size(), o.string("density"), s.batch(), s.rounds(), s.warmupRounds(), s.roundMillis());
        List<KernelRounds.Figure> figures = KernelRounds.run(k, s, line -> System.err.print("\r" + line + "   "));
        System.err.println();
        System.out.printf("%-23s %7s %9s %17s %12s %9s %12s %10s %13s%n", "", "threads", "GFLOP/s", "(quartiles)", "of peak FMA", "of reads",
                "vs " + s.threads()[0] + " thread" + (s.threads()[0] == 1 ? "" : "s"), "vs scalar", "vs plain loop");
        for (KernelRounds.Figure f : figures) {
            System.out.printf("%-23s %7d %9s %17s %12.2f %9s %12.2f %10s %13s%n", f.name(), f.threads(), gflops(f.gflops()),
                    "(" + gflops(f.q1()) + "-" + gflops(f.q3()) + ")",
                    f.ofPeak(), Double.isNaN(f.ofReads()) ? "" : String.format("%.2f", f.ofReads()), f.ofFirstThreads(),
                    Double.isNaN(f.ofScalar()) ? "" : String.format("%.1fx", f.ofScalar()), Double.isNaN(f.ofPlain()) ? "" : String.format("%.2fx", f.ofPlain()));
        }
        if (json != null) {
            try {
                AtomicFiles.writeString(json, Json.write(KernelRounds.toMap(k, s, figures)) + "\n");
            } catch (IOException e) {
                throw new UserException("--json " + json + ": " + e.getMessage(), e);
            }
            System.out.println("wrote " + json);
        }
        return 0;
    }

    // What this command writes to --json: a JSON object with the backend and the figures.
    private static boolean isKernelsJson(Path file) {
        try {
            Map<String, Object> m = Json.parseObject(Json.readFile(file));
            return m.containsKey("backend") && m.get("figures") instanceof List;
        } catch (IOException | RuntimeException e) { // unreadable, too large, not UTF-8, not JSON, not an object
            return false;
        }
    }

    // One decimal as the products run at this shape; three significant digits below 10, where a small --size (or a
    // short --round-ms, timed before the JIT has compiled the kernels) printed every figure as 0.0.
    static String gflops(double g) {
        return g >= 10 || g == 0 ? String.format("%.1f", g) : String.format("%.3g", g);
    }

    static String describe(ScaleBenchmark.Size s) {
        int[] h = s.hidden();
        boolean same = true;
        for (int x : h) same &= x == h[0];
        String w = h.length == 1 ? String.valueOf(h[0]) : same ? h[0] + "x" + h.length : Arrays.toString(h);
        // Whole epsilons without ".0" while a long holds them exactly (a cast of 1e300 gave the largest long).
        return w + "@" + (s.epsilon() == Math.rint(s.epsilon()) && s.epsilon() < 1e15 ? String.valueOf((long) s.epsilon()) : String.valueOf(s.epsilon()));
    }

    // Before the data is generated and the output directory made: SparseInit refuses a layer over 2^31-1 connections only
    // when that size's network is built, after the sizes before it have run, with an IllegalArgumentException; a layer
    // with none is built and timed.
    static void checkLayers(List<ScaleBenchmark.Size> sizes, int features, int classes) throws UsageException {
        Set<Long> totals = new HashSet<>();
        for (ScaleBenchmark.Size z : sizes) {
            int[] n = MlpConfig.sizes(features, z.hidden(), classes);
            double[] d = new Density.ErdosRenyi(z.epsilon()).densities(n);
            long total = 0;
            for (int l = 0; l < d.length; l++) {
                long c = SparseInit.connections(n[l + 1], n[l], d[l]);
                total += c;
                if (c > Integer.MAX_VALUE) {
                    throw new UsageException("--sizes: " + describe(z) + " gives the " + n[l] + " -> " + n[l + 1] + " layer " + c
                            + " connections, over the 2^31-1 one layer holds; use a smaller width or epsilon");
                }
                // As the training commands refuse it (LayerCheck): no input reaches the output, and its bytes per connection are infinite.
                if (c == 0) {
                    throw new UsageException("--sizes: " + describe(z) + " leaves the " + n[l] + " -> " + n[l + 1]
                            + " layer with no connections, so it could not learn; raise its epsilon");
                }
            }
            totals.add(total);
        }
        // A least-squares slope over one connection count is 0/0 (a size given twice, or widths whose layers are all dense).
        if (sizes.size() >= 2 && totals.size() == 1) {
            throw new UsageException("--sizes: every size gives " + totals.iterator().next() + " connections; the slopes against connections, and the"
                    + " chart, need sizes that differ in connections (one size alone is timed without them)");
        }
    }

    static List<ScaleBenchmark.Size> parseSizes(String spec) throws UsageException {
        List<ScaleBenchmark.Size> sizes = new ArrayList<>();
        for (String part : spec.split(",", -1)) { // -1: an empty last item is refused, as by the other list options
            String p = part.trim();
            try {
                int at = p.indexOf('@');
                if (at < 0 || !CsvReader.plainDecimal(p.substring(at + 1))) throw new NumberFormatException();
                String shape = p.substring(0, at);
                double eps = Double.parseDouble(p.substring(at + 1));
                int x = shape.indexOf('x');
                int width = Integer.parseInt(x < 0 ? shape : shape.substring(0, x));
                int layers = x < 0 ? 1 : Integer.parseInt(shape.substring(x + 1));
                if (width < 1 || layers < 1 || layers > 100 || !(eps > 0)) throw new NumberFormatException();
                int[] hidden = new int[layers];
                Arrays.fill(hidden, width);
                sizes.add(new ScaleBenchmark.Size(hidden, eps));
            } catch (NumberFormatException e) {
                throw new UsageException("--sizes: '" + p + "' is not WIDTH[xLAYERS]@EPSILON (e.g. 600000x3@20)");
            }
        }
        return sizes;
    }
}
