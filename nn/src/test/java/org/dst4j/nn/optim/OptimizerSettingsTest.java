package org.dst4j.nn.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The optimizers' ranges at their ends: each closed end accepted, each open one refused. */
class OptimizerSettingsTest {

    @Test
    void adamAcceptsBetasAndWeightDecayOfZeroAndRefusesABetaOfOneOrAnEpsilonOfZero() {
        assertThatCode(() -> new Adam(0f, 0f, 1e-8f, 0f)).doesNotThrowAnyException();
        assertThatThrownBy(() -> new Adam(1f, 0.999f, 1e-8f, 0f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Adam betas must be in [0, 1), got 1.0, 0.999");
        assertThatThrownBy(() -> new Adam(0.9f, 1f, 1e-8f, 0f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Adam betas must be in [0, 1), got 0.9, 1.0");
        assertThatThrownBy(() -> new Adam(-0.1f, 0.999f, 1e-8f, 0f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Adam(0.9f, -0.1f, 1e-8f, 0f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Adam(0.9f, 0.999f, 0f, 0f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Adam eps must be finite and > 0, got 0.0");
        // An infinite eps would stop every update without a word; an infinite decay would turn the weights NaN.
        assertThatThrownBy(() -> new Adam(0.9f, 0.999f, Float.POSITIVE_INFINITY, 0f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Adam eps must be finite and > 0, got Infinity");
        assertThatThrownBy(() -> new Adam(0.9f, 0.999f, 1e-8f, Float.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("weight decay must be finite and >= 0, got Infinity");
        assertThatThrownBy(() -> new Adam(0.9f, 0.999f, 1e-8f, -1e-6f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("weight decay must be finite and >= 0");
    }

    // A negative step count (an edited checkpoint) would make Adam's bias corrections negative: updates of the wrong sign.
    @Test
    void adamRefusesANegativeStepCountAndKeepsItsOwn() {
        Adam adam = new Adam(0.9f, 0.999f, 1e-8f, 0f);
        adam.setSteps(0);
        adam.setSteps(12);
        assertThatThrownBy(() -> adam.setSteps(-5)).isInstanceOf(IllegalArgumentException.class).hasMessage("steps must be >= 0, got -5");
        assertThat(adam.steps()).isEqualTo(12);
    }

    @Test
    void sgdAcceptsMomentumAndWeightDecayOfZeroAndRefusesAMomentumOfOne() {
        assertThatCode(() -> new Sgd(0f, 0f)).doesNotThrowAnyException();
        assertThatThrownBy(() -> new Sgd(1f, 0f)).isInstanceOf(IllegalArgumentException.class).hasMessage("momentum must be in [0, 1), got 1.0");
        assertThatThrownBy(() -> new Sgd(-0.1f, 0f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Sgd(0.9f, -1e-6f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Sgd(0.9f, Float.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("weight decay must be finite and >= 0, got Infinity");
    }

    @Test
    void sgdSettingsFromAConfigurationRefuseEachValueOutOfRangeByName() {
        assertThatCode(() -> Sgd.checkSettings(Float.MIN_VALUE, 0f, 0f)).doesNotThrowAnyException();
        for (float lr : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> Sgd.checkSettings(lr, 0.9f, 0f)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("lr must be finite and > 0, got " + lr);
        }
        for (float m : new float[] {1f, -0.1f, Float.NaN}) {
            assertThatThrownBy(() -> Sgd.checkSettings(0.1f, m, 0f)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("momentum must be in [0, 1), got " + m);
        }
        for (float wd : new float[] {-1e-6f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> Sgd.checkSettings(0.1f, 0.9f, wd)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("weight decay must be finite and >= 0, got " + wd);
        }
    }
}
