package org.dst4j.nn.train;

/**
 * One epoch's figures. Training loss and accuracy are averaged over the epoch's batches as they were
 * trained (dropout on, weights moving); test figures come from a separate evaluation pass of the
 * model as the epoch trained it, before the epoch's topology update; {@code connections} are counted
 * after the update. {@code epochSeconds} is the training pass plus evolution; evaluation time is separate.
 *
 * @param epoch the epoch, counting from 1
 * @param trainLoss mean training loss per sample over the epoch's batches
 * @param trainAccuracy share of training samples classified right as they were trained, in [0, 1]
 * @param testLoss mean loss per test sample; NaN without a test set or for an autoencoder
 * @param testAccuracy share of test samples classified right, in [0, 1]; NaN when {@code testLoss} is
 * @param connections live connections of the network after the epoch's topology update
 * @param epochSeconds wall time of the training pass plus evolution
 * @param evolutionSeconds wall time of the epoch's topology updates alone, those between its steps included
 *     (part of {@code epochSeconds})
 * @param evalSeconds wall time of the test evaluation
 * @param learningRate the learning rate of the epoch's last batch
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy,
                           long connections, double epochSeconds, double evolutionSeconds, double evalSeconds,
                           float learningRate) {}
