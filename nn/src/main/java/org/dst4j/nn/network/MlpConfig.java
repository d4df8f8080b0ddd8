package org.dst4j.nn.network;

import java.util.Arrays;
import java.util.Objects;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;

/**
 * The shape of a sparse MLP: layer sizes from input to output, hidden activation ({@code relu},
 * {@code allrelu}, {@code sigmoid}, {@code tanh}, {@code linear}, {@code leaky:<slope>}), output
 * activation, dropout on hidden layers, per-layer density and weight initializer.
 *
 * @param sizes layer sizes, input first and output last (see {@link #sizes(int, int[], int)}); at least two, each >= 1
 * @param hidden the hidden layers' activation, by name as above
 * @param allReluAlpha All-ReLU's slope magnitude; used only with {@code allrelu}
 * @param output the output layer's activation ({@link Activation#linear()} for the logits of a softmax loss)
 * @param dropout share of hidden units dropped in training, in [0, 1)
 * @param density how connected each layer starts
 * @param init the initial weights' distribution
 */
public record MlpConfig(int[] sizes, String hidden, float allReluAlpha, Activation output, float dropout,
                        Density density, WeightInit init) {

    /**
     * Checks the sizes, the dropout and the hidden activation's name, and copies {@code sizes}.
     *
     * @throws IllegalArgumentException naming what is wrong
     * @throws NullPointerException naming the field, if one is null
     */
    public MlpConfig {
        // A null output, density or init was kept, and failed later in equals, toString or the network's construction.
        Objects.requireNonNull(sizes, "sizes");
        Objects.requireNonNull(hidden, "hidden");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(density, "density");
        Objects.requireNonNull(init, "init");
        if (sizes.length < 2) throw new IllegalArgumentException("an MLP needs at least input and output sizes, got " + Arrays.toString(sizes));
        for (int s : sizes) if (s < 1) throw new IllegalArgumentException("layer sizes must be >= 1, got " + Arrays.toString(sizes));
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        hiddenActivation(hidden, 0, allReluAlpha);
        sizes = sizes.clone();
    }

    /**
     * The layer sizes of an MLP from {@code inputs} through the {@code hidden} layers to {@code outputs}:
     * {@code [inputs, hidden[0], …, hidden[n-1], outputs]}, what {@link #sizes()} holds.
     *
     * @param hidden hidden layer sizes, input side first; empty for a single layer from input to output
     */
    public static int[] sizes(int inputs, int[] hidden, int outputs) {
        int[] sizes = new int[hidden.length + 2];
        sizes[0] = inputs;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = outputs;
        return sizes;
    }

    /** The activation of hidden layer {@code index} (0-based). */
    public Activation hiddenActivation(int index) {
        return hiddenActivation(hidden, index, allReluAlpha);
    }

    /**
     * Checks a hidden-activation name before a network is built.
     *
     * @throws IllegalArgumentException listing the accepted names when {@code name} is not one
     */
    public static void checkHiddenActivation(String name) {
        if (name.equals("allrelu")) return;
        try {
            Activation.parse(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("activation must be relu, allrelu, sigmoid, tanh, linear or leaky:<slope>, got " + name);
        }
    }

    private static Activation hiddenActivation(String name, int index, float alpha) {
        return name.equals("allrelu") ? Activation.allRelu(index, alpha) : Activation.parse(name);
    }

    /** Layer sizes, input first; a copy. */
    @Override
    public int[] sizes() {
        return sizes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MlpConfig m && Arrays.equals(sizes, m.sizes) && hidden.equals(m.hidden)
                // Compared as the generated equals does: with ==, a config of NaN alpha (unused unless allrelu) was not equal to itself.
                && Float.compare(allReluAlpha, m.allReluAlpha) == 0 && output.equals(m.output) && Float.compare(dropout, m.dropout) == 0
                && density.equals(m.density) && init.equals(m.init);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sizes) * 31 + hidden.hashCode();
    }

    @Override
    public String toString() {
        return "MlpConfig" + Arrays.toString(sizes) + " hidden=" + hidden + " output=" + output + " dropout=" + dropout
                + " density=" + density + " init=" + WeightInit.name(init);
    }
}
