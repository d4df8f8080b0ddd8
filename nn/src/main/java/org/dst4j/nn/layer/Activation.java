package org.dst4j.nn.layer;

import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;

/**
 * An elementwise activation with its derivative. {@code slope} is the negative-side slope of the
 * ReLU family: 0 for ReLU, and for All-ReLU (the truly-sparse SET work) {@code -alpha, +alpha, -alpha, …}
 * alternating by hidden layer.
 *
 * @param kind the function
 * @param slope the negative-side slope of {@link Kind#LEAKY_RELU}; 0 for the others
 */
public record Activation(Kind kind, float slope) {

    /** The activation functions. */
    public enum Kind {
        /** {@link #relu()}; All-ReLU is {@link #LEAKY_RELU} with a signed slope. */
        RELU,
        /** {@link #leakyRelu(float)}. */
        LEAKY_RELU,
        /** {@link #sigmoid()}. */
        SIGMOID,
        /** {@link #tanh()}. */
        TANH,
        /** {@link #linear()}. */
        LINEAR
    }

    /** {@code max(0, x)}. */
    public static Activation relu() { return new Activation(Kind.RELU, 0f); }

    /** {@code x} for {@code x > 0}, else {@code slope * x}. */
    public static Activation leakyRelu(float slope) {
        // A model file's "leaky:NaN" (Float.parseFloat reads NaN and Infinity) made every prediction NaN.
        if (!Float.isFinite(slope)) throw new IllegalArgumentException("leaky ReLU slope must be a finite number, got " + slope);
        return new Activation(Kind.LEAKY_RELU, slope);
    }

    /** {@code 1 / (1 + exp(-x))}. */
    public static Activation sigmoid() { return new Activation(Kind.SIGMOID, 0f); }

    /** {@code tanh(x)}. */
    public static Activation tanh() { return new Activation(Kind.TANH, 0f); }

    /** The identity: a layer's output as computed (logits before a softmax loss). */
    public static Activation linear() { return new Activation(Kind.LINEAR, 0f); }

    /**
     * All-ReLU for hidden layer {@code hiddenIndex} (0-based): negative slope {@code -alpha} on even
     * layers and {@code +alpha} on odd ones.
     */
    public static Activation allRelu(int hiddenIndex, float alpha) {
        if (!Float.isFinite(alpha)) throw new IllegalArgumentException("All-ReLU alpha must be a finite number, got " + alpha);
        return leakyRelu(hiddenIndex % 2 == 0 ? -alpha : alpha);
    }

    /** Parses {@code relu|sigmoid|tanh|linear|leaky:<slope>} (All-ReLU is built per layer by the network). */
    public static Activation parse(String s) {
        return switch (s) {
            case "relu" -> relu();
            case "sigmoid" -> sigmoid();
            case "tanh" -> tanh();
            case "linear" -> linear();
            default -> {
                if (s.startsWith("leaky:")) {
                    try {
                        yield leakyRelu(Float.parseFloat(s.substring(6)));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bad slope in '" + s + "'; expected leaky:<number>");
                    }
                }
                throw new IllegalArgumentException("unknown activation '" + s + "'; expected relu, sigmoid, tanh, linear or leaky:<slope>");
            }
        };
    }

    /** Whether the output is the input unchanged (so no separate output buffer is needed). */
    public boolean isIdentity() {
        return kind == Kind.LINEAR;
    }

    /** {@code a = f(z)}; {@code a} may be {@code z}. */
    public void forward(ParallelKernels pk, DenseMatrix z, DenseMatrix a) {
        switch (kind) {
            case RELU, LEAKY_RELU -> pk.leakyRelu(z, slope, a);
            case SIGMOID -> pk.sigmoid(z, a);
            case TANH -> pk.tanh(z, a);
            case LINEAR -> {
                if (a.segment().address() != z.segment().address()) {
                    throw new IllegalArgumentException("linear activation works in place");
                }
            }
        }
    }

    /** {@code grad *= f'(z)}, from the pre-activation {@code z} or the output {@code a} as each function needs. */
    public void backward(ParallelKernels pk, DenseMatrix z, DenseMatrix a, DenseMatrix grad) {
        switch (kind) {
            case RELU, LEAKY_RELU -> pk.leakyReluBackward(z, slope, grad);
            case SIGMOID -> pk.sigmoidBackward(a, grad);
            case TANH -> pk.tanhBackward(a, grad);
            case LINEAR -> { }
        }
    }

    @Override
    public String toString() {
        return switch (kind) {
            case RELU -> "relu";
            case LEAKY_RELU -> "leaky:" + slope;
            case SIGMOID -> "sigmoid";
            case TANH -> "tanh";
            case LINEAR -> "linear";
        };
    }
}
