package org.dst4j.nn.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the data comes from. With neither {@code data} nor {@code dataset}, the embedded
 * {@code fashion-mnist-small} is used, so a first run needs no download.
 *
 * @param data a directory of IDX files, or a {@code .csv} / {@code .npy} file; null: {@code dataset}
 * @param testData for a {@code .csv} or {@code .npy} {@code data} file: a separate test file of the same
 *     format, instead of holding out {@code testFraction} of {@code data}; null: held out
 * @param labels for a {@code .npy} {@code data} file (required there): the {@code .npy} array of its labels
 * @param testLabels the {@code .npy} array of {@code testData}'s labels, required with a {@code .npy} test file
 * @param dataset a named dataset ({@code fashion-mnist}, {@code mnist}, {@code fashion-mnist-small})
 * @param labelColumn for CSV: {@code last}, {@code first} or a 0-based index (not null)
 * @param testFraction share held out when a single file is given
 * @param seed draws a single file's held-out test split
 * @param limitTrain at most this many training samples (0 = all)
 * @param limitTest at most this many test samples (0 = all)
 */
public record DataOptions(Path data, Path testData, Path labels, Path testLabels, String dataset, String labelColumn,
                          double testFraction, long seed, int limitTrain, int limitTest) {

    // Standardization is not a data option: each algorithm fits its own on the training split, and only
    // the algorithm knows whether and how its inputs are scaled.

    /**
     * Checks the options that need no file to check.
     *
     * @throws NullPointerException if {@code labelColumn} is null
     * @throws IllegalArgumentException naming the limit, if {@code limitTrain} or {@code limitTest} is negative
     */
    public DataOptions {
        Objects.requireNonNull(labelColumn, "labelColumn");
        if (limitTrain < 0) throw new IllegalArgumentException("limitTrain must be >= 0 (0 = all), got " + limitTrain);
        if (limitTest < 0) throw new IllegalArgumentException("limitTest must be >= 0 (0 = all), got " + limitTest);
    }

    /** The embedded default dataset. */
    public static DataOptions embedded() {
        return new DataOptions(null, null, null, null, null, "last", 0.2, 0, 0, 0);
    }

    /** A directory of IDX files. */
    public static DataOptions idx(Path dir) {
        Objects.requireNonNull(dir, "dir");
        return new DataOptions(dir, null, null, null, null, "last", 0.2, 0, 0, 0);
    }

    /** A named dataset. */
    public static DataOptions named(String name) {
        Objects.requireNonNull(name, "name");
        return new DataOptions(null, null, null, null, name, "last", 0.2, 0, 0, 0);
    }
}
