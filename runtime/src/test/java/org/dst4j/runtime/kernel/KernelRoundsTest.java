package org.dst4j.runtime.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelRoundsTest {

    @Test
    void everyFigureOnEveryThreadCountWithItsRatios() {
        List<String> rounds = new ArrayList<>();
        var s = new KernelRounds.Settings(64, 0.1, 8, new int[] {1, 2}, 3, 1, 1, true, true, 7);
        List<KernelRounds.Figure> f = KernelRounds.run(KernelProvider.get(), s, rounds::add);
        assertThat(rounds).containsExactly("warm-up round 1 of 1", "round 1 of 3", "round 2 of 3", "round 3 of 3");
        // the plain loop is a SIMD loop over whole vectors of the batch
        boolean plain = KernelProvider.get().name().equals("panama") && 8 >= KernelProvider.get().floatLanes();
        // the reads bounds too, where they are ones: not for a batch narrower than a SIMD vector
        boolean reads = !KernelProvider.get().name().equals("panama") || 8 >= KernelProvider.get().floatLanes();
        List<String> names = new ArrayList<>(List.of("peak fma", "forward", "transposed", "sddmm", "sddmm+sgd"));
        if (reads) names.addAll(List.of(KernelRounds.READS_FORWARD, KernelRounds.READS_TRANSPOSED));
        names.add("forward (scalar)");
        if (plain) names.add(KernelRounds.PLAIN_FORWARD);
        List<String> both = new ArrayList<>(names);
        both.addAll(names);
        assertThat(f).extracting(KernelRounds.Figure::name).containsExactlyElementsOf(both);
        assertThat(f).extracting(KernelRounds.Figure::threads).containsExactlyElementsOf(threadsOf(names.size()));
        for (KernelRounds.Figure x : f) {
            assertThat(x.gflops()).as(x.name()).isPositive().isFinite().isBetween(x.q1(), x.q3());
            assertThat(x.ofPeak()).as(x.name()).isPositive();
            if (x.name().equals("peak fma")) assertThat(x.ofPeak()).isEqualTo(1.0);
            if (x.threads() == 1) assertThat(x.ofFirstThreads()).isEqualTo(1.0);
            if (x.name().equals("forward")) assertThat(x.ofScalar()).isPositive();
            else assertThat(x.ofScalar()).isNaN();
            if (plain) assertThat(x.ofPlain()).isPositive();
            else assertThat(x.ofPlain()).isNaN();
            if (x.name().equals(KernelRounds.PLAIN_FORWARD)) assertThat(x.ofPlain()).isEqualTo(1.0);
            // every product against its own reads; the bounds and the probe against none
            boolean product = KernelRounds.PRODUCTS.contains(x.name()) || x.name().equals(KernelRounds.PLAIN_FORWARD);
            if (product && reads) assertThat(x.ofReads()).as(x.name()).isPositive().isFinite();
            else assertThat(x.ofReads()).as(x.name()).isNaN();
        }
        assertThat(KernelRounds.toMap(KernelProvider.get(), s, f)).containsEntry("size", 64).containsKey("figures");

        var wide = new KernelRounds.Settings(64, 0.1, 40, new int[] {2}, 2, 0, 1, false, true, 7);
        List<KernelRounds.Figure> g = KernelRounds.run(KernelProvider.get(), wide, null);
        boolean simd = KernelProvider.get().name().equals("panama");
        assertThat(g).extracting(KernelRounds.Figure::name).hasSize(simd ? 8 : 7);
        if (simd) assertThat(g.getLast().name()).isEqualTo(KernelRounds.PLAIN_FORWARD);
        assertThat(g).filteredOn(x -> x.name().equals("transposed")).allMatch(x -> x.ofReads() > 0);

        // one column: narrower than any SIMD vector, so no reads bounds with the SIMD backend, and no ratio to them
        var narrow = new KernelRounds.Settings(64, 0.1, 1, new int[] {1}, 2, 0, 1, false, false, 7);
        List<KernelRounds.Figure> h = KernelRounds.run(KernelProvider.get(), narrow, null);
        assertThat(h).extracting(KernelRounds.Figure::name).hasSize(simd ? 5 : 7);
        if (simd) assertThat(h).allMatch(x -> Double.isNaN(x.ofReads()));
    }

    private static List<Integer> threadsOf(int perCount) {
        List<Integer> t = new ArrayList<>();
        for (int i = 0; i < perCount; i++) t.add(1);
        for (int i = 0; i < perCount; i++) t.add(2);
        return t;
    }

    @Test
    void settingsAreCheckedNamingTheField() {
        assertThatThrownBy(() -> new KernelRounds.Settings(64, 0, 8, new int[] {1}, 3, 1, 1, false, false, 7)).hasMessageContaining("density must be in (0, 1]");
        assertThatThrownBy(() -> new KernelRounds.Settings(64, 0.1, 8, new int[0], 3, 1, 1, false, false, 7)).hasMessageContaining("threads");
        assertThatThrownBy(() -> new KernelRounds.Settings(64, 0.1, 8, new int[] {0}, 3, 1, 1, false, false, 7)).hasMessageContaining("threads must be >= 1");
        assertThatThrownBy(() -> new KernelRounds.Settings(64, 0.1, 8, new int[] {1}, 0, 1, 1, false, false, 7)).hasMessageContaining("rounds");
    }
}
