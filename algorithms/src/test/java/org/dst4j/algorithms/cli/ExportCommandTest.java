package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dst4j.algorithms.cli.CommandValidationTest.assertUsageError;
import static org.dst4j.algorithms.cli.CommandValidationTest.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipFile;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.MultiHeadClassifier;
import org.dst4j.nn.model.SparseClassifier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dst4j export}: what it writes, and the files it refuses to write over. */
class ExportCommandTest {
    @TempDir Path dir;
    Path model, multiHead;

    @BeforeEach
    void trainTinyModels() throws Exception {
        String csv = CommandValidationTest.tinyCsv(dir);
        assertThat(run("set", "--data", csv, "--threads", "1", "--epochs", "1", "--hidden", "8,8", "--out", dir.resolve("set").toString()).code()).isZero();
        assertThat(run("neurotrails", "--data", csv, "--threads", "1", "--epochs", "1", "--hidden", "8,8", "--density", "0.8", "--out", dir.resolve("nt").toString()).code()).isZero();
        model = dir.resolve("set/model.dst4j");
        multiHead = dir.resolve("nt/model");
    }

    private static List<String> entries(Path npz) throws Exception {
        try (ZipFile z = new ZipFile(npz.toFile())) {
            return Collections.list(z.entries()).stream().map(e -> e.getName()).toList();
        }
    }

    @Test
    void writesTheModelsArraysAndReplacesOnlyAnEarlierExport() throws Exception {
        Path out = dir.resolve("exports/set.npz");
        assertThat(run("export", "--model", model.toString(), "--output", out.toString()).code()).isZero();
        List<String> names = entries(out);
        assertThat(names.getFirst()).isEqualTo("meta.npy");
        assertThat(names).contains("standardizer.mean.npy", "layer0.data.npy", "layer0.indices.npy", "layer0.indptr.npy", "layer0.shape.npy",
                "layer2.bias.npy").hasSize(1 + 2 + 3 * 5);
        byte[] first = Files.readAllBytes(out);
        // The same model again: the earlier export is replaced, by the same bytes.
        assertThat(run("export", "--model", model.toString(), "--output", out.toString()).code()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(first);
        Path mh = dir.resolve("nt.npz");
        assertThat(run("export", "--model", multiHead.toString(), "--output", mh.toString()).code()).isZero();
        assertThat(entries(mh)).contains("backbone.layer0.data.npy", "head0.layer0.data.npy", "head2.layer1.bias.npy");
        // Any other file is kept: a CSV, or a file named .npz that this command did not write.
        Path other = Files.writeString(dir.resolve("notes.npz"), "mine");
        assertUsageError(run("export", "--model", model.toString(), "--output", other.toString()),
                "dst4j export: --output " + other + " exists and is not an export of this command; remove it or choose another path");
        assertThat(Files.readString(other)).isEqualTo("mine");
    }

    @Test
    void aRegularFileUnderDevIsKeptAsAnyOther() throws Exception {
        Path shm = Path.of("/dev/shm");
        Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no writable /dev/shm");
        // Not a device: a file on the tmpfs, which a name test for /dev/stdout would take for one and replace.
        Path other = Files.createTempFile(shm, "dst4j-export-test-", ".npz");
        try {
            Files.writeString(other, "mine");
            assertUsageError(run("export", "--model", model.toString(), "--output", other.toString()),
                    "dst4j export: --output " + other + " exists and is not an export of this command; remove it or choose another path");
            assertThat(Files.readString(other)).isEqualTo("mine");
        } finally {
            Files.deleteIfExists(other);
        }
    }

    @Test
    void badPathsAreRefusedInOneLine() throws Exception {
        String m = model.toString();
        assertUsageError(run("export", "--model", m), "dst4j export: --output is required (the .npz file to write)");
        assertUsageError(run("export", "--model", m, "--output", dir.resolve("set/metrics.jsonl").toString()),
                "dst4j export: --output " + dir.resolve("set/metrics.jsonl") + ": expected a file name ending in .npz");
        Path inside = multiHead.resolve("w.npz");
        assertUsageError(run("export", "--model", multiHead.toString(), "--output", inside.toString()),
                "dst4j export: --output " + inside + " is inside the model directory " + multiHead + "; write the export elsewhere");
        assertThat(inside).doesNotExist();
        // Through a link to the directory, either way round, to a file not yet there.
        Path link = Files.createSymbolicLink(dir.resolve("link"), multiHead);
        assertUsageError(run("export", "--model", link.toString(), "--output", inside.toString()),
                "dst4j export: --output " + inside + " is inside the model directory " + link + "; write the export elsewhere");
        Path viaLink = link.resolve("w.npz");
        assertUsageError(run("export", "--model", multiHead.toString(), "--output", viaLink.toString()),
                "dst4j export: --output " + viaLink + " is inside the model directory " + multiHead + "; write the export elsewhere");
        assertThat(inside).doesNotExist();
        var o = run("export", "--model", dir.resolve("set").toString(), "--output", dir.resolve("a.npz").toString());
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).isEqualTo("dst4j export: --model " + dir.resolve("set") + ": a directory, but neither an ensemble (ensemble.json)"
                + " nor a multi-head model (multihead.json); did you mean --model " + model + "?");
        assertThat(dir.resolve("a.npz")).doesNotExist();
        // The run directory given as --model is the mistake to name, not an --output inside it.
        Path inRun = dir.resolve("set/set.npz");
        o = run("export", "--model", dir.resolve("set").toString(), "--output", inRun.toString());
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).endsWith("; did you mean --model " + model + "?");
        assertThat(inRun).doesNotExist();
        // predict checks in the same order.
        o = run("predict", "--model", dir.resolve("set").toString(), "--output", dir.resolve("set/p.csv").toString());
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).startsWith("dst4j predict: --model ").endsWith("; did you mean --model " + model + "?");
        // A stopped run holds only its checkpoint (the model is written at the end): that is named, and the resume.
        Path stopped = Files.createDirectories(dir.resolve("stopped"));
        Files.copy(model, stopped.resolve("checkpoint.dst4j"));
        String hint = "; it holds a stopped run's checkpoint: --model " + stopped.resolve("checkpoint.dst4j")
                + " reads the network as the run left it, and the training command's --resume " + stopped + " continues the run";
        for (String command : List.of("predict", "export", "inspect")) {
            o = command.equals("inspect") ? run(command, "--model", stopped.toString())
                    : run(command, "--model", stopped.toString(), "--output", dir.resolve("out." + command).toString());
            assertThat(o.code()).as(o.err()).isEqualTo(1);
            assertThat(o.err()).as(command).startsWith("dst4j " + command + ": --model " + stopped + ": a directory").endsWith(hint);
        }
        assertThat(run("export", "--model", stopped.resolve("checkpoint.dst4j").toString(), "--output", dir.resolve("c.npz").toString()).code()).isZero();
        // A finished QuickSelection run keeps its checkpoint beside its selection: not a stopped run to resume, and not a
        // network predict classifies with.
        Path selected = Files.createDirectories(dir.resolve("selected"));
        Files.copy(model, selected.resolve("checkpoint.dst4j"));
        Files.writeString(selected.resolve("features.csv"), "rank,feature,importance\n1,3,0.5\n");
        String finished = "; it holds a finished quickselection run: its selection is " + selected.resolve("features.csv") + ", and --model "
                + selected.resolve("checkpoint.dst4j") + " reads its autoencoder (export writes its weights, inspect describes it; it does not classify)";
        for (String command : List.of("predict", "export", "inspect")) {
            o = command.equals("inspect") ? run(command, "--model", selected.toString())
                    : run(command, "--model", selected.toString(), "--output", dir.resolve("out." + command).toString());
            assertThat(o.code()).as(o.err()).isEqualTo(1);
            assertThat(o.err()).as(command).startsWith("dst4j " + command + ": --model " + selected + ": a directory").endsWith(finished);
        }
    }

    // The line says what was written, counted as the model holds it; written to a device, it goes to stderr without a size.
    @Test
    void theSummaryLineCountsWhatWasWritten() throws Exception {
        Path s = Path.of(ExportCommandTest.class.getResource("/org/dst4j/algorithms/formats/v1").toURI());
        record Case(String model, String what) {}
        List<Case> cases;
        try (SparseClassifier set = SparseClassifier.load(s.resolve("set/model.dst4j"), 1);
             EnsembleClassifier ft = EnsembleClassifier.load(s.resolve("ft-dst"), 1);
             MultiHeadClassifier nt = MultiHeadClassifier.load(s.resolve("nt/model"), 1)) {
            long members = ft.members().stream().mapToLong(m -> m.network().connections()).sum();
            assertThat(members).isGreaterThan(ft.members().getFirst().network().connections());
            cases = List.of(new Case("set/model.dst4j", set.network().layers().size() + " layers, " + set.network().connections() + " connections"),
                    new Case("ft-dst", "2 members, " + members + " connections"),
                    new Case("nt/model", "a backbone and 2 heads, " + nt.network().connections() + " connections"));
        }
        for (Case c : cases) {
            Path out = dir.resolve(c.model().replace('/', '-') + ".npz");
            HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("export", "--model", s.resolve(c.model()).toString(), "--output", out.toString());
            assertThat(o.code()).as(o.err()).isZero();
            assertThat(o.out()).isEqualTo("wrote " + out + ": " + c.what() + " of " + s.resolve(c.model()) + ", " + Files.size(out) + " bytes\n");
        }
        Path devNull = Path.of("/dev/null");
        Assumptions.assumeTrue(Files.exists(devNull));
        HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("export", "--model", s.resolve("ft-dst").toString(), "--output", devNull.toString());
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).isEmpty();
        assertThat(o.err()).isEqualTo("wrote /dev/null: " + cases.get(1).what() + " of " + s.resolve("ft-dst"));
    }
}
