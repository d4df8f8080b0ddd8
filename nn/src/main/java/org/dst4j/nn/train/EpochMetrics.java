package org.dst4j.nn.train;

/**
 * One epoch's figures. Training loss and accuracy are averaged over the epoch's batches as they were
 * trained (dropout on, weights moving); test figures come from a separate evaluation pass of the
 * model as the epoch trained it, before the epoch's topology update; {@code connections} are counted
 * after the update. {@code epochSeconds} is the training pass plus evolution; evaluation time is separate.
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy,
                           long connections, double epochSeconds, double evolutionSeconds, double evalSeconds,
                           float learningRate) {}
