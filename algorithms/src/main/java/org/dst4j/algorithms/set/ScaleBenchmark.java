package org.dst4j.algorithms.set;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.dst4j.algorithms.ConfigChecks;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.SyntheticClassification;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.loss.Loss;
import org.dst4j.nn.loss.MeanSquaredError;
import org.dst4j.nn.loss.SoftmaxCrossEntropy;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.nn.plot.Charts;
import org.dst4j.nn.plot.LineChart;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.Evaluation;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RngStreams;
import org.dst4j.runtime.record.ArrayRecords;

/**
 * SET at scale: for each network size, one epoch of SET training on seeded synthetic data, then one
 * SET evolution step, then a streamed evaluation; records connections, time per epoch (training and
 * evolution apart), peak resident memory and bytes per connection, and test accuracy. Sizes run in
 * the order given, in one JVM; the kernel's peak-RSS counter is reset between them (Linux), so each
 * size's peak is its own.
 */
public final class ScaleBenchmark {
    /** Every size's measurements so far, rewritten after each size. */
    public static final String METRICS = "scale.json";
    /** Epoch time and memory against connections, log-log (written with two or more sizes). */
    public static final String CHART = "scale.png";

    /**
     * One network: hidden layer widths and the Erdős–Rényi epsilon of every layer.
     *
     * @param hidden hidden layer widths, input side first
     * @param epsilon every layer's Erdős–Rényi sparsity scale
     */
    public record Size(int[] hidden, double epsilon) {
        /**
         * Copies {@code hidden}: changing the caller's array afterwards does not change the size.
         *
         * @throws IllegalArgumentException if a hidden size is below 1, or {@code epsilon} is not finite and > 0
         */
        public Size {
            hidden = Objects.requireNonNull(hidden, "hidden").clone();
            ConfigChecks.hiddenSizes(hidden);
            ConfigChecks.positive("epsilon", epsilon);
        }

        /** Hidden layer widths; a copy. */
        @Override public int[] hidden() { return hidden.clone(); }

        // By content: the generated methods would compare and print the arrays by identity.
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

        @Override public int hashCode() { return ArrayRecords.hashCode(this); }

        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    /**
     * Data, training and evolution settings shared by all sizes.
     *
     * @param features features per synthetic sample
     * @param informative how many of them carry the class
     * @param classes classes of the synthetic data
     * @param separation how far apart the classes' clusters lie
     * @param train training samples
     * @param test test samples
     * @param batch samples per mini-batch (and per evaluation batch)
     * @param lr constant SGD learning rate
     * @param momentum SGD momentum
     * @param weightDecay SGD weight decay per step
     * @param zeta share of each layer the evolution step replaces
     * @param sigmoidMse a sigmoid output with mean squared error instead of softmax cross-entropy
     * @param seed seed of the data, the weights and every random choice
     * @param threads worker threads
     */
    public record Settings(int features, int informative, int classes, float separation, int train, int test,
                           int batch, float lr, float momentum, float weightDecay, double zeta, boolean sigmoidMse,
                           long seed, int threads) {
        /**
         * Checks every field, so that a bad value fails here rather than inside {@link ScaleBenchmark#run}, after its output
         * directory was made or its data generated.
         *
         * @throws IllegalArgumentException naming the field and its valid range
         */
        public Settings {
            ConfigChecks.atLeast("features", features, 1);
            if (informative < 1 || informative > features) {
                throw new IllegalArgumentException("informative must be in [1, " + features + "] (the features), got " + informative);
            }
            ConfigChecks.atLeast("classes", classes, 2);
            if (!(separation >= 0 && Float.isFinite(separation))) throw new IllegalArgumentException("separation must be finite and >= 0, got " + separation);
            ConfigChecks.atLeast("train", train, 1);
            ConfigChecks.atLeast("test", test, 1);
            ConfigChecks.atLeast("batch", batch, 1);
            Sgd.checkSettings(lr, momentum, weightDecay);
            // 1 is allowed here, unlike in a training run: the benchmark times the evolution step, whatever it replaces.
            ConfigChecks.inUnitInterval("zeta", zeta);
            WorkerPool.checkThreads(threads);
        }
    }

    /**
     * What one size measured.
     *
     * @param size the network
     * @param neurons its hidden neurons
     * @param connections its live connections
     * @param initSeconds building the network
     * @param trainSeconds one training epoch
     * @param evolutionSeconds one evolution step, after warm-up ones
     * @param evalSeconds evaluating the test set
     * @param testAccuracy test accuracy after the epoch
     * @param peakRssBytes the process's peak resident set size (-1 off Linux)
     * @param datasetBytes the training and test data's memory
     * @param modelBytes the network's memory
     * @param peakResetWorked whether the peak was reset before this size, so that it is this size's own
     */
    public record Point(Size size, long neurons, long connections, double initSeconds, double trainSeconds,
                        double evolutionSeconds, double evalSeconds, double testAccuracy, long peakRssBytes,
                        long datasetBytes, long modelBytes, boolean peakResetWorked) {
        /** (peak RSS − dataset) per connection. */
        public double bytesPerConnection() { return (double) (peakRssBytes - datasetBytes) / connections; }

        /** Evolution time as a share of training + evolution time. */
        public double evolutionShare() { return evolutionSeconds / epochSeconds(); }

        /** One epoch: training plus evolution. */
        public double epochSeconds() { return trainSeconds + evolutionSeconds; }
    }

    /** Told as sizes progress. */
    public interface Progress {
        /** A line of news (data generated, warm-up done). */
        default void message(String line) {}

        /** A size finished. */
        default void point(Point p) {}
    }

    private ScaleBenchmark() {}

    /**
     * Runs every size; writes {@code out/scale.json} after each size and, with two sizes or more, {@code out/scale.png}.
     *
     * @param progress told of every size and of the data and warm-up, or null for no progress reporting
     */
    public static List<Point> run(Settings s, List<Size> sizes, Path out, Progress progress) throws IOException {
        Objects.requireNonNull(s, "s");
        Objects.requireNonNull(sizes, "sizes");
        Objects.requireNonNull(out, "out");
        // As for the training runs: null reports nothing (it failed once the data had been generated).
        if (progress == null) progress = new Progress() {};
        Files.createDirectories(out);
        List<Point> points = new ArrayList<>();
        RngStreams rng = new RngStreams(s.seed());
        try (WorkerPool pool = new WorkerPool(s.threads())) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            SyntheticClassification gen = new SyntheticClassification(s.seed(), s.features(), s.informative(), s.classes(), s.separation());
            long t0 = System.nanoTime();
            try (Dataset train = gen.generate("synthetic/train", 0, s.train(), pool);
                 Dataset test = gen.generate("synthetic/test", s.train(), s.test(), pool)) {
                long datasetBytes = train.segment().byteSize() + test.segment().byteSize();
                progress.message(String.format("data: %d train + %d test samples x %d features (%d informative, %d classes), %.1f GB, generated in %.1f s",
                        s.train(), s.test(), s.features(), s.informative(), s.classes(), datasetBytes / 1e9, (System.nanoTime() - t0) / 1e9));
                // the first size once more before measuring, so no figure includes JIT compilation
                if (!sizes.isEmpty()) {
                    long tw = System.nanoTime();
                    runOne(s, sizes.getFirst(), train, test, datasetBytes, pk, rng, WARMUP_EVOLUTIONS);
                    progress.message(String.format("warm-up (first size, not recorded): %.1f s", (System.nanoTime() - tw) / 1e9));
                }
                for (Size size : sizes) {
                    Point p = runOne(s, size, train, test, datasetBytes, pk, rng, 1);
                    points.add(p);
                    progress.point(p);
                    AtomicFiles.writeString(out.resolve(METRICS), Json.write(metrics(s, points)) + "\n");
                }
            }
        }
        if (points.size() >= 2) Charts.write(out.resolve(CHART), f -> chart(points).write(f));
        return points;
    }

    /**
     * Re-draws {@code dir/scale.png} from {@code dir/scale.json} (e.g. after a change to the chart),
     * without running anything; returns the points read.
     *
     * @throws IOException if {@code dir/scale.json} is missing, unreadable, not a result of {@link #run} or of fewer than
     *     2 sizes, or the chart cannot be drawn or written
     */
    public static List<Point> replot(Path dir) throws IOException {
        Path json = dir.resolve(METRICS);
        if (!Files.isRegularFile(json)) throw new IOException(json + ": no such file (run 'bench scale --out " + dir + "' first)");
        List<Point> ps = new ArrayList<>();
        try {
            Object sizes = Json.parseObject(Json.readFile(json)).get("sizes");
            if (!(sizes instanceof List<?> rows)) throw new IllegalArgumentException("field 'sizes': expected a list");
            for (Object o : rows) {
                if (!(o instanceof Map<?, ?> r)) throw new IllegalArgumentException("field 'sizes': expected objects");
                List<?> hidden = (List<?>) r.get("hidden");
                int[] h = new int[hidden.size()];
                for (int i = 0; i < h.length; i++) h[i] = ((Number) hidden.get(i)).intValue();
                ps.add(new Point(new Size(h, num(r, "epsilon")), (long) num(r, "hidden_neurons"), (long) num(r, "connections"),
                        num(r, "init_seconds"), num(r, "train_seconds"), num(r, "evolution_seconds"), num(r, "eval_seconds"),
                        num(r, "test_accuracy"), (long) num(r, "peak_rss_bytes"), (long) num(r, "dataset_bytes"), (long) num(r, "model_bytes"),
                        Boolean.TRUE.equals(r.get("peak_rss_is_per_size"))));
            }
        } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
            throw new IOException(json + ": not a scale benchmark result (" + e.getMessage() + ")");
        }
        if (ps.size() < 2) throw new IOException(json + ": a chart needs at least 2 sizes, found " + ps.size());
        if (!Charts.available()) throw new IOException("cannot draw " + dir.resolve(CHART) + ": this Java runtime has no java.desktop module");
        chart(ps).write(dir.resolve(CHART));
        return ps;
    }

    private static double num(Map<?, ?> r, String field) {
        if (!(r.get(field) instanceof Number n)) throw new IllegalArgumentException("field '" + field + "': expected a number");
        return n.doubleValue();
    }

    // Evolution runs once per epoch, so one warm-up epoch would leave it interpreted; JMH-style, repeat it.
    private static final int WARMUP_EVOLUTIONS = 8;

    private static Point runOne(Settings s, Size size, Dataset train, Dataset test, long datasetBytes, ParallelKernels pk, RngStreams rng,
                                int evolutions) {
        boolean reset = resetPeakRss();
        int[] hidden = size.hidden();
        int[] sizes = MlpConfig.sizes(s.features(), hidden, s.classes());
        long neurons = 0;
        for (int h : hidden) neurons += h;
        Activation output = s.sigmoidMse() ? Activation.sigmoid() : Activation.linear();
        Loss loss = s.sigmoidMse() ? new MeanSquaredError() : new SoftmaxCrossEntropy();
        MlpConfig cfg = new MlpConfig(sizes, "relu", 0.6f, output, 0f, new Density.ErdosRenyi(size.epsilon()), new WeightInit.HeUniform());
        long t0 = System.nanoTime();
        try (SparseMlp net = SparseMlp.create(cfg, rng.stream("init").split(neurons), rng.stream("dropout").nextLong())) {
            long t1 = System.nanoTime();
            Trainer.Settings ts = new Trainer.Settings(1, s.batch(), new LearningRate.Constant(s.lr()), new Sgd(s.momentum(), s.weightDecay()),
                    loss, null, s.batch());
            Trainer.State state = new Trainer.State(rng.stream("shuffle").split(neurons), rng.stream("evolution").split(neurons));
            double[] trainSeconds = new double[1];
            new Trainer(pk, ts).run(net, train, null, null, state, new Trainer.Listener() {
                @Override public void epochDone(EpochMetrics m, Trainer.State st) { trainSeconds[0] = m.epochSeconds(); }
            });
            TopologyEvolution set = TopologyEvolution.set(s.zeta(), new WeightInit.HeUniform());
            for (int i = 1; i < evolutions; i++) net.evolve(set, s.zeta(), state.evolution, pk);
            long t2 = System.nanoTime();
            net.evolve(set, s.zeta(), state.evolution, pk);
            long t3 = System.nanoTime();
            Evaluation ev = Evaluation.of(pk, net, test, null, loss, s.batch());
            long t4 = System.nanoTime();
            return new Point(size, neurons, net.connections(), (t1 - t0) / 1e9, trainSeconds[0], (t3 - t2) / 1e9, (t4 - t3) / 1e9,
                    ev.accuracy(), peakRss(), datasetBytes, net.byteSize(), reset);
        }
    }

    // Linux: writing 5 to clear_refs resets VmHWM to the current RSS.
    private static boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Peak resident set size of this process in bytes (Linux VmHWM), or -1. */
    public static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    /** Fitted log-log slope of epoch time against connections (at least 2 points). */
    public static double epochTimeSlope(List<Point> ps) {
        return logLogSlope(connections(ps), epochSeconds(ps));
    }

    /** Least-squares slope of log(y) against log(x). */
    public static double logLogSlope(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += Math.log(x[i]);
            my += Math.log(y[i]);
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < n; i++) {
            double dx = Math.log(x[i]) - mx;
            sxy += dx * (Math.log(y[i]) - my);
            sxx += dx * dx;
        }
        return sxy / sxx;
    }

    private static double[] connections(List<Point> ps) {
        return ps.stream().mapToDouble(Point::connections).toArray();
    }

    private static double[] epochSeconds(List<Point> ps) {
        return ps.stream().mapToDouble(Point::epochSeconds).toArray();
    }

    private static double[] memoryBytes(List<Point> ps) {
        return ps.stream().mapToDouble(p -> p.peakRssBytes() - p.datasetBytes()).toArray();
    }

    private static LineChart chart(List<Point> ps) {
        double[] c = connections(ps), t = epochSeconds(ps), m = memoryBytes(ps);
        double[] lc = new double[c.length], lt = new double[c.length], lm = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            lc[i] = Math.log10(c[i]);
            lt[i] = Math.log10(t[i]);
            lm[i] = Math.log10(m[i] / 1e9);
        }
        return new LineChart("SET at scale: cost against connections (log-log)", "log10 connections", "log10 value")
                .add(String.format("epoch time, s (slope %.3f)", logLogSlope(c, t)), lc, lt)
                .add(String.format("peak RSS minus data, GB (slope %.3f)", logLogSlope(c, m)), lc, lm);
    }

    static Map<String, Object> metrics(Settings s, List<Point> ps) {
        Map<String, Object> m = new LinkedHashMap<>();
        // In this order: Map.ofEntries iterates in an order drawn anew by each JVM, so two runs wrote the keys differently.
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("features", s.features());
        settings.put("informative", s.informative());
        settings.put("classes", s.classes());
        settings.put("separation", s.separation());
        settings.put("train", s.train());
        settings.put("test", s.test());
        settings.put("batch", s.batch());
        settings.put("lr", s.lr());
        settings.put("momentum", s.momentum());
        settings.put("weight_decay", s.weightDecay());
        settings.put("zeta", s.zeta());
        settings.put("output", s.sigmoidMse() ? "sigmoid+mse" : "softmax+ce");
        settings.put("seed", s.seed());
        settings.put("threads", s.threads());
        m.put("settings", settings);
        List<Object> rows = new ArrayList<>();
        for (Point p : ps) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("hidden", p.size().hidden());
            r.put("epsilon", p.size().epsilon());
            r.put("hidden_neurons", p.neurons());
            r.put("connections", p.connections());
            r.put("init_seconds", p.initSeconds());
            r.put("train_seconds", p.trainSeconds());
            r.put("evolution_seconds", p.evolutionSeconds());
            r.put("evolution_share", p.evolutionShare());
            r.put("eval_seconds", p.evalSeconds());
            r.put("test_accuracy", p.testAccuracy());
            r.put("peak_rss_bytes", p.peakRssBytes());
            r.put("peak_rss_is_per_size", p.peakResetWorked());
            r.put("dataset_bytes", p.datasetBytes());
            r.put("model_bytes", p.modelBytes());
            r.put("bytes_per_connection", p.bytesPerConnection());
            rows.add(r);
        }
        m.put("sizes", rows);
        if (ps.size() >= 2) {
            m.put("epoch_time_slope", epochTimeSlope(ps));
            m.put("memory_slope", logLogSlope(connections(ps), memoryBytes(ps)));
        }
        return m;
    }
}
