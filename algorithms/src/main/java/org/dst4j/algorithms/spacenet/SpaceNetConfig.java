package org.dst4j.algorithms.spacenet;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.dst4j.algorithms.ConfigChecks;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.data.TaskStream;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.record.ArrayRecords;

/**
 * Hyper-parameters of a SpaceNet run on the MLP {@code input -> hidden… -> classes}. Start from
 * {@link #defaults()} and change fields with the {@code withX} methods; every field is checked when the
 * record is built.
 *
 * @param tasks number of tasks, >= 1; without {@code taskClasses} the classes are split into them in
 *     class order (10 classes, 5 tasks: 0-1, 2-3, …)
 * @param hidden hidden layer sizes (fixed capacity for all tasks), at least one layer, each >= 1
 * @param connectionsPerTask connections each task allocates in each layer (one entry per layer, input
 *     layer first: {@code hidden.length + 1} entries), each >= 1
 * @param selectedNeurons free neurons of each hidden layer a task may place connections on, >= 1
 * @param reservedNeurons neurons of each hidden layer a task reserves when it ends (the most important of the neurons it selected),
 *     in [0, selectedNeurons]
 * @param dropFraction share of the task's connections in each non-output layer replaced at a topology
 *     update, in [0, 1)
 * @param epochs epochs per task, >= 1; the topology is updated after every epoch but the last
 * @param batch samples per mini-batch, >= 1
 * @param lr constant SGD learning rate, finite and > 0
 * @param momentum SGD momentum, in [0, 1)
 * @param weightDecay SGD weight decay per step, finite and >= 0
 * @param seed seed of every random choice (connection placement, weights, shuffling)
 * @param threads worker threads, >= 1
 * @param taskClasses the classes of each task, in the order the tasks are learned, or an empty array for
 *     {@code tasks} tasks in class order. Class-incremental results depend on the class order, so a
 *     study compares several; given, it must have {@code tasks} groups, none empty, no class in two (that
 *     every class of the data is in one is checked against the data, by {@link SpaceNetRun#checkFits})
 */
public record SpaceNetConfig(int tasks, int[] hidden, int[] connectionsPerTask, int selectedNeurons, int reservedNeurons,
                             double dropFraction, int epochs, int batch, float lr, float momentum, float weightDecay,
                             long seed, int threads, int[][] taskClasses) {

    /**
     * Checks every field, so that a bad value fails here rather than inside {@link SpaceNetRun#run}.
     *
     * @throws IllegalArgumentException naming the field and its valid range
     * @throws NullPointerException if an array is null
     */
    public SpaceNetConfig {
        hidden = Objects.requireNonNull(hidden, "hidden").clone();
        connectionsPerTask = Objects.requireNonNull(connectionsPerTask, "connectionsPerTask").clone();
        ConfigChecks.atLeast("tasks", tasks, 1);
        if (hidden.length < 1) throw new IllegalArgumentException("SpaceNet needs at least one hidden layer");
        ConfigChecks.hiddenSizes(hidden);
        if (connectionsPerTask.length != hidden.length + 1) {
            throw new IllegalArgumentException("connections per task needs one count per layer (" + (hidden.length + 1) + "), got "
                    + connectionsPerTask.length);
        }
        for (int c : connectionsPerTask) ConfigChecks.atLeast("connections per task", c, 1);
        ConfigChecks.atLeast("selected neurons", selectedNeurons, 1);
        if (reservedNeurons < 0 || reservedNeurons > selectedNeurons) {
            throw new IllegalArgumentException("reserved neurons must be in [0, selected neurons = " + selectedNeurons + "], got " + reservedNeurons);
        }
        ConfigChecks.belowOne("drop fraction", dropFraction);
        ConfigChecks.atLeast("epochs", epochs, 1);
        ConfigChecks.atLeast("batch", batch, 1);
        Sgd.checkSettings(lr, momentum, weightDecay);
        WorkerPool.checkThreads(threads);
        taskClasses = copy(Objects.requireNonNull(taskClasses, "taskClasses"));
        if (taskClasses.length > 0) checkGroups(tasks, taskClasses);
    }

    /** As before tasks could name their classes: {@code tasks} tasks in class order. */
    public SpaceNetConfig(int tasks, int[] hidden, int[] connectionsPerTask, int selectedNeurons, int reservedNeurons,
                          double dropFraction, int epochs, int batch, float lr, float momentum, float weightDecay,
                          long seed, int threads) {
        this(tasks, hidden, connectionsPerTask, selectedNeurons, reservedNeurons, dropFraction, epochs, batch, lr, momentum,
                weightDecay, seed, threads, new int[0][]);
    }

    private static void checkGroups(int tasks, int[][] groups) {
        if (groups.length != tasks) throw new IllegalArgumentException("task classes name " + groups.length + " tasks, but tasks is " + tasks);
        Map<Integer, Integer> owner = new HashMap<>();
        for (int t = 0; t < groups.length; t++) {
            if (groups[t].length == 0) throw new IllegalArgumentException("task classes: task " + (t + 1) + " has no classes");
            for (int c : groups[t]) {
                if (c < 0) throw new IllegalArgumentException("task classes: task " + (t + 1) + " has class " + c + ", classes are >= 0");
                Integer before = owner.putIfAbsent(c, t);
                if (before != null) {
                    throw new IllegalArgumentException("task classes: class " + c + " is in task " + (before + 1)
                            + (before == t ? " twice" : " and task " + (t + 1)));
                }
            }
        }
    }

    private static int[][] copy(int[][] groups) {
        int[][] c = new int[groups.length][];
        for (int t = 0; t < groups.length; t++) c[t] = Objects.requireNonNull(groups[t], "taskClasses[" + t + "]").clone();
        return c;
    }

    /**
     * The reference code's split-MNIST settings, used for split Fashion-MNIST: 784-400-400-10 with ReLU,
     * per task 10000 / 1640 / 80 connections among 80 selected neurons per hidden layer, 40 reserved,
     * 20% of connections replaced after every epoch but the last, 4 epochs per task, plain SGD lr 0.01, batch 128.
     */
    public static SpaceNetConfig defaults() {
        return new SpaceNetConfig(5, new int[] {400, 400}, new int[] {10000, 1640, 80}, 80, 40, 0.2, 4, 128, 0.01f, 0f, 0f, 13,
                Runtime.getRuntime().availableProcessors());
    }

    /**
     * The neurons every hidden layer needs, {@code (tasks - 1) * reservedNeurons + selectedNeurons}: each
     * task takes {@code selectedNeurons} free ones and reserves {@code reservedNeurons} when it ends, and
     * the last task must still find its selected neurons free.
     */
    public long neuronsNeeded() {
        return (long) (tasks - 1) * reservedNeurons + selectedNeurons;
    }

    /** The hidden layer sizes; a copy. */
    @Override public int[] hidden() { return hidden.clone(); }

    /** The connections each task allocates per layer; a copy. */
    @Override public int[] connectionsPerTask() { return connectionsPerTask.clone(); }

    /** The classes of each task as given, or an empty array for tasks in class order; a copy. */
    @Override public int[][] taskClasses() { return copy(taskClasses); }

    /**
     * The classes of each task for data of {@code classes} classes: the given groups, or {@code tasks}
     * groups in class order (the first get one class more when they do not divide evenly).
     */
    public int[][] taskClassesFor(int classes) {
        return taskClasses.length > 0 ? copy(taskClasses) : TaskStream.inOrder(classes, tasks);
    }

    /**
     * A copy whose tasks are {@code groups}, learned in that order ({@code tasks} becomes their number);
     * an empty array puts the classes back in order.
     */
    public SpaceNetConfig withTaskClasses(int[][] groups) {
        int t = Objects.requireNonNull(groups, "groups").length > 0 ? groups.length : tasks;
        return new SpaceNetConfig(t, hidden, connectionsPerTask, selectedNeurons, reservedNeurons, dropFraction, epochs, batch, lr, momentum, weightDecay, seed, threads, groups);
    }

    /** A copy splitting the classes into {@code t} tasks in class order (any task classes given are dropped). */
    public SpaceNetConfig withTasks(int t) {
        return new SpaceNetConfig(t, hidden, connectionsPerTask, selectedNeurons, reservedNeurons, dropFraction, epochs, batch, lr, momentum, weightDecay, seed, threads, new int[0][]);
    }

    /** A copy with hidden layers {@code h} and per-task connections {@code c}, one count per layer ({@code h.length + 1}). */
    public SpaceNetConfig withHidden(int[] h, int[] c) {
        return new SpaceNetConfig(tasks, h, c, selectedNeurons, reservedNeurons, dropFraction, epochs, batch, lr, momentum, weightDecay, seed, threads, taskClasses);
    }

    /** A copy training {@code e} epochs per task. */
    public SpaceNetConfig withEpochs(int e) {
        return new SpaceNetConfig(tasks, hidden, connectionsPerTask, selectedNeurons, reservedNeurons, dropFraction, e, batch, lr, momentum, weightDecay, seed, threads, taskClasses);
    }

    /** A copy with {@code b} samples per mini-batch. */
    public SpaceNetConfig withBatch(int b) {
        return new SpaceNetConfig(tasks, hidden, connectionsPerTask, selectedNeurons, reservedNeurons, dropFraction, epochs, b, lr, momentum, weightDecay, seed, threads, taskClasses);
    }

    /** A copy with learning rate {@code rate}. */
    public SpaceNetConfig withLearningRate(float rate) {
        return new SpaceNetConfig(tasks, hidden, connectionsPerTask, selectedNeurons, reservedNeurons, dropFraction, epochs, batch, rate, momentum, weightDecay, seed, threads, taskClasses);
    }

    /** A copy with seed {@code s}. */
    public SpaceNetConfig withSeed(long s) {
        return new SpaceNetConfig(tasks, hidden, connectionsPerTask, selectedNeurons, reservedNeurons, dropFraction, epochs, batch, lr, momentum, weightDecay, s, threads, taskClasses);
    }

    /** A copy with {@code t} worker threads. */
    public SpaceNetConfig withThreads(int t) {
        return new SpaceNetConfig(tasks, hidden, connectionsPerTask, selectedNeurons, reservedNeurons, dropFraction, epochs, batch, lr, momentum, weightDecay, seed, t, taskClasses);
    }

    /** As a JSON-ready map (for the run's metrics); threads are left out. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tasks", tasks);
        m.put("hidden", Arrays.copyOf(hidden, hidden.length));
        m.put("connections_per_task", Arrays.copyOf(connectionsPerTask, connectionsPerTask.length));
        m.put("selected_neurons", selectedNeurons);
        m.put("reserved_neurons", reservedNeurons);
        m.put("drop_fraction", dropFraction);
        m.put("epochs_per_task", epochs);
        m.put("batch", batch);
        m.put("lr", lr);
        m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("seed", seed);
        // left out when in class order, so that the models of earlier runs and of runs without it keep their bytes
        if (taskClasses.length > 0) m.put("task_classes", List.of(copy(taskClasses)));
        return m;
    }

    /**
     * The configuration {@link #toMap} wrote (a checkpoint's), with {@code threads}, which it leaves out.
     *
     * @throws IllegalArgumentException naming a missing or mistyped field, or one the record refuses
     */
    public static SpaceNetConfig fromMap(Map<String, Object> m, int threads) {
        int[][] groups = new int[0][];
        if (m.containsKey("task_classes")) {
            if (!(m.get("task_classes") instanceof List<?> list)) throw new IllegalArgumentException("field 'task_classes': expected an array, got " + m.get("task_classes"));
            groups = new int[list.size()][];
            for (int t = 0; t < groups.length; t++) groups[t] = Json.getInts(Map.of("task_classes[" + t + "]", list.get(t)), "task_classes[" + t + "]");
        }
        return new SpaceNetConfig(Json.getInt(m, "tasks"), Json.getInts(m, "hidden"), Json.getInts(m, "connections_per_task"), Json.getInt(m, "selected_neurons"),
                Json.getInt(m, "reserved_neurons"), Json.getDouble(m, "drop_fraction"), Json.getInt(m, "epochs_per_task"), Json.getInt(m, "batch"),
                (float) Json.getDouble(m, "lr"), (float) Json.getDouble(m, "momentum"), (float) Json.getDouble(m, "weight_decay"), Json.getLong(m, "seed"),
                threads, groups);
    }

    // By content: the generated methods would compare and print the arrays by identity.
    @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

    @Override public int hashCode() { return ArrayRecords.hashCode(this); }

    @Override public String toString() { return ArrayRecords.toString(this); }
}
