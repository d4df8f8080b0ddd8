package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;
import static org.dst4j.algorithms.cli.CommandValidationTest.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dst4j.nn.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quickselection --evaluate} compares the selection to K randomly chosen features: that baseline is what a
 * user reads the selection's accuracy against, so its figures must be those of uniformly drawn K-subsets.
 */
class QuickSelectionEvaluationTest {
    @TempDir Path dir;

    private static final int DRAWS = 1000;

    // Three constant features and one that is the label: ExtraTrees on a draw holding that feature scores 1.0, on
    // one without it a single leaf predicting the majority class 0, which is 60% of the stratified test split. Each
    // draw's accuracy thus says whether it held the feature, and the mean how many draws did.
    private Path oneInformativeFeature() throws Exception {
        StringBuilder sb = new StringBuilder("c0,c1,c2,signal,label\n");
        for (int i = 0; i < 100; i++) {
            int y = i % 5 < 3 ? 0 : 1;
            sb.append("1,2,3,").append(y).append(',').append(y).append('\n');
        }
        return Files.writeString(dir.resolve("one.csv"), sb);
    }

    private Map<String, Object> evaluation(Path data, String threads) throws Exception {
        Path out = dir.resolve("run-" + threads);
        var o = run("quickselection", "--data", data.toString(), "--k", "1", "--hidden", "4", "--epochs", "1", "--scale", "none", "--evaluate",
                "--eval-k", "1,2,4", "--trees", "1", "--kmeans-runs", "1", "--random-draws", String.valueOf(DRAWS), "--threads", threads,
                "--out", out.toString());
        assertThat(o.code()).as(o.err()).isZero();
        return Json.getObject(Json.parseObject(Files.readString(out.resolve("summary.json"))), "evaluation");
    }

    // The baseline's own figures, which a draw of the first K features every time, one draw reused, or another feature
    // set scored in its place would change.
    @Test
    void theRandomBaselineIsTheMeanAccuracyOfUniformlyDrawnFeatureSets() throws Exception {
        Map<String, Object> ev = evaluation(oneInformativeFeature(), "1");
        assertThat(Json.getDouble(ev, "all_features_accuracy")).isEqualTo(1.0);
        @SuppressWarnings("unchecked") List<Map<String, Object>> rows = (List<Map<String, Object>>) ev.get("by_k");
        assertThat(rows).extracting(r -> Json.getInt(r, "k")).containsExactly(1, 2, 4);
        double[] share = {0.25, 0.5, 1.0}; // of K-subsets of 4 features that hold a given one: K / 4
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> row = rows.get(i);
            assertThat(Json.getInt(row, "random_draws")).isEqualTo(DRAWS);
            double mean = Json.getDouble(row, "random_features_accuracy_mean");
            double held = (mean - 0.6) / 0.4 * DRAWS;
            // every draw scored 0.6 or 1.0: the mean is a whole number of draws holding the feature
            assertThat(held).as("K=%d: draws holding the feature, from mean %s", row.get("k"), mean).isCloseTo(Math.rint(held), offset(1e-6));
            // within five standard deviations of the binomial count (1000 draws); all of them when K is every feature
            double sd = Math.sqrt(DRAWS * share[i] * (1 - share[i]));
            assertThat(held).as("K=%d: draws holding the feature", row.get("k")).isBetween(DRAWS * share[i] - 5 * sd - 1e-6, DRAWS * share[i] + 5 * sd + 1e-6);
        }
    }

    // The baseline is drawn from the run's seed, not from the worker threads: a run on other hardware reports the same figures.
    @Test
    void theEvaluationIsTheSameForAnyThreadCount() throws Exception {
        Path data = oneInformativeFeature();
        Map<String, Object> one = evaluation(data, "1"), two = evaluation(data, "2");
        assertThat(two).isEqualTo(one);
        @SuppressWarnings("unchecked") List<Map<String, Object>> rows = (List<Map<String, Object>>) one.get("by_k");
        // the figures compared are not the trivial ones (every draw the same, 0.6 or 1.0)
        assertThat(Json.getDouble(rows.getFirst(), "random_features_accuracy_mean")).isBetween(0.65, 0.95);
    }
}
