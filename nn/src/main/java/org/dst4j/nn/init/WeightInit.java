package org.dst4j.nn.init;

import java.util.Objects;
import org.dst4j.runtime.random.RandomStream;

/**
 * How a connection's initial weight is drawn — at initialization and again for every connection that
 * topology evolution grows. Fan-in and fan-out are the layer's dense sizes, as in the reference codes.
 */
public sealed interface WeightInit {

    /** Draws one weight. */
    float sample(RandomStream rnd, int fanIn, int fanOut);

    /**
     * N(0, std²): the SET SciPy code uses std 0.1.
     *
     * @param std the standard deviation, finite and >= 0
     */
    record Normal(float std) implements WeightInit {
        /**
         * Checks the standard deviation.
         *
         * @throws IllegalArgumentException if {@code std} is negative, infinite or NaN
         */
        public Normal {
            // Unchecked, a NaN std gave NaN weights, and so a network that trained to NaN, when the record was built directly.
            if (!(std >= 0 && std < Float.POSITIVE_INFINITY)) throw new IllegalArgumentException("normal init: std must be finite and >= 0, got " + std);
        }

        @Override public float sample(RandomStream rnd, int fanIn, int fanOut) {
            return (float) (std * rnd.nextGaussian());
        }
    }

    /** He-uniform, U(-sqrt(6/fanIn), sqrt(6/fanIn)), as in the truly-sparse SET code. */
    record HeUniform() implements WeightInit {
        @Override public float sample(RandomStream rnd, int fanIn, int fanOut) {
            double limit = Math.sqrt(6.0 / Math.max(1, fanIn));
            return (float) ((2 * rnd.nextDouble() - 1) * limit);
        }
    }

    /** Xavier/Glorot uniform, U(-sqrt(6/(fanIn+fanOut)), +). */
    record XavierUniform() implements WeightInit {
        @Override public float sample(RandomStream rnd, int fanIn, int fanOut) {
            double limit = Math.sqrt(6.0 / Math.max(1, fanIn + fanOut));
            return (float) ((2 * rnd.nextDouble() - 1) * limit);
        }
    }

    /** All zero (the Keras mask version of SET regrows at 0). */
    record Zero() implements WeightInit {
        @Override public float sample(RandomStream rnd, int fanIn, int fanOut) {
            return 0f;
        }
    }

    /**
     * Parses {@code normal:<std>|he-uniform|xavier-uniform|zero}.
     *
     * @throws IllegalArgumentException naming {@code s} if it is none of these
     * @throws NullPointerException naming the weight init if {@code s} is null
     */
    static WeightInit parse(String s) {
        // The switch's own NPE named only a synthetic local ("<local1>").
        Objects.requireNonNull(s, "weight init");
        return switch (s) {
            case "he-uniform", "he" -> new HeUniform();
            case "xavier-uniform", "xavier" -> new XavierUniform();
            case "zero" -> new Zero();
            default -> {
                if (s.startsWith("normal:")) {
                    float std;
                    try {
                        std = Float.parseFloat(s.substring(7));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bad std in '" + s + "'; expected normal:<number>");
                    }
                    // Here, not only on the command line: a checkpoint's normal:NaN grew NaN weights on resume.
                    if (!(std >= 0 && std < Float.POSITIVE_INFINITY)) {
                        throw new IllegalArgumentException("expected normal:<std> with a finite std >= 0, got '" + s + "'");
                    }
                    yield new Normal(std);
                }
                throw new IllegalArgumentException("unknown weight init '" + s + "'; expected he-uniform, xavier-uniform, zero or normal:<std>");
            }
        };
    }

    /** The name {@link #parse} reads back. */
    static String name(WeightInit w) {
        return switch (w) {
            case Normal n -> "normal:" + n.std();
            case HeUniform h -> "he-uniform";
            case XavierUniform x -> "xavier-uniform";
            case Zero z -> "zero";
        };
    }
}
