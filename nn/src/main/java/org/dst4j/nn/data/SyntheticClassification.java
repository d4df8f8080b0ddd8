package org.dst4j.nn.data;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;

/**
 * Seeded synthetic classification data of any width, for benchmarks at scale: {@code informative}
 * features (at seeded positions) carry a class-dependent mean of {@code ±separation}, every feature
 * carries uniform noise of unit variance. Each value is a hash of (seed, sample, feature), so the data
 * is the same whatever the thread count, and train and test sets are disjoint ranges of one
 * infinite stream. Stored off-heap with long offsets: more than 2^31 values are fine.
 */
public final class SyntheticClassification {
    private static final float NOISE = (float) Math.sqrt(3.0);   // uniform on [-sqrt3, sqrt3]: variance 1

    private final long seed;
    private final int features;
    private final int classes;
    private final int[] informative;     // feature -> index into the class means, or -1
    private final float[][] means;       // [class][informative index]

    /**
     * @throws IllegalArgumentException naming the argument, for non-positive sizes, fewer than 2
     *     classes or more informative features than features
     */
    public SyntheticClassification(long seed, int features, int informative, int classes, float separation) {
        if (features < 1) throw new IllegalArgumentException("features must be >= 1, got " + features);
        if (classes < 2) throw new IllegalArgumentException("classes must be >= 2, got " + classes);
        if (informative < 1 || informative > features) {
            throw new IllegalArgumentException("informative features must be in [1, " + features + "], got " + informative);
        }
        this.seed = seed;
        this.features = features;
        this.classes = classes;
        RandomStream rnd = new RandomStream(seed).split("informative");
        int[] perm = new int[features];
        for (int i = 0; i < features; i++) perm[i] = i;
        for (int i = 0; i < informative; i++) {
            int j = i + rnd.nextInt(features - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        this.informative = new int[features];
        Arrays.fill(this.informative, -1);
        for (int i = 0; i < informative; i++) this.informative[perm[i]] = i;
        this.means = new float[classes][informative];
        for (int c = 0; c < classes; c++) {
            for (int i = 0; i < informative; i++) means[c][i] = rnd.nextLong() < 0 ? -separation : separation;
        }
    }

    /** Samples {@code [first, first + samples)} of the stream, generated on {@code pool}. */
    public Dataset generate(String name, long first, int samples, WorkerPool pool) {
        if (samples < 0) throw new IllegalArgumentException("samples must be >= 0, got " + samples);
        int[] labels = new int[samples];
        for (int i = 0; i < samples; i++) labels[i] = label(first + i);
        Dataset d = Dataset.allocate(name, samples, features, labels, classes, 0, 0);
        pool.run(samples, (from, to) -> {
            for (int i = from; i < to; i++) {
                MemorySegment row = d.features(i);
                long s = first + i;
                float[] mu = means[labels[i]];
                for (int f = 0; f < features; f++) {
                    float v = NOISE * (2f * unit(RandomStream.mix(seed ^ RandomStream.mix(s * 0x9E3779B97F4A7C15L + f))) - 1f);
                    int j = informative[f];
                    if (j >= 0) v += mu[j];
                    row.setAtIndex(JAVA_FLOAT, f, v);
                }
            }
        });
        return d;
    }

    private int label(long sample) {
        return (int) Long.remainderUnsigned(RandomStream.mix(~seed ^ RandomStream.mix(sample)), classes);
    }

    private static float unit(long h) {
        return (h >>> 40) * 0x1.0p-24f;
    }
}
