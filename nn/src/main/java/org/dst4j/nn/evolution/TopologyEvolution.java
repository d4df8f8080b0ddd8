package org.dst4j.nn.evolution;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Objects;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.dst4j.runtime.memory.OffHeap;

/**
 * Prune, then grow as many as were removed (or the schedule's {@link EvolutionSchedule#regrowth share}
 * of them), then rebuild the CSR in one linear merge. Survivors keep their optimizer state; new
 * connections start with zero state and the weights the grow rule gives them (drawn by {@code init}
 * in the built-in rules).
 *
 * @param prune which connections go
 * @param grow where as many come back
 * @param schedule after which epochs or steps the topology evolves, what share of each layer is pruned
 *     and how much of it grows back
 * @param init what the grow rule draws the new connections' weights from
 */
public record TopologyEvolution(PruneRule prune, GrowRule grow, EvolutionSchedule schedule, WeightInit init) {

    /**
     * Checks that every part is given.
     *
     * @throws NullPointerException naming the part that is null
     */
    public TopologyEvolution {
        // A null part failed only when first used: a null schedule after the run's first training step.
        Objects.requireNonNull(prune, "prune");
        Objects.requireNonNull(grow, "grow");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(init, "init");
    }

    /** SET's evolution: signed magnitude pruning, uniform random regrowth, every epoch but the last. */
    public static TopologyEvolution set(double zeta, WeightInit init) {
        return new TopologyEvolution(MagnitudePrune.signed(), new RandomGrow(), EvolutionSchedule.everyEpoch(zeta), init);
    }

    /**
     * The sparselearning / RigL family used by FreeTickets: the smallest |w| of each layer pruned, regrown
     * by {@code grow} (gradient or random) at weight zero.
     */
    public static TopologyEvolution magnitude(GrowRule grow, EvolutionSchedule schedule) {
        return new TopologyEvolution(MagnitudePrune.global(), grow, schedule, new WeightInit.Zero());
    }

    /**
     * What one layer's evolution did.
     *
     * @param pruned connections removed
     * @param grown connections added: as many as pruned, times the regrowth share when that is not 1,
     *     unless the grow rule found fewer places (the built-in rules only when the layer, or their
     *     {@link GrowthRegion} of it, is full)
     * @param connections the layer's live connections afterwards
     * @param flops arithmetic spent choosing where to grow
     */
    public record Report(long pruned, long grown, long connections, long flops) {}

    /**
     * Starts a topology update of {@code layers} (every layer it will evolve, in order) by {@code fraction}:
     * tells the prune rule ({@link PruneRule#beforeUpdate}), which may rank connections across them. The
     * networks' {@code evolve} methods call it; a caller evolving layers one by one calls it first.
     *
     * @throws IllegalArgumentException if {@code fraction} is not in [0, 1]
     */
    public void beforeUpdate(List<SparseLinear> layers, double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) throw new IllegalArgumentException("prune fraction must be in [0, 1], got " + fraction);
        prune.beforeUpdate(layers.stream().map(SparseLinear::weights).toList(), fraction);
    }

    /** Evolves one layer's topology by {@code fraction}, with no gradient available. */
    public Report evolve(SparseLinear layer, double fraction, RandomStream rnd) {
        return evolve(layer, fraction, rnd, null);
    }

    /** Evolves one layer's topology by {@code fraction}; {@code gradient} may be null unless a rule needs it. */
    public Report evolve(SparseLinear layer, double fraction, RandomStream rnd, BatchGradient gradient) {
        return evolve(layer, fraction, 1, rnd, gradient);
    }

    /**
     * Evolves one layer's topology: prunes by {@code fraction}, then regrows {@code regrowth} times as
     * many as were pruned (see {@link EvolutionSchedule#regrowth}); {@code gradient} may be null unless a
     * rule needs it.
     *
     * @throws IllegalArgumentException if {@code fraction} is not in [0, 1] (what {@link PruneRule#prune}
     *     promises its rule) or {@code regrowth} is negative or not finite, before anything changes
     * @throws IllegalStateException if the prune rule returns another count than it marked, or the grow rule
     *     grows more than it was asked for, before the layer changes
     */
    public Report evolve(SparseLinear layer, double fraction, double regrowth, RandomStream rnd, BatchGradient gradient) {
        if (!(fraction >= 0 && fraction <= 1)) throw new IllegalArgumentException("prune fraction must be in [0, 1], got " + fraction);
        if (!(regrowth >= 0 && regrowth < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("regrowth must be finite and >= 0, got " + regrowth);
        }
        CsrMatrix w = layer.weights();
        try (Arena arena = OffHeap.newConfined()) {
            MemorySegment keep = arena.allocate(Math.max(1, w.nnz()));
            keep.fill((byte) 1);
            long pruned = prune.prune(w, fraction, keep, rnd, gradient);
            // A custom rule's miscount would otherwise move the layer's density without a word, its report wrong.
            long marked = marked(keep, w.nnz());
            if (pruned != marked) {
                throw new IllegalStateException("prune rule " + prune.getClass().getName() + " returned " + pruned + " but marked " + marked
                        + " connections for removal");
            }
            // Exactly `pruned` at a share of 1: a product with 1.0 rounds back to the same whole number.
            long asked = Math.round(pruned * regrowth);
            GrowRule.Growth g = grow.grow(w, keep, asked, init, rnd, gradient);
            if (g.count() > asked) {
                throw new IllegalStateException("grow rule " + grow.getClass().getName() + " grew " + g.count() + " connections, asked for " + asked);
            }
            w.rewire(keep, g.keys(), g.values(), g.count());
            return new Report(pruned, g.count(), w.nnz(), g.flops());
        }
    }

    private static final long ALL_KEPT = 0x0101010101010101L;

    // Zeros among keep's first n bytes; eight at a time, since most entries are kept.
    private static long marked(MemorySegment keep, long n) {
        long zeros = 0, i = 0;
        for (; i + 8 <= n; i += 8) {
            long v = keep.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
            if (v == ALL_KEPT) continue;
            for (int b = 0; b < 64; b += 8) if (((v >>> b) & 0xFF) == 0) zeros++;
        }
        for (; i < n; i++) if (keep.get(ValueLayout.JAVA_BYTE, i) == 0) zeros++;
        return zeros;
    }
}
