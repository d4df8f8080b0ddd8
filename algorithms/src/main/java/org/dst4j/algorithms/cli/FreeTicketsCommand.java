package org.dst4j.algorithms.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.dst4j.algorithms.freetickets.FreeTickets;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.nn.data.DataFormatException;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.runtime.parallel.WorkerPool;

final class FreeTicketsCommand implements Command {
    @Override public String summary() { return "FreeTickets: DST and EDST ensembles of sparse networks (ensemble, members, diversity, FLOPs)"; }

    static final RunDirectory.Outputs OUTPUTS = RunDirectory.Outputs.of("member-*.dst4j", "member-*.dst4j.candidate",
            EnsembleClassifier.MANIFEST, FreeTickets.METRICS, FreeTickets.LOG, FreeTickets.CHART, FreeTickets.CHECKPOINT)
            .resumableFrom(FreeTickets.CHECKPOINT, FreeTickets.METRICS);

    @Override
    public int run(String[] args) throws UsageException, UserException, IOException, DataFormatException {
        FreeTicketsConfig d = FreeTicketsConfig.defaults(Variant.EDST);
        Options o = DataArgs.declare(new Options("freetickets", summary())
                .option("variant", "edst", "dst: M networks trained independently; edst: one run, M tickets")
                .option("members", String.valueOf(d.members()), "ensemble size M")
                .option("hidden", "1000,1000", "hidden layer sizes")
                .option("density", String.valueOf(d.density()), "share of live connections in the whole network (ERK over layers); 0.1 = 90% sparse")
                .option("epochs", String.valueOf(d.epochs()), "dst: epochs per member")
                .option("explore-epochs", String.valueOf(d.exploreEpochs()), "edst: exploration epochs at --lr")
                .option("refine-epochs", String.valueOf(d.refineEpochs()), "edst: epochs per refinement phase (one ticket each)")
                .option("batch", String.valueOf(d.batch()), "mini-batch size")
                .option("lr", null, "learning rate, default 0.05 (dst) or 0.1 (edst); dst: /10 at 1/2 and 3/4 of a member's run; edst: each refinement lr/10 then lr/100")
                .option("momentum", String.valueOf(d.momentum()), "SGD momentum")
                .option("weight-decay", String.valueOf(d.weightDecay()), "weight decay per step (SET-style SGD: w -= decay * w)")
                .option("dropout", String.valueOf(d.dropout()), "dropout rate on hidden layers")
                .option("activation", d.activation(), "hidden activation: relu, allrelu, sigmoid, tanh")
                .option("prune-rate", String.valueOf(d.pruneRate()), "share of each layer replaced at a topology update")
                .option("prune-schedule", null, "prune rate over the run: cosine (decayed to 0) or constant; default cosine (dst), constant (edst)")
                .option("large-prune-rate", String.valueOf(d.largePruneRate()), "edst: share replaced between tickets")
                .option("update-interval", null, "epochs between topology updates; default 1 (dst), 2 (edst: about the reference's 1,000 iterations)")
                .option("grow", d.grow(), "regrowth: gradient (RigL, from the last batch's gradient) or random")
                .option("prune-scope", d.pruneScope(), "layer (each layer loses its own smallest-|w| share, the reference code's) or network (one |w| threshold over all layers, sparselearning's global pruning; each layer still regrows what it lost)")
                .option("valid-split", String.valueOf(d.validSplit()),
                        "share of the training set held out; each dst member / edst ticket is then its best epoch on it (0: last epoch)")
                .option("member-splits", null, "dst: own (each member holds out different samples, drawn from its seed; the default) or shared (one split, as the reference code)")
                .option("seed", String.valueOf(d.seed()), "random seed (dst members use seed, seed+1, ...)")
                .option("threads", String.valueOf(Runtime.getRuntime().availableProcessors()), "worker threads")
                .option("out", "runs/freetickets", "output directory: member models, ensemble.json, metrics.json, members.png")
                .option("resume", null, "continue the run whose checkpoint is in this directory, as it was set up (give only --threads, --seed and the data options)"));
        RunDirectory.declare(o);
        if (!o.parse(args)) return 0;
        Path resume = o.path("resume");
        if (resume != null) return resume(o, resume);
        FreeTicketsConfig cfg;
        try {
            Variant variant = Variant.valueOf(o.choice("variant", "dst", "edst").toUpperCase(Locale.ROOT));
            // FreeTicketsConfig refuses it too, without the options' names.
            if (variant == Variant.EDST && o.given("member-splits") && o.choice("member-splits", "own", "shared").equals("own")) {
                throw new UsageException("--member-splits own applies only to --variant dst; edst trains one network, whose tickets share one split");
            }
            // As every option a run would not use: accepted silently, it looked as if the members held out samples.
            if (o.given("member-splits") && o.given("valid-split") && o.number("valid-split", 0, 0.5) == 0) {
                throw new UsageException("--member-splits chooses which samples each member holds out; --valid-split 0 holds out none");
            }
            float lr = o.given("lr") ? (float) o.number("lr", 1e-12, 1e3) : FreeTicketsConfig.defaults(variant).lr();
            cfg = new FreeTicketsConfig(variant,
                    o.integer("members", 1, 1000), o.integers("hidden", 1, Integer.MAX_VALUE), o.number("density", 1e-9, 1),
                    o.integer("epochs", 1, 1_000_000), o.integer("explore-epochs", 0, 1_000_000), o.integer("refine-epochs", 1, 1_000_000),
                    o.integer("batch", 1, 1 << 20), lr, (float) o.number("momentum", 0, 0.999999),
                    (float) o.number("weight-decay", 0, 1), (float) o.number("dropout", 0, 0.99),
                    o.choice("activation", "relu", "allrelu", "sigmoid", "tanh"), o.number("prune-rate", 0, 1),
                    o.number("large-prune-rate", 0, 1), o.given("update-interval") ? o.integer("update-interval", 1, 1_000_000) : FreeTicketsConfig.defaults(variant).updateInterval(), o.choice("grow", "gradient", "random"),
                    o.longValue("seed"), o.integer("threads", 1, WorkerPool.MAX_THREADS),
                    o.given("prune-schedule") ? o.choice("prune-schedule", "cosine", "constant") : FreeTicketsConfig.defaultPruneSchedule(variant),
                    o.number("valid-split", 0, 0.5),
                    o.given("member-splits") ? o.choice("member-splits", "own", "shared") : FreeTicketsConfig.defaultMemberSplits(variant),
                    o.choice("prune-scope", "layer", "network"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        // Each variant reads only its own epoch and ticket options: one meant for the other was silently ignored.
        boolean dst = cfg.variant() == Variant.DST;
        List<String> other = (dst ? Stream.of("explore-epochs", "refine-epochs", "large-prune-rate") : Stream.of("epochs"))
                .filter(o::given).map(n -> "--" + n).toList();
        if (!other.isEmpty()) {
            throw new UsageException(String.join(", ", other) + (other.size() == 1 ? " applies" : " apply") + " only to --variant "
                    + (dst ? "edst" : "dst") + ", not " + cfg.variant().label());
        }
        Progress progress = new Progress(cfg.totalEpochs());
        RunDirectory.precheck(o, OUTPUTS);
        try (DatasetSplit data = DataArgs.load(o, cfg.seed())) {
            int[] sizes = MlpConfig.sizes(data.train().features(), cfg.hidden(), data.train().classes());
            LayerCheck.check(o, "density", "", sizes, new Density.Erk(cfg.density()).densities(sizes));
            System.err.printf("dst4j freetickets %s, M=%d: %s, %d train / %d test samples, %d features, %d classes%n", cfg.variant().label(),
                    cfg.members(), data.train().name(), data.train().samples(), data.test().samples(), data.train().features(), data.train().classes());
            long held = Math.round(data.train().samples() * cfg.validSplit());
            if (cfg.validSplit() > 0 && (held < 1 || held >= data.train().samples())) {
                throw new UsageException("--valid-split: " + cfg.validSplit() + " of " + data.train().samples()
                        + " training samples holds out " + held + "; it must leave at least one sample for validation and one for training");
            }
            // Claimed last: with --overwrite the earlier run is deleted, so only once the run is sure to start.
            Path out = RunDirectory.claim(o, OUTPUTS);
            FreeTickets.Result r = FreeTickets.run(cfg, data, !o.flag("no-standardize"), out, progress.listener(0, true));
            print(cfg, r, out);
            return 0;
        }
    }

    // FreeTickets.resume rebuilds the run from its checkpoint and writes into that directory; only where it runs and
    // how the same data is found (data options; --seed draws a single file's hold-out split) still apply.
    private static int resume(Options o, Path dir) throws UsageException, UserException, IOException, DataFormatException {
        RunDirectory.checkResume(o, dir, FreeTickets.CHECKPOINT, "variant", "members", "hidden", "density", "epochs", "explore-epochs",
                "refine-epochs", "batch", "lr", "momentum", "weight-decay", "dropout", "activation", "prune-rate", "prune-schedule",
                "large-prune-rate", "update-interval", "grow", "prune-scope", "valid-split", "member-splits", "out", "no-standardize", "overwrite");
        int threads = o.integer("threads", 1, WorkerPool.MAX_THREADS);
        FreeTickets.Resumable run;
        try {
            run = FreeTickets.resumable(dir, threads);
        } catch (IOException e) {
            throw new UserException("--resume " + e.getMessage());
        }
        FreeTicketsConfig cfg = run.config();
        long splitSeed = o.given("seed") ? o.longValue("seed") : cfg.seed(); // the split the run was started with
        try (DatasetSplit data = DataArgs.load(o, splitSeed)) {
            RunDirectory.resuming(dir); // a Ctrl-C waits for the training to stop between batches
            System.err.printf("dst4j freetickets %s, M=%d, resuming after %s: %s, %d train / %d test samples, %d features, %d classes%n",
                    cfg.variant().label(), cfg.members(), RunSummary.count(run.epochsDone(), "epoch"), data.train().name(), data.train().samples(),
                    data.test().samples(), data.train().features(), data.train().classes());
            FreeTickets.Result r = FreeTickets.resume(dir, data, threads, new Progress(cfg.totalEpochs()).listener(run.epochsDone(), true));
            print(cfg.withThreads(threads), r, dir);
            return 0;
        }
    }

    private static void print(FreeTicketsConfig cfg, FreeTickets.Result r, Path out) {
        EnsembleMetrics t = r.test();
        String who = cfg.variant() == Variant.EDST ? "ticket" : "member";
        System.out.printf("%-10s %9s %8s %8s%n", "", "accuracy", "NLL", "ECE");
        double best = 0, bestNll = Double.POSITIVE_INFINITY;
        for (int i = 0; i < t.members().size(); i++) {
            EnsembleMetrics.Scores s = t.members().get(i);
            System.out.printf("%-10s %9.4f %8.4f %8.4f%n", who + " " + (i + 1), s.accuracy(), s.nll(), s.ece());
            best = Math.max(best, s.accuracy());
            bestNll = Math.min(bestNll, s.nll());
        }
        EnsembleMetrics.Scores e = t.ensemble();
        System.out.printf("%-10s %9.4f %8.4f %8.4f%n", "ensemble", e.accuracy(), e.nll(), e.ece());
        System.out.printf("ensemble vs best %s: %+.2f accuracy points, NLL %.4f vs %.4f (lowest %s)%n", who, 100 * (e.accuracy() - best), e.nll(), bestNll, who);
        // One member has no pair: a disagreement of 0 read as members that agree (predict leaves the line out then).
        if (t.members().size() < 2) {
            System.out.println("diversity: one " + who + ", no pair to compare");
        } else {
            System.out.printf("diversity: mean pairwise disagreement %.4f, mean KL %.4f nats%n",
                    EnsembleMetrics.meanOffDiagonal(t.disagreement()), EnsembleMetrics.meanOffDiagonal(t.kl()));
        }
        double[][][] distance = r.topologyDistance(); // a copy: take it once
        // One member has no pair: the heading alone, with nothing under it, read as a missing result.
        StringBuilder sb = new StringBuilder(distance.length < 2 ? "topology distance: one " + who + ", no pair to compare"
                : "topology distance (fraction of connections not shared, by layer):");
        for (int i = 0; i < distance.length; i++) {
            for (int j = i + 1; j < distance.length; j++) {
                sb.append(String.format("%n  %d-%d:", i + 1, j + 1));
                for (double x : distance[i][j]) sb.append(String.format(" %.3f", x));
            }
        }
        System.out.println(sb);
        System.out.printf("training FLOPs: ensemble %.4g, one dense network (%s) %.4g: ensemble/dense = %.3f%n",
                (double) r.trainingFlops(), RunSummary.count(cfg.epochsPerNetwork(), "epoch"), (double) r.denseFlops(), (double) r.trainingFlops() / r.denseFlops());
        System.out.printf("training time %.1f s; peak RSS %s; wrote %s and %s%n", r.trainSeconds(), RunSummary.peakRss(),
                RunSummary.written(out.resolve(EnsembleClassifier.MANIFEST), out.resolve(FreeTickets.METRICS), out.resolve(FreeTickets.CHART)),
                RunSummary.count(r.memberFiles().size(), "member model"));
    }
}
