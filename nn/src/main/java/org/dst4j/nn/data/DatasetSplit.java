package org.dst4j.nn.data;

import java.util.List;
import org.dst4j.runtime.resource.Closing;

/**
 * A training set and a test set; closing the split closes both. {@code warnings} are one-line notes
 * on suspicious but usable data (e.g. classes without a training sample), each naming its file, for
 * the caller to show: the library has no console.
 *
 * <p>The split takes ownership of both sets, which may be the same dataset.
 */
public record DatasetSplit(Dataset train, Dataset test, List<String> warnings) implements AutoCloseable {
    public DatasetSplit {
        warnings = List.copyOf(warnings);
    }

    public DatasetSplit(Dataset train, Dataset test) {
        this(train, test, List.of());
    }

    /** Closes both sets (once if they are the same), each even if the other fails. Closing again does nothing. */
    @Override
    public void close() {
        if (test == train) train.close();
        else Closing.all(train::close, test::close);
    }
}
