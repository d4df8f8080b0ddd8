package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import org.dst4j.algorithms.cli.HeldOutSplitTest.Outcome;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code predict} on labeled data: the figures it prints, the models it refuses, the files it will not write. */
class PredictCommandTest {
    @TempDir Path dir;

    private static Path samples() throws Exception {
        return Path.of(PredictCommandTest.class.getResource("/org/dst4j/algorithms/formats/v1").toURI());
    }

    private Outcome predict(Path model, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("predict", "--model", model.toString(), "--data", samples().resolve("train.csv").toString(),
                "--threads", "1"));
        args.addAll(List.of(more));
        return HeldOutSplitTest.run(args.toArray(String[]::new));
    }

    @Test
    void theMembersLineGivesEachAccuracyAndNllTheGainOverTheBestAndTheirDiversity() {
        // Two members on four samples of two classes: member 1 right on samples 0, 1, 2; member 2 on 0 and 3. Their mean
        // is right on 0, 1 and 3 (0.75), so the ensemble is 0 points above its best member.
        float[] a = {0.9f, 0.1f, 0.8f, 0.2f, 0.4f, 0.6f, 0.6f, 0.4f};
        float[] b = {0.7f, 0.3f, 0.4f, 0.6f, 0.9f, 0.1f, 0.2f, 0.8f};
        int[] labels = {0, 0, 1, 1};
        EnsembleMetrics m = EnsembleMetrics.of(List.of(a, b), labels, 2);
        double nllA = -(Math.log(0.9f) + Math.log(0.8f) + Math.log(0.6f) + Math.log(0.4f)) / 4;
        double nllB = -(Math.log(0.7f) + Math.log(0.4f) + Math.log(0.1f) + Math.log(0.8f)) / 4;
        assertThat(PredictCommand.partsLine(m, "members")).isEqualTo(String.format(
                "members: accuracy 0.7500 / 0.5000 (ensemble minus best member: +0.00 points), NLL %.4f / %.4f; mean pairwise disagreement %.4f, KL %.4f nats",
                nllA, nllB, EnsembleMetrics.meanOffDiagonal(m.disagreement()), EnsembleMetrics.meanOffDiagonal(m.kl())));
        // Member 2 alone is the best of neither: one point of accuracy is 100 times the fraction; a negative gain keeps its sign.
        float[] c = {0.2f, 0.8f, 0.3f, 0.7f, 0.6f, 0.4f, 0.3f, 0.7f};
        EnsembleMetrics worse = EnsembleMetrics.of(List.of(a, c), labels, 2);
        assertThat(PredictCommand.partsLine(worse, "heads")).startsWith(String.format("heads: accuracy 0.7500 / 0.2500 (ensemble minus best head: %+.2f points), NLL ",
                100 * (worse.ensemble().accuracy() - 0.75)));
        // One member: nothing to compare it with, so no diversity.
        assertThat(PredictCommand.partsLine(EnsembleMetrics.of(List.of(a), labels, 2), "members"))
                .isEqualTo(String.format("members: accuracy 0.7500 (ensemble minus best member: +0.00 points), NLL %.4f", nllA));
    }

    @Test
    void anEnsembleAndAMultiHeadModelAreScoredWithTheirPartsAndASingleNetworkAlone() throws Exception {
        Path s = samples();
        Outcome ensemble = predict(s.resolve("ft-dst"), "--output", dir.resolve("e.csv").toString());
        assertThat(ensemble.code()).as(ensemble.err()).isZero();
        List<String> lines = ensemble.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("accuracy ").endsWith("; wrote " + dir.resolve("e.csv"));
        assertThat(lines.get(1)).startsWith("members: accuracy ").contains("(ensemble minus best member: ", "mean pairwise disagreement");
        Outcome heads = predict(s.resolve("nt/model"), "--output", dir.resolve("h.csv").toString());
        assertThat(heads.code()).as(heads.err()).isZero();
        assertThat(heads.out().lines().toList()).hasSize(2).last().asString().startsWith("heads: accuracy ").contains("(ensemble minus best head: ");
        Outcome single = predict(s.resolve("set/model.dst4j"), "--output", dir.resolve("s.csv").toString());
        assertThat(single.code()).as(single.err()).isZero();
        assertThat(single.out().lines().toList()).singleElement().asString().startsWith("accuracy ");
    }

    // QuickSelection's checkpoint, as a hand-made network: 4 inputs -> 3 -> 4 outputs, the inputs reconstructed.
    private Path autoencoder() throws Exception {
        MlpConfig cfg = new MlpConfig(new int[] {4, 3, 4}, "relu", 0.6f, Activation.linear(), 0f, new Density.Uniform(0.5), new WeightInit.HeUniform());
        List<SparseLinear> layers = List.of(
                new SparseLinear(CsrMatrix.fromCoo(3, 4, new int[] {0, 1, 2}, new int[] {0, 1, 2}, new float[] {1, 2, 3}), Activation.relu()),
                new SparseLinear(CsrMatrix.fromCoo(4, 3, new int[] {0, 1, 2, 3}, new int[] {0, 1, 2, 0}, new float[] {1, 2, 3, 4}), Activation.linear()));
        Path file = dir.resolve("qs/checkpoint.dst4j");
        Files.createDirectories(file.getParent());
        try (SparseClassifier c = new SparseClassifier(SparseMlp.of(cfg, layers, 7), null, Map.of("provenance", Map.of("algorithm", "quickselection")), 1)) {
            c.save(file);
        }
        return file;
    }

    // Its 4 outputs would be taken for 4 classes: tinyCsv's labels 0..2 scored against reconstructed pixels, exit 0.
    @Test
    void anAutoencoderIsRefusedAsAModelToScoreOrToPredictWith() throws Exception {
        Path model = autoencoder(), out = dir.resolve("p.csv");
        String csv = CommandValidationTest.tinyCsv(dir);
        String refusal = "dst4j predict: --model " + model + " is a QuickSelection autoencoder (it reconstructs its 4 inputs; it does not classify):"
                + " its selection is the run's features.csv, and `dst4j export` writes its weights";
        for (String[] data : new String[][] {{"--data", csv, "--test-data", csv}, {"--input", Files.writeString(dir.resolve("bare.csv"), "1,2,3,4\n5,6,7,8\n").toString()}}) {
            List<String> args = new ArrayList<>(List.of("predict", "--model", model.toString(), "--threads", "1", "--output", out.toString()));
            args.addAll(List.of(data));
            Outcome o = HeldOutSplitTest.run(args.toArray(String[]::new));
            assertThat(o.code()).as(data[0]).isEqualTo(1);
            assertThat(o.err()).as(data[0]).isEqualTo(refusal);
            assertThat(out).as(data[0]).doesNotExist();
        }
        // export writes it as the autoencoder it is, as the run's autoencoder.npz has it, not as a classifier of 4 classes.
        Path npz = dir.resolve("qs.npz");
        Outcome e = HeldOutSplitTest.run("export", "--model", model.toString(), "--output", npz.toString());
        assertThat(e.code()).as(e.err()).isZero();
        try (ZipFile z = new ZipFile(npz.toFile())) {
            // a NumPy unicode scalar ('<U'): UTF-32LE, its ASCII characters each followed by three zero bytes
            String meta = new String(z.getInputStream(z.getEntry("meta.npy")).readAllBytes(), StandardCharsets.ISO_8859_1).replace("\0", "");
            assertThat(meta).contains("\"model\":\"autoencoder\"", "\"combine\":\"none\"");
        }
    }

    // Each refused before the model is loaded or the data read, in one line naming --output, exit code 2; nothing is replaced.
    @Test
    void predictionsAreNotWrittenOverTheModelTheDataOrUnderAFile() throws Exception {
        Path s = samples();
        // The model file itself under a name without .dst4j (which is refused by its extension first).
        Path model = Files.copy(s.resolve("set/model.dst4j"), dir.resolve("model.bin"));
        byte[] bytes = Files.readAllBytes(model);
        Outcome o = predict(model, "--output", model.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).isEqualTo("dst4j predict: --output " + model + " is the model file given by --model; write the predictions elsewhere");
        assertThat(Files.readAllBytes(model)).isEqualTo(bytes);
        // A file of an IDX data directory: replaced, the data set would be gone; other files there may be written.
        Path idx = Files.createDirectories(dir.resolve("idx"));
        Path labels = Files.writeString(idx.resolve("train-labels-idx1-ubyte"), "labels");
        o = HeldOutSplitTest.run("predict", "--model", s.resolve("set/model.dst4j").toString(), "--data", idx.toString(), "--output", labels.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).isEqualTo("dst4j predict: --output " + labels + " is a file of the --data " + idx + "; write the predictions elsewhere");
        assertThat(Files.readString(labels)).isEqualTo("labels");
        Path notes = Files.writeString(idx.resolve("notes.csv"), "mine");
        o = HeldOutSplitTest.run("predict", "--model", s.resolve("set/model.dst4j").toString(), "--data", idx.toString(), "--output", notes.toString());
        assertThat(o.err()).doesNotContain("--output");
        // Under a regular file: found before the model loads, not as a failed write after scoring.
        Path file = Files.writeString(dir.resolve("file.txt"), "x");
        Path under = file.resolve("p.csv");
        o = predict(s.resolve("set/model.dst4j"), "--output", under.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).isEqualTo("dst4j predict: --output " + under + ": cannot be created, " + file + " is a file");
        o = HeldOutSplitTest.run("export", "--model", s.resolve("set/model.dst4j").toString(), "--output", file.resolve("m.npz").toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).isEqualTo("dst4j export: --output " + file.resolve("m.npz") + ": cannot be created, " + file + " is a file");
    }

    // The model's own path in the message: the data's feature count alone does not say which model wanted another.
    @Test
    void dataOfAnotherShapeNamesTheModelThatTakesOther() throws Exception {
        String csv = CommandValidationTest.tinyCsv(dir);
        Path model = samples().resolve("set/model.dst4j");
        for (String[] data : new String[][] {{"--data", csv}, {"--data", csv, "--test-data", csv}}) {
            List<String> args = new ArrayList<>(List.of("predict", "--model", model.toString(), "--output", dir.resolve("p.csv").toString()));
            args.addAll(List.of(data));
            Outcome o = HeldOutSplitTest.run(args.toArray(String[]::new));
            assertThat(o.code()).as(o.err()).isEqualTo(1);
            assertThat(o.err()).as(String.join(" ", data)).endsWith(": 4 features per sample; the model " + model + " takes 5");
        }
    }

    // --seed draws a single file's held-out split; with a test set of its own it would be ignored, and the user not told.
    @Test
    void aSeedForDataWithItsOwnTestSetIsRefused() throws Exception {
        String csv = samples().resolve("train.csv").toString();
        Outcome o = predict(samples().resolve("set/model.dst4j"), "--test-data", csv, "--seed", "3", "--output", dir.resolve("p.csv").toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).isEqualTo("dst4j predict: --seed only chooses a single --data file's held-out test split; this data has its own test set");
        assertThat(dir.resolve("p.csv")).doesNotExist();
    }

    // A NeuroTrails run stopped before its model was written holds only checkpoint/: that is where the network is.
    @Test
    void aStoppedNeuroTrailsRunPointsAtItsCheckpoint() throws Exception {
        Path run = Files.createDirectories(dir.resolve("nt/checkpoint"));
        Files.writeString(run.resolve("state.json"), "{}");
        Outcome o = HeldOutSplitTest.run("predict", "--model", dir.resolve("nt").toString(), "--output", dir.resolve("p.csv").toString());
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).isEqualTo("dst4j predict: --model " + dir.resolve("nt") + ": a directory, but neither an ensemble (ensemble.json) nor a multi-head"
                + " model (multihead.json); it holds a NeuroTrails run stopped before its model was saved: --model " + run
                + " reads the network as the run left it, and neurotrails --resume " + dir.resolve("nt") + " continues it");
    }

    // A model directory too large to load: the size told is of its parts and manifest, not of a run's charts and logs beside them.
    @Test
    void aModelDirectoryBeyondTheOffHeapLimitIsSizedByItsOwnFiles() throws Exception {
        Path ens = Files.createDirectories(dir.resolve("ens"));
        long own = 0;
        for (String f : new String[] {"ensemble.json", "member-1.dst4j", "member-2.dst4j"}) own += Files.size(Files.copy(samples().resolve("ft-dst").resolve(f), ens.resolve(f)));
        Files.write(ens.resolve("notes.txt"), new byte[50_000]);
        Files.createDirectories(ens.resolve("charts.dst4j"));
        long before = OffHeap.limit();
        OffHeap.setLimit(OffHeap.bytesInUse() + 100);
        try {
            Outcome o = predict(ens, "--output", dir.resolve("p.csv").toString());
            assertThat(o.code()).as(o.err()).isEqualTo(1);
            assertThat(o.err()).startsWith("dst4j predict: out of memory loading the model " + ens + " (dst4j's off-heap limit")
                    .endsWith("; its files take " + OffHeap.size(own) + ", and loaded it needs about as much");
        } finally {
            OffHeap.setLimit(before);
        }
        assertThat(dir.resolve("p.csv")).doesNotExist();
    }
}
