package org.dst4j.nn.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.parallel.WorkerPool;
import org.junit.jupiter.api.Test;

class InputNoiseTest {
    private static final int FEATURES = 37, SAMPLES = 50, BATCH = 19;

    private static DenseMatrix batch(float[][] values) {
        DenseMatrix x = DenseMatrix.allocate(FEATURES, BATCH);
        for (int f = 0; f < FEATURES; f++) for (int c = 0; c < BATCH; c++) x.set(f, c, values[f][c]);
        return x;
    }

    private static float[][] values() {
        float[][] v = new float[FEATURES][BATCH];
        for (int f = 0; f < FEATURES; f++) for (int c = 0; c < BATCH; c++) v[f][c] = (f * 7 + c * 3) % 11 / 11f;
        return v;
    }

    private static int[] order() {
        int[] order = new int[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) order[i] = (i * 17 + 5) % SAMPLES;
        return order;
    }

    // A column gets its own sample's noise, whatever its place in the batch and the thread count: the
    // precomputed table, and the noise drawn per batch, give it the same bits.
    @Test
    void eachColumnGetsItsSamplesNoiseFromTheTableAndFromTheDraw() {
        InputNoise noise = new InputNoise(0.3f, 11, false);
        float[][] v = values();
        int[] order = order();
        int from = 6;
        float[] own = new float[FEATURES];
        for (int threads : new int[] {1, 3}) {
            try (WorkerPool pool = new WorkerPool(threads);
                 InputNoise.Table table = noise.precompute(pool, SAMPLES, FEATURES);
                 DenseMatrix a = batch(v); DenseMatrix b = batch(v)) {
                table.addTo(pool, a, order, from);
                noise.apply(pool, b, order, from, 4);
                for (int c = 0; c < BATCH; c++) {
                    noise.sample(noise.key(0), order[from + c], own);
                    for (int f = 0; f < FEATURES; f++) {
                        assertThat(a.get(f, c)).as("table (%d, %d), %d threads", f, c, threads).isEqualTo(v[f][c] + own[f]);
                        assertThat(b.get(f, c)).as("drawn (%d, %d), %d threads", f, c, threads).isEqualTo(v[f][c] + own[f]);
                    }
                }
            }
        }
    }

    @Test
    void freshNoiseDiffersBetweenEpochsAndIsGaussianOfTheFactor() {
        InputNoise noise = new InputNoise(0.5f, 3, true);
        float[][] zero = new float[FEATURES][BATCH];
        int[] order = order();
        double sum = 0, squares = 0;
        int count = 0, same = 0;
        try (WorkerPool pool = new WorkerPool(2); DenseMatrix e0 = batch(zero); DenseMatrix e1 = batch(zero)) {
            noise.apply(pool, e0, order, 0, 0);
            noise.apply(pool, e1, order, 0, 1);
            for (int f = 0; f < FEATURES; f++) for (int c = 0; c < BATCH; c++) {
                double z = e0.get(f, c);
                sum += z;
                squares += z * z;
                count++;
                same += e0.get(f, c) == e1.get(f, c) ? 1 : 0;
            }
        }
        double mean = sum / count, sd = Math.sqrt(squares / count - mean * mean);
        assertThat(mean).isCloseTo(0, within(0.06));
        assertThat(sd).isCloseTo(0.5, within(0.05));
        assertThat(same).as("equal values in two epochs").isLessThan(count / 100);
    }

    @Test
    void aZeroFactorAddsNothing() {
        InputNoise noise = new InputNoise(0f, 1, false);
        float[][] v = values();
        try (WorkerPool pool = new WorkerPool(1); DenseMatrix x = batch(v)) {
            noise.apply(pool, x, order(), 0, 0);
            for (int f = 0; f < FEATURES; f++) for (int c = 0; c < BATCH; c++) assertThat(x.get(f, c)).isEqualTo(v[f][c]);
        }
    }

    // Box-Muller fills the features two at a time: with an odd count (the other tests' 37) a loop running one pair
    // too far stops anyway; an even count must get noise in each feature and nothing beyond.
    @Test
    void anEvenNumberOfFeaturesGetsNoiseInEveryOne() {
        InputNoise noise = new InputNoise(0.5f, 3, false);
        float[] four = new float[4];
        noise.sample(noise.key(0), 2, four);
        for (float z : four) assertThat(z).isNotZero();
        float[] five = new float[5];
        noise.sample(noise.key(0), 2, five);
        assertThat(Arrays.copyOf(five, 4)).as("the first pairs as for four features").containsExactly(four);
        try (WorkerPool pool = new WorkerPool(1); InputNoise.Table table = noise.precompute(pool, 3, 4);
             DenseMatrix x = DenseMatrix.allocate(4, 1)) {
            table.addTo(pool, x, new int[] {2}, 0);
            for (int f = 0; f < 4; f++) assertThat(x.get(f, 0)).isEqualTo(four[f]);
        }
    }

    // A closed table has freed its memory: using it is refused, closing it again does nothing.
    @Test
    void aClosedTableIsFreed() {
        InputNoise noise = new InputNoise(0.5f, 3, false);
        try (WorkerPool pool = new WorkerPool(1); DenseMatrix x = DenseMatrix.allocate(4, 1)) {
            InputNoise.Table table = noise.precompute(pool, 3, 4);
            table.close();
            assertThatThrownBy(() -> table.addTo(pool, x, new int[] {2}, 0)).isInstanceOf(IllegalStateException.class);
            table.close();
        }
    }
}
