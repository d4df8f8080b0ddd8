package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dst4j.algorithms.cli.HeldOutSplitTest.Outcome;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
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
        List<String> args = new java.util.ArrayList<>(List.of("predict", "--model", model.toString(), "--data", samples().resolve("train.csv").toString(),
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
}
