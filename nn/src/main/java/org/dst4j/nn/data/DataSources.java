package org.dst4j.nn.data;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.resource.Closing;

/** Resolves {@link DataOptions} to a train/test split. */
public final class DataSources {
    /** Where Debian's {@code dataset-fashion-mnist} package installs the files. */
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
    /**
     * The name of the small dataset built into dst4j (a part of Fashion-MNIST, in IDX files among its
     * resources): what {@link DataOptions} without {@code data} or {@code dataset} loads, so a first run
     * needs no download.
     */
    public static final String EMBEDDED = "fashion-mnist-small";

    private DataSources() {}

    /** Loads with the process environment. */
    public static DatasetSplit load(DataOptions o) throws DataFormatException {
        return load(o, System.getenv());
    }

    /**
     * Loads data to train on, looking named datasets up in {@code env.get("DST4J_DATA")} first. The
     * training labels define the classes (see {@link #checkLabels}): a test label outside them fails here,
     * not in the middle of an evaluation.
     */
    public static DatasetSplit load(DataOptions o, Map<String, String> env) throws DataFormatException {
        return load(o, env, TRAINING);
    }

    /**
     * Loads data to apply an already trained model to, a model taking {@code modelInputs} features and
     * predicting {@code modelClasses} classes. Test samples of another feature count fail first
     * ({@link FeatureCountException}); then the model, not this training split, defines the classes: a label
     * of a test sample that will be scored (within {@code o.limitTest()}) outside them fails here, naming its
     * labels file. The training labels are not checked (the model is not trained on them).
     */
    public static DatasetSplit loadForModel(DataOptions o, int modelInputs, int modelClasses) throws DataFormatException {
        Objects.requireNonNull(o, "options");
        if (modelInputs < 1) throw new IllegalArgumentException("modelInputs must be >= 1, got " + modelInputs);
        if (modelClasses < 1) throw new IllegalArgumentException("modelClasses must be >= 1, got " + modelClasses);
        return load(o, System.getenv(), new Model(modelInputs, modelClasses, o.limitTest()));
    }

    /**
     * Loads only the test set, to apply an already trained model to, when the data has a test set of its own:
     * an IDX directory, a named dataset, the embedded one, or a data file with {@code o.testData()}. The
     * training files are not read: Fashion-MNIST's 60,000 training images were most of what scoring a model
     * held in memory. The same checks as {@link #loadForModel}; {@code o.limitTest()} applies.
     *
     * @throws DataOptionException for a single data file without a test file, whose test split is drawn from
     *     the whole file (use {@link #loadForModel})
     */
    public static Dataset testForModel(DataOptions o, int modelInputs, int modelClasses) throws DataFormatException {
        Objects.requireNonNull(o, "options");
        if (modelInputs < 1) throw new IllegalArgumentException("modelInputs must be >= 1, got " + modelInputs);
        if (modelClasses < 1) throw new IllegalArgumentException("modelClasses must be >= 1, got " + modelClasses);
        CsvReader.checkLabelColumn(o.labelColumn());
        Model model = new Model(modelInputs, modelClasses, o.limitTest());
        Dataset test;
        if (o.data() != null) {
            test = testPath(o, model);
        } else if (o.dataset() == null || o.dataset().equals(EMBEDDED)) {
            test = embeddedTest(model);
        } else {
            test = idxTest(namedDirectory(o.dataset(), System.getenv()), o.dataset(), model);
        }
        return limit(test, o.limitTest());
    }

    private enum FileKind { IDX, CSV, NPY }

    // What --data names, after the checks every loader of it makes first.
    private static FileKind kind(DataOptions o) throws DataFormatException {
        Path p = o.data();
        if (!Files.exists(p)) throw new DataFormatException("--data " + p + ": no such file or directory");
        if (Files.isDirectory(p)) {
            if (o.testData() != null) throw new DataOptionException("--test-data is for a .csv or .npy --data file; " + p + " is an IDX directory");
            return FileKind.IDX;
        }
        if (!Files.isRegularFile(p)) throw new DataFormatException("--data " + p + notAFile(p)); // a device is read until memory runs out
        FileKind kind = isCsv(p) ? FileKind.CSV : isNpy(p) ? FileKind.NPY : null;
        if (kind == null) throw new DataFormatException("--data " + p + ": unsupported file; expected a directory of IDX files, a .csv[.gz] or a .npy file");
        // Read as --data's format: a .npy test file beside a CSV had its NumPy header taken for a CSV header line.
        Path t = o.testData();
        if (t != null && Files.isRegularFile(t) && (kind == FileKind.CSV ? !isCsv(t) : !isNpy(t))) {
            throw new DataOptionException("--test-data " + t + ": expected a " + (kind == FileKind.CSV ? ".csv (.csv.gz, .tsv, .txt)" : ".npy")
                    + " file, the format of --data " + p);
        }
        return kind;
    }

    private static boolean isNpy(Path p) {
        return p.getFileName() != null && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy");
    }

    private static Dataset testPath(DataOptions o, Model model) throws DataFormatException {
        Path p = o.data();
        FileKind kind = kind(o);
        if (kind == FileKind.IDX) return idxTest(p, fileName(p), model);
        boolean csv = kind == FileKind.CSV, npy = kind == FileKind.NPY;
        if (o.testData() == null) {
            throw new DataOptionException("--data " + p + ": a single file's test split is drawn from the whole file; load it with loadForModel");
        }
        if (npy && o.testLabels() == null) throw new DataOptionException("--test-data " + o.testData() + " needs --test-labels FILE.npy");
        LabeledRows test = csv ? CsvReader.rows(existing(o.testData(), "--test-data"), o.labelColumn())
                : NpyReader.rows(existing(o.testData(), "--test-data"), existing(o.testLabels(), "--test-labels"));
        String name = stem(o.testData()) + "/test";
        model.check(name, test.featureCount(), csv ? test.source() : o.testLabels().toString(), test.labels(), false);
        // As loadForModel's: the model's classes, or more if the file holds larger labels (past --limit-test).
        return test.toDataset(name, Math.max(test.maxLabel() + 1, model.classes()));
    }

    // What a data file's samples are named by: its name without the extension it is read by ("d" for d.csv, d.csv.gz, d.tsv,
    // d.txt and d.npy, in any case). A single file's split is "d"; a file pair's training set "d/train", its test set "t/test"
    // for a test file t, which was named after d. The names are only shown (and kept as a model's provenance "data"):
    // a resumed run and predict recognize their data by checksums.
    private static String stem(Path file) {
        String n = fileName(file);
        String stem = n.replaceFirst("(?i)\\.(csv|csv\\.gz|tsv|txt|npy)$", "");
        return stem.isEmpty() ? n : stem;
    }

    private static String fileName(Path p) {
        return p.getFileName() == null ? "data" : p.getFileName().toString();
    }

    private static Dataset idxTest(Path dir, String name, Model model) throws DataFormatException {
        Path images = find(dir, "t10k-images-idx3-ubyte"), labels = find(dir, "t10k-labels-idx1-ubyte");
        return checkedTest(IdxReader.read(name + "/test", images, labels), model, labels.toString());
    }

    private static Dataset embeddedTest(Model model) throws DataFormatException {
        try (InputStream images = resource("t10k-images-idx3-ubyte.gz"); InputStream labels = resource("t10k-labels-idx1-ubyte.gz")) {
            return checkedTest(IdxReader.read(EMBEDDED + "/test", images, "embedded test images", labels, "embedded test labels", null, null),
                    model, "embedded test labels");
        } catch (IOException e) {
            throw new DataFormatException("cannot read the embedded dataset: " + e.getMessage(), e);
        }
    }

    // A test set read without its training set: checked against the model as checked() checks it; closed on failure.
    private static Dataset checkedTest(Dataset test, Model model, String labels) throws DataFormatException {
        try {
            model.check(test.name(), test.features(), labels, test.labels(), false);
            return test;
        } catch (Throwable e) {
            Closing.after(e, test::close);
            throw e;
        }
    }

    // What data loaded for a model is checked against; TRAINING (null) when the training labels define the classes.
    private record Model(int inputs, int classes, int limitTest) {
        void check(String data, int features, String labelSource, int[] labels, boolean heldOut) throws DataFormatException {
            if (features != inputs) throw new FeatureCountException(data, features, inputs);
            int n = limitTest > 0 ? Math.min(limitTest, labels.length) : labels.length;
            for (int i = 0; i < n; i++) {
                if (labels[i] >= classes) {
                    throw new DataFormatException(labelSource + ": " + (heldOut ? "a sample of the held-out test split" : "sample " + i + " (0-based)")
                            + " has label " + labels[i] + ", outside the model's classes 0.." + (classes - 1));
                }
            }
        }
    }

    private static final Model TRAINING = null;

    private static DatasetSplit load(DataOptions o, Map<String, String> env, Model model) throws DataFormatException {
        Objects.requireNonNull(o, "options");
        Objects.requireNonNull(env, "env");
        CsvReader.checkLabelColumn(o.labelColumn());
        DatasetSplit split;
        if (o.data() != null) {
            split = loadPath(o, model);
        } else if (o.dataset() == null || o.dataset().equals(EMBEDDED)) {
            split = embedded(model);
        } else {
            split = named(o.dataset(), env, model);
        }
        return limit(split, o.limitTrain(), o.limitTest());
    }

    private static DatasetSplit loadPath(DataOptions o, Model model) throws DataFormatException {
        Path p = o.data();
        FileKind kind = kind(o);
        if (kind == FileKind.IDX) return idxDirectory(p, fileName(p), model);
        boolean csv = kind == FileKind.CSV, npy = kind == FileKind.NPY;
        // Option mistakes first, before a large file is read only to be thrown away.
        if (npy && o.labels() == null) throw new DataOptionException("--data " + p + " is a .npy feature array; give its labels with --labels FILE.npy");
        if (npy && o.testData() != null && o.testLabels() == null) {
            throw new DataOptionException("--test-data " + o.testData() + " needs --test-labels FILE.npy");
        }
        if (o.testData() == null && !(o.testFraction() > 0 && o.testFraction() < 1)) {
            throw new DataOptionException("--test-fraction " + o.testFraction() + ": a single data file (" + p + ") is split into train and test,"
                    + (o.testFraction() >= 1 ? " so less than all of it can be held out" : " so a share above 0 must be held out"));
        }
        LabeledRows train, test;
        String trainLabels, testLabels;
        if (csv) {
            train = CsvReader.rows(p, o.labelColumn());
            test = o.testData() == null ? null : CsvReader.rows(existing(o.testData(), "--test-data"), o.labelColumn());
            trainLabels = train.source();
            testLabels = test == null ? null : test.source();
        } else {
            train = NpyReader.rows(p, existing(o.labels(), "--labels"));
            if (o.testData() != null) {
                test = NpyReader.rows(existing(o.testData(), "--test-data"), existing(o.testLabels(), "--test-labels"));
            } else {
                test = null;
            }
            trainLabels = o.labels().toString();
            testLabels = o.testLabels() == null ? null : o.testLabels().toString();
        }
        String name = stem(p);
        if (test != null) {
            String testName = stem(o.testData()) + "/test";
            if (test.featureCount() != train.featureCount()) {
                throw new DataFormatException(test.source() + ": " + test.featureCount() + " features, but " + train.source() + " has " + train.featureCount());
            }
            // As the IDX reader refuses it: images of another shape with as many pixels are not the same features.
            if (test.imageRows() > 0 && train.imageRows() > 0 && (test.imageRows() != train.imageRows() || test.imageCols() != train.imageCols())) {
                throw new DataFormatException(test.source() + ": " + test.imageRows() + "x" + test.imageCols() + " images (" + test.featureCount()
                        + " features), but " + train.source() + " has " + train.imageRows() + "x" + train.imageCols() + " (" + train.featureCount() + ")");
            }
            boolean training = model == TRAINING;
            if (!training) model.check(testName, test.featureCount(), testLabels, test.labels(), false);
            // For a model, labels beyond its classes in the training set or past --limit-test are not an error
            // (they are not scored), but the data sets must still hold them.
            int classes = training ? train.maxLabel() + 1 : Math.max(Math.max(train.maxLabel(), test.maxLabel()) + 1, model.classes());
            List<String> warnings = training ? new ArrayList<>(checkLabels(trainLabels, train.labels(), classes, testLabels, test.labels())) : new ArrayList<>();
            Dataset tr = train.toDataset(name + "/train", classes);
            DatasetSplit split;
            try {
                split = new DatasetSplit(tr, test.toDataset(testName, classes), warnings);
            } catch (Throwable e) {
                Closing.after(e, tr::close);
                throw e;
            }
            // A test file on another scale than its training file (0..255 pixels beside 0..1 ones: a uint8 .npy is scaled to
            // 0..1, a float one is read as it is) was trained beside and scored without a word, and badly. 10 standard
            // deviations on average is far outside, not merely other data.
            double typical = training ? Standardizer.fit(split.train()).meanAbsoluteScore(split.test()) : 0;
            if (!(typical > 10)) return split;
            warnings.add(String.format(Locale.ROOT, "%s lies on average %.3g standard deviations from the means of the training data %s;"
                    + " is it on another scale (e.g. 0..255 pixels beside 0..1 ones: a uint8 .npy is scaled to 0..1, other types are read as they are)?",
                    test.source(), typical, train.source()));
            return new DatasetSplit(split.train(), split.test(), warnings);
        }
        List<String> warnings = model == TRAINING ? checkLabels(trainLabels, train.labels(), train.maxLabel() + 1, null, null) : List.of();
        DatasetSplit split = holdOut(train.toDataset(name, train.maxLabel() + 1), o.testFraction(), o.seed(), p.toString());
        if (model != TRAINING) {
            try {
                model.check(split.test().name(), split.test().features(), trainLabels, split.test().labels(), true);
            } catch (DataFormatException e) {
                split.close();
                throw e;
            }
        }
        List<String> all = new ArrayList<>(warnings);
        if (model == TRAINING) all.addAll(split.warnings()); // a model being scored learns nothing from the split's training part
        return new DatasetSplit(split.train(), split.test(), all);
    }


    /**
     * Checks labels read from {@code trainSource} (with {@code classes} classes, at least {@code max label + 1})
     * and, unless null, from {@code testSource}: a largest label that makes more classes than there are
     * training samples is a corrupt label (or a wrong column), not a class, and a test label must be one of
     * the training classes. Classes below the largest label that no training sample has are returned as a
     * warning.
     */
    private static List<String> checkLabels(String trainSource, int[] train, int classes, String testSource, int[] test) throws DataFormatException {
        int max = -1;
        for (int l : train) max = Math.max(max, l);
        if (max >= train.length) {
            throw new DataFormatException(trainSource + ": the largest label is " + max + ", which would make " + (max + 1)
                    + " classes, more than the " + train.length + " samples; expected class indices 0, 1, 2, ...");
        }
        if (test != null) {
            for (int i = 0; i < test.length; i++) {
                if (test[i] >= classes) {
                    throw new DataFormatException(testSource + ": sample " + i + " (0-based) has label " + test[i] + ", outside the classes 0.."
                            + (classes - 1) + " of the training labels " + trainSource);
                }
            }
        }
        int[] count = new int[max + 1];
        for (int l : train) count[l]++;
        String missing = ranges(count);
        List<String> warnings = new ArrayList<>();
        if (!missing.isEmpty()) {
            warnings.add(trainSource + ": no sample has label " + missing + ", although the largest label, " + max + ", makes "
                    + (max + 1) + " classes");
        }
        return warnings;
    }

    /** The indices whose count is 0, as {@code 3, 5, 6, 8..254}; after 8 runs, the number of indices left out. */
    private static String ranges(int[] count) {
        StringBuilder sb = new StringBuilder();
        int runs = 0, omitted = 0;
        for (int i = 0; i < count.length; i++) {
            if (count[i] != 0) continue;
            int j = i;
            while (j + 1 < count.length && count[j + 1] == 0) j++;
            if (runs++ < 8) {
                sb.append(sb.isEmpty() ? "" : ", ").append(i).append(j == i ? "" : (j == i + 1 ? ", " : "..") + j);
            } else {
                omitted += j - i + 1;
            }
            i = j;
        }
        if (omitted > 0) sb.append(" and ").append(omitted).append(" more");
        return sb.toString();
    }

    /**
     * Samples without labels, to predict on: a delimited text file ({@link #isCsv}) whose every column is a
     * feature (a header line is skipped), or a {@code .npy} array of shape (samples, features...).
     */
    public static Dataset unlabeled(Path file) throws DataFormatException {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) throw new DataFormatException(file + notAFile(file));
        String base = file.getFileName().toString();
        if (isCsv(file)) return CsvReader.readUnlabeled(base, file);
        if (isNpy(file)) return NpyReader.readUnlabeled(base, file);
        throw new DataFormatException(file + ": expected a .csv (.csv.gz, .tsv, .txt) or .npy file of samples to predict on");
    }

    /**
     * Samples without labels read from a stream (standard input, say) named {@code source} in messages: a {@code .npy}
     * array when it starts with NumPy's magic, otherwise delimited text as {@link #unlabeled(Path)} reads it, gzipped
     * or not. The stream is read to its end and not closed.
     */
    public static Dataset unlabeled(InputStream in, String source) throws DataFormatException {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(source, "source");
        try {
            BufferedInputStream b = new BufferedInputStream(in, 1 << 16);
            b.mark(6);
            byte[] magic = b.readNBytes(6);
            b.reset();
            if (Arrays.equals(magic, NpyReader.MAGIC)) {
                // Whole, so that the header's shape is checked against the bytes there are before allocating for it.
                byte[] all = b.readAllBytes();
                return NpyReader.unlabeled(source, NpyReader.read(new ByteArrayInputStream(all), source, all.length), source);
            }
            BufferedReader text = new BufferedReader(
                    new InputStreamReader(IdxReader.maybeGunzip(b), StandardCharsets.UTF_8), 1 << 16);
            return CsvReader.readUnlabeled(text, source);
        } catch (IOException e) {
            throw new DataFormatException(source + ": cannot read: " + IdxReader.why(e), e);
        }
    }

    /** Whether {@code p} is read as delimited text (.csv, .csv.gz, .tsv, .txt) rather than IDX or NPY. */
    public static boolean isCsv(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".csv") || n.endsWith(".csv.gz") || n.endsWith(".tsv") || n.endsWith(".txt");
    }

    /**
     * {@code p}, when it is a regular file; else a {@link DataFormatException} "OPTION P: no such file" (or
     * "a directory, expected a file", or "not a regular file (a device or pipe)"), the message the loaders
     * give for their own options.
     */
    public static Path existing(Path p, String option) throws DataFormatException {
        if (!Files.isRegularFile(p)) throw new DataFormatException(option + " " + p + notAFile(p));
        return p;
    }

    // Why p, not a regular file, is refused: a device or pipe that exists (a link to /dev/zero, say) was "no such file".
    private static String notAFile(Path p) {
        if (Files.isDirectory(p)) return ": a directory, expected a file";
        return Files.exists(p) ? ": not a regular file (a device or pipe), expected a file" : ": no such file";
    }

    /**
     * Splits one dataset into train and test: a seeded shuffle, then the first round({@code fraction} x its
     * samples) of every class go to test (stratified: each class in its share). A class too small for that to leave
     * it in both sets (2 samples at 0.2 give none to test; 2 at 0.8, none to training) is named in the split's
     * warnings. Takes ownership of {@code all}: the split holds copies of its samples, and {@code all} is closed,
     * whether the split is made or refused.
     *
     * @throws DataFormatException if {@code fraction} is not in (0, 1), or leaves either set without a sample
     */
    public static DatasetSplit holdOut(Dataset all, double fraction, long seed) throws DataFormatException {
        return holdOut(all, fraction, seed, all.name());
    }

    // source names the data in errors: the file read, where the dataset's own name ("d" for d.csv) would not say which.
    private static DatasetSplit holdOut(Dataset all, double fraction, long seed, String source) throws DataFormatException {
        if (!(fraction > 0 && fraction < 1)) {
            all.close();
            throw new DataFormatException(all.name() + ": a single data file needs --test-fraction in (0, 1), got " + fraction);
        }
        try (all) {
            int n = all.samples();
            int[] order = new int[n];
            for (int i = 0; i < n; i++) order[i] = i;
            new RandomStream(seed).split("holdout").shuffle(order);
            int[] perClass = new int[all.classes()];
            for (int i = 0; i < n; i++) perClass[all.label(i)]++;
            int[] seen = new int[all.classes()];
            int[] tr = new int[n], te = new int[n];
            int ntr = 0, nte = 0;
            for (int i : order) {
                int c = all.label(i);
                if (seen[c]++ < Math.round(perClass[c] * fraction)) te[nte++] = i;
                else tr[ntr++] = i;
            }
            if (ntr == 0 || nte == 0) {
                // Each class gives round(fraction x its samples) to the test set: with many small classes that is 0 for every
                // one, however many samples there are in all ("1000 samples are too few" read as wrong).
                int largest = Arrays.stream(perClass).max().orElse(0);
                throw new DataFormatException(source + ": " + (n == 1 ? "1 sample is" : n + " samples are") + " too few to hold out " + fraction
                        + " for testing" + (nte == 0 && n > 1 ? " (each class gives round(" + fraction + " x its samples) to the test set: none here,"
                        + " the largest class having " + largest + "); give a larger --test-fraction or a --test-data file" : ""));
            }
            // A class the model never trains on counts only as errors, and one never tested is not measured: both were silent.
            int[] trained = new int[perClass.length], tested = new int[perClass.length];
            for (int c = 0; c < perClass.length; c++) {
                int held = (int) Math.min(perClass[c], Math.round(perClass[c] * fraction));
                trained[c] = perClass[c] == 0 || held < perClass[c] ? 1 : 0;
                tested[c] = perClass[c] == 0 || held > 0 ? 1 : 0;
            }
            List<String> warnings = new ArrayList<>();
            String untrained = ranges(trained), untested = ranges(tested);
            boolean oneUntrained = Arrays.stream(trained).filter(t -> t == 0).count() == 1;
            boolean oneUntested = Arrays.stream(tested).filter(t -> t == 0).count() == 1;
            if (!untrained.isEmpty()) {
                warnings.add(source + ": holding out " + fraction + " for testing leaves " + (oneUntrained ? "class " : "classes ") + untrained
                        + " without a training sample (each class gives round(" + fraction + " x its samples) to the test set): the model cannot learn "
                        + (oneUntrained ? "it" : "them"));
            }
            if (!untested.isEmpty()) {
                warnings.add(source + ": " + (oneUntested ? "class " + untested + " has" : "classes " + untested + " have") + " too few samples to hold out "
                        + fraction + ": none in the test set");
            }
            Arrays.sort(tr, 0, ntr);
            Arrays.sort(te, 0, nte);
            Dataset train = all.subset(Arrays.copyOf(tr, ntr));
            try {
                return new DatasetSplit(train, all.subset(Arrays.copyOf(te, nte)), warnings);
            } catch (Throwable e) {
                Closing.after(e, train::close);
                throw e;
            }
        }
    }

    /** The four standard IDX files in {@code dir} (plain or .gz), to train on (see {@link #load(DataOptions, Map)}). */
    public static DatasetSplit idxDirectory(Path dir, String name) throws DataFormatException {
        return idxDirectory(dir, name, TRAINING);
    }

    private static DatasetSplit idxDirectory(Path dir, String name, Model model) throws DataFormatException {
        Path trI = find(dir, "train-images-idx3-ubyte"), trL = find(dir, "train-labels-idx1-ubyte");
        Path teI = find(dir, "t10k-images-idx3-ubyte"), teL = find(dir, "t10k-labels-idx1-ubyte");
        Dataset train = IdxReader.read(name + "/train", trI, trL);
        try {
            return checked(train, IdxReader.read(name + "/test", teI, teL, train, trI.toString()), model, trL.toString(), teL.toString());
        } catch (Throwable e) {
            // An Error too: no memory left for the test set must not keep the training set's.
            Closing.after(e, train::close);
            throw e;
        }
    }

    /**
     * The split of {@code train} and {@code test}, with the warnings of {@link #checkLabels} when asked for.
     * The labels are checked before the split is made, so that a test label outside the training classes is
     * reported with the label files' names rather than by {@link DatasetSplit}'s own class check. On failure
     * {@code test} is closed; {@code train} is left to the caller, which closes it on any failure after
     * reading it.
     */
    private static DatasetSplit checked(Dataset train, Dataset test, Model model, String trainLabels, String testLabels) throws DataFormatException {
        try {
            if (model == TRAINING) {
                return new DatasetSplit(train, test, checkLabels(trainLabels, train.labels(), train.classes(), testLabels, test.labels()));
            }
            model.check(test.name(), test.features(), testLabels, test.labels(), false);
            // For a model the model's classes count, and IDX files each count their own (from their largest
            // label): the training set takes the test set's larger count so that the split is consistent.
            if (test.classes() > train.classes()) {
                Dataset wider = train.withClasses(test.classes());
                train.close();
                train = wider;
            }
            return new DatasetSplit(train, test);
        } catch (Throwable e) {
            Closing.after(e, test::close);
            throw e;
        }
    }

    private static Path find(Path dir, String base) throws DataFormatException {
        for (String suffix : new String[] {".gz", ""}) {
            Path p = dir.resolve(base + suffix);
            if (Files.isRegularFile(p)) return p;
        }
        // There but not a file (a directory, a link to a device): "missing" sent the user looking for a file they could see.
        for (String suffix : new String[] {".gz", ""}) {
            Path p = dir.resolve(base + suffix);
            if (Files.exists(p)) throw new DataFormatException(p + notAFile(p));
        }
        throw new DataFormatException(dir + ": missing " + base + "[.gz] (an IDX directory needs train-images, train-labels, t10k-images and t10k-labels)");
    }

    private static DatasetSplit named(String name, Map<String, String> env, Model model) throws DataFormatException {
        return idxDirectory(namedDirectory(name, env), name, model);
    }

    private static Path namedDirectory(String name, Map<String, String> env) throws DataFormatException {
        if (!name.equals("fashion-mnist") && !name.equals("mnist")) {
            throw new DataOptionException("unknown dataset '" + name + "'; known: fashion-mnist, mnist, " + EMBEDDED);
        }
        String root = env.get("DST4J_DATA");
        if (root != null && !root.isBlank()) {
            for (Path p : new Path[] {Path.of(root, name), Path.of(root)}) {
                if (Files.isRegularFile(p.resolve("train-images-idx3-ubyte.gz")) || Files.isRegularFile(p.resolve("train-images-idx3-ubyte"))) {
                    return identified(p, name);
                }
            }
        }
        Path debian = name.equals("fashion-mnist") ? DEBIAN_FASHION_MNIST : Path.of("/usr/share/datasets/mnist");
        if (Files.isDirectory(debian)) return identified(debian, name);
        String get = name.equals("fashion-mnist")
                ? "install it with 'apt-get install dataset-fashion-mnist' or download the four IDX .gz files (github.com/zalandoresearch/fashion-mnist)"
                : "download MNIST's four IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, plain or .gz)";
        throw new DataFormatException("dataset '" + name + "' not found in $DST4J_DATA" + (root == null ? " (unset)" : " (" + root + ")")
                + " nor " + debian + "; " + get + " into a directory and set DST4J_DATA to it (or to its parent, with the files in DST4J_DATA/" + name + ")");
    }

    // The two datasets' files have the same names, so $DST4J_DATA pointing straight at one of them would load it
    // under the other's name. The canonical files are told apart by their first ten training labels.
    private static final int[] MNIST_FIRST_LABELS = {5, 0, 4, 1, 9, 2, 1, 3, 1, 4};
    private static final int[] FASHION_MNIST_FIRST_LABELS = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};

    // Before the images are read: telling the datasets apart needs only the labels file's first bytes.
    private static Path identified(Path dir, String name) throws DataFormatException {
        int[] first;
        try {
            first = IdxReader.firstLabels(find(dir, "train-labels-idx1-ubyte"), 10);
        } catch (IOException e) {
            return dir; // the full read reports it with the file's name
        }
        String other = name.equals("mnist") && Arrays.equals(first, FASHION_MNIST_FIRST_LABELS) ? "Fashion-MNIST"
                : name.equals("fashion-mnist") && Arrays.equals(first, MNIST_FIRST_LABELS) ? "MNIST" : null;
        if (other == null) return dir;
        throw new DataOptionException("--dataset " + name + ": " + dir + " holds " + other + " (its first training labels are " + other
                + "'s), not " + (name.equals("mnist") ? "MNIST" : "Fashion-MNIST") + "; point DST4J_DATA at a directory with " + name
                + "'s files, or at its parent with them in " + name + "/");
    }

    /** The small Fashion-MNIST subset shipped in the jar (3,000 train, 1,000 test images). */
    public static DatasetSplit embedded() throws DataFormatException {
        return embedded(TRAINING);
    }

    private static DatasetSplit embedded(Model model) throws DataFormatException {
        try (InputStream trI = resource("train-images-idx3-ubyte.gz"); InputStream trL = resource("train-labels-idx1-ubyte.gz")) {
            Dataset train = IdxReader.read(EMBEDDED + "/train", trI, "embedded train images", trL, "embedded train labels");
            try (InputStream teI = resource("t10k-images-idx3-ubyte.gz"); InputStream teL = resource("t10k-labels-idx1-ubyte.gz")) {
                return checked(train, IdxReader.read(EMBEDDED + "/test", teI, "embedded test images", teL, "embedded test labels",
                        train, "embedded train images"), model, "embedded train labels", "embedded test labels");
            } catch (Throwable e) {
                Closing.after(e, train::close);
                throw e;
            }
        } catch (IOException e) {
            throw new DataFormatException("cannot read the embedded dataset: " + e.getMessage(), e);
        }
    }

    private static InputStream resource(String file) throws IOException {
        InputStream in = DataSources.class.getResourceAsStream(file);
        if (in == null) throw new IOException("resource " + file + " missing from the jar");
        return in;
    }

    // s is closed if a cut fails: a caller that catches the OutOfMemoryError must not keep s's memory.
    private static DatasetSplit limit(DatasetSplit s, int train, int test) {
        Dataset tr;
        try {
            tr = limit(s.train(), train);
        } catch (Throwable e) {
            Closing.after(e, s.test()::close);
            throw e;
        }
        try {
            return new DatasetSplit(tr, limit(s.test(), test), s.warnings());
        } catch (Throwable e) {
            Closing.after(e, tr::close);
            throw e;
        }
    }

    // The first n samples (all for n = 0); d is closed when a cut replaces it, or when the cut fails.
    private static Dataset limit(Dataset d, int n) {
        if (n <= 0 || n >= d.samples()) return d;
        Dataset cut;
        try {
            cut = d.subset(range(n));
        } catch (Throwable e) {
            Closing.after(e, d::close);
            throw e;
        }
        d.close();
        return cut;
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
