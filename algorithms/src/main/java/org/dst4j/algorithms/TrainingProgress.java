package org.dst4j.algorithms;

import org.dst4j.nn.train.EpochMetrics;

/**
 * Told as a run trains, for progress display: {@link org.dst4j.algorithms.freetickets.FreeTickets},
 * {@link org.dst4j.algorithms.neurotrails.NeuroTrails} and {@link org.dst4j.algorithms.spacenet.SpaceNetRun}
 * report through it, each naming the phase (member, ticket, method and task) an epoch belongs to. All
 * methods are optional; {@code new TrainingProgress() {}} reports nothing.
 */
public interface TrainingProgress {
    /** A batch finished: {@code done} of the epoch's {@code total} batches; {@code epoch} counts from 0. */
    default void batch(int epoch, int done, int total) {}

    /** An epoch finished; {@code phase} names the part of the run it belongs to. */
    default void epoch(String phase, EpochMetrics m) {}
}
