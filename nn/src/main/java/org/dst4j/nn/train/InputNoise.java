package org.dst4j.nn.train;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.memory.OffHeap;

/**
 * Additive Gaussian input noise for denoising autoencoders: {@code x + factor·N(0,1)}. The noise of
 * (sample, feature) is a hash of (seed, sample index, feature, epoch key), so it does not depend on
 * batch order or thread count, and survives a resume. With {@code freshEachEpoch} false the same noisy
 * copy is seen every epoch (the QuickSelection reference draws it once before training); the trainer
 * then computes it once into a {@link Table} instead of every epoch.
 *
 * @param factor the noise's standard deviation (>= 0; 0 adds none)
 * @param seed draws the noise
 * @param freshEachEpoch whether each epoch draws new noise, rather than every epoch seeing the same
 *     noisy copy
 */
public record InputNoise(float factor, long seed, boolean freshEachEpoch) {
    /** Checks the factor. */
    public InputNoise {
        if (!(factor >= 0 && Float.isFinite(factor))) throw new IllegalArgumentException("noise factor must be >= 0, got " + factor);
    }

    long key(int epoch) {
        return RandomStream.mix(seed ^ (freshEachEpoch ? RandomStream.mix(epoch + 1L) : 0L));
    }

    /** The noise of one sample into {@code out[0, features)}: Box–Muller pairs on hashed uniforms. */
    void sample(long key, long sample, float[] out) {
        long base = RandomStream.mix(key + sample * 0x9E3779B97F4A7C15L);
        for (int f = 0; f < out.length; f += 2) {
            long h1 = RandomStream.mix(base + f + 1), h2 = RandomStream.mix(base + f + 2);
            double u = ((h1 >>> 11) + 1) * 0x1.0p-53, v = (h2 >>> 11) * 0x1.0p-53;
            double r = factor * StrictMath.sqrt(-2 * StrictMath.log(u)), a = 2 * Math.PI * v;
            out[f] = (float) (r * StrictMath.cos(a));
            if (f + 1 < out.length) out[f + 1] = (float) (r * StrictMath.sin(a));
        }
    }

    /** Adds noise to the batch {@code x} whose column {@code c} is sample {@code samples[from + c]}. */
    public void apply(WorkerPool pool, DenseMatrix x, int[] samples, int from, int epoch) {
        if (factor == 0) return;
        long key = key(epoch);
        pool.run(x.cols(), (c0, c1) -> {
            float[] noise = new float[x.rows()];
            for (int c = c0; c < c1; c++) {
                sample(key, samples[from + c], noise);
                for (int f = 0; f < noise.length; f++) x.set(f, c, x.get(f, c) + noise[f]);
            }
        });
    }

    /** The noise of every sample, computed once (for {@code freshEachEpoch == false}). The caller closes it. */
    public Table precompute(WorkerPool pool, int samples, int features) {
        return new Table(this, pool, samples, features);
    }

    /** Noise of all samples, off-heap, row-major {@code [samples x features]}. */
    public static final class Table implements AutoCloseable {
        private final Arena arena;
        private final MemorySegment data;
        private final int features;

        private Table(InputNoise noise, WorkerPool pool, int samples, int features) {
            this.features = features;
            Arena a = OffHeap.newShared();
            MemorySegment table;
            try {
                table = a.allocate(JAVA_FLOAT, Math.max(1, (long) samples * features));
                long key = noise.key(0);
                pool.run(samples, (s0, s1) -> {
                    float[] row = new float[features];
                    for (int s = s0; s < s1; s++) {
                        noise.sample(key, s, row);
                        MemorySegment.copy(row, 0, table, JAVA_FLOAT, (long) s * features * Float.BYTES, features); // offset in bytes
                    }
                });
            } catch (RuntimeException | Error e) {
                // e.g. a closed pool: no one else could ever free the table
                a.close();
                throw e;
            }
            this.arena = a;
            this.data = table;
        }

        /**
         * Adds the stored noise to the batch {@code x} whose column {@code c} is sample {@code samples[from + c]}.
         *
         * @throws IllegalArgumentException if {@code x} does not have the table's number of features
         */
        public void addTo(WorkerPool pool, DenseMatrix x, int[] samples, int from) {
            if (x.rows() != features) throw new IllegalArgumentException("a batch of " + x.rows() + " features, noise of " + features);
            pool.run(features, (f0, f1) -> x.gatherTransposed(data, samples, from, x.cols(), f0, f1, true));
        }

        /** Frees the table. Closing again does nothing. */
        @Override
        public synchronized void close() {
            if (arena.scope().isAlive()) arena.close();
        }
    }
}
