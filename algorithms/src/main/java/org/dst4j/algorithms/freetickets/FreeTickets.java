package org.dst4j.algorithms.freetickets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.IntFunction;
import org.dst4j.algorithms.ResumeChecks;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.ensemble.TopologyDistance;
import org.dst4j.nn.evolution.EvolutionSchedule;
import org.dst4j.nn.evolution.GradientGrow;
import org.dst4j.nn.evolution.GrowRule;
import org.dst4j.nn.evolution.MagnitudePrune;
import org.dst4j.nn.evolution.RandomGrow;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.CheckpointFile;
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
import org.dst4j.nn.plot.Charts;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.Evaluation;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RngStreams;
import org.dst4j.runtime.record.ArrayRecords;
import org.dst4j.runtime.resource.Closing;

/**
 * FreeTickets: ensembles of sparse networks trained by dynamic sparse training, whose whole training
 * costs less than one dense network's. See {@link FreeTicketsConfig} for the two variants' schedules.
 *
 * <p>A run writes into its directory one model file per member ({@code member-1.dst4j}, …: the DST
 * members' final models, or EDST's tickets), the ensemble manifest ({@value EnsembleClassifier#MANIFEST},
 * so {@code predict} and {@link EnsembleClassifier#load} read the directory as one model), per-epoch
 * {@value #LOG}, the ensemble evaluation {@value #METRICS} and {@value #CHART}. While it trains it keeps
 * {@value #CHECKPOINT} (the network under way, its optimizer and the run's state after the latest epoch),
 * from which {@link #resume} continues a run that was stopped or killed; it is removed once the results are written.
 */
public final class FreeTickets {
    /** The ensemble's and members' test metrics, diversity, cost and configuration. */
    public static final String METRICS = "metrics.json";
    /** One JSON line per epoch of every member or phase. */
    public static final String LOG = "metrics.jsonl";
    /** Test accuracy of each member and of the ensemble. */
    public static final String CHART = "members.png";
    /** The run's state after its latest epoch, while it trains: what {@link #resume} continues from. */
    public static final String CHECKPOINT = "checkpoint.dst4j";

    /**
     * What a run produced: test metrics of the ensemble and its members, topology distance between
     * members ({@code [i][j][layer]}), and training cost.
     *
     * @param test the ensemble's (averaged probabilities) and each member's test scores, and their diversity
     * @param topologyDistance {@code [i][j][layer]}: how far apart the live connections of members i and j are
     *     in each layer, 0 for identical topologies and 1 for disjoint ones
     * @param trainSeconds wall-clock time of training, without the final evaluation
     * @param memberFiles the members' model files, in member order
     * @param trainingFlops FLOPs of training the whole ensemble, from the live connection counts of every step
     * @param denseFlops FLOPs of training one dense network of the same shape for {@link FreeTicketsConfig#epochsPerNetwork()} epochs
     */
    public record Result(EnsembleMetrics test, double[][][] topologyDistance, long trainingFlops, long denseFlops,
                         double trainSeconds, List<Path> memberFiles) {
        /** Copies the distances, down to each layer's array, and the file list: changing the caller's afterwards does not change the result. */
        public Result {
            topologyDistance = ArrayRecords.deepCopy(Objects.requireNonNull(topologyDistance, "topologyDistance"));
            memberFiles = List.copyOf(Objects.requireNonNull(memberFiles, "memberFiles"));
        }

        /** {@code [i][j][layer]}: how far apart the live connections of members i and j are; a copy. */
        @Override public double[][][] topologyDistance() { return ArrayRecords.deepCopy(topologyDistance); }

        // By content: the generated methods would compare and print the arrays by identity.
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

        @Override public int hashCode() { return ArrayRecords.hashCode(this); }

        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    private FreeTickets() {}

    /**
     * Trains the ensemble described by {@code cfg} into {@code out} and evaluates it on the test split.
     *
     * @param cfg the variant and its hyper-parameters
     * @param data training and test sets; {@code cfg.validSplit()} of the training set is held out for
     *     checkpoint selection
     * @param standardize whether to fit a per-feature standardizer on the samples trained on and save it
     *     with every member
     * @param out the run directory, created if missing; the files listed on the class are replaced (an earlier run's
     *     checkpoint there is removed before this run trains: a resume continues this run, not that one)
     * @param progress told of every batch and epoch, or null for no progress reporting
     * @return test metrics of the ensemble and its members, topology distances and training cost
     * @throws IOException if writing into {@code out} fails
     * @throws IllegalArgumentException if the training set is empty, or too small to hold {@code cfg.validSplit()} of it out
     * @throws org.dst4j.nn.train.Trainer.DivergedException if a loss stops being finite
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted: the run stops before its
     *     next batch, naming the phase (the DST member, or {@code edst}) and its last completed epoch, and the
     *     thread's interrupt flag stays set (an interrupt that lands in a file write is an
     *     {@link java.io.InterruptedIOException} naming the file instead)
     */
    public static Result run(FreeTicketsConfig cfg, DatasetSplit data, boolean standardize, Path out, TrainingProgress progress) throws IOException {
        Objects.requireNonNull(cfg, "cfg");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(out, "out");
        return run(cfg, data, standardize, out, progress, null);
    }

    /**
     * Continues the run whose {@value #CHECKPOINT} is in {@code dir} (stopped or killed while it trained) and
     * ends it as it would have ended uninterrupted: the same member files, log and metrics (the training
     * time aside), whatever the thread counts before and after.
     *
     * @param dir the run's directory
     * @param data the data the run was started on: its training and test sets are checked against the checksums
     *     the checkpoint records
     * @param threads worker threads for the rest of the run
     * @param progress told of every batch and epoch still to train, or null for no progress reporting
     * @return as {@link #run}, for the whole run
     * @throws IOException if {@code dir} holds no readable FreeTickets checkpoint (or the files beside it do not
     *     match it), the data differs from the run's, or writing fails
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted, as for {@link #run} (an
     *     interrupt already set when the checkpoint is read is a {@link java.io.InterruptedIOException} naming it)
     */
    public static Result resume(Path dir, DatasetSplit data, int threads, TrainingProgress progress) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(data, "data");
        WorkerPool.checkThreads(threads);
        Saved saved = Saved.read(dir, threads);
        ResumeChecks.sameData(dir, saved.trainChecksum(), saved.testChecksum(), saved.provenance(), data);
        checkMembers(dir, saved.cfg(), data);
        return run(saved.cfg(), data, saved.standardize(), dir, progress, saved);
    }

    // By value, not by the header's text: files of earlier builds hold the float settings
    // widened (0.05000000074505806 for 0.05).
    @SuppressWarnings("unchecked")
    private static boolean sameConfig(FreeTicketsConfig cfg, Map<?, ?> saved) {
        try {
            return FreeTicketsConfig.fromMap((Map<String, Object>) saved, cfg.threads()).equals(cfg);
        } catch (RuntimeException e) {
            return false;
        }
    }

    // The members written before the stop are read from the directory as they are when the run ends. One put there from
    // another run went into the ensemble: of another shape, a stack trace once every member had trained; of the same, an
    // ensemble that was never this run's, its metrics credited to this one's settings.
    private static void checkMembers(Path dir, FreeTicketsConfig cfg, DatasetSplit data) throws IOException {
        Given given = new Given(data.train().name(), data.train().checksum());
        for (int i = 1; i <= cfg.members(); i++) {
            Path f = dir.resolve("member-" + i + ".dst4j");
            if (!Files.isRegularFile(f)) continue;
            Map<String, Object> h;
            try (CheckpointFile.Index ix = CheckpointFile.open(f)) {
                h = ix.header();
            }
            Map<?, ?> want = (Map<?, ?>) header(cfg, i, given).get("provenance");
            boolean same = h.get("training") instanceof Map<?, ?> t && t.get("config") instanceof Map<?, ?> c && sameConfig(cfg, c)
                    && h.get("provenance") instanceof Map<?, ?> p;
            if (same) {
                Map<?, ?> p = (Map<?, ?>) h.get("provenance");
                for (String key : List.of("algorithm", "seed", "member", "training_set_checksum")) {
                    same &= String.valueOf(want.get(key)).equals(String.valueOf(p.get(key)));
                }
            }
            if (!same) {
                throw new IOException(f + ": not member " + i + " of the run in " + dir + " (its header names another run's settings, seed or"
                        + " data): put the run's own back, or start the run again with --overwrite");
            }
        }
    }

    /**
     * The configuration of the run whose {@value #CHECKPOINT} is in {@code dir} (with {@code threads}) and the
     * epochs it has trained, over all its members: what {@link #resume} will continue, e.g. to size a progress display.
     *
     * @throws IOException if {@code dir} holds no readable FreeTickets checkpoint
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     */
    public static Resumable resumable(Path dir, int threads) throws IOException {
        Objects.requireNonNull(dir, "dir");
        WorkerPool.checkThreads(threads);
        Saved saved = Saved.read(dir, threads);
        return new Resumable(saved.cfg(), saved.records());
    }

    /**
     * What a checkpoint says of its run.
     *
     * @param config the run's configuration
     * @param epochsDone epochs trained so far over the whole run (all DST members', or EDST's one run)
     */
    public record Resumable(FreeTicketsConfig config, int epochsDone) {
        /** Checks the count. */
        public Resumable {
            Objects.requireNonNull(config, "config");
            if (epochsDone < 0) throw new IllegalArgumentException("epochsDone must be >= 0, got " + epochsDone);
        }
    }

    private static Result run(FreeTicketsConfig cfg, DatasetSplit data, boolean standardize, Path out, TrainingProgress progress,
                              Saved from) throws IOException {
        data.train().requireTrainingSamples();
        if (progress == null) progress = new TrainingProgress() {};
        List<Path> files = new ArrayList<>();
        for (int i = 1; i <= cfg.members(); i++) files.add(out.resolve("member-" + i + ".dst4j"));
        List<String> outputs = new ArrayList<>(List.of(CHECKPOINT, LOG, METRICS, CHART, EnsembleClassifier.MANIFEST));
        for (Path f : files) outputs.add(f.getFileName().toString());
        AtomicFiles.createDirectoryFor(out, outputs);
        Map<Path, Selection> selected = new LinkedHashMap<>();
        if (from != null) {
            from.selected().forEach((name, sel) -> selected.put(out.resolve(name), sel));
            // A candidate written by the epoch the kill cut short: that epoch is trained again.
            List<String> written = new ArrayList<>(List.of(CHECKPOINT, LOG, METRICS, CHART, EnsembleClassifier.MANIFEST));
            for (Path f : files) {
                Files.deleteIfExists(Checkpoints.candidate(f));
                // A kill in a member's or candidate's write leaves its temporary too; they are written again under new names.
                written.add(f.getFileName().toString());
                written.add(Checkpoints.candidate(f).getFileName().toString());
            }
            AtomicFiles.removeTemporaries(out, written);
        } else {
            // an earlier run's, left by a stop: kept until this run's first save, a resume would have continued it
            Files.deleteIfExists(out.resolve(CHECKPOINT));
        }
        Saver saver = new Saver(out.resolve(CHECKPOINT), cfg, standardize, provenance(cfg, data), selected, from);
        try (WorkerPool pool = new WorkerPool(cfg.threads());
             MetricsLog log = from == null ? MetricsLog.create(out.resolve(LOG)) : MetricsLog.resumeAfter(out.resolve(LOG), from.records())) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            Given given = new Given(data.train().name(), data.train().checksum());
            if (cfg.variant() == Variant.DST) {
                for (int i = from == null ? 0 : from.member(); i < cfg.members(); i++) {
                    Saved at = from != null && i == from.member() ? from : null;
                    // A shared split is copied out again for each member: the same samples, one copy alive at a time.
                    try (HeldOut h = HeldOut.of(cfg, data, cfg.splitSeed(i), standardize)) {
                        long[] f = trainDstMember(cfg, i, h.training(), h.valid(), h.std(), given, pk, files.get(i), selected, log, progress, saver, at);
                        saver.flops[0] += f[0];
                        saver.flops[1] = f[1];
                    }
                }
            } else {
                try (HeldOut h = HeldOut.of(cfg, data, cfg.seed(), standardize)) {
                    long[] f = trainEdst(cfg, h.training(), h.valid(), h.std(), given, pk, files, selected, log, progress, saver, from);
                    saver.flops[0] = f[0];
                    saver.flops[1] = f[1];
                }
            }
        }
        double trainSeconds = saver.seconds();
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
            Result r = new Result(test, dist, saver.flops[0], saver.flops[1], trainSeconds, files);
            AtomicFiles.writeString(out.resolve(METRICS), Json.write(metrics(cfg, r, names, files, selected)) + "\n");
            Charts.write(out.resolve(CHART), f -> chart(cfg, test).write(f));
            // The run is whole: nothing left to resume.
            Files.deleteIfExists(out.resolve(CHECKPOINT));
            return r;
        }
    }

    // What a network trains on and is selected on: the training set less cfg.validSplit() of it, drawn from
    // splitSeed, with the standardizer fitted on the samples trained on only (the held-out ones stay unseen).
    private record HeldOut(DatasetSplit training, Dataset valid, Standardizer std) implements AutoCloseable {
        static HeldOut of(FreeTicketsConfig cfg, DatasetSplit data, long splitSeed, boolean standardize) {
            if (cfg.validSplit() == 0) return new HeldOut(data, null, standardize ? Standardizer.fit(data.train()) : null);
            int[][] parts = holdOut(data.train().samples(), cfg.validSplit(), splitSeed);
            Dataset fit = data.train().subset(parts[0]);
            Dataset valid = null;
            try {
                valid = data.train().subset(parts[1]);
                return new HeldOut(new DatasetSplit(fit, data.test()), valid, standardize ? Standardizer.fit(fit) : null);
            } catch (RuntimeException | Error e) {
                fit.close();
                if (valid != null) valid.close();
                throw e;
            }
        }

        // The test set belongs to the caller's split; only the copies made here are closed.
        @Override public void close() {
            if (valid == null) return;
            Closing.all(training.train()::close, valid::close);
        }
    }

    // One DST member: its own seed, multi-step learning rate, DST prune schedule; continued from `at` when it is
    // the member a checkpoint was written in. Returns {sparse, dense} FLOPs.
    private static long[] trainDstMember(FreeTicketsConfig cfg, int member, DatasetSplit data, Dataset valid, Standardizer std, Given given,
                                         ParallelKernels pk, Path file, Map<Path, Selection> selected, MetricsLog log,
                                         TrainingProgress progress, Saver saver, Saved at) throws IOException {
        long seed = cfg.seed() + member;
        Sgd opt = new Sgd(cfg.momentum(), cfg.weightDecay());
        try (SparseMlp net = network(cfg, data, seed, opt, saver, at)) {
            long[] before = at == null ? new long[2] : at.networkFlops();
            EpochHook best = valid == null ? null
                    : new Checkpoints(net, valid, std, pk, selected, epoch -> file, epoch -> header(cfg, member + 1, given));
            train(cfg, cfg.epochs(), dstLearningRate(cfg), pruneSchedule(cfg), net, opt, data, std, pk, trainerState(seed, at), log, progress,
                    "member " + (member + 1) + "/" + cfg.members(), member + 1, best, s -> saver.save(net, opt, std, member, s, before));
            if (valid == null) ModelFile.save(file, net, null, std, header(cfg, member + 1, given));
            return new long[] {before[0] + net.trainingFlops(), before[1] + net.denseTrainingFlops()};
        }
    }

    // A new network, or the one the checkpoint holds (with its optimizer state), checked against the network the run's settings build.
    private static SparseMlp network(FreeTicketsConfig cfg, DatasetSplit data, long seed, Sgd opt, Saver saver, Saved at) throws IOException {
        if (at == null) return newNetwork(cfg, data, seed);
        SparseMlp net = ModelFile.load(saver.file, opt).net();
        MlpConfig built = mlpConfig(cfg, data);
        if (!net.config().equals(built)) {
            net.close();
            throw new IOException(saver.file + " holds the network " + net.config() + ", but its training config on this data makes " + built + " (file edited?)");
        }
        return net;
    }

    private static Trainer.State trainerState(long seed, Saved at) {
        Trainer.State state = dstState(seed);
        if (at != null) {
            state.epochsDone = at.epochsDone();
            state.step = at.step();
            state.shuffle.restore(at.rngShuffle());
            state.evolution.restore(at.rngEvolution());
        }
        return state;
    }

    /**
     * Trains {@code net} with the DST schedule of {@code cfg} (its epochs, multi-step learning rate,
     * magnitude prune at {@code cfg.pruneSchedule()} and regrowth every update interval), shuffling and
     * evolving from streams seeded by {@code seed}; each epoch is logged with {@code member} and told to
     * {@code progress}. All of {@code data.train()} is trained on and {@code net} ends as its last epoch
     * left it: {@code cfg.validSplit()} is not applied here. A null {@code progress} reports nothing.
     */
    public static void trainDst(Network net, FreeTicketsConfig cfg, long seed, DatasetSplit data, Standardizer std, ParallelKernels pk,
                                MetricsLog log, TrainingProgress progress, String phase, int member) throws IOException {
        trainDst(net, cfg, dstState(seed), data, std, pk, log, progress, phase, member, null);
    }

    /**
     * The state {@link #trainDst} starts from for {@code seed}: no epoch done, the sample order and the topology
     * updates drawn from streams of {@code seed}. A run continued from a checkpoint restores its counters and streams.
     */
    public static Trainer.State dstState(long seed) {
        RngStreams rng = new RngStreams(seed);
        return new Trainer.State(rng.stream("shuffle"), rng.stream("evolution"));
    }

    /** Saves what a run needs to go on after an epoch: called once the epoch is done and logged. */
    @FunctionalInterface
    public interface EpochSaver {
        /** Saves the run; {@code state} counts the epoch just done. */
        void save(Trainer.State state) throws IOException;
    }

    /**
     * As {@link #trainDst(Network, FreeTicketsConfig, long, DatasetSplit, Standardizer, ParallelKernels, MetricsLog,
     * TrainingProgress, String, int)}, from {@code state} (a fresh {@link #dstState}, or one restored from a
     * checkpoint together with the network and its {@link Sgd} state): only the epochs after {@code state.epochsDone}
     * are trained, and {@code saver}, when not null, is called after each of them.
     */
    public static void trainDst(Network net, FreeTicketsConfig cfg, Trainer.State state, DatasetSplit data, Standardizer std, ParallelKernels pk,
                                MetricsLog log, TrainingProgress progress, String phase, int member, EpochSaver saver) throws IOException {
        // Here, not at the first epoch's end, where a null log failed after a whole epoch's training.
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(cfg, "cfg");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(pk, "pk");
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(phase, "phase");
        if (progress == null) progress = new TrainingProgress() {};
        train(cfg, cfg.epochs(), dstLearningRate(cfg), pruneSchedule(cfg), net, new Sgd(cfg.momentum(), cfg.weightDecay()), data, std, pk,
                state, log, progress, phase, member, null, saver);
    }

    static LearningRate dstLearningRate(FreeTicketsConfig cfg) {
        int e = cfg.epochs();
        // /10 at 1/2 and /100 at 3/4 of the run, but never before epoch 1 and one epoch apart: e/2 and 3e/4
        // alone made a 1-epoch run train at lr/100 throughout and a 2-epoch run skip lr/10.
        int tenth = Math.max(1, e / 2), hundredth = Math.max(tenth + 1, e * 3 / 4);
        return new LearningRate.Piecewise(new int[] {0, tenth, hundredth}, new float[] {cfg.lr(), cfg.lr() / 10, cfg.lr() / 100});
    }

    // The regular topology update of both variants: every update interval, cosine-decayed or constant.
    static EvolutionSchedule pruneSchedule(FreeTicketsConfig cfg) {
        return cfg.pruneSchedule().equals("constant") ? EvolutionSchedule.constant(cfg.pruneRate(), cfg.updateInterval())
                : EvolutionSchedule.cosine(cfg.pruneRate(), cfg.updateInterval());
    }

    /**
     * Which training samples are held out: a permutation of {@code 0..n-1} from the {@code validation}
     * stream of {@code seed}, its first {@code round(n * share)} held out. Returns {trained on, held out},
     * each ascending; throws if either would be empty.
     */
    static int[][] holdOut(int n, double share, long seed) {
        int k = (int) Math.round(n * share);
        if (k < 1 || k >= n) {
            throw new IllegalArgumentException("valid split " + share + " of " + n + " training samples leaves " + k
                    + " for validation and " + (n - k) + " for training; both need at least one");
        }
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        new RngStreams(seed).stream("validation").shuffle(perm);
        int[] valid = Arrays.copyOf(perm, k), fit = Arrays.copyOfRange(perm, k, n);
        Arrays.sort(valid);
        Arrays.sort(fit);
        return new int[][] {fit, valid};
    }

    // The one EDST run: exploration, then refinement phases each ending in a ticket saved before the large prune
    // (or, with a validation set, each phase's best epoch on it).
    private static long[] trainEdst(FreeTicketsConfig cfg, DatasetSplit data, Dataset valid, Standardizer std, Given given, ParallelKernels pk,
                                    List<Path> files, Map<Path, Selection> selected, MetricsLog log, TrainingProgress progress,
                                    Saver saver, Saved from) throws IOException {
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
        LearningRate lr = explore == 0 ? new LearningRate.Piecewise(Arrays.copyOfRange(starts, 1, starts.length),
                Arrays.copyOfRange(rates, 1, rates.length)) : new LearningRate.Piecewise(starts, rates);
        EvolutionSchedule schedule = new EdstSchedule(pruneSchedule(cfg), cfg.largePruneRate(), explore, refine, m);
        Sgd opt = new Sgd(cfg.momentum(), cfg.weightDecay());
        try (SparseMlp net = network(cfg, data, cfg.seed(), opt, saver, from)) {
            long[] before = from == null ? new long[2] : from.networkFlops();
            EpochHook hook;
            if (valid != null) {
                // Candidates are the refinement epochs only; each phase keeps its own best.
                hook = new Checkpoints(net, valid, std, pk, selected, epoch -> epoch < explore ? null : files.get((epoch - explore) / refine),
                        epoch -> header(cfg, (epoch - explore) / refine + 1, given));
            } else {
                hook = (epoch, s) -> {
                    int done = epoch + 1 - explore;
                    if (done > 0 && done % refine == 0) {
                        int ticket = done / refine;
                        try {
                            ModelFile.save(files.get(ticket - 1), net, null, std, header(cfg, ticket, given));
                        } catch (IOException e) {
                            throw new Trainer.FileWriteException(e);
                        }
                    }
                };
            }
            train(cfg, total, lr, schedule, net, opt, data, std, pk, trainerState(cfg.seed(), from), log, progress, "edst", 0, hook,
                    s -> saver.save(net, opt, std, 0, s, before));
            return new long[] {before[0] + net.trainingFlops(), before[1] + net.denseTrainingFlops()};
        }
    }

    /**
     * EDST's topology schedule: the {@code regular} update, and at the end of every refinement phase but
     * the last the large prune-and-regrow that moves the next ticket away from the one just taken.
     */
    record EdstSchedule(EvolutionSchedule regular, double largeRate, int explore, int refine, int members) implements EvolutionSchedule {
        boolean phaseEnd(int epoch) {
            int done = epoch + 1 - explore;
            return done > 0 && done % refine == 0 && done / refine < members;
        }

        @Override public boolean afterEpoch(int epoch, int epochs) {
            return epoch < epochs - 1 && (phaseEnd(epoch) || regular.afterEpoch(epoch, epochs));
        }

        @Override public double fraction(int epoch, int epochs) {
            return phaseEnd(epoch) ? largeRate : regular.fraction(epoch, epochs);
        }
    }

    /** Told, for every epoch, once it is trained (before its topology update) and once it is done. */
    private interface EpochHook {
        void epochTrained(int epoch, Trainer.State s);

        /** Adds what it measured to the epoch's log record. */
        default void epochDone(int epoch, Map<String, Object> record) {}
    }

    /** Where a kept model came from: its epoch in the run (1-based) and its validation accuracy and loss. */
    record Selection(int epoch, double accuracy, double loss) {}

    /**
     * Best-checkpoint selection on a validation set. Each epoch that {@code target} maps to a file is a
     * candidate for that file: the model as trained (before the epoch's topology update, which would
     * otherwise be judged freshly pruned) is written next to it, then scored on the validation set once
     * the epoch is done (it cannot be run earlier: the network's buffers still hold the last batch that
     * RigL regrows from), and replaces the file when its accuracy beats every earlier candidate's. {@code header}
     * gives the header of the model an epoch writes.
     */
    static final class Checkpoints implements EpochHook {
        private final SparseMlp net;
        private final Dataset valid;
        private final Standardizer std;
        private final ParallelKernels pk;
        private final Map<Path, Selection> selected;
        private final IntFunction<Path> target;
        private final IntFunction<Map<String, Object>> header;

        Checkpoints(SparseMlp net, Dataset valid, Standardizer std, ParallelKernels pk, Map<Path, Selection> selected,
                    IntFunction<Path> target, IntFunction<Map<String, Object>> header) {
            this.net = net;
            this.valid = valid;
            this.std = std;
            this.pk = pk;
            this.selected = selected;
            this.target = target;
            this.header = header;
        }

        static Path candidate(Path file) {
            return file.resolveSibling(file.getFileName() + ".candidate");
        }

        @Override public void epochTrained(int epoch, Trainer.State s) {
            Path file = target.apply(epoch);
            if (file == null) return;
            try {
                ModelFile.save(candidate(file), net, null, std, header.apply(epoch));
            } catch (IOException e) {
                throw new Trainer.FileWriteException(e);
            }
        }

        @Override public void epochDone(int epoch, Map<String, Object> record) {
            Path file = target.apply(epoch);
            if (file == null) return;
            Path c = candidate(file);
            try {
                Evaluation ev;
                try (SparseMlp m = ModelFile.load(c, null).net()) {
                    ev = Evaluation.of(pk, m, valid, std, new SoftmaxCrossEntropy(), 1000);
                }
                record.put("valid_loss", ev.loss());
                record.put("valid_accuracy", ev.accuracy());
                Selection best = selected.get(file);
                // Strictly better only: on a tie the earlier epoch stays, as in the reference code.
                if (best == null || ev.accuracy() > best.accuracy()) {
                    Files.move(c, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    selected.put(file, new Selection(epoch + 1, ev.accuracy(), ev.loss()));
                } else {
                    Files.delete(c);
                }
            } catch (IOException e) {
                throw new Trainer.FileWriteException(e);
            }
        }
    }

    private static void train(FreeTicketsConfig cfg, int epochs, LearningRate lr, EvolutionSchedule schedule, Network net, Sgd opt,
                              DatasetSplit data, Standardizer std, ParallelKernels pk, Trainer.State state, MetricsLog log,
                              TrainingProgress progress, String phase, int member, EpochHook hook, EpochSaver saver) throws IOException {
        GrowRule grow = cfg.grow().equals("gradient") ? new GradientGrow() : new RandomGrow();
        Trainer.Settings settings = new Trainer.Settings(epochs, cfg.batch(), lr, opt,
                new SoftmaxCrossEntropy(), evolution(cfg, grow, schedule), 1000);
        try {
            new Trainer(pk, settings).run(net, data.train(), data.test(), std, state, new Trainer.Listener() {
                @Override public void batchDone(int epoch, int done, int total) {
                    progress.batch(epoch, done, total);
                }

                @Override public void epochTrained(int epoch, Trainer.State s) {
                    if (hook != null) hook.epochTrained(epoch, s);
                }

                @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                    progress.epoch(phase, m);
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("member", member);
                    // EDST is one run: which phase an epoch belongs to is not told by its member number.
                    if (cfg.variant() == Variant.EDST) {
                        int e = m.epoch() - 1 - cfg.exploreEpochs();
                        r.put("phase", e < 0 ? "exploration" : "ticket " + (e / cfg.refineEpochs() + 1));
                    }
                    r.putAll(SetTraining.record(m));
                    if (hook != null) hook.epochDone(m.epoch() - 1, r);
                    try {
                        log.append(r);
                        if (saver != null) saver.save(s);
                    } catch (IOException e) {
                        throw new Trainer.FileWriteException(e);
                    }
                }
            });
        } catch (Trainer.FileWriteException e) {
            throw e.getCause();
        } catch (CancellationException e) {
            // The trainer counts this call's epochs: "no epoch was completed" of member 3 is not of the whole run.
            throw new CancellationException(phase + ": " + e.getMessage());
        } catch (Trainer.DivergedException e) {
            // As above: "epoch 1" of a DST member is that member's.
            throw new Trainer.DivergedException(phase + ": " + e.getMessage());
        }
    }

    private static SparseMlp newNetwork(FreeTicketsConfig cfg, DatasetSplit data, long seed) {
        RngStreams rng = new RngStreams(seed);
        return SparseMlp.create(mlpConfig(cfg, data), rng.stream("init"), rng.stream("dropout").nextLong());
    }

    private static MlpConfig mlpConfig(FreeTicketsConfig cfg, DatasetSplit data) {
        return new MlpConfig(MlpConfig.sizes(data.train().features(), cfg.hidden(), data.train().classes()), cfg.activation(), 0.6f, Activation.linear(), cfg.dropout(),
                new Density.Erk(cfg.density()), new WeightInit.HeUniform());
    }

    // The checkpoint's provenance: the data as given (predict and resume find a single file's held-out split by it) and the test set.
    private static Map<String, Object> provenance(FreeTicketsConfig cfg, DatasetSplit data) {
        Map<String, Object> more = new LinkedHashMap<>();
        // As on the members (header): predict takes a FreeTickets data_checksum for a member's share after the hold-out,
        // and checks a single file's split only by this key.
        more.put("training_set_checksum", data.train().checksum());
        more.put("test_checksum", data.test().checksum());
        more.put("train_samples", data.train().samples());
        more.put("test_samples", data.test().samples());
        return ModelFile.provenance("freetickets-" + cfg.variant().label(), cfg.seed(), data.train().name(), data.train().checksum(), more);
    }

    // Writes the checkpoint after every epoch: the network under way with its optimizer state, and in the header what
    // the run needs to go on from there. Keeps the run's counters too: FLOPs of the members done, records logged, time.
    private static final class Saver {
        final Path file;
        final long[] flops;
        private final FreeTicketsConfig cfg;
        private final boolean standardize;
        private final Map<String, Object> provenance;
        private final Map<Path, Selection> selected;
        private final double secondsBefore;
        private final long t0 = System.nanoTime();
        private int records;

        Saver(Path file, FreeTicketsConfig cfg, boolean standardize, Map<String, Object> provenance, Map<Path, Selection> selected, Saved from) {
            this.file = file;
            this.cfg = cfg;
            this.standardize = standardize;
            this.provenance = provenance;
            this.selected = selected;
            flops = from == null ? new long[2] : from.flopsDone();
            records = from == null ? 0 : from.records();
            secondsBefore = from == null ? 0 : from.seconds();
        }

        double seconds() {
            return secondsBefore + (System.nanoTime() - t0) / 1e9;
        }

        // `before`: the FLOPs the network had spent when it was loaded from the checkpoint (its counters start at 0).
        void save(SparseMlp net, Sgd opt, Standardizer std, int member, Trainer.State s, long[] before) throws IOException {
            records++;
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("config", cfg.toMap());
            t.put("standardize", standardize);
            t.put("member", member);
            t.put("epochs_done", s.epochsDone);
            t.put("step", s.step);
            t.put("rng_shuffle", s.shuffle.state());
            t.put("rng_evolution", s.evolution.state());
            t.put("records", records);
            t.put("flops_done", flops.clone());
            t.put("network_flops", new long[] {before[0] + net.trainingFlops(), before[1] + net.denseTrainingFlops()});
            t.put("train_seconds", seconds());
            List<Object> sel = new ArrayList<>();
            selected.forEach((f, x) -> {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("file", f.getFileName().toString());
                e.put("epoch", x.epoch());
                e.put("accuracy", x.accuracy());
                e.put("loss", x.loss());
                sel.add(e);
            });
            t.put("selected", sel);
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("training", t);
            h.put("provenance", provenance);
            ModelFile.save(file, net, opt, std, h);
        }
    }

    // What a checkpoint's header says (Saver.save writes it): member is the DST member under way (0 for EDST),
    // epochsDone its epochs, records the log's records over the whole run.
    private record Saved(FreeTicketsConfig cfg, boolean standardize, int member, int epochsDone, long step, long[] rngShuffle,
                         long[] rngEvolution, int records, long[] flopsDone, long[] networkFlops, double seconds,
                         Map<String, Selection> selected, long trainChecksum, long testChecksum, Map<String, Object> provenance) {
        static Saved read(Path dir, int threads) throws IOException {
            Path file = dir.resolve(CHECKPOINT);
            Map<String, Object> h = ResumeChecks.checkpointHeader(dir, CHECKPOINT, METRICS, "freetickets", "FreeTickets");
            try {
                Map<String, Object> t = Json.getObject(h, "training");
                FreeTicketsConfig cfg = FreeTicketsConfig.fromMap(Json.getObject(t, "config"), threads);
                boolean standardize = Json.getBoolean(t, "standardize");
                int member = Json.getInt(t, "member");
                int last = cfg.variant() == Variant.DST ? cfg.members() - 1 : 0;
                if (member < 0 || member > last) throw new IllegalArgumentException("field 'member': " + member + " is not in [0, " + last + "]");
                int epochs = cfg.variant() == Variant.DST ? cfg.epochs() : cfg.totalEpochs();
                int epochsDone = Json.getInt(t, "epochs_done");
                if (epochsDone < 1 || epochsDone > epochs) throw new IllegalArgumentException("field 'epochs_done': " + epochsDone + " is not in [1, " + epochs + "]");
                long step = Json.getLong(t, "step");
                if (step < 0) throw new IllegalArgumentException("field 'step': expected a count >= 0, got " + step);
                int records = Json.getInt(t, "records");
                int expected = (cfg.variant() == Variant.DST ? member * cfg.epochs() : 0) + epochsDone;
                if (records != expected) throw new IllegalArgumentException("field 'records': " + records + ", but member and epochs_done make " + expected);
                long[] flopsDone = pair(t, "flops_done"), networkFlops = pair(t, "network_flops");
                double seconds = Json.getDouble(t, "train_seconds");
                if (!(seconds >= 0)) throw new IllegalArgumentException("field 'train_seconds': expected a time >= 0, got " + seconds);
                if (!(t.get("selected") instanceof List<?> list)) throw new IllegalArgumentException("field 'selected': expected an array, got " + t.get("selected"));
                Map<String, Selection> selected = new LinkedHashMap<>();
                for (Object o : list) {
                    if (!(o instanceof Map<?, ?> raw)) throw new IllegalArgumentException("field 'selected': expected objects, got " + o);
                    @SuppressWarnings("unchecked") Map<String, Object> e = (Map<String, Object>) raw;
                    String name = Json.getString(e, "file");
                    if (!name.matches("member-[1-9][0-9]*\\.dst4j") || Integer.parseInt(name.substring(7, name.length() - 6)) > cfg.members()) {
                        throw new IllegalArgumentException("field 'selected': '" + name + "' is not a member file of this run");
                    }
                    selected.put(name, new Selection(Json.getInt(e, "epoch"), Json.getDouble(e, "accuracy"), Json.getDouble(e, "loss")));
                }
                Map<String, Object> p = Json.getObject(h, "provenance");
                long train = Json.getLong(p, "data_checksum"), test = Json.getLong(p, "test_checksum");
                ResumeChecks.sameStandardization(file, standardize);
                return new Saved(cfg, standardize, member, epochsDone, step, Json.getLongs(t, "rng_shuffle"), Json.getLongs(t, "rng_evolution"),
                        records, flopsDone, networkFlops, seconds, selected, train, test, p);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " is not a FreeTickets training checkpoint (" + e.getMessage() + ")");
            }
        }

        private static long[] pair(Map<String, Object> t, String key) {
            long[] v = Json.getLongs(t, key);
            if (v.length != 2 || v[0] < 0 || v[1] < 0) throw new IllegalArgumentException("field '" + key + "': expected two counts >= 0");
            return v;
        }

        @Override public long[] flopsDone() { return flopsDone.clone(); }

        @Override public long[] networkFlops() { return networkFlops.clone(); }
    }

    // The training set as the caller gave it, before any validation hold-out: predict recognizes a single
    // file's held-out test split by this checksum, as for the other commands' models.
    private record Given(String name, long checksum) {}

    private static Map<String, Object> header(FreeTicketsConfig cfg, int member, Given data) {
        Map<String, Object> more = new LinkedHashMap<>();
        more.put("member", member);
        // data_checksum of older members is their own share's (after the validation hold-out), which predict cannot
        // check a split against; this key tells it the checksum is the training set's as given.
        more.put("training_set_checksum", data.checksum());
        Map<String, Object> p = ModelFile.provenance("freetickets-" + cfg.variant().label(), cfg.variant() == Variant.DST ? cfg.seed() + member - 1 : cfg.seed(),
                data.name(), data.checksum(), more);
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("training", Map.of("config", cfg.toMap()));
        h.put("provenance", p);
        return h;
    }

    private static Map<String, Object> metrics(FreeTicketsConfig cfg, Result r, List<String> names, List<Path> files,
                                               Map<Path, Selection> selected) {
        EnsembleMetrics t = r.test();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", cfg.toMap());
        m.put("ensemble", t.ensemble().toMap());
        List<Object> members = new ArrayList<>();
        double best = 0, bestNll = Double.POSITIVE_INFINITY;
        for (int i = 0; i < t.members().size(); i++) {
            Map<String, Object> s = t.members().get(i).toMap();
            s.put("file", names.get(i));
            Selection sel = selected.get(files.get(i));
            if (sel != null) {
                s.put("selected_epoch", sel.epoch());
                s.put("valid_accuracy", sel.accuracy());
                s.put("valid_nll", sel.loss());
                s.put("valid_split_seed", cfg.splitSeed(i));
            }
            members.add(s);
            best = Math.max(best, t.members().get(i).accuracy());
            bestNll = Math.min(bestNll, t.members().get(i).nll());
        }
        m.put("members", members);
        m.put("best_member_accuracy", best);
        m.put("ensemble_gain_points", 100 * (t.ensemble().accuracy() - best));
        m.put("lowest_member_nll", bestNll);
        double[][] disagreement = t.disagreement(), kl = t.kl(); // copies: take them once
        m.put("disagreement", disagreement);
        m.put("mean_disagreement", EnsembleMetrics.meanOffDiagonal(disagreement));
        m.put("kl", kl);
        m.put("mean_kl", EnsembleMetrics.meanOffDiagonal(kl));
        List<Object> dist = new ArrayList<>();
        double[][][] distance = r.topologyDistance();
        for (int i = 0; i < distance.length; i++) {
            for (int j = i + 1; j < distance.length; j++) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("a", i + 1);
                d.put("b", j + 1);
                d.put("layers", distance[i][j]);
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

    private static BarChart chart(FreeTicketsConfig cfg, EnsembleMetrics t) {
        BarChart c = new BarChart("FreeTickets " + cfg.variant().name() + ": members vs ensemble (test)", "accuracy");
        for (int i = 0; i < t.members().size(); i++) {
            c.add((cfg.variant() == Variant.EDST ? "ticket " : "member ") + (i + 1), t.members().get(i).accuracy(), false);
        }
        return c.add("ensemble", t.ensemble().accuracy(), true);
    }

    // A network-wide rule remembers its update's layers between beforeUpdate and their pruning: one per network trained.
    static TopologyEvolution evolution(FreeTicketsConfig cfg, GrowRule grow, EvolutionSchedule schedule) {
        return cfg.pruneScope().equals("network")
                ? new TopologyEvolution(MagnitudePrune.networkWide(), grow, schedule, new WeightInit.Zero())
                : TopologyEvolution.magnitude(grow, schedule);
    }
}
