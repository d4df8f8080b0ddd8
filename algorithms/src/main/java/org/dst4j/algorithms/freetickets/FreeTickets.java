package org.dst4j.algorithms.freetickets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.ensemble.TopologyDistance;
import org.dst4j.nn.evolution.EvolutionSchedule;
import org.dst4j.nn.evolution.GradientGrow;
import org.dst4j.nn.evolution.GrowRule;
import org.dst4j.nn.evolution.RandomGrow;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.MetricsLog;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.loss.SoftmaxCrossEntropy;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.ModelFile;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.Network;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.nn.plot.BarChart;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RngStreams;

/**
 * FreeTickets: ensembles of sparse networks trained by dynamic sparse training, whose whole training
 * costs less than one dense network's. See {@link FreeTicketsConfig} for the two variants' schedules.
 *
 * <p>A run writes into its directory one model file per member ({@code member-1.dst4j}, …: the DST
 * members' final models, or EDST's tickets), the ensemble manifest ({@value EnsembleClassifier#MANIFEST},
 * so {@code predict} and {@link EnsembleClassifier#load} read the directory as one model), per-epoch
 * {@value #LOG}, the ensemble evaluation {@value #METRICS} and {@value #CHART}.
 */
public final class FreeTickets {
    public static final String METRICS = "metrics.json";
    public static final String LOG = "metrics.jsonl";
    public static final String CHART = "members.png";

    /** Told as training goes (for progress display). */
    public interface Progress {
        default void batch(int epoch, int done, int total) {}

        /** An epoch finished; {@code phase} names the member or EDST phase it belongs to. */
        default void epoch(String phase, EpochMetrics m) {}
    }

    /**
     * What a run produced: test metrics of the ensemble and its members, topology distance between
     * members ({@code [i][j][layer]}), and training cost.
     *
     * @param trainingFlops FLOPs of training the whole ensemble, from the live connection counts of every step
     * @param denseFlops FLOPs of training one dense network of the same shape for {@link FreeTicketsConfig#epochsPerNetwork()} epochs
     */
    public record Result(EnsembleMetrics test, double[][][] topologyDistance, long trainingFlops, long denseFlops,
                         double trainSeconds, List<Path> memberFiles) {}

    private FreeTickets() {}

    /** Trains the ensemble described by {@code cfg} into {@code out} and evaluates it on the test split. */
    public static Result run(FreeTicketsConfig cfg, DatasetSplit data, boolean standardize, Path out, Progress progress) throws IOException {
        Files.createDirectories(out);
        Standardizer std = standardize ? Standardizer.fit(data.train()) : null;
        List<Path> files = new ArrayList<>();
        for (int i = 1; i <= cfg.members(); i++) files.add(out.resolve("member-" + i + ".dst4j"));
        long[] flops = new long[2];
        long t0 = System.nanoTime();
        try (WorkerPool pool = new WorkerPool(cfg.threads());
             MetricsLog log = MetricsLog.create(out.resolve(LOG))) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            if (cfg.variant() == Variant.DST) {
                for (int i = 0; i < cfg.members(); i++) {
                    long[] f = trainDstMember(cfg, i, data, std, pk, files.get(i), log, progress);
                    flops[0] += f[0];
                    flops[1] = f[1];
                }
            } else {
                long[] f = trainEdst(cfg, data, std, pk, files, log, progress);
                flops[0] = f[0];
                flops[1] = f[1];
            }
        }
        double trainSeconds = (System.nanoTime() - t0) / 1e9;
        List<String> names = files.stream().map(p -> p.getFileName().toString()).toList();
        EnsembleClassifier.writeManifest(out, names, Map.of("variant", cfg.variant().label()));
        try (EnsembleClassifier ensemble = EnsembleClassifier.load(out, cfg.threads())) {
            EnsembleMetrics test = ensemble.evaluate(data.test());
            int m = cfg.members();
            double[][][] dist = new double[m][m][];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    dist[i][j] = TopologyDistance.byLayer(ensemble.members().get(i).network(), ensemble.members().get(j).network());
                }
            }
            Result r = new Result(test, dist, flops[0], flops[1], trainSeconds, List.copyOf(files));
            AtomicFiles.writeString(out.resolve(METRICS), Json.write(metrics(cfg, r, names)) + "\n");
            chart(cfg, test).write(out.resolve(CHART));
            return r;
        }
    }

    // One DST member: its own seed, multi-step learning rate, cosine-decayed prune rate. Returns {sparse, dense} FLOPs.
    private static long[] trainDstMember(FreeTicketsConfig cfg, int member, DatasetSplit data, Standardizer std, ParallelKernels pk,
                                         Path file, MetricsLog log, Progress progress) throws IOException {
        long seed = cfg.seed() + member;
        try (SparseMlp net = newNetwork(cfg, data, seed)) {
            trainDst(net, cfg, seed, data, std, pk, log, progress, "member " + (member + 1) + "/" + cfg.members(), member + 1);
            ModelFile.save(file, net, null, std, header(cfg, member + 1, data));
            return new long[] {net.trainingFlops(), net.denseTrainingFlops()};
        }
    }

    /**
     * Trains {@code net} with the DST schedule of {@code cfg} (its epochs, multi-step learning rate,
     * cosine-decayed magnitude prune and regrowth every update interval), shuffling and evolving from
     * streams seeded by {@code seed}; each epoch is logged with {@code member} and told to {@code progress}.
     */
    public static void trainDst(Network net, FreeTicketsConfig cfg, long seed, DatasetSplit data, Standardizer std, ParallelKernels pk,
                                MetricsLog log, Progress progress, String phase, int member) throws IOException {
        int e = cfg.epochs();
        LearningRate lr = new LearningRate.Piecewise(new int[] {0, e / 2, e * 3 / 4}, new float[] {cfg.lr(), cfg.lr() / 10, cfg.lr() / 100});
        EvolutionSchedule schedule = EvolutionSchedule.cosine(cfg.pruneRate(), cfg.updateInterval());
        RngStreams rng = new RngStreams(seed);
        Trainer.State state = new Trainer.State(rng.stream("shuffle"), rng.stream("evolution"));
        train(cfg, e, lr, schedule, net, data, std, pk, state, log, progress, phase, member, (epoch, s) -> {});
    }

    // The one EDST run: exploration, then refinement phases each ending in a ticket saved before the large prune.
    private static long[] trainEdst(FreeTicketsConfig cfg, DatasetSplit data, Standardizer std, ParallelKernels pk,
                                    List<Path> files, MetricsLog log, Progress progress) throws IOException {
        int explore = cfg.exploreEpochs(), refine = cfg.refineEpochs(), m = cfg.members();
        int total = explore + m * refine;
        int[] starts = new int[1 + 2 * m];
        float[] rates = new float[1 + 2 * m];
        rates[0] = cfg.lr();
        for (int i = 0; i < m; i++) {
            int s = explore + i * refine;
            starts[1 + 2 * i] = s;
            rates[1 + 2 * i] = cfg.lr() / 10;
            starts[2 + 2 * i] = s + (refine + 1) / 2;
            rates[2 + 2 * i] = cfg.lr() / 100;
        }
        LearningRate lr = explore == 0 ? new LearningRate.Piecewise(java.util.Arrays.copyOfRange(starts, 1, starts.length),
                java.util.Arrays.copyOfRange(rates, 1, rates.length)) : new LearningRate.Piecewise(starts, rates);
        EvolutionSchedule schedule = new EdstSchedule(cfg.pruneRate(), cfg.largePruneRate(), cfg.updateInterval(), explore, refine, m);
        try (SparseMlp net = newNetwork(cfg, data, cfg.seed())) {
            RngStreams rng = new RngStreams(cfg.seed());
            Trainer.State state = new Trainer.State(rng.stream("shuffle"), rng.stream("evolution"));
            train(cfg, total, lr, schedule, net, data, std, pk, state, log, progress, "edst", 0, (epoch, s) -> {
                int done = epoch + 1 - explore;
                if (done > 0 && done % refine == 0) {
                    int ticket = done / refine;
                    try {
                        ModelFile.save(files.get(ticket - 1), net, null, std, header(cfg, ticket, data));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
            return new long[] {net.trainingFlops(), net.denseTrainingFlops()};
        }
    }

    /**
     * EDST's topology schedule: the regular cosine-decayed update every {@code interval} epochs, and at
     * the end of every refinement phase but the last the large prune-and-regrow that moves the next
     * ticket away from the one just taken.
     */
    record EdstSchedule(double pruneRate, double largeRate, int interval, int explore, int refine, int members) implements EvolutionSchedule {
        boolean phaseEnd(int epoch) {
            int done = epoch + 1 - explore;
            return done > 0 && done % refine == 0 && done / refine < members;
        }

        @Override public boolean afterEpoch(int epoch, int epochs) {
            return epoch < epochs - 1 && (phaseEnd(epoch) || (pruneRate > 0 && (epoch + 1) % interval == 0));
        }

        @Override public double fraction(int epoch, int epochs) {
            if (phaseEnd(epoch)) return largeRate;
            return pruneRate / 2 * (1 + StrictMath.cos(Math.PI * (epoch + 1) / epochs));
        }
    }

    private interface Snapshot {
        void epochTrained(int epoch, Trainer.State s);
    }

    private static void train(FreeTicketsConfig cfg, int epochs, LearningRate lr, EvolutionSchedule schedule, Network net,
                              DatasetSplit data, Standardizer std, ParallelKernels pk, Trainer.State state, MetricsLog log,
                              Progress progress, String phase, int member, Snapshot snapshot) throws IOException {
        GrowRule grow = cfg.grow().equals("gradient") ? new GradientGrow() : new RandomGrow();
        Trainer.Settings settings = new Trainer.Settings(epochs, cfg.batch(), lr, new Sgd(cfg.momentum(), cfg.weightDecay()),
                new SoftmaxCrossEntropy(), TopologyEvolution.magnitude(grow, schedule), 1000);
        try {
            new Trainer(pk, settings).run(net, data.train(), data.test(), std, state, new Trainer.Listener() {
                @Override public void batchDone(int epoch, int done, int total) {
                    progress.batch(epoch, done, total);
                }

                @Override public void epochTrained(int epoch, Trainer.State s) {
                    snapshot.epochTrained(epoch, s);
                }

                @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                    progress.epoch(phase, m);
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("member", member);
                    r.putAll(SetTraining.record(m));
                    try {
                        log.append(r);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static SparseMlp newNetwork(FreeTicketsConfig cfg, DatasetSplit data, long seed) {
        int[] hidden = cfg.hidden();
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = data.train().features();
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = data.train().classes();
        MlpConfig mlp = new MlpConfig(sizes, cfg.activation(), 0.6f, Activation.linear(), cfg.dropout(),
                new Density.Erk(cfg.density()), new WeightInit.HeUniform());
        RngStreams rng = new RngStreams(seed);
        return SparseMlp.create(mlp, rng.stream("init"), rng.stream("dropout").nextLong());
    }

    private static Map<String, Object> header(FreeTicketsConfig cfg, int member, DatasetSplit data) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("algorithm", "freetickets-" + cfg.variant().label());
        p.put("member", member);
        p.put("seed", cfg.variant() == Variant.DST ? cfg.seed() + member - 1 : cfg.seed());
        p.put("data", data.train().name());
        p.put("data_checksum", data.train().checksum());
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("training", Map.of("config", cfg.toMap()));
        h.put("provenance", p);
        return h;
    }

    private static Map<String, Object> metrics(FreeTicketsConfig cfg, Result r, List<String> names) {
        EnsembleMetrics t = r.test();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", cfg.toMap());
        m.put("ensemble", scores(t.ensemble()));
        List<Object> members = new ArrayList<>();
        double best = 0, bestNll = Double.POSITIVE_INFINITY;
        for (int i = 0; i < t.members().size(); i++) {
            Map<String, Object> s = scores(t.members().get(i));
            s.put("file", names.get(i));
            members.add(s);
            best = Math.max(best, t.members().get(i).accuracy());
            bestNll = Math.min(bestNll, t.members().get(i).nll());
        }
        m.put("members", members);
        m.put("best_member_accuracy", best);
        m.put("ensemble_gain_points", 100 * (t.ensemble().accuracy() - best));
        m.put("lowest_member_nll", bestNll);
        m.put("disagreement", t.disagreement());
        m.put("mean_disagreement", EnsembleMetrics.meanOffDiagonal(t.disagreement()));
        m.put("kl", t.kl());
        m.put("mean_kl", EnsembleMetrics.meanOffDiagonal(t.kl()));
        List<Object> dist = new ArrayList<>();
        for (int i = 0; i < r.topologyDistance().length; i++) {
            for (int j = i + 1; j < r.topologyDistance().length; j++) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("a", i + 1);
                d.put("b", j + 1);
                d.put("layers", r.topologyDistance()[i][j]);
                dist.add(d);
            }
        }
        m.put("topology_distance", dist);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("ensemble_training", r.trainingFlops());
        f.put("dense_training", r.denseFlops());
        f.put("dense_epochs", cfg.epochsPerNetwork());
        f.put("ensemble_over_dense", (double) r.trainingFlops() / r.denseFlops());
        m.put("flops", f);
        m.put("train_seconds", r.trainSeconds());
        return m;
    }

    private static Map<String, Object> scores(EnsembleMetrics.Scores s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", s.accuracy());
        m.put("nll", s.nll());
        m.put("ece", s.ece());
        return m;
    }

    private static BarChart chart(FreeTicketsConfig cfg, EnsembleMetrics t) {
        BarChart c = new BarChart("FreeTickets " + cfg.variant().name() + ": members vs ensemble (test)", "accuracy");
        for (int i = 0; i < t.members().size(); i++) {
            c.add((cfg.variant() == Variant.EDST ? "ticket " : "member ") + (i + 1), t.members().get(i).accuracy(), false);
        }
        return c.add("ensemble", t.ensemble().accuracy(), true);
    }
}
