package org.dst4j.nn.optim;

import java.util.Arrays;
import java.util.Objects;
import org.dst4j.runtime.record.ArrayRecords;

/** A learning-rate schedule over training progress measured in (fractional) epochs. */
public sealed interface LearningRate {

    /** The rate at {@code epoch + stepInEpoch / stepsPerEpoch} (epochs counted from 0). */
    float at(int epoch, int stepInEpoch, int stepsPerEpoch);

    /**
     * A fixed rate.
     *
     * @param lr the rate, finite and >= 0
     */
    record Constant(float lr) implements LearningRate {
        /** @throws IllegalArgumentException if {@code lr} is negative or not finite */
        public Constant {
            checkRate("constant", lr);
        }

        @Override public float at(int epoch, int step, int steps) { return lr; }
    }

    /**
     * {@code lr * gamma^(epoch / every)}.
     *
     * @param lr the rate of the first {@code every} epochs, finite and >= 0
     * @param every epochs between multiplications by {@code gamma}, >= 1
     * @param gamma the factor, finite and >= 0
     */
    record Step(float lr, int every, float gamma) implements LearningRate {
        /** @throws IllegalArgumentException if {@code every < 1}, or {@code lr} or {@code gamma} is negative or not finite */
        public Step {
            checkRate("step", lr);
            if (every < 1) throw new IllegalArgumentException("step schedule: every must be >= 1, got " + every);
            // a negative factor turned the rate negative every other period: gradient ascent
            if (!(gamma >= 0 && gamma < Float.POSITIVE_INFINITY)) throw new IllegalArgumentException("step schedule: gamma must be finite and >= 0, got " + gamma);
        }

        @Override public float at(int epoch, int step, int steps) {
            return (float) (lr * StrictMath.pow(gamma, epoch / every));
        }
    }

    /**
     * Cosine decay from {@code lr} to {@code min} over {@code epochs}, per step.
     *
     * @param lr the rate at the start, finite and >= 0
     * @param min the rate at the end, finite and >= 0
     * @param epochs the run's length, >= 1
     */
    record Cosine(float lr, float min, int epochs) implements LearningRate {
        /** @throws IllegalArgumentException if {@code epochs < 1}, or {@code lr} or {@code min} is negative or not finite */
        public Cosine {
            checkRate("cosine", lr);
            if (epochs < 1) throw new IllegalArgumentException("cosine schedule: epochs must be >= 1, got " + epochs);
            if (!(min >= 0 && min < Float.POSITIVE_INFINITY)) throw new IllegalArgumentException("cosine schedule: min must be finite and >= 0, got " + min);
        }

        @Override public float at(int epoch, int step, int steps) {
            double progress = Math.min(1.0, (epoch + (double) step / Math.max(1, steps)) / epochs);
            return (float) (min + 0.5 * (lr - min) * (1 + StrictMath.cos(Math.PI * progress)));
        }
    }

    /**
     * Piecewise constant: {@code rates[i]} from epoch {@code starts[i]} (ascending, {@code starts[0] == 0})
     * until the next start. Multi-step decay and cyclic restarts (as in EDST's refinement phases) are both this.
     *
     * @param starts the epoch each rate starts at, ascending, the first 0
     * @param rates the rates, finite and > 0, one per start
     */
    record Piecewise(int[] starts, float[] rates) implements LearningRate {
        /**
         * Checks the starts and rates and copies both arrays.
         *
         * @throws IllegalArgumentException if they differ in length, do not start at epoch 0, do not ascend, or a rate is not
         *     finite and > 0
         */
        public Piecewise {
            Objects.requireNonNull(starts, "starts");
            Objects.requireNonNull(rates, "rates");
            if (starts.length == 0 || starts.length != rates.length || starts[0] != 0) {
                throw new IllegalArgumentException("piecewise schedule: needs matching starts and rates, the first starting at epoch 0");
            }
            for (int i = 1; i < starts.length; i++) {
                if (starts[i] < starts[i - 1]) throw new IllegalArgumentException("piecewise schedule: starts must ascend, got " + Arrays.toString(starts));
            }
            for (float r : rates) {
                if (!(r > 0 && r < Float.POSITIVE_INFINITY)) throw new IllegalArgumentException("piecewise schedule: rates must be finite and > 0, got " + r);
            }
            starts = starts.clone();
            rates = rates.clone();
        }

        @Override public float at(int epoch, int step, int steps) {
            int i = starts.length - 1;
            while (starts[i] > epoch) i--;
            return rates[i];
        }

        /** A copy of the epochs at which each rate starts. */
        @Override public int[] starts() { return starts.clone(); }

        /** A copy of the rates. */
        @Override public float[] rates() { return rates.clone(); }

        // By content: the generated methods would compare and print the arrays by identity.
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

        @Override public int hashCode() { return ArrayRecords.hashCode(this); }

        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    // A NaN, infinite or negative rate was taken as given: a NaN or infinite one turned the weights NaN at the first step (reported
    // as a divergence asking for a lower rate), a negative one climbed the loss.
    private static void checkRate(String schedule, float lr) {
        if (!(lr >= 0 && lr < Float.POSITIVE_INFINITY)) throw new IllegalArgumentException(schedule + " schedule: lr must be finite and >= 0, got " + lr);
    }

    /** Parses {@code constant|step:<every>:<gamma>|cosine[:<min>]} around a base rate. */
    static LearningRate parse(String spec, float lr, int epochs) {
        Objects.requireNonNull(spec, "schedule");
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
