package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.dst4j.algorithms.freetickets.FreeTickets;
import org.dst4j.algorithms.neurotrails.NeuroTrails;
import org.dst4j.algorithms.quickselection.QuickSelection;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.algorithms.spacenet.SpaceNetRun;
import org.dst4j.nn.io.CheckpointFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirectoryTest {
    private static final RunDirectory.Outputs OUT = RunDirectory.Outputs.of("model.dst4j", "metrics.json", "member-*.dst4j", "single");

    private static Options options(Path defaultOut, String... args) throws Exception {
        Options o = RunDirectory.declare(new Options("demo", "a demo").option("out", defaultOut.toString(), "output directory"));
        o.parse(args);
        return o;
    }

    private static String[] names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
        }
    }

    @Test
    void aNewOrForeignDirectoryIsUsedAsGiven(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        assertThat(RunDirectory.claim(options(run, "--out", run.toString()), OUT)).isEqualTo(run);
        Files.createDirectories(run);
        Files.writeString(run.resolve("notes.txt"), "mine");   // not one of the command's outputs
        assertThat(RunDirectory.claim(options(run, "--out", run.toString()), OUT)).isEqualTo(run);
        RunDirectory.settle(true); // claims are per command: a later failing command in this JVM must not see these
    }

    // A failed run is removed, with the directories its claim made (parents included) while empty; but one that
    // wrote its checkpoint is kept, to be resumed (not deleted when memory runs out hours into a run).
    @Test
    void aFailedRunIsRemovedUnlessItWroteItsCheckpoint(@TempDir Path dir) throws Exception {
        RunDirectory.Outputs resumable = RunDirectory.Outputs.of("model.dst4j", "checkpoint.dst4j", "metrics.jsonl").resumableFrom("checkpoint.dst4j", "model.dst4j");
        // Every training command's outputs are resumable from its checkpoint (nothing else ties the commands to this rule).
        assertThat(SetCommand.OUTPUTS.checkpoint()).isEqualTo(SetTraining.CHECKPOINT);
        assertThat(FreeTicketsCommand.OUTPUTS.checkpoint()).isEqualTo(FreeTickets.CHECKPOINT);
        assertThat(NeuroTrailsCommand.OUTPUTS.checkpoint()).isEqualTo(NeuroTrails.CHECKPOINT);
        assertThat(QuickSelectionCommand.OUTPUTS.checkpoint()).isEqualTo(QuickSelection.CHECKPOINT);
        assertThat(SpaceNetCommand.OUTPUTS.checkpoint()).isEqualTo(SpaceNetRun.CHECKPOINT);
        Path deep = dir.resolve("a/./b/../b/c");
        assertThat(RunDirectory.claim(options(deep, "--out", deep.toString()), resumable)).isEqualTo(deep);
        Files.writeString(deep.resolve("metrics.jsonl"), "");
        RunDirectory.settle(false);
        assertThat(dir.resolve("a")).doesNotExist();

        Path run = dir.resolve("run");
        assertThat(RunDirectory.claim(options(run, "--out", run.toString()), resumable)).isEqualTo(run);
        Files.writeString(run.resolve("metrics.jsonl"), "{}\n");
        Files.writeString(run.resolve("checkpoint.dst4j"), "state");
        RunDirectory.settle(false);
        assertThat(names(run)).containsExactly("checkpoint.dst4j", "metrics.jsonl");

        // A directory someone removed in the meantime is nothing to settle (no warning, no exception).
        Path gone = dir.resolve("gone");
        assertThat(RunDirectory.claim(options(gone, "--out", gone.toString()), OUT)).isEqualTo(gone);
        Files.delete(gone.resolve(RunDirectory.LOCK)); // the run's lock, while it writes there
        Files.delete(gone);
        PrintStream se = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            RunDirectory.settle(false);
        } finally {
            System.setErr(se);
        }
        assertThat(gone).doesNotExist();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    // Two runs given one --out at once (a job started again while the first still runs) must not both find it free,
    // both say they wrote it, and leave one's model beside the other's metrics. The run under way holds DIR/.dst4j-run.lock; here
    // this JVM holds it, as another process would.
    @Test
    void aDirectoryAnotherRunIsWritingIsRefusedAndTheDefaultMovesOn(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("notes.txt"), "mine");
        try (var ch = FileChannel.open(run.resolve(RunDirectory.LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); var held = ch.lock()) {
            for (String[] args : new String[][] {{"--out", run.toString()}, {"--out", run.toString(), "--overwrite"}}) {
                assertThatThrownBy(() -> RunDirectory.claim(options(run, args), OUT)).isInstanceOf(UsageException.class)
                        .hasMessage("--out " + run + " is being written by another dst4j run now (" + run.resolve(RunDirectory.LOCK)
                                + " is locked); give another --out, or wait for that run to end");
            }
            assertThat(names(run)).containsExactly(RunDirectory.LOCK, "notes.txt");
            Path fresh = dir.resolve("fresh"); // a directory the other run made, not written yet: not removed by this one
            Files.createDirectories(fresh);
            Files.writeString(fresh.resolve(RunDirectory.LOCK), "");
            try (var ch2 = FileChannel.open(fresh.resolve(RunDirectory.LOCK), StandardOpenOption.WRITE);
                 var held2 = ch2.lock()) {
                assertThat(RunDirectory.claim(options(fresh), OUT)).isEqualTo(dir.resolve("fresh-2")); // --out not given
                RunDirectory.settle(false);
                assertThat(fresh).isDirectory();
                assertThat(dir.resolve("fresh-2")).doesNotExist();
            }
        }
        // Once that run has ended, the directory is this one's; the lock file goes with the run.
        assertThat(RunDirectory.claim(options(run, "--out", run.toString()), OUT)).isEqualTo(run);
        RunDirectory.settle(true);
        assertThat(names(run)).containsExactly("notes.txt");
    }

    @Test
    void anEarlierRunIsRefusedUnlessOverwriteWhichDeletesOnlyTheCommandsFiles(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("model.dst4j"), "old");
        Files.writeString(run.resolve("member-3.dst4j"), "old");   // a member the new run may not write again
        Files.writeString(run.resolve(".metrics.json.123.tmp"), "torn");
        Files.createDirectories(run.resolve("single/deeper"));
        Files.writeString(run.resolve("single/deeper/x.dst4j"), "old");
        Files.writeString(run.resolve("notes.txt"), "mine");

        assertThatThrownBy(() -> RunDirectory.claim(options(run, "--out", run.toString()), OUT))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("--out " + run + " holds an earlier run")
                .hasMessageContaining("--overwrite");
        assertThat(names(run)).contains("model.dst4j", "member-3.dst4j", "single");

        assertThat(RunDirectory.claim(options(run, "--out", run.toString(), "--overwrite"), OUT)).isEqualTo(run);
        assertThat(names(run)).hasSize(3).contains("notes.txt", RunDirectory.LOCK).anyMatch(n -> n.startsWith(RunDirectory.SET_ASIDE));
        RunDirectory.settle(true); // the command succeeded: the earlier run is gone
        assertThat(names(run)).containsExactly("notes.txt");
    }

    // Were --overwrite to set aside only the command's own files, set --overwrite into a FreeTickets run would replace
    // its metrics.jsonl and leave its members, the directory holding two runs (and predict taking it for the ensemble);
    // bench, which shares no file name with the others, would write into a SET run without even --overwrite. set,
    // quickselection, spacenet and freetickets each keep checkpoint.dst4j beside metrics.jsonl: by its names alone a
    // stopped SpaceNet run is set's own, for set --overwrite to delete (and set --out to advise set --resume, which
    // refuses it).
    @Test
    void aStoppedRunOfAnotherCommandIsKnownByItsCheckpoint(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        CheckpointFile.write(run.resolve("checkpoint.dst4j"),
                Map.of("provenance", Map.of("algorithm", "spacenet")), List.of());
        Files.writeString(run.resolve("metrics.jsonl"), "");
        for (String[] extra : new String[][] {{}, {"--overwrite"}}) {
            var o = HeldOutSplitTest.run(CommandValidationTest.concat(new String[] {"set", "--out", run.toString(), "--epochs", "1"}, extra));
            assertThat(o.code()).as(o.err()).isEqualTo(2);
            assertThat(o.err()).isEqualTo("dst4j set: --out " + run + " holds a stopped spacenet run (its checkpoint.dst4j), which set would replace:"
                    + " continue it with spacenet --resume " + run + ", or give another --out (--overwrite replaces only a set run)");
        }
        assertThat(names(run)).containsExactly("checkpoint.dst4j", "metrics.jsonl");
        assertThat(HeldOutSplitTest.run("quickselection", "--resume", run.toString()).err())
                .isEqualTo("dst4j quickselection: --resume " + run + " holds a stopped spacenet run (its checkpoint.dst4j), not a quickselection run");
        // its own command still takes it
        assertThat(RunDirectory.otherRun(run, SpaceNetCommand.OUTPUTS)).isNull();
        // named by its checkpoint where the names alone pointed to set's run
        assertThat(HeldOutSplitTest.run("neurotrails", "--resume", run.toString()).err())
                .isEqualTo("dst4j neurotrails: --resume " + run + " holds a spacenet run (checkpoint.dst4j), not a neurotrails run");
    }

    @Test
    void anotherCommandsRunIsRefusedEvenWithOverwrite(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        for (String f : new String[] {"ensemble.json", "member-1.dst4j", "metrics.jsonl"}) Files.writeString(run.resolve(f), "freetickets");
        for (String[] extra : new String[][] {{}, {"--overwrite"}}) {
            Options o = SetCommand.options("set", "t");
            o.parse(CommandValidationTest.concat(new String[] {"--out", run.toString()}, extra));
            assertThatThrownBy(() -> RunDirectory.claim(o, SetCommand.OUTPUTS)).isInstanceOf(UsageException.class)
                    .hasMessage("--out " + run + " holds a freetickets run (ensemble.json, member-1.dst4j), which set does not write:"
                            + " --overwrite would leave it beside this run; give another --out");
        }
        assertThat(names(run)).containsExactly("ensemble.json", "member-1.dst4j", "metrics.jsonl");

        Path set = Files.createDirectories(dir.resolve("set"));
        Files.writeString(set.resolve("model.dst4j"), "set");
        Files.writeString(set.resolve("metrics.jsonl"), "set");
        Options bench = RunDirectory.declare(new Options("bench scale", "b").option("out", "x", "out"));
        bench.parse(new String[] {"--out", set.toString()});
        assertThatThrownBy(() -> RunDirectory.claim(bench, BenchCommand.OUTPUTS)).isInstanceOf(UsageException.class)
                .hasMessageStartingWith("--out " + set + " holds a set run (metrics.jsonl, model.dst4j)");
        // Named after the command that writes most of what is there, not the first that writes metrics.jsonl.
        Options intoFreeTickets = RunDirectory.declare(new Options("bench scale", "b").option("out", "x", "out"));
        intoFreeTickets.parse(new String[] {"--out", run.toString()});
        assertThatThrownBy(() -> RunDirectory.claim(intoFreeTickets, BenchCommand.OUTPUTS))
                .hasMessageStartingWith("--out " + run + " holds a freetickets run (ensemble.json, member-1.dst4j, metrics.jsonl)");
        // The default --out moves on past it, as past a run of its own.
        Options byDefault = RunDirectory.declare(new Options("bench scale", "b").option("out", set.toString(), "out"));
        byDefault.parse(new String[0]);
        assertThat(RunDirectory.claim(byDefault, BenchCommand.OUTPUTS)).isEqualTo(dir.resolve("set-2"));
        RunDirectory.settle(true);
    }

    // The default --out of a command moves on past a stopped run of its own, and says it can be continued.
    @Test
    void theDefaultOutMovesOnPastAStoppedRunAndPointsToResume(@TempDir Path dir) throws Exception {
        Path stopped = Files.createDirectories(dir.resolve("freetickets"));
        Files.writeString(stopped.resolve("checkpoint.dst4j"), "x");
        Files.writeString(stopped.resolve("metrics.jsonl"), "x");
        Path finished = Files.createDirectories(dir.resolve("set"));
        for (String f : new String[] {"checkpoint.dst4j", "model.dst4j", "metrics.jsonl"}) Files.writeString(finished.resolve(f), "x");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertThat(RunDirectory.claim(options(stopped), FreeTicketsCommand.OUTPUTS)).isEqualTo(dir.resolve("freetickets-2"));
            assertThat(RunDirectory.claim(options(finished), SetCommand.OUTPUTS)).isEqualTo(dir.resolve("set-2"));
        } finally {
            System.setErr(old);
            RunDirectory.settle(true);
        }
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("note: " + stopped + " holds a stopped run (continue it with --resume " + stopped + "); writing this one to " + dir.resolve("freetickets-2"))
                .contains("note: " + finished + " holds an earlier run; writing this one to " + dir.resolve("set-2"));
    }

    // One entry that some command writes is not a run: a user's own summary.json or model/ directory is not refused.
    @Test
    void aLoneFileWithAnotherCommandsNameIsNotTakenForItsRun(@TempDir Path dir) throws Exception {
        for (String entry : new String[] {"summary.json", "model", "features.csv", "metrics.json"}) {
            Path out = Files.createDirectories(dir.resolve("out-" + entry));
            if (entry.equals("model")) Files.createDirectories(out.resolve(entry));
            else Files.writeString(out.resolve(entry), "mine");
            Options o = SetCommand.options("set", "t");
            o.parse(new String[] {"--out", out.toString()});
            assertThat(RunDirectory.claim(o, SetCommand.OUTPUTS)).isEqualTo(out);
            RunDirectory.settle(true);
            assertThat(names(out)).containsExactly(entry);
        }
    }

    // A Ctrl-C while a failed run's earlier run is being put back: with no claim left (settle drops them) the JVM would
    // halt half-way, the earlier run split between DIR and its set-aside directory.
    @Test
    void aCtrlCWhileTheEarlierRunIsPutBackWaitsForIt(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("model.dst4j"), "earlier");
        RunDirectory.claim(options(run, "--out", run.toString(), "--overwrite"), OUT);
        // settle prints its note once the files are back, before it deletes the set-aside directory: it is held there
        CountDownLatch printing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        PrintStream se = System.err;
        System.setErr(new PrintStream(new OutputStream() {
            @Override public void write(int b) {
                printing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
        Thread settling = new Thread(() -> RunDirectory.settle(false));
        try {
            settling.start();
            assertThat(printing.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(RunDirectory.closing()).as("a Ctrl-C now has a run to wait for").isTrue();
        } finally {
            release.countDown();
            settling.join();
            System.setErr(se);
            Field closing = RunDirectory.class.getDeclaredField("closing");
            closing.setAccessible(true);
            closing.setBoolean(null, false); // only the JVM's exit sets it: the next tests claim again
        }
        assertThat(names(run)).containsExactly("model.dst4j");
        assertThat(RunDirectory.closing()).as("settled: nothing to wait for").isFalse();
        Field closing = RunDirectory.class.getDeclaredField("closing");
        closing.setAccessible(true);
        closing.setBoolean(null, false);
    }

    @Test
    void aFailedRunGivesTheEarlierRunBack(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("model.dst4j"), "old");
        Files.createDirectories(run.resolve("single"));
        Files.writeString(run.resolve("single/x.dst4j"), "old");
        Files.writeString(run.resolve("notes.txt"), "mine");
        RunDirectory.claim(options(run, "--out", run.toString(), "--overwrite"), OUT);
        Files.writeString(run.resolve("metrics.json"), "new, half-written"); // the new run got this far, then failed
        RunDirectory.settle(false);
        assertThat(names(run)).containsExactly("model.dst4j", "notes.txt", "single");
        assertThat(Files.readString(run.resolve("model.dst4j"))).isEqualTo("old");
        assertThat(Files.readString(run.resolve("single/x.dst4j"))).isEqualTo("old");
    }

    @Test
    void throughTheCommandLineAFailedOverwriteKeepsTheEarlierModel(@TempDir Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) sb.append(i % 7).append(',').append(i % 5).append(',').append(i % 3).append('\n');
        Path csv = Files.writeString(dir.resolve("d.csv"), sb.toString());
        Path run = dir.resolve("run");
        String[] common = {"set", "--data", csv.toString(), "--hidden", "8", "--epsilon", "2", "--epochs", "1", "--threads", "1", "--out", run.toString()};
        assertThat(Main.run(common)).isZero();
        byte[] model = Files.readAllBytes(run.resolve("model.dst4j"));
        // A learning rate that makes the loss diverge: the new run fails after claiming the directory.
        String[] diverging = Arrays.copyOf(common, common.length + 5);
        diverging[common.length] = "--overwrite";
        diverging[common.length + 1] = "--lr";
        diverging[common.length + 2] = "1000";
        diverging[common.length + 3] = "--batch";
        diverging[common.length + 4] = "1";
        assertThat(Main.run(diverging)).isEqualTo(1);
        assertThat(Files.readAllBytes(run.resolve("model.dst4j"))).isEqualTo(model);
        assertThat(names(run)).noneMatch(n -> n.startsWith(RunDirectory.SET_ASIDE));
    }

    @Test
    void theDefaultDirectoryMovesOnInsteadOfReplacingARun(@TempDir Path dir) throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("metrics.json"), "{}");
        assertThat(RunDirectory.claim(options(run), OUT)).isEqualTo(dir.resolve("run-2"));
        Files.createDirectories(dir.resolve("run-2"));
        Files.writeString(dir.resolve("run-2/model.dst4j"), "x");
        Files.createDirectories(dir.resolve("run-3"));   // empty: usable
        assertThat(RunDirectory.claim(options(run), OUT)).isEqualTo(dir.resolve("run-3"));
        assertThat(Files.readString(run.resolve("metrics.json"))).isEqualTo("{}");
        RunDirectory.settle(true);
    }

    // A failed run into a new directory leaves no empty metrics.jsonl for the next run to refuse as an earlier run.
    @Test
    void aFailedRunLeavesNothingBehindSoItCanBeRunAgain(@TempDir Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) sb.append(i % 7).append(',').append(i % 5).append(',').append(i % 3).append('\n');
        Path csv = Files.writeString(dir.resolve("d.csv"), sb.toString());
        Path fresh = dir.resolve("fresh"), existing = Files.createDirectories(dir.resolve("existing"));
        Files.writeString(existing.resolve("notes.txt"), "mine");
        for (Path run : new Path[] {fresh, existing}) {
            String[] common = {"set", "--data", csv.toString(), "--hidden", "8", "--epsilon", "2", "--epochs", "1", "--threads", "1", "--out", run.toString()};
            String[] diverging = Arrays.copyOf(common, common.length + 4);
            diverging[common.length] = "--lr";
            diverging[common.length + 1] = "1000";
            diverging[common.length + 2] = "--batch";
            diverging[common.length + 3] = "1";
            assertThat(Main.run(diverging)).isEqualTo(1);
            if (run == fresh) assertThat(fresh).doesNotExist();
            else assertThat(names(existing)).containsExactly("notes.txt");
            assertThat(Main.run(common)).isZero();
            assertThat(run.resolve("model.dst4j")).exists();
        }
    }

    @Test
    void aFileOrAnEmptyPathIsNotARunDirectory(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        assertThatThrownBy(() -> RunDirectory.claim(options(dir, "--out", file.toString()), OUT))
                .isInstanceOf(UsageException.class).hasMessageContaining("is a file; expected a directory");
        assertThatThrownBy(() -> RunDirectory.claim(options(dir, "--out", ""), OUT))
                .isInstanceOf(UsageException.class).hasMessageContaining("--out: expected a path");
    }

    // Under a file, --output is refused before the data is scored, not as "writing F/p.csv: already exists (F)" after.
    @Test
    void predictionsUnderAFileAreRefusedBeforeScoring(@TempDir Path dir) throws Exception {
        Path model = Files.writeString(dir.resolve("m.dst4j"), "model"), file = Files.writeString(dir.resolve("data.csv"), "1,0\n");
        Options o = new Options("predict", "p").option("output", "predictions.csv", "csv");
        o.parse(new String[] {"--output", file.resolve("sub/p.csv").toString()});
        assertThatThrownBy(() -> PredictCommand.output(o, model)).isInstanceOf(UsageException.class)
                .hasMessage("--output " + file.resolve("sub/p.csv") + ": cannot be created, " + file + " is a file");
    }

    @Test
    void predictionsNeverOverwriteTheModel(@TempDir Path dir) throws Exception {
        Path model = Files.writeString(dir.resolve("m.dst4j"), "model");
        Path ensemble = Files.createDirectories(dir.resolve("ens"));
        Options same = new Options("predict", "p").option("output", "predictions.csv", "csv");
        same.parse(new String[] {"--output", dir.resolve("./m.dst4j").toString()});
        assertThatThrownBy(() -> PredictCommand.output(same, model)).isInstanceOf(UsageException.class).hasMessageContaining("--output");
        Options linked = new Options("predict", "p").option("output", "predictions.csv", "csv");
        Path link = Files.createSymbolicLink(dir.resolve("m.csv"), model);
        linked.parse(new String[] {"--output", link.toString()});
        assertThatThrownBy(() -> PredictCommand.output(linked, model)).isInstanceOf(UsageException.class)
                .hasMessageContaining("is the model file given by --model");
        Files.writeString(ensemble.resolve("ensemble.json"), "{}");
        Options inside = new Options("predict", "p").option("output", "predictions.csv", "csv");
        inside.parse(new String[] {"--output", ensemble.resolve("ensemble.json").toString()});
        assertThatThrownBy(() -> PredictCommand.output(inside, ensemble)).isInstanceOf(UsageException.class)
                .hasMessageContaining("is inside the model directory");
        Options linkedInside = new Options("predict", "p").option("output", "predictions.csv", "csv");
        Path intoEnsemble = Files.createSymbolicLink(dir.resolve("e.csv"), ensemble.resolve("ensemble.json"));
        linkedInside.parse(new String[] {"--output", intoEnsemble.toString()});
        assertThatThrownBy(() -> PredictCommand.output(linkedInside, ensemble)).isInstanceOf(UsageException.class)
                .hasMessageContaining("is inside the model directory");
        // A new file too: a second identical run would otherwise be refused where the first was not.
        Options besideMembers = new Options("predict", "p").option("output", "predictions.csv", "csv");
        besideMembers.parse(new String[] {"--output", ensemble.resolve("p.csv").toString()});
        assertThatThrownBy(() -> PredictCommand.output(besideMembers, ensemble)).isInstanceOf(UsageException.class)
                .hasMessageContaining("is inside the model directory");
        Options directory = new Options("predict", "p").option("output", "predictions.csv", "csv");
        directory.parse(new String[] {"--output", dir.toString()});
        assertThatThrownBy(() -> PredictCommand.output(directory, model)).isInstanceOf(UsageException.class)
                .hasMessageContaining("is a directory");
        Options fine = new Options("predict", "p").option("output", "predictions.csv", "csv");
        fine.parse(new String[] {"--output", dir.resolve("p.csv").toString()});
        assertThat(PredictCommand.output(fine, model)).isEqualTo(dir.resolve("p.csv"));
        assertThat(Files.readString(model)).isEqualTo("model");
    }

    // As export's: a new file reached through a link into the model directory, and a regular file
    // under /dev (on /dev/shm), which a name test for /dev/stdout would take for a stream and replace unchecked.
    @Test
    void predictionsThroughALinkIntoTheModelDirectoryOrOverAFileOnDevShmAreRefused(@TempDir Path dir) throws Exception {
        Path ensemble = Files.createDirectories(dir.resolve("ens"));
        Files.writeString(ensemble.resolve("ensemble.json"), "{}");
        Path link = Files.createSymbolicLink(dir.resolve("elsewhere"), ensemble);
        Options throughLink = new Options("predict", "p").option("output", "predictions.csv", "csv");
        throughLink.parse(new String[] {"--output", link.resolve("p.csv").toString()});
        assertThatThrownBy(() -> PredictCommand.output(throughLink, ensemble)).isInstanceOf(UsageException.class)
                .hasMessageContaining("is inside the model directory");
        assertThat(link.resolve("p.csv")).doesNotExist();
        Path shm = Path.of("/dev/shm");
        if (!Files.isDirectory(shm) || !Files.isWritable(shm)) return; // no tmpfs there: nothing under /dev to mistake
        Path data = Files.createTempFile(shm, "dst4j-predict-test-", ".csv");
        try {
            Files.writeString(data, "1,0\n");
            Options overData = new Options("predict", "p").option("output", "predictions.csv", "csv").option("data", null, "d");
            overData.parse(new String[] {"--output", data.toString(), "--data", data.toString()});
            assertThatThrownBy(() -> PredictCommand.output(overData, dir.resolve("m.dst4j"))).isInstanceOf(UsageException.class)
                    .hasMessageContaining("is the --data");
            assertThat(PredictCommand.isStream(Path.of("/dev/stdout"))).isTrue();
            assertThat(PredictCommand.isStream(data)).isFalse();
        } finally {
            Files.deleteIfExists(data);
        }
    }
}
