package org.dst4j.nn.optim;

/** A learning-rate schedule over training progress measured in (fractional) epochs. */
public sealed interface LearningRate {

    /** The rate at {@code epoch + stepInEpoch / stepsPerEpoch} (epochs counted from 0). */
    float at(int epoch, int stepInEpoch, int stepsPerEpoch);

    /** A fixed rate. */
    record Constant(float lr) implements LearningRate {
        @Override public float at(int epoch, int step, int steps) { return lr; }
    }

    /** {@code lr * gamma^(epoch / every)}. */
    record Step(float lr, int every, float gamma) implements LearningRate {
        public Step {
            if (every < 1) throw new IllegalArgumentException("step schedule: every must be >= 1, got " + every);
        }

        @Override public float at(int epoch, int step, int steps) {
            return (float) (lr * StrictMath.pow(gamma, epoch / every));
        }
    }

    /** Cosine decay from {@code lr} to {@code min} over {@code epochs}, per step. */
    record Cosine(float lr, float min, int epochs) implements LearningRate {
        public Cosine {
            if (epochs < 1) throw new IllegalArgumentException("cosine schedule: epochs must be >= 1, got " + epochs);
        }

        @Override public float at(int epoch, int step, int steps) {
            double progress = Math.min(1.0, (epoch + (double) step / Math.max(1, steps)) / epochs);
            return (float) (min + 0.5 * (lr - min) * (1 + StrictMath.cos(Math.PI * progress)));
        }
    }

    /** Parses {@code constant|step:<every>:<gamma>|cosine[:<min>]} around a base rate. */
    static LearningRate parse(String spec, float lr, int epochs) {
        String[] p = spec.split(":");
        try {
            return switch (p[0]) {
                case "constant" -> new Constant(lr);
                case "step" -> new Step(lr, p.length > 1 ? Integer.parseInt(p[1]) : 10, p.length > 2 ? Float.parseFloat(p[2]) : 0.1f);
                case "cosine" -> new Cosine(lr, p.length > 1 ? Float.parseFloat(p[1]) : 0f, epochs);
                default -> throw new IllegalArgumentException("unknown schedule '" + spec + "'; expected constant, step:<every>:<gamma> or cosine[:<min>]");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number in schedule '" + spec + "'");
        }
    }
}
