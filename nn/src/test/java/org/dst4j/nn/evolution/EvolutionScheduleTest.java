package org.dst4j.nn.evolution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The built-in schedules' timing and fractions: which epochs evolve, at what interval, and the cosine's values.
 */
class EvolutionScheduleTest {

    private static List<Integer> evolvingEpochs(EvolutionSchedule s, int epochs) {
        List<Integer> at = new ArrayList<>();
        for (int e = 0; e < epochs; e++) if (s.afterEpoch(e, epochs)) at.add(e);
        return at;
    }

    @Test
    void setEvolvesAfterEveryEpochButTheLastByAConstantFraction() {
        EvolutionSchedule s = EvolutionSchedule.everyEpoch(0.3);
        assertThat(evolvingEpochs(s, 5)).containsExactly(0, 1, 2, 3);
        assertThat(evolvingEpochs(s, 1)).isEmpty();
        for (int e = 0; e < 5; e++) assertThat(s.fraction(e, 5)).isEqualTo(0.3);
        assertThat(s.regrowth(2, 5)).isEqualTo(1.0);
        assertThat(s.afterStep(100, 2, 5)).isFalse();
        assertThat(evolvingEpochs(EvolutionSchedule.everyEpoch(0), 5)).as("zeta 0 never evolves").isEmpty();
    }

    @Test
    void aConstantScheduleEvolvesAtTheEndOfEveryIntervalButNeverAfterTheLastEpoch() {
        assertThat(evolvingEpochs(EvolutionSchedule.constant(0.3, 2), 6)).containsExactly(1, 3);
        assertThat(evolvingEpochs(EvolutionSchedule.constant(0.3, 2), 7)).containsExactly(1, 3, 5);
        assertThat(evolvingEpochs(EvolutionSchedule.constant(0.3, 1), 4)).containsExactly(0, 1, 2);
        assertThat(evolvingEpochs(EvolutionSchedule.constant(0, 1), 4)).isEmpty();
        assertThat(EvolutionSchedule.constant(0.3, 2).fraction(3, 6)).isEqualTo(0.3);
    }

    @Test
    void theCosineDecaysFromZetaToZeroOverTheRun() {
        EvolutionSchedule s = EvolutionSchedule.cosine(0.5);
        assertThat(evolvingEpochs(s, 4)).containsExactly(0, 1, 2);
        // zeta / 2 (1 + cos(pi (epoch + 1) / epochs)): after epoch e of 4
        assertThat(s.fraction(0, 4)).isCloseTo(0.25 * (1 + Math.sqrt(0.5)), within(1e-12));
        assertThat(s.fraction(1, 4)).isCloseTo(0.25, within(1e-12));
        assertThat(s.fraction(2, 4)).isCloseTo(0.25 * (1 - Math.sqrt(0.5)), within(1e-12));
        assertThat(s.fraction(3, 4)).isCloseTo(0, within(1e-12));
        assertThat(evolvingEpochs(EvolutionSchedule.cosine(0.5, 3), 10)).containsExactly(2, 5, 8);
    }

    @Test
    void aFractionOutsideZeroToOneOrAnIntervalBelowOneIsRefused() {
        for (double bad : new double[] {-0.01, 1.01, Double.NaN}) {
            assertThatThrownBy(() -> EvolutionSchedule.everyEpoch(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("zeta must be in [0, 1], got " + bad);
            assertThatThrownBy(() -> EvolutionSchedule.cosine(bad, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> EvolutionSchedule.constant(bad, 1)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(EvolutionSchedule.everyEpoch(1).fraction(0, 2)).isEqualTo(1.0);
        assertThat(EvolutionSchedule.constant(0, 1).fraction(0, 2)).isZero();
        assertThatThrownBy(() -> EvolutionSchedule.constant(0.3, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("evolution interval must be >= 1 epoch, got 0");
        assertThatThrownBy(() -> EvolutionSchedule.cosine(0.3, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
