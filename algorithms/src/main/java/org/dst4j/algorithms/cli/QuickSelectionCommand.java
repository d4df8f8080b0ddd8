package org.dst4j.algorithms.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.dst4j.algorithms.ResumeChecks;
import org.dst4j.algorithms.evaluation.ExtraTrees;
import org.dst4j.algorithms.evaluation.KMeans;
import org.dst4j.algorithms.quickselection.QuickSelection;
import org.dst4j.algorithms.quickselection.QuickSelectionConfig;
import org.dst4j.nn.data.CsvReader;
import org.dst4j.nn.data.DataFormatException;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.MadelonLike;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.MetricsLog;
import org.dst4j.nn.model.ModelExport;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.plot.Charts;
import org.dst4j.nn.plot.PixelMap;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;

final class QuickSelectionCommand implements Command {
    static final String MADELON = "madelon";

    @Override public String summary() { return "select the K most informative features with QuickSelection (sparse denoising autoencoder)"; }

    static final String FEATURES = "features.csv";
    static final RunDirectory.Outputs OUTPUTS = RunDirectory.Outputs.of(FEATURES, "metrics.jsonl", "selected-pixels.png", "summary.json",
            "autoencoder.npz", QuickSelection.CHECKPOINT).resumableFrom(QuickSelection.CHECKPOINT, "summary.json");

    // What a resumed run takes from its checkpoint, not from the command line.
    private static final List<String> RUN_OPTIONS = List.of("k", "hidden", "epsilon", "zeta", "noise", "fresh-noise", "epochs", "batch", "lr", "momentum",
            "weight-decay", "dropout", "init", "scale", "output", "seed", "no-standardize", "out", "overwrite");

    @Override
    public int run(String[] args) throws UsageException, UserException, IOException, DataFormatException {
        Options o = DataArgs.declare(new Options("quickselection", summary()
                + "\n--dataset madelon generates the synthetic MADELON-like benchmark (seeded by --seed) and scores recovery of its 20 relevant features.")
                .option("k", "50", "features to select")
                .option("hidden", "1000", "hidden (sigmoid) units of the autoencoder")
                .option("epsilon", "13", "Erdos-Renyi density parameter")
                .option("zeta", "0.2", "fraction of connections replaced after every epoch but the last")
                .option("noise", "0.2", "input noise factor: x + noise * N(0, 1)")
                .flag("fresh-noise", "draw new input noise every epoch (default: once, as the reference)")
                .option("epochs", "100", "training epochs")
                .option("batch", "100", "mini-batch size")
                .option("lr", "0.01", "SGD learning rate")
                .option("momentum", "0.9", "SGD momentum")
                .option("weight-decay", "0.00001", "weight decay")
                .option("dropout", "0.2", "dropout on the hidden layer")
                .option("init", "xavier-uniform", "weight init: he-uniform, xavier-uniform, normal:<std>, zero")
                .option("scale", null, "input scaling: standardize (per feature, the reference's), center (subtract each feature's mean only) or none; default standardize, none with --no-standardize")
                .option("output", null, "reconstruction activation: linear or tanh (default: tanh for --dataset madelon, as the reference; linear otherwise)")
                .option("seed", "42", "random seed")
                .option("threads", String.valueOf(Runtime.getRuntime().availableProcessors()), "worker threads")
                .option("out", "runs/quickselection", "output directory")
                .flag("evaluate", "score the selection: ExtraTrees accuracy (vs random features and all features) and k-means clustering accuracy")
                .option("eval-k", null, "K values to evaluate, e.g. 10,25,50 (default: --k)")
                .option("trees", "50", "ExtraTrees: trees")
                .option("random-draws", "5", "random-feature baseline: draws averaged")
                .option("kmeans-runs", "10", "k-means runs averaged")
                .flag("save-autoencoder", "also write DIR/autoencoder.npz: the trained autoencoder's weights as SciPy CSR arrays (as export writes a model)")
                .option("resume", null, "continue the run whose checkpoint is in this directory, as it was set up (give only the data options, "
                        + "--threads and the evaluation options)"));
        // QuickSelection reads no labels: its data may have none, and a single file may be selected from whole.
        o.option("label-column", "last", "CSV label column: last, first, a 0-based index, or none (every column a feature; no --evaluate)")
                .option("labels", null, "labels .npy for --data FEATURES.npy (without it: unlabeled, every sample selected from; no --evaluate)")
                .option("test-fraction", "0.2", "held-out share when only one file is given; 0 selects from every sample (no --evaluate)");
        RunDirectory.declare(o);
        if (!o.parse(args)) return 0;
        boolean madelon = MADELON.equals(o.string("dataset"));
        if (madelon && o.given("data")) throw new UsageException("give --data or --dataset, not both");
        // MADELON is generated at a fixed size with its own split: these would be silently ignored.
        for (String n : List.of("test-data", "labels", "test-labels", "label-column", "test-fraction", "limit-train", "limit-test")) {
            if (madelon && o.given(n)) throw new UsageException("--" + n + " does not apply to --dataset madelon (generated, with a fixed size and split)");
        }
        Path resume = o.path("resume");
        QuickSelection.Resumable resumed = null;
        if (resume != null) {
            RunDirectory.checkResume(o, resume, QuickSelection.CHECKPOINT, RUN_OPTIONS,
                    "--threads, the data options and the evaluation options (--evaluate, --eval-k, --trees, --random-draws, --kmeans-runs, --save-autoencoder)");
            Path file = resume.resolve(QuickSelection.CHECKPOINT);
            if (!Files.isRegularFile(file)) {
                throw new UserException("--resume " + resume + ": " + ResumeChecks.noCheckpoint(resume, QuickSelection.CHECKPOINT, null));
            }
            try {
                resumed = QuickSelection.resumable(file, o.integer("threads", 1, WorkerPool.MAX_THREADS));
            } catch (IOException e) {
                throw new UserException("--resume " + resume + ": " + e.getMessage(), e);
            }
        }
        String output = o.given("output") ? o.choice("output", "linear", "tanh") : madelon ? "tanh" : "linear";
        QuickSelectionConfig given;
        try {
            given = new QuickSelectionConfig(o.integer("k", 1, Integer.MAX_VALUE), o.integer("hidden", 1, 1 << 24), o.number("epsilon", 1e-9, 1e9),
                    o.number("zeta", 0, 0.99), (float) o.number("noise", 0, 1e3), o.flag("fresh-noise"), o.integer("epochs", 1, 1_000_000),
                    o.integer("batch", 1, 1 << 20), (float) o.number("lr", 1e-12, 1e3), (float) o.number("momentum", 0, 0.999999),
                    (float) o.number("weight-decay", 0, 1), (float) o.number("dropout", 0, 0.99), SetCommand.init(o), output, o.longValue("seed"),
                    o.integer("threads", 1, WorkerPool.MAX_THREADS));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        QuickSelection.Scaling givenScaling = o.given("scale") ? QuickSelection.Scaling.parse(o.choice("scale", "standardize", "center", "none"))
                : o.flag("no-standardize") ? QuickSelection.Scaling.NONE : QuickSelection.Scaling.STANDARDIZE;
        if (o.given("scale") && o.flag("no-standardize") && givenScaling != QuickSelection.Scaling.NONE) {
            throw new UsageException("--scale " + o.string("scale") + " contradicts --no-standardize");
        }
        // a resumed run as its checkpoint set it up: its seed also generates or splits its data
        QuickSelectionConfig cfg = resumed != null ? resumed.config() : given;
        QuickSelection.Scaling scaling = resumed != null ? resumed.scaling() : givenScaling;
        if (!o.flag("evaluate")) {
            for (String n : new String[] {"eval-k", "trees", "random-draws", "kmeans-runs"}) {
                if (o.given(n)) throw new UsageException("--" + n + " sets up the evaluation; it applies only with --evaluate");
            }
        }
        int[] evalK = o.given("eval-k") ? o.integers("eval-k", 1, Integer.MAX_VALUE) : new int[] {cfg.k()};
        if (Arrays.stream(evalK).distinct().count() < evalK.length) {
            throw new UsageException("--eval-k " + o.string("eval-k") + ": each K once (a K given twice is evaluated, and printed, twice)");
        }
        // Read before training, not after it: a bad value used to surface only once the whole selection had run.
        int trees = o.integer("trees", 1, 100_000), draws = o.integer("random-draws", 1, 1000), runs = o.integer("kmeans-runs", 1, 1000);
        WholeFile whole = madelon ? null : WholeFile.of(o);
        if (resume == null) RunDirectory.precheck(o, OUTPUTS);
        MadelonLike synthetic = null;
        // data is null when a whole file is selected from: there is no test split to evaluate on.
        try (DatasetSplit data = madelon ? (synthetic = MadelonLike.standard(cfg.seed())).split() : whole != null ? null : loadData(o, cfg.seed());
             Dataset wholeData = whole != null ? whole.load(o) : null) {
            Dataset train = data != null ? data.train() : wholeData;
            // After the load, which names a missing or unreadable file as every command does.
            CsvReader.FeatureColumns columns = !madelon && o.given("data") && DataSources.isCsv(o.path("data")) && !Files.isDirectory(o.path("data"))
                    ? CsvReader.featureColumns(o.path("data"), whole != null && whole.unlabeled() ? null : o.string("label-column")) : null;
            if (cfg.k() > train.features()) throw new UsageException("--k " + cfg.k() + " exceeds the " + train.features() + " features of " + train.name());
            for (int k : evalK) {
                if (k > train.features()) throw new UsageException("--eval-k " + k + " exceeds the " + train.features() + " features of " + train.name());
            }
            int[] sizes = {train.features(), cfg.hidden(), train.features()};
            // Not every output: outputs no connection reaches are reconstructed as constants, and the inputs are ranked
            // (--hidden 100 --epsilon 0.85 on the embedded data, 751 connections for 784 outputs, beat random pixels).
            LayerCheck.check(o, "epsilon", "autoencoder", sizes, new Density.ErdosRenyi(cfg.epsilon()).densities(sizes), "raise --epsilon",
                    false);
            // Checked before the selection runs, not by k-means at its end (a stack trace from KMeans.cluster).
            if (o.flag("evaluate") && train.samples() < train.classes()) {
                throw new UserException("--evaluate: k-means clustering of the " + train.samples() + " training samples of " + train.name() + " into its "
                        + train.classes() + " classes needs at least " + train.classes() + " samples");
            }
            System.err.printf("dst4j quickselection: %s, %d samples, %d features; autoencoder %d-%d-%d%n", train.name(), train.samples(),
                    train.features(), train.features(), cfg.hidden(), train.features());
            Path out;
            if (resume == null) {
                out = RunDirectory.claim(o, OUTPUTS);
                Files.createDirectories(out);
            } else {
                out = resume;
                RunDirectory.resuming(resume); // a Ctrl-C waits for the training to stop between batches
                AtomicFiles.removeTemporaries(resume, OUTPUTS.globs()); // of writes a kill interrupted
            }
            Progress progress = new Progress(cfg.epochs());
            long t0 = System.nanoTime();
            QuickSelection.Result result;
            int done = resumed != null ? resumed.epochsDone() : 0;
            try (MetricsLog log = done > 0 ? MetricsLog.resume(out.resolve("metrics.jsonl"), done) : MetricsLog.create(out.resolve("metrics.jsonl"))) {
                QuickSelection.Progress listener = new QuickSelection.Progress() {
                    @Override public void batch(int epoch, int done, int total) {
                        progress.batch(epoch, done, total);
                    }

                    @Override public void trained(SparseMlp autoencoder, Standardizer std) {
                        if (!o.flag("save-autoencoder")) return;
                        try {
                            writeAutoencoder(out.resolve("autoencoder.npz"), autoencoder, std, scaling);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }

                    @Override public void epoch(EpochMetrics m) {
                        progress.line(String.format("epoch %d/%d  reconstruction loss %.4f  connections %d  %.2fs (evolution %.3fs)",
                                m.epoch(), cfg.epochs(), m.trainLoss(), m.connections(), m.epochSeconds(), m.evolutionSeconds()));
                        try {
                            log.append(QuickSelection.record(m));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                };
                Path checkpoint = out.resolve(QuickSelection.CHECKPOINT);
                result = resume != null ? QuickSelection.resume(checkpoint, train, cfg.threads(), listener)
                        : QuickSelection.select(cfg, train, scaling, listener, checkpoint);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            if (resume != null && done == cfg.epochs()) System.out.println("no epochs run: the checkpoint's run had finished");
            double seconds = (System.nanoTime() - t0) / 1e9;
            int[] selected = result.top();
            writeFeatures(out.resolve(FEATURES), result, columns);
            List<String> wrote = new ArrayList<>(List.of(out.resolve(FEATURES).toString(), out.resolve("metrics.jsonl").toString(),
                    out.resolve("summary.json").toString()));
            if (o.flag("save-autoencoder")) wrote.add(out.resolve("autoencoder.npz").toString());
            if (train.imageRows() > 0 && train.imageRows() * train.imageCols() == train.features()) {
                boolean[] mark = new boolean[train.features()];
                for (int f : selected) mark[f] = true;
                Path png = out.resolve("selected-pixels.png");
                if (Charts.write(png, f -> PixelMap.write(f, PixelMap.render(result.strength(), mark, train.imageRows(), train.imageCols(), 12)))) {
                    wrote.add(png.toString());
                }
            }
            // a resumed run's median covers the whole run, the epochs before the interruption included; its seconds are this part's
            System.out.printf("selected %s in %.1f s%s (median epoch %.3f s); peak RSS %s; wrote %s%n", RunSummary.count(cfg.k(), "feature"), seconds,
                    resume != null ? " after resuming at epoch " + done : "", RunSummary.medianEpochSeconds(result.history()), RunSummary.peakRss(),
                    String.join(", ", wrote));
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("config", cfg.toMap());
            summary.put("scaling", scaling.label());
            summary.put("data", train.name());
            summary.put("train_samples", train.samples()); // --limit-train is not in the name
            summary.put("selection_seconds", seconds);
            if (resume != null) summary.put("resumed_after_epoch", done); // selection_seconds is then the resumed part's
            summary.put("selected", selected);
            if (columns != null) {
                int[] at = columns.columns();
                String[] names = columns.names();
                summary.put("selected_columns", Arrays.stream(selected).map(f -> at[f]).toArray());
                if (names != null) summary.put("selected_names", Arrays.stream(selected).mapToObj(f -> names[f]).toList());
            }
            if (synthetic != null) {
                int relevant = synthetic.relevant().length;
                int hit = synthetic.recovered(result.top(relevant));
                System.out.printf("relevant features recovered: %d of %d in the top %d%n", hit, relevant, relevant);
                summary.put("relevant_recovered", hit);
                summary.put("relevant_total", relevant);
            }
            if (o.flag("evaluate")) {
                summary.put("evaluation", evaluate(cfg, data, scaling, result, evalK, trees, draws, runs));
            }
            AtomicFiles.writeString(out.resolve("summary.json"), Json.write(summary) + "\n");
            return 0;
        }
    }

    private static DatasetSplit loadData(Options o, long seed) throws UsageException, DataFormatException {
        return DataArgs.loadFeatures(o, seed);
    }

    private static Map<String, Object> evaluate(QuickSelectionConfig cfg, DatasetSplit data, QuickSelection.Scaling scaling,
                                                QuickSelection.Result result, int[] evalK, int trees, int draws, int runs) {
        Dataset train = data.train(), test = data.test();
        // k-means clusters the features as the selection saw them, as the reference clusters its standardized
        // data; centring moves no distance, so only standardization is applied. (ExtraTrees' splits do not
        // depend on a feature's scale.)
        Standardizer std = scaling == QuickSelection.Scaling.STANDARDIZE ? scaling.fit(train) : null;
        Map<String, Object> ev = new LinkedHashMap<>();
        try (WorkerPool pool = new WorkerPool(cfg.threads())) {
            System.out.printf("ExtraTrees (%s) accuracy on %s (%s), trained on %s:%n", RunSummary.count(trees, "tree"), test.name(),
                    RunSummary.count(test.samples(), "sample"), train.name());
            System.out.printf("  %6s  %9s  %14s  %12s%n", "K", "selected", "random (mean)", "k-means acc");
            List<Object> rows = new ArrayList<>();
            RandomStream draw = new RandomStream(cfg.seed()).split("random-features");
            for (int k : evalK) {
                int[] f = result.top(k);
                double acc = ExtraTrees.fit(train, f, trees, cfg.seed(), pool).accuracy(test, f, pool);
                double random = 0;
                for (int r = 0; r < draws; r++) {
                    int[] rf = randomFeatures(train.features(), k, draw);
                    random += ExtraTrees.fit(train, rf, trees, cfg.seed(), pool).accuracy(test, rf, pool);
                }
                random = draws == 0 ? Double.NaN : random / draws;
                float[][] cols = ExtraTrees.columns(train, f);
                if (std != null) {
                    float[] mean = std.mean(), sd = std.std();
                    for (int i = 0; i < f.length; i++) {
                        float m = mean[f[i]], inv = 1f / sd[f[i]];
                        for (int s = 0; s < cols[i].length; s++) cols[i][s] = (cols[i][s] - m) * inv;
                    }
                }
                double cluster = KMeans.meanClusteringAccuracy(cols, train.labels(), train.classes(), runs, cfg.seed(), pool);
                System.out.printf("  %6d  %9.4f  %14.4f  %12.4f%n", k, acc, random, cluster);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("k", k);
                row.put("extra_trees_accuracy", acc);
                row.put("random_features_accuracy_mean", random);
                row.put("random_draws", draws);
                row.put("kmeans_clustering_accuracy", cluster);
                rows.add(row);
            }
            double all = ExtraTrees.fit(train, null, trees, cfg.seed(), pool).accuracy(test, null, pool);
            System.out.printf("  %6s  %9.4f%n", "all " + train.features(), all);
            ev.put("trees", trees);
            ev.put("kmeans_runs", runs);
            ev.put("by_k", rows);
            ev.put("all_features_accuracy", all);
        }
        return ev;
    }

    private static int[] randomFeatures(int d, int k, RandomStream rng) {
        int[] all = new int[d];
        for (int i = 0; i < d; i++) all[i] = i;
        rng.shuffle(all);
        int[] f = Arrays.copyOf(all, k);
        Arrays.sort(f);
        return f;
    }

    // A CSV's features are named by their column in the file and the header's name: with the label column
    // (or any column) before a feature, its index is not its column, and the index alone named no column.
    private static void writeFeatures(Path file, QuickSelection.Result r, CsvReader.FeatureColumns columns) throws IOException {
        int[] at = columns == null ? null : columns.columns();
        String[] names = columns == null ? null : columns.names();
        StringBuilder sb = new StringBuilder(columns == null ? "index,score,rank\n" : "index,column,name,score,rank\n");
        int[] selected = r.top(); // copies: take them once
        double[] strength = r.strength();
        for (int i = 0; i < selected.length; i++) {
            int f = selected[i];
            sb.append(f).append(',');
            if (columns != null) sb.append(at[f]).append(',').append(names == null ? "" : csvCell(names[f])).append(',');
            sb.append(strength[f]).append(',').append(i + 1).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
    }

    // The strengths come from these weights: with them a user can check the ranking, or study the encoder, in
    // NumPy. Written as export writes a model, so the SciPy snippet of docs/cli.md (export) reads it.
    private static void writeAutoencoder(Path file, SparseMlp net, Standardizer std,
                                         QuickSelection.Scaling scaling) throws IOException {
        ModelExport.networkToNpz(net, std, Map.of("scaling", scaling.label()), "autoencoder", file);
    }

    private static String csvCell(String s) {
        return s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0 ? s : '"' + s.replace("\"", "\"\"") + '"';
    }

    /**
     * A single --data file selected from whole, with no test split: unlabeled (a CSV with --label-column none, a
     * .npy without --labels) or --test-fraction 0. The autoencoder reads no labels; only --evaluate needs them and a
     * test split, so it and the options of a test split are refused here, before any file is read.
     */
    private record WholeFile(Path file, boolean csv, boolean unlabeled) {
        static WholeFile of(Options o) throws UsageException {
            if (!o.given("data") || o.given("test-data")) {
                if (o.given("data") && "none".equals(o.string("label-column"))) {
                    throw new UsageException("--label-column none: unlabeled data has no test split to evaluate; --test-data applies only to labeled data");
                }
                return null;
            }
            DataArgs.parse(o, 0); // the checks every data source makes (a blank path, an option this file does not read)
            Path p = o.path("data");
            if (Files.isDirectory(p)) return null;
            String name = p.getFileName() == null ? "" : p.getFileName().toString().toLowerCase(Locale.ROOT);
            boolean csv = DataSources.isCsv(p), npy = !csv && name.endsWith(".npy");
            boolean unlabeled = csv ? "none".equals(o.string("label-column")) : npy && !o.given("labels");
            boolean all = o.given("test-fraction") && o.number("test-fraction", 0.0, 0.99) == 0;
            if (!unlabeled && !all) return null;
            String why = unlabeled ? (csv ? "--label-column none" : "--data " + p + " without --labels") + " (unlabeled data)"
                    : "--test-fraction 0 (every sample selected from)";
            if (o.flag("evaluate")) throw new UsageException("--evaluate scores the selection with labels on a held-out test split; " + why + " has "
                    + (unlabeled ? "no labels" : "no test split: give --test-fraction above 0 or --test-data"));
            for (String n : new String[] {"test-labels", "limit-test"}) {
                if (o.given(n)) throw new UsageException("--" + n + " applies to a test split; " + why + " has none");
            }
            if (unlabeled && o.given("test-fraction") && !all) throw new UsageException("--test-fraction holds out labeled test samples; " + why + " is selected from whole");
            if (!csv && !npy) return null; // the loader names what it expected
            return new WholeFile(p, csv, unlabeled);
        }

        Dataset load(Options o) throws UsageException, DataFormatException {
            if (o.given("labels")) DataSources.existing(o.path("labels"), "--labels");
            DataSources.existing(file, "--data");
            String base = file.getFileName().toString().replaceFirst("(?i)\\.(csv|csv\\.gz|tsv|txt|npy)$", "");
            // A .npy's --labels file is not read: no label is used without --evaluate. A CSV's label column is read to leave it out.
            Dataset all = !csv ? DataSources.unlabeled(file)
                    : unlabeled ? CsvReader.readUnlabeled(base, file) : CsvReader.read(base, file, o.string("label-column"), 0);
            int limit = o.integer("limit-train", 0, Integer.MAX_VALUE);
            if (limit == 0 || limit >= all.samples()) return all;
            try (all) {
                return all.subset(IntStream.range(0, limit).toArray());
            }
        }
    }
}
