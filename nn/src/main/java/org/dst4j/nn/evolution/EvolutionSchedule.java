package org.dst4j.nn.evolution;

/** When topology evolution runs and what fraction of connections it replaces. */
public interface EvolutionSchedule {

    /** Whether to evolve after finishing epoch {@code epoch} (0-based) of {@code epochs}. */
    boolean afterEpoch(int epoch, int epochs);

    /** The fraction of each layer's connections to replace at that point. */
    double fraction(int epoch, int epochs);

    /** SET: after every epoch but the last, a constant fraction {@code zeta}. */
    static EvolutionSchedule everyEpoch(double zeta) {
        checkFraction(zeta);
        return new EvolutionSchedule() {
            @Override public boolean afterEpoch(int epoch, int epochs) { return zeta > 0 && epoch < epochs - 1; }

            @Override public double fraction(int epoch, int epochs) { return zeta; }
        };
    }

    /** Every epoch but the last, the fraction decaying from {@code zeta} to 0 by a cosine over the run. */
    static EvolutionSchedule cosine(double zeta) {
        return cosine(zeta, 1);
    }

    /**
     * Every {@code interval} epochs (never after the last), the fraction decaying from {@code zeta} to 0
     * by a cosine over the run (RigL's and sparselearning's prune-rate decay).
     */
    static EvolutionSchedule cosine(double zeta, int interval) {
        return periodic(zeta, interval, true);
    }

    /**
     * Every {@code interval} epochs (never after the last), the constant fraction {@code zeta}
     * (sparselearning's {@code --decay-schedule constant}).
     */
    static EvolutionSchedule constant(double zeta, int interval) {
        return periodic(zeta, interval, false);
    }

    private static EvolutionSchedule periodic(double zeta, int interval, boolean cosineDecay) {
        checkFraction(zeta);
        if (interval < 1) throw new IllegalArgumentException("evolution interval must be >= 1 epoch, got " + interval);
        return new EvolutionSchedule() {
            @Override public boolean afterEpoch(int epoch, int epochs) {
                return zeta > 0 && epoch < epochs - 1 && (epoch + 1) % interval == 0;
            }

            @Override public double fraction(int epoch, int epochs) {
                return cosineDecay ? zeta / 2 * (1 + StrictMath.cos(Math.PI * (epoch + 1) / epochs)) : zeta;
            }
        };
    }

    private static void checkFraction(double zeta) {
        if (!(zeta >= 0 && zeta <= 1)) throw new IllegalArgumentException("zeta must be in [0, 1], got " + zeta);
    }
}
