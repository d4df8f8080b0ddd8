package org.dst4j.algorithms;

import java.util.List;
import org.dst4j.nn.layer.SparseLinear;

/**
 * SparseMlp's training-FLOP rule for one sample, to pin a run's figures: 2 FLOPs per connection for each product
 * (forward, weight gradient, and the transposed one wherever the layer's input gradient is needed). A run whose
 * topology updates regrow at random (which costs nothing and replaces exactly what was pruned) has its saved
 * model's connections at every step.
 */
public final class TrainingFlops {
    private TrainingFlops() {}

    /**
     * @param layers a network's layers, input side first
     * @param firstInputGradient whether the first layer's input gradient is computed (a head on a backbone)
     * @param dense every layer counted at {@code in x out} connections instead of its live ones
     */
    public static long perSample(List<SparseLinear> layers, boolean firstInputGradient, boolean dense) {
        long f = 0;
        for (int l = 0; l < layers.size(); l++) {
            SparseLinear layer = layers.get(l);
            f += 2L * (l == 0 && !firstInputGradient ? 2 : 3) * (dense ? (long) layer.in() * layer.out() : layer.connections());
        }
        return f;
    }
}
