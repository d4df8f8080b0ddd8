package org.dst4j.algorithms.cli;

import java.util.Arrays;
import org.dst4j.nn.init.SparseInit;

/**
 * Refuses, before training, a sparse network that could not learn or could not be built. Over 2^31-1
 * connections in a layer SparseInit stops with a stack trace once the data is loaded; with too few, no
 * input reaches the output, which is then a constant, and the run used to train to chance without a word.
 */
final class LayerCheck {
    private LayerCheck() {}

    /**
     * @param densityOption the option (without --) that sets {@code densities}; its value is quoted in the messages
     * @param network what the layers make up, for the messages ("autoencoder", "DST member"); "" for a command's one network
     * @param densities each layer's density, as the network will be built with
     */
    static void check(Options o, String densityOption, String network, int[] sizes, double[] densities) throws UsageException {
        check(o, densityOption, network, sizes, densities, "raise --" + densityOption);
    }

    /** As {@link #check(Options, String, String, int[], double[])}, where raising the density is not the only way out. */
    static void check(Options o, String densityOption, String network, int[] sizes, double[] densities, String remedy) throws UsageException {
        check(o, densityOption, network, sizes, densities, remedy, true);
    }

    /**
     * As {@link #check(Options, String, String, int[], double[], String)}; {@code everyOutput} false skips the output
     * layer's check, for a network whose outputs are not its product: an autoencoder's unreached outputs are
     * reconstructed as constants, and QuickSelection ranks its inputs.
     */
    static void check(Options o, String densityOption, String network, int[] sizes, double[] densities, String remedy, boolean everyOutput)
            throws UsageException {
        String given = "--" + densityOption + " " + o.string(densityOption), of = network.isEmpty() ? "" : " of the " + network;
        long[] c = new long[densities.length];
        double logPaths = 0;
        for (int l = 0; l < c.length; l++) {
            c[l] = SparseInit.connections(sizes[l + 1], sizes[l], densities[l]);
            String layer = "the " + sizes[l] + " -> " + sizes[l + 1] + " layer" + of;
            if (c[l] > Integer.MAX_VALUE) {
                throw new UsageException("--hidden " + o.string("hidden") + " with " + given + " gives " + layer + " " + c[l]
                        + " connections, over the 2^31-1 one layer holds; use smaller hidden layers or a lower --" + densityOption);
            }
            if (c[l] == 0) throw new UsageException(given + " leaves " + layer + " with no connections, so it could not learn; " + remedy);
            logPaths += Math.log(c[l]) - (l > 0 ? Math.log(sizes[l]) : 0);
        }
        // Connections at uniformly random positions form, on average, prod(c_l) / prod(hidden sizes) input-to-output
        // paths; below one, most such networks have none and every layer having a connection does not help.
        if (logPaths < 0) {
            throw new UsageException(given + " leaves the " + String.join("-", Arrays.stream(sizes).mapToObj(String::valueOf).toList()) + " "
                    + (network.isEmpty() ? "network" : network)
                    + " only " + Arrays.toString(c) + " connections by layer, too few for any input to be expected to reach the output, so it could not learn; "
                    + remedy);
        }
        // Each connection feeds one output; an output fed by none is a constant, a class never predicted.
        int last = c.length - 1, outputs = sizes[last + 1];
        if (everyOutput && c[last] < outputs) {
            throw new UsageException(given + " leaves the " + sizes[last] + " -> " + outputs + " output layer" + of + " only " + c[last]
                    + " connection" + (c[last] == 1 ? "" : "s") + " for its " + outputs + " outputs, so at least " + (outputs - c[last])
                    + " of them could not depend on the input; " + remedy);
        }
    }
}
