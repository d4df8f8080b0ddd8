package org.dst4j.nn.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.junit.jupiter.api.Test;

class MlpConfigTest {

    @Test
    void sizesRunFromInputsThroughTheHiddenLayersToOutputs() {
        assertThat(MlpConfig.sizes(784, new int[] {1000, 500}, 10)).containsExactly(784, 1000, 500, 10);
        assertThat(MlpConfig.sizes(20, new int[0], 3)).containsExactly(20, 3);
        int[] hidden = {8};
        int[] sizes = MlpConfig.sizes(4, hidden, 2);
        sizes[1] = 99;
        assertThat(hidden).containsExactly(8);
        // What a config built from them holds.
        MlpConfig c = new MlpConfig(MlpConfig.sizes(4, hidden, 2), "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(1),
                new WeightInit.HeUniform());
        assertThat(c.sizes()).containsExactly(4, 8, 2);
    }

    @Test
    void aNullFieldIsRefusedWhenBuiltNamingIt() {
        // Kept, a null output or density would fail later, in equals or toString or deep in SparseMlp.create; a null
        // init would fail with no message.
        int[] sizes = {4, 2};
        Activation out = Activation.linear();
        Density density = new Density.Uniform(1);
        WeightInit init = new WeightInit.HeUniform();
        assertThatThrownBy(() -> new MlpConfig(null, "relu", 0.6f, out, 0f, density, init)).isInstanceOf(NullPointerException.class).hasMessage("sizes");
        assertThatThrownBy(() -> new MlpConfig(sizes, null, 0.6f, out, 0f, density, init)).isInstanceOf(NullPointerException.class).hasMessage("hidden");
        assertThatThrownBy(() -> new MlpConfig(sizes, "relu", 0.6f, null, 0f, density, init)).isInstanceOf(NullPointerException.class).hasMessage("output");
        assertThatThrownBy(() -> new MlpConfig(sizes, "relu", 0.6f, out, 0f, null, init)).isInstanceOf(NullPointerException.class).hasMessage("density");
        assertThatThrownBy(() -> new MlpConfig(sizes, "relu", 0.6f, out, 0f, density, null)).isInstanceOf(NullPointerException.class).hasMessage("init");
    }

    @Test
    void aConfigIsEqualToItselfWhateverItsUnusedAllReluAlpha() {
        // The alpha is read only with allrelu, so a relu config keeps any value; equals must still be reflexive for
        // it, or a set or map of configs loses the one put in.
        MlpConfig c = new MlpConfig(new int[] {4, 2}, "relu", Float.NaN, Activation.linear(), 0f, new Density.Uniform(1),
                new WeightInit.HeUniform());
        assertThat(c).isEqualTo(c).isEqualTo(new MlpConfig(new int[] {4, 2}, "relu", Float.NaN, Activation.linear(), 0f,
                new Density.Uniform(1), new WeightInit.HeUniform()));
        assertThat(Set.of(c)).contains(c);
    }
}
