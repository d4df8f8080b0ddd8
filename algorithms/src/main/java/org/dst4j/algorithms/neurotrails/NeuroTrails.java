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
import org.dst4j.algorithms.ResumeChecks;
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
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.ModelFile;
import org.dst4j.nn.model.MultiHeadClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.MultiHeadMlp;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.nn.train.Trainer;
import org.dst4j.nn.plot.BarChart;
import org.dst4j.nn.plot.Charts;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RngStreams;
import org.dst4j.runtime.record.ArrayRecords;
import org.dst4j.runtime.resource.Closing;

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
    /**
     * The subdirectory holding the run's checkpoint while it runs: after every NeuroTrails epoch the backbone and heads
     * with their optimizer state, and the state file {@value #CHECKPOINT}; removed once the results are written.
     */
    public static final String CHECKPOINT_DIR = "checkpoint";
    /** The checkpoint's state file, written last at every save: a run directory holding it can be {@linkplain #resume resumed}. */
    public static final String CHECKPOINT = CHECKPOINT_DIR + "/state.json";
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
     * @param seconds seconds of its training, summed over a stop and resume
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
     * also the two baselines at the same parameter budget. After every NeuroTrails epoch the run's checkpoint
     * ({@value #CHECKPOINT_DIR}) is saved, from which {@link #resume} continues a run that was stopped or killed; it is
     * removed once the results are written.
     *
     * @param cfg the architecture and its training settings
     * @param data training and test sets
     * @param standardize whether to fit a per-feature standardizer on the training set and save it with the model
     * @param compare whether to also train a single sparse network ({@code out/single}) and a FreeTickets
     *     DST ensemble of {@code cfg.heads()} members ({@code out/freetickets-dst})
     * @param out the run directory, created if missing; {@value #MODEL_DIR}, {@value #LOG}, {@value #METRICS} and
     *     {@value #CHART} there are written over an earlier run's (whose checkpoint is removed before this run trains: a
     *     resume continues this run, not that one)
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
        return run(cfg, data, standardize, compare, out, progress, null);
    }

    /**
     * Continues the run whose checkpoint ({@value #CHECKPOINT}) is in {@code dir}, stopped or killed at any point
     * before its results were written, and ends it as it would have ended uninterrupted: the same model files, log
     * and metrics (the times aside), whatever the thread counts before and after. With {@code compare}, a baseline
     * that had finished is not trained again, and one under way is continued from its own FreeTickets checkpoint.
     *
     * @param dir the run's directory
     * @param data the data the run was started on: its training and test sets are checked against the checksums
     *     the checkpoint records
     * @param threads worker threads for the rest of the run
     * @param progress told of every batch and epoch still to train, or null for no progress reporting
     * @return as {@link #run}, for the whole run
     * @throws IOException if {@code dir} holds no readable NeuroTrails checkpoint (or its files do not match it),
     *     the data differs from the run's, or writing fails
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted, as for {@link #run}
     */
    public static Result resume(Path dir, DatasetSplit data, int threads, TrainingProgress progress) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(data, "data");
        Saved saved = Saved.read(dir, threads);
        ResumeChecks.sameData(dir, saved.trainChecksum(), saved.testChecksum(), saved.provenance(), data);
        return run(saved.cfg(), data, saved.standardize(), saved.compare(), dir, progress, saved);
    }

    /**
     * The configuration of the run whose checkpoint is in {@code dir} (with {@code threads}), whether it compares,
     * and the epochs it has trained over all its phases (NeuroTrails, then the single network's and the DST
     * members' when comparing): what {@link #resume} will continue, e.g. to size a progress display.
     *
     * @throws IOException if {@code dir} holds no readable NeuroTrails checkpoint
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     */
    public static Resumable resumable(Path dir, int threads) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Saved saved = Saved.read(dir, threads);
        int done = saved.epochsDone();
        for (Row r : saved.rows()) done += saved.cfg().epochs() * (r.model().startsWith("single") ? 1 : saved.cfg().heads());
        for (String sub : List.of(SINGLE_DIR, DST_DIR)) {
            if (saved.rows().stream().noneMatch(r -> sub.equals(subdirectory(r.model()))) && Files.isRegularFile(dir.resolve(sub).resolve(FreeTickets.CHECKPOINT))) {
                done += FreeTickets.resumable(dir.resolve(sub), threads).epochsDone();
            }
        }
        return new Resumable(saved.cfg(), saved.compare(), done);
    }

    /**
     * What a checkpoint says of its run.
     *
     * @param config the run's configuration
     * @param compare whether the run trains the two baselines too
     * @param epochsDone epochs trained so far over the whole run
     */
    public record Resumable(NeuroTrailsConfig config, boolean compare, int epochsDone) {
        /** Checks the count. */
        public Resumable {
            Objects.requireNonNull(config, "config");
            if (epochsDone < 0) throw new IllegalArgumentException("epochsDone must be >= 0, got " + epochsDone);
        }
    }

    private static final String SINGLE_DIR = "single", DST_DIR = "freetickets-dst";

    private static String subdirectory(String model) {
        return model.startsWith("single") ? SINGLE_DIR : model.startsWith("FreeTickets") ? DST_DIR : null;
    }

    private static Result run(NeuroTrailsConfig cfg, DatasetSplit data, boolean standardize, boolean compare, Path out,
                              TrainingProgress progress, Saved from) throws IOException {
        data.train().requireTrainingSamples();
        if (progress == null) progress = new TrainingProgress() {};
        AtomicFiles.createDirectoryFor(out, List.of(METRICS, LOG, CHART));
        Path model = out.resolve(MODEL_DIR);
        if (Files.exists(model) && !Files.isDirectory(model)) throw new IOException(model + ": a file, where the run writes its model's directory");
        int[] sizes = sizes(cfg, data);
        Split split = split(cfg, sizes);
        long budget = split.budget();
        double epsilon = split.epsilon(), headEpsilon = split.headEpsilon();
        Standardizer std = standardize ? Standardizer.fit(data.train()) : null;
        Checkpoint ck = new Checkpoint(out, cfg, standardize, compare, provenance(cfg, data), from);
        if (from == null) {
            ck.delete(); // an earlier run's, left by a stop: kept until this run's first save, a resume would have continued it
            // and its baselines' own: a resume of this run, stopped before it started a baseline, continued the earlier run's
            // as this run's (and resumable counted its epochs)
            for (String sub : List.of(SINGLE_DIR, DST_DIR)) Files.deleteIfExists(out.resolve(sub).resolve(FreeTickets.CHECKPOINT));
        }
        List<Row> rows = new ArrayList<>();
        List<Long> partConnections = new ArrayList<>(); // backbone, then each head
        EnsembleMetrics test;
        EnsembleMetrics.Scores logitMean;
        try (WorkerPool pool = new WorkerPool(cfg.threads());
             MetricsLog log = from == null ? MetricsLog.create(out.resolve(LOG)) : MetricsLog.resumeAfter(out.resolve(LOG), from.epochsDone())) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Sgd opt = new Sgd(cfg.momentum(), cfg.weightDecay());
            RngStreams rng = new RngStreams(cfg.seed());
            try (MultiHeadMlp net = from == null ? newNetwork(cfg, sizes, split, rng) : ck.network(opt, from, sizes)) {
                // Only once the log and the epoch's parts have been read: a resume refused (a log cut short, a part missing)
                // had already deleted the parts of the epoch it names, and nothing could continue the run then.
                if (from != null) ck.clean(from.epochsDone());
                net.headInputDropout(cfg.headInputDropout(), rng.stream("head-input-dropout").nextLong());
                Trainer.State state = FreeTickets.dstState(cfg.seed());
                long[] before = new long[2]; // the FLOPs the network had spent when it was loaded (its counters start at 0)
                if (from != null) {
                    state.epochsDone = from.epochsDone();
                    state.step = from.step();
                    state.shuffle.restore(from.rngShuffle());
                    state.evolution.restore(from.rngEvolution());
                    before = from.networkFlops();
                }
                long[] spent = before;
                FreeTickets.trainDst(net, schedule(cfg, Variant.DST, 1, cfg.density()), state, data, std, pk, log, progress, "neurotrails", 0,
                        s -> ck.save(net, opt, std, s, new long[] {spent[0] + net.trainingFlops(), spent[1] + net.denseTrainingFlops()}));
                MultiHeadClassifier.save(net, out.resolve(MODEL_DIR), std, manifestInfo(cfg, data));
                double seconds = ck.seconds();
                try (MultiHeadClassifier c = MultiHeadClassifier.load(out.resolve(MODEL_DIR), cfg.threads())) {
                    List<float[]> heads = c.headProbabilities(data.test());
                    test = EnsembleMetrics.of(heads, data.test().labels(), c.classes());
                    logitMean = EnsembleMetrics.Scores.of(logitMean(heads, c.classes()), data.test().labels(), c.classes(), EnsembleMetrics.ECE_BINS);
                }
                rows.add(row("NeuroTrails (M=" + cfg.heads() + ", shared " + cfg.sharedLayers() + ")", net.connections(), test,
                        spent[0] + net.trainingFlops(), seconds));
                partConnections.add(net.backbone().connections());
                for (var h : net.heads()) partConnections.add(h.connections());
            }
        }
        if (compare) {
            rows.add(baseline(ck, "single sparse network", schedule(cfg, Variant.DST, 1, cfg.density()), data, standardize, out, progress));
            double memberDensity = densityFor(List.of(sizes), budget / cfg.heads());
            rows.add(baseline(ck, "FreeTickets DST (M=" + cfg.heads() + ")", schedule(cfg, Variant.DST, cfg.heads(), memberDensity), data, standardize,
                    out, progress));
        }
        Result r = new Result(test, rows, denseFlops(sizes, data, cfg), logitMean);
        AtomicFiles.writeString(out.resolve(METRICS), Json.write(metrics(cfg, r, budget, epsilon, headEpsilon, partConnections)) + "\n");
        Charts.write(out.resolve(CHART), f -> {
            BarChart chart = new BarChart("NeuroTrails: heads vs ensemble (test)", "accuracy");
            for (int h = 0; h < test.members().size(); h++) chart.add("head " + (h + 1), test.members().get(h).accuracy(), false);
            chart.add("ensemble", test.ensemble().accuracy(), true).write(f);
        });
        // The run is whole: nothing left to resume.
        ck.delete();
        return r;
    }

    private static MultiHeadMlp newNetwork(NeuroTrailsConfig cfg, int[] sizes, Split split, RngStreams rng) {
        MlpConfig full = new MlpConfig(sizes, cfg.activation(), 0.6f, Activation.linear(), cfg.dropout(), new Density.ErdosRenyi(split.epsilon()),
                new WeightInit.HeUniform());
        return MultiHeadMlp.create(full, cfg.sharedLayers(), cfg.heads(),
                "sum".equals(cfg.headLoss()) ? MultiHeadMlp.HeadLoss.SUM : MultiHeadMlp.HeadLoss.MEAN, new Density.ErdosRenyi(split.headEpsilon()),
                rng.stream("init"), rng.stream("dropout"));
    }

    // A baseline of the comparison, trained into its subdirectory: its row as the checkpoint recorded it once it had
    // finished, or (in a resumed run) continued from its own checkpoint, or trained from the start, over whatever the
    // subdirectory held; recorded in the checkpoint once done.
    private static Row baseline(Checkpoint ck, String name, FreeTicketsConfig cfg, DatasetSplit data, boolean standardize, Path out,
                                TrainingProgress progress) throws IOException {
        String sub = subdirectory(name);
        Row done = ck.row(name);
        if (done != null) return done;
        Path dir = out.resolve(sub);
        FreeTickets.Result r;
        try {
            if (ck.resumed() && Files.isRegularFile(dir.resolve(FreeTickets.CHECKPOINT))) {
                r = FreeTickets.resume(dir, data, cfg.threads(), progress);
            } else {
                deleteTree(dir);
                r = FreeTickets.run(cfg, data, standardize, dir, progress);
            }
        } catch (Trainer.DivergedException e) {
            // FreeTickets names its member ("member 1/1"); which comparison it is, only this run knows.
            throw new Trainer.DivergedException(name + ", " + e.getMessage());
        }
        Row row = row(name, budget(dir), r.test(), r.trainingFlops(), r.trainSeconds());
        ck.rowDone(row);
        return row;
    }

    private static void deleteTree(Path p) throws IOException {
        AtomicFiles.deleteTree(p);
    }

    // The checkpoint's provenance: the data (resume checks it is given the same) and the test set.
    private static Map<String, Object> provenance(NeuroTrailsConfig cfg, DatasetSplit data) {
        Map<String, Object> more = new LinkedHashMap<>();
        more.put("test_checksum", data.test().checksum());
        more.put("train_samples", data.train().samples());
        more.put("test_samples", data.test().samples());
        return ModelFile.provenance("neurotrails", cfg.seed(), data.train().name(), data.train().checksum(), more);
    }

    // The run's checkpoint in out/checkpoint: after each NeuroTrails epoch E the parts backbone-E.dst4j, head-H-E.dst4j
    // (with their SGD state), then state.json, which names E, is replaced, then the parts of the epoch before are
    // deleted: a kill at any point leaves one whole epoch that state.json names. A baseline of the comparison is
    // added to state.json once it has finished.
    private static final class Checkpoint {
        private final Path dir;
        private final NeuroTrailsConfig cfg;
        private final boolean standardize, compare;
        private final Map<String, Object> provenance;
        private final double secondsBefore;
        private final long t0 = System.nanoTime();
        private final List<Row> rows;
        private final boolean resumed;
        private Map<String, Object> training;
        private double trainSeconds;

        Checkpoint(Path out, NeuroTrailsConfig cfg, boolean standardize, boolean compare, Map<String, Object> provenance, Saved from) {
            this.dir = out.resolve(CHECKPOINT_DIR);
            this.cfg = cfg;
            this.standardize = standardize;
            this.compare = compare;
            this.provenance = provenance;
            secondsBefore = from == null ? 0 : from.seconds();
            trainSeconds = secondsBefore;
            rows = from == null ? new ArrayList<>() : new ArrayList<>(from.rows());
            training = from == null ? null : from.training();
            resumed = from != null;
        }

        boolean resumed() {
            return resumed;
        }

        // Seconds of training, over a stop and resume, when the last epoch was saved.
        double seconds() {
            return trainSeconds;
        }

        static String part(String name, int epoch) {
            return name + "-" + epoch + ".dst4j";
        }

        void save(MultiHeadMlp net, Sgd opt, Standardizer std, Trainer.State s, long[] networkFlops) throws IOException {
            Files.createDirectories(dir);
            int e = s.epochsDone;
            ModelFile.save(dir.resolve(part("backbone", e)), net.backbone(), opt, std, Map.of());
            for (int h = 0; h < net.heads().size(); h++) ModelFile.save(dir.resolve(part("head-" + (h + 1), e)), net.heads().get(h), opt, null, Map.of());
            trainSeconds = secondsBefore + (System.nanoTime() - t0) / 1e9;
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("config", cfg.toMap());
            t.put("standardize", standardize);
            t.put("compare", compare);
            t.put("epochs_done", e);
            t.put("step", s.step);
            t.put("rng_shuffle", s.shuffle.state());
            t.put("rng_evolution", s.evolution.state());
            t.put("network_flops", networkFlops.clone());
            t.put("train_seconds", trainSeconds);
            training = t;
            write();
            manifest(e);
            removeParts(e);
        }

        // The epoch's parts as a multi-head model (predict --model DIR/checkpoint scores the network as the run left it),
        // written after the state file names the epoch and before the parts of the epoch before are removed.
        private void manifest(int epoch) throws IOException {
            List<String> heads = new ArrayList<>();
            for (int h = 1; h <= cfg.heads(); h++) heads.add(part("head-" + h, epoch));
            // as the finished model's manifest says, with how far the run got (inspect shows it)
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("algorithm", "neurotrails");
            m.put("shared_layers", cfg.sharedLayers());
            Map<String, Object> training = new LinkedHashMap<>(); // Map.of's order differs from one JVM to the next
            training.put("config", cfg.toMap());
            training.put("epochs_done", epoch);
            m.put("training", training);
            m.put("provenance", provenance);
            MultiHeadClassifier.writeManifest(dir, part("backbone", epoch), heads, m);
        }

        void rowDone(Row r) throws IOException {
            rows.add(r);
            write();
        }

        Row row(String model) {
            for (Row r : rows) if (r.model().equals(model)) return r;
            return null;
        }

        private void write() throws IOException {
            Map<String, Object> t = new LinkedHashMap<>(training);
            List<Object> done = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("model", r.model());
                m.put("connections", r.connections());
                m.putAll(r.scores().toMap());
                m.put("disagreement", r.disagreement());
                m.put("kl", r.kl());
                m.put("training_flops", r.trainingFlops());
                m.put("seconds", r.seconds());
                done.add(m);
            }
            t.put("baselines_done", done);
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("training", t);
            h.put("provenance", provenance);
            AtomicFiles.writeString(dir.resolve("state.json"), Json.write(h) + "\n");
        }

        // Every part but epoch `keep`'s, and the temporaries of writes a kill cut short.
        private void removeParts(int keep) throws IOException {
            String suffix = "-" + keep + ".dst4j";
            try (var entries = Files.newDirectoryStream(dir)) {
                for (Path p : entries) {
                    String n = p.getFileName().toString();
                    if ((n.endsWith(".dst4j") && !n.endsWith(suffix)) || (n.startsWith(".") && n.endsWith(".tmp"))) Files.deleteIfExists(p);
                }
            }
        }

        // Before a resumed run writes again: what a kill left half-done, here and in the run directory.
        void clean(int epoch) throws IOException {
            manifest(epoch); // a kill before this epoch's manifest left the one before, whose parts go now
            removeParts(epoch);
            Path out = dir.getParent();
            AtomicFiles.removeTemporaries(out, List.of(METRICS, LOG, CHART));
            Path model = out.resolve(MODEL_DIR);
            List<String> names = new ArrayList<>(List.of("backbone.dst4j", MultiHeadClassifier.MANIFEST));
            for (int h = 1; h <= cfg.heads(); h++) names.add("head-" + h + ".dst4j");
            AtomicFiles.removeTemporaries(model, names);
        }

        // The network of the epoch the state names, with its SGD state, checked against the shape the run's settings make.
        MultiHeadMlp network(Sgd opt, Saved at, int[] sizes) throws IOException {
            int e = at.epochsDone();
            Path backboneFile = dir.resolve(part("backbone", e));
            SparseMlp backbone = load(backboneFile, opt, Arrays.copyOfRange(sizes, 0, cfg.sharedLayers() + 1));
            List<SparseMlp> heads = new ArrayList<>();
            try {
                for (int h = 1; h <= cfg.heads(); h++) {
                    heads.add(load(dir.resolve(part("head-" + h, e)), opt, Arrays.copyOfRange(sizes, cfg.sharedLayers(), sizes.length)));
                }
            } catch (IOException | RuntimeException | Error x) {
                Closing.after(x, backbone::close, () -> Closing.each(heads, SparseMlp::close));
                throw x;
            }
            return new MultiHeadMlp(backbone, heads, "sum".equals(cfg.headLoss()) ? MultiHeadMlp.HeadLoss.SUM : MultiHeadMlp.HeadLoss.MEAN);
        }

        private static SparseMlp load(Path file, Sgd opt, int[] sizes) throws IOException {
            if (!Files.isRegularFile(file)) throw new IOException(file + ": missing; the checkpoint's state names it (files removed by hand?)");
            SparseMlp net = ModelFile.load(file, opt).net();
            if (!Arrays.equals(net.config().sizes(), sizes)) {
                int[] got = net.config().sizes();
                net.close();
                throw new IOException(file + " holds layers " + Arrays.toString(got) + ", but the run's settings on this data make "
                        + Arrays.toString(sizes) + " (file edited?)");
            }
            return net;
        }

        void delete() throws IOException {
            deleteTree(dir);
        }
    }

    // What the checkpoint's state file says (Checkpoint.write writes it).
    private record Saved(NeuroTrailsConfig cfg, boolean standardize, boolean compare, int epochsDone, long step, long[] rngShuffle,
                         long[] rngEvolution, long[] networkFlops, double seconds, List<Row> rows, long trainChecksum, long testChecksum,
                         Map<String, Object> provenance, Map<String, Object> training) {
        static Saved read(Path dir, int threads) throws IOException {
            WorkerPool.checkThreads(threads);
            Path file = dir.resolve(CHECKPOINT);
            if (!Files.isRegularFile(file)) {
                throw new IOException(dir + ": " + (Files.isRegularFile(dir.resolve(FreeTickets.CHECKPOINT))
                        ? "no " + CHECKPOINT + " there (it holds " + FreeTickets.CHECKPOINT + ", the checkpoint of a freetickets, set, quickselection or spacenet run: that command's --resume continues it)"
                        : ResumeChecks.noCheckpoint(dir, CHECKPOINT, METRICS)));
            }
            try {
                Map<String, Object> h = Json.parseObject(Json.readFile(file));
                Map<String, Object> t = Json.getObject(h, "training");
                NeuroTrailsConfig cfg = NeuroTrailsConfig.fromMap(Json.getObject(t, "config"), threads);
                boolean standardize = Json.getBoolean(t, "standardize"), compare = Json.getBoolean(t, "compare");
                int epochsDone = Json.getInt(t, "epochs_done");
                if (epochsDone < 1 || epochsDone > cfg.epochs()) {
                    throw new IllegalArgumentException("field 'epochs_done': " + epochsDone + " is not in [1, " + cfg.epochs() + "]");
                }
                long step = Json.getLong(t, "step");
                if (step < 0) throw new IllegalArgumentException("field 'step': expected a count >= 0, got " + step);
                long[] flops = Json.getLongs(t, "network_flops");
                if (flops.length != 2 || flops[0] < 0 || flops[1] < 0) throw new IllegalArgumentException("field 'network_flops': expected two counts >= 0");
                double seconds = Json.getDouble(t, "train_seconds");
                if (!(seconds >= 0)) throw new IllegalArgumentException("field 'train_seconds': expected a time >= 0, got " + seconds);
                if (!(t.get("baselines_done") instanceof List<?> list)) {
                    throw new IllegalArgumentException("field 'baselines_done': expected an array, got " + t.get("baselines_done"));
                }
                List<Row> rows = new ArrayList<>();
                for (Object o : list) {
                    if (!(o instanceof Map<?, ?> raw)) throw new IllegalArgumentException("field 'baselines_done': expected objects, got " + o);
                    @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) raw;
                    String model = Json.getString(m, "model");
                    if (!compare || subdirectory(model) == null) throw new IllegalArgumentException("field 'baselines_done': '" + model + "' is not a baseline of this run");
                    rows.add(new Row(model, Json.getLong(m, "connections"), new EnsembleMetrics.Scores(Json.getDouble(m, "accuracy"), Json.getDouble(m, "nll"),
                            Json.getDouble(m, "ece")), Json.getDouble(m, "disagreement"), Json.getDouble(m, "kl"), Json.getLong(m, "training_flops"),
                            Json.getDouble(m, "seconds")));
                }
                Map<String, Object> p = Json.getObject(h, "provenance");
                if (!"neurotrails".equals(p.get("algorithm"))) throw new IllegalArgumentException("field 'algorithm': expected \"neurotrails\", got " + p.get("algorithm"));
                Path backbone = file.resolveSibling(Checkpoint.part("backbone", epochsDone)); // a missing one is named as the parts load
                if (Files.isRegularFile(backbone)) ResumeChecks.sameStandardization(backbone, standardize);
                return new Saved(cfg, standardize, compare, epochsDone, step, Json.getLongs(t, "rng_shuffle"), Json.getLongs(t, "rng_evolution"), flops,
                        seconds, rows, Json.getLong(p, "data_checksum"), Json.getLong(p, "test_checksum"), p, t);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " is not a NeuroTrails checkpoint (" + e.getMessage() + ")");
            }
        }

        @Override public long[] networkFlops() { return networkFlops.clone(); }
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
     *
     * @throws IllegalArgumentException if {@code features} or {@code classes} is below 1
     */
    public static List<Network> networks(NeuroTrailsConfig cfg, int features, int classes, boolean compare) {
        Objects.requireNonNull(cfg, "cfg");
        // No data has them: 0 features described a network of no inputs as dense, a negative count failed inside.
        if (features < 1) throw new IllegalArgumentException("features must be >= 1, got " + features);
        if (classes < 1) throw new IllegalArgumentException("classes must be >= 1, got " + classes);
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
        try (var e = EnsembleClassifier.load(dir, 1)) {
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
