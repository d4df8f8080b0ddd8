package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dst4j.algorithms.freetickets.FreeTickets;
import org.dst4j.algorithms.neurotrails.NeuroTrails;
import org.dst4j.algorithms.quickselection.QuickSelection;
import org.dst4j.algorithms.set.ScaleBenchmark;
import org.dst4j.algorithms.spacenet.SpaceNet;
import org.dst4j.algorithms.spacenet.SpaceNetRun;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.train.EpochMetrics;
import org.junit.jupiter.api.Test;

/**
 * The algorithms' result records keep their own copies of their arrays and lists: neither what a record
 * was built from nor what an accessor returned can change the record afterwards. They compare, hash and
 * print their arrays by content.
 */
class ResultImmutabilityTest {

    private static final EnsembleMetrics.Scores SCORES = new EnsembleMetrics.Scores(0.9, 0.3, 0.05);

    private static EnsembleMetrics metrics() {
        return new EnsembleMetrics(SCORES, List.of(SCORES), new double[][] {{0}}, new double[][] {{0}});
    }

    @Test
    void freeTicketsResultCopiesItsDistancesAndFiles() {
        double[][][] dist = {{{0, 0}, {0.4, 0.6}}, {{0.4, 0.6}, {0, 0}}};
        List<Path> files = new ArrayList<>(List.of(Path.of("member-1.dst4j"), Path.of("member-2.dst4j")));
        FreeTickets.Result r = new FreeTickets.Result(metrics(), dist, 10, 5, 1.5, files);

        dist[0][1][0] = 9;
        dist[1][0] = new double[] {9, 9};
        files.add(Path.of("other"));
        r.topologyDistance()[0][1][1] = 9;
        r.topologyDistance()[1] = new double[][] {{9}};

        assertThat(r.topologyDistance()).isDeepEqualTo(new double[][][] {{{0, 0}, {0.4, 0.6}}, {{0.4, 0.6}, {0, 0}}});
        assertThat(r.memberFiles()).containsExactly(Path.of("member-1.dst4j"), Path.of("member-2.dst4j"));
        assertThatThrownBy(() -> r.memberFiles().clear()).isInstanceOf(UnsupportedOperationException.class);
        double[][][] same = {{{0, 0}, {0.4, 0.6}}, {{0.4, 0.6}, {0, 0}}};
        List<Path> twoFiles = List.of(Path.of("member-1.dst4j"), Path.of("member-2.dst4j"));
        ConfigEqualityTest.sameValue(r, new FreeTickets.Result(metrics(), same, 10, 5, 1.5, twoFiles), "[[[0.0, 0.0], [0.4, 0.6]]");
        same[1][1][1] = 0.1;
        assertThat(r).isNotEqualTo(new FreeTickets.Result(metrics(), same, 10, 5, 1.5, twoFiles));
    }

    @Test
    void neuroTrailsNetworkCopiesItsArraysAndComparesThem() {
        int[] sizes = {20, 10, 2};
        double[] densities = {0.5, 1};
        NeuroTrails.Network n = new NeuroTrails.Network("backbone + head", sizes, densities);

        sizes[0] = 99;
        densities[0] = 99;
        n.sizes()[1] = 99;
        n.densities()[1] = 99;

        assertThat(n.sizes()).containsExactly(20, 10, 2);
        assertThat(n.densities()).containsExactly(0.5, 1);
        NeuroTrails.Network same = new NeuroTrails.Network("backbone + head", new int[] {20, 10, 2}, new double[] {0.5, 1});
        assertThat(n).isEqualTo(same).hasSameHashCodeAs(same).hasToString(same.toString());
        assertThat(n.toString()).contains("[20, 10, 2]", "[0.5, 1.0]");
        assertThat(n).isNotEqualTo(new NeuroTrails.Network("backbone + head", new int[] {20, 10, 2}, new double[] {0.5, 0.9}));
    }

    @Test
    void neuroTrailsResultCopiesItsRows() {
        NeuroTrails.Row row = new NeuroTrails.Row("NeuroTrails", 100, SCORES, 0.1, 0.2, 1000, 1.0);
        List<NeuroTrails.Row> rows = new ArrayList<>(List.of(row));
        NeuroTrails.Result r = new NeuroTrails.Result(metrics(), rows, 2000, SCORES);

        rows.add(row);

        assertThat(r.rows()).containsExactly(row);
        assertThatThrownBy(() -> r.rows().add(row)).isInstanceOf(UnsupportedOperationException.class);
        // Through its EnsembleMetrics, the matrices compare and print by content.
        ConfigEqualityTest.sameValue(r, new NeuroTrails.Result(metrics(), List.of(row), 2000, SCORES), "disagreement=[[0.0]]", "kl=[[0.0]]");
    }

    @Test
    void spaceNetTaskStatsCopiesItsArraysAndComparesThem() {
        long[] connections = {100, 20, 4};
        int[] reserved = {0, 5, 0}, selected = {0, 10, 0};
        SpaceNet.TaskStats s = new SpaceNet.TaskStats(0, connections, reserved, selected);

        connections[0] = 99;
        reserved[1] = 99;
        selected[1] = 99;
        s.connections()[1] = 99;
        s.reservedNeurons()[1] = 99;
        s.selectedNeurons()[1] = 99;

        assertThat(s.connections()).containsExactly(100, 20, 4);
        assertThat(s.reservedNeurons()).containsExactly(0, 5, 0);
        assertThat(s.selectedNeurons()).containsExactly(0, 10, 0);
        SpaceNet.TaskStats same = new SpaceNet.TaskStats(0, new long[] {100, 20, 4}, new int[] {0, 5, 0}, new int[] {0, 10, 0});
        assertThat(s).isEqualTo(same).hasSameHashCodeAs(same).hasToString(same.toString());
        assertThat(s.toString()).contains("[100, 20, 4]", "[0, 5, 0]", "[0, 10, 0]");
        assertThat(s).isNotEqualTo(new SpaceNet.TaskStats(1, new long[] {100, 20, 4}, new int[] {0, 5, 0}, new int[] {0, 10, 0}));
    }

    @Test
    void spaceNetRunMethodCopiesItsAccuracyMatrix() {
        double[][] acc = {{0.9, 0.5}, {0.1, 0.8}};
        SpaceNetRun.Method m = new SpaceNetRun.Method("SpaceNet", acc, 100, 1);

        acc[0][1] = 0;
        acc[1] = new double[] {0, 0};
        m.accuracy()[0][1] = 0;
        m.accuracy()[1] = new double[] {0, 0};

        assertThat(m.accuracy()).isDeepEqualTo(new double[][] {{0.9, 0.5}, {0.1, 0.8}});
        assertThat(m.averageAccuracy()).isEqualTo(0.65, within(1e-12));
        assertThat(m.averageForgetting()).isEqualTo(0.4, within(1e-12));
        ConfigEqualityTest.sameValue(m, new SpaceNetRun.Method("SpaceNet", new double[][] {{0.9, 0.5}, {0.1, 0.8}}, 100, 1),
                "accuracy=[[0.9, 0.5], [0.1, 0.8]]");
        assertThat(m).isNotEqualTo(new SpaceNetRun.Method("SpaceNet", new double[][] {{0.9, 0.5}, {0.1, 0.7}}, 100, 1));
    }

    @Test
    void spaceNetRunResultCopiesItsListsAndSizes() {
        SpaceNetRun.Method method = new SpaceNetRun.Method("SpaceNet", new double[][] {{0.9}}, 100, 1);
        SpaceNet.TaskStats stats = new SpaceNet.TaskStats(0, new long[] {10, 2}, new int[] {0, 3, 0}, new int[] {0, 4, 0});
        List<SpaceNetRun.Method> methods = new ArrayList<>(List.of(method));
        List<SpaceNet.TaskStats> tasks = new ArrayList<>(List.of(stats));
        int[] sizes = {8, 6, 2};
        SpaceNetRun.Result r = new SpaceNetRun.Result(methods, tasks, sizes, 0.5, 0.1);

        methods.clear();
        tasks.add(stats);
        sizes[1] = 99;
        r.sizes()[0] = 99;

        assertThat(r.methods()).containsExactly(method);
        assertThat(r.tasks()).containsExactly(stats);
        assertThat(r.sizes()).containsExactly(8, 6, 2);
        assertThatThrownBy(() -> r.tasks().clear()).isInstanceOf(UnsupportedOperationException.class);
        ConfigEqualityTest.sameValue(r, new SpaceNetRun.Result(List.of(method), List.of(stats), new int[] {8, 6, 2}, 0.5, 0.1), "sizes=[8, 6, 2]");
        assertThat(r).isNotEqualTo(new SpaceNetRun.Result(List.of(method), List.of(stats), new int[] {8, 6, 3}, 0.5, 0.1));
    }

    // Otherwise top() handed out indices of features that do not exist, or one feature twice.
    @Test
    void aQuickSelectionResultRanksEachFeatureOfItsStrengthsOnce() {
        double[] strength = {0.5, 0.1, 0.9};
        assertThatThrownBy(() -> new QuickSelection.Result(new int[] {2, 0}, strength, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("ranking has 2 features, strength 3");
        assertThatThrownBy(() -> new QuickSelection.Result(new int[] {2, 0, 3}, strength, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("ranking[2] = 3: the ranking must hold each feature index in [0, 3) once");
        assertThatThrownBy(() -> new QuickSelection.Result(new int[] {2, 0, 2}, strength, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("ranking[2] = 2: the ranking must hold each feature index in [0, 3) once");
    }

    @Test
    void quickSelectionResultCopiesItsArraysAndHistory() {
        int[] ranking = {2, 0, 1};
        double[] strength = {0.5, 0.1, 0.9};
        List<EpochMetrics> history = new ArrayList<>();
        QuickSelection.Result r = new QuickSelection.Result(ranking, strength, history);

        ranking[0] = 1;
        strength[2] = 0;
        history.add(null);
        r.ranking()[1] = 1;
        r.strength()[0] = 0;

        assertThat(r.ranking()).containsExactly(2, 0, 1);
        assertThat(r.strength()).containsExactly(0.5, 0.1, 0.9);
        assertThat(r.history()).isEmpty();
        assertThat(r.top(2)).containsExactly(2, 0);
        ConfigEqualityTest.sameValue(r, new QuickSelection.Result(new int[] {2, 0, 1}, new double[] {0.5, 0.1, 0.9}, List.of()),
                "ranking=[2, 0, 1]", "strength=[0.5, 0.1, 0.9]");
        assertThat(r).isNotEqualTo(new QuickSelection.Result(new int[] {2, 1, 0}, new double[] {0.5, 0.1, 0.9}, List.of()));
    }

    @Test
    void scaleBenchmarkSizeCopiesItsWidthsAndComparesThem() {
        int[] hidden = {1000, 1000};
        ScaleBenchmark.Size s = new ScaleBenchmark.Size(hidden, 20);

        hidden[0] = 1;
        s.hidden()[1] = 1;

        assertThat(s.hidden()).containsExactly(1000, 1000);
        ScaleBenchmark.Size same = new ScaleBenchmark.Size(new int[] {1000, 1000}, 20);
        assertThat(s).isEqualTo(same).hasSameHashCodeAs(same).hasToString(same.toString());
        assertThat(s.toString()).contains("[1000, 1000]");
        assertThat(s).isNotEqualTo(new ScaleBenchmark.Size(new int[] {1000, 1000}, 10));
    }
}
