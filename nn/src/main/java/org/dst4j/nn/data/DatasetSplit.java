package org.dst4j.nn.data;

import java.util.List;

/**
 * A training set and a test set; closing the split closes both. {@code warnings} are one-line notes
 * on suspicious but usable data (e.g. classes without a training sample), each naming its file, for
 * the caller to show: the library has no console.
 */
public record DatasetSplit(Dataset train, Dataset test, List<String> warnings) implements AutoCloseable {
    public DatasetSplit {
        warnings = List.copyOf(warnings);
    }

    public DatasetSplit(Dataset train, Dataset test) {
        this(train, test, List.of());
    }

    @Override
    public void close() {
        train.close();
        test.close();
    }
}
