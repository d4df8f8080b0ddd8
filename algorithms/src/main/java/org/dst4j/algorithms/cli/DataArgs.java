package org.dst4j.algorithms.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.dst4j.nn.data.DataFormatException;
import org.dst4j.nn.data.DataOptions;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;

/** The data options every algorithm command shares. */
final class DataArgs {
    private DataArgs() {}

    static Options declare(Options o) {
        return o.option("data", null, "a directory of IDX files, or a .csv / .npy file (default: embedded fashion-mnist-small)")
                .option("dataset", null, "a named dataset: fashion-mnist, mnist (looked up in $DST4J_DATA, then /usr/share/datasets), or fashion-mnist-small (the embedded subset, the default)")
                .option("test-data", null, "test file for --data FILE (.csv or .npy)")
                .option("labels", null, "labels .npy for --data FEATURES.npy")
                .option("test-labels", null, "labels .npy for --test-data")
                .option("label-column", "last", "CSV label column: last, first or a 0-based index")
                .option("test-fraction", "0.2", "held-out share when only one file is given")
                .option("limit-train", "0", "use at most this many training samples (0 = all)")
                .option("limit-test", "0", "use at most this many test samples (0 = all)")
                .flag("no-standardize", "do not standardize features (by default: mean 0, std 1, fitted on train)");
    }

    /** Loads the data to train on (see {@link DataSources#load(DataOptions)}); its warnings go to stderr. */
    static DatasetSplit load(Options o, long seed) throws UsageException, DataFormatException {
        DataOptions d = parse(o, seed);
        DatasetSplit split = warn(o, reading(() -> DataSources.load(d)));
        // One class (every label the same: a wrong label column, say) made a classifier that scored 1.0 from its first
        // epoch. QuickSelection, which reads no labels, loads with loadFeatures.
        int[] labels = split.train().labels();
        if (labels.length > 0 && Arrays.stream(labels).allMatch(l -> l == labels[0])) {
            split.close();
            throw new DataFormatException((o.given("data") ? "--data " + o.path("data") : split.train().name()) + ": every training label is "
                    + labels[0] + ", one class, which a classifier learns nothing from; expected at least 2 classes (is the label column,"
                    + " --label-column, or the --labels file the right one?"
                    + (o.given("limit-train") ? " or does --limit-train " + o.string("limit-train") + " keep only the first samples of data sorted by label?" : "")
                    + ")");
        }
        return split;
    }

    /** Loads data whose labels are not trained on (see {@link #load}, which refuses one class). */
    static DatasetSplit loadFeatures(Options o, long seed) throws UsageException, DataFormatException {
        DataOptions d = parse(o, seed);
        return warn(o, reading(() -> DataSources.load(d)));
    }

    /**
     * Loads data to apply a trained model of {@code inputs} features and {@code classes} classes to (see
     * {@link DataSources#loadForModel}); {@code seed} draws a single file's held-out split.
     */
    static DatasetSplit loadForModel(Options o, long seed, int inputs, int classes) throws UsageException, DataFormatException {
        DataOptions d = parse(o, seed);
        return warn(o, reading(() -> DataSources.loadForModel(d, inputs, classes)));
    }

    /** Loads only the test set, for data with a test set of its own (see {@link DataSources#testForModel}). */
    static Dataset testForModel(Options o, int inputs, int classes) throws UsageException, DataFormatException {
        DataOptions d = parse(o, 0);
        return reading(() -> DataSources.testForModel(d, inputs, classes));
    }

    /**
     * Memory ran out while the data was read ({@link Main} says so): --limit-train and --limit-test, which take their
     * samples once the whole file is read, are no help then, where the general advice named them.
     */
    static final class DataTooLarge extends RuntimeException {
        DataTooLarge(OutOfMemoryError cause) {
            super(cause);
        }
    }

    private interface Read<T> {
        T get() throws DataFormatException;
    }

    private static <T> T reading(Read<T> read) throws DataFormatException {
        try {
            return read.get();
        } catch (OutOfMemoryError e) {
            throw new DataTooLarge(e);
        }
    }

    /** Whether the test set is held out of a single --data file, drawn by the seed (no test file of its own). */
    static boolean heldOut(Options o) throws UsageException {
        return o.given("data") && !Files.isDirectory(o.path("data")) && !o.given("test-data");
    }

    private static DatasetSplit warn(Options o, DatasetSplit split) {
        for (String w : split.warnings()) System.err.println("dst4j " + o.command() + ": warning: " + w);
        return split;
    }

    // Each data source reads only some of the file options; one given for another source would be ignored.
    private static void unusedBySource(Options o) throws UsageException {
        Path data = o.given("data") ? o.path("data") : null;
        if (data == null) {
            for (String n : new String[] {"test-data", "labels", "test-labels", "label-column", "test-fraction"}) {
                if (o.given(n)) throw new UsageException("--" + n + " applies to a --data file; " + (o.given("dataset") ? "--dataset " + o.string("dataset")
                        : "the embedded dataset") + " comes with its own labels and test split");
            }
            return;
        }
        String name = data.getFileName() == null ? "" : data.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean idx = Files.isDirectory(data), npy = !idx && name.endsWith(".npy");
        boolean csv = !idx && DataSources.isCsv(data);
        String[] unused = idx ? new String[] {"labels", "test-labels", "label-column", "test-fraction"}
                : npy ? new String[] {"label-column"} : csv ? new String[] {"labels", "test-labels"} : new String[0];
        for (String n : unused) {
            if (o.given(n)) {
                throw new UsageException("--" + n + " does not apply to --data " + data + (idx ? ", an IDX directory with its own labels and test split"
                        : npy ? ", a .npy array (its labels come from --labels)" : ", a CSV file (its labels are a column: --label-column)"));
            }
        }
        // A .npy's --test-labels belongs to its --test-data; without it the test split is held out and the file was ignored.
        if (npy && o.given("test-labels") && !o.given("test-data")) {
            throw new UsageException("--test-labels labels a --test-data file; without --test-data the test split is held out of --data " + data);
        }
        if (o.given("test-data") && o.given("test-fraction")) {
            throw new UsageException("--test-fraction holds out part of a single --data file; with --test-data the test split is that file");
        }
    }

    static DataOptions parse(Options o, long seed) throws UsageException {
        if (o.given("data") && o.given("dataset")) throw new UsageException("give --data or --dataset, not both");
        for (String name : new String[] {"data", "test-data", "labels", "test-labels"}) {
            // Path.of("") is the working directory: an empty value (say, an unset shell variable) would be
            // looked for there and reported with an empty name.
            String v = o.string(name);
            if (v != null && v.isBlank()) throw new UsageException("--" + name + ": expected a file or directory, got '" + v + "'");
        }
        unusedBySource(o);
        return new DataOptions(o.path("data"), o.path("test-data"), o.path("labels"), o.path("test-labels"),
                o.string("dataset"), o.string("label-column"), o.number("test-fraction", 0.0, 0.99), seed,
                o.integer("limit-train", 0, Integer.MAX_VALUE), o.integer("limit-test", 0, Integer.MAX_VALUE));
    }
}
