package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;
import static org.assertj.core.data.Percentage.withPercentage;

import org.dst4j.runtime.dense.DenseMatrix;
import org.junit.jupiter.api.Test;

class StandardizerTest {

    // Feature 0: 1, 2, 3, 4; feature 1: constant 7.
    private static Dataset four() {
        return Dataset.of("four", new float[] {1, 7, 2, 7, 3, 7, 4, 7}, 4, 2, new int[] {0, 1, 0, 1}, 2);
    }

    @Test
    void fitTakesEachFeaturesMeanAndPopulationStdAndOnlyCentresAConstantFeature() {
        try (Dataset d = four()) {
            Standardizer s = Standardizer.fit(d);
            assertThat(s.mean()).containsExactly(2.5f, 7f);
            assertThat(s.std()).containsExactly((float) Math.sqrt(1.25), 1f);
        }
        try (Dataset empty = Dataset.of("empty", new float[0], 0, 2, new int[0], 1)) {
            assertThat(Standardizer.fit(empty)).isEqualTo(new Standardizer(new float[2], new float[] {1, 1}));
        }
    }

    @Test
    void fitGlobalTakesOneMeanAndStdOverEveryValue() {
        // Not symmetric about the mean: a second pass that reread one sample twice would give another spread.
        try (Dataset d = Dataset.of("d", new float[] {0, 1, 2, 9}, 2, 2, new int[] {0, 1}, 2)) {
            Standardizer s = Standardizer.fitGlobal(d);
            assertThat(s.mean()).containsExactly(3f, 3f);
            assertThat(s.std()).containsExactly((float) Math.sqrt(12.5), (float) Math.sqrt(12.5));
        }
        try (Dataset constant = Dataset.of("c", new float[] {5, 5, 5}, 1, 3, new int[] {0}, 1)) {
            assertThat(Standardizer.fitGlobal(constant)).isEqualTo(new Standardizer(new float[] {5, 5, 5}, new float[] {1, 1, 1}));
        }
        // values in small units are scaled as fit scales them (a fixed threshold of 1e-12 would leave them centred
        // only, at ~0)
        try (Dataset small = Dataset.of("s", new float[] {1e-13f, -1e-13f, 2e-13f, -2e-13f}, 4, 1, new int[] {0, 1, 0, 1}, 2)) {
            assertThat(Standardizer.fitGlobal(small).std()).containsExactly(Standardizer.fit(small).std());
            assertThat(Standardizer.fitGlobal(small).std()[0]).isCloseTo(1.5811388e-13f, withPercentage(1e-4));
        }
    }

    @Test
    void applyToADatasetAndToABatchGivesTheSameStandardizedValues() {
        Standardizer s = new Standardizer(new float[] {1, -2}, new float[] {2, 0.5f});
        try (Dataset d = four(); DenseMatrix batch = DenseMatrix.allocate(2, 4)) {
            d.gatherBatch(new int[] {0, 1, 2, 3}, 0, 4, batch);
            s.apply(d);
            s.apply(batch);
            for (int i = 0; i < 4; i++) {
                assertThat(d.get(i, 0)).isEqualTo((i + 1 - 1) * (1f / 2));
                assertThat(d.get(i, 1)).isEqualTo((7 + 2) * (1f / 0.5f));
                assertThat(batch.get(0, i)).isEqualTo(d.get(i, 0));
                assertThat(batch.get(1, i)).isEqualTo(d.get(i, 1));
            }
        }
        try (Dataset d = four(); DenseMatrix three = DenseMatrix.allocate(3, 1)) {
            Standardizer one = new Standardizer(new float[1], new float[] {1});
            assertThatThrownBy(() -> one.apply(d)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("four has 2 features; the standardizer was fitted on 1");
            assertThatThrownBy(() -> one.apply(three)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("batch has 3 features; the standardizer was fitted on 1");
        }
    }

    @Test
    void aFeatureOnATinyScaleIsStandardizedNotTakenForAConstantOne() {
        // Feature 0 in units of 1e-20 (1, 2, 3, 4 times it): under a fixed std threshold of 1e-12 it was only centred, left
        // at 1e-20 beside features of 1, so that training could not tell its samples apart. Feature 1 varies by subnormals,
        // too little to divide by in float: only centred, as a constant one.
        float u = 1e-20f, sub = Float.MIN_VALUE;
        try (Dataset d = Dataset.of("tiny", new float[] {u, sub, 2 * u, 2 * sub, 3 * u, sub, 4 * u, 2 * sub}, 4, 2, new int[] {0, 1, 0, 1}, 2)) {
            Standardizer s = Standardizer.fit(d);
            assertThat(s.std()[0]).isCloseTo((float) (Math.sqrt(1.25) * u), withPercentage(1e-4));
            assertThat(s.std()[1]).isEqualTo(1f);
            s.apply(d);
            for (int i = 0; i < 4; i++) assertThat(d.get(i, 0)).isCloseTo((float) ((i - 1.5) / Math.sqrt(1.25)), offset(1e-5f));
        }
    }

    @Test
    void featuresNearTheFloatRangeAreStandardizedWithoutOverflow() {
        // -3e38 - 1e38 overflows a float though both are floats: the fit's std would be Infinity (an exception from
        // every training command) and a sample so far from the mean standardize to an infinity (a NaN loss).
        float max = 3e38f;
        try (Dataset d = Dataset.of("huge", new float[] {max, -max, -max, -max}, 4, 1, new int[] {0, 1, 1, 1}, 2);
                DenseMatrix batch = DenseMatrix.allocate(1, 4)) {
            d.gatherBatch(new int[] {0, 1, 2, 3}, 0, 4, batch);
            Standardizer s = Standardizer.fit(d);
            double mean = -max / 2.0, std = Math.sqrt(3) * max / 2;
            assertThat(s.mean()).containsExactly((float) mean);
            assertThat(s.std()[0]).isCloseTo((float) std, withPercentage(1e-4));
            s.apply(d);
            s.apply(batch);
            for (int i = 0; i < 4; i++) {
                double expected = ((i == 0 ? max : -max) - mean) / std;
                assertThat(d.get(i, 0)).as("sample %d", i).isCloseTo((float) expected, offset(1e-5f));
                assertThat(batch.get(0, i)).isEqualTo(d.get(i, 0));
            }
        }
    }

    @Test
    void centeringOnlyKeepsTheMeansAndScalesNothing() {
        Standardizer s = new Standardizer(new float[] {1, 2}, new float[] {3, 4}).centeringOnly();
        assertThat(s).isEqualTo(new Standardizer(new float[] {1, 2}, new float[] {1, 1}));
    }

    @Test
    void badStatisticsAreNamedWithTheirFeature() {
        assertThatThrownBy(() -> new Standardizer(new float[2], new float[] {1})).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mean has 2 features, std 1");
        assertThatThrownBy(() -> new Standardizer(new float[] {0, Float.NaN}, new float[] {1, 1})).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mean of feature 1 is NaN, expected a finite number");
        for (float bad : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> new Standardizer(new float[2], new float[] {1, bad})).as("std %s", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("std of feature 1 is " + bad + ", expected a finite number > 0");
        }
        assertThatThrownBy(() -> new Standardizer(new float[2], new float[] {1, Float.MIN_VALUE})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("std of feature 1 is 1.4E-45, too small to divide by");
    }

    @Test
    void theMeanAbsoluteScoreSaysHowFarDataLiesFromTheFittedData() {
        Standardizer std = new Standardizer(new float[] {1f, 0f}, new float[] {2f, 0.5f});
        try (Dataset d = Dataset.of("d", new float[] {3f, 0.5f, -1f, -1f}, 2, 2, new int[2], 1)) {
            // |3-1|/2 = 1, |0.5|/0.5 = 1, |-1-1|/2 = 1, |-1|/0.5 = 2: mean 1.25
            assertThat(std.meanAbsoluteScore(d)).isEqualTo(1.25);
        }
        try (Dataset empty = Dataset.of("e", new float[0], 0, 2, new int[0], 1); Dataset wide = Dataset.of("w", new float[3], 1, 3, new int[1], 1)) {
            assertThat(std.meanAbsoluteScore(empty)).isZero();
            assertThatThrownBy(() -> std.meanAbsoluteScore(wide)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("w has 3 features; the standardizer was fitted on 2");
        }
    }

    @Test
    void theMeanAbsoluteScoreOfValuesNearTheFloatRangeIsFinite() {
        // Computed in float, 3.4e38 / 0.5 and 3e38 - -3e38 would overflow: predict's warning, and a training command's
        // about its test file, would say such data lay "on average Infinity standard deviations" from the training
        // data.
        Standardizer std = new Standardizer(new float[] {0f, -3e38f}, new float[] {0.5f, 1f});
        try (Dataset d = Dataset.of("d", new float[] {3.4e38f, 3e38f}, 1, 2, new int[1], 1)) {
            assertThat(std.meanAbsoluteScore(d)).isCloseTo(((double) 3.4e38f / 0.5 + 2 * (double) 3e38f) / 2, withPercentage(1e-6));
        }
    }
}
