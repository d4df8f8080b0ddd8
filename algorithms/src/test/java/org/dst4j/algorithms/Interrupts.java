package org.dst4j.algorithms;

import org.dst4j.nn.train.EpochMetrics;

/** Progress listeners that stop a run as a user would, by interrupting the thread training it. */
public final class Interrupts {
    private Interrupts() {}

    /** Interrupts the calling thread once {@code epochs} epochs of the whole run are done, in the next epoch's first batch. */
    public static TrainingProgress afterEpochs(int epochs) {
        return new TrainingProgress() {
            int done;

            @Override public void epoch(String phase, EpochMetrics m) {
                done++;
            }

            @Override public void batch(int epoch, int batch, int total) {
                if (done == epochs && batch == 1) Thread.currentThread().interrupt();
            }
        };
    }
}
