package org.dst4j.nn.evolution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.SparseInit;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.MultiHeadMlp;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;

/** MagnitudePrune.networkWide(): one |w| threshold over every layer of an update. */
class NetworkWidePruneTest {

    // By brute force: every layer's non-zero entries sorted by |w|, then layer, then position; the first round(f * count) go, and every zero.
    private static List<Set<Long>> bruteForce(List<CsrMatrix> layers, double fraction) {
        record Entry(int layer, long k, float magnitude) {}
        List<Entry> all = new ArrayList<>();
        List<Set<Long>> removed = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            removed.add(new HashSet<>());
            CsrMatrix w = layers.get(l);
            for (long k = 0; k < w.nnz(); k++) {
                if (w.value(k) == 0f) removed.get(l).add(k);
                else all.add(new Entry(l, k, Math.abs(w.value(k))));
            }
        }
        all.sort(Comparator.comparingDouble(Entry::magnitude).thenComparingInt(Entry::layer).thenComparingLong(Entry::k));
        for (int i = 0; i < Math.round(fraction * all.size()); i++) removed.get(all.get(i).layer()).add(all.get(i).k());
        return removed;
    }

    @Test
    void matchesBruteForceOverEveryLayerIncludingTiesZerosAndEmptyLayers() {
        RandomStream rnd = new RandomStream(4);
        for (int trial = 0; trial < 40; trial++) {
            int n = 1 + rnd.nextInt(4);
            List<CsrMatrix> layers = new ArrayList<>();
            try (Arena a = Arena.ofConfined()) {
                for (int l = 0; l < n; l++) {
                    int rows = 1 + rnd.nextInt(30), cols = 1 + rnd.nextInt(30);
                    double density = switch (rnd.nextInt(5)) { case 0 -> 0.0; case 1 -> 1.0; default -> rnd.nextDouble(); };
                    CsrMatrix w = SparseInit.sample(rows, cols, density, new WeightInit.Normal(1f + l), rnd);
                    // Quantized: many ties within and across layers, and some exact zeros.
                    for (long k = 0; k < w.nnz(); k++) w.setValue(k, Math.round(w.value(k) * 4) / 4f);
                    layers.add(w);
                }
                for (double f : new double[] {0, 0.1, 0.37, 0.5, 1.0}) {
                    PruneRule rule = MagnitudePrune.networkWide();
                    rule.beforeUpdate(layers, f);
                    List<Set<Long>> expected = bruteForce(layers, f);
                    for (int l = 0; l < n; l++) {
                        CsrMatrix w = layers.get(l);
                        MemorySegment keep = a.allocate(Math.max(1, w.nnz()));
                        keep.fill((byte) 1);
                        long count = rule.prune(w, f, keep);
                        Set<Long> actual = new HashSet<>();
                        for (long k = 0; k < w.nnz(); k++) if (keep.get(ValueLayout.JAVA_BYTE, k) == 0) actual.add(k);
                        assertThat(actual).as("trial %d fraction %s layer %d", trial, f, l).isEqualTo(expected.get(l));
                        assertThat(count).isEqualTo(actual.size());
                    }
                }
            } finally {
                layers.forEach(CsrMatrix::close);
            }
        }
    }

    private static TopologyEvolution networkWide() {
        return new TopologyEvolution(MagnitudePrune.networkWide(), new RandomGrow(), EvolutionSchedule.everyEpoch(0.3), new WeightInit.Zero());
    }

    private static long nonZero(List<SparseLinear> layers) {
        long n = 0;
        for (SparseLinear l : layers) for (long k = 0; k < l.weights().nnz(); k++) if (l.weights().value(k) != 0f) n++;
        return n;
    }

    // Every weight moved |by| further from zero: larger than any weight the initializer draws elsewhere.
    private static void enlarge(SparseLinear layer, float by) {
        CsrMatrix w = layer.weights();
        for (long k = 0; k < w.nnz(); k++) w.setValue(k, Math.copySign(by + Math.abs(w.value(k)), w.value(k)));
    }

    @Test
    void aNetworkPrunesWhereItsWeightsAreSmallestAndEachLayerKeepsItsCount() {
        MlpConfig c = new MlpConfig(new int[] {20, 30, 30, 5}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.4),
                new WeightInit.HeUniform());
        try (SparseMlp net = SparseMlp.create(c, new RandomStream(2), 1)) {
            List<SparseLinear> layers = net.layers();
            enlarge(layers.get(1), 100f); // the middle layer's weights dwarf the others': the threshold falls below all of them
            long[] before = layers.stream().mapToLong(SparseLinear::connections).toArray();
            long expected = Math.round(0.3 * nonZero(layers));
            List<TopologyEvolution.Report> r = net.evolve(networkWide(), 0.3, new RandomStream(3));
            assertThat(r.stream().mapToLong(TopologyEvolution.Report::pruned).sum()).isEqualTo(expected);
            assertThat(r.get(1).pruned()).isZero();
            // A per-layer rule would have taken 30% of each; here the two small layers lose the middle one's share too.
            assertThat(r.get(0).pruned() + r.get(2).pruned()).isEqualTo(expected);
            assertThat(r.get(0).pruned()).isGreaterThan(Math.round(0.3 * before[0]));
            for (int l = 0; l < 3; l++) assertThat(layers.get(l).connections()).isEqualTo(before[l]);
        }
    }

    @Test
    void aMultiHeadNetworkRanksItsBackboneAndHeadsTogether() {
        MlpConfig c = new MlpConfig(new int[] {12, 16, 16, 4}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.5),
                new WeightInit.HeUniform());
        try (MultiHeadMlp net = MultiHeadMlp.create(c, 1, 3, new RandomStream(5), new RandomStream(6))) {
            List<SparseLinear> all = new ArrayList<>(net.backbone().layers());
            net.heads().forEach(h -> all.addAll(h.layers()));
            net.backbone().layers().forEach(l -> enlarge(l, 100f));
            long expected = Math.round(0.25 * nonZero(all));
            List<TopologyEvolution.Report> r = net.evolve(networkWide(), 0.25, 1, new RandomStream(7), null);
            assertThat(r).hasSize(all.size());
            assertThat(r.getFirst().pruned()).as("the backbone's large weights").isZero();
            assertThat(r.stream().mapToLong(TopologyEvolution.Report::pruned).sum()).isEqualTo(expected);
        }
    }

    @Test
    void pruningOutsideAnAnnouncedUpdateIsRefused() {
        try (CsrMatrix a = CsrMatrix.fromCoo(1, 2, new int[] {0, 0}, new int[] {0, 1}, new float[] {1f, 2f});
             CsrMatrix b = CsrMatrix.fromCoo(1, 1, new int[] {0}, new int[] {0}, new float[] {3f});
             Arena arena = Arena.ofConfined()) {
            MemorySegment keep = arena.allocate(2);
            PruneRule rule = MagnitudePrune.networkWide();
            assertThatThrownBy(() -> rule.prune(a, 0.5, keep)).isInstanceOf(IllegalStateException.class).hasMessageContaining("beforeUpdate");
            assertThatThrownBy(() -> rule.beforeUpdate(List.of(a, b), 1.5)).isInstanceOf(IllegalArgumentException.class);
            rule.beforeUpdate(List.of(a, b), 0.5);
            assertThatThrownBy(() -> rule.prune(b, 0.5, keep)).as("out of order").isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> rule.prune(a, 0.4, keep)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0.4");
            keep.fill((byte) 1);
            assertThat(rule.prune(a, 0.5, keep)).isEqualTo(2); // round(0.5 * 3) = 2: a's 1 and 2
            keep.fill((byte) 1);
            assertThat(rule.prune(b, 0.5, keep)).isZero();
            assertThatThrownBy(() -> rule.prune(b, 0.5, keep)).as("twice").isInstanceOf(IllegalStateException.class);
        }
    }
}
