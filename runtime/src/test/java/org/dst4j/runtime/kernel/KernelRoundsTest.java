package org.dst4j.runtime.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.random.RandomStream;
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

    // A batch exactly one SIMD vector wide has rows of whole vectors: the reads bounds and the plain loop are timed
    // there (a batch one column narrower has neither on the SIMD backend). The scalar backend names itself and its
    // one lane, which decide the same.
    @Test
    void aBatchOneVectorWideHasTheReadsBoundsAndThePlainLoop() {
        Kernels scalar = KernelProvider.scalar();
        assertThat(scalar.name()).isEqualTo("scalar");
        assertThat(scalar.floatLanes()).isEqualTo(1);
        Kernels simd = KernelProvider.panama();
        int lanes = simd.floatLanes();
        var exact = new KernelRounds.Settings(32, 0.1, lanes, new int[] {1}, 1, 0, 1, false, true, 7);
        assertThat(KernelRounds.run(simd, exact, null)).extracting(KernelRounds.Figure::name).containsExactly(KernelRounds.PEAK_FMA,
                "forward", "transposed", "sddmm", "sddmm+sgd", KernelRounds.READS_FORWARD, KernelRounds.READS_TRANSPOSED, KernelRounds.PLAIN_FORWARD);
        var narrower = new KernelRounds.Settings(32, 0.1, lanes - 1, new int[] {1}, 1, 0, 1, false, true, 7);
        assertThat(KernelRounds.run(simd, narrower, null)).extracting(KernelRounds.Figure::name).containsExactly(KernelRounds.PEAK_FMA,
                "forward", "transposed", "sddmm", "sddmm+sgd");
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
        assertThatThrownBy(() -> new KernelRounds.Settings(0, 0.1, 8, new int[] {1}, 3, 1, 1, false, false, 7)).hasMessageContaining("size must be >= 1, got 0");
        assertThatThrownBy(() -> new KernelRounds.Settings(64, 0.1, 8, new int[] {1}, 3, -1, 1, false, false, 7)).hasMessageContaining("warm-up rounds must be >= 0");
        assertThatThrownBy(() -> new KernelRounds.Settings(64, 0.1, 8, new int[] {1}, 3, 1, 0, false, false, 7)).hasMessageContaining("round time must be >= 1 ms");
        // the smallest of each is allowed
        assertThat(new KernelRounds.Settings(1, 1, 1, new int[] {1}, 1, 0, 1, false, false, 7).size()).isEqualTo(1);
    }

    // Every figure is 2 * nnz * batch flops per product (the definition) over the time, its quartiles and
    // ratios interpolated between ranks as NumPy's default, and a ratio's median taken over the rounds' own ratios.
    @Test
    void flopsQuartilesAndRatiosAreTheDocumentedArithmetic() {
        assertThat(KernelRounds.productFlops(167_772, 128)).isEqualTo(2.0 * 167_772 * 128);
        double[] sorted = {1, 2, 4, 8, 9};
        assertThat(KernelRounds.quantile(sorted, 0.5)).isEqualTo(4.0);
        assertThat(KernelRounds.quantile(sorted, 0.25)).isEqualTo(2.0);
        assertThat(KernelRounds.quantile(new double[] {1, 2, 4, 8}, 0.5)).isEqualTo(3.0);
        assertThat(KernelRounds.quantile(new double[] {1, 2, 4, 8}, 0.25)).isEqualTo(1.75);
        assertThat(KernelRounds.quantile(new double[] {1, 2, 4, 8}, 0.75)).isEqualTo(5.0);
        assertThat(KernelRounds.quantile(new double[] {7}, 0.75)).isEqualTo(7.0);
        // round by round: 10/5 = 2, 30/10 = 3, 8/8 = 1, 40/4 = 10, 5/1 = 5 -> median 3 (not median(a) / median(b) = 2)
        assertThat(KernelRounds.medianRatio(new double[] {10, 30, 8, 40, 5}, new double[] {5, 10, 8, 4, 1})).isEqualTo(3.0);
    }

    // The timed matrices: each cell stored with the given probability, weights N(0, 0.05^2); the dense operands N(0, 1).
    @Test
    void theTimedMatricesHaveTheirDensityAndScale() {
        try (var w = KernelRounds.randomCsr(400, 400, 0.1, new RandomStream(3));
             var full = KernelRounds.randomCsr(7, 9, 1, new RandomStream(3));
             var x = KernelRounds.randomDense(300, 40, new RandomStream(4))) {
            // 16,000 expected of 160,000 cells; the binomial's deviation is 120
            assertThat(w.nnz()).isBetween(15_500L, 16_500L);
            float[] v = w.values().toArray(ValueLayout.JAVA_FLOAT);
            double sq = 0;
            for (float f : v) sq += f * (double) f;
            assertThat(Math.sqrt(sq / v.length)).isCloseTo(0.05, offset(0.002));
            assertThat(full.nnz()).isEqualTo(63);
            double sum = 0, sum2 = 0;
            for (int r = 0; r < 300; r++) {
                for (int c = 0; c < 40; c++) {
                    sum += x.get(r, c);
                    sum2 += x.get(r, c) * (double) x.get(r, c);
                }
            }
            assertThat(sum / 12_000).isCloseTo(0, offset(0.05));
            assertThat(sum2 / 12_000).isCloseTo(1, offset(0.05));
            assertThat(KernelRounds.storedWeights(new KernelRounds.Settings(400, 0.1, 8, new int[] {1}, 1, 0, 1, false, false, 3))).isEqualTo(w.nnz());
        }
    }

    // A benchmark that runs out of memory part-way (under -Ddst4j.maxOffHeap, or a size too large for the machine)
    // must give back what it had taken: the caller goes on, or tries a smaller size.
    @Test
    void aRunRefusedMemoryPartWayFreesWhatItHadAllocated() {
        var s = new KernelRounds.Settings(64, 0.1, 8, new int[] {1}, 1, 0, 1, false, false, 7);
        long limit = OffHeap.limit(), before = OffHeap.bytesInUse();
        int refused = 0;
        try {
            for (long allowed = 256; ; allowed += 256) {
                OffHeap.setLimit(before + allowed);
                try {
                    KernelRounds.run(KernelProvider.scalar(), s, null);
                    break;
                } catch (OffHeap.LimitReached e) {
                    refused++;
                    assertThat(OffHeap.bytesInUse()).as("refused with %d bytes allowed", allowed).isEqualTo(before);
                }
            }
        } finally {
            OffHeap.setLimit(limit);
        }
        assertThat(refused).as("runs refused part-way").isGreaterThan(3);
        assertThat(OffHeap.bytesInUse()).isEqualTo(before);
    }
}
