package org.dst4j.algorithms;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.io.CheckpointFile;

/** What a resumed run checks before it trains on: that it is given the data its checkpoint was trained on. */
public final class ResumeChecks {
    private ResumeChecks() {}

    /**
     * The header of the checkpoint a run keeps in its directory, read without its tensors, after checking that it is one
     * of this algorithm's: another command's checkpoint is named as such, not as one missing fields.
     *
     * @param dir the run's directory
     * @param checkpoint the checkpoint's file name in it
     * @param finished the file a finished run has written, which the message names when the checkpoint is gone
     * @param algorithm what the checkpoint's provenance names the algorithm as (or begins with: "freetickets" for
     *     "freetickets-edst")
     * @param name the algorithm's name in the message
     * @throws IOException if there is no checkpoint (saying whether the run had finished), it cannot be read, or it is
     *     another algorithm's
     */
    public static Map<String, Object> checkpointHeader(Path dir, String checkpoint, String finished, String algorithm, String name) throws IOException {
        Path file = dir.resolve(checkpoint);
        if (!Files.isRegularFile(file)) throw new IOException(dir + ": " + noCheckpoint(dir, checkpoint, finished));
        Map<String, Object> h;
        try (CheckpointFile.Index ix = CheckpointFile.open(file)) {
            h = ix.header();
        }
        if (h.get("provenance") instanceof Map<?, ?> p && p.get("algorithm") instanceof String a && !a.startsWith(algorithm)) {
            throw new IOException(file + " is the checkpoint of a " + a + " run, not of a " + name + " run");
        }
        return h;
    }

    /**
     * Checks a checkpoint's {@code standardize} setting against the model file that holds its network: a resumed run fits
     * the standardization again from the setting alone, so a setting edited in the header gave, without a word, a model
     * trained half on standardized inputs and half on raw ones.
     *
     * @param file the model file the checkpoint saved the network in, with its standardizer when the run standardizes
     * @param standardize the checkpoint's setting
     * @throws IOException naming the file when the two disagree, or when it cannot be read
     */
    public static void sameStandardization(Path file, boolean standardize) throws IOException {
        boolean held;
        try (CheckpointFile.Index ix = CheckpointFile.open(file)) {
            held = ix.has("standardizer.mean");
        }
        if (held != standardize) {
            throw new IOException(file + ": the checkpoint's 'standardize' is " + standardize + ", but the file holds " + (held ? "a" : "no")
                    + " standardizer (file edited?)");
        }
    }

    /**
     * What a run directory without its checkpoint holds instead: "no checkpoint.dst4j there", and why when the directory
     * tells: the run had finished ({@code finished} is there; null for a command whose finished run keeps its
     * checkpoint), or it was killed outright in its first epoch (its log is all there is).
     */
    public static String noCheckpoint(Path dir, String checkpoint, String finished) {
        return "no " + checkpoint + " there" + (finished != null && Files.exists(dir.resolve(finished))
                ? " (the run had finished: its results are in " + finished + ")"
                : Files.isRegularFile(dir.resolve("metrics.jsonl")) ? " (a run stopped before its first epoch ended: start it again, with --overwrite)" : "")
                + setAside(dir);
    }

    /**
     * The prefix of the directory, inside a run's directory, in which the command line keeps the run that an
     * {@code --overwrite} run replaces until that run succeeds (it is put back if the run fails or is stopped).
     */
    public static final String SET_ASIDE = ".dst4j-earlier-run-";

    // Only a run killed outright (SIGKILL, power loss) leaves one behind: the next --overwrite would discard it unseen.
    private static String setAside(Path dir) {
        try (var entries = Files.newDirectoryStream(dir, SET_ASIDE + "*")) {
            for (Path p : entries) {
                if (Files.isDirectory(p)) {
                    return "; the earlier run it was replacing is kept in " + p + ": move its files back into " + dir
                            + " to continue that one (a new run with --overwrite discards it)";
                }
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable directory: the message stands without the note
        }
        return "";
    }

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
