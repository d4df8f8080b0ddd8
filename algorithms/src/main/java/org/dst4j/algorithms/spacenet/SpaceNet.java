package org.dst4j.algorithms.spacenet;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.data.TaskStream;
import org.dst4j.nn.evolution.BatchGradient;
import org.dst4j.nn.evolution.EvolutionSchedule;
import org.dst4j.nn.evolution.GrowRule;
import org.dst4j.nn.evolution.PruneRule;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.loss.SoftmaxCrossEntropy;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.io.CheckpointFile.DType;
import org.dst4j.nn.io.CheckpointFile.Tensor;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.model.ModelFile;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.optim.Optimizer;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.dense.Argmax;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.random.RngStreams;
import org.dst4j.runtime.record.ArrayRecords;
import org.dst4j.runtime.resource.Closing;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.dst4j.runtime.memory.OffHeap;

/**
 * SpaceNet (Sokar, Mocanu, Pechenizkiy 2021): class-incremental learning in a fixed-capacity sparse MLP.
 * Each task places its own sparse connections among free neurons, trains only those, compacts them
 * into few neurons by importance-driven drop-and-grow, and at its end reserves its most important
 * neurons and freezes its connections, so later tasks cannot overwrite it.
 *
 * <p>Per-connection state lives in side arrays of each layer's CSR matrix, permuted with the values on
 * every topology change: {@link #OWNER} (0 while the connection's task is being learned, then task + 1),
 * {@link #FROZEN} (1 once its task has ended: never updated or pruned again) and {@link #IMPORTANCE}.
 * Per-neuron state (reserved by which task, selected for the current one, importance) is one small
 * array per layer.
 *
 * <p>As in the reference code: a task's connections are drawn uniformly among (selected free neurons of
 * one layer) x (selected free neurons of the next), with Xavier-uniform weights over the dense fan; a
 * connection's importance is the accumulated first-order loss change {@code |Δw · g|} of its steps; a
 * neuron's importance accumulates, every step, the importance of its incoming connections (outgoing ones
 * for input pixels), including what the task's dropped connections had gathered before they were dropped
 * (the reference never clears its dense importance matrix within a task; a position that regrows takes
 * its earlier importance back); after every epoch but the last, each non-output layer drops the task's least
 * important {@code dropFraction} of connections and grows as many at zero weight where the product of
 * the two neurons' importances is largest; while later tasks train, finished tasks' output rows are taken
 * out of the forward pass and restored for prediction.
 */
public final class SpaceNet implements AutoCloseable {
    /** Per-connection owner: 0 while its task is being learned, {@code t + 1} once task {@code t} reserved it. */
    public static final String OWNER = "owner";
    /** Per-connection flag: 1 = reserved by a finished task (never updated, never pruned). */
    public static final String FROZEN = "frozen";
    /** Per-connection importance for the task being learned: the sum of {@code |Δw · g|} over its steps. */
    public static final String IMPORTANCE = "importance";
    private static final String GRAD = "grad";
    private static final String PARKED = "parked";

    private final SpaceNetConfig cfg;
    private final int[] sizes;
    private final SparseMlp net;
    private final int[][] reservedBy;
    private final boolean[][] selected;
    private final double[][] neuronImportance;
    // Importance the task's dropped connections had gathered, per neuron they touched (incoming for hidden
    // and output neurons, outgoing for inputs): it keeps counting towards neuron importance, as in the
    // reference, whose dense importance matrix is never cleared within a task.
    private final double[][] droppedImportance;
    // Per layer: importance of each dropped position (row * cols + col), restored if the position regrows.
    private final List<Map<Long, Float>> droppedAt = new ArrayList<>();
    // Regrown positions whose earlier importance goes back onto the connection at the next step.
    private final List<long[]> pendingRestore = new ArrayList<>();
    private final float[][] biasAtStart;
    private final RngStreams rng;
    private final Step optimizer;
    private final List<TaskStats> stats = new ArrayList<>();
    private int task = -1;
    private int[] classes = new int[0];
    private boolean parked;

    /**
     * What a finished task took.
     *
     * @param task the task, from 0
     * @param connections per layer, input layer first: connections the task froze
     * @param reservedNeurons per layer of {@link #sizes()}: neurons the task reserved (0 for input and output)
     * @param selectedNeurons per layer of {@link #sizes()}: neurons the task could place connections on
     *     (0 for input and output, which it always uses)
     * @param reservedNeuronIndices per layer of {@link #sizes()}: which neurons the task reserved, ascending (empty
     *     for input and output); neuron {@code j} of hidden layer {@code l} is row {@code j} of weight layer
     *     {@code l - 1} and column {@code j} of weight layer {@code l} (the {@code layer<l-1>} / {@code layer<l>}
     *     arrays of an export)
     * @param selectedNeuronIndices per layer of {@link #sizes()}: which neurons the task could place connections
     *     on, ascending (empty for input and output); its reserved neurons are among them, the others were
     *     released for later tasks
     */
    public record TaskStats(int task, long[] connections, int[] reservedNeurons, int[] selectedNeurons,
                            int[][] reservedNeuronIndices, int[][] selectedNeuronIndices) {
        /** Copies the arrays: changing the caller's afterwards does not change the stats. */
        public TaskStats {
            connections = Objects.requireNonNull(connections, "connections").clone();
            reservedNeurons = Objects.requireNonNull(reservedNeurons, "reservedNeurons").clone();
            selectedNeurons = Objects.requireNonNull(selectedNeurons, "selectedNeurons").clone();
            reservedNeuronIndices = deepClone(Objects.requireNonNull(reservedNeuronIndices, "reservedNeuronIndices"));
            selectedNeuronIndices = deepClone(Objects.requireNonNull(selectedNeuronIndices, "selectedNeuronIndices"));
        }

        /** Counts only, as before the indices were recorded: the index arrays are empty, one per layer. */
        public TaskStats(int task, long[] connections, int[] reservedNeurons, int[] selectedNeurons) {
            this(task, connections, reservedNeurons, selectedNeurons, new int[reservedNeurons.length][0], new int[selectedNeurons.length][0]);
        }

        /** Per layer of {@link #sizes()}: the neurons the task reserved, ascending; a copy. */
        @Override public int[][] reservedNeuronIndices() { return deepClone(reservedNeuronIndices); }

        /** Per layer of {@link #sizes()}: the neurons the task could place connections on, ascending; a copy. */
        @Override public int[][] selectedNeuronIndices() { return deepClone(selectedNeuronIndices); }

        private static int[][] deepClone(int[][] a) {
            int[][] c = new int[a.length][];
            for (int i = 0; i < a.length; i++) c[i] = Objects.requireNonNull(a[i], "layer " + i).clone();
            return c;
        }

        /** Per layer, input layer first: connections the task froze; a copy. */
        @Override public long[] connections() { return connections.clone(); }

        /** Per layer of {@link #sizes()}: neurons the task reserved; a copy. */
        @Override public int[] reservedNeurons() { return reservedNeurons.clone(); }

        /** Per layer of {@link #sizes()}: neurons the task could place connections on; a copy. */
        @Override public int[] selectedNeurons() { return selectedNeurons.clone(); }

        /** As a JSON-ready map (a saved learner's, a run's checkpoint); {@link #fromMap} reads it back. */
        public Map<String, Object> toMap() {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("task", task);
            e.put("connections", connections.clone());
            e.put("reserved_neurons", reservedNeurons.clone());
            e.put("selected_neurons", selectedNeurons.clone());
            e.put("reserved_neuron_indices", List.of((Object[]) deepClone(reservedNeuronIndices)));
            e.put("selected_neuron_indices", List.of((Object[]) deepClone(selectedNeuronIndices)));
            return e;
        }

        /**
         * The statistics {@link #toMap} wrote, parsed from JSON.
         *
         * @throws IllegalArgumentException naming a missing or mistyped field
         */
        public static TaskStats fromMap(Map<String, Object> m) {
            return new TaskStats(Json.getInt(m, "task"), Json.getLongs(m, "connections"), Json.getInts(m, "reserved_neurons"),
                    Json.getInts(m, "selected_neurons"), perLayer(m, "reserved_neuron_indices"), perLayer(m, "selected_neuron_indices"));
        }

        private static int[][] perLayer(Map<String, Object> m, String key) {
            if (!(m.get(key) instanceof List<?> l)) throw new IllegalArgumentException("field '" + key + "': expected an array, got " + m.get(key));
            int[][] a = new int[l.size()][];
            for (int i = 0; i < a.length; i++) a[i] = Json.getInts(Map.of(key + "[" + i + "]", l.get(i)), key + "[" + i + "]");
            return a;
        }

        // By content: the generated methods would compare and print the arrays by identity.
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

        @Override public int hashCode() { return ArrayRecords.hashCode(this); }

        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    /**
     * A learner for inputs of {@code inputs} features and {@code classes} output classes, with no connections yet.
     *
     * @throws IllegalArgumentException if {@code inputs} or {@code classes} is below 1
     */
    public SpaceNet(SpaceNetConfig cfg, int inputs, int classes) {
        // Before any layer is allocated: a failure after it would leave the layers' memory to nobody.
        Objects.requireNonNull(cfg, "cfg");
        if (inputs < 1) throw new IllegalArgumentException("inputs must be >= 1, got " + inputs);
        if (classes < 1) throw new IllegalArgumentException("classes must be >= 1, got " + classes);
        this(cfg, newNetwork(MlpConfig.sizes(inputs, cfg.hidden(), classes), new RngStreams(cfg.seed())), new Sgd(cfg.momentum(), cfg.weightDecay()), List.of());
    }

    /**
     * The per-connection arrays a learner's checkpoint keeps between tasks (with the weights and the SGD state): the
     * others are cleared when a task begins.
     */
    static final Map<String, ValueLayout> KEPT = kept();

    // In a fixed order: the checkpoint writes them in it, and the same run gives the same bytes.
    private static Map<String, ValueLayout> kept() {
        Map<String, ValueLayout> m = new LinkedHashMap<>();
        m.put(OWNER, JAVA_INT);
        m.put(FROZEN, JAVA_BYTE);
        m.put(PARKED, JAVA_FLOAT);
        return Collections.unmodifiableMap(m);
    }

    /**
     * A learner continued between tasks from a checkpoint: {@code net} (which it takes over) as saved after the last of
     * {@code stats}' tasks with its {@link #KEPT} arrays, and {@code sgd} holding its SGD state.
     *
     * @throws IllegalArgumentException if {@code net} lacks a kept array or holds a connection no task froze, or a task
     *     of {@code stats} reserved a neuron outside its layer or one an earlier task reserved; {@code net} is then closed
     */
    private static SpaceNet resumed(SpaceNetConfig cfg, SparseMlp net, Sgd sgd, List<TaskStats> stats) {
        return new SpaceNet(cfg, checkedBetweenTasks(net, stats.size()), sgd, checkedTasks(stats, net));
    }

    private static SparseMlp checkedBetweenTasks(SparseMlp net, int tasks) {
        try {
            List<SparseLinear> layers = net.layers();
            for (int l = 0; l < layers.size(); l++) {
                CsrMatrix w = layers.get(l).weights();
                boolean output = l + 1 == layers.size();
                for (String side : KEPT.keySet()) {
                    if ((output || !side.equals(PARKED)) && !w.hasSide(side)) throw new IllegalArgumentException("layer " + l + " has no '" + side + "' array");
                }
                MemorySegment frozen = w.side(FROZEN), owner = w.side(OWNER);
                for (long k = 0; k < w.nnz(); k++) {
                    if (frozen.get(JAVA_BYTE, k) == 0) throw new IllegalArgumentException("connection " + k + " of layer " + l + " is not frozen: not saved between tasks");
                    // Each frozen connection is a finished task's: an owner of 99 or -3 went on into connection-owners.npz.
                    int o = owner.getAtIndex(JAVA_INT, k);
                    if (o < 1 || o > tasks) {
                        throw new IllegalArgumentException("connection " + k + " of layer " + l + " has owner " + o + ", not one of the " + tasks + " tasks learned (1.." + tasks + ")");
                    }
                }
                if (!w.hasSide(IMPORTANCE)) w.addSide(IMPORTANCE, JAVA_FLOAT);
                if (!w.hasSide(GRAD)) w.addSide(GRAD, JAVA_FLOAT);
            }
            return net;
        } catch (RuntimeException | Error e) {
            Closing.after(e, net::close);
            throw e;
        }
    }

    private static List<TaskStats> checkedTasks(List<TaskStats> stats, SparseMlp net) {
        try {
            int[] sizes = net.config().sizes();
            boolean[][] taken = new boolean[sizes.length][];
            for (int l = 0; l < sizes.length; l++) taken[l] = new boolean[sizes[l]];
            for (int t = 0; t < stats.size(); t++) {
                TaskStats s = stats.get(t);
                if (s.task() != t) throw new IllegalArgumentException("task statistics " + t + " are for task " + s.task());
                int[][] idx = s.reservedNeuronIndices();
                if (idx.length != sizes.length) throw new IllegalArgumentException("task " + t + " reserved neurons in " + idx.length + " layers, the network has " + sizes.length);
                // The counts and indices a metrics.json and `inspect` report: a hand-edited -5 connections, a count of 40 beside
                // 4 indices or a selected neuron 999 of 24 were taken as they were.
                if (s.connections().length != sizes.length - 1 || Arrays.stream(s.connections()).anyMatch(c -> c < 0)) {
                    throw new IllegalArgumentException("task " + t + "'s connections " + Arrays.toString(s.connections()) + ": expected "
                            + (sizes.length - 1) + " counts >= 0, one per layer of weights");
                }
                int[][] sel = s.selectedNeuronIndices();
                if (s.reservedNeurons().length != sizes.length || s.selectedNeurons().length != sizes.length || sel.length != sizes.length) {
                    throw new IllegalArgumentException("task " + t + "'s neuron counts and indices: expected one entry per layer, " + sizes.length);
                }
                for (int l = 0; l < sizes.length; l++) {
                    // counts beside empty indices: statistics saved before the indices were recorded
                    if (idx[l].length > 0 && s.reservedNeurons()[l] != idx[l].length || sel[l].length > 0 && s.selectedNeurons()[l] != sel[l].length) {
                        throw new IllegalArgumentException("task " + t + " counts " + s.reservedNeurons()[l] + " reserved and " + s.selectedNeurons()[l]
                                + " selected neurons in layer " + l + " beside " + idx[l].length + " and " + sel[l].length + " indices");
                    }
                    for (int i : sel[l]) {
                        if (l == 0 || l + 1 == sizes.length || i < 0 || i >= sizes[l]) {
                            throw new IllegalArgumentException("task " + t + " selected neuron " + i + " of layer " + l + ", which is not a hidden neuron");
                        }
                    }
                }
                for (int l = 0; l < sizes.length; l++) {
                    for (int i : idx[l]) {
                        if (l == 0 || l + 1 == sizes.length || i < 0 || i >= sizes[l]) {
                            throw new IllegalArgumentException("task " + t + " reserved neuron " + i + " of layer " + l + ", which is not a hidden neuron");
                        }
                        if (taken[l][i]) throw new IllegalArgumentException("task " + t + " reserved neuron " + i + " of layer " + l + ", which an earlier task had reserved");
                        taken[l][i] = true;
                    }
                }
            }
            return stats;
        } catch (RuntimeException | Error e) {
            Closing.after(e, net::close);
            throw e;
        }
    }

    private static SparseMlp newNetwork(int[] sizes, RngStreams rng) {
        List<SparseLinear> layers = new ArrayList<>();
        try {
            for (int l = 0; l + 1 < sizes.length; l++) {
                CsrMatrix w = CsrMatrix.fromCoo(sizes[l + 1], sizes[l], new int[0], new int[0], new float[0]);
                // the layer first: it owns the weights from here, so the catch below frees them if a side array does not fit
                layers.add(new SparseLinear(w, l + 2 == sizes.length ? Activation.linear() : Activation.relu()));
                w.addSide(OWNER, JAVA_INT);
                w.addSide(FROZEN, JAVA_BYTE);
                w.addSide(IMPORTANCE, JAVA_FLOAT);
                w.addSide(GRAD, JAVA_FLOAT);
                if (l + 2 == sizes.length) w.addSide(PARKED, JAVA_FLOAT);
            }
            MlpConfig mlp = new MlpConfig(sizes, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0), new WeightInit.XavierUniform());
            return SparseMlp.of(mlp, layers, rng.stream("dropout").nextLong());
        } catch (RuntimeException | Error e) {
            Closing.after(e, () -> Closing.each(layers, SparseLinear::close));
            throw e;
        }
    }

    // Every learner: new (no connections, no tasks) or continued between tasks.
    private SpaceNet(SpaceNetConfig cfg, SparseMlp net, Sgd sgd, List<TaskStats> finished) {
        this.cfg = cfg;
        this.net = net;
        sizes = net.config().sizes();
        rng = new RngStreams(cfg.seed());
        reservedBy = new int[sizes.length][];
        selected = new boolean[sizes.length][];
        neuronImportance = new double[sizes.length][];
        droppedImportance = new double[sizes.length][];
        biasAtStart = new float[sizes.length - 1][];
        for (int l = 0; l < sizes.length; l++) {
            reservedBy[l] = new int[sizes[l]];
            Arrays.fill(reservedBy[l], -1);
            selected[l] = new boolean[sizes[l]];
            neuronImportance[l] = new double[sizes[l]];
            droppedImportance[l] = new double[sizes[l]];
        }
        for (int l = 0; l + 1 < sizes.length; l++) droppedAt.add(new HashMap<>());
        optimizer = new Step(sgd);
        for (TaskStats s : finished) {
            int[][] idx = s.reservedNeuronIndices();
            for (int l = 0; l < sizes.length; l++) for (int i : idx[l]) reservedBy[l][i] = s.task();
        }
        stats.addAll(finished);
        task = finished.size() - 1;
    }

    /** The header field a saved learner keeps its configuration and finished tasks under. */
    public static final String HEADER = "spacenet";

    /**
     * Saves this learner between tasks, atomically: its network (a model file {@code predict} reads, a classifier of every
     * class its tasks learned) with the SGD state, each connection's owner task and frozen flag, and its configuration and
     * finished tasks in the header's {@value #HEADER} field, for {@link #load} to continue with the next task — in another
     * process, later, as if it had not stopped.
     *
     * @param std the input standardization its tasks were learned with, saved with the network, or null
     * @param extra more header fields (provenance, a run's own), written as given
     * @throws IllegalStateException if a task is being learned
     * @throws IllegalArgumentException if {@code extra} has a {@value #HEADER} field, or one the model file writes itself
     * @throws IOException if writing fails; the file's previous version, if any, stays whole
     */
    public void save(Path file, Standardizer std, Map<String, Object> extra) throws IOException {
        Objects.requireNonNull(file, "file");
        if (parked) throw new IllegalStateException("cannot save in the middle of task " + task);
        if (extra.containsKey(HEADER)) throw new IllegalArgumentException("extra header field '" + HEADER + "': the learner writes it itself");
        Map<String, Object> h = new LinkedHashMap<>(extra);
        h.put(HEADER, own(null));
        // a learner that has not learned yet has no SGD state to save: attaching makes it (the zeros its first task starts from)
        for (SparseLinear layer : net.layers()) layer.attach(optimizer);
        ModelFile.save(file, net, optimizer.sgd, std, h, List.copyOf(KEPT.keySet()));
    }

    // The header's field of this learner: its configuration, finished tasks and (in a run's checkpoint) the task under way.
    private Map<String, Object> own(Map<String, Object> inTask) {
        Map<String, Object> own = new LinkedHashMap<>();
        own.put("config", cfg.toMap());
        own.put("tasks", stats.stream().map(TaskStats::toMap).toList());
        if (inTask != null) own.put("in_task", inTask);
        return own;
    }

    /**
     * A learner {@link #save} wrote, with what its file holds beside it. The caller owns {@code learner}.
     *
     * @param learner the learner, ready for its next task
     * @param standardizer the input standardization saved with it, or null
     * @param header the file's header fields
     */
    public record Loaded(SpaceNet learner, Standardizer standardizer, Map<String, Object> header) {}

    /**
     * Loads a learner {@link #save} wrote, to go on learning tasks with {@code threads} threads (its other settings are the
     * file's): the next task it learns gives the same network as the learner that was saved would have.
     *
     * @throws IOException if the file cannot be read or is not a saved SpaceNet learner (naming it and what is wrong)
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     */
    public static Loaded load(Path file, int threads) throws IOException {
        Objects.requireNonNull(file, "file");
        return load(file, threads, false);
    }

    // inTask: also a learner saved in the middle of a task (a run's checkpoint), continued by finishTask
    static Loaded load(Path file, int threads, boolean inTask) throws IOException {
        Map<String, Object> h;
        try (CheckpointFile.Index ix = CheckpointFile.open(file)) {
            h = ix.header();
        }
        WorkerPool.checkThreads(threads); // an argument's mistake, not the file's: not wrapped below
        SpaceNetConfig cfg;
        List<TaskStats> finished = new ArrayList<>();
        try {
            Map<String, Object> own = Json.getObject(h, HEADER);
            cfg = SpaceNetConfig.fromMap(Json.getObject(own, "config"), threads);
            if (!(own.get("tasks") instanceof List<?> tasks)) throw new IllegalArgumentException("field 'tasks': expected an array, got " + own.get("tasks"));
            for (Object t : tasks) {
                if (!(t instanceof Map<?, ?> m)) throw new IllegalArgumentException("field 'tasks': expected objects, got " + t);
                @SuppressWarnings("unchecked") Map<String, Object> e = (Map<String, Object>) m;
                finished.add(TaskStats.fromMap(e));
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a saved SpaceNet learner (" + e.getMessage() + ")", e);
        }
        Object in = Json.getObject(h, HEADER).get("in_task");
        if (in != null && !inTask) {
            throw new IOException(file + " holds a SpaceNet learner in the middle of a task (a run's checkpoint): SpaceNetRun.resume continues that run");
        }
        Sgd sgd = new Sgd(cfg.momentum(), cfg.weightDecay());
        Map<String, ValueLayout> sides = new LinkedHashMap<>(KEPT);
        if (in != null) sides.put(IMPORTANCE, JAVA_FLOAT);
        ModelFile.Loaded l = ModelFile.load(file, sgd, sides);
        int[] sizes = l.net().config().sizes();
        if (!Arrays.equals(Arrays.copyOfRange(sizes, 1, sizes.length - 1), cfg.hidden())) {
            l.net().close();
            throw new IOException(file + " is not a saved SpaceNet learner (its network's hidden layers are " + Arrays.toString(Arrays.copyOfRange(sizes, 1,
                    sizes.length - 1)) + ", its configuration's " + Arrays.toString(cfg.hidden()) + ")");
        }
        try {
            if (in == null) return new Loaded(resumed(cfg, l.net(), sgd, finished), l.standardizer(), l.header());
            if (!(in instanceof Map<?, ?> raw)) throw new IllegalArgumentException("field 'in_task': expected an object, got " + in);
            @SuppressWarnings("unchecked") Map<String, Object> state = (Map<String, Object>) raw;
            SpaceNet sn = new SpaceNet(cfg, checkedInTask(l.net()), sgd, checkedTasks(finished, l.net()));
            try (CheckpointFile.Index ix = CheckpointFile.open(file)) {
                sn.restoreInTask(state, ix);
            } catch (IOException | RuntimeException | Error e) {
                Closing.after(e, sn::close);
                throw e;
            }
            return new Loaded(sn, l.standardizer(), l.header());
        } catch (IllegalArgumentException e) { // the network was closed
            throw new IOException(file + " is not a saved SpaceNet learner (" + e.getMessage() + ")", e);
        }
    }

    // A network saved in the middle of a task: every connection frozen but the task's own, and its importance kept.
    private static SparseMlp checkedInTask(SparseMlp net) {
        try {
            for (SparseLinear layer : net.layers()) {
                CsrMatrix w = layer.weights();
                if (!w.hasSide(IMPORTANCE) || !w.hasSide(OWNER) || !w.hasSide(FROZEN)) throw new IllegalArgumentException("a layer lacks its per-connection arrays");
                if (!w.hasSide(GRAD)) w.addSide(GRAD, JAVA_FLOAT);
            }
            if (!net.layers().getLast().weights().hasSide(PARKED)) throw new IllegalArgumentException("the output layer has no '" + PARKED + "' array");
            return net;
        } catch (RuntimeException | Error e) {
            Closing.after(e, net::close);
            throw e;
        }
    }

    // The task's own state as saveInTask wrote it; this learner then holds the task under way, parked.
    private void restoreInTask(Map<String, Object> in, CheckpointFile.Index ix) throws IOException {
        int t = Json.getInt(in, "task");
        if (t != stats.size()) throw new IllegalArgumentException("field 'task': " + t + ", but " + stats.size() + " tasks had finished");
        if (in.containsKey("neuron_importance_bits")) {
            throw new IllegalArgumentException("the task's state is in the header, as an earlier dst4j build wrote it; this one reads it"
                    + " from the file's tensors: start the run again");
        }
        task = t;
        classes = Json.getInts(in, "classes");
        for (int l = 0; l < sizes.length; l++) {
            Arrays.fill(selected[l], false);
            for (int i : array(ix, IN_TASK + "selected." + l, DType.I32, -1).toArray(JAVA_INT_UNALIGNED)) {
                if (i < 0 || i >= sizes[l]) throw new IllegalArgumentException("tensor '" + IN_TASK + "selected." + l + "': neuron " + i + " of " + sizes[l]);
                // a task selects among the free hidden neurons (beginTask): one an earlier task reserved was taken and trained on
                if (l > 0 && l + 1 < sizes.length && reservedBy[l][i] >= 0) {
                    throw new IllegalArgumentException("tensor '" + IN_TASK + "selected." + l + "': neuron " + i + ", which task " + (reservedBy[l][i] + 1) + " reserved");
                }
                selected[l][i] = true;
            }
            long[] a = array(ix, IN_TASK + "neuron_importance." + l, DType.I64, sizes[l]).toArray(JAVA_LONG_UNALIGNED);
            long[] b = array(ix, IN_TASK + "dropped_importance." + l, DType.I64, sizes[l]).toArray(JAVA_LONG_UNALIGNED);
            for (int i = 0; i < sizes[l]; i++) {
                neuronImportance[l][i] = Double.longBitsToDouble(a[i]);
                droppedImportance[l][i] = Double.longBitsToDouble(b[i]);
                // a NaN ranked every neuron after it as it pleased when the task's end chose the neurons to reserve
                if (!Double.isFinite(neuronImportance[l][i]) || !Double.isFinite(droppedImportance[l][i])) {
                    throw new IllegalArgumentException("tensors '" + IN_TASK + "neuron_importance." + l + "' and 'dropped_importance." + l + "': neuron " + i
                            + " has " + neuronImportance[l][i] + " and " + droppedImportance[l][i] + ", expected finite sums");
                }
            }
        }
        for (int l = 0; l + 1 < sizes.length; l++) {
            long[] positions = array(ix, IN_TASK + "dropped_at." + l, DType.I64, -1).toArray(JAVA_LONG_UNALIGNED);
            float[] importance = array(ix, IN_TASK + "dropped_at_importance." + l, DType.F32, positions.length).toArray(JAVA_FLOAT_UNALIGNED);
            droppedAt.get(l).clear();
            for (int i = 0; i < positions.length; i++) {
                droppedAt.get(l).put(position(positions[i], l, IN_TASK + "dropped_at." + l), importance[i]);
            }
            biasAtStart[l] = array(ix, IN_TASK + "bias_at_start." + l, DType.F32, sizes[l + 1]).toArray(JAVA_FLOAT_UNALIGNED);
        }
        pendingRestore.clear();
        String name = IN_TASK + "pending_restore";
        long[] pending = array(ix, name, DType.I64, -1).toArray(JAVA_LONG_UNALIGNED);
        if (pending.length % 3 != 0) throw new IllegalArgumentException("tensor '" + name + "': " + pending.length + " values, not triples");
        for (int i = 0; i < pending.length; i += 3) {
            long l = pending[i];
            if (l < 0 || l + 1 >= sizes.length) throw new IllegalArgumentException("tensor '" + name + "': layer " + l);
            pendingRestore.add(new long[] {l, position(pending[i + 1], (int) l, name), pending[i + 2]});
        }
        parked = true;
    }

    // A tensor of the file read whole, of type t and (unless -1) that many elements.
    private static MemorySegment array(CheckpointFile.Index ix, String name, DType t, long elements) throws IOException {
        CheckpointFile.Entry e = ix.entry(name);
        if (e.dtype() != t) throw new IllegalArgumentException("tensor '" + name + "' is " + e.dtype() + ", expected " + t);
        if (elements >= 0 && e.elements() != elements) throw new IllegalArgumentException("tensor '" + name + "' has " + e.elements() + " values, not " + elements);
        if (e.bytes() > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor '" + name + "' has " + e.elements() + " values, too many for an array");
        byte[] b = new byte[(int) e.bytes()]; // read through bytes: only their segments (and off-heap ones) take a read
        ix.readInto(e, MemorySegment.ofArray(b));
        return MemorySegment.ofArray(b);
    }

    // A position row * cols + col of layer l's weights, checked to be one.
    private long position(long key, int l, String name) {
        if (key < 0 || key >= (long) sizes[l] * sizes[l + 1]) throw new IllegalArgumentException("tensor '" + name + "': position " + key + " outside the layer");
        return key;
    }

    /** The configuration this learner was created with. */
    public SpaceNetConfig config() { return cfg; }

    /** The network (its layers' side arrays hold the flags above). */
    public SparseMlp network() { return net; }

    /** Layer sizes, input first. */
    public int[] sizes() { return sizes.clone(); }

    /** The task being learned or last learned (-1 before the first). */
    public int task() { return task; }

    /** For hidden layer {@code l} (1-based in {@link #sizes()}): the task that reserved each neuron, -1 if free. */
    public int[] reservedBy(int l) { return reservedBy[l].clone(); }

    /** Statistics of the finished tasks, in order. */
    public List<TaskStats> taskStats() { return List.copyOf(stats); }

    // importance of layer l's neurons gathered so far in the current task (tests)
    double[] neuronImportance(int l) { return neuronImportance[l].clone(); }

    /**
     * Learns one task: allocates its connections, trains them for {@code cfg.epochs()} epochs with
     * drop-and-grow after every epoch but the last, then reserves its important neurons and freezes its
     * connections. {@code test} (may be null) is evaluated after each epoch for the listener.
     *
     * @throws IllegalArgumentException if a class of the task, or a label or the width of its data or of {@code test}, does
     *     not fit this learner; the learner is then unchanged
     * @throws NullPointerException if {@code t}, {@code pk} or {@code listener} is null (naming it); the learner is then
     *     unchanged
     * @throws java.util.concurrent.CancellationException if the thread is interrupted (the trainer stops before its next
     *     batch), and {@link Trainer.DivergedException} if the loss stops being finite: the learner then stays in the middle
     *     of the task, and {@link #save}, {@link #accuracy} and {@code learn} refuse it; only {@link #close} remains (a
     *     process that must survive a stop keeps each task's learner with {@link #save} and {@link #load}s it again)
     */
    public void learn(TaskStream.Task t, Dataset test, ParallelKernels pk, Standardizer std, Trainer.Listener listener) {
        // Before the task begins: thrown by the trainer, it left the learner in the middle of the task for good.
        Objects.requireNonNull(t, "t");
        Objects.requireNonNull(pk, "pk");
        Objects.requireNonNull(listener, "listener");
        checkTask(t, test);
        beginTask(t.classes());
        finishTask(t, test, pk, std, taskState(), listener);
    }

    // Before beginTask changes anything: refused by the trainer (or by an index out of bounds) once the task had begun,
    // the learner stayed in the middle of it for good, neither saved nor evaluated nor taught again, a task number skipped.
    private void checkTask(TaskStream.Task t, Dataset test) {
        int outputs = sizes[sizes.length - 1];
        for (int c : t.classes()) {
            if (c < 0 || c >= outputs) throw new IllegalArgumentException("task " + t.index() + " has class " + c + "; this learner has classes 0.." + (outputs - 1));
        }
        for (Dataset d : new Dataset[] {t.train(), test}) {
            if (d == null) continue;
            if (d.features() != sizes[0]) throw new IllegalArgumentException(d.name() + " has " + d.features() + " features; this learner takes " + sizes[0]);
            for (int y : d.labels()) {
                if (y < 0 || y >= outputs) throw new IllegalArgumentException(d.name() + " has label " + y + "; this learner has classes 0.." + (outputs - 1));
            }
        }
    }

    // The task's training state as its first epoch starts: its streams split from the seed by task.
    Trainer.State taskState() {
        return new Trainer.State(rng.stream("shuffle").split(task), rng.stream("evolution").split(task));
    }

    // Trains the task under way from `state` (its first epoch, or where a checkpoint left it) to its end, then ends it.
    void finishTask(TaskStream.Task t, Dataset test, ParallelKernels pk, Standardizer std, Trainer.State state, Trainer.Listener listener) {
        if (!parked) throw new IllegalStateException("no task is under way");
        Trainer.Settings settings = new Trainer.Settings(cfg.epochs(), cfg.batch(), new LearningRate.Constant(cfg.lr()), optimizer,
                new SoftmaxCrossEntropy(), new TopologyEvolution(new ImportancePrune(), new ImportanceGrow(),
                EvolutionSchedule.everyEpoch(cfg.dropFraction()), new WeightInit.Zero()), 1000);
        new Trainer(pk, settings).run(net, t.train(), test, std, state, listener);
        endTask();
    }

    /**
     * A run's checkpoint in the middle of a task (after an epoch): the learner as {@link #save} writes it, with the
     * task's own state (its classes and selected neurons, the importance gathered per neuron and per connection, the
     * positions dropped and their importance, the biases as the task began): the task and its classes under the header's
     * {@code in_task}, the arrays as tensors named {@code spacenet.in_task.*}. Not a model to predict with: the finished
     * tasks' classifier rows are out of the network while a task trains.
     */
    void saveInTask(Path file, Standardizer std, Map<String, Object> extra) throws IOException {
        if (!parked) throw new IllegalStateException("no task is under way");
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("task", task);
        in.put("classes", classes.clone());
        // The arrays as tensors, not JSON: they grow with the network and the task (the dropped positions with every
        // epoch), and a header holds at most 64 MiB.
        List<Tensor> arrays = new ArrayList<>();
        for (int l = 0; l < sizes.length; l++) {
            arrays.add(Tensor.of(IN_TASK + "selected." + l, indices(selected[l])));
            arrays.add(Tensor.of(IN_TASK + "neuron_importance." + l, DType.I64, MemorySegment.ofArray(bits(neuronImportance[l]))));
            arrays.add(Tensor.of(IN_TASK + "dropped_importance." + l, DType.I64, MemorySegment.ofArray(bits(droppedImportance[l]))));
        }
        for (int l = 0; l + 1 < sizes.length; l++) {
            // in key order: the map's own order is a HashMap's, and the same run must give the same bytes
            TreeMap<Long, Float> at = new TreeMap<>(droppedAt.get(l));
            long[] positions = at.keySet().stream().mapToLong(Long::longValue).toArray();
            float[] importance = new float[positions.length];
            for (int i = 0; i < positions.length; i++) importance[i] = at.get(positions[i]);
            arrays.add(Tensor.of(IN_TASK + "dropped_at." + l, DType.I64, MemorySegment.ofArray(positions)));
            arrays.add(Tensor.of(IN_TASK + "dropped_at_importance." + l, importance));
            arrays.add(Tensor.of(IN_TASK + "bias_at_start." + l, biasAtStart[l]));
        }
        long[] pending = pendingRestore.stream().flatMapToLong(Arrays::stream).toArray();
        arrays.add(new Tensor(IN_TASK + "pending_restore", DType.I64, new long[] {pendingRestore.size(), 3}, MemorySegment.ofArray(pending)));
        Map<String, Object> h = new LinkedHashMap<>(extra);
        h.put(HEADER, own(in));
        List<String> sides = new ArrayList<>(KEPT.keySet());
        sides.add(IMPORTANCE);
        ModelFile.save(file, net, optimizer.sgd, std, h, sides, arrays);
    }

    // The prefix of the tensors saveInTask writes beside the network.
    private static final String IN_TASK = "spacenet.in_task.";

    // Doubles as their bits: exact, NaN included.
    private static long[] bits(double[] a) {
        long[] b = new long[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Double.doubleToRawLongBits(a[i]);
        return b;
    }

    void beginTask(int[] taskClasses) {
        if (parked) throw new IllegalStateException("task " + task + " has not ended");
        task++;
        classes = taskClasses.clone();
        RandomStream alloc = rng.stream("allocation").split(task);
        for (int l = 1; l + 1 < sizes.length; l++) {
            int[] free = freeNeurons(l);
            alloc.split(-l).shuffle(free);
            Arrays.fill(selected[l], false);
            for (int i = 0; i < Math.min(cfg.selectedNeurons(), free.length); i++) selected[l][free[i]] = true;
        }
        Arrays.fill(selected[0], true);
        boolean[] out = selected[sizes.length - 1];
        Arrays.fill(out, false);
        for (int c : classes) out[c] = true;
        int[] per = cfg.connectionsPerTask();
        for (int l = 0; l + 1 < sizes.length; l++) allocate(l, per[l], alloc.split(l));
        // finished tasks' classifier rows leave the forward pass while this task trains (their values wait in PARKED)
        CsrMatrix w = outputWeights();
        MemorySegment frozen = w.side(FROZEN);
        for (long k = 0; k < w.nnz(); k++) if (frozen.get(JAVA_BYTE, k) != 0) w.setValue(k, 0f);
        parked = true;
        for (int l = 0; l < sizes.length; l++) {
            Arrays.fill(neuronImportance[l], 0);
            Arrays.fill(droppedImportance[l], 0);
        }
        for (Map<Long, Float> m : droppedAt) m.clear();
        pendingRestore.clear();
        for (int l = 0; l + 1 < sizes.length; l++) {
            CsrMatrix m = layer(l).weights();
            m.side(IMPORTANCE).fill((byte) 0);
            MemorySegment b = layer(l).bias();
            biasAtStart[l] = b.toArray(JAVA_FLOAT);
        }
    }

    void endTask() {
        int last = sizes.length - 1;
        int[] reserved = new int[sizes.length];
        int[][] reservedIdx = new int[sizes.length][0], selectedIdx = new int[sizes.length][0];
        for (int l = 1; l < last; l++) {
            // among the task's selected neurons (all free): ranked among every free neuron, a task with fewer neurons of
            // importance than it reserves took free neurons it never placed a connection on, by index, and released
            // selected ones that carry its frozen connections
            int[] own = byImportance(indices(selected[l]), neuronImportance[l]);
            int n = Math.min(cfg.reservedNeurons(), own.length);
            for (int i = 0; i < n; i++) reservedBy[l][own[i]] = task;
            reserved[l] = n;
            reservedIdx[l] = Arrays.stream(own, 0, n).sorted().toArray();
        }
        long[] taken = new long[last];
        for (int l = 0; l < last; l++) {
            CsrMatrix w = layer(l).weights();
            MemorySegment owner = w.side(OWNER), frozen = w.side(FROZEN);
            MemorySegment keep = l + 1 == last ? w.side(PARKED) : null;
            for (long k = 0; k < w.nnz(); k++) {
                if (frozen.get(JAVA_BYTE, k) != 0) continue;
                owner.setAtIndex(JAVA_INT, k, task + 1);
                frozen.set(JAVA_BYTE, k, (byte) 1);
                if (keep != null) keep.setAtIndex(JAVA_FLOAT, k, w.value(k));
                taken[l]++;
            }
        }
        int[] sel = new int[sizes.length];
        for (int l = 1; l < last; l++) {
            selectedIdx[l] = indices(selected[l]);
            sel[l] = selectedIdx[l].length;
        }
        stats.add(new TaskStats(task, taken, reserved, sel, reservedIdx, selectedIdx));
        unpark();
    }

    // Puts every finished task's classifier rows back for prediction.
    private void unpark() {
        CsrMatrix w = outputWeights();
        MemorySegment frozen = w.side(FROZEN), keep = w.side(PARKED);
        for (long k = 0; k < w.nnz(); k++) if (frozen.get(JAVA_BYTE, k) != 0) w.setValue(k, keep.getAtIndex(JAVA_FLOAT, k));
        parked = false;
    }

    private int[] freeNeurons(int l) {
        return IntStream.range(0, sizes[l]).filter(i -> reservedBy[l][i] < 0).toArray();
    }

    private SparseLinear layer(int l) { return net.layers().get(l); }

    private CsrMatrix outputWeights() { return layer(sizes.length - 2).weights(); }

    private int layerOf(CsrMatrix w) {
        for (int l = 0; l + 1 < sizes.length; l++) if (layer(l).weights() == w) return l;
        throw new IllegalArgumentException("not a layer of this SpaceNet");
    }

    // Neurons by decreasing importance, the lower index first on ties: which a task reserves, and where it grows.
    private static int[] byImportance(int[] neurons, double[] imp) {
        return Arrays.stream(neurons).boxed()
                .sorted((a, b) -> imp[a] != imp[b] ? Double.compare(imp[b], imp[a]) : Integer.compare(a, b))
                .mapToInt(Integer::intValue).toArray();
    }

    private static int[] indices(boolean[] s) {
        return IntStream.range(0, s.length).filter(i -> s[i]).toArray();
    }

    // Draws up to count new connections uniformly among free positions of (selected rows) x (selected columns).
    private void allocate(int l, int count, RandomStream rnd) {
        CsrMatrix w = layer(l).weights();
        int[] rows = indices(selected[l + 1]), cols = indices(selected[l]);
        boolean[] colSel = selected[l];
        long occupied = 0;
        for (int r : rows) for (long k = w.rowStart(r); k < w.rowEnd(r); k++) if (colSel[w.col(k)]) occupied++;
        long free = (long) rows.length * cols.length - occupied;
        int n = (int) Math.min(count, free);
        long[] keys = new long[n];
        if (n > 0 && free <= 4L * n) {
            long remaining = free;
            int needed = n, got = 0;
            for (int r : rows) {
                for (int c : cols) {
                    if (needed == 0) break;
                    if (w.indexOf(r, c) >= 0) continue;
                    if (rnd.nextLong(remaining) < needed) {
                        keys[got++] = (long) r * w.cols() + c;
                        needed--;
                    }
                    remaining--;
                }
            }
        } else if (n > 0) {
            Set<Long> chosen = new HashSet<>();
            int got = 0;
            while (got < n) {
                int r = rows[rnd.nextInt(rows.length)], c = cols[rnd.nextInt(cols.length)];
                long key = (long) r * w.cols() + c;
                if (w.indexOf(r, c) < 0 && chosen.add(key)) keys[got++] = key;
            }
        }
        Arrays.sort(keys);
        float[] values = new float[n];
        WeightInit init = new WeightInit.XavierUniform();
        for (int i = 0; i < n; i++) values[i] = init.sample(rnd, w.cols(), w.rows());
        try (Arena arena = OffHeap.newConfined()) {
            MemorySegment keep = arena.allocate(Math.max(1, w.nnz()));
            keep.fill((byte) 1);
            w.rewire(keep, keys, values, n);
        }
    }

    // CSR keeps an entry's row only implicitly (in rowPtr), and prune visits entries by importance, not row by row.
    private static long[] rowIndex(CsrMatrix w) {
        long[] rows = new long[(int) w.nnz()];
        for (int r = 0; r < w.rows(); r++) for (long k = w.rowStart(r); k < w.rowEnd(r); k++) rows[(int) k] = r;
        return rows;
    }

    // A position that regrows takes back the importance it had when dropped (no longer counted as dropped).
    private void restoreRegrown() {
        for (long[] p : pendingRestore) {
            int l = (int) p[0], cols = sizes[l];
            int r = (int) (p[1] / cols), c = (int) (p[1] % cols);
            float v = Float.intBitsToFloat((int) p[2]);
            CsrMatrix w = layer(l).weights();
            long k = w.indexOf(r, c);
            if (k < 0) continue;
            MemorySegment imp = w.side(IMPORTANCE);
            imp.setAtIndex(JAVA_FLOAT, k, imp.getAtIndex(JAVA_FLOAT, k) + v);
            droppedImportance[l + 1][r] -= v;
            if (l == 0) droppedImportance[0][c] -= v;
        }
        pendingRestore.clear();
    }

    /**
     * Accuracy on each of {@code tasks}' test sets, predicting among {@code seen} classes only (no task
     * identity). Must not be called while a task is being learned.
     */
    public double[] accuracy(List<TaskStream.Task> tasks, int[] seen, ParallelKernels pk, Standardizer std) {
        if (parked) throw new IllegalStateException("cannot evaluate in the middle of task " + task);
        double[] acc = new double[tasks.size()];
        for (int i = 0; i < acc.length; i++) acc[i] = accuracy(net, tasks.get(i).test(), seen, pk, std);
        return acc;
    }

    /**
     * Accuracy on each of {@code tasks}' test sets when the task is known: each predicting among its own
     * task's classes only (task-incremental, the easier scenario). Must not be called while a task is
     * being learned.
     */
    public double[] taskAccuracy(List<TaskStream.Task> tasks, ParallelKernels pk, Standardizer std) {
        if (parked) throw new IllegalStateException("cannot evaluate in the middle of task " + task);
        double[] acc = new double[tasks.size()];
        for (int i = 0; i < acc.length; i++) acc[i] = accuracy(net, tasks.get(i).test(), tasks.get(i).classes(), pk, std);
        return acc;
    }

    /**
     * Accuracy of {@code net} on {@code data}, the prediction being the most probable of the {@code seen} classes.
     *
     * @throws IllegalArgumentException if {@code seen} is empty or holds a class that is not one of {@code net}'s outputs
     */
    public static double accuracy(SparseMlp net, Dataset data, int[] seen, ParallelKernels pk, Standardizer std) {
        Objects.requireNonNull(seen, "seen");
        // Checked before predicting: an empty set failed as an array index, a class past the outputs as a matrix index.
        if (seen.length == 0) throw new IllegalArgumentException("seen must hold at least one class");
        for (int i = 0; i < seen.length; i++) {
            if (seen[i] < 0 || seen[i] >= net.outputs()) {
                throw new IllegalArgumentException("seen[" + i + "] = " + seen[i] + " is not a class of the network's " + net.outputs() + " outputs");
            }
        }
        int n = data.samples();
        if (n == 0) return Double.NaN;
        long[] correct = {0};
        data.inBatches(pk, 1000, std, (xb, from, m) -> {
            DenseMatrix out = net.predict(pk, xb);
            for (int c = 0; c < m; c++) {
                int col = c;
                if (seen[Argmax.of(seen.length, i -> out.get(seen[i], col))] == data.label(from + c)) correct[0]++;
            }
        });
        return (double) correct[0] / n;
    }

    @Override
    public void close() {
        net.close();
    }

    // SGD on the current task's connections only; also accumulates connection and neuron importance.
    private final class Step implements Optimizer {
        private final Sgd sgd;

        Step(Sgd sgd) {
            this.sgd = sgd;
        }

        @Override public void attach(CsrMatrix w) { sgd.attach(w); }

        @Override public String[] sideArrays() { return sgd.sideArrays(); }

        @Override public int biasSlots() { return sgd.biasSlots(); }

        @Override
        public void updateWeights(ParallelKernels pk, CsrMatrix w, DenseMatrix dz, DenseMatrix x, float scale, float lr) {
            MemorySegment grad = w.side(GRAD);
            pk.sddmm(w, dz, x, scale, grad);
            MemorySegment frozen = w.side(FROZEN), imp = w.side(IMPORTANCE), vel = w.side(Sgd.VELOCITY), val = w.values();
            float m = sgd.momentum(), wd = sgd.weightDecay();
            // Each connection's step is its own, so the threads' ranges give the same bits as one loop
            // (on the calling thread alone this loop was 14% of a SpaceNet run's CPU samples: docs/results/spacenet.md).
            pk.pool().run(Math.toIntExact(w.nnz()), (from, to) -> {
                for (long k = from; k < to; k++) {
                    if (frozen.get(JAVA_BYTE, k) != 0) continue;
                    float g = grad.getAtIndex(JAVA_FLOAT, k);
                    float v = m * vel.getAtIndex(JAVA_FLOAT, k) - lr * g;
                    vel.setAtIndex(JAVA_FLOAT, k, v);
                    float wv = val.getAtIndex(JAVA_FLOAT, k);
                    float d = v - wd * wv;
                    val.setAtIndex(JAVA_FLOAT, k, wv + d);
                    imp.setAtIndex(JAVA_FLOAT, k, imp.getAtIndex(JAVA_FLOAT, k) + Math.abs(d * g));
                }
            });
        }

        @Override
        public void updateBias(ParallelKernels pk, MemorySegment bias, MemorySegment gradSum, MemorySegment state, int n, float scale, float lr) {
            sgd.updateBias(pk, bias, gradSum, state, n, scale, lr);
        }

        @Override
        public void endStep() {
            int last = sizes.length - 1;
            // biases of reserved neurons, and of classes outside this task, keep their values
            for (int l = 0; l < last; l++) {
                SparseLinear layer = layer(l);
                MemorySegment b = layer.bias(), st = layer.biasState();
                boolean output = l + 1 == last;
                for (int j = 0; j < sizes[l + 1]; j++) {
                    boolean trainable = output ? selected[last][j] : reservedBy[l + 1][j] < 0;
                    if (trainable) continue;
                    b.setAtIndex(JAVA_FLOAT, j, biasAtStart[l][j]);
                    st.setAtIndex(JAVA_FLOAT, j, 0f);
                }
            }
            restoreRegrown();
            for (int l = 0; l <= last; l++) {
                double[] n = neuronImportance[l], d = droppedImportance[l];
                int[] res = reservedBy[l];
                for (int j = 0; j < n.length; j++) if (res[j] < 0) n[j] += d[j];
            }
            for (int l = 0; l < last; l++) {
                CsrMatrix w = layer(l).weights();
                MemorySegment imp = w.side(IMPORTANCE);
                double[] in = neuronImportance[l], outN = neuronImportance[l + 1];
                int[] resIn = reservedBy[l], resOut = reservedBy[l + 1];
                for (int r = 0; r < w.rows(); r++) {
                    double sum = 0;
                    for (long k = w.rowStart(r), e = w.rowEnd(r); k < e; k++) {
                        float v = imp.getAtIndex(JAVA_FLOAT, k);
                        sum += v;
                        if (l == 0 && resIn[w.col(k)] < 0) in[w.col(k)] += v;
                    }
                    if (resOut[r] < 0) outN[r] += sum;
                }
            }
        }
    }

    // Drops the current task's least important connections; finished tasks' and the output layer's stay.
    private final class ImportancePrune implements PruneRule {
        @Override
        public long prune(CsrMatrix w, double fraction, MemorySegment keep) {
            if (layerOf(w) == sizes.length - 2) return 0;
            MemorySegment frozen = w.side(FROZEN), imp = w.side(IMPORTANCE);
            int own = 0;
            for (long k = 0; k < w.nnz(); k++) if (frozen.get(JAVA_BYTE, k) == 0) own++;
            long[] order = new long[own];
            int i = 0;
            for (long k = 0; k < w.nnz(); k++) {
                // importance >= 0, so its float bits order like the values; the index breaks ties
                if (frozen.get(JAVA_BYTE, k) == 0) order[i++] = ((long) Float.floatToIntBits(imp.getAtIndex(JAVA_FLOAT, k)) << 32) | k;
            }
            Arrays.sort(order);
            int drop = (int) (own * fraction);
            int l = layerOf(w);
            long[] rowOf = rowIndex(w);
            for (int j = 0; j < drop; j++) {
                long k = order[j] & 0xffffffffL;
                keep.set(JAVA_BYTE, k, (byte) 0);
                float v = imp.getAtIndex(JAVA_FLOAT, k);
                int r = (int) rowOf[(int) k], c = w.col(k);
                droppedImportance[l + 1][r] += v;
                if (l == 0) droppedImportance[0][c] += v;
                droppedAt.get(l).put((long) r * w.cols() + c, v);
            }
            return drop;
        }
    }

    // Grows where the product of the two neurons' importances is largest, among the task's selected
    // neurons, never on a position occupied before this update (dropped ones included, as the reference
    // does). Pairs come out of a heap in descending product order: no pass over all rows x columns.
    private final class ImportanceGrow implements GrowRule {
        @Override
        public Growth grow(CsrMatrix w, MemorySegment keep, long count, WeightInit init, RandomStream rnd, BatchGradient gradient) {
            int l = layerOf(w);
            double[] ri = neuronImportance[l + 1], ci = neuronImportance[l];
            int[] rows = byImportance(indices(selected[l + 1]), ri), cols = byImportance(indices(selected[l]), ci);
            List<Long> picked = new ArrayList<>();
            if (count > 0 && rows.length > 0 && cols.length > 0) {
                PriorityQueue<int[]> heap = new PriorityQueue<>((a, b) -> {
                    double pa = ri[rows[a[0]]] * ci[cols[a[1]]], pb = ri[rows[b[0]]] * ci[cols[b[1]]];
                    if (pa != pb) return Double.compare(pb, pa);
                    return a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]);
                });
                heap.add(new int[] {0, 0});
                while (picked.size() < count && !heap.isEmpty()) {
                    int[] p = heap.poll();
                    int r = rows[p[0]], c = cols[p[1]];
                    if (w.indexOf(r, c) < 0) picked.add((long) r * w.cols() + c);
                    if (p[1] + 1 < cols.length) heap.add(new int[] {p[0], p[1] + 1});
                    if (p[1] == 0 && p[0] + 1 < rows.length) heap.add(new int[] {p[0] + 1, 0});
                }
            }
            long[] keys = picked.stream().mapToLong(Long::longValue).sorted().toArray();
            Map<Long, Float> dropped = droppedAt.get(l);
            for (long key : keys) {
                Float v = dropped.remove(key);
                if (v != null) pendingRestore.add(new long[] {l, key, Float.floatToIntBits(v)});
            }
            float[] values = new float[keys.length];
            for (int i = 0; i < keys.length; i++) values[i] = init.sample(rnd, w.cols(), w.rows());
            return new Growth(keys, values, keys.length);
        }
    }
}
