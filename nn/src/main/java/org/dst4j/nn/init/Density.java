package org.dst4j.nn.init;

import java.util.Arrays;

/**
 * Per-layer connection densities for a stack of sparse layers of sizes {@code sizes[0] -> sizes[1] -> …}.
 */
public sealed interface Density {

    /** The density of each layer (length {@code sizes.length - 1}), each in [0, 1]. */
    double[] densities(int[] sizes);

    /**
     * Erdős–Rényi as in SET: density {@code epsilon (n_in + n_out) / (n_in n_out)}, capped at 1 (a small
     * layer such as 1000x10 at epsilon 20 is then simply dense).
     *
     * @param epsilon the sparsity scale, > 0
     */
    record ErdosRenyi(double epsilon) implements Density {
        /** @throws IllegalArgumentException if {@code epsilon} is not > 0 */
        public ErdosRenyi {
            if (!(epsilon > 0)) throw new IllegalArgumentException("epsilon must be > 0, got " + epsilon);
        }

        @Override public double[] densities(int[] sizes) {
            double[] d = new double[sizes.length - 1];
            for (int l = 0; l < d.length; l++) {
                double in = sizes[l], out = sizes[l + 1];
                d[l] = Math.min(1.0, epsilon * (in + out) / (in * out));
            }
            return d;
        }
    }

    /**
     * The same density in every layer.
     *
     * @param density each layer's share of live connections, in [0, 1]
     */
    record Uniform(double density) implements Density {
        /** @throws IllegalArgumentException if {@code density} is not in [0, 1] */
        public Uniform {
            if (!(density >= 0 && density <= 1)) throw new IllegalArgumentException("density must be in [0, 1], got " + density);
        }

        @Override public double[] densities(int[] sizes) {
            double[] d = new double[sizes.length - 1];
            Arrays.fill(d, density);
            return d;
        }
    }

    /**
     * Erdős–Rényi-Kernel as in RigL (Evci et al. 2020), for MLPs: densities proportional to
     * {@code (n_in + n_out)/(n_in n_out)}, scaled so the whole network has {@code globalDensity} of its
     * dense connection count; a layer that would exceed 1 is made dense and the rest re-scaled.
     *
     * @param globalDensity the whole network's share of live connections, in (0, 1]
     */
    record Erk(double globalDensity) implements Density {
        /** @throws IllegalArgumentException if {@code globalDensity} is not in (0, 1] */
        public Erk {
            if (!(globalDensity > 0 && globalDensity <= 1)) throw new IllegalArgumentException("global density must be in (0, 1], got " + globalDensity);
        }

        @Override public double[] densities(int[] sizes) {
            int layers = sizes.length - 1;
            double[] d = new double[layers];
            boolean[] dense = new boolean[layers];
            double total = 0;
            for (int l = 0; l < layers; l++) total += (double) sizes[l] * sizes[l + 1];
            while (true) {
                double budget = globalDensity * total, raw = 0;
                for (int l = 0; l < layers; l++) {
                    double n = (double) sizes[l] * sizes[l + 1];
                    if (dense[l]) budget -= n;
                    else raw += (sizes[l] + sizes[l + 1]);
                }
                // raw * eps = budget, where layer l gets eps * (n_in + n_out) connections
                double eps = raw == 0 ? 0 : budget / raw;
                boolean changed = false;
                for (int l = 0; l < layers; l++) {
                    if (dense[l]) {
                        d[l] = 1.0;
                        continue;
                    }
                    double n = (double) sizes[l] * sizes[l + 1];
                    d[l] = eps * (sizes[l] + sizes[l + 1]) / n;
                    if (d[l] > 1.0) {
                        dense[l] = true;
                        changed = true;
                    }
                }
                if (!changed) return d;
            }
        }
    }
}
