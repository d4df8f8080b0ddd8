package org.dst4j.algorithms;

import java.util.Arrays;

/**
 * The field checks the algorithms' config records share, so that an option means the same range, with
 * the same message naming it, in every config: a copy of a check in each constructor drifts apart from
 * the others.
 *
 * <p>Each method throws {@link IllegalArgumentException} with a message {@code "<option> must be …, got
 * <value>"}.
 */
public final class ConfigChecks {
    private ConfigChecks() {}

    /** Every hidden layer size is at least 1. */
    public static void hiddenSizes(int[] hidden) {
        for (int h : hidden) if (h < 1) throw new IllegalArgumentException("hidden sizes must be >= 1, got " + Arrays.toString(hidden));
    }

    /** {@code value >= min}: epochs, batch, threads and other counts. */
    public static void atLeast(String option, int value, int min) {
        if (value < min) throw new IllegalArgumentException(option + " must be >= " + min + ", got " + value);
    }

    /** {@code value} is finite and {@code > 0}. */
    public static void positive(String option, double value) {
        if (!(value > 0 && Double.isFinite(value))) throw new IllegalArgumentException(option + " must be finite and > 0, got " + value);
    }

    /**
     * A learning rate that the run's schedule divides by up to {@code divisor}: the lowest rate must still be a
     * positive float. Near the smallest float it rounded to 0 there, and the run failed inside, after making its
     * output directory.
     */
    public static void learningRateDecays(float lr, int divisor) {
        if (!(lr / divisor > 0)) {
            throw new IllegalArgumentException("lr must be large enough that lr / " + divisor + ", the schedule's lowest rate, is > 0 as a float, got " + lr);
        }
    }

    /** {@code value} is in [0, 1]: a share of which all may be taken. */
    public static void inUnitInterval(String option, double value) {
        if (!(value >= 0 && value <= 1)) throw new IllegalArgumentException(option + " must be in [0, 1], got " + value);
    }

    /** {@code value} is in [0, 1): a share of which some must be left, such as a dropout rate. */
    public static void belowOne(String option, double value) {
        if (!(value >= 0 && value < 1)) throw new IllegalArgumentException(option + " must be in [0, 1), got " + value);
    }

    /** A global density in (0, 1]: a network needs some connections and has at most all of them. */
    public static void density(double value) {
        if (!(value > 0 && value <= 1)) throw new IllegalArgumentException("density must be in (0, 1], got " + value);
    }

    /**
     * SET's zeta, in [0, 1). At 1 the evolution after each epoch prunes every connection and regrows as
     * many at random with fresh initial weights, so all that an epoch learned is thrown away and the model
     * is whatever its last epoch alone made of random weights.
     */
    public static void zeta(double zeta) {
        belowOne("zeta", zeta);
    }

    /** {@code value} is one of {@code allowed}; the message lists them ("sgd or adam", "a, b or c"). */
    public static void oneOf(String option, String value, String... allowed) {
        for (String a : allowed) if (a.equals(value)) return;
        String last = allowed[allowed.length - 1];
        String listed = allowed.length == 1 ? last : String.join(", ", Arrays.asList(allowed).subList(0, allowed.length - 1)) + " or " + last;
        throw new IllegalArgumentException(option + " must be " + listed + ", got " + value);
    }
}
