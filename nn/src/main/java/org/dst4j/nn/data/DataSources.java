package org.dst4j.nn.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Resolves {@link DataOptions} to a train/test split. */
public final class DataSources {
    /** Where Debian's {@code dataset-fashion-mnist} package installs the files. */
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String EMBEDDED = "fashion-mnist-small";

    private DataSources() {}

    /** Loads with the process environment. */
    public static DatasetSplit load(DataOptions o) throws DataFormatException {
        return load(o, System.getenv());
    }

    /** Loads, looking named datasets up in {@code env.get("DST4J_DATA")} first. */
    public static DatasetSplit load(DataOptions o, Map<String, String> env) throws DataFormatException {
        DatasetSplit split;
        if (o.data() != null) {
            split = loadPath(o);
        } else if (o.dataset() == null || o.dataset().equals(EMBEDDED)) {
            split = embedded();
        } else {
            split = named(o.dataset(), env);
        }
        return limit(split, o.limitTrain(), o.limitTest());
    }

    private static DatasetSplit loadPath(DataOptions o) throws DataFormatException {
        Path p = o.data();
        if (!Files.exists(p)) throw new DataFormatException(p + ": no such file or directory");
        if (Files.isDirectory(p)) return idxDirectory(p, p.getFileName() == null ? "data" : p.getFileName().toString());
        throw new DataFormatException(p + ": unsupported data file; expected a directory of IDX files");
    }

    /** The four standard IDX files in {@code dir} (plain or .gz). */
    public static DatasetSplit idxDirectory(Path dir, String name) throws DataFormatException {
        Path trI = find(dir, "train-images-idx3-ubyte"), trL = find(dir, "train-labels-idx1-ubyte");
        Path teI = find(dir, "t10k-images-idx3-ubyte"), teL = find(dir, "t10k-labels-idx1-ubyte");
        Dataset train = IdxReader.read(name + "/train", trI, trL);
        try {
            return new DatasetSplit(train, IdxReader.read(name + "/test", teI, teL));
        } catch (DataFormatException | RuntimeException e) {
            train.close();
            throw e;
        }
    }

    private static Path find(Path dir, String base) throws DataFormatException {
        for (String suffix : new String[] {".gz", ""}) {
            Path p = dir.resolve(base + suffix);
            if (Files.isRegularFile(p)) return p;
        }
        throw new DataFormatException(dir + ": missing " + base + "[.gz] (an IDX directory needs train-images, train-labels, t10k-images and t10k-labels)");
    }

    private static DatasetSplit named(String name, Map<String, String> env) throws DataFormatException {
        if (!name.equals("fashion-mnist") && !name.equals("mnist")) {
            throw new DataFormatException("unknown dataset '" + name + "'; known: fashion-mnist, mnist, " + EMBEDDED);
        }
        String root = env.get("DST4J_DATA");
        if (root != null && !root.isBlank()) {
            for (Path p : new Path[] {Path.of(root, name), Path.of(root)}) {
                if (Files.isRegularFile(p.resolve("train-images-idx3-ubyte.gz")) || Files.isRegularFile(p.resolve("train-images-idx3-ubyte"))) {
                    return idxDirectory(p, name);
                }
            }
        }
        Path debian = name.equals("fashion-mnist") ? DEBIAN_FASHION_MNIST : Path.of("/usr/share/datasets/mnist");
        if (Files.isDirectory(debian)) return idxDirectory(debian, name);
        throw new DataFormatException("dataset '" + name + "' not found in $DST4J_DATA" + (root == null ? " (unset)" : " (" + root + ")")
                + " nor " + debian + "; install it with 'apt-get install dataset-" + name + "' or download the four IDX .gz files"
                + " (github.com/zalandoresearch/fashion-mnist) into a directory and set DST4J_DATA to it");
    }

    /** The small Fashion-MNIST subset shipped in the jar (3,000 train, 1,000 test images). */
    public static DatasetSplit embedded() throws DataFormatException {
        try (InputStream trI = resource("train-images-idx3-ubyte.gz"); InputStream trL = resource("train-labels-idx1-ubyte.gz")) {
            Dataset train = IdxReader.read(EMBEDDED + "/train", trI, "embedded train images", trL, "embedded train labels");
            try (InputStream teI = resource("t10k-images-idx3-ubyte.gz"); InputStream teL = resource("t10k-labels-idx1-ubyte.gz")) {
                return new DatasetSplit(train, IdxReader.read(EMBEDDED + "/test", teI, "embedded test images", teL, "embedded test labels"));
            } catch (DataFormatException | IOException | RuntimeException e) {
                train.close();
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

    private static DatasetSplit limit(DatasetSplit s, int train, int test) {
        Dataset tr = s.train(), te = s.test();
        if (train > 0 && train < tr.samples()) {
            Dataset cut = tr.subset(range(train));
            tr.close();
            tr = cut;
        }
        if (test > 0 && test < te.samples()) {
            Dataset cut = te.subset(range(test));
            te.close();
            te = cut;
        }
        return new DatasetSplit(tr, te);
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
