package org.dst4j.nn.evolution;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Prune, then grow as many as were removed, then rebuild the CSR in one linear merge. Survivors keep
 * their optimizer state; new connections start with zero state and weights drawn by {@code init}.
 *
 * @param prune which connections go
 * @param grow where as many come back
 * @param schedule after which epochs the topology evolves, and what share of each layer
 * @param init the new connections' weights
 */
public record TopologyEvolution(PruneRule prune, GrowRule grow, EvolutionSchedule schedule, WeightInit init) {

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
     * @param grown connections added (fewer than pruned only when the layer has no more free positions)
     * @param connections the layer's live connections afterwards
     * @param flops arithmetic spent choosing where to grow
     */
    public record Report(long pruned, long grown, long connections, long flops) {}

    /** Evolves one layer's topology by {@code fraction}, with no gradient available. */
    public Report evolve(SparseLinear layer, double fraction, RandomStream rnd) {
        return evolve(layer, fraction, rnd, null);
    }

    /** Evolves one layer's topology by {@code fraction}; {@code gradient} may be null unless the grow rule needs it. */
    public Report evolve(SparseLinear layer, double fraction, RandomStream rnd, BatchGradient gradient) {
        CsrMatrix w = layer.weights();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment keep = arena.allocate(Math.max(1, w.nnz()));
            keep.fill((byte) 1);
            long pruned = prune.prune(w, fraction, keep);
            GrowRule.Growth g = grow.grow(w, keep, pruned, init, rnd, gradient);
            w.rewire(keep, g.keys(), g.values(), g.count());
            return new Report(pruned, g.count(), w.nnz(), g.flops());
        }
    }
}
