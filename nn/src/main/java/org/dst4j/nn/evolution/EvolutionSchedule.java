package org.dst4j.nn.evolution;

/**
 * When topology evolution runs, what fraction of connections it prunes and how many of those grow back.
 *
 * <p>{@link org.dst4j.nn.train.Trainer} consults it after every training step ({@link #afterStep}) and
 * after every epoch's evaluation ({@link #afterEpoch}); whenever one says yes, every layer is pruned
 * by {@link #fraction} and regrown by {@link #regrowth} of the epoch under way. Those two are asked once
 * per update, right after the {@link #afterStep} or {@link #afterEpoch} call that said yes (fraction
 * first), and are given no step: a schedule whose fraction depends on the step (Zhu &amp; Gupta's cubic
 * curve, for instance) remembers it in {@link #afterStep}. Every layer's prune rule gets the same
 * fraction; the built-in rules take it of that layer's current connections, one layer at a time.
 */
public interface EvolutionSchedule {

    /** Whether to evolve after finishing epoch {@code epoch} (0-based) of {@code epochs}. */
    boolean afterEpoch(int epoch, int epochs);

    /** The fraction of each layer's connections to prune at that point (passed to the prune rule). */
    double fraction(int epoch, int epochs);

    /**
     * The share of the connections pruned at that point that grow back, finite and >= 0. The default,
     * 1, keeps every layer's connection count, as SET, RigL and FreeTickets do; less leaves the network
     * sparser after the update (GraNet's gradual pruning), more leaves it denser. A share other than 1
     * asks the grow rule for {@code round(pruned * regrowth)} connections.
     */
    default double regrowth(int epoch, int epochs) { return 1; }

    /**
     * Whether to evolve also right after training step {@code step} (counting every batch of the run
     * from 1), which falls in epoch {@code epoch} (0-based) of {@code epochs}: sparselearning's update
     * every N steps is {@code step % N == 0}. The update runs before the next batch, with this batch's
     * gradient at hand for rules that need it; after an epoch's last batch it comes before the epoch's
     * evaluation, and {@link #afterEpoch} may add one after it. The default, never, leaves every update
     * to {@link #afterEpoch}.
     */
    default boolean afterStep(long step, int epoch, int epochs) { return false; }

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
