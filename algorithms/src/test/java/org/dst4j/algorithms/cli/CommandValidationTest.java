package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.dst4j.nn.init.Density;
import org.dst4j.runtime.memory.OffHeap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad command lines are refused in one line with exit code 2 before any data is trained on. Every case
 * here fails while the options are checked, or on a tiny CSV, so none trains on Fashion-MNIST.
 */
class CommandValidationTest {

    @TempDir Path dir;

    record Outcome(int code, String err) {}

    // 60 samples, 4 features, 3 classes: should a check be missing, the command trains on this, in milliseconds.
    String tinyCsv() throws Exception {
        return tinyCsv(dir);
    }

    static String tinyCsv(Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) sb.append(i % 7).append(',').append(i % 5).append(',').append(i % 3 * 2).append(',').append(i % 11).append(',').append(i % 3).append('\n');
        return Files.writeString(dir.resolve("tiny.csv"), sb.toString()).toString();
    }

    // A tiny run of a command on tinyCsv(), plus the arguments under test.
    Outcome tiny(String command, String... args) throws Exception {
        String[] common = {command, "--data", tinyCsv(), "--threads", "1", "--epochs", "1", "--out", dir.resolve("run").toString()};
        String[] all = Arrays.copyOf(common, common.length + args.length);
        System.arraycopy(args, 0, all, common.length, args.length);
        return run(all);
    }

    // An --out under the temporary directory for a command meant to be refused before it trains: should the check
    // let it through, the run is written there, not into the default runs/ of the directory the tests run in.
    String out() {
        return dir.resolve("run").toString();
    }

    static Outcome run(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setErr(err);
        }
        return new Outcome(code, buf.toString(StandardCharsets.UTF_8).strip());
    }

    static void assertUsageError(Outcome o, String message) {
        assertThat(o.code()).as(o.err()).isEqualTo(2);
        assertThat(o.err()).isEqualTo(message).doesNotContain("\n");
    }

    @Test
    void enumeratedAndRangedOptionsSayTheSameWhateverTheBadValue() {
        assertUsageError(run("quickselection", "--output", "sigmoid", "--out", out()), "dst4j quickselection: --output: expected one of linear|tanh, got 'sigmoid'");
        String share = "dst4j neurotrails: --backbone-share: expected erk, single or a number strictly between 0 and 1, got ";
        for (String v : new String[] {"NaN", "1", "0", "-0.5", "2", "half"}) assertUsageError(run("neurotrails", "--backbone-share", v, "--out", out()), share + v);
    }

    // --no-standardize is --scale none: another --scale with it contradicts it, --scale none agrees (and the command
    // goes on to its next check, here --trees without --evaluate, so nothing trains).
    @Test
    void quickSelectionScaleMustAgreeWithNoStandardize() {
        assertUsageError(run("quickselection", "--scale", "center", "--no-standardize", "--out", out()), "dst4j quickselection: --scale center contradicts --no-standardize");
        assertUsageError(run("quickselection", "--scale", "standardize", "--no-standardize", "--out", out()),
                "dst4j quickselection: --scale standardize contradicts --no-standardize");
        assertUsageError(run("quickselection", "--scale", "none", "--no-standardize", "--trees", "5", "--out", out()),
                "dst4j quickselection: --trees sets up the evaluation; it applies only with --evaluate");
    }

    // A Ctrl-C during a data load interrupts the command (Main.run's shutdown hook): the IDX reader's file channel
    // closes, which is reported as an interrupt, not as a bad file ("t10k-labels-idx1-ubyte: cannot read: null", exit 1).
    @Test
    void anInterruptDuringTheDataLoadIsReportedAsOne() throws Exception {
        Path idx = Files.createDirectories(dir.resolve("idx"));
        for (String[] f : new String[][] {{"train", "40"}, {"t10k", "10"}}) {
            int n = Integer.parseInt(f[1]);
            ByteArrayOutputStream images = new ByteArrayOutputStream(), labels = new ByteArrayOutputStream();
            DataOutputStream i = new DataOutputStream(images), l = new DataOutputStream(labels);
            i.writeInt(0x803);
            i.writeInt(n);
            i.writeInt(2);
            i.writeInt(2);
            l.writeInt(0x801);
            l.writeInt(n);
            for (int s = 0; s < n; s++) {
                i.write(new byte[] {(byte) s, 1, 2, 3});
                l.write(s % 3);
            }
            Files.write(idx.resolve(f[0] + "-images-idx3-ubyte"), images.toByteArray());
            Files.write(idx.resolve(f[0] + "-labels-idx1-ubyte"), labels.toByteArray());
        }
        Thread.currentThread().interrupt();
        Outcome o;
        try {
            o = run("set", "--data", idx.toString(), "--threads", "1", "--epochs", "1", "--out", dir.resolve("run").toString());
        } finally {
            Thread.interrupted();
        }
        assertThat(o.code()).as(o.err()).isEqualTo(130);
        assertThat(o.err()).isEqualTo("dst4j set: interrupted: while loading the data");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    // A missing --model is named by its option, not "checkpoint M: no such file".
    @Test
    void aMissingModelIsNamedByItsOption() {
        String missing = dir.resolve("runs/set/model.dst4j").toString();
        Outcome o = run("predict", "--model", missing);
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).isEqualTo("dst4j predict: --model " + missing + ": no such file or directory");
    }

    // Every label 0 would make a one-class classifier, which scores 1.0 from its first epoch without learning anything.
    @Test
    void trainingDataOfOneClassIsRefusedByTheClassifiers() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) sb.append(i % 7).append(',').append(i % 5).append(",0\n");
        String one = Files.writeString(dir.resolve("one.csv"), sb.toString()).toString();
        long offHeap = OffHeap.bytesInUse();
        String expected = ": --data " + one + ": every training label is 0, one class, which a classifier learns nothing from;"
                + " expected at least 2 classes (is the label column, --label-column, or the --labels file the right one?)";
        for (String[] c : new String[][] {{"set", "--hidden", "8"}, {"freetickets", "--variant", "dst", "--hidden", "8", "--density", "1", "--epochs", "1"},
                {"neurotrails", "--hidden", "8", "--density", "1", "--epochs", "1"}, {"spacenet", "--tasks", "1", "--hidden", "8", "--selected", "4",
                "--reserved", "2", "--connections", "8,4", "--epochs", "1", "--no-baselines"}}) {
            Outcome o = run(concat(c, "--data", one, "--threads", "1", "--out", dir.resolve("run-" + c[0]).toString()));
            assertThat(o.code()).as(o.err()).isEqualTo(1);
            assertThat(o.err()).isEqualTo("dst4j " + c[0] + expected);
            assertThat(dir.resolve("run-" + c[0])).doesNotExist();
            assertThat(OffHeap.bytesInUse()).as("the refused data's memory given back").isEqualTo(offHeap);
        }
        // QuickSelection reads no labels: a constant label column is a features-only file's.
        assertThat(run("quickselection", "--data", one, "--k", "1", "--hidden", "4", "--epochs", "1", "--threads", "1", "--out",
                dir.resolve("qs").toString()).code()).isZero();
        // Any one label, not only 0: labels all 3 make 4 classes, three of them without a sample.
        String threes = Files.writeString(dir.resolve("threes.csv"), sb.toString().replace(",0\n", ",3\n")).toString();
        Outcome o = run("set", "--hidden", "8", "--data", threes, "--threads", "1", "--out", dir.resolve("run-threes").toString());
        assertThat(o.code()).as(o.err()).isEqualTo(1);
        assertThat(o.err()).endsWith("dst4j set: --data " + threes + ": every training label is 3, one class, which a classifier learns"
                + " nothing from; expected at least 2 classes (is the label column, --label-column, or the --labels file the right one?)");
        assertThat(dir.resolve("run-threes")).doesNotExist();
        // Labels sorted by class, cut by --limit-train: the message names that option too.
        StringBuilder sorted = new StringBuilder();
        for (int i = 0; i < 60; i++) sorted.append(i % 7).append(',').append(i % 5).append(',').append(i < 30 ? 0 : 1).append('\n');
        String sortedFile = Files.writeString(dir.resolve("sorted.csv"), sorted.toString()).toString();
        o = run("set", "--hidden", "8", "--data", sortedFile, "--limit-train", "20", "--threads", "1", "--out", dir.resolve("run-sorted").toString());
        assertThat(o.code()).as(o.err()).isEqualTo(1);
        assertThat(o.err()).endsWith("the right one? or does --limit-train 20 keep only the first samples of data sorted by label?)");
    }

    // Named by the options to change, not the configs' words for their fields ("shared layers must be in [1, 2]").
    @Test
    void settingsTheConfigsRefuseAreNamedByTheirOptions() {
        assertUsageError(run("spacenet", "--hidden", "20,20", "--connections", "10,10", "--out", out()),
                "dst4j spacenet: --connections 10,10: expected one count per layer, 3 for --hidden 20,20, got 2");
        assertUsageError(run("spacenet", "--selected", "4", "--reserved", "5", "--out", out()),
                "dst4j spacenet: --reserved 5 exceeds --selected 4: a task reserves neurons among those it selected");
        assertUsageError(run("neurotrails", "--hidden", "8,8", "--shared-layers", "3", "--out", out()),
                "dst4j neurotrails: --shared-layers 3: expected at most the 2 hidden layers of --hidden 8,8");
        assertUsageError(run("freetickets", "--member-splits", "own", "--out", out()),
                "dst4j freetickets: --member-splits own applies only to --variant dst; edst trains one network, whose tickets share one split");
        // Nothing is held out to split.
        assertUsageError(run("freetickets", "--variant", "dst", "--valid-split", "0", "--member-splits", "own", "--out", out()),
                "dst4j freetickets: --member-splits chooses which samples each member holds out; --valid-split 0 holds out none");
    }

    static Options set(String... args) throws UsageException {
        Options o = SetCommand.options("set", "test");
        o.parse(args);
        return o;
    }

    @Test
    void aLearningRateScheduleMustHaveItsDocumentedFormAndSaneRanges() throws Exception {
        for (String bad : new String[] {"step:1:-1", "step:1:0", "step:2:1.5", "step:1:NaN", "step:0:0.5", "step:5", "step", "step:5:", "step:5:0.5:1",
                "cosine:5", "cosine:-1", "cosine:NaN", "cosine:Infinity", "cosine:", "cosine:0:0", "constant:junk", "constant:", "wat", ""}) {
            Options o = set("--schedule", bad);
            assertThatThrownBy(() -> SetCommand.config(o)).as(bad).isInstanceOf(UsageException.class)
                    .hasMessage("--schedule: expected constant, step:EVERY:GAMMA (EVERY >= 1 epochs, GAMMA in (0, 1]) or cosine[:MIN] "
                            + "(MIN in [0, 0.01], the --lr), got '" + bad + "'");
        }
        assertThatThrownBy(() -> SetCommand.config(set("--lr", "0.5", "--schedule", "cosine:0.6"))).hasMessageContaining("MIN in [0, 0.5], the --lr");
        for (String good : new String[] {"constant", "step:1:1", "step:3:0.5", "cosine", "cosine:0", "cosine:0.001", "cosine:0.01"}) {
            assertThat(SetCommand.config(set("--schedule", good)).schedule()).isEqualTo(good);
        }
    }

    @Test
    void aNormalInitNeedsAFiniteNonNegativeStd() throws Exception {
        for (String bad : new String[] {"normal:-1", "normal:-0.1", "normal:NaN", "normal:Infinity"}) {
            assertThatThrownBy(() -> SetCommand.config(set("--init", bad))).as(bad).isInstanceOf(UsageException.class)
                    .hasMessage("--init: expected normal:<std> with a finite std >= 0, got '" + bad + "'");
        }
        assertThat(SetCommand.config(set("--init", "normal:0.1")).init()).isEqualTo("normal:0.1");
        assertThat(SetCommand.config(set("--init", "normal:0")).init()).isEqualTo("normal:0");
    }

    @Test
    void aLayerOverTheConnectionLimitIsAUsageErrorNotAStackTrace() throws Exception {
        assertUsageError(tiny("set", "--hidden", "2147483647"), "dst4j set: --hidden 2147483647 with --epsilon 20 gives the 4 -> 2147483647 layer "
                + "8589934588 connections, over the 2^31-1 one layer holds; use smaller hidden layers or a lower --epsilon");
        Options o = set("--hidden", "100000000", "--epsilon", "1000000");
        int[] sizes = {784, 100_000_000, 10};
        assertThatThrownBy(() -> LayerCheck.check(o, "epsilon", "", sizes, new Density.ErdosRenyi(1e6).densities(sizes)))
                .hasMessageContaining("the 784 -> 100000000 layer 78400000000 connections, over the 2^31-1");
    }

    // The two limits' own edges: a layer of exactly 2^31-1 connections fits in one layer, and a network expected to
    // have exactly one input-to-output path (1 x 1 at density 1; 1 connection, then 4 through 4 neurons) can learn.
    @Test
    void aLayerOfExactlyTheConnectionLimitAndOneExpectedPathPass() throws Exception {
        LayerCheck.check(set("--epsilon", "1"), "epsilon", "", new int[] {1, Integer.MAX_VALUE}, new double[] {1});
        LayerCheck.check(set(), "epsilon", "", new int[] {1, 1}, new double[] {1});
        LayerCheck.check(set(), "epsilon", "", new int[] {2, 4, 1}, new double[] {1 / 8.0, 1});
    }

    @Test
    void aNetworkThatCannotConnectItsInputToItsOutputIsRefused() throws Exception {
        assertUsageError(tiny("set", "--hidden", "20", "--epsilon", "1e-9"),
                "dst4j set: --epsilon 1e-9 leaves the 4 -> 20 layer with no connections, so it could not learn; raise --epsilon");
        assertUsageError(tiny("freetickets", "--variant", "dst", "--members", "1", "--hidden", "100,100", "--density", "0.001"),
                "dst4j freetickets: --density 0.001 leaves the 4-100-100-3 network only [3, 5, 3] connections by layer, too few for any input "
                        + "to be expected to reach the output, so it could not learn; raise --density");
        assertThat(tiny("neurotrails", "--hidden", "100,100", "--density", "0.001").err())
                .startsWith("dst4j neurotrails: --density 0.001 leaves the 4-100-100-3 backbone + head only").endsWith("could not learn; raise --density");
        assertThat(tiny("quickselection", "--k", "2", "--epsilon", "1e-9").err())
                .startsWith("dst4j quickselection: --epsilon 1e-9 leaves the 4 -> 1000 layer of the autoencoder with no connections");
        // The defaults, and a sparse but connected network, pass.
        int[] sizes = {784, 1000, 1000, 1000, 10};
        LayerCheck.check(set(), "epsilon", "", sizes, new Density.ErdosRenyi(20).densities(sizes));
        LayerCheck.check(set(), "epsilon", "", sizes, new Density.Erk(0.002).densities(sizes));
    }

    @Test
    void anOutputLayerWithFewerConnectionsThanOutputsIsRefused() throws Exception {
        // A backbone share near 1 starves the heads: input-to-output paths abound, but too few connections feed
        // the classes. The message points at the share, not only at the budget.
        assertThat(tiny("neurotrails", "--hidden", "200,200", "--shared-layers", "2", "--backbone-share", "0.999").err())
                .startsWith("dst4j neurotrails: --density 0.1 leaves the 200 -> 3 output layer of the backbone + head only ")
                .endsWith("could not depend on the input; raise --density or lower --backbone-share 0.999");
        // A share near 0 starves the backbone instead: the message says to raise it, not to lower it.
        assertThat(tiny("neurotrails", "--hidden", "32,32", "--backbone-share", "1e-9").err())
                .contains("leaves the 4 -> 32 layer of the backbone + head with no connections").endsWith("; raise --density or --backbone-share 1e-9");
        // An autoencoder's outputs are not what QuickSelection keeps: 3 connections for 4 outputs still rank the inputs.
        Outcome autoencoder = run("quickselection", "--data", tinyCsv(), "--threads", "1", "--epochs", "1", "--out", dir.resolve("qs").toString(),
                "--k", "2", "--hidden", "1", "--epsilon", "0.6");
        assertThat(autoencoder.code()).as(autoencoder.err()).isZero();
        assertThat(tiny("neurotrails", "--hidden", "200,200", "--shared-layers", "2", "--backbone-share", "0.99").err()).doesNotContain("could not depend");
        int[] sizes = {10, 5, 3};
        LayerCheck.check(set(), "epsilon", "", sizes, new double[] {1, 1.0 / 5});
        assertThatThrownBy(() -> LayerCheck.check(set(), "epsilon", "", sizes, new double[] {1, 1.0 / 15}))
                .hasMessage("--epsilon 20 leaves the 5 -> 3 output layer only 1 connection for its 3 outputs, so at least 2 of them could not depend "
                        + "on the input; raise --epsilon");
    }

    @Test
    void optionsThatAResumedRunWouldIgnoreAreRefused() throws Exception {
        String resume = dir.resolve("no-such-run").toString();
        assertUsageError(run("set", "--resume", resume, "--hidden", "50", "--lr", "0.5", "--epochs", "3", "--out", dir.resolve("x").toString(), "--no-standardize"),
                "dst4j set: --resume continues the run as its checkpoint defines it; drop --hidden, --epochs, --lr, --out, --no-standardize "
                        + "(with --resume only --threads, --seed and the data options apply)");
        // What a resumed run does use passes, to fail only on the missing checkpoint.
        Outcome o = run("set", "--resume", resume, "--threads", "1", "--seed", "7", "--data", tinyCsv(), "--test-fraction", "0.3", "--limit-train", "30");
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).endsWith("--resume " + resume + ": no checkpoint.dst4j there");
        // Found before any data is read: a missing data file is not what is reported.
        Outcome beforeData = run("set", "--resume", resume, "--threads", "1", "--data", dir.resolve("missing.csv").toString());
        assertThat(beforeData.code()).isEqualTo(1);
        assertThat(beforeData.err()).isEqualTo("dst4j set: --resume " + resume + ": no checkpoint.dst4j there");
        // The checkpoint file itself, the likely mistake, is pointed to its directory, not told "no checkpoint.dst4j
        // there".
        Path checkpoint = Files.writeString(Files.createDirectories(dir.resolve("run-k")).resolve("checkpoint.dst4j"), "x");
        Outcome file = run("set", "--resume", checkpoint.toString());
        assertThat(file.code()).isEqualTo(1);
        assertThat(file.err()).isEqualTo("dst4j set: --resume " + checkpoint + " is a file; expected the run's directory: --resume " + checkpoint.getParent());
        // Another command's finished run is named as such.
        Path ftRun = dir.resolve("ft-run");
        assertThat(run("freetickets", "--data", tinyCsv(), "--threads", "1", "--variant", "dst", "--members", "1", "--epochs", "1", "--hidden", "4", "--density", "1", "--out", ftRun.toString()).code()).isZero();
        Outcome qsOnFt = run("quickselection", "--resume", ftRun.toString());
        assertThat(qsOnFt.code()).isEqualTo(1);
        assertThat(qsOnFt.err()).startsWith("dst4j quickselection: --resume " + ftRun + " holds a freetickets run (").endsWith("), not a quickselection run");
        assertThat(run("spacenet", "--resume", ftRun.toString()).err()).startsWith("dst4j spacenet: --resume " + ftRun + " holds a freetickets run (")
                .endsWith("), not a spacenet run");
        Path qsRun = dir.resolve("qs-run");
        assertThat(run("quickselection", "--data", tinyCsv(), "--threads", "1", "--epochs", "1", "--k", "2", "--hidden", "4", "--out", qsRun.toString()).code()).isZero();
        assertThat(run("set", "--resume", qsRun.toString(), "--data", dir.resolve("missing.csv").toString()).err()).as("before any data is read")
                .isEqualTo("dst4j set: --resume " + qsRun + " holds a quickselection run (features.csv, summary.json), not a set run");
        assertThat(run("freetickets", "--resume", ftRun.toString()).err()).as("its own finished run, as before")
                .contains("no checkpoint.dst4j there (the run had finished").doesNotContain("holds");
        // A run killed outright before its first checkpoint leaves only its log: every command points to --overwrite.
        Path killed = Files.createDirectories(dir.resolve("killed"));
        Files.writeString(killed.resolve("metrics.jsonl"), "");
        for (String command : new String[] {"set", "freetickets", "spacenet", "quickselection"}) {
            assertThat(run(command, "--resume", killed.toString()).err()).as(command)
                    .endsWith("no checkpoint.dst4j there (a run stopped before its first epoch ended: start it again, with --overwrite)");
        }
        // Killed while it replaced an earlier run (--overwrite): that run, set aside, is named, as the next --overwrite
        // would discard it.
        Path earlier = Files.createDirectories(killed.resolve(".dst4j-earlier-run-123"));
        Files.writeString(earlier.resolve("checkpoint.dst4j"), "");
        for (String command : new String[] {"set", "freetickets", "spacenet", "quickselection", "neurotrails"}) {
            assertThat(run(command, "--resume", killed.toString()).err()).as(command)
                    .contains("start it again, with --overwrite); the earlier run it was replacing is kept in " + earlier
                            + ": move its files back into " + killed + " to continue that one (a new run with --overwrite discards it)");
        }
        // On data with its own test set (here the embedded one) the seed would draw nothing.
        assertUsageError(run("set", "--resume", resume, "--seed", "7"),
                "dst4j set: --seed with --resume only chooses a single --data file's held-out test split; this data has its own test set");
    }

    @Test
    void spaceNetCapacityIsCheckedAgainstTheHiddenLayers() throws Exception {
        String[] quick = {"--no-baselines", "--tasks", "3", "--limit-train", "30"};
        assertUsageError(tiny("spacenet", concat(quick, "--hidden", "10,10")), "dst4j spacenet: --selected 80 with --reserved 40 over --tasks 3 needs "
                + "(tasks - 1) x reserved + selected = 160 neurons in every hidden layer, for the last task to find its selected neurons free; "
                + "--hidden 10,10 has a layer of 10");
        assertThat(tiny("spacenet", concat(quick, "--hidden", "400,159", "--selected", "80", "--reserved", "40")).err()).endsWith("--hidden 400,159 has a layer of 159");
        assertThat(tiny("spacenet", concat(quick, "--hidden", "400,400", "--selected", "1000", "--reserved", "0")).err()).contains("= 1000 neurons");
        assertUsageError(tiny("spacenet", concat(quick, "--connections", "321,1640,80")),
                "dst4j spacenet: --connections 321,1640,80: a task can place at most 320 connections in the 4 -> 400 layer (4 inputs x 80 --selected neurons), not 321");
        assertThat(tiny("spacenet", concat(quick, "--connections", "320,6401,80")).err())
                .endsWith("at most 6400 connections in the 400 -> 400 layer (80 x 80 --selected neurons), not 6401");
        assertThat(tiny("spacenet", concat(quick, "--connections", "320,6400,81")).err())
                .endsWith("at most 80 connections in the 400 -> 3 layer (80 --selected neurons x 1 class of the smallest task), not 81");
    }

    @Test
    void spaceNetTaskClassesAreCheckedInTheOptionsName() throws Exception {
        String[] quick = {"--no-baselines", "--limit-train", "30", "--connections", "320,6400,80"};
        assertUsageError(tiny("spacenet", concat(quick, "--task-classes", "0/1/2", "--tasks", "2")),
                "dst4j spacenet: --tasks 2 but --task-classes '0/1/2' names 3 tasks; give one of them");
        assertUsageError(tiny("spacenet", concat(quick, "--task-classes", "0,x/1,2")), "dst4j spacenet: --task-classes '0,x/1,2': expected tasks separated"
                + " by '/', each a comma-separated list of class numbers (e.g. 3,7/0,9/1,5/2,8/4,6); task 1 has '0,x'");
        assertUsageError(tiny("spacenet", concat(quick, "--task-classes", "0//1,2")), "dst4j spacenet: --task-classes '0//1,2': task 2 has no classes");
        assertUsageError(tiny("spacenet", concat(quick, "--task-classes", "0,1/1,2")), "dst4j spacenet: --task-classes '0,1/1,2': class 1 is in task 1 and task 2");
        assertUsageError(tiny("spacenet", concat(quick, "--task-classes", "-1/0")), "dst4j spacenet: --task-classes '-1/0': classes are numbered from 0, task 1 has -1");
        // against the data's 3 classes, once it is loaded
        assertThat(tiny("spacenet", concat(quick, "--task-classes", "0/1")).err())
                .startsWith("dst4j spacenet: --task-classes '0/1': class 2 of the data is in no task; every class must be in one (");
        assertThat(tiny("spacenet", concat(quick, "--task-classes", "0/1/3,2")).err())
                .startsWith("dst4j spacenet: --task-classes '0/1/3,2': task 3 has class 3, but the data's classes are 0..2 (");
        // a class number beyond int is out of range, not a malformed list (as the other number options tell the two apart)
        assertUsageError(tiny("spacenet", concat(quick, "--task-classes", "0/1,99999999999")),
                "dst4j spacenet: --task-classes '0/1,99999999999': task 2 has class 99999999999, beyond any dataset's classes");
        assertUsageError(tiny("spacenet", concat(quick, "--task-classes", "0/1,-99999999999")),
                "dst4j spacenet: --task-classes '0/1,-99999999999': classes are numbered from 0, task 2 has -99999999999");
        // the tasks --task-classes names are refused in its name, not in that of --tasks, which was not given
        assertThat(tiny("spacenet", concat(quick, "--task-classes", "0/1/2/3")).err())
                .startsWith("dst4j spacenet: --task-classes '0/1/2/3': task 4 has class 3, but the data's classes are 0..2 (");
        assertUsageError(tiny("spacenet", concat(quick, "--task-classes", "0/1,2", "--hidden", "100,100")),
                "dst4j spacenet: --selected 80 with --reserved 40 over the 2 tasks of --task-classes needs (tasks - 1) x reserved + selected = 120"
                        + " neurons in every hidden layer, for the last task to find its selected neurons free; --hidden 100,100 has a layer of 100");
        assertThat(dir.resolve("run")).doesNotExist();
        Outcome ok = tiny("spacenet", concat(quick, "--task-classes", "2/0,1"));
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.err()).contains("2 tasks (classes 2 / 0,1)");
        assertThat(Files.readString(dir.resolve("run").resolve("metrics.json"))).contains("\"task_classes\":[[2],[0,1]]");
    }

    @Test
    void aSpaceNetTaskWithoutTrainingSamplesIsRefusedBeforeTheRunDirectoryIsMade() throws Exception {
        // 60 samples sorted by label (20 of each of 3 classes), with a test file of all three
        StringBuilder train = new StringBuilder(), test = new StringBuilder();
        for (int i = 0; i < 60; i++) train.append(i % 7).append(',').append(i % 5).append(',').append(i % 11).append(',').append(i / 20).append('\n');
        for (int i = 0; i < 30; i++) test.append(i % 7).append(',').append(i % 5).append(',').append(i % 11).append(',').append(i % 3).append('\n');
        Path tr = Files.writeString(dir.resolve("sorted.csv"), train.toString()), te = Files.writeString(dir.resolve("sorted-test.csv"), test.toString());
        Outcome o = run("spacenet", "--data", tr.toString(), "--test-data", te.toString(), "--limit-train", "30", "--tasks", "3", "--no-baselines",
                "--connections", "240,6400,80", "--epochs", "1", "--threads", "1", "--out", dir.resolve("run").toString());
        assertUsageError(o, "dst4j spacenet: task 3 (classes 2) has no training samples in sorted/train"
                + " (--limit-train 30 keeps only the first samples: is the data sorted by label?)");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void aSpaceNetTaskWithoutTestSamplesIsRefusedBeforeTheRunDirectoryIsMade() throws Exception {
        // 60 training samples of 3 classes, and a test file of classes 0 and 1 only: task 3's accuracy would be NaN
        StringBuilder train = new StringBuilder(), test = new StringBuilder();
        for (int i = 0; i < 60; i++) train.append(i % 7).append(',').append(i % 5).append(',').append(i % 11).append(',').append(i % 3).append('\n');
        for (int i = 0; i < 30; i++) test.append(i % 7).append(',').append(i % 5).append(',').append(i % 11).append(',').append(i % 2).append('\n');
        Path tr = Files.writeString(dir.resolve("three.csv"), train.toString()), te = Files.writeString(dir.resolve("two-test.csv"), test.toString());
        Outcome o = run("spacenet", "--data", tr.toString(), "--test-data", te.toString(), "--tasks", "3", "--no-baselines",
                "--connections", "240,6400,80", "--epochs", "1", "--threads", "1", "--out", dir.resolve("run").toString());
        assertUsageError(o, "dst4j spacenet: task 3 (classes 2) has no test samples in two-test/test: its accuracy cannot be measured (--test-data " + te + ")");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void optionsACommandWouldIgnoreInThisConfigurationAreRefused() throws Exception {
        String out = dir.resolve("qs").toString();
        assertUsageError(tiny("quickselection", "--dataset", "madelon", "--hidden", "8"), "dst4j quickselection: give --data or --dataset, not both");
        assertUsageError(run("quickselection", "--dataset", "madelon", "--limit-train", "100", "--hidden", "8", "--epochs", "1", "--threads", "1", "--out", out),
                "dst4j quickselection: --limit-train does not apply to --dataset madelon (generated, with a fixed size and split)");
        assertUsageError(run("predict", "--model", dir.resolve("none.dst4j").toString(), "--no-standardize"),
                "dst4j predict: --no-standardize does not apply to predict: the model standardizes its input as it was trained");
        assertUsageError(tiny("freetickets", "--variant", "edst", "--hidden", "8", "--explore-epochs", "1", "--refine-epochs", "1"),
                "dst4j freetickets: --epochs applies only to --variant dst, not edst");
        assertUsageError(tiny("freetickets", "--variant", "dst", "--hidden", "8", "--members", "1", "--explore-epochs", "7", "--large-prune-rate", "0.5"),
                "dst4j freetickets: --explore-epochs, --large-prune-rate apply only to --variant edst, not dst");
        assertUsageError(tiny("freetickets", "--variant", "dst", "--hidden", "8", "--members", "1", "--refine-epochs", "2"),
                "dst4j freetickets: --refine-epochs applies only to --variant edst, not dst");
    }

    @Test
    void evaluationSettingsAreCheckedBeforeTheSelectionRuns() throws Exception {
        String[] quick = {"--k", "2", "--hidden", "8", "--evaluate"};
        assertUsageError(tiny("quickselection", concat(quick, "--trees", "0")), "dst4j quickselection: --trees: expected a whole number in [1, 100000], got 0");
        assertUsageError(tiny("quickselection", concat(quick, "--random-draws", "-1")),
                "dst4j quickselection: --random-draws: expected a whole number in [1, 1000], got -1");
        assertUsageError(tiny("quickselection", concat(quick, "--kmeans-runs", "0")), "dst4j quickselection: --kmeans-runs: expected a whole number in [1, 1000], got 0");
        assertUsageError(tiny("quickselection", concat(quick, "--eval-k", "2,1,2")),
                "dst4j quickselection: --eval-k 2,1,2: each K once (a K given twice is evaluated, and printed, twice)");
        assertThat(dir.resolve("run")).as("nothing trained, nothing written").doesNotExist();
    }

    @Test
    void optionsTheRunWouldNotReadAreRefused() throws Exception {
        // Accepted silently, they would have no effect: a user would believe the option was used.
        assertUsageError(tiny("quickselection", "--k", "2", "--hidden", "8", "--trees", "9"),
                "dst4j quickselection: --trees sets up the evaluation; it applies only with --evaluate");
        assertUsageError(tiny("set", "--hidden", "8", "--alpha", "0.1"),
                "dst4j set: --alpha is All-ReLU's slope; it applies only with --activation allrelu, not relu");
        assertThat(dir.resolve("run")).as("nothing trained, nothing written").doesNotExist();
    }
}
