package org.dst4j.nn.data;

import java.nio.file.Path;

/**
 * Where the data comes from. With neither {@code data} nor {@code dataset}, the embedded
 * {@code fashion-mnist-small} is used, so a first run needs no download.
 *
 * @param data a directory of IDX files, or a {@code .csv} / {@code .npy} file
 * @param dataset a named dataset ({@code fashion-mnist}, {@code mnist}, {@code fashion-mnist-small})
 * @param labelColumn for CSV: {@code last}, {@code first} or a 0-based index
 * @param testFraction share held out when a single file is given
 * @param standardize fit mean/std on train and apply to both splits
 * @param limitTrain at most this many training samples (0 = all)
 * @param limitTest at most this many test samples (0 = all)
 */
public record DataOptions(Path data, Path testData, Path labels, Path testLabels, String dataset, String labelColumn,
                          double testFraction, boolean standardize, long seed, int limitTrain, int limitTest) {

    /** The embedded default dataset, no standardization. */
    public static DataOptions embedded() {
        return new DataOptions(null, null, null, null, null, "last", 0.2, false, 0, 0, 0);
    }

    /** A directory of IDX files. */
    public static DataOptions idx(Path dir) {
        return new DataOptions(dir, null, null, null, null, "last", 0.2, false, 0, 0, 0);
    }

    /** A named dataset. */
    public static DataOptions named(String name) {
        return new DataOptions(null, null, null, null, name, "last", 0.2, false, 0, 0, 0);
    }
}
