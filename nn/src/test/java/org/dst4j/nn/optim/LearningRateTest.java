package org.dst4j.nn.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The rate each schedule gives along a run.
 */
class LearningRateTest {

    @Test
    void aStepScheduleMultipliesByGammaAtTheStartOfEveryPeriod() {
        LearningRate s = new LearningRate.Step(0.8f, 3, 0.5f);
        float[] byEpoch = new float[7];
        for (int e = 0; e < 7; e++) byEpoch[e] = s.at(e, 5, 10);
        assertThat(byEpoch).containsExactly(0.8f, 0.8f, 0.8f, 0.4f, 0.4f, 0.4f, 0.2f);
        assertThat(new LearningRate.Step(0.8f, 1, 0.5f).at(2, 0, 10)).as("every epoch").isEqualTo(0.2f);
        assertThatThrownBy(() -> new LearningRate.Step(0.8f, 0, 0.5f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("step schedule: every must be >= 1, got 0");
    }

    @Test
    void aCosineScheduleDecaysPerStepFromTheRateToTheMinimumAndStaysThere() {
        LearningRate c = new LearningRate.Cosine(2.1f, 0.1f, 2);
        assertThat(c.at(0, 0, 4)).isCloseTo(2.1f, within(1e-6f));
        // a quarter of the run: epoch 0, step 2 of 4
        assertThat(c.at(0, 2, 4)).isCloseTo((float) (0.1 + (1 + Math.cos(Math.PI / 4))), within(1e-6f));
        assertThat(c.at(1, 0, 4)).isCloseTo(1.1f, within(1e-6f));
        assertThat(c.at(1, 2, 4)).isCloseTo((float) (0.1 + (1 + Math.cos(3 * Math.PI / 4))), within(1e-6f));
        assertThat(c.at(2, 0, 4)).isCloseTo(0.1f, within(1e-6f));
        assertThat(c.at(5, 3, 4)).as("past the run").isCloseTo(0.1f, within(1e-6f));
        assertThat(c.at(1, 0, 0)).as("no steps per epoch counted").isCloseTo(1.1f, within(1e-6f));
        assertThat(new LearningRate.Cosine(2.1f, 0.1f, 1).at(0, 1, 2)).as("a one-epoch run, half way").isCloseTo(1.1f, within(1e-6f));
        assertThatThrownBy(() -> new LearningRate.Cosine(1f, 0f, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cosine schedule: epochs must be >= 1, got 0");
    }

    @Test
    void aPiecewiseScheduleGivesTheRateOfTheLastStartReached() {
        LearningRate p = new LearningRate.Piecewise(new int[] {0, 2, 2, 5}, new float[] {0.1f, 0.5f, 0.05f, 0.01f});
        float[] byEpoch = new float[7];
        for (int e = 0; e < 7; e++) byEpoch[e] = p.at(e, 0, 10);
        assertThat(byEpoch).containsExactly(0.1f, 0.1f, 0.05f, 0.05f, 0.05f, 0.01f, 0.01f);
    }

    @Test
    void aPiecewiseScheduleRefusesStartsThatDoNotBeginAtZeroOrDoNotAscendAndRatesNotAboveZero() {
        assertThatThrownBy(() -> new LearningRate.Piecewise(new int[] {1, 2}, new float[] {0.1f, 0.01f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the first starting at epoch 0");
        assertThatThrownBy(() -> new LearningRate.Piecewise(new int[] {0, 2}, new float[] {0.1f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("matching starts and rates");
        assertThatThrownBy(() -> new LearningRate.Piecewise(new int[0], new float[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LearningRate.Piecewise(null, new float[] {0.1f})).isInstanceOf(NullPointerException.class).hasMessage("starts");
        assertThatThrownBy(() -> new LearningRate.Piecewise(new int[] {0}, null)).isInstanceOf(NullPointerException.class).hasMessage("rates");
        assertThatThrownBy(() -> new LearningRate.Piecewise(new int[] {0, 3, 2}, new float[] {0.1f, 0.01f, 0.001f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("piecewise schedule: starts must ascend, got [0, 3, 2]");
        assertThatThrownBy(() -> new LearningRate.Piecewise(new int[] {0, 3}, new float[] {0.1f, 0f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("piecewise schedule: rates must be finite and > 0, got 0.0");
        assertThatThrownBy(() -> new LearningRate.Piecewise(new int[] {0}, new float[] {Float.POSITIVE_INFINITY}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("piecewise schedule: rates must be finite and > 0, got Infinity");
        // copies, both ways
        int[] starts = {0, 3};
        float[] rates = {0.1f, 0.01f};
        LearningRate.Piecewise p = new LearningRate.Piecewise(starts, rates);
        starts[1] = 1;
        rates[0] = 9f;
        p.starts()[1] = 1;
        p.rates()[0] = 9f;
        assertThat(p.at(2, 0, 1)).isEqualTo(0.1f);
    }

    @Test
    void everyScheduleRefusesARateThatIsNegativeOrNotFiniteAndAcceptsZero() {
        // Taken as given, a NaN or infinite rate would make the weights NaN at the first step (reported as a divergence
        // asking for a lower rate) and a negative one climb the loss.
        for (float lr : new float[] {-0.1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> new LearningRate.Constant(lr)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("constant schedule: lr must be finite and >= 0, got " + lr);
            assertThatThrownBy(() -> new LearningRate.Step(lr, 2, 0.5f)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("step schedule: lr must be finite and >= 0, got " + lr);
            assertThatThrownBy(() -> new LearningRate.Cosine(lr, 0f, 5)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cosine schedule: lr must be finite and >= 0, got " + lr);
        }
        assertThat(new LearningRate.Constant(0f).at(3, 0, 1)).isZero();
        assertThat(new LearningRate.Step(0f, 2, 0.5f).at(3, 0, 1)).isZero();
        assertThat(new LearningRate.Cosine(0f, 0f, 5).at(3, 0, 1)).isZero();
    }

    @Test
    void parsedSchedulesTakeTheirDefaultsAndNameWhatTheyCannotRead() {
        assertThatThrownBy(() -> LearningRate.parse(null, 0.3f, 7)).isInstanceOf(NullPointerException.class).hasMessage("schedule");
        assertThat(LearningRate.parse("constant", 0.3f, 7)).isEqualTo(new LearningRate.Constant(0.3f));
        assertThat(LearningRate.parse("step", 0.3f, 7)).isEqualTo(new LearningRate.Step(0.3f, 10, 0.1f));
        assertThat(LearningRate.parse("step:4", 0.3f, 7)).isEqualTo(new LearningRate.Step(0.3f, 4, 0.1f));
        assertThat(LearningRate.parse("step:4:0.5", 0.3f, 7)).isEqualTo(new LearningRate.Step(0.3f, 4, 0.5f));
        assertThat(LearningRate.parse("cosine", 0.3f, 7)).isEqualTo(new LearningRate.Cosine(0.3f, 0f, 7));
        assertThat(LearningRate.parse("cosine:0.01", 0.3f, 7)).isEqualTo(new LearningRate.Cosine(0.3f, 0.01f, 7));
        assertThatThrownBy(() -> LearningRate.parse("linear", 0.3f, 7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown schedule 'linear'");
        assertThatThrownBy(() -> LearningRate.parse("step:x", 0.3f, 7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bad number in schedule 'step:x'");
        // a negative factor or end rate would make the rate negative (gradient ascent) part of the run; the API checks it
        // as the command line does
        assertThatThrownBy(() -> LearningRate.parse("step:4:-0.5", 0.3f, 7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("step schedule: gamma must be finite and >= 0, got -0.5");
        assertThatThrownBy(() -> LearningRate.parse("cosine:-0.01", 0.3f, 7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cosine schedule: min must be finite and >= 0, got -0.01");
        assertThatThrownBy(() -> new LearningRate.Step(0.3f, 4, Float.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new LearningRate.Cosine(0.3f, Float.POSITIVE_INFINITY, 7)).isInstanceOf(IllegalArgumentException.class);
    }
}
