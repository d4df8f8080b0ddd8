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
        var s = new KernelRounds.Settings(64, 0.1, 8, new int[] {1, 2}, 3, 1, 1, true, 7);
        List<KernelRounds.Figure> f = KernelRounds.run(KernelProvider.get(), s, rounds::add);
        assertThat(rounds).containsExactly("warm-up round 1 of 1", "round 1 of 3", "round 2 of 3", "round 3 of 3");
        assertThat(f).extracting(KernelRounds.Figure::name).containsExactly(
                "peak fma", "forward", "transposed", "sddmm", "sddmm+sgd", "forward (scalar)",
                "peak fma", "forward", "transposed", "sddmm", "sddmm+sgd", "forward (scalar)");
        assertThat(f).extracting(KernelRounds.Figure::threads).containsExactly(1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2);
        for (KernelRounds.Figure x : f) {
            assertThat(x.gflops()).as(x.name()).isPositive().isFinite().isBetween(x.q1(), x.q3());
            assertThat(x.ofPeak()).as(x.name()).isPositive();
            if (x.name().equals("peak fma")) assertThat(x.ofPeak()).isEqualTo(1.0);
            if (x.threads() == 1) assertThat(x.ofFirstThreads()).isEqualTo(1.0);
            if (x.name().equals("forward")) assertThat(x.ofScalar()).isPositive();
            else assertThat(x.ofScalar()).isNaN();
        }
        assertThat(KernelRounds.toMap(KernelProvider.get(), s, f)).containsEntry("size", 64).containsKey("figures");
    }

    @Test
    void settingsAreCheckedNamingTheField() {
        assertThatThrownBy(() -> new KernelRounds.Settings(64, 0, 8, new int[] {1}, 3, 1, 1, false, 7)).hasMessageContaining("density must be in (0, 1]");
        assertThatThrownBy(() -> new KernelRounds.Settings(64, 0.1, 8, new int[0], 3, 1, 1, false, 7)).hasMessageContaining("threads");
        assertThatThrownBy(() -> new KernelRounds.Settings(64, 0.1, 8, new int[] {0}, 3, 1, 1, false, 7)).hasMessageContaining("threads must be >= 1");
        assertThatThrownBy(() -> new KernelRounds.Settings(64, 0.1, 8, new int[] {1}, 0, 1, 1, false, 7)).hasMessageContaining("rounds");
    }
}
