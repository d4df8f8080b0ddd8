package org.dst4j.algorithms.cli;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dst4j.algorithms.ResumeChecks;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.CheckpointFile;

/**
 * Where a training command writes its run, chosen so that an earlier run is never silently replaced
 * or left mixed with a new one. Each file is written atomically, but a run is several files: re-running
 * into a directory that holds a run would replace its model and checkpoint one by one, and a re-run that
 * failed half-way would leave the old model beside the new metrics. So:
 * <ul>
 *   <li>an {@code --out} given explicitly that holds files this command writes is refused, unless
 *       {@code --overwrite} is given; then those files (only those: the command's own output names) are
 *       set aside before the run starts, so the directory never holds pieces of two runs, and deleted
 *       when the command succeeds; if it fails, the new run's files are removed and the earlier run is
 *       put back ({@link #settle});</li>
 *   <li>a run that fails leaves none of its files (nor the directories it created), wherever it wrote: half
 *       a run would be taken for an earlier one and refused the next time; except a run with no earlier run
 *       that wrote its checkpoint ({@link Outputs#checkpoint}), which is kept to be resumed;</li>
 *   <li>the default {@code --out} (not given) moves on to {@code DIR-2}, {@code DIR-3}, ... so that the
 *       README's command can be run again and again without losing the runs before.</li>
 * </ul>
 */
final class RunDirectory {
    private RunDirectory() {}

    /**
     * The names (globs, relative to the run directory) a command writes; directories are removed whole.
     * {@code checkpoint}, when not null, is the file a failed run can be resumed from: a run that wrote it is
     * kept when it fails. {@code finished}, when not null, is a file only a run that finished writes (a SET
     * run keeps its checkpoint then).
     */
    record Outputs(List<String> globs, String checkpoint, String finished) {
        static Outputs of(String... globs) {
            return new Outputs(List.of(globs), null, null);
        }

        Outputs resumableFrom(String checkpoint, String finished) {
            return new Outputs(globs, checkpoint, finished);
        }

        // Whether dir holds a run stopped part-way that --resume continues.
        boolean resumable(Path dir) {
            return checkpoint != null && Files.isRegularFile(dir.resolve(checkpoint)) && (finished == null || !Files.exists(dir.resolve(finished)));
        }

        // Interrupted writes leave AtomicFiles' temporaries (".NAME.123.tmp") behind, and a killed command its
        // set-aside earlier run: both part of the old run.
        List<String> withTemporaries() {
            List<String> all = new ArrayList<>(globs);
            all.add(".*.tmp");
            all.add(SET_ASIDE + "*");
            return all;
        }
    }

    static final String SET_ASIDE = ResumeChecks.SET_ASIDE;

    // The run directories claimed in this process, until the command ends: hidden holds the earlier run
    // --overwrite moved aside (null when there was none), created the highest directory the claim made (null
    // when dir existed), so that a failed run removes the empty chain it made.
    private record Claim(Path dir, Path hidden, Outputs outputs, Path created, RunLock lock) {}

    /**
     * The lock a run holds on its directory, {@code DIR/.dst4j-run.lock}, while it writes there: two runs given the
     * same {@code --out} at once (a job started again while the first still ran) both found it free, both reported
     * success, and left one run's model beside the other's metrics. Deleted when the run settles.
     */
    static final String LOCK = ".dst4j-run.lock";

    private record RunLock(Path file, FileChannel channel, Object key) {
        /** This process's lock on {@code dir}, or null when another process holds it. */
        static RunLock on(Path dir) throws IOException {
            Path file = dir.resolve(LOCK);
            // Claimed twice by this process (the API's callers, tests): the lock it holds already.
            for (Claim c : claims) if (c.lock().file().toAbsolutePath().normalize().equals(file.toAbsolutePath().normalize())) return c.lock();
            for (int attempt = 0; ; attempt++) {
                FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE);
                boolean held = false;
                try {
                    Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
                    if (ch.tryLock() == null) return null;
                    // A holder deletes the file as it releases it: a lock taken on a file no longer there guards nothing.
                    Object now = Files.exists(file) ? Files.readAttributes(file, BasicFileAttributes.class).fileKey() : null;
                    if (key != null && key.equals(now)) {
                        held = true;
                        return new RunLock(file, ch, key);
                    }
                    if (attempt >= 20) throw new IOException(file + ": cannot lock it (deleted and made again by other runs, " + attempt + " times)");
                } catch (NoSuchFileException gone) {
                    if (attempt >= 20) throw gone;
                } catch (OverlappingFileLockException mine) {
                    return null; // this process already writes a run there
                } finally {
                    if (!held) ch.close();
                }
            }
        }

        /** Deletes the lock file (if it is still this lock's) and releases the lock. */
        void release() {
            try {
                if (channel.isOpen() && Files.exists(file)
                        && key.equals(Files.readAttributes(file, BasicFileAttributes.class).fileKey())) {
                    Files.deleteIfExists(file);
                }
            } catch (IOException | RuntimeException e) {
                // released below all the same; a stale lock file is harmless (locks die with their process)
            } finally {
                try {
                    channel.close();
                } catch (IOException e) {
                    // closed or not, the process's lock ends with it
                }
            }
        }
    }

    private static UsageException busy(Path dir) {
        return new UsageException("--out " + dir + " is being written by another dst4j run now (" + dir.resolve(LOCK)
                + " is locked); give another --out, or wait for that run to end");
    }

    private static final List<Claim> claims = new ArrayList<>();
    // Set by the shutdown hook (Ctrl-C, SIGTERM): a claim after it would move an earlier run aside while the JVM exits.
    private static boolean closing;
    // Directories of runs being continued (--resume), and files being written by export: nothing to settle, but a
    // Ctrl-C waits for them too, so that training stops between batches and says where, as for a claimed run.
    private static final List<Path> awaited = new ArrayList<>();

    static Options declare(Options o) {
        return o.flag("overwrite", "replace the files an earlier run wrote in an existing --out (kept aside until this run succeeds)");
    }

    /**
     * The checks of {@link #claim} that change nothing on disk, for before the data is read: an
     * {@code --out} that is a file, that holds an earlier run without {@code --overwrite}, or that cannot
     * be written is a usage error now rather than after a large data set has loaded.
     */
    static void precheck(Options o, Outputs outputs) throws UsageException, IOException {
        Path out = o.path("out");
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new UsageException("--out " + out + " is a file; expected a directory (it is created if missing)");
        }
        if (o.given("out") || o.flag("overwrite")) {
            // --overwrite sets aside only this command's files: another command's run would stay, mixed with this one.
            String stopped = checkpointOf(out, outputs);
            if (stopped != null) {
                throw new UsageException("--out " + out + " holds a stopped " + stopped + " run (its " + outputs.checkpoint() + "), which " + o.command()
                        + " would replace: continue it with " + stopped + " --resume " + out + ", or give another --out (--overwrite replaces only a "
                        + o.command() + " run)");
            }
            String other = otherRun(out, outputs);
            if (other != null) {
                throw new UsageException("--out " + out + " holds " + other + ", which " + o.command() + " does not write: --overwrite"
                        + " would leave it beside this run; give another --out");
            }
        }
        if (o.given("out") && !o.flag("overwrite")) {
            List<Path> earlier = earlierOutputs(out, outputs);
            if (!earlier.isEmpty()) {
                // A run stopped part-way, whose checkpoint was kept for it: continuing it is the likelier wish.
                throw new UsageException("--out " + out + " holds an earlier run (" + names(earlier) + "); "
                        + (outputs.resumable(out) ? "continue it with --resume " + out + ", give --overwrite to start over" : "give --overwrite to replace it")
                        + ", or another --out");
            }
        }
        Path existing = nearestExisting(out.toAbsolutePath());
        if (existing != null && !Files.isDirectory(existing)) {
            throw new UsageException("--out " + out + ": cannot be created, " + existing + " is a file");
        }
        if (existing != null && !Files.isWritable(existing)) {
            throw new UsageException("--out " + out + ": " + (existing.equals(out.toAbsolutePath()) ? "the directory" : existing) + " is not writable");
        }
    }

    /**
     * The run directory: {@code --out} if it holds none of {@code outputs}, else as the class describes.
     * Throws a usage error for an {@code --out} that is a file, or holds an earlier run without
     * {@code --overwrite}.
     */
    static Path claim(Options o, Outputs outputs) throws UsageException, IOException {
        precheck(o, outputs); // refuses a given --out that holds a run without --overwrite
        Path out = o.path("out");
        // Under the lock, so that a Ctrl-C either finds the claim registered (and waits for settle) or refuses it
        // before anything is moved: never an earlier run set aside with no claim to put it back.
        synchronized (claims) {
            if (closing) throw new InterruptedIOException("stopped before the run started");
            List<Path> earlier = earlierOutputs(out, outputs);
            if (earlier.isEmpty() && otherRun(out, outputs) == null) {
                if (claimed(out, outputs)) return out;
                if (o.given("out") || o.flag("overwrite")) throw busy(out);
                // the default directory, taken by a run under way: moves on as from an earlier run
            } else if (o.flag("overwrite")) {
                RunLock lock = RunLock.on(out);
                if (lock == null) throw busy(out);
                // Moved, not deleted: a run that then fails (out of memory, a diverged loss) gives the earlier one back.
                Path hidden;
                try {
                    hidden = Files.createTempDirectory(out, SET_ASIDE);
                } catch (IOException | RuntimeException e) {
                    lock.release();
                    throw e;
                }
                try {
                    for (Path p : earlier) Files.move(p, hidden.resolve(p.getFileName()));
                } finally {
                    claims.add(new Claim(out, hidden, outputs, null, lock)); // what was moved goes back if the run fails
                }
                return out;
            }
            for (int n = 2; ; n++) {
                Path next = out.resolveSibling(out.getFileName() + "-" + n);
                if (!Files.exists(next) || (Files.isDirectory(next) && earlierOutputs(next, outputs).isEmpty() && otherRun(next, outputs) == null)) {
                    if (!claimed(next, outputs)) continue; // another run writes there now
                    // A stopped run there is likelier to be continued than started again beside it.
                    String other = otherRun(out, outputs);
                    String what = other != null ? other : earlier.isEmpty() ? "a run under way"
                            : outputs.resumable(out) ? "a stopped run (continue it with --resume " + out + ")" : "an earlier run";
                    System.err.println("note: " + out + " holds " + what + "; writing this one to " + next + " (--out DIR chooses)");
                    return next;
                }
            }
        }
    }

    // Claims dir (creating it); false, with nothing left of what it created, when another process's run holds it.
    private static boolean claimed(Path dir, Outputs outputs) throws IOException {
        Path created = null;
        for (Path p = dir.toAbsolutePath().normalize(); p != null && !Files.exists(p); p = p.getParent()) created = p;
        Files.createDirectories(dir);
        RunLock lock = RunLock.on(dir);
        if (lock == null) return false; // the other run made it, or found it: nothing here is this one's to remove
        claims.add(new Claim(dir, null, outputs, created, lock));
        return true;
    }

    /**
     * For the shutdown hook: from now on {@link #claim}, {@link #resuming} and {@link #writing} refuse; returns
     * whether a claimed or resumed run, or an export's write, is under way (only then is there anything to wait
     * for: training stopping between batches, an interrupted write deleting its temporary file, and {@link #settle}).
     */
    static boolean closing() {
        synchronized (claims) {
            closing = true;
            return !claims.isEmpty() || !awaited.isEmpty();
        }
    }

    /**
     * The checks of a {@code --resume DIR} before any data loads: the run is defined by its checkpoint, so of the
     * command's options only {@code --threads}, the data options and (for a single data file's held-out split)
     * {@code --seed} apply; {@code runOptions} are the others, refused when given. A DIR that is a file (the
     * checkpoint itself, most likely) is refused, pointing to its directory when it holds {@code checkpoint}.
     */
    static void checkResume(Options o, Path dir, String checkpoint, String... runOptions) throws UsageException, UserException {
        checkResume(o, dir, checkpoint, List.of(runOptions), "--threads, --seed and the data options");
    }

    // applies: what the refusal of a run option says may be given with --resume
    static void checkResume(Options o, Path dir, String checkpoint, List<String> runOptions, String applies) throws UsageException, UserException {
        List<String> ignored = runOptions.stream().filter(o::given).map(n -> "--" + n).toList();
        if (!ignored.isEmpty()) {
            throw new UsageException("--resume continues the run as its checkpoint defines it; drop " + String.join(", ", ignored)
                    + " (with --resume only " + applies + " apply)");
        }
        if (o.given("seed") && !DataArgs.heldOut(o)) {
            throw new UsageException("--seed with --resume only chooses a single --data file's held-out test split; this data has its own test set");
        }
        if (Files.isRegularFile(dir)) {
            Path parent = dir.toAbsolutePath().getParent();
            throw new UserException("--resume " + dir + " is a file; expected the run's directory"
                    + (parent != null && Files.isRegularFile(parent.resolve(checkpoint)) ? ": --resume " + (dir.getParent() == null ? "." : dir.getParent()) : ""));
        }
        // Named before the checkpoint is looked for: without one, another command's finished run read as this command's
        // ("the run had finished", or quickselection's "start it again, with --overwrite", which --out then refused); with
        // one (set and quickselection keep theirs), set loaded the whole dataset before it read whose checkpoint it was.
        Outputs own = commandOutputs().get(o.command());
        String other;
        try {
            other = own == null ? null : otherRun(dir, own);
        } catch (IOException e) {
            other = null; // an unreadable directory: the checkpoint's own read reports it
        }
        if (other != null) {
            throw new UserException("--resume " + dir + " holds " + other + ", not a " + o.command() + " run");
        }
    }

    /** Registers a run being continued in {@code dir} for the shutdown hook ({@link #closing}); {@link #settle} forgets it. */
    static void resuming(Path dir) throws IOException, UsageException {
        awaited(dir, "stopped before the run resumed");
        RunLock lock = RunLock.on(dir);
        if (lock == null) {
            throw new UsageException("--resume " + dir + " is being written by another dst4j run now (" + dir.resolve(LOCK) + " is locked)");
        }
        synchronized (claims) {
            resumed.add(lock);
        }
    }

    private static final List<RunLock> resumed = new ArrayList<>();

    /**
     * Registers a file a command that claims no run is about to write (export's archive, which may take seconds), for
     * the shutdown hook: a Ctrl-C then waits for the interrupted write to delete its temporary file.
     */
    static void writing(Path file) throws InterruptedIOException {
        awaited(file, "stopped before writing " + file);
    }

    private static void awaited(Path path, String refusal) throws InterruptedIOException {
        synchronized (claims) {
            if (closing) throw new InterruptedIOException(refusal);
            awaited.add(path);
        }
    }

    /** {@code path} if it exists, else its nearest existing ancestor (null if none does). */
    static Path nearestExisting(Path path) {
        Path p = path;
        while (p != null && !Files.exists(p)) p = p.getParent();
        return p;
    }

    /**
     * Ends the runs this process claimed: after a command that succeeded the earlier runs {@code --overwrite}
     * set aside are deleted; after one that failed the new run's files are removed (and the directories the
     * claim created, if nothing else is in them) and the earlier ones moved back. A failed run with no earlier
     * run that wrote its checkpoint is kept instead, to be resumed. Problems are reported on stderr, never
     * thrown: the command's outcome stands.
     */
    static void settle(boolean succeeded) {
        List<Claim> all;
        synchronized (claims) {
            all = new ArrayList<>(claims);
        }
        // Forgotten only once settled: a Ctrl-C while the earlier run is being put back must wait for it (closing).
        try {
            settle(all, succeeded);
        } finally {
            synchronized (claims) {
                claims.removeAll(all);
                awaited.clear();
                resumed.forEach(RunLock::release);
                resumed.clear();
            }
        }
    }

    private static void settle(List<Claim> all, boolean succeeded) {
        for (Claim c : all) {
            try {
                if (!Files.isDirectory(c.dir())) continue; // removed by someone else: nothing left to settle
                String checkpoint = c.outputs().checkpoint();
                if (!succeeded && c.hidden() == null && checkpoint != null && Files.isRegularFile(c.dir().resolve(checkpoint))) {
                    // Out of memory or a full disk hours into a run: the checkpoint is worth more than a clean directory.
                    System.err.println("note: the run failed; its checkpoint is kept: continue it with --resume " + c.dir()
                            + ", or start over with --overwrite");
                    continue;
                }
                if (!succeeded) {
                    for (Path p : earlierOutputs(c.dir(), c.outputs())) if (!p.equals(c.hidden())) deleteTree(p);
                    if (c.hidden() != null) {
                        try (DirectoryStream<Path> entries = Files.newDirectoryStream(c.hidden())) {
                            for (Path e : entries) Files.move(e, c.dir().resolve(e.getFileName()));
                        }
                        System.err.println("note: the run failed; the earlier run in " + c.dir() + " is back in place"
                                + (checkpoint != null ? " (this run's own checkpoint, if it wrote one, is discarded)" : ""));
                    } else if (c.created() != null) {
                        c.lock().release(); // its file would keep the directory from being empty
                        // the directories this claim made, innermost first, while empty
                        for (Path p = c.dir().toAbsolutePath().normalize(); p != null && p.startsWith(c.created()) && isEmpty(p); p = p.getParent()) {
                            Files.delete(p);
                        }
                    }
                }
                if (c.hidden() != null) deleteTree(c.hidden());
            } catch (IOException | RuntimeException e) {
                System.err.println("warning: could not " + (succeeded ? "delete the earlier run set aside in " + c.hidden()
                        : c.hidden() != null ? "restore the earlier run set aside in " + c.hidden()
                        : "remove the failed run's files from " + c.dir()) + ": " + e.getMessage());
            } finally {
                c.lock().release();
            }
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }

    /** The entries of {@code dir} that match {@code outputs} (or one of AtomicFiles' temporaries), sorted. */
    static List<Path> earlierOutputs(Path dir, Outputs outputs) throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) return found;
        List<PathMatcher> matchers = new ArrayList<>();
        for (String g : outputs.withTemporaries()) matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path e : entries) {
                Path name = e.getFileName();
                if (matchers.stream().anyMatch(m -> m.matches(name))) found.add(e);
            }
        }
        found.sort(Comparator.naturalOrder());
        return found;
    }

    // What each command writes into its --out, to tell another command's run from files of the user's.
    private static Map<String, Outputs> commandOutputs() {
        Map<String, Outputs> m = new LinkedHashMap<>();
        m.put("set", SetCommand.OUTPUTS);
        m.put("quickselection", QuickSelectionCommand.OUTPUTS);
        m.put("freetickets", FreeTicketsCommand.OUTPUTS);
        m.put("neurotrails", NeuroTrailsCommand.OUTPUTS);
        m.put("spacenet", SpaceNetCommand.OUTPUTS);
        m.put("bench", BenchCommand.OUTPUTS);
        return m;
    }

    /**
     * Another command's run in {@code dir}: "a freetickets run (ensemble.json, member-1.dst4j)", naming the entries
     * another command writes and {@code outputs} does not; null when there are none. A run is at least two of a
     * command's entries: one alone (a {@code summary.json}, a {@code model} directory) may be the user's own file.
     */
    static String otherRun(Path dir, Outputs outputs) throws IOException {
        if (!Files.isDirectory(dir)) return null;
        List<Path> own = earlierOutputs(dir, outputs);
        String command = null;
        List<Path> named = List.of();
        int most = 0;
        for (var e : commandOutputs().entrySet()) {
            List<Path> all = earlierOutputs(dir, Outputs.of(e.getValue().globs().toArray(String[]::new)));
            all.removeIf(p -> p.getFileName().toString().startsWith(".")); // temporaries and set-aside runs
            List<Path> theirs = new ArrayList<>(all);
            theirs.removeIf(own::contains);
            // Named after the command that writes most of what is there: metrics.jsonl alone could be anyone's.
            if (all.size() >= 2 && !theirs.isEmpty() && all.size() > most) {
                command = e.getKey();
                named = theirs;
                most = all.size();
            }
        }
        if (command == null) {
            String stopped = checkpointOf(dir, outputs);
            return stopped == null ? null : "a stopped " + stopped + " run (its " + outputs.checkpoint() + ")";
        }
        // By names alone a stopped spacenet run (checkpoint.dst4j, metrics.jsonl) read as "a set run": its checkpoint says.
        Path checkpoint = dir.resolve(SetTraining.CHECKPOINT);
        String owner = algorithmOf(checkpoint);
        if (owner != null && commandOutputs().get(owner) != outputs && named.contains(checkpoint)) command = owner;
        return "a " + command + " run (" + names(named) + ")";
    }

    // The command whose run wrote the checkpoint `file`, by its provenance; null when it is missing or unreadable.
    private static String algorithmOf(Path file) {
        if (!Files.isRegularFile(file)) return null;
        try (CheckpointFile.Index ix = CheckpointFile.open(file)) {
            if (ix.header().get("provenance") instanceof Map<?, ?> p && p.get("algorithm") instanceof String a) {
                for (String command : commandOutputs().keySet()) if (a.startsWith(command)) return command;
            }
        } catch (IOException | RuntimeException e) {
            // not a checkpoint of this project's: named by the file names
        }
        return null;
    }

    // set, quickselection, spacenet and freetickets all keep a checkpoint.dst4j beside a metrics.jsonl: by names alone a
    // stopped run of one was another's own, and --overwrite deleted it. The checkpoint's provenance says whose it is.
    private static String checkpointOf(Path dir, Outputs outputs) {
        String mine = null;
        for (var e : commandOutputs().entrySet()) if (e.getValue() == outputs) mine = e.getKey();
        if (mine == null || outputs.checkpoint() == null) return null;
        String owner = algorithmOf(dir.resolve(outputs.checkpoint()));
        return owner == null || owner.equals(mine) ? null : owner;
    }

    private static String names(List<Path> paths) {
        List<String> n = new ArrayList<>();
        for (int i = 0; i < Math.min(4, paths.size()); i++) n.add(paths.get(i).getFileName().toString());
        return String.join(", ", n) + (paths.size() > 4 ? ", ..." : "");
    }

    private static void deleteTree(Path p) throws IOException {
        AtomicFiles.deleteTree(p);
    }
}
