package org.dst4j.algorithms;

import java.util.Random;
import org.dst4j.nn.data.Dataset;

/** Four classes of Gaussian samples, class c shifted by {@code shift} on the features j with j % 4 == c. */
public final class Blobs {
    private Blobs() {}

    /** {@code n} samples of {@code features} features, labels 0, 1, 2, 3 in turn. */
    public static Dataset of(String name, Random r, int n, int features, float shift) {
        int classes = 4;
        float[] x = new float[n * features];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            for (int j = 0; j < features; j++) x[i * features + j] = (float) r.nextGaussian() + (j % classes == y[i] ? shift : 0f);
        }
        return Dataset.of(name, x, n, features, y, classes);
    }
}
