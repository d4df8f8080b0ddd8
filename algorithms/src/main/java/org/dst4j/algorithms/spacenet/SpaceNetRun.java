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
        java.util.Arrays.fill(absent, true);
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
     * Learns the classes of {@code data} as {@code cfg.tasks()} tasks ({@link SpaceNetConfig#taskClassesFor}: the
     * given groups, or in class order) with SpaceNet,
     * measuring the accuracy on every task seen so far after each task; with {@code baselines} also
     * fine-tuning and joint training on SpaceNet's final topology.
     *
     * @param cfg the network and per-task settings
     * @param data training and test sets, whose classes are split into the tasks
     * @param standardize whether to scale inputs by one mean and standard deviation of the whole training set
     * @param baselines whether to also train the fine-tuning and joint baselines
     * @param out the run directory, created if missing; the files listed on the class are replaced
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
        if (progress == null) progress = new TrainingProgress() {};
        Files.createDirectories(out);
        List<Method> methods = new ArrayList<>();
        List<SpaceNet.TaskStats> stats;
        int[] sizes;
        try (TaskStream stream = TaskStream.of(data, cfg.taskClassesFor(data.train().classes()));
             WorkerPool pool = new WorkerPool(cfg.threads());
             MetricsLog log = MetricsLog.create(out.resolve(LOG))) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            // one global mean and standard deviation of the whole training set, like the reference's fixed
            // dataset-wide normalization constants (MNIST 0.1307 / 0.3081); two numbers, no per-task statistics
            Standardizer std = standardize ? Standardizer.fitGlobal(data.train()) : null;
            int tasks = stream.size();
            long t0 = System.nanoTime();
            try (SpaceNet sn = new SpaceNet(cfg, data.train().features(), stream.classes())) {
                double[][] acc = nanMatrix(tasks), taskAcc = nanMatrix(tasks);
                for (int t = 0; t < tasks; t++) {
                    TaskStream.Task task = stream.get(t);
                    try {
                        sn.learn(task, task.test(), pk, std, listener(log, progress, "spacenet task " + (t + 1), "spacenet", t));
                    } catch (CancellationException e) { // the trainer counts this task's epochs, not the run's
                        throw new CancellationException("SpaceNet, task " + (t + 1) + " of " + tasks + ": " + e.getMessage());
                    }
                    double[] a = sn.accuracy(stream.tasks().subList(0, t + 1), stream.seenClasses(t), pk, std);
                    double[] k = sn.taskAccuracy(stream.tasks().subList(0, t + 1), pk, std);
                    for (int i = 0; i <= t; i++) {
                        acc[i][t] = a[i];
                        taskAcc[i][t] = k[i];
                    }
                }
                methods.add(new Method("SpaceNet", acc, sn.network().connections(), (System.nanoTime() - t0) / 1e9, taskAcc));
                ModelFile.save(out.resolve(MODEL), sn.network(), null, std, header(cfg, data));
                writeOwners(out.resolve(OWNERS), sn.network());
                stats = sn.taskStats();
                sizes = sn.sizes();
                if (baselines) {
                    long t1 = System.nanoTime();
                    try (SparseMlp ft = sameTopology(sn.network(), cfg.seed())) {
                        double[][] a = nanMatrix(tasks), k = nanMatrix(tasks);
                        for (int t = 0; t < tasks; t++) {
                            TaskStream.Task task = stream.get(t);
                            try {
                                train(ft, cfg, cfg.epochs(), task.train(), task.test(), pk, std, new RngStreams(cfg.seed()).stream("finetune").split(t),
                                        listener(log, progress, "fine-tuning task " + (t + 1), "finetune", t));
                            } catch (CancellationException e) {
                                throw new CancellationException("fine-tuning baseline, task " + (t + 1) + " of " + tasks + ": " + e.getMessage());
                            }
                            int[] seen = stream.seenClasses(t);
                            for (int i = 0; i <= t; i++) {
                                a[i][t] = SpaceNet.accuracy(ft, stream.get(i).test(), seen, pk, std);
                                k[i][t] = SpaceNet.accuracy(ft, stream.get(i).test(), stream.get(i).classes(), pk, std);
                            }
                        }
                        methods.add(new Method("fine-tuning", a, ft.connections(), (System.nanoTime() - t1) / 1e9, k));
                    }
                    long t2 = System.nanoTime();
                    try (SparseMlp joint = sameTopology(sn.network(), cfg.seed() + 1)) {
                        int epochs = cfg.epochs() * tasks;
                        try {
                            train(joint, cfg, epochs, data.train(), data.test(), pk, std, new RngStreams(cfg.seed()).stream("joint"),
                                    listener(log, progress, "joint", "joint", -1));
                        } catch (CancellationException e) {
                            throw new CancellationException("joint-training baseline: " + e.getMessage());
                        }
                        double[][] a = new double[tasks][1], k = new double[tasks][1];
                        int[] all = stream.seenClasses(tasks - 1);
                        for (int i = 0; i < tasks; i++) {
                            a[i][0] = SpaceNet.accuracy(joint, stream.get(i).test(), all, pk, std);
                            k[i][0] = SpaceNet.accuracy(joint, stream.get(i).test(), stream.get(i).classes(), pk, std);
                        }
                        methods.add(new Method("joint training (upper bound)", a, joint.connections(), (System.nanoTime() - t2) / 1e9, k));
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
        return r;
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
        return Arrays.stream(group).mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining(","));
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
    }

    private static Map<String, Object> header(SpaceNetConfig cfg, DatasetSplit data) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("training", Map.of("config", cfg.toMap()));
        h.put("provenance", ModelFile.provenance("spacenet", cfg.seed(), data.train().name(), data.train().checksum(), Map.of()));
        return h;
    }

    private static void train(SparseMlp net, SpaceNetConfig cfg, int epochs, Dataset train, Dataset test, ParallelKernels pk, Standardizer std,
                              RandomStream rnd, Trainer.Listener listener) {
        Trainer.Settings s = new Trainer.Settings(epochs, cfg.batch(), new LearningRate.Constant(cfg.lr()), new Sgd(cfg.momentum(), cfg.weightDecay()),
                new SoftmaxCrossEntropy(), null, 1000);
        new Trainer(pk, s).run(net, train, test, std, new Trainer.State(rnd.split("shuffle"), rnd.split("evolution")), listener);
    }

    private static Trainer.Listener listener(MetricsLog log, TrainingProgress progress, String phase, String method, int task) {
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
