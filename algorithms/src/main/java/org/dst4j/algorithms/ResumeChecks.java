package org.dst4j.algorithms;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.dst4j.nn.data.DatasetSplit;

/** What a resumed run checks before it trains on: that it is given the data its checkpoint was trained on. */
public final class ResumeChecks {
    private ResumeChecks() {}

    /**
     * Checks {@code data} against the checksums a checkpoint recorded: a run continued on other samples would end
     * as neither run, and another test set would change its learning curve part-way.
     *
     * @param dir the run's directory, for the messages
     * @param trainChecksum the training set's checksum the checkpoint records
     * @param testChecksum the test set's, or null for a checkpoint too old to record it
     * @param provenance the checkpoint's provenance, whose {@code data}, {@code train_samples} and
     *     {@code test_samples} name the run's data in the messages when present
     * @throws IOException naming the set that differs and the data options to give
     */
    public static void sameData(Path dir, long trainChecksum, Long testChecksum, Map<String, Object> provenance, DatasetSplit data)
            throws IOException {
        if (trainChecksum != data.train().checksum()) {
            Object name = provenance.get("data");
            throw new IOException(dir + ": the training data differs from the run's, which trained on " + (name == null ? "other data" : name)
                    + (provenance.get("train_samples") instanceof Number n ? " (" + n.longValue() + " samples)" : "")
                    + " (checksum " + Long.toHexString(trainChecksum) + "); give the data options the run was started with (--data or --dataset,"
                    + " --limit-train; for a single --data file also --test-fraction and --seed)");
        }
        if (testChecksum != null && testChecksum != data.test().checksum()) {
            throw new IOException(dir + ": the test data differs from the run's"
                    + (provenance.get("test_samples") instanceof Number n ? ", which tested on " + n.longValue() + " samples" : "")
                    + " (checksum " + Long.toHexString(testChecksum) + "); give the data options the run was started with (--limit-test)");
        }
    }
}
