package org.dst4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.dst4j.nn.data.MadelonLike;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.data.TaskStream;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.train.Evaluation;
import org.junit.jupiter.api.Test;

/**
 * The nn module's result records keep their own copies of their arrays: neither the array a record was
 * built from nor one an accessor returned can change the record afterwards. They compare, hash and print
 * their arrays by content.
 */
class ResultImmutabilityTest {

    // `a` and `b`, built alike, are one value; its string shows the arrays' contents, not [I@1b6d3586.
    private static void sameValue(Object a, Object b, String... shown) {
        assertThat(a).isNotSameAs(b).isEqualTo(b).hasSameHashCodeAs(b).hasToString(b.toString());
        assertThat(a.toString()).contains(shown).doesNotContainPattern("\\[+[A-Z][\\w.$;]*@[0-9a-f]+");
    }

    @Test
    void ensembleMetricsCopiesItsMatricesAndMembers() {
        EnsembleMetrics.Scores a = new EnsembleMetrics.Scores(0.9, 0.3, 0.05), b = new EnsembleMetrics.Scores(0.8, 0.4, 0.07);
        List<EnsembleMetrics.Scores> members = new ArrayList<>(List.of(a, b));
        double[][] dis = {{0, 0.2}, {0.2, 0}}, kl = {{0, 0.5}, {0.6, 0}};
        EnsembleMetrics m = new EnsembleMetrics(a, members, dis, kl);

        members.add(a);
        dis[0][1] = 9;
        dis[1] = new double[] {7, 7};
        kl[1][0] = 9;
        m.disagreement()[0][1] = 9;
        m.disagreement()[1] = new double[] {7, 7};
        m.kl()[1][0] = 9;

        assertThat(m.members()).containsExactly(a, b);
        assertThatThrownBy(() -> m.members().add(a)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(m.disagreement()).isDeepEqualTo(new double[][] {{0, 0.2}, {0.2, 0}});
        assertThat(m.kl()).isDeepEqualTo(new double[][] {{0, 0.5}, {0.6, 0}});
        assertThat(EnsembleMetrics.meanOffDiagonal(m.disagreement())).isEqualTo(0.2);
        sameValue(m, new EnsembleMetrics(a, List.of(a, b), new double[][] {{0, 0.2}, {0.2, 0}}, new double[][] {{0, 0.5}, {0.6, 0}}),
                "disagreement=[[0.0, 0.2], [0.2, 0.0]]");
        assertThat(m).isNotEqualTo(new EnsembleMetrics(a, List.of(a, b), new double[][] {{0, 0.2}, {0.2, 0}}, new double[][] {{0, 0.5}, {0.7, 0}}));
    }

    @Test
    void evaluationCopiesItsConfusionMatrixAndPredictions() {
        long[][] confusion = {{3, 1}, {0, 4}};
        int[] predictions = {0, 1, 1, 0};
        Evaluation e = new Evaluation(0.5, 0.875, confusion, predictions, 8);

        confusion[0][0] = 99;
        predictions[0] = 5;
        e.confusion()[1][1] = 99;
        e.confusion()[0] = new long[] {7, 7};
        e.predictions()[1] = 5;

        assertThat(e.confusion()).isDeepEqualTo(new long[][] {{3, 1}, {0, 4}});
        assertThat(e.predictions()).containsExactly(0, 1, 1, 0);
    }

    @Test
    void taskCopiesItsClasses() {
        int[] classes = {2, 3};
        TaskStream.Task t = new TaskStream.Task(1, classes, null, null);

        classes[0] = 9;
        t.classes()[1] = 9;

        assertThat(t.classes()).containsExactly(2, 3);
        sameValue(t, new TaskStream.Task(1, new int[] {2, 3}, null, null), "classes=[2, 3]");
        assertThat(t).isNotEqualTo(new TaskStream.Task(1, new int[] {2, 4}, null, null));
    }

    @Test
    void madelonLikeCopiesItsRelevantColumns() {
        int[] relevant = {1, 4, 6};
        MadelonLike m = new MadelonLike(null, relevant);

        relevant[0] = 0;
        m.relevant()[1] = 5;

        assertThat(m.relevant()).containsExactly(1, 4, 6);
        assertThat(m.recovered(new int[] {0, 1, 4, 5, 6})).isEqualTo(3);
        sameValue(m, new MadelonLike(null, new int[] {1, 4, 6}), "relevant=[1, 4, 6]");
        assertThat(m).isNotEqualTo(new MadelonLike(null, new int[] {1, 4, 7}));
    }

    @Test
    void standardizerCopiesItsMeansAndDeviations() {
        float[] mean = {1, 2}, std = {0.5f, 4};
        Standardizer s = new Standardizer(mean, std);

        mean[0] = 100;
        std[1] = 100;
        s.mean()[1] = 100;
        s.std()[0] = 100;

        assertThat(s.mean()).containsExactly(1, 2);
        assertThat(s.std()).containsExactly(0.5f, 4);
        assertThat(s.centeringOnly().mean()).containsExactly(1, 2);
        sameValue(s, new Standardizer(new float[] {1, 2}, new float[] {0.5f, 4}), "mean=[1.0, 2.0]", "std=[0.5, 4.0]");
        assertThat(s).isNotEqualTo(new Standardizer(new float[] {1, 2}, new float[] {0.5f, 3}));
    }

    @Test
    void piecewiseLearningRateComparesItsArraysByContent() {
        LearningRate.Piecewise p = new LearningRate.Piecewise(new int[] {0, 5}, new float[] {0.1f, 0.01f});
        sameValue(p, new LearningRate.Piecewise(new int[] {0, 5}, new float[] {0.1f, 0.01f}), "starts=[0, 5]", "rates=[0.1, 0.01]");
        assertThat(p).isNotEqualTo(new LearningRate.Piecewise(new int[] {0, 6}, new float[] {0.1f, 0.01f}));
    }
}
