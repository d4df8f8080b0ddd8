package org.dst4j.algorithms.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.algorithms.spacenet.SpaceNet;
import org.dst4j.algorithms.spacenet.SpaceNetConfig;
import org.dst4j.algorithms.spacenet.SpaceNetRun;
import org.dst4j.nn.data.DataFormatException;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.runtime.parallel.WorkerPool;

final class SpaceNetCommand implements Command {
    @Override public String summary() { return "SpaceNet: class-incremental learning in a fixed-capacity sparse network (with fine-tuning and joint baselines)"; }

    static final RunDirectory.Outputs OUTPUTS = RunDirectory.Outputs.of(SpaceNetRun.MODEL, SpaceNetRun.OWNERS, SpaceNetRun.METRICS, SpaceNetRun.LOG, SpaceNetRun.CHART,
            SpaceNetRun.CHECKPOINT).resumableFrom(SpaceNetRun.CHECKPOINT, SpaceNetRun.METRICS);

    // What a resumed run takes from its checkpoint, not from the command line (the seed also splits a single data file).
    private static final List<String> RUN_OPTIONS = List.of("tasks", "task-classes", "hidden", "connections", "selected", "reserved", "drop", "epochs",
            "batch", "lr", "momentum", "weight-decay", "seed", "out", "overwrite", "no-baselines", "no-standardize");

    @Override
    public int run(String[] args) throws UsageException, UserException, IOException, DataFormatException {
        SpaceNetConfig d = SpaceNetConfig.defaults();
        Options o = DataArgs.declare(new Options("spacenet", summary())
                .option("tasks", String.valueOf(d.tasks()), "number of tasks; classes are split in order (10 classes, 5 tasks: 0-1, 2-3, ...)")
                .option("task-classes", null, "each task's classes, tasks in learning order, e.g. 3,7/0,9/1,5/2,8/4,6 (instead of --tasks; every class in one task)")
                .option("hidden", "400,400", "hidden layer sizes (the fixed capacity shared by all tasks)")
                .option("connections", "10000,1640,80", "connections each task allocates per layer, input layer first")
                .option("selected", String.valueOf(d.selectedNeurons()), "free neurons per hidden layer a task may use")
                .option("reserved", String.valueOf(d.reservedNeurons()), "neurons per hidden layer a task reserves when it ends")
                .option("drop", String.valueOf(d.dropFraction()), "share of a task's connections in each non-output layer replaced after every epoch but its last")
                .option("epochs", String.valueOf(d.epochs()), "epochs per task")
                .option("batch", String.valueOf(d.batch()), "mini-batch size")
                .option("lr", String.valueOf(d.lr()), "SGD learning rate")
                .option("momentum", String.valueOf(d.momentum()), "SGD momentum")
                .option("weight-decay", String.valueOf(d.weightDecay()), "weight decay per step")
                .option("seed", String.valueOf(d.seed()), "random seed")
                .option("threads", String.valueOf(Runtime.getRuntime().availableProcessors()), "worker threads")
                .option("out", "runs/spacenet", "output directory (model.dst4j, connection-owners.npz, metrics.json, metrics.jsonl, accuracy-matrix.png; checkpoint.dst4j while training)")
                .flag("no-baselines", "skip the fine-tuning and joint-training baselines")
                .option("resume", null, "continue the run whose checkpoint is in this directory, as it was set up (give only the data options and --threads)"));
        RunDirectory.declare(o);
        if (!o.parse(args)) return 0;
        Path resume = o.path("resume");
        if (resume != null) return resume(o, resume);
        // SpaceNetConfig refuses these too, naming fields rather than the options to change.
        int[] hidden = o.integers("hidden", 1, Integer.MAX_VALUE), connections = o.integers("connections", 1, Integer.MAX_VALUE);
        if (connections.length != hidden.length + 1) {
            throw new UsageException("--connections " + o.string("connections") + ": expected one count per layer, " + (hidden.length + 1)
                    + " for --hidden " + o.string("hidden") + ", got " + connections.length);
        }
        if (o.integer("reserved", 0, Integer.MAX_VALUE) > o.integer("selected", 1, Integer.MAX_VALUE)) {
            throw new UsageException("--reserved " + o.string("reserved") + " exceeds --selected " + o.string("selected")
                    + ": a task reserves neurons among those it selected");
        }
        int[][] groups = taskClasses(o);
        if (groups.length > 0 && o.given("tasks") && o.integer("tasks", 1, 1_000_000) != groups.length) {
            throw new UsageException("--tasks " + o.string("tasks") + " but --task-classes '" + o.string("task-classes").trim() + "' names " + groups.length
                    + " tasks; give one of them");
        }
        SpaceNetConfig cfg;
        try {
            cfg = new SpaceNetConfig(groups.length > 0 ? groups.length : o.integer("tasks", 1, 1_000_000), o.integers("hidden", 1, Integer.MAX_VALUE), o.integers("connections", 1, Integer.MAX_VALUE),
                    o.integer("selected", 1, Integer.MAX_VALUE), o.integer("reserved", 0, Integer.MAX_VALUE), o.number("drop", 0, 0.999999),
                    o.integer("epochs", 1, 1_000_000), o.integer("batch", 1, 1 << 20), (float) o.number("lr", 1e-12, 1e3),
                    (float) o.number("momentum", 0, 0.999999), (float) o.number("weight-decay", 0, 1), o.longValue("seed"), o.integer("threads", 1, WorkerPool.MAX_THREADS), groups);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            if (m.startsWith(GROUPS)) throw new UsageException(taskClassesOption(o) + m.substring(GROUPS.length()));
            throw new UsageException(m);
        }
        // SpaceNetRun.checkFits refuses the same in its field names; here before the data loads, in the options' names.
        long need = cfg.neuronsNeeded();
        for (int h : cfg.hidden()) {
            if (h < need) {
                String tasks = groups.length > 0 ? "the " + cfg.tasks() + " tasks of --task-classes" : "--tasks " + cfg.tasks();
                throw new UsageException("--selected " + cfg.selectedNeurons() + " with --reserved " + cfg.reservedNeurons() + " over " + tasks
                        + " needs (tasks - 1) x reserved + selected = " + need + " neurons in every hidden layer, for the last task to find its selected"
                        + " neurons free; --hidden " + o.string("hidden") + " has a layer of " + h);
            }
        }
        boolean baselines = !o.flag("no-baselines");
        RunDirectory.precheck(o, OUTPUTS);
        try (DatasetSplit data = DataArgs.load(o, cfg.seed())) {
            // first: more named tasks than classes is a class the data does not have, told in --task-classes' name (--tasks was not given)
            try {
                SpaceNetRun.checkTaskClasses(groups, data);
            } catch (IllegalArgumentException e) {
                throw new UsageException(taskClassesOption(o) + e.getMessage().substring(GROUPS.length()) + " (" + data.train().name() + ")");
            }
            if (cfg.tasks() > data.train().classes()) {
                throw new UsageException("--tasks " + cfg.tasks() + " exceeds the " + data.train().classes() + " classes of " + data.train().name());
            }
            checkConnections(o, cfg, data.train().features(), data.train().classes());
            try {
                SpaceNetRun.checkTasksHaveSamples(cfg, data.train());
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage() + (o.given("limit-train") ? " (--limit-train " + o.string("limit-train")
                        + " keeps only the first samples: is the data sorted by label?)" : ""));
            }
            try {
                SpaceNetRun.checkTasksHaveTestSamples(cfg, data.test());
            } catch (IllegalArgumentException e) {
                // a --test-data file's samples are named by its file name alone ("two-test/test"): give its path too
                throw new UsageException(e.getMessage() + (o.given("test-data") ? " (--test-data " + o.string("test-data") + ")" : "")
                        + (o.given("limit-test") ? " (--limit-test " + o.string("limit-test") + " keeps only the first samples: is the data sorted by label?)" : ""));
            }
            Path out = RunDirectory.claim(o, OUTPUTS);
            System.err.printf("dst4j spacenet, %d tasks (classes %s): %s, %d train / %d test samples, %d classes%n", cfg.tasks(),
                    groupsText(cfg.taskClassesFor(data.train().classes())), data.train().name(), data.train().samples(), data.test().samples(),
                    data.train().classes());
            fewStepsNote(cfg, data.train());
            long t0 = System.nanoTime();
            SpaceNetRun.Result r = SpaceNetRun.run(cfg, data, !o.flag("no-standardize"), baselines, out, progress(cfg, baselines, 0));
            print(cfg, r, out, t0, false);
            return 0;
        }
    }

    // SpaceNetRun.resume rebuilds the run from its checkpoint and writes into that directory; only where it runs and how
    // the same data is found (the data options) still apply.
    private static int resume(Options o, Path dir) throws UsageException, UserException, IOException, DataFormatException {
        RunDirectory.checkResume(o, dir, SpaceNetRun.CHECKPOINT, RUN_OPTIONS, "--threads and the data options");
        int threads = o.integer("threads", 1, WorkerPool.MAX_THREADS);
        SpaceNetRun.Resumable run;
        try {
            run = SpaceNetRun.resumable(dir, threads);
        } catch (IOException e) {
            throw new UserException("--resume " + e.getMessage(), e);
        }
        SpaceNetConfig cfg = run.config();
        try (DatasetSplit data = DataArgs.load(o, cfg.seed())) {
            RunDirectory.resuming(dir); // a Ctrl-C waits for the training to stop between batches
            System.err.printf("dst4j spacenet, %d tasks (classes %s), resuming after %s: %s, %d train / %d test samples, %d classes%n", cfg.tasks(),
                    groupsText(cfg.taskClassesFor(data.train().classes())), RunSummary.count(run.epochsDone(), "epoch"), data.train().name(),
                    data.train().samples(), data.test().samples(), data.train().classes());
            long t0 = System.nanoTime();
            SpaceNetRun.Result r = SpaceNetRun.resume(dir, data, threads, progress(cfg, run.baselines(), run.epochsDone()));
            print(cfg.withThreads(threads), r, dir, t0, true);
            return 0;
        }
    }

    // The reference's schedule (4 epochs of batch 128) is made for split MNIST's ~12,000 images per task; with a few hundred
    // a task takes a few dozen steps and every method stays near chance (the embedded subset: 20 steps, 28.7% for SpaceNet,
    // 29% for the "upper bound"), which read as a broken method unless said.
    static final int FEW_STEPS = 100;

    private static void fewStepsNote(SpaceNetConfig cfg, Dataset train) {
        int[] perClass = new int[train.classes()];
        for (int i = 0; i < train.samples(); i++) perClass[train.label(i)]++;
        long fewest = Long.MAX_VALUE;
        for (int[] g : cfg.taskClassesFor(train.classes())) {
            long n = 0;
            for (int c : g) n += perClass[c];
            fewest = Math.min(fewest, n);
        }
        long steps = (fewest + cfg.batch() - 1) / cfg.batch() * cfg.epochs();
        if (steps < FEW_STEPS) {
            System.err.printf("dst4j spacenet: note: the smallest task has %d training samples, %d SGD steps at --batch %d and --epochs %d: too few for any"
                    + " method to leave chance by much (the defaults are made for ~12,000 images per task, as --dataset fashion-mnist has; or raise --epochs)%n",
                    fewest, steps, cfg.batch(), cfg.epochs());
        }
    }

    // Epoch lines and a bar over the whole run; done: epochs a resumed run had trained.
    private static TrainingProgress progress(SpaceNetConfig cfg, boolean baselines, int done) {
        Progress progress = new Progress(cfg.epochs() * cfg.tasks() * (baselines ? 3 : 1));
        int[] epochs = {done};
        return new TrainingProgress() {
            @Override public void batch(int epoch, int b, int total) {
                progress.batch(epochs[0], b, total);
            }

            @Override public void epoch(String phase, EpochMetrics m) {
                epochs[0]++;
                // While SpaceNet trains a task, the earlier tasks' output weights are parked (zero): this figure is not
                // the accuracy matrix's, which scores with every output back in place.
                String test = phase.startsWith("spacenet") ? "this task's test acc (earlier tasks' outputs parked)"
                        : phase.startsWith("joint") ? "test acc" : "this task's test acc";
                progress.line(String.format("%s epoch %d  train loss %.4f acc %.4f  %s %.4f  %d connections  %.2fs",
                        phase, m.epoch(), m.trainLoss(), m.trainAccuracy(), test, m.testAccuracy(), m.connections(), m.epochSeconds()));
            }
        };
    }

    private static void print(SpaceNetConfig cfg, SpaceNetRun.Result r, Path out, long t0, boolean resumed) {
        SpaceNetRun.Method sn = r.methods().getFirst();
        System.out.println("accuracy on task i (rows) after learning task j (columns), SpaceNet:");
        printMatrix(sn.accuracy());
        System.out.printf("%-30s %10s %12s %12s %12s %9s%n", "method", "avg acc", "forgetting", "task-IL acc", "connections", "seconds");
        for (SpaceNetRun.Method m : r.methods()) {
            System.out.printf("%-30s %9.2f%% %11.2f%% %11.2f%% %12d %9.1f%n", m.name(), 100 * m.averageAccuracy(), 100 * m.averageForgetting(),
                    100 * m.averageTaskAccuracy(), m.connections(), m.seconds());
        }
        System.out.println("(avg acc: class-incremental, among all classes seen; task-IL acc: with the task known, among its own classes)");
        int[] per = cfg.connectionsPerTask();
        for (SpaceNet.TaskStats s : r.tasks()) {
            long[] byLayer = s.connections();
            // checkConnections bounds the block of selected neurons; connections frozen by earlier tasks between neurons
            // that were released and selected again can still fill part of it, and the task then got fewer. So can a
            // large --drop, for task 1 too: regrowth does not reuse the positions the same update dropped.
            for (int l = 0; l < byLayer.length; l++) {
                if (byLayer[l] < per[l]) {
                    System.err.printf("dst4j spacenet: warning: task %d has %d connections in layer %d, fewer than --connections asks (%d):"
                            + " its selected neurons' block had too few free positions left (%s)%n", s.task() + 1, byLayer[l], l + 1, per[l],
                            s.task() == 0 ? "regrowth does not reuse the positions its own drop freed in the same update: a smaller --drop keeps more"
                                    : "earlier tasks' frozen connections fill part of it, and regrowth does not reuse the positions its own drop freed");
                }
            }
            long c = 0;
            for (long x : byLayer) c += x;
            int n = 0;
            for (int x : s.reservedNeurons()) n += x;
            System.out.printf("task %d reserved %d hidden neurons and froze %d connections%n", s.task() + 1, n, c);
        }
        System.out.printf("after %d tasks: %.1f%% of hidden neurons reserved, %.1f%% of the dense connection capacity used%n",
                r.tasks().size(), 100 * r.reservedNeuronShare(), 100 * r.reservedConnectionShare());
        // a resumed method's seconds count the stopped run's part too; this process's time does not
        System.out.printf("SpaceNet time %.1f s%s; %s %.1f s; peak RSS %s; wrote %s%n", sn.seconds(), resumed ? " (the stopped run's part included)" : "",
                resumed ? "this resumed run" : "total", (System.nanoTime() - t0) / 1e9,
                RunSummary.peakRss(), RunSummary.written(out.resolve(SpaceNetRun.MODEL), out.resolve(SpaceNetRun.OWNERS), out.resolve(SpaceNetRun.METRICS),
                out.resolve(SpaceNetRun.CHART)));
    }

    // How SpaceNetConfig's and SpaceNetRun's messages about the groups begin; the CLI names the option instead.
    private static final String GROUPS = "task classes: ";

    private static String taskClassesOption(Options o) {
        return "--task-classes '" + o.string("task-classes").trim() + "': ";
    }

    // "3,7/0,9/1": tasks split by '/', classes by ','; no option given: none (tasks in class order).
    private static int[][] taskClasses(Options o) throws UsageException {
        if (!o.given("task-classes")) return new int[0][];
        String v = o.string("task-classes").trim();
        String[] tasks = v.split("/", -1);
        int[][] groups = new int[tasks.length][];
        for (int t = 0; t < tasks.length; t++) {
            String[] parts = tasks[t].split(",", -1);
            groups[t] = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    groups[t][i] = Integer.parseInt(parts[i].trim());
                } catch (NumberFormatException e) {
                    if (tasks[t].isBlank()) throw new UsageException("--task-classes '" + v + "': task " + (t + 1) + " has no classes");
                    // a whole number beyond int is out of range, not a malformed list
                    String p = parts[i].trim();
                    if (p.matches("-[0-9]+")) throw new UsageException("--task-classes '" + v + "': classes are numbered from 0, task " + (t + 1) + " has " + p);
                    if (p.matches("\\+?[0-9]+")) throw new UsageException("--task-classes '" + v + "': task " + (t + 1) + " has class " + p + ", beyond any dataset's classes");
                    throw new UsageException("--task-classes '" + v + "': expected tasks separated by '/', each a comma-separated list of class numbers"
                            + " (e.g. 3,7/0,9/1,5/2,8/4,6); task " + (t + 1) + " has '" + tasks[t].trim() + "'");
                }
                if (groups[t][i] < 0) throw new UsageException("--task-classes '" + v + "': classes are numbered from 0, task " + (t + 1) + " has " + groups[t][i]);
            }
        }
        return groups;
    }

    private static String groupsText(int[][] groups) {
        StringBuilder sb = new StringBuilder();
        for (int[] g : groups) {
            if (!sb.isEmpty()) sb.append(" / ");
            for (int i = 0; i < g.length; i++) sb.append(i > 0 ? "," : "").append(g[i]);
        }
        return sb.toString();
    }

    // SpaceNetRun.checkFits's rule, told in the options' names and the layers' shapes.
    private static void checkConnections(Options o, SpaceNetConfig cfg, int features, int classes) throws UsageException {
        int[] sizes = MlpConfig.sizes(features, cfg.hidden(), classes), per = cfg.connectionsPerTask();
        long[] room = SpaceNetRun.connectionRoom(cfg, features, classes);
        int sel = cfg.selectedNeurons(), fewestClasses = SpaceNetRun.fewestClasses(cfg, classes);
        for (int l = 0; l < per.length; l++) {
            boolean first = l == 0, last = l + 1 == per.length;
            if (per[l] > room[l]) {
                String block = first ? features + " inputs x " + sel + " --selected neurons"
                        : last ? sel + " --selected neurons x " + fewestClasses + (fewestClasses == 1 ? " class" : " classes") + " of the smallest task" : sel + " x " + sel + " --selected neurons";
                throw new UsageException("--connections " + o.string("connections") + ": a task can place at most " + room[l] + " connections in the "
                        + sizes[l] + " -> " + sizes[l + 1] + " layer (" + block + "), not " + per[l]);
            }
        }
    }

    private static void printMatrix(double[][] a) {
        System.out.print("        ");
        for (int j = 0; j < a[0].length; j++) System.out.printf("%8s", "after " + (j + 1));
        System.out.println();
        for (int i = 0; i < a.length; i++) {
            System.out.printf("task %-3d", i + 1);
            for (double v : a[i]) System.out.print(Double.isNaN(v) ? "        " : String.format("%7.1f%%", 100 * v));
            System.out.println();
        }
    }
}
