package org.dst4j.nn.data;

import java.util.List;
import java.util.Objects;
import org.dst4j.runtime.resource.Closing;

/**
 * A training set and a test set; closing the split closes both. {@code warnings} are one-line notes
 * on suspicious but usable data (e.g. classes without a training sample), each naming its file, for
 * the caller to show: the library has no console.
 *
 * <p>The split takes ownership of both sets, which may be the same dataset. They must fit together:
 * the same features, and no more classes in the test set than in the training set. If they do not,
 * the constructor closes both and throws {@link IllegalArgumentException}.
 *
 * @param train the training set
 * @param test the test set
 * @param warnings notes on suspicious but usable data, each naming its file
 */
public record DatasetSplit(Dataset train, Dataset test, List<String> warnings) implements AutoCloseable {
    /** Checks that the sets fit together (see above) and copies the warnings. */
    public DatasetSplit {
        if (train == null || test == null) {
            // As for null warnings below: the split owns the set it was given, which the refusal would otherwise strand.
            NullPointerException e = new NullPointerException(train == null ? "train" : "test");
            Dataset given = train == null ? test : train;
            if (given != null) Closing.after(e, given::close);
            throw e;
        }
        if (warnings == null || warnings.stream().anyMatch(Objects::isNull)) {
            // As for sets that do not fit: the split owns both sets once given them, so a refusal closes them.
            NullPointerException e = new NullPointerException(warnings == null ? "warnings" : "a null element in warnings");
            Closing.after(e, () -> closeBoth(train, test));
            throw e;
        }
        // Checked here, not at the first evaluation: a training run would otherwise spend an epoch before
        // failing on a shape mismatch that names neither set.
        String problem = null;
        if (test.features() != train.features()) {
            problem = "test set " + test.name() + " has " + test.features() + " features, but training set " + train.name()
                    + " has " + train.features();
        } else if (test.classes() > train.classes()) {
            problem = "test set " + test.name() + " has " + test.classes() + " classes, more than the " + train.classes()
                    + " of training set " + train.name();
        }
        if (problem != null) {
            IllegalArgumentException e = new IllegalArgumentException(problem);
            Closing.after(e, () -> closeBoth(train, test));
            throw e;
        }
        warnings = List.copyOf(warnings);
    }

    /** A split without warnings; see the class description for what it checks. */
    public DatasetSplit(Dataset train, Dataset test) {
        this(train, test, List.of());
    }

    /** Closes both sets (once if they are the same), each even if the other fails. Closing again does nothing. */
    @Override
    public void close() {
        closeBoth(train, test);
    }

    private static void closeBoth(Dataset train, Dataset test) {
        if (test == train) train.close();
        else Closing.all(train::close, test::close);
    }
}
