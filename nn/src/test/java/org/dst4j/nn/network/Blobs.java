package org.dst4j.nn.network;

import org.dst4j.runtime.random.RandomStream;

/** Gaussian blobs: class c centred on a random point, for tests that need a learnable task. */
record Blobs(float[] x, int[] y, int n, int d, int classes) {
    static Blobs make(int n, int d, int classes, float spread, long seed) {
        RandomStream rnd = new RandomStream(seed);
        float[][] centres = new float[classes][d];
        for (float[] c : centres) for (int i = 0; i < d; i++) c[i] = (float) rnd.nextGaussian();
        float[] x = new float[n * d];
        int[] y = new int[n];
        for (int s = 0; s < n; s++) {
            y[s] = rnd.nextInt(classes);
            for (int i = 0; i < d; i++) x[s * d + i] = centres[y[s]][i] + spread * (float) rnd.nextGaussian();
        }
        return new Blobs(x, y, n, d, classes);
    }
}
