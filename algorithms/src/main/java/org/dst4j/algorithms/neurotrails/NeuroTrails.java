package org.dst4j.algorithms.neurotrails;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.freetickets.FreeTickets;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.MetricsLog;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.model.ModelFile;
import org.dst4j.nn.model.MultiHeadClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.MultiHeadMlp;
import org.dst4j.nn.plot.BarChart;
import org.dst4j.nn.plot.Charts;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RngStreams;
import org.dst4j.runtime.record.ArrayRecords;

/**
 * NeuroTrails (Grooten et al. 2025): one sparse backbone shared by {@code M} dynamically sparse heads,
 * trained with one loss per head (summed, or averaged: {@link NeuroTrailsConfig#headLoss}), predictions
 * averaged. Trained with FreeTickets' DST schedule
 * ({@link FreeTickets#trainDst}) so that the comparisons below differ only in architecture.
 *
 * <p>The parameter budget is the connection count of a single sparse network of the same layer sizes
 * at {@code density}; the multi-head network (divided between backbone and heads as
 * {@link NeuroTrailsConfig#backboneShare} says) and the DST ensemble's members get the ERK densities
 * that spend the same budget in total.
 */
public final class NeuroTrails {
    /** Test metrics of the model and its heads, the budget split and the comparison table. */
    public static final String METRICS = "metrics.json";
    /** One JSON line per training epoch. */
    public static final String LOG = "metrics.jsonl";
    /** Test accuracy of each head and of their ensemble. */
    public static final String CHART = "heads.png";
    /** The subdirectory holding the trained model, readable by {@link MultiHeadClassifier#load}. */
    public static final String MODEL_DIR = "model";
    /** The name {@link #networks} gives the path through the backbone and one head. */
    public static final String BACKBONE_AND_HEAD = "backbone + head";

    /**
     * One model's row of the comparison table.
     *
     * @param model what was trained
     * @param connections live connections of the whole model
     * @param scores the ensemble's test scores (probabilities averaged)
     * @param disagreement mean share of test samples on which two heads or members predict differently
     * @param kl mean KL divergence, in nats, between two heads' or members' predicted distributions
     * @param trainingFlops FLOPs of training, from the live connection counts of every step
     * @param seconds wall-clock seconds of its run
     */
    public record Row(String model, long connections, EnsembleMetrics.Scores scores, double disagreement, double kl,
                      long trainingFlops, double seconds) {}

    /**
     * The NeuroTrails model's evaluation (heads' probabilities averaged, as FreeTickets' metrics do), the
     * comparison rows (NeuroTrails first), and the NeuroTrails test scores with the heads' logits averaged
     * instead, the reference code's combination.
     *
     * @param test the model's and each head's test scores, and the heads' diversity
     * @param rows the comparison table: NeuroTrails, then (with {@code compare}) the single network and the DST ensemble
     * @param denseFlopsPerNetwork FLOPs of training one dense network of the full shape for the same epochs
     * @param logitMean the model's test scores with the heads' logits averaged
     */
    public record Result(EnsembleMetrics test, List<Row> rows, long denseFlopsPerNetwork, EnsembleMetrics.Scores logitMean) {
        /** Copies the rows: changing the caller's list afterwards does not change the result. */
        public Result {
            rows = List.copyOf(Objects.requireNonNull(rows, "rows"));
        }
    }

    private NeuroTrails() {}

    /**
     * Trains NeuroTrails into {@code out/model} and evaluates it on the test split; with {@code compare}
     * also the two baselines at the same parameter budget.
     *
     * @param cfg the architecture and its training settings
     * @param data training and test sets
     * @param standardize whether to fit a per-feature standardizer on the training set and save it with the model
     * @param compare whether to also train a single sparse network ({@code out/single}) and a FreeTickets
     *     DST ensemble of {@code cfg.heads()} members ({@code out/freetickets-dst})
     * @param out the run directory, created if missing; the files listed on the class are replaced
     * @param progress told of every batch and epoch, or null for no progress reporting
     * @return the model's test metrics and the comparison rows
     * @throws IOException if writing into {@code out} fails
     * @throws IllegalArgumentException if the training set is empty
     * @throws org.dst4j.nn.train.Trainer.DivergedException if a loss stops being finite
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted: the run stops before its
     *     next batch, naming the last completed epoch, and the thread's interrupt flag stays set (an interrupt that
     *     lands in a file write is an {@link java.io.InterruptedIOException} naming the file instead)
     */
    public static Result run(NeuroTrailsConfig cfg, DatasetSplit data, boolean standardize, boolean compare, Path out,
                             TrainingProgress progress) throws IOException {
        Objects.requireNonNull(cfg, "cfg");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(out, "out");
        data.train().requireTrainingSamples();
        if (progress == null) progress = new TrainingProgress() {};
        Files.createDirectories(out);
        int[] sizes = sizes(cfg, data);
        Split split = split(cfg, sizes);
        long budget = split.budget();
        double epsilon = split.epsilon(), headEpsilon = split.headEpsilon();
        Standardizer std = standardize ? Standardizer.fit(data.train()) : null;
        List<Row> rows = new ArrayList<>();
        List<Long> partConnections = new ArrayList<>(); // backbone, then each head
        EnsembleMetrics test;
        EnsembleMetrics.Scores logitMean;
        long t0 = System.nanoTime();
        try (WorkerPool pool = new WorkerPool(cfg.threads());
             MetricsLog log = MetricsLog.create(out.resolve(LOG))) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            MlpConfig full = new MlpConfig(sizes, cfg.activation(), 0.6f, Activation.linear(), cfg.dropout(), new Density.ErdosRenyi(epsilon),
                    new WeightInit.HeUniform());
            RngStreams rng = new RngStreams(cfg.seed());
            try (MultiHeadMlp net = MultiHeadMlp.create(full, cfg.sharedLayers(), cfg.heads(),
                    "sum".equals(cfg.headLoss()) ? MultiHeadMlp.HeadLoss.SUM : MultiHeadMlp.HeadLoss.MEAN, new Density.ErdosRenyi(headEpsilon),
                    rng.stream("init"), rng.stream("dropout"))) {
                net.headInputDropout(cfg.headInputDropout(), rng.stream("head-input-dropout").nextLong());
                FreeTickets.trainDst(net, schedule(cfg, Variant.DST, 1, cfg.density()), cfg.seed(), data, std, pk, log, progress, "neurotrails", 0);
                MultiHeadClassifier.save(net, out.resolve(MODEL_DIR), std, manifestInfo(cfg, data));
                double seconds = (System.nanoTime() - t0) / 1e9;
                try (MultiHeadClassifier c = MultiHeadClassifier.load(out.resolve(MODEL_DIR), cfg.threads())) {
                    List<float[]> heads = c.headProbabilities(data.test());
                    test = EnsembleMetrics.of(heads, data.test().labels(), c.classes());
                    logitMean = EnsembleMetrics.Scores.of(logitMean(heads, c.classes()), data.test().labels(), c.classes(), EnsembleMetrics.ECE_BINS);
                }
                rows.add(row("NeuroTrails (M=" + cfg.heads() + ", shared " + cfg.sharedLayers() + ")", net.connections(), test, net.trainingFlops(), seconds));
                partConnections.add(net.backbone().connections());
                for (var h : net.heads()) partConnections.add(h.connections());
            }
        }
        if (compare) {
            long t1 = System.nanoTime();
            FreeTickets.Result single = FreeTickets.run(schedule(cfg, Variant.DST, 1, cfg.density()), data, standardize, out.resolve("single"), progress);
            rows.add(row("single sparse network", budget(out.resolve("single")), single.test(), single.trainingFlops(), (System.nanoTime() - t1) / 1e9));
            double memberDensity = densityFor(List.of(sizes), budget / cfg.heads());
            long t2 = System.nanoTime();
            FreeTickets.Result dst = FreeTickets.run(schedule(cfg, Variant.DST, cfg.heads(), memberDensity), data, standardize,
                    out.resolve("freetickets-dst"), progress);
            rows.add(row("FreeTickets DST (M=" + cfg.heads() + ")", budget(out.resolve("freetickets-dst")), dst.test(), dst.trainingFlops(),
                    (System.nanoTime() - t2) / 1e9));
        }
        Result r = new Result(test, rows, denseFlops(sizes, data, cfg), logitMean);
        AtomicFiles.writeString(out.resolve(METRICS), Json.write(metrics(cfg, r, budget, epsilon, headEpsilon, partConnections)) + "\n");
        Charts.write(out.resolve(CHART), f -> {
            BarChart chart = new BarChart("NeuroTrails: heads vs ensemble (test)", "accuracy");
            for (int h = 0; h < test.members().size(); h++) chart.add("head " + (h + 1), test.members().get(h).accuracy(), false);
            chart.add("ensemble", test.ensemble().accuracy(), true).write(f);
        });
        return r;
    }

    // The parameter budget and the Erdős–Rényi scales of the backbone and of the heads that spend it.
    private record Split(long budget, double epsilon, double headEpsilon) {}

    private static Split split(NeuroTrailsConfig cfg, int[] sizes) {
        long budget = connections(List.of(sizes), cfg.density(), 1);
        List<int[]> parts = new ArrayList<>();
        parts.add(Arrays.copyOfRange(sizes, 0, cfg.sharedLayers() + 1));
        for (int h = 0; h < cfg.heads(); h++) parts.add(Arrays.copyOfRange(sizes, cfg.sharedLayers(), sizes.length));
        double epsilon = epsilonFor(parts, budget), headEpsilon = epsilon;
        if (!"erk".equals(cfg.backboneShare())) {
            // An explicit split: the backbone's ERK scale spends its share, the heads' scale the rest.
            long backbone = "single".equals(cfg.backboneShare()) ? singleConnections(sizes, cfg.density(), cfg.sharedLayers())
                    : Math.round(budget * cfg.backboneFraction());
            epsilon = epsilonFor(parts.subList(0, 1), backbone);
            headEpsilon = epsilonFor(parts.subList(1, parts.size()), budget - erConnections(parts.subList(0, 1), epsilon));
        }
        return new Split(budget, epsilon, headEpsilon);
    }

    /**
     * A sparse network {@link #run} creates.
     *
     * @param name what it is
     * @param sizes layer sizes, input first
     * @param densities each layer's expected density
     */
    public record Network(String name, int[] sizes, double[] densities) {
        /** Copies the arrays: changing the caller's afterwards does not change the network. */
        public Network {
            sizes = Objects.requireNonNull(sizes, "sizes").clone();
            densities = Objects.requireNonNull(densities, "densities").clone();
        }

        /** Layer sizes, input first; a copy. */
        @Override public int[] sizes() { return sizes.clone(); }

        /** Each layer's expected density; a copy. */
        @Override public double[] densities() { return densities.clone(); }

        // By content: the generated methods would compare and print the arrays by identity.
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

        @Override public int hashCode() { return ArrayRecords.hashCode(this); }

        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    // As the other models' headers: the settings, and the training data's checksum, which predict uses to
    // recognize a single file's held-out split.
    private static Map<String, Object> manifestInfo(NeuroTrailsConfig cfg, DatasetSplit data) {
        Map<String, Object> p = ModelFile.provenance("neurotrails", cfg.seed(), data.train().name(), data.train().checksum(), Map.of());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("algorithm", "neurotrails");
        m.put("shared_layers", cfg.sharedLayers());
        m.put("training", Map.of("config", cfg.toMap()));
        m.put("provenance", p);
        return m;
    }

    /**
     * The sparse networks {@link #run} creates for data of {@code features} features and {@code classes}
     * classes: the backbone followed by one head (all heads are alike), and with {@code compare} the
     * single network and a FreeTickets DST member; so that a configuration can be checked before training.
     */
    public static List<Network> networks(NeuroTrailsConfig cfg, int features, int classes, boolean compare) {
        int[] sizes = sizes(cfg, features, classes);
        Split split = split(cfg, sizes);
        double[] backbone = new Density.ErdosRenyi(split.epsilon()).densities(Arrays.copyOfRange(sizes, 0, cfg.sharedLayers() + 1));
        double[] head = new Density.ErdosRenyi(split.headEpsilon()).densities(Arrays.copyOfRange(sizes, cfg.sharedLayers(), sizes.length));
        double[] path = Arrays.copyOf(backbone, sizes.length - 1);
        System.arraycopy(head, 0, path, backbone.length, head.length);
        List<Network> n = new ArrayList<>();
        n.add(new Network(BACKBONE_AND_HEAD, sizes, path));
        if (compare) {
            n.add(new Network("single network", sizes, new Density.Erk(cfg.density()).densities(sizes)));
            n.add(new Network("DST member", sizes, new Density.Erk(densityFor(List.of(sizes), split.budget() / cfg.heads())).densities(sizes)));
        }
        return n;
    }

    /**
     * The softmax of the heads' mean logits, from their probabilities: a head's log-probabilities are its
     * logits less a per-sample constant, which the softmax drops, so this is the normalised geometric mean
     * of the heads' probabilities.
     */
    static float[] logitMean(List<float[]> headProbs, int classes) {
        float[] first = headProbs.getFirst();
        float[] out = new float[first.length];
        double[] mean = new double[classes];
        for (int i = 0; i < first.length / classes; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                double sum = 0;
                for (float[] p : headProbs) sum += StrictMath.log(Math.max(p[i * classes + j], 1e-30f));
                mean[j] = sum / headProbs.size();
                max = Math.max(max, mean[j]);
            }
            double z = 0;
            for (int j = 0; j < classes; j++) z += StrictMath.exp(mean[j] - max);
            for (int j = 0; j < classes; j++) out[i * classes + j] = (float) (StrictMath.exp(mean[j] - max) / z);
        }
        return out;
    }

    // FreeTickets' DST schedule with NeuroTrails' training settings.
    private static FreeTicketsConfig schedule(NeuroTrailsConfig cfg, Variant v, int members, double density) {
        return new FreeTicketsConfig(v, members, cfg.hidden(), density, cfg.epochs(), 0, 1, cfg.batch(), cfg.lr(), cfg.momentum(),
                cfg.weightDecay(), cfg.dropout(), cfg.activation(), cfg.pruneRate(), 0, cfg.updateInterval(), cfg.grow(), cfg.seed(), cfg.threads())
                .withPruneScope(cfg.pruneScope());
    }

    private static Row row(String name, long connections, EnsembleMetrics m, long flops, double seconds) {
        return new Row(name, connections, m.ensemble(), EnsembleMetrics.meanOffDiagonal(m.disagreement()), EnsembleMetrics.meanOffDiagonal(m.kl()),
                flops, seconds);
    }

    // Connections of the models in an ensemble directory, read from their headers.
    private static long budget(Path dir) throws IOException {
        long n = 0;
        try (var e = org.dst4j.nn.model.EnsembleClassifier.load(dir, 1)) {
            for (var c : e.members()) n += c.network().connections();
        }
        return n;
    }

    // One dense network of the full shape for the same epochs: 6 FLOPs per weight and sample (4 for the first layer).
    private static long denseFlops(int[] sizes, DatasetSplit data, NeuroTrailsConfig cfg) {
        long perSample = 0;
        for (int l = 0; l + 1 < sizes.length; l++) perSample += (l == 0 ? 4L : 6L) * sizes[l] * sizes[l + 1];
        return perSample * data.train().samples() * cfg.epochs();
    }

    static int[] sizes(NeuroTrailsConfig cfg, DatasetSplit data) {
        return sizes(cfg, data.train().features(), data.train().classes());
    }

    private static int[] sizes(NeuroTrailsConfig cfg, int features, int classes) {
        return MlpConfig.sizes(features, cfg.hidden(), classes);
    }

    /** Expected connections of networks with the given layer sizes, each at ERK global density {@code d}. */
    static long connections(List<int[]> parts, double d, int copies) {
        double n = 0;
        for (int[] s : parts) {
            double[] dens = new Density.Erk(d).densities(s);
            for (int l = 0; l < dens.length; l++) n += Math.round(dens[l] * s[l] * s[l + 1]);
        }
        return Math.round(n * copies);
    }

    /**
     * The Erdős–Rényi epsilon at which all layers of {@code parts} together hold {@code budget}
     * connections: ERK over the whole multi-head network (one scale for every layer, small layers capped
     * dense), rather than per part, so a head's small output layer is as dense as the single network's.
     */
    static double epsilonFor(List<int[]> parts, long budget) {
        double lo = 0, hi = 1;
        while (erConnections(parts, hi) < budget && hi < 1e12) hi *= 2;
        for (int i = 0; i < 100; i++) {
            double mid = (lo + hi) / 2;
            if (erConnections(parts, mid) < budget) lo = mid;
            else hi = mid;
        }
        return hi;
    }

    /** Expected connections of the first {@code layers} layers of the single network {@code sizes} at ERK density {@code d}. */
    static long singleConnections(int[] sizes, double d, int layers) {
        double[] dens = new Density.Erk(d).densities(sizes);
        double n = 0;
        for (int l = 0; l < layers; l++) n += Math.round(dens[l] * sizes[l] * sizes[l + 1]);
        return Math.round(n);
    }

    static long erConnections(List<int[]> parts, double epsilon) {
        double n = 0;
        for (int[] s : parts) {
            double[] dens = new Density.ErdosRenyi(epsilon).densities(s);
            for (int l = 0; l < dens.length; l++) n += Math.round(dens[l] * s[l] * s[l + 1]);
        }
        return Math.round(n);
    }

    /** The ERK global density at which {@code parts} together hold {@code budget} connections (bisection). */
    static double densityFor(List<int[]> parts, long budget) {
        double lo = 1e-9, hi = 1;
        if (connections(parts, hi, 1) <= budget) return 1;
        // ERK per network: each DST member is the single network's shape at a lower global density
        for (int i = 0; i < 60; i++) {
            double mid = (lo + hi) / 2;
            if (connections(parts, mid, 1) < budget) lo = mid;
            else hi = mid;
        }
        return hi;
    }

    private static Map<String, Object> metrics(NeuroTrailsConfig cfg, Result r, long budget, double epsilon, double headEpsilon,
                                               List<Long> partConnections) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", cfg.toMap());
        m.put("parameter_budget", budget);
        m.put("neurotrails_epsilon", epsilon);
        m.put("neurotrails_head_epsilon", headEpsilon);
        m.put("backbone_connections", partConnections.getFirst());
        m.put("head_connections", partConnections.subList(1, partConnections.size()));
        EnsembleMetrics t = r.test();
        m.put("ensemble", t.ensemble().toMap());
        List<Object> heads = new ArrayList<>();
        for (EnsembleMetrics.Scores s : t.members()) heads.add(s.toMap());
        m.put("heads", heads);
        // Map.of's order changes from JVM to JVM: two runs' metrics.json did not compare equal.
        m.put("ensemble_logit_mean", r.logitMean().toMap());
        m.put("disagreement", t.disagreement());
        m.put("kl", t.kl());
        List<Object> rows = new ArrayList<>();
        for (Row row : r.rows()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("model", row.model());
            x.put("connections", row.connections());
            x.put("accuracy", row.scores().accuracy());
            x.put("nll", row.scores().nll());
            x.put("ece", row.scores().ece());
            x.put("mean_disagreement", row.disagreement());
            x.put("mean_kl", row.kl());
            x.put("training_flops", row.trainingFlops());
            x.put("seconds", row.seconds());
            rows.add(x);
        }
        m.put("comparison", rows);
        m.put("dense_training_flops_one_network", r.denseFlopsPerNetwork());
        m.put("dense_training_flops_m_networks", r.denseFlopsPerNetwork() * cfg.heads());
        return m;
    }
}
