package org.dst4j.algorithms.spacenet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.zip.ZipFile;
import javax.imageio.ImageIO;
import org.dst4j.algorithms.TrainingProgress;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.data.TaskStream;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.plot.Heatmap;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tasks whose classes are named ({@link SpaceNetConfig#taskClasses}), in any order, instead of split in class order. */
class TaskClassesTest {
    private static final int CLASSES = 6, FEATURES = 12;

    // Class k has 40 (k + 1) training samples, so a task's batches per epoch tell which classes it trained on.
    private static DatasetSplit unevenBlobs() {
        return unevenBlobs(0.7f);
    }

    // noise: the samples' standard deviation around their class's centre (the centres' is 2)
    private static DatasetSplit unevenBlobs(float noise) {
        RandomStream rnd = new RandomStream(11);
        float[][] centres = new float[CLASSES][FEATURES];
        for (float[] c : centres) for (int i = 0; i < FEATURES; i++) c[i] = 2f * (float) rnd.nextGaussian();
        List<Integer> train = new ArrayList<>();
        for (int k = 0; k < CLASSES; k++) for (int i = 0; i < 40 * (k + 1); i++) train.add(k);
        List<Integer> test = new ArrayList<>();
        for (int i = 0; i < 30 * CLASSES; i++) test.add(i % CLASSES);
        return new DatasetSplit(sample("uneven/train", train, centres, noise, rnd), sample("uneven/test", test, centres, noise, rnd));
    }

    private static Dataset sample(String name, List<Integer> labels, float[][] centres, float noise, RandomStream rnd) {
        int n = labels.size();
        float[] x = new float[n * FEATURES];
        int[] y = new int[n];
        for (int s = 0; s < n; s++) {
            y[s] = labels.get(s);
            for (int i = 0; i < FEATURES; i++) x[s * FEATURES + i] = centres[y[s]][i] + noise * (float) rnd.nextGaussian();
        }
        return Dataset.of(name, x, n, FEATURES, y, CLASSES);
    }

    private static SpaceNetConfig config() {
        return new SpaceNetConfig(3, new int[] {24, 24}, new int[] {48, 40, 8}, 8, 4, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1);
    }

    // Batches per epoch, one entry per epoch, in training order.
    private static List<Integer> batchesPerEpoch(SpaceNetConfig cfg, DatasetSplit data, Path out) throws Exception {
        List<Integer> totals = new ArrayList<>();
        int[] last = {-1};
        SpaceNetRun.run(cfg, data, true, false, out, new TrainingProgress() {
            @Override public void batch(int epoch, int done, int total) {
                last[0] = total;
            }

            @Override public void epoch(String phase, EpochMetrics m) {
                totals.add(last[0]);
            }
        });
        return totals;
    }

    @Test
    void eachTaskTrainsOnTheClassesNamedForItInTheOrderGiven(@TempDir Path dir) throws Exception {
        int[][] groups = {{5}, {3, 0}, {1, 2, 4}};
        SpaceNetConfig cfg = config().withTaskClasses(groups);
        assertThat(cfg.tasks()).isEqualTo(3);
        try (DatasetSplit data = unevenBlobs()) {
            // samples per task: 240; 160 + 40; 80 + 120 + 200, in batches of 16
            assertThat(batchesPerEpoch(cfg, data, dir.resolve("named"))).containsExactly(15, 13, 25);
            // in class order ({0,1}, {2,3}, {4,5}): 120, 280, 440
            assertThat(batchesPerEpoch(config(), data, dir.resolve("ordered"))).containsExactly(8, 18, 28);
        }
        Map<String, Object> m = Json.parseObject(Files.readString(dir.resolve("named").resolve(SpaceNetRun.METRICS)));
        assertThat(((Map<?, ?>) m.get("config")).get("task_classes")).isEqualTo(List.of(List.of(5L), List.of(3L, 0L), List.of(1L, 2L, 4L)));
        assertThat(((List<?>) m.get("tasks")).stream().map(t -> ((Map<?, ?>) t).get("classes")).toList())
                .isEqualTo(List.of(List.of(5L), List.of(3L, 0L), List.of(1L, 2L, 4L)));
        // the first task's one class, predicted among the classes seen so far (that one), is always right
        List<?> spaceNet = (List<?>) ((Map<?, ?>) ((List<?>) m.get("methods")).getFirst()).get("accuracy_matrix");
        assertThat(((List<?>) spaceNet.getFirst()).getFirst()).isEqualTo(1.0);
        Map<String, Object> ordered = Json.parseObject(Files.readString(dir.resolve("ordered").resolve(SpaceNetRun.METRICS)));
        assertThat(((Map<?, ?>) ordered.get("config")).containsKey("task_classes")).isFalse();
        assertThat(((List<?>) ordered.get("tasks")).stream().map(t -> ((Map<?, ?>) t).get("classes")).toList())
                .isEqualTo(List.of(List.of(0L, 1L), List.of(2L, 3L), List.of(4L, 5L)));
    }

    @Test
    void theClassesInOrderNamedOneByOneTrainTheSameModelAsTheDefault(@TempDir Path dir) throws Exception {
        SpaceNetConfig named = config().withTaskClasses(TaskStream.inOrder(CLASSES, 3));
        assertThat(named.taskClasses()).isDeepEqualTo(new int[][] {{0, 1}, {2, 3}, {4, 5}});
        try (DatasetSplit data = unevenBlobs()) {
            SpaceNetRun.Result a = SpaceNetRun.run(config(), data, true, true, dir.resolve("a"), null);
            SpaceNetRun.Result b = SpaceNetRun.run(named, data, true, true, dir.resolve("b"), null);
            // Arrays.deepEquals: NaN (task i before it is learned) equals NaN
            for (int i = 0; i < 3; i++) assertThat(Arrays.deepEquals(b.methods().get(i).accuracy(), a.methods().get(i).accuracy())).isTrue();
            assertThat(b.tasks()).isEqualTo(a.tasks());
            try (SparseClassifier ca = SparseClassifier.load(dir.resolve("a").resolve(SpaceNetRun.MODEL), 1);
                 SparseClassifier cb = SparseClassifier.load(dir.resolve("b").resolve(SpaceNetRun.MODEL), 1)) {
                assertThat(cb.predictProbabilities(data.test())).isEqualTo(ca.predictProbabilities(data.test()));
            }
            // and another order trains another model
            SpaceNetRun.Result c = SpaceNetRun.run(config().withTaskClasses(new int[][] {{4, 5}, {2, 3}, {0, 1}}), data, true, false, dir.resolve("c"), null);
            assertThat(Arrays.deepEquals(c.methods().getFirst().accuracy(), a.methods().getFirst().accuracy())).isFalse();
        }
    }

    // The chart is a panel per method with a column per task (joint training's one column is not a matrix: left out),
    // its rows named by their classes when the tasks name them, numbered when in class order.
    @Test
    void theChartShowsTheSequentialMethodsWithTheRowsNamedByTheirClasses(@TempDir Path dir) throws Exception {
        try (DatasetSplit data = unevenBlobs()) {
            SpaceNetRun.Result named = SpaceNetRun.run(config().withTaskClasses(new int[][] {{5}, {3, 0}, {1, 2, 4}}), data, true, true, dir.resolve("named"), null);
            assertThat(named.methods()).hasSize(3);
            assertSamePixels(dir.resolve("named").resolve(SpaceNetRun.CHART), chart(named).rowNames(List.of("task 1 (5)", "task 2 (3,0)", "task 3 (1,2,4)")));
            SpaceNetRun.Result ordered = SpaceNetRun.run(config(), data, true, true, dir.resolve("ordered"), null);
            assertSamePixels(dir.resolve("ordered").resolve(SpaceNetRun.CHART), chart(ordered));
        }
    }

    // metrics.json holds each method's figures as the run returned them (a task not learned yet as null), and each task's
    // connections and reserved neurons by layer as its statistics count them.
    @Test
    void metricsJsonHoldsEachMethodsAndTasksFiguresAsTheRunReturnedThem(@TempDir Path dir) throws Exception {
        SpaceNetRun.Result r;
        try (DatasetSplit data = unevenBlobs(1.5f)) {
            r = SpaceNetRun.run(config().withTaskClasses(new int[][] {{5}, {3, 0}, {1, 2, 4}}), data, true, true, dir, null);
        }
        Map<String, Object> m = Json.parseObject(Files.readString(dir.resolve(SpaceNetRun.METRICS)));
        assertThat(m.get("sizes")).isEqualTo(List.of(12L, 24L, 24L, 6L));
        List<?> methods = (List<?>) m.get("methods");
        assertThat(methods).hasSize(3);
        for (int i = 0; i < 3; i++) {
            SpaceNetRun.Method x = r.methods().get(i);
            Map<?, ?> e = (Map<?, ?>) methods.get(i);
            assertThat(e.get("method")).isEqualTo(x.name());
            double[][] a = x.accuracy();
            List<Object> rows = new ArrayList<>();
            for (double[] row : a) rows.add(Arrays.stream(row).mapToObj(v -> Double.isNaN(v) ? null : (Object) v).toList());
            assertThat(e.get("accuracy_matrix")).as(x.name()).isEqualTo(rows);
            assertThat(e.get("average_accuracy")).as(x.name()).isEqualTo(x.averageAccuracy());
            assertThat(e.get("average_forgetting")).as(x.name()).isEqualTo(x.averageForgetting());
            assertThat(e.get("connections")).as(x.name()).isEqualTo(x.connections());
            assertThat(e.get("seconds")).as(x.name()).isEqualTo(x.seconds());
        }
        assertThat(r.methods().stream().map(SpaceNetRun.Method::name)).containsExactly("SpaceNet", "fine-tuning", "joint training (upper bound)");
        // fine-tuning forgets: its forgetting is no placeholder 0
        assertThat(r.methods().get(1).averageForgetting()).isPositive();
        List<?> tasks = (List<?>) m.get("tasks");
        assertThat(tasks).hasSize(3);
        for (int t = 0; t < 3; t++) {
            Map<?, ?> e = (Map<?, ?>) tasks.get(t);
            SpaceNet.TaskStats st = r.tasks().get(t);
            assertThat(e.get("connections_by_layer")).isEqualTo(Arrays.stream(st.connections()).boxed().toList());
            assertThat(e.get("reserved_neurons_by_layer")).isEqualTo(Arrays.stream(st.reservedNeurons()).mapToObj(n -> (long) n).toList());
            assertThat(st.reservedNeurons()).containsExactly(0, 4, 4, 0);
        }
    }

    private static Heatmap chart(SpaceNetRun.Result r) {
        return new Heatmap("Class-incremental accuracy (%) on task i after learning task j", "task", "after task j")
                .add("SpaceNet", r.methods().get(0).accuracy()).add("fine-tuning", r.methods().get(1).accuracy());
    }

    private static void assertSamePixels(Path png, Heatmap expected) throws IOException {
        BufferedImage got = ImageIO.read(png.toFile()), want = expected.render();
        assertThat(new int[] {got.getWidth(), got.getHeight()}).as("size").containsExactly(want.getWidth(), want.getHeight());
        int differ = 0;
        for (int y = 0; y < want.getHeight(); y++) for (int x = 0; x < want.getWidth(); x++) if (got.getRGB(x, y) != want.getRGB(x, y)) differ++;
        assertThat(differ).as("pixels that differ").isZero();
    }

    @Test
    void theTaskIncrementalMatrixPredictsAmongEachTasksOwnClasses(@TempDir Path dir) throws Exception {
        int[][] groups = {{5}, {3, 0}, {1, 2, 4}};
        SpaceNetRun.Result r;
        float[] probs;
        int[] labels;
        // overlapping classes, so that no method is always right among all classes
        try (DatasetSplit data = unevenBlobs(1.5f)) {
            r = SpaceNetRun.run(config().withTaskClasses(groups).withEpochs(8), data, true, true, dir, null);
            try (SparseClassifier c = SparseClassifier.load(dir.resolve(SpaceNetRun.MODEL), 1)) {
                probs = c.predictProbabilities(data.test());
            }
            labels = new int[data.test().samples()];
            for (int i = 0; i < labels.length; i++) labels[i] = data.test().label(i);
        }
        SpaceNetRun.Method sn = r.methods().getFirst();
        double[][] known = sn.taskAccuracy(), unknown = sn.accuracy();
        // recomputed from the saved model (the network after the last task): argmax among the task's own classes
        for (int t = 0; t < groups.length; t++) {
            int right = 0, n = 0;
            for (int s = 0; s < labels.length; s++) {
                int[] g = groups[t];
                int label = labels[s];
                if (Arrays.stream(g).noneMatch(k -> k == label)) continue;
                n++;
                int best = g[0];
                for (int k : g) if (probs[s * CLASSES + k] > probs[s * CLASSES + best]) best = k;
                if (best == labels[s]) right++;
            }
            assertThat(known[t][2]).as("task %d", t + 1).isEqualTo((double) right / n);
        }
        // a task of one class is always right when it is known; knowing the task is never worse
        for (SpaceNetRun.Method m : r.methods()) {
            double[][] a = m.accuracy(), k = m.taskAccuracy();
            for (double v : k[0]) assertThat(v).as(m.name()).isEqualTo(1.0);
            for (int i = 0; i < a.length; i++) {
                for (int j = 0; j < a[i].length; j++) {
                    if (Double.isNaN(a[i][j])) assertThat(k[i][j]).isNaN();
                    else assertThat(k[i][j]).as("%s [%d][%d]", m.name(), i, j).isGreaterThanOrEqualTo(a[i][j]);
                }
            }
        }
        // on these overlapping classes, knowing the task helps every method (the baselines' matrices are not recomputed here)
        for (SpaceNetRun.Method x : r.methods()) assertThat(x.averageTaskAccuracy()).as(x.name()).isGreaterThan(x.averageAccuracy());
        assertThat(sn.averageTaskAccuracy()).isEqualTo((known[0][2] + known[1][2] + known[2][2]) / 3);
        Map<String, Object> m = Json.parseObject(Files.readString(dir.resolve(SpaceNetRun.METRICS)));
        Map<?, ?> first = (Map<?, ?>) ((List<?>) m.get("methods")).getFirst();
        assertThat(first.get("task_incremental_average_accuracy")).isEqualTo(sn.averageTaskAccuracy());
        assertThat(((List<?>) ((List<?>) first.get("task_incremental_accuracy_matrix")).get(1)).getFirst()).isNull();
        // per-epoch lines: each task's of SpaceNet and fine-tuning name their task; joint training's, which learns every class at once, none
        for (String line : Files.readAllLines(dir.resolve(SpaceNetRun.LOG))) {
            Map<String, Object> e = Json.parseObject(line);
            if (e.get("method").equals("joint")) assertThat(e).doesNotContainKey("task");
            else assertThat(e.get("task")).isIn(1L, 2L, 3L);
        }
    }

    @Test
    void theConnectionOwnersAreEachTasksFrozenConnectionsAlignedWithTheModel(@TempDir Path dir) throws Exception {
        int[][] groups = {{5}, {3, 0}, {1, 2, 4}};
        SpaceNetRun.Result r;
        try (DatasetSplit data = unevenBlobs()) {
            r = SpaceNetRun.run(config().withTaskClasses(groups), data, true, false, dir, null);
        }
        Map<String, long[]> npz = npz(dir.resolve(SpaceNetRun.OWNERS));
        try (SparseClassifier c = SparseClassifier.load(dir.resolve(SpaceNetRun.MODEL), 1)) {
            var layers = c.network().layers();
            assertThat(npz).hasSize(4 * layers.size());
            for (int l = 0; l < layers.size(); l++) {
                var w = layers.get(l).weights();
                String p = "layer" + l + ".";
                assertThat(npz.get(p + "shape")).containsExactly(w.rows(), w.cols());
                assertThat(npz.get(p + "indptr")).containsExactly(w.rowPtr().toArray(ValueLayout.JAVA_LONG));
                long[] cols = Arrays.stream(w.colIdx().asSlice(0, 4 * w.nnz()).toArray(ValueLayout.JAVA_INT)).asLongStream().toArray();
                assertThat(npz.get(p + "indices")).containsExactly(cols);
                long[] owner = npz.get(p + "owner");
                assertThat(owner).hasSize((int) w.nnz());
                // each task owns exactly the connections it froze (frozen ones are never pruned)
                for (int t = 0; t < groups.length; t++) {
                    long task = t + 1;
                    assertThat(Arrays.stream(owner).filter(o -> o == task).count()).as("layer %d, task %d", l, task)
                            .isEqualTo(r.tasks().get(t).connections()[l]);
                }
                if (l + 1 == layers.size()) {
                    // a task's output connections go to its own classes' rows
                    for (int row = 0; row < w.rows(); row++) {
                        for (long k = w.rowStart(row); k < w.rowEnd(row); k++) {
                            int cls = row;
                            assertThat(groups[(int) owner[(int) k] - 1]).as("output row %d", row).contains(cls);
                        }
                    }
                }
            }
        }
    }

    // The arrays of an .npz written by NpzWriter (stored entries, little-endian, 1-D), widened to long.
    private static Map<String, long[]> npz(Path file) throws Exception {
        Map<String, long[]> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (var e : Collections.list(zip.entries())) {
                byte[] b = zip.getInputStream(e).readAllBytes();
                ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                int headerLength = buf.getShort(8) & 0xffff;
                String header = new String(b, 10, headerLength, StandardCharsets.ISO_8859_1);
                buf.position(10 + headerLength);
                boolean wide = header.contains("'<i8'");
                assertThat(wide || header.contains("'<i4'")).as(header).isTrue();
                long[] a = new long[buf.remaining() / (wide ? 8 : 4)];
                for (int i = 0; i < a.length; i++) a[i] = wide ? buf.getLong() : buf.getInt();
                out.put(e.getName().replaceFirst("\\.npy$", ""), a);
            }
        }
        return out;
    }

    @Test
    void aMethodsTwoMatricesHaveOneShape() {
        double n = Double.NaN;
        assertThatThrownBy(() -> new SpaceNetRun.Method("x", new double[][] {{1, 1}, {n, 1}}, 0, 0, new double[][] {{1}, {1}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("taskAccuracy must have the shape of accuracy");
        SpaceNetRun.Method old = new SpaceNetRun.Method("x", new double[][] {{0.5, 0.25}, {n, 1}}, 0, 0);
        assertThat(old.taskAccuracy()).hasDimensions(2, 2);
        for (double[] row : old.taskAccuracy()) assertThat(row).containsOnly(n);
    }

    @Test
    void taskClassesThatAreNotTheDatasClassesAreRefusedBeforeAnythingIsWritten(@TempDir Path dir) {
        try (DatasetSplit data = unevenBlobs()) {
            assertThatThrownBy(() -> SpaceNetRun.run(config().withTaskClasses(new int[][] {{0, 1}, {2, 3}, {4, 6}}), data, true, false, dir.resolve("x"), null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("task classes: task 3 has class 6, but the data's classes are 0..5");
            assertThatThrownBy(() -> SpaceNetRun.run(config().withTaskClasses(new int[][] {{0, 1}, {2, 3}, {4}}), data, true, false, dir.resolve("x"), null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("task classes: class 5 of the data is in no task; every class must be in one");
        }
        assertThat(dir.resolve("x")).doesNotExist();
    }

    // Labels 1..N in a CSV make class 0 (and even labels make every odd class) a class no sample has: naming
    // only the data's real classes is taken, not refused ("class 0 of the data is in no task") right after the warning
    // that no sample has label 0.
    @Test
    void aClassWithNoSampleAtAllNeedNotBeInATask(@TempDir Path dir) throws Exception {
        try (DatasetSplit whole = unevenBlobs()) {
            Dataset train = whole.train(), test = whole.test();
            int[] keepTrain = IntStream.range(0, train.samples()).filter(i -> train.label(i) != 5).toArray();
            int[] keepTest = IntStream.range(0, test.samples()).filter(i -> test.label(i) != 5).toArray();
            try (DatasetSplit data = new DatasetSplit(train.subset(keepTrain), test.subset(keepTest))) {
                assertThat(data.train().classes()).isEqualTo(CLASSES);
                SpaceNetRun.Result r = SpaceNetRun.run(config().withTaskClasses(new int[][] {{4, 0}, {3}, {1, 2}}), data, true, true, dir.resolve("a"), null);
                for (SpaceNetRun.Method m : r.methods()) assertThat(m.averageAccuracy()).as(m.name()).isBetween(0.0, 1.0);
                assertThat(Files.readString(dir.resolve("a").resolve(SpaceNetRun.METRICS))).contains("\"task_classes\":[[4,0],[3],[1,2]]");
            }
            // a class with test samples but no training sample is still refused: its test images would count in no task
            int[] keepTrain4 = IntStream.range(0, train.samples()).filter(i -> train.label(i) != 5).toArray();
            try (DatasetSplit data = new DatasetSplit(train.subset(keepTrain4), test.subset(IntStream.range(0, test.samples()).toArray()))) {
                assertThatThrownBy(() -> SpaceNetRun.run(config().withTaskClasses(new int[][] {{4, 0}, {3}, {1, 2}}), data, true, false, dir.resolve("b"), null))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("task classes: class 5 of the data is in no task; every class must be in one");
            }
        }
        assertThat(dir.resolve("b")).doesNotExist();
    }

    @Test
    void checkTaskClassesRefusesANegativeClassByName() {
        // public: groups need not come from a SpaceNetConfig, which refuses these itself
        assertThatThrownBy(() -> SpaceNetRun.checkTaskClasses(new int[][] {{0, 1}, {-2}}, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("task classes: task 2 has class -2, but the data's classes are 0..1");
        // the public check knows no data, so no class is excused for having no sample: the first one left out is named
        assertThatThrownBy(() -> SpaceNetRun.checkTaskClasses(new int[][] {{1}, {2}}, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("task classes: class 0 of the data is in no task; every class must be in one");
        SpaceNetRun.checkTaskClasses(new int[][] {{1}, {2, 0}}, 3);
    }

    @Test
    void aTaskWhoseClassesHaveNoTrainingSamplesIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) {
        // classes 4 and 5 have no training sample (their test samples stay): a task of them would train on nothing, its
        // accuracy NaN
        try (DatasetSplit whole = unevenBlobs()) {
            Dataset train = whole.train();
            int[] keep = IntStream.range(0, train.samples()).filter(i -> train.label(i) < 4).toArray();
            try (DatasetSplit data = new DatasetSplit(train.subset(keep), whole.test().subset(IntStream.range(0, whole.test().samples()).toArray()))) {
                assertThatThrownBy(() -> SpaceNetRun.run(config().withTaskClasses(new int[][] {{3, 0}, {5}, {1, 2, 4}}), data, true, false, dir.resolve("x"), null))
                        .isInstanceOf(IllegalArgumentException.class).hasMessage("task 2 (classes 5) has no training samples in uneven/train");
                assertThatThrownBy(() -> SpaceNetRun.run(config(), data, true, false, dir.resolve("x"), null))
                        .isInstanceOf(IllegalArgumentException.class).hasMessage("task 3 (classes 4,5) has no training samples in uneven/train");
            }
        }
        assertThat(dir.resolve("x")).doesNotExist();
    }

    @Test
    void aTaskWhoseClassesHaveNoTestSamplesIsRefusedBeforeAnythingIsWritten(@TempDir Path dir) {
        // classes 4 and 5 have no test sample (a --test-data file without them, or --limit-test on sorted data):
        // the task would train, but its accuracy be NaN, and so the average accuracy and the task-incremental average
        try (DatasetSplit whole = unevenBlobs()) {
            Dataset test = whole.test();
            int[] keep = IntStream.range(0, test.samples()).filter(i -> test.label(i) < 4).toArray();
            try (DatasetSplit data = new DatasetSplit(whole.train().subset(IntStream.range(0, whole.train().samples()).toArray()),
                    test.subset(keep))) {
                assertThatThrownBy(() -> SpaceNetRun.run(config(), data, true, false, dir.resolve("x"), null))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("task 3 (classes 4,5) has no test samples in uneven/test: its accuracy cannot be measured");
                assertThatThrownBy(() -> SpaceNetRun.run(config().withTaskClasses(new int[][] {{5}, {3, 0}, {1, 2, 4}}), data, true, false, dir.resolve("x"), null))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("task 1 (classes 5) has no test samples in uneven/test: its accuracy cannot be measured");
            }
        }
        assertThat(dir.resolve("x")).doesNotExist();
    }

    @Test
    void theConfigRefusesGroupsThatAreNotDisjointTasks() {
        SpaceNetConfig c = config();
        assertThatThrownBy(() -> c.withTaskClasses(new int[][] {{0, 1}, {}})).hasMessage("task classes: task 2 has no classes");
        assertThatThrownBy(() -> c.withTaskClasses(new int[][] {{0, 1}, {1, 2}})).hasMessage("task classes: class 1 is in task 1 and task 2");
        assertThatThrownBy(() -> c.withTaskClasses(new int[][] {{0, 2, 0}})).hasMessage("task classes: class 0 is in task 1 twice");
        assertThatThrownBy(() -> c.withTaskClasses(new int[][] {{0, -3}})).hasMessage("task classes: task 1 has class -3, classes are >= 0");
        assertThatThrownBy(() -> new SpaceNetConfig(2, new int[] {24}, new int[] {48, 8}, 8, 4, 0.2, 1, 16, 0.05f, 0f, 0f, 7, 1, new int[][] {{0}, {1}, {2}}))
                .hasMessage("task classes name 3 tasks, but tasks is 2");
        assertThatThrownBy(() -> c.withTaskClasses(new int[][] {{0}, null})).isInstanceOf(NullPointerException.class).hasMessage("taskClasses[1]");
        assertThatThrownBy(() -> c.withTaskClasses(null)).isInstanceOf(NullPointerException.class).hasMessage("groups");
    }

    @Test
    void theGroupsAreCopiedInAndOutAndWithTasksPutsTheClassesBackInOrder() {
        int[][] groups = {{2, 0}, {1}};
        SpaceNetConfig c = config().withTaskClasses(groups);
        groups[0][0] = 9;
        assertThat(c.taskClasses()).isDeepEqualTo(new int[][] {{2, 0}, {1}});
        c.taskClasses()[1][0] = 7;
        assertThat(c.taskClassesFor(3)).isDeepEqualTo(new int[][] {{2, 0}, {1}});
        assertThat(c).isEqualTo(config().withTaskClasses(new int[][] {{2, 0}, {1}})).isNotEqualTo(config().withTaskClasses(new int[][] {{0, 2}, {1}}));
        // every other with method keeps them
        assertThat(c.withEpochs(3).withSeed(1).withBatch(8).withThreads(2).withLearningRate(0.1f).withHidden(new int[] {30}, new int[] {10, 4}).taskClasses())
                .isDeepEqualTo(new int[][] {{2, 0}, {1}});
        SpaceNetConfig back = c.withTasks(3);
        assertThat(back.taskClasses()).isEmpty();
        assertThat(back.taskClassesFor(6)).isDeepEqualTo(new int[][] {{0, 1}, {2, 3}, {4, 5}});
        assertThat(c.withTaskClasses(new int[0][]).tasks()).isEqualTo(2);
        assertThat(config().toMap()).doesNotContainKey("task_classes");
        assertThat(Json.write(c.toMap())).endsWith(",\"task_classes\":[[2,0],[1]]}");
    }
}
