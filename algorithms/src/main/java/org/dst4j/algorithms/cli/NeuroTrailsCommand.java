package org.dst4j.algorithms.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.dst4j.algorithms.freetickets.FreeTickets;
import org.dst4j.algorithms.neurotrails.NeuroTrails;
import org.dst4j.algorithms.neurotrails.NeuroTrailsConfig;
import org.dst4j.nn.data.DataFormatException;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.init.SparseInit;
import org.dst4j.runtime.parallel.WorkerPool;

final class NeuroTrailsCommand implements Command {
    @Override public String summary() { return "NeuroTrails: shared sparse backbone + dynamically sparse heads, ensembled (--compare: vs single and FreeTickets DST)"; }

    // --compare trains its single network and DST ensemble into these subdirectories.
    static final RunDirectory.Outputs OUTPUTS = RunDirectory.Outputs.of(NeuroTrails.MODEL_DIR, NeuroTrails.METRICS, NeuroTrails.LOG,
            NeuroTrails.CHART, NeuroTrails.CHECKPOINT_DIR, "single", "freetickets-dst").resumableFrom(NeuroTrails.CHECKPOINT, null);

    // erk, single, or a share strictly inside (0, 1): checked here so that the message names the option.
    private static String backboneShare(Options o) throws UsageException {
        String v = o.string("backbone-share").trim();
        if ("erk".equals(v) || "single".equals(v)) return v;
        double share;
        try {
            share = o.number("backbone-share", 0, 1);
        } catch (UsageException e) {
            share = Double.NaN; // one message for every bad value, not a closed range for some and an open one for others
        }
        if (!(share > 0 && share < 1)) {
            throw new UsageException("--backbone-share: expected erk, single or a number strictly between 0 and 1, got " + v);
        }
        return v;
    }

    @Override
    public int run(String[] args) throws UsageException, UserException, IOException, DataFormatException {
        NeuroTrailsConfig d = NeuroTrailsConfig.defaults();
        Options o = DataArgs.declare(new Options("neurotrails", summary())
                .option("heads", String.valueOf(d.heads()), "number of heads M")
                .option("shared-layers", String.valueOf(d.sharedLayers()), "layers in the shared backbone (1 .. number of hidden layers)")
                .option("hidden", "1000,1000", "hidden layer sizes of the full network")
                .option("density", String.valueOf(d.density()), "parameter budget: a single network of this shape at this ERK density (0.1 = 90% sparse)")
                .option("epochs", String.valueOf(d.epochs()), "training epochs")
                .option("batch", String.valueOf(d.batch()), "mini-batch size")
                .option("lr", String.valueOf(d.lr()), "learning rate (/10 at 1/2 and 3/4 of the run)")
                .option("momentum", String.valueOf(d.momentum()), "SGD momentum")
                .option("weight-decay", String.valueOf(d.weightDecay()), "weight decay per step")
                .option("dropout", String.valueOf(d.dropout()), "dropout on every hidden layer: in the backbone, on the shared features (one mask for all heads) and in the heads")
                .option("activation", d.activation(), "hidden activation: relu, allrelu, sigmoid, tanh")
                .option("prune-rate", String.valueOf(d.pruneRate()), "share of each layer replaced at a topology update, cosine-decayed")
                .option("update-interval", String.valueOf(d.updateInterval()), "epochs between topology updates")
                .option("grow", d.grow(), "regrowth: gradient (RigL) or random")
                .option("prune-scope", d.pruneScope(), "layer (each layer loses its own smallest-|w| share) or network (one |w| threshold over the backbone and every head; with --compare, over each compared network's layers)")
                .option("head-loss", d.headLoss(), "training objective: sum of the heads' losses, or their mean (the paper's code; = sum at lr/M)")
                .option("backbone-share", d.backboneShare(), "budget split: erk (one Erdős–Rényi scale over all layers, the paper's), "
                        + "single (backbone keeps the single network's connections) or the backbone's share in (0, 1); heads split the rest equally")
                .option("head-input-dropout", String.valueOf(d.headInputDropout()), "not in the paper: drop each shared feature with this "
                        + "probability, independently per head, in training (0 = off)")
                .option("seed", String.valueOf(d.seed()), "random seed")
                .option("threads", String.valueOf(Runtime.getRuntime().availableProcessors()), "worker threads")
                .option("out", "runs/neurotrails", "output directory (model in DIR/model, metrics.json, heads.png)")
                .flag("compare", "also train a single sparse network and a FreeTickets DST ensemble at the same parameter budget")
                .option("resume", null, "continue the run whose checkpoint is in this directory, as it was set up (give only --threads, --seed and the data options)"));
        RunDirectory.declare(o);
        if (!o.parse(args)) return 0;
        Path resume = o.path("resume");
        if (resume != null) return resume(o, resume);
        // NeuroTrailsConfig refuses it too, naming a field rather than the option.
        int hiddenLayers = o.integers("hidden", 1, Integer.MAX_VALUE).length;
        if (o.integer("shared-layers", 1, 1000) > hiddenLayers) {
            throw new UsageException("--shared-layers " + o.string("shared-layers") + ": expected at most the " + hiddenLayers + " hidden layer"
                    + (hiddenLayers == 1 ? "" : "s") + " of --hidden " + o.string("hidden"));
        }
        NeuroTrailsConfig cfg;
        try {
            cfg = new NeuroTrailsConfig(o.integer("heads", 1, 1000), o.integer("shared-layers", 1, 1000), o.integers("hidden", 1, Integer.MAX_VALUE),
                    o.number("density", 1e-9, 1), o.integer("epochs", 1, 1_000_000), o.integer("batch", 1, 1 << 20), (float) o.number("lr", 1e-12, 1e3),
                    (float) o.number("momentum", 0, 0.999999), (float) o.number("weight-decay", 0, 1), (float) o.number("dropout", 0, 0.99),
                    o.choice("activation", "relu", "allrelu", "sigmoid", "tanh"), o.number("prune-rate", 0, 1),
                    o.integer("update-interval", 1, 1_000_000), o.choice("grow", "gradient", "random"), o.longValue("seed"), o.integer("threads", 1, WorkerPool.MAX_THREADS),
                    o.choice("head-loss", "mean", "sum"), backboneShare(o), (float) o.number("head-input-dropout", 0, 0.99),
                    o.choice("prune-scope", "layer", "network"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        boolean compare = o.flag("compare");
        Progress progress = new Progress(totalEpochs(cfg, compare));
        RunDirectory.precheck(o, OUTPUTS);
        try (DatasetSplit data = DataArgs.load(o, cfg.seed())) {
            for (NeuroTrails.Network n : NeuroTrails.networks(cfg, data.train().features(), data.train().classes(), compare)) {
                // Past the ERK split, the backbone's share is what can leave the heads too little.
                LayerCheck.check(o, "density", n.name(), n.sizes(), n.densities(), "erk".equals(cfg.backboneShare()) || !n.name().equals(NeuroTrails.BACKBONE_AND_HEAD)
                        ? "raise --density" : "single".equals(cfg.backboneShare()) ? "raise --density or use --backbone-share erk"
                        : (starvedBackbone(n, cfg.sharedLayers()) ? "raise --density or --backbone-share " : "raise --density or lower --backbone-share ")
                        + cfg.backboneShare());
            }
            Path out = RunDirectory.claim(o, OUTPUTS);
            System.err.printf("dst4j neurotrails M=%d, shared layers %d: %s, %d train / %d test samples%n", cfg.heads(), cfg.sharedLayers(),
                    data.train().name(), data.train().samples(), data.test().samples());
            NeuroTrails.Result r = NeuroTrails.run(cfg, data, !o.flag("no-standardize"), compare, out, progress.listener(0, false));
            print(cfg, r, out);
            return 0;
        }
    }

    private static int totalEpochs(NeuroTrailsConfig cfg, boolean compare) {
        return cfg.epochs() * (compare ? 2 + cfg.heads() : 1);
    }

    // NeuroTrails.resume rebuilds the run from its checkpoint and writes into that directory; only where it runs and
    // how the same data is found (data options; --seed draws a single file's hold-out split) still apply.
    private static int resume(Options o, Path dir) throws UsageException, UserException, IOException, DataFormatException {
        RunDirectory.checkResume(o, dir, NeuroTrails.CHECKPOINT, "heads", "shared-layers", "hidden", "density", "epochs", "batch", "lr", "momentum",
                "weight-decay", "dropout", "activation", "prune-rate", "update-interval", "grow", "prune-scope", "head-loss", "backbone-share",
                "head-input-dropout", "out", "compare", "no-standardize", "overwrite");
        int threads = o.integer("threads", 1, WorkerPool.MAX_THREADS);
        NeuroTrails.Resumable run;
        try {
            run = NeuroTrails.resumable(dir, threads);
        } catch (IOException e) {
            throw new UserException("--resume " + e.getMessage());
        }
        NeuroTrailsConfig cfg = run.config();
        long splitSeed = o.given("seed") ? o.longValue("seed") : cfg.seed(); // the split the run was started with
        try (DatasetSplit data = DataArgs.load(o, splitSeed)) {
            RunDirectory.resuming(dir); // a Ctrl-C waits for the training to stop between batches
            System.err.printf("dst4j neurotrails M=%d, shared layers %d, resuming after %s: %s, %d train / %d test samples%n", cfg.heads(),
                    cfg.sharedLayers(), RunSummary.count(run.epochsDone(), "epoch"), data.train().name(), data.train().samples(), data.test().samples());
            NeuroTrails.Result r = NeuroTrails.resume(dir, data, threads, new Progress(totalEpochs(cfg, run.compare())).listener(run.epochsDone(), false));
            print(cfg, r, dir);
            return 0;
        }
    }

    private static void print(NeuroTrailsConfig cfg, NeuroTrails.Result r, Path out) {
        EnsembleMetrics t = r.test();
        for (int h = 0; h < t.members().size(); h++) {
            EnsembleMetrics.Scores s = t.members().get(h);
            System.out.printf("head %d: accuracy %.4f  NLL %.4f  ECE %.4f%n", h + 1, s.accuracy(), s.nll(), s.ece());
        }
        System.out.printf("NeuroTrails with the heads' logits averaged (the paper's combination): accuracy %.4f  NLL %.4f  ECE %.4f%n",
                r.logitMean().accuracy(), r.logitMean().nll(), r.logitMean().ece());
        System.out.printf("%-36s %12s %9s %8s %8s %12s %10s %14s %9s%n", "model", "connections", "accuracy", "NLL", "ECE",
                "disagreement", "KL", "train FLOPs", "seconds");
        for (NeuroTrails.Row row : r.rows()) {
            System.out.printf("%-36s %12d %9.4f %8.4f %8.4f %12.4f %10.4f %14.4g %9.1f%n", row.model(), row.connections(), row.scores().accuracy(),
                    row.scores().nll(), row.scores().ece(), row.disagreement(), row.kl(), (double) row.trainingFlops(), row.seconds());
        }
        System.out.printf("one dense network of this shape, same epochs: %.4g FLOPs; %s: %.4g%n",
                (double) r.denseFlopsPerNetwork(), RunSummary.count(cfg.heads(), "independent dense network"), (double) r.denseFlopsPerNetwork() * cfg.heads());
        System.out.printf("peak RSS %s; wrote %s%n", RunSummary.peakRss(),
                RunSummary.written(out.resolve(NeuroTrails.MODEL_DIR), out.resolve(NeuroTrails.METRICS), out.resolve(NeuroTrails.CHART)));
    }

    // A share near 0 leaves a backbone layer without connections, where lowering the share (the heads' remedy) starves it more.
    private static boolean starvedBackbone(NeuroTrails.Network n, int sharedLayers) {
        int[] sizes = n.sizes();
        double[] densities = n.densities();
        for (int l = 0; l < sharedLayers; l++) {
            if (SparseInit.connections(sizes[l + 1], sizes[l], densities[l]) == 0) return true;
        }
        return false;
    }
}
