package org.dst4j.runtime.random;

/**
 * A seeded pseudo-random stream (xoshiro256**, seeded through SplitMix64). Not thread-safe: each
 * consumer owns its stream. Its whole state can be read and restored, so a resumed run draws exactly
 * what an uninterrupted one would.
 */
public final class RandomStream {
    private long s0, s1, s2, s3;

    /** A stream seeded from one 64-bit value. */
    public RandomStream(long seed) {
        long x = seed;
        x += 0x9E3779B97F4A7C15L; s0 = mix(x);
        x += 0x9E3779B97F4A7C15L; s1 = mix(x);
        x += 0x9E3779B97F4A7C15L; s2 = mix(x);
        x += 0x9E3779B97F4A7C15L; s3 = mix(x);
    }

    /** SplitMix64's finalizer: a bijective 64-bit hash, for counter-based randomness (dropout masks, input noise). */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * A child stream named {@code name}, derived from this stream's current state without advancing it:
     * splitting again before the next draw gives the same child, so a caller that splits once per update
     * draws from this stream in between (as {@code SparseMlp.evolve} does).
     */
    public RandomStream split(String name) {
        return new RandomStream(mix(s0 ^ mix(s1 + RngStreams.nameHash(name))));
    }

    /** A child stream for an index (a layer, a member, a task), derived from the current state as {@link #split(String)}. */
    public RandomStream split(long index) {
        return new RandomStream(mix(s0 ^ mix(s1 + 0x632BE59BD9B4E019L * (index + 1))));
    }

    /** The next 64 random bits (xoshiro256**). */
    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /**
     * Uniform in {@code [0, bound)}, unbiased.
     *
     * @throws IllegalArgumentException if {@code bound <= 0}
     */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be > 0, got " + bound);
        return (int) nextLong(bound);
    }

    /**
     * Uniform in {@code [0, bound)}, unbiased (Lemire's method).
     *
     * @throws IllegalArgumentException if {@code bound <= 0}
     */
    public long nextLong(long bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be > 0, got " + bound);
        while (true) {
            long x = nextLong();
            long hi = Math.multiplyHigh(x, bound) + ((x >> 63) & bound);
            long lo = x * bound;
            if (Long.compareUnsigned(lo, bound) >= 0 || Long.compareUnsigned(lo, Long.remainderUnsigned(-bound, bound)) >= 0) {
                return hi;
            }
        }
    }

    /** Uniform in {@code [0, 1)}. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in {@code [0, 1)}. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Standard normal, by Box–Muller (two uniforms per draw, no cached state). */
    public double nextGaussian() {
        double u = 1.0 - nextDouble();
        double v = nextDouble();
        return StrictMath.sqrt(-2.0 * StrictMath.log(u)) * StrictMath.cos(2.0 * Math.PI * v);
    }

    /** Shuffles {@code a} in place (Fisher–Yates). */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** The stream's state, for checkpoints. */
    public long[] state() {
        return new long[] {s0, s1, s2, s3};
    }

    /**
     * Restores a state read by {@link #state()}.
     *
     * @throws IllegalArgumentException unless {@code state} is 4 longs, not all zero
     */
    public void restore(long[] state) {
        if (state.length != 4) throw new IllegalArgumentException("RNG state must have 4 longs, got " + state.length);
        if ((state[0] | state[1] | state[2] | state[3]) == 0) throw new IllegalArgumentException("RNG state must not be all zero");
        s0 = state[0];
        s1 = state[1];
        s2 = state[2];
        s3 = state[3];
    }
}
