package org.dst4j.nn.layer;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;

import org.dst4j.nn.init.SparseInit;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.optim.Adam;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;

class SparseLinearTest {

    // A model file attaches its optimizer to read the bias state, and training attaches it again: attaching an
    // optimizer of the same bias slots keeps that state; one of more slots gets room for them.
    @Test
    void attachingAgainKeepsTheBiasStateAndAnotherOptimizerGetsItsSlots() {
        try (SparseLinear layer = new SparseLinear(SparseInit.sample(3, 4, 0.5, new WeightInit.Zero(), new RandomStream(1)), Activation.relu())) {
            layer.attach(new Sgd(0.9f, 0f));
            assertThat(layer.biasState().byteSize()).isEqualTo(3L * Float.BYTES);
            layer.biasState().setAtIndex(JAVA_FLOAT, 2, 0.5f);
            layer.attach(new Sgd(0.5f, 0f));
            assertThat(layer.biasState().getAtIndex(JAVA_FLOAT, 2)).isEqualTo(0.5f);
            layer.attach(Adam.withWeightDecay(0f));
            assertThat(layer.biasState().byteSize()).isEqualTo(2 * 3L * Float.BYTES);
        }
    }
}
