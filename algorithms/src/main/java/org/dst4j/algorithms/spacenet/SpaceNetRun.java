package org.dst4j.algorithms.spacenet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.stream.Collectors;
import org.dst4j.algorithms.ResumeChecks;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.data.TaskStream;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.MetricsLog;
import org.dst4j.nn.io.NpzWriter;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.loss.SoftmaxCrossEntropy;
import org.dst4j.nn.model.ModelFile;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.nn.plot.Charts;
import org.dst4j.nn.plot.Heatmap;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.random.RngStreams;
import org.dst4j.runtime.record.ArrayRecords;
import org.dst4j.runtime.resource.Closing;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * A class-incremental run: SpaceNet over a task stream, and with baselines, the same sparse network
 * (SpaceNet's final topology, re-initialized) trained by plain sequential fine-tuning and jointly on all
 * classes. Writes {@code model.dst4j} (SpaceNet's network after the last task, every output in place: a
 * classifier of all classes seen, for {@code predict} or {@link org.dst4j.nn.model.SparseClassifier#load}),
 * {@code connection-owners.npz} (which task owns each of its connections), {@code metrics.json},
 * {@code metrics.jsonl} and {@code accuracy-matrix.png}.
 */
public final class SpaceNetRun {
    /** Every method's accuracy matrix, averages and SpaceNet's capacity use. */
    public static final String METRICS = "metrics.json";
    /** One JSON line per training epoch of every method and task. */
    public static final String LOG = "metrics.jsonl";
    /** The accuracy matrices as heatmaps. */
    public static final String CHART = "accuracy-matrix.png";
    /** SpaceNet's network after the last task: a classifier of every class seen. */
    public static final String MODEL = "model.dst4j";
    /**
     * Which task owns each connection of {@link #MODEL}, as NumPy arrays: per layer {@code layer<l>.owner}
     * (int32, the task's number from 1, in the order of the layer's CSR entries), with the CSR structure it is
     * aligned with, {@code layer<l>.indices} (int32 input of each entry), {@code layer<l>.indptr} (int64 row
     * starts) and {@code layer<l>.shape} ({@code [out, in]}): the same arrays, in the same order, as
     * {@code dst4j export} writes for the model.
     */
    public static final String OWNERS = "connection-owners.npz";

    /**
     * One method's outcome. {@code accuracy[i][j]}: accuracy on task i's test classes after learning task
     * j, predicting among the classes seen so far (class-incremental; NaN for i > j). {@code taskAccuracy}
     * is the same with the task known, predicting among task i's own classes (task-incremental): the gap
     * between the two is how much of the loss is confusion between tasks' classes.
     *
     * @param name the method
     * @param accuracy {@code [task][after task]}; joint training has one column, after all classes
     * @param connections live connections of its network
     * @param seconds wall-clock seconds of its training and evaluation
     * @param taskAccuracy {@code [task][after task]} with the task known, the shape of {@code accuracy}
     */
    public record Method(String name, double[][] accuracy, long connections, double seconds, double[][] taskAccuracy) {
        /** Copies the matrices row by row: changing the caller's afterwards does not change the outcome. */
        public Method {
            accuracy = ArrayRecords.deepCopy(Objects.requireNonNull(accuracy, "accuracy"));
            taskAccuracy = ArrayRecords.deepCopy(Objects.requireNonNull(taskAccuracy, "taskAccuracy"));
            boolean same = taskAccuracy.length == accuracy.length;
            for (int i = 0; same && i < accuracy.length; i++) same = taskAccuracy[i].length == accuracy[i].length;
            if (!same) throw new IllegalArgumentException("taskAccuracy must have the shape of accuracy");
        }

        /** As before the task-incremental matrix was measured: it is all NaN. */
        public Method(String name, double[][] accuracy, long connections, double seconds) {
            this(name, accuracy, connections, seconds, nanLike(accuracy));
        }

        private static double[][] nanLike(double[][] a) {
            double[][] n = new double[Objects.requireNonNull(a, "accuracy").length][];
            for (int i = 0; i < n.length; i++) {
                n[i] = new double[a[i].length];
                Arrays.fill(n[i], Double.NaN);
            }
            return n;
        }

        /** {@code [task][after task]}: accuracy on task i after learning task j, NaN for i > j; a copy. */
        @Override public double[][] accuracy() { return ArrayRecords.deepCopy(accuracy); }

        /** {@code [task][after task]} with the task known (among its own classes), NaN for i > j; a copy. */
        @Override public double[][] taskAccuracy() { return ArrayRecords.deepCopy(taskAccuracy); }

        /** Mean accuracy over all tasks after the last one. */
        public double averageAccuracy() {
            return lastColumnMean(accuracy);
        }

        /** Mean task-incremental accuracy over all tasks after the last one. */
        public double averageTaskAccuracy() {
            return lastColumnMean(taskAccuracy);
        }

        private static double lastColumnMean(double[][] a) {
            int last = a[0].length - 1;
            double s = 0;
            for (double[] row : a) s += row[last];
            return s / a.length;
        }

        /**
         * Mean over all tasks but the last of (best accuracy on it after any earlier task) minus (accuracy
         * after the last task); 0 with a single task.
         */
        public double averageForgetting() {
            int t = accuracy.length, last = accuracy[0].length - 1;
            if (t < 2 || last < 1) return 0;
            double s = 0;
            for (int i = 0; i < t - 1; i++) {
                double best = Double.NEGATIVE_INFINITY;
                for (int j = i; j < last; j++) best = Math.max(best, accuracy[i][j]);
                s += best - accuracy[i][last];
            }
            return s / (t - 1);
        }

        // By content: the generated methods would compare and print the arrays by identity.
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

        @Override public int hashCode() { return ArrayRecords.hashCode(this); }

        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    /**
     * SpaceNet, then (with baselines) fine-tuning and joint training; capacity use of SpaceNet's tasks.
     *
     * @param methods each method's outcome, SpaceNet first
     * @param tasks what each SpaceNet task allocated and reserved
     * @param sizes the network's layer sizes, input first
     * @param reservedNeuronShare share of hidden neurons reserved by the end
     * @param reservedConnectionShare connections taken by SpaceNet's tasks, as a share of the dense
     *     network's connections
     */
    public record Result(List<Method> methods, List<SpaceNet.TaskStats> tasks, int[] sizes, double reservedNeuronShare,
                         double reservedConnectionShare) {
        /** Copies the lists and the sizes: changing the caller's afterwards does not change the result. */
        public Result {
            methods = List.copyOf(Objects.requireNonNull(methods, "methods"));
            tasks = List.copyOf(Objects.requireNonNull(tasks, "tasks"));
            sizes = Objects.requireNonNull(sizes, "sizes").clone();
        }

        /** The network's layer sizes, input first; a copy. */
        @Override public int[] sizes() { return sizes.clone(); }

        // By content: the generated methods would compare and print the arrays by identity.
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

        @Override public int hashCode() { return ArrayRecords.hashCode(this); }

        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    private SpaceNetRun() {}

    /**
     * Refuses a configuration whose tasks cannot all get their neurons and connections, or do not fit the
     * data's classes: more tasks than classes, task classes outside the data's (that each class with samples is
     * in a task is checked against the data, by {@link #checkTaskClasses(int[][], DatasetSplit)}), a hidden layer smaller than {@link SpaceNetConfig#neuronsNeeded()}, or a layer's
     * connections per task above its {@link #connectionRoom}. Otherwise a task silently got fewer
     * connections, or none.
     *
     * @throws IllegalArgumentException naming the field that does not fit
     */
    public static void checkFits(SpaceNetConfig cfg, int features, int classes) {
        if (cfg.tasks() > classes) throw new IllegalArgumentException("tasks " + cfg.tasks() + " exceeds the " + classes + " classes of the data");
        checkTaskClasses(cfg.taskClasses(), classes, null);
        long need = cfg.neuronsNeeded();
        int[] hidden = cfg.hidden();
        for (int l = 0; l < hidden.length; l++) {
            if (hidden[l] < need) {
                throw new IllegalArgumentException("selectedNeurons " + cfg.selectedNeurons() + " with reservedNeurons " + cfg.reservedNeurons() + " over "
                        + cfg.tasks() + " tasks needs " + need + " neurons in every hidden layer; hidden layer " + (l + 1) + " has " + hidden[l]);
            }
        }
        int[] per = cfg.connectionsPerTask();
        long[] room = connectionRoom(cfg, features, classes);
        for (int l = 0; l < per.length; l++) {
            if (per[l] > room[l]) {
                throw new IllegalArgumentException("connectionsPerTask[" + l + "] " + per[l] + ": a task can place at most " + room[l] + " connections in layer " + (l + 1));
            }
        }
    }

    /**
     * Refuses task classes (as {@link SpaceNetConfig#taskClasses()}; empty: in class order, nothing to
     * check) that name a class the data does not have or leave one of its classes out: the shared output
     * layer and the joint baseline cover every class of the data, so each must be learned by some task.
     *
     * @throws IllegalArgumentException naming the class
     */
    public static void checkTaskClasses(int[][] groups, int classes) {
        checkTaskClasses(groups, classes, new boolean[0]);
    }

    /**
     * As {@link #checkTaskClasses(int[][], int)} against {@code data}'s classes, except that a class no sample
     * of {@code data} has (labels 1..N make a class 0 that no sample has; even labels, every odd class) need not
     * be in a task: it has nothing to learn or to score.
     *
     * @throws IllegalArgumentException naming the class
     */
    public static void checkTaskClasses(int[][] groups, DatasetSplit data) {
        boolean[] absent = new boolean[data.train().classes()];
        Arrays.fill(absent, true);
        for (Dataset d : List.of(data.train(), data.test())) for (int i = 0; i < d.samples(); i++) absent[d.label(i)] = false;
        checkTaskClasses(groups, data.train().classes(), absent);
    }

    // absent: classes that need not be in a task (shorter than classes: none); null: only the range is checked
    private static void checkTaskClasses(int[][] groups, int classes, boolean[] absent) {
        if (groups.length == 0) return;
        boolean[] named = new boolean[classes];
        for (int t = 0; t < groups.length; t++) {
            for (int c : groups[t]) {
                if (c < 0 || c >= classes) {
                    throw new IllegalArgumentException("task classes: task " + (t + 1) + " has class " + c + ", but the data's classes are 0.." + (classes - 1));
                }
                named[c] = true;
            }
        }
        if (absent == null) return;
        for (int c = 0; c < classes; c++) {
            if (!named[c] && !(c < absent.length && absent[c])) throw new IllegalArgumentException("task classes: class " + c + " of the data is in no task; every class must be in one");
        }
    }

    /**
     * The most connections a task can place in each layer: the block of its selected neurons, every input
     * in the first layer and the classes of the smallest task in the last. {@link SpaceNet} caps a larger
     * count without a word, which {@link #checkFits} refuses.
     */
    public static long[] connectionRoom(SpaceNetConfig cfg, int features, int classes) {
        int layers = cfg.connectionsPerTask().length, sel = cfg.selectedNeurons(), fewestClasses = fewestClasses(cfg, classes);
        long[] room = new long[layers];
        for (int l = 0; l < layers; l++) room[l] = (long) (l == 0 ? features : sel) * (l + 1 == layers ? fewestClasses : sel);
        return room;
    }

    /**
     * Refuses tasks none of whose classes has a training sample (labels that skip a number, or
     * {@code --limit-train} on data sorted by label): such a task trained on nothing, and its accuracy
     * was NaN. Call after {@link #checkFits}.
     *
     * @throws IllegalArgumentException naming the first such task and its classes
     */
    public static void checkTasksHaveSamples(SpaceNetConfig cfg, Dataset train) {
        checkEveryTaskIn(cfg, train, "training samples", "");
    }

    /**
     * Refuses tasks none of whose classes has a test sample (a test file without them, or {@code --limit-test}
     * on data sorted by label): such a task trained, but its accuracy, and with it the average accuracy of
     * every method, was NaN. Call after {@link #checkFits}.
     *
     * @throws IllegalArgumentException naming the first such task and its classes
     */
    public static void checkTasksHaveTestSamples(SpaceNetConfig cfg, Dataset test) {
        checkEveryTaskIn(cfg, test, "test samples", ": its accuracy cannot be measured");
    }

    private static void checkEveryTaskIn(SpaceNetConfig cfg, Dataset data, String what, String why) {
        int[] perClass = new int[data.classes()];
        for (int i = 0; i < data.samples(); i++) perClass[data.label(i)]++;
        int[][] groups = cfg.taskClassesFor(data.classes());
        for (int t = 0; t < groups.length; t++) {
            int n = 0;
            for (int c : groups[t]) n += perClass[c];
            if (n == 0) {
                throw new IllegalArgumentException("task " + (t + 1) + " (classes " + classes(groups[t]) + ") has no " + what + " in " + data.name() + why);
            }
        }
    }

    /** Classes of the smallest task when the data has {@code classes}. */
    public static int fewestClasses(SpaceNetConfig cfg, int classes) {
        return Arrays.stream(cfg.taskClassesFor(classes)).mapToInt(g -> g.length).min().orElseThrow();
    }

    /**
     * The run's checkpoint in its directory while it trains, rewritten after every epoch (SpaceNet's and the baselines')
     * and every SpaceNet task; {@link #resume} continues a run stopped or killed part-way from it. Deleted when the run ends.
     */
    public static final String CHECKPOINT = "checkpoint.dst4j";

    /**
     * Learns the classes of {@code data} as {@code cfg.tasks()} tasks ({@link SpaceNetConfig#taskClassesFor}: the
     * given groups, or in class order) with SpaceNet,
     * measuring the accuracy on every task seen so far after each task; with {@code baselines} also
     * fine-tuning and joint training on SpaceNet's final topology. While it trains, {@value #CHECKPOINT} in {@code out}
     * holds the run as of its last finished epoch, for {@link #resume}.
     *
     * @param cfg the network and per-task settings
     * @param data training and test sets, whose classes are split into the tasks
     * @param standardize whether to scale inputs by one mean and standard deviation of the whole training set
     * @param baselines whether to also train the fine-tuning and joint baselines
     * @param out the run directory, created if missing; the files listed on the class are replaced (an earlier run's
     *     checkpoint there is removed before this run trains: a resume continues this run, not that one)
     * @param progress told of every batch and epoch (the phase names method and task), or null for no
     *     progress reporting
     * @return each method's accuracy matrix and SpaceNet's use of capacity per task
     * @throws IOException if writing into {@code out} fails
     * @throws IllegalArgumentException if the training set is empty, the tasks do not fit the network or the
     *     data ({@link #checkFits}), or a task has no training or no test samples
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted: the run stops before its
     *     next batch, naming the method, the task and its last completed epoch, and the thread's interrupt flag stays set
     *     (an interrupt that lands in a file write is an {@link java.io.InterruptedIOException} naming the file instead)
     */
    public static Result run(SpaceNetConfig cfg, DatasetSplit data, boolean standardize, boolean baselines, Path out,
                             TrainingProgress progress) throws IOException {
        Objects.requireNonNull(cfg, "cfg");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(out, "out");
        data.train().requireTrainingSamples();
        checkFits(cfg, data.train().features(), data.train().classes());
        checkTaskClasses(cfg.taskClasses(), data);
        checkTasksHaveSamples(cfg, data.train());
        checkTasksHaveTestSamples(cfg, data.test());
        return run(cfg, data, standardize, baselines, out, progress, null);
    }

    /**
     * Continues the run whose {@value #CHECKPOINT} is in {@code dir}, stopped or killed part-way, and ends it as it would
     * have ended uninterrupted (the same model, owners, log and metrics, the times aside), whatever the thread counts
     * before and after: every method resumes after its last finished epoch, SpaceNet in the middle of a task too.
     *
     * @param dir the run's directory
     * @param data the data the run was started on, checked against the checksums the checkpoint records
     * @param threads worker threads for the rest of the run
     * @param progress told of every batch and epoch still to train, or null for no progress reporting
     * @return as {@link #run}, for the whole run
     * @throws IOException if {@code dir} holds no readable SpaceNet checkpoint (or the files beside it do not match it),
     *     the data differs from the run's, or writing fails
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted, as for {@link #run}
     */
    public static Result resume(Path dir, DatasetSplit data, int threads, TrainingProgress progress) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(data, "data");
        Saved saved = Saved.read(dir, threads);
        ResumeChecks.sameData(dir, saved.trainChecksum(), saved.testChecksum(), saved.provenance(), data);
        return run(saved.cfg(), data, saved.standardize(), saved.baselines(), dir, progress, saved);
    }

    /**
     * What the run whose {@value #CHECKPOINT} is in {@code dir} is (with {@code threads}), read without loading its
     * network: a caller loads the run's data with its seed, and sizes a progress display, before {@link #resume}.
     *
     * @throws IOException if {@code dir} holds no readable SpaceNet checkpoint
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     */
    public static Resumable resumable(Path dir, int threads) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Saved s = Saved.read(dir, threads);
        return new Resumable(s.cfg(), s.standardize(), s.baselines(), s.records());
    }

    /**
     * What a checkpoint says of its run.
     *
     * @param config the run's configuration
     * @param standardize whether its inputs are standardized
     * @param baselines whether it trains the baselines
     * @param epochsDone epochs trained so far over the whole run, every method's
     */
    public record Resumable(SpaceNetConfig config, boolean standardize, boolean baselines, int epochsDone) {
        /** Checks the count. */
        public Resumable {
            Objects.requireNonNull(config, "config");
            if (epochsDone < 0) throw new IllegalArgumentException("epochsDone must be >= 0, got " + epochsDone);
        }
    }

    // The run's parts in order; a checkpoint names the one under way.
    private enum Phase {
        SPACENET("spacenet"), FINE_TUNING("fine-tuning"), JOINT("joint");

        final String label;

        Phase(String label) {
            this.label = label;
        }

        static Phase of(String label) {
            for (Phase p : values()) if (p.label.equals(label)) return p;
            throw new IllegalArgumentException("field 'phase': expected spacenet, fine-tuning or joint, got \"" + label + "\"");
        }
    }

    // the baselines' names in the results (the phases' labels are the checkpoint's)
    private static final String FINE_TUNING_METHOD = "fine-tuning", JOINT_METHOD = "joint training (upper bound)";

    private static Result run(SpaceNetConfig cfg, DatasetSplit data, boolean standardize, boolean baselines, Path out,
                              TrainingProgress given, Saved from) throws IOException {
        TrainingProgress progress = given != null ? given : new TrainingProgress() {};
        AtomicFiles.createDirectoryFor(out, List.of(CHECKPOINT, MODEL, OWNERS, METRICS, LOG, CHART));
        // what a kill cut short in a write; or an earlier run's checkpoint, left by a stop: kept until this run's first
        // save, a resume would have continued it
        if (from != null) AtomicFiles.removeTemporaries(out, List.of(CHECKPOINT, MODEL, OWNERS, METRICS, LOG, CHART));
        else Files.deleteIfExists(out.resolve(CHECKPOINT));
        Phase at = from == null ? Phase.SPACENET : from.phase();
        List<Method> methods = new ArrayList<>(from == null ? List.of() : from.methods());
        List<SpaceNet.TaskStats> stats = from == null ? List.of() : from.stats();
        int[] sizes;
        try (TaskStream stream = TaskStream.of(data, cfg.taskClassesFor(data.train().classes()));
             WorkerPool pool = new WorkerPool(cfg.threads());
             MetricsLog log = from == null ? MetricsLog.create(out.resolve(LOG)) : MetricsLog.resumeAfter(out.resolve(LOG), from.records())) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            // one global mean and standard deviation of the whole training set, like the reference's fixed
            // dataset-wide normalization constants (MNIST 0.1307 / 0.3081); two numbers, no per-task statistics
            Standardizer std = standardize ? Standardizer.fitGlobal(data.train()) : null;
            Checkpoint cp = new Checkpoint(out.resolve(CHECKPOINT), cfg, std, baselines, provenance(cfg, data), methods, from);
            int tasks = stream.size();
            sizes = MlpConfig.sizes(data.train().features(), cfg.hidden(), stream.classes());
            if (at == Phase.SPACENET) {
                long t0 = System.nanoTime() - nanos(from);
                try (SpaceNet sn = from == null ? new SpaceNet(cfg, data.train().features(), stream.classes()) : cp.spaceNet(from, sizes)) {
                    double[][] acc = from == null ? nanMatrix(tasks) : from.accuracy(), taskAcc = from == null ? nanMatrix(tasks) : from.taskAccuracy();
                    for (int t = from == null ? 0 : from.task(); t < tasks; t++) {
                        TaskStream.Task task = stream.get(t);
                        int done = t;
                        Trainer.Listener l = listener(log, cp, progress, "spacenet task " + (t + 1), "spacenet", t,
                                s -> cp.save(Phase.SPACENET, done, s, acc, taskAcc, (System.nanoTime() - t0) / 1e9, sn, null));
                        try {
                            if (from != null && t == from.task() && from.epochsDone() > 0) {
                                sn.finishTask(task, task.test(), pk, std, restore(sn.taskState(), from), l); // the task the checkpoint was in
                            } else {
                                sn.learn(task, task.test(), pk, std, l);
                            }
                        } catch (CancellationException e) { // the trainer counts this task's epochs, not the run's
                            throw new CancellationException("SpaceNet, task " + (t + 1) + " of " + tasks + ": " + e.getMessage());
                        } catch (Trainer.DivergedException e) {
                            throw new Trainer.DivergedException("SpaceNet, task " + (t + 1) + " of " + tasks + ": " + e.getMessage());
                        }
                        double[] a = sn.accuracy(stream.tasks().subList(0, t + 1), stream.seenClasses(t), pk, std);
                        double[] k = sn.taskAccuracy(stream.tasks().subList(0, t + 1), pk, std);
                        for (int i = 0; i <= t; i++) {
                            acc[i][t] = a[i];
                            taskAcc[i][t] = k[i];
                        }
                        cp.save(Phase.SPACENET, t + 1, null, acc, taskAcc, (System.nanoTime() - t0) / 1e9, sn, null);
                    }
                    methods.add(new Method("SpaceNet", acc, sn.network().connections(), (System.nanoTime() - t0) / 1e9, taskAcc));
                    ModelFile.save(out.resolve(MODEL), sn.network(), null, std, header(cfg, data));
                    writeOwners(out.resolve(OWNERS), sn.network());
                    stats = sn.taskStats();
                }
            }
            if (baselines) {
                // SpaceNet's final topology, which both baselines start from, re-initialized
                try (SparseMlp topology = at != Phase.JOINT ? topology(out.resolve(MODEL), sizes, methods.getFirst().connections()) : null) {
                    if (at != Phase.JOINT) {
                        Saved f = at == Phase.FINE_TUNING ? from : null;
                        long t1 = System.nanoTime() - nanos(f);
                        try (SparseMlp ft = f == null ? sameTopology(topology, cfg.seed()) : cp.network(sizes)) {
                            double[][] a = f == null ? nanMatrix(tasks) : f.accuracy(), k = f == null ? nanMatrix(tasks) : f.taskAccuracy();
                            for (int t = f == null ? 0 : f.task(); t < tasks; t++) {
                                TaskStream.Task task = stream.get(t);
                                Trainer.State state = restore(state(new RngStreams(cfg.seed()).stream("finetune").split(t)), f != null && t == f.task() ? f : null);
                                int task0 = t;
                                try {
                                    train(ft, cfg, cfg.epochs(), task.train(), task.test(), pk, std, state, listener(log, cp, progress, "fine-tuning task " + (t + 1),
                                            "finetune", t, s -> cp.save(Phase.FINE_TUNING, task0, s, a, k, (System.nanoTime() - t1) / 1e9, null, ft)));
                                } catch (CancellationException e) {
                                    throw new CancellationException("fine-tuning baseline, task " + (t + 1) + " of " + tasks + ": " + e.getMessage());
                                } catch (Trainer.DivergedException e) {
                                    throw new Trainer.DivergedException("fine-tuning baseline, task " + (t + 1) + " of " + tasks + ": " + e.getMessage());
                                }
                                int[] seen = stream.seenClasses(t);
                                for (int i = 0; i <= t; i++) {
                                    a[i][t] = SpaceNet.accuracy(ft, stream.get(i).test(), seen, pk, std);
                                    k[i][t] = SpaceNet.accuracy(ft, stream.get(i).test(), stream.get(i).classes(), pk, std);
                                }
                            }
                            methods.add(new Method(FINE_TUNING_METHOD, a, ft.connections(), (System.nanoTime() - t1) / 1e9, k));
                        }
                    }
                    Saved j = at == Phase.JOINT ? from : null;
                    long t2 = System.nanoTime() - nanos(j);
                    try (SparseMlp joint = j == null ? sameTopology(topology, cfg.seed() + 1) : cp.network(sizes)) {
                        int epochs = cfg.epochs() * tasks;
                        Trainer.State state = restore(state(new RngStreams(cfg.seed()).stream("joint")), j);
                        double[][] none = new double[0][];
                        try {
                            train(joint, cfg, epochs, data.train(), data.test(), pk, std, state, listener(log, cp, progress, "joint", "joint", -1,
                                    s -> cp.save(Phase.JOINT, 0, s, none, none, (System.nanoTime() - t2) / 1e9, null, joint)));
                        } catch (CancellationException e) {
                            throw new CancellationException("joint-training baseline: " + e.getMessage());
                        } catch (Trainer.DivergedException e) {
                            throw new Trainer.DivergedException("joint-training baseline: " + e.getMessage());
                        }
                        double[][] a = new double[tasks][1], k = new double[tasks][1];
                        int[] all = stream.seenClasses(tasks - 1);
                        for (int i = 0; i < tasks; i++) {
                            a[i][0] = SpaceNet.accuracy(joint, stream.get(i).test(), all, pk, std);
                            k[i][0] = SpaceNet.accuracy(joint, stream.get(i).test(), stream.get(i).classes(), pk, std);
                        }
                        methods.add(new Method(JOINT_METHOD, a, joint.connections(), (System.nanoTime() - t2) / 1e9, k));
                    }
                }
            }
        } catch (Trainer.FileWriteException e) {
            throw e.getCause();
        }
        long dense = 0;
        int hiddenNeurons = 0, reserved = 0;
        for (int l = 0; l + 1 < sizes.length; l++) dense += (long) sizes[l] * sizes[l + 1];
        for (int l = 1; l + 1 < sizes.length; l++) hiddenNeurons += sizes[l];
        long frozen = 0;
        for (SpaceNet.TaskStats s : stats) {
            for (int r : s.reservedNeurons()) reserved += r;
            for (long c : s.connections()) frozen += c;
        }
        Result r = new Result(methods, stats, sizes, (double) reserved / hiddenNeurons, (double) frozen / dense);
        AtomicFiles.writeString(out.resolve(METRICS), Json.write(metrics(cfg, r, dense, hiddenNeurons)) + "\n");
        Charts.write(out.resolve(CHART), f -> {
            Heatmap chart = new Heatmap("Class-incremental accuracy (%) on task i after learning task j", "task", "after task j");
            if (cfg.taskClasses().length > 0) chart.rowNames(rowNames(cfg.taskClasses())); // which classes, when not in order
            for (Method m : methods) {
                double[][] a = m.accuracy();
                if (a[0].length > 1) chart.add(m.name(), a);
            }
            chart.write(f);
        });
        // The run is whole: nothing left to resume.
        Files.deleteIfExists(out.resolve(CHECKPOINT));
        return r;
    }

    // The seconds a resumed method had run before, as a head start for its clock.
    private static long nanos(Saved from) {
        return from == null ? 0 : (long) (from.seconds() * 1e9);
    }

    // A baseline's training state as its first epoch starts.
    private static Trainer.State state(RandomStream rnd) {
        return new Trainer.State(rnd.split("shuffle"), rnd.split("evolution"));
    }

    // `s` as the checkpoint left it (from null: unchanged).
    private static Trainer.State restore(Trainer.State s, Saved from) {
        if (from != null) {
            s.shuffle.restore(from.rngShuffle());
            s.evolution.restore(from.rngEvolution());
            s.epochsDone = from.epochsDone();
            s.step = from.step();
        }
        return s;
    }

    // SpaceNet's network as model.dst4j holds it, checked against what the checkpoint recorded of it.
    private static SparseMlp topology(Path model, int[] sizes, long connections) throws IOException {
        if (!Files.isRegularFile(model)) throw new IOException(model + ": missing; the baselines start from SpaceNet's network, which the run wrote there (removed by hand?)");
        SparseMlp net = ModelFile.load(model, null).net();
        if (!Arrays.equals(net.config().sizes(), sizes) || net.connections() != connections) {
            String got = Arrays.toString(net.config().sizes()) + " with " + net.connections() + " connections";
            net.close();
            throw new IOException(model + " holds layers " + got + ", but SpaceNet's network in this run has " + Arrays.toString(sizes) + " with "
                    + connections + " (file replaced?)");
        }
        return net;
    }

    // The checkpoint's provenance: the data as given (resume checks it is given the same) and the test set.
    private static Map<String, Object> provenance(SpaceNetConfig cfg, DatasetSplit data) {
        Map<String, Object> more = new LinkedHashMap<>();
        more.put("test_checksum", data.test().checksum());
        more.put("train_samples", data.train().samples());
        more.put("test_samples", data.test().samples());
        return ModelFile.provenance("spacenet", cfg.seed(), data.train().name(), data.train().checksum(), more);
    }

    // Writes the checkpoint: the network under way with its SGD state (SpaceNet as a saved learner, with its owners, flags
    // and tasks), and in the header where the run is, the methods it finished, SpaceNet's tasks and the log's length.
    private static final class Checkpoint {
        private final Path file;
        private final SpaceNetConfig cfg;
        private final Standardizer std;
        private final boolean baselines;
        private final Map<String, Object> provenance;
        private final List<Method> methods;
        private List<SpaceNet.TaskStats> stats;
        int records;

        // std: saved with the network, so that predict scores a checkpoint as it was trained (a resumed run fits it again)
        Checkpoint(Path file, SpaceNetConfig cfg, Standardizer std, boolean baselines, Map<String, Object> provenance, List<Method> methods, Saved from) {
            this.file = file;
            this.cfg = cfg;
            this.std = std;
            this.baselines = baselines;
            this.provenance = provenance;
            this.methods = methods;
            stats = from == null ? List.of() : from.stats();
            records = from == null ? 0 : from.records();
        }

        // sn: SpaceNet while it learns its tasks (s: after an epoch of the task under way, null: between tasks); net: a
        // baseline's network once SpaceNet has finished (sn null). task: SpaceNet's tasks finished, or the baseline's task.
        void save(Phase phase, int task, Trainer.State s, double[][] acc, double[][] taskAcc, double seconds, SpaceNet sn, SparseMlp net) throws IOException {
            if (sn != null) stats = sn.taskStats();
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("config", cfg.toMap());
            t.put("standardize", std != null);
            t.put("baselines", baselines);
            t.put("phase", phase.label);
            t.put("task", task);
            t.put("epochs_done", s == null ? 0 : s.epochsDone);
            t.put("step", s == null ? 0 : s.step);
            if (s != null) {
                t.put("rng_shuffle", s.shuffle.state());
                t.put("rng_evolution", s.evolution.state());
            }
            t.put("records", records);
            t.put("seconds", seconds);
            t.put("accuracy_matrix", jsonMatrix(acc));
            t.put("task_incremental_accuracy_matrix", jsonMatrix(taskAcc));
            List<Object> done = new ArrayList<>();
            for (Method m : methods) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("method", m.name());
                e.put("accuracy_matrix", jsonMatrix(m.accuracy()));
                e.put("task_incremental_accuracy_matrix", jsonMatrix(m.taskAccuracy()));
                e.put("connections", m.connections());
                e.put("seconds", m.seconds());
                done.add(e);
            }
            t.put("methods", done);
            t.put("tasks", stats.stream().map(SpaceNet.TaskStats::toMap).toList());
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("training", t);
            h.put("provenance", provenance);
            if (sn != null && s != null) sn.saveInTask(file, std, h);
            else if (sn != null) sn.save(file, std, h);
            else ModelFile.save(file, net, new Sgd(cfg.momentum(), cfg.weightDecay()), std, h);
        }

        // The baseline network the checkpoint holds, with its SGD state, checked against the shape the run's settings make.
        SparseMlp network(int[] sizes) throws IOException {
            SparseMlp net = ModelFile.load(file, new Sgd(cfg.momentum(), cfg.weightDecay())).net();
            if (!Arrays.equals(net.config().sizes(), sizes)) {
                int[] got = net.config().sizes();
                net.close();
                throw new IOException(file + " holds layers " + Arrays.toString(got) + ", but the run's settings on this data make " + Arrays.toString(sizes)
                        + " (file edited?)");
            }
            return net;
        }

        // SpaceNet as the checkpoint holds it, between two tasks or in one: the learner as it saved itself, which must be this run's.
        SpaceNet spaceNet(Saved at, int[] sizes) throws IOException {
            SpaceNet sn = SpaceNet.load(file, cfg.threads(), true).learner();
            if (!Arrays.equals(sn.sizes(), sizes) || !sn.config().equals(cfg) || !sn.taskStats().equals(at.stats())) {
                String got = Arrays.toString(sn.sizes());
                sn.close();
                throw new IOException(file + " holds a SpaceNet learner of layers " + got + " that is not the one the run's record describes (" + Arrays.toString(sizes)
                        + " on this data; file edited?)");
            }
            return sn;
        }
    }

    // What a checkpoint's header says (Checkpoint.save writes it).
    private record Saved(SpaceNetConfig cfg, boolean standardize, boolean baselines, Phase phase, int task, int epochsDone, long step, long[] rngShuffle,
                         long[] rngEvolution, int records, double seconds, double[][] accuracy, double[][] taskAccuracy, List<Method> methods,
                         List<SpaceNet.TaskStats> stats, long trainChecksum, long testChecksum, Map<String, Object> provenance) {
        static Saved read(Path dir, int threads) throws IOException {
            WorkerPool.checkThreads(threads);
            Path file = dir.resolve(CHECKPOINT);
            Map<String, Object> h = ResumeChecks.checkpointHeader(dir, CHECKPOINT, METRICS, "spacenet", "SpaceNet");
            try {
                Map<String, Object> t = Json.getObject(h, "training");
                SpaceNetConfig cfg = SpaceNetConfig.fromMap(Json.getObject(t, "config"), threads);
                boolean standardize = Json.getBoolean(t, "standardize"), baselines = Json.getBoolean(t, "baselines");
                Phase phase = Phase.of(Json.getString(t, "phase"));
                int tasks = cfg.tasks(), per = cfg.epochs();
                int task = Json.getInt(t, "task"), epochsDone = Json.getInt(t, "epochs_done");
                long step = Json.getLong(t, "step");
                if (step < 0) throw new IllegalArgumentException("field 'step': expected a count >= 0, got " + step);
                if (phase != Phase.SPACENET && !baselines) throw new IllegalArgumentException("field 'phase': " + phase.label + " in a run without baselines");
                int records = Json.getInt(t, "records"), expected;
                switch (phase) {
                    case SPACENET -> { // task: SpaceNet's tasks finished; epochs_done: of the one under way, 0 between tasks
                        in("task", task, 0, tasks);
                        in("epochs_done", epochsDone, task == 0 ? 1 : 0, task == tasks ? 0 : per);
                        expected = task * per + epochsDone;
                    }
                    case FINE_TUNING -> {
                        in("task", task, 0, tasks - 1);
                        in("epochs_done", epochsDone, 1, per);
                        expected = tasks * per + task * per + epochsDone;
                    }
                    default -> {
                        in("epochs_done", epochsDone, 1, tasks * per);
                        expected = 2 * tasks * per + epochsDone;
                    }
                }
                if (records != expected) throw new IllegalArgumentException("field 'records': " + records + ", but phase, task and epochs_done make " + expected);
                boolean streams = phase != Phase.SPACENET || epochsDone > 0;
                long[] shuffle = streams ? Json.getLongs(t, "rng_shuffle") : null, evolution = streams ? Json.getLongs(t, "rng_evolution") : null;
                double seconds = Json.getDouble(t, "seconds");
                if (!(seconds >= 0)) throw new IllegalArgumentException("field 'seconds': expected a time >= 0, got " + seconds);
                int columns = phase == Phase.JOINT ? 0 : tasks;
                double[][] acc = matrix(t, "accuracy_matrix", phase == Phase.JOINT ? 0 : tasks, columns), taskAcc = matrix(t, "task_incremental_accuracy_matrix",
                        phase == Phase.JOINT ? 0 : tasks, columns);
                List<Method> methods = new ArrayList<>();
                for (Map<String, Object> e : objects(t, "methods")) {
                    int width = methods.size() == 2 ? 1 : tasks;
                    methods.add(new Method(Json.getString(e, "method"), matrix(e, "accuracy_matrix", tasks, width), Json.getLong(e, "connections"),
                            Json.getDouble(e, "seconds"), matrix(e, "task_incremental_accuracy_matrix", tasks, width)));
                }
                int expectedMethods = phase.ordinal();
                if (methods.size() != expectedMethods) throw new IllegalArgumentException("field 'methods': " + methods.size() + " finished in phase " + phase.label
                        + ", expected " + expectedMethods);
                List<SpaceNet.TaskStats> stats = objects(t, "tasks").stream().map(SpaceNet.TaskStats::fromMap).toList();
                int expectedStats = phase == Phase.SPACENET ? task : tasks;
                if (stats.size() != expectedStats) throw new IllegalArgumentException("field 'tasks': " + stats.size() + " tasks' statistics, expected " + expectedStats);
                Map<String, Object> p = Json.getObject(h, "provenance");
                ResumeChecks.sameStandardization(file, standardize);
                return new Saved(cfg, standardize, baselines, phase, task, epochsDone, step, shuffle, evolution, records, seconds, acc, taskAcc,
                        List.copyOf(methods), List.copyOf(stats), Json.getLong(p, "data_checksum"), Json.getLong(p, "test_checksum"), p);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " is not a SpaceNet training checkpoint (" + e.getMessage() + ")");
            }
        }

        private static void in(String field, int v, int lo, int hi) {
            if (v < lo || v > hi) throw new IllegalArgumentException("field '" + field + "': " + v + " is not in [" + lo + ", " + hi + "]");
        }

        @SuppressWarnings("unchecked")
        private static List<Map<String, Object>> objects(Map<String, Object> m, String key) {
            if (!(m.get(key) instanceof List<?> l)) throw new IllegalArgumentException("field '" + key + "': expected an array, got " + m.get(key));
            for (Object o : l) if (!(o instanceof Map<?, ?>)) throw new IllegalArgumentException("field '" + key + "': expected objects, got " + o);
            return (List<Map<String, Object>>) l;
        }

        // A [rows][columns] matrix with null for NaN, as jsonMatrix writes it.
        private static double[][] matrix(Map<String, Object> m, String key, int rows, int columns) {
            if (!(m.get(key) instanceof List<?> l) || l.size() != rows) throw new IllegalArgumentException("field '" + key + "': expected " + rows + " rows");
            double[][] a = new double[rows][];
            for (int i = 0; i < rows; i++) {
                if (!(l.get(i) instanceof List<?> row) || row.size() != columns) throw new IllegalArgumentException("field '" + key + "'[" + i + "]: expected " + columns + " numbers");
                a[i] = new double[columns];
                for (int j = 0; j < columns; j++) {
                    Object v = row.get(j);
                    if (v != null && !(v instanceof Number)) throw new IllegalArgumentException("field '" + key + "'[" + i + "][" + j + "]: expected a number or null");
                    a[i][j] = v == null ? Double.NaN : ((Number) v).doubleValue();
                }
            }
            return a;
        }
    }

    // The model file keeps no per-connection side array; the owners are what a study of how tasks share the network needs.
    private static void writeOwners(Path file, SparseMlp net) throws IOException {
        AtomicFiles.write(file, o -> {
            NpzWriter npz = new NpzWriter(o);
            List<SparseLinear> layers = net.layers();
            for (int l = 0; l < layers.size(); l++) {
                CsrMatrix w = layers.get(l).weights();
                String name = "layer" + l + ".";
                npz.ints(name + "owner", w.side(SpaceNet.OWNER), w.nnz());
                npz.ints(name + "indices", w.colIdx(), w.nnz());
                npz.longs(name + "indptr", w.rowPtr(), w.rows() + 1L);
                npz.longs(name + "shape", new long[] {w.rows(), w.cols()});
            }
            npz.finish();
        });
    }

    private static List<String> rowNames(int[][] groups) {
        List<String> names = new ArrayList<>();
        for (int t = 0; t < groups.length; t++) names.add("task " + (t + 1) + " (" + classes(groups[t]) + ")");
        return names;
    }

    // "8,4": a task's classes as --task-classes spells them.
    private static String classes(int[] group) {
        return Arrays.stream(group).mapToObj(String::valueOf).collect(Collectors.joining(","));
    }

    private static double[][] nanMatrix(int t) {
        double[][] a = new double[t][t];
        for (double[] row : a) Arrays.fill(row, Double.NaN);
        return a;
    }

    // A fresh network on the same connections (Xavier-uniform weights, zero biases), for the baselines.
    static SparseMlp sameTopology(SparseMlp net, long seed) {
        RandomStream rnd = new RngStreams(seed).stream("baseline-init");
        List<SparseLinear> layers = new ArrayList<>();
        List<SparseLinear> src = net.layers();
        try {
            for (int l = 0; l < src.size(); l++) {
                CsrMatrix w = src.get(l).weights();
                int n = (int) w.nnz();
                int[] r = new int[n], c = new int[n];
                float[] v = new float[n];
                WeightInit init = new WeightInit.XavierUniform();
                int i = 0;
                for (int row = 0; row < w.rows(); row++) {
                    for (long k = w.rowStart(row); k < w.rowEnd(row); k++, i++) {
                        r[i] = row;
                        c[i] = w.col(k);
                        v[i] = init.sample(rnd, w.cols(), w.rows());
                    }
                }
                layers.add(new SparseLinear(CsrMatrix.fromCoo(w.rows(), w.cols(), r, c, v), l + 1 == src.size() ? Activation.linear() : Activation.relu()));
            }
            MlpConfig cfg = new MlpConfig(net.config().sizes(), "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0), new WeightInit.XavierUniform());
            return SparseMlp.of(cfg, layers, seed);
        } catch (RuntimeException | Error e) { // out of memory for a later layer: the layers made so far are no network's yet
            Closing.after(e, () -> Closing.each(layers, SparseLinear::close));
            throw e;
        }
    }

    private static Map<String, Object> header(SpaceNetConfig cfg, DatasetSplit data) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("training", Map.of("config", cfg.toMap()));
        h.put("provenance", ModelFile.provenance("spacenet", cfg.seed(), data.train().name(), data.train().checksum(), Map.of()));
        return h;
    }

    private static void train(SparseMlp net, SpaceNetConfig cfg, int epochs, Dataset train, Dataset test, ParallelKernels pk, Standardizer std,
                              Trainer.State state, Trainer.Listener listener) {
        Trainer.Settings s = new Trainer.Settings(epochs, cfg.batch(), new LearningRate.Constant(cfg.lr()), new Sgd(cfg.momentum(), cfg.weightDecay()),
                new SoftmaxCrossEntropy(), null, 1000);
        new Trainer(pk, s).run(net, train, test, std, state, listener);
    }

    // Saves the checkpoint after an epoch.
    private interface EpochSave {
        void save(Trainer.State s) throws IOException;
    }

    // save: called after the epoch's record is logged (null: no checkpoint)
    private static Trainer.Listener listener(MetricsLog log, Checkpoint cp, TrainingProgress progress, String phase, String method, int task, EpochSave save) {
        return new Trainer.Listener() {
            @Override public void batchDone(int epoch, int done, int total) {
                progress.batch(epoch, done, total);
            }

            @Override public void epochDone(EpochMetrics m, Trainer.State s) {
                progress.epoch(phase, m);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("method", method);
                if (task >= 0) r.put("task", task + 1); // joint training learns every class at once: no task
                r.putAll(SetTraining.record(m));
                try {
                    log.append(r);
                    cp.records++;
                    if (save != null) save.save(s);
                } catch (IOException e) {
                    throw new Trainer.FileWriteException(e);
                }
            }
        };
    }

    // NaN (a task not learned yet) as null: JSON has no NaN.
    private static List<Object> jsonMatrix(double[][] a) {
        List<Object> rows = new ArrayList<>();
        for (double[] row : a) {
            List<Object> cells = new ArrayList<>();
            for (double v : row) cells.add(Double.isNaN(v) ? null : v);
            rows.add(cells);
        }
        return rows;
    }

    private static Map<String, Object> metrics(SpaceNetConfig cfg, Result r, long dense, int hiddenNeurons) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", cfg.toMap());
        m.put("sizes", r.sizes());
        List<Object> methods = new ArrayList<>();
        for (Method x : r.methods()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("method", x.name());
            e.put("accuracy_matrix", jsonMatrix(x.accuracy()));
            e.put("average_accuracy", x.averageAccuracy());
            e.put("average_forgetting", x.averageForgetting());
            e.put("task_incremental_accuracy_matrix", jsonMatrix(x.taskAccuracy()));
            e.put("task_incremental_average_accuracy", x.averageTaskAccuracy());
            e.put("connections", x.connections());
            e.put("seconds", x.seconds());
            methods.add(e);
        }
        m.put("methods", methods);
        List<Object> tasks = new ArrayList<>();
        int[][] classes = cfg.taskClassesFor(r.sizes()[r.sizes().length - 1]);
        for (SpaceNet.TaskStats s : r.tasks()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("task", s.task() + 1);
            e.put("classes", classes[s.task()]);
            long[] connections = s.connections();
            int[] reserved = s.reservedNeurons();
            long c = 0;
            for (long x : connections) c += x;
            int n = 0;
            for (int x : reserved) n += x;
            e.put("connections_by_layer", connections);
            e.put("reserved_neurons_by_layer", reserved);
            e.put("reserved_neuron_indices_by_layer", s.reservedNeuronIndices());
            e.put("selected_neuron_indices_by_layer", s.selectedNeuronIndices());
            e.put("connection_share", (double) c / dense);
            e.put("reserved_neuron_share", (double) n / hiddenNeurons);
            tasks.add(e);
        }
        m.put("tasks", tasks);
        m.put("reserved_hidden_neuron_share", r.reservedNeuronShare());
        m.put("reserved_connection_share", r.reservedConnectionShare());
        m.put("dense_connections", dense);
        m.put("hidden_neurons", hiddenNeurons);
        return m;
    }
}
