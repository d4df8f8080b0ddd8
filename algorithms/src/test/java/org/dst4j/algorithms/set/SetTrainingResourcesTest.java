package org.dst4j.algorithms.set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;

/** A training call that fails must not leave its off-heap network behind. */
class SetTrainingResourcesTest {

    private static SetConfig config(int hidden, double epsilon, float momentum, float weightDecay, String optimizer) {
        return new SetConfig(new int[] {hidden}, epsilon, 0.3, 1, 8, 0.01f, momentum, weightDecay, 0f, "relu", 0.6f, optimizer,
                "constant", "he-uniform", 1, 1);
    }

    @Test
    void optimizerSettingsAreCheckedBeforeTheNetworkIsBuilt() {
        // 100,000 inputs, 100,000 hidden, dense (epsilon 1e9): building this network fails at once, before
        // allocating, with "exceeds the 2^31-1 per-layer limit". A bad optimizer setting reported instead shows
        // it was checked before any network was built, so none can be left behind.
        try (Dataset wide = Dataset.of("wide", new float[0], 0, 100_000, new int[0], 2); DatasetSplit data = new DatasetSplit(wide, wide)) {
            assertThatThrownBy(() -> SetTraining.train(config(100_000, 1e9, Float.NaN, 0f, "sgd"), data, false, null, new SetTraining.Progress() {}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("momentum");
            assertThatThrownBy(() -> SetTraining.train(config(100_000, 1e9, 0.9f, -1f, "sgd"), data, false, null, new SetTraining.Progress() {}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight decay");
            assertThatThrownBy(() -> SetTraining.train(config(100_000, 1e9, 0.9f, 0f, "bogus"), data, false, null, new SetTraining.Progress() {}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("optimizer");
        }
    }

    @Test
    void aProgressThatFailsAtStartLeavesTheNetworkClosed() {
        SetConfig cfg = config(8, 2, 0.9f, 0f, "sgd");
        float[] x = new float[4 * 3];
        try (Dataset d = Dataset.of("tiny", x, 4, 3, new int[] {0, 1, 0, 1}, 2); DatasetSplit data = new DatasetSplit(d, d)) {
            for (SetTraining.Progress progress : new SetTraining.Progress[] {null, new SetTraining.Progress() {
                @Override public void start(SetConfig c) {
                    throw new IllegalStateException("display gone");
                }
            }}) {
                SparseMlp net = SparseMlp.create(SetTraining.mlpConfig(cfg, 3, 2), new RandomStream(1), 2);
                assertThatThrownBy(() -> SetTraining.run(cfg, data, null, net, SetTraining.optimizer(cfg),
                        new Trainer.State(new RandomStream(3), new RandomStream(4)), null, false, progress))
                        .isInstanceOfAny(NullPointerException.class, IllegalStateException.class);
                try (WorkerPool pool = new WorkerPool(1); DenseMatrix in = DenseMatrix.allocate(3, 1)) {
                    assertThatThrownBy(() -> net.predict(new ParallelKernels(KernelProvider.get(), pool), in))
                            .isInstanceOf(IllegalStateException.class);
                }
            }
        }
    }
}
