package org.dst4j.nn.network;

import java.util.List;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.loss.Loss;
import org.dst4j.nn.optim.Optimizer;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.random.RandomStream;

/** What {@link org.dst4j.nn.train.Trainer} trains and evaluates: a single MLP or a multi-head one. */
public interface Network extends AutoCloseable {

    /** Features per sample the network takes. */
    int inputs();

    /** Outputs per sample: the classes of a classifier. */
    int outputs();

    /** Live connections in all layers. */
    long connections();

    /** Prepares optimizer state in every layer. */
    void attach(Optimizer opt);

    /** One training step on the batch in {@code x}; see {@link SparseMlp#trainBatch}. */
    SparseMlp.BatchResult trainBatch(ParallelKernels pk, DenseMatrix x, int[] labels, int offset, DenseMatrix targets,
                                     Loss loss, Optimizer opt, float lr, long step);

    /**
     * Inference on {@code x}; returns a view valid until the next call whose softmax is the predicted
     * class distribution (logits, or log-probabilities for an averaging multi-head network).
     */
    DenseMatrix predict(ParallelKernels pk, DenseMatrix x);

    /**
     * Evolves every layer's topology right after a training step (the batch gradient is available),
     * each layer regrowing as many connections as it lost; returns the reports in layer order.
     */
    default List<TopologyEvolution.Report> evolve(TopologyEvolution evolution, double fraction, RandomStream rnd, ParallelKernels pk) {
        return evolve(evolution, fraction, 1, rnd, pk);
    }

    /**
     * As {@link #evolve(TopologyEvolution, double, RandomStream, ParallelKernels)}, each layer regrowing
     * {@code regrowth} times as many connections as it lost (see
     * {@link org.dst4j.nn.evolution.EvolutionSchedule#regrowth}).
     */
    List<TopologyEvolution.Report> evolve(TopologyEvolution evolution, double fraction, double regrowth, RandomStream rnd,
                                          ParallelKernels pk);

    /**
     * Forgets the latest training batch, whose input matrix its owner is about to free: a later
     * {@link #evolve} then regrows without its gradient (or refuses to, for a rule that needs it) instead
     * of reading freed memory.
     */
    void forgetTrainingBatch();

    /** Training FLOPs spent so far (see {@link SparseMlp#trainingFlops()}). */
    long trainingFlops();

    /** What the same training steps would have cost with every layer dense. */
    long denseTrainingFlops();

    @Override
    void close();
}
