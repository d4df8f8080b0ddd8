package org.dst4j.nn.ensemble;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.dst4j.runtime.dense.Argmax;
import org.dst4j.runtime.record.ArrayRecords;

/**
 * How an ensemble and its members predict on one labeled set: the ensemble averages the members'
 * class probabilities. Probabilities are row-major {@code [sample * classes + class]}.
 *
 * @param ensemble the averaged prediction's scores
 * @param members each member's own scores, in member order
 * @param disagreement {@code [i][j]}: fraction of samples whose predicted class differs between members i and j
 * @param kl {@code [i][j]}: mean over samples of KL(p_i || p_j), in nats
 */
public record EnsembleMetrics(Scores ensemble, List<Scores> members, double[][] disagreement, double[][] kl) {

    /** Copies the list and the matrices, row by row: changing the caller's afterwards does not change the metrics. */
    public EnsembleMetrics {
        members = List.copyOf(Objects.requireNonNull(members, "members"));
        disagreement = ArrayRecords.deepCopy(Objects.requireNonNull(disagreement, "disagreement"));
        kl = ArrayRecords.deepCopy(Objects.requireNonNull(kl, "kl"));
    }

    /** {@code [i][j]}: fraction of samples whose predicted class differs between members i and j; a copy. */
    @Override public double[][] disagreement() { return ArrayRecords.deepCopy(disagreement); }

    /** {@code [i][j]}: mean over samples of KL(p_i || p_j), in nats; a copy. */
    @Override public double[][] kl() { return ArrayRecords.deepCopy(kl); }

    // By content: the generated methods would compare and print the arrays by identity.
    @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

    @Override public int hashCode() { return ArrayRecords.hashCode(this); }

    @Override public String toString() { return ArrayRecords.toString(this); }

    /**
     * Accuracy, mean negative log-likelihood (nats) and expected calibration error of one predictor.
     *
     * @param accuracy share of samples whose most probable class is their label, in [0, 1]
     * @param nll mean over samples of {@code -log p(label)}, in nats (each capped at about 27.6)
     * @param ece expected calibration error over {@link #ECE_BINS} bins, in [0, 1]
     */
    public record Scores(double accuracy, double nll, double ece) {

        /** {@code accuracy}, {@code nll}, {@code ece} in that order (for JSON files that compare byte for byte). */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("accuracy", accuracy);
            m.put("nll", nll);
            m.put("ece", ece);
            return m;
        }

        /** The scores of {@code probs} against {@code labels}, ECE over {@code bins} equal-width bins. */
        public static Scores of(float[] probs, int[] labels, int classes, int bins) {
            int n = labels.length;
            check(probs, n, classes);
            long correct = 0;
            double nll = 0;
            for (int i = 0; i < n; i++) {
                if (labels[i] < 0 || labels[i] >= classes) {
                    throw new IllegalArgumentException("sample " + i + " has label " + labels[i] + "; the predictions cover classes 0.." + (classes - 1));
                }
                if (Argmax.ofRow(probs, i, classes) == labels[i]) correct++;
                nll -= StrictMath.log(Math.max(probs[i * classes + labels[i]], MIN_PROB));
            }
            return new Scores(n == 0 ? 0 : (double) correct / n, n == 0 ? 0 : nll / n, expectedCalibrationError(probs, labels, classes, bins));
        }
    }

    /** The bin count FreeTickets (and Guo et al. 2017) use for ECE. */
    public static final int ECE_BINS = 15;

    // log(0) guard for a confidently wrong prediction: caps one sample's NLL at about 27.6 nats
    private static final double MIN_PROB = 1e-12;

    /** Scores the average of {@code memberProbs} and each member, plus pairwise diversity. */
    public static EnsembleMetrics of(List<float[]> memberProbs, int[] labels, int classes) {
        Objects.requireNonNull(memberProbs, "memberProbs");
        Objects.requireNonNull(labels, "labels");
        if (memberProbs.isEmpty()) throw new IllegalArgumentException("an ensemble needs at least one member");
        int m = memberProbs.size(), n = labels.length;
        for (float[] p : memberProbs) check(p, n, classes);
        List<Scores> members = new ArrayList<>();
        for (float[] p : memberProbs) members.add(Scores.of(p, labels, classes, ECE_BINS));
        double[][] dis = new double[m][m], kl = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                if (i == j) continue;
                float[] a = memberProbs.get(i), b = memberProbs.get(j);
                long differ = 0;
                double klSum = 0;
                for (int s = 0; s < n; s++) {
                    if (Argmax.ofRow(a, s, classes) != Argmax.ofRow(b, s, classes)) differ++;
                    for (int c = 0; c < classes; c++) {
                        double pa = a[s * classes + c], pb = b[s * classes + c];
                        if (pa > 0) klSum += pa * (StrictMath.log(pa) - StrictMath.log(Math.max(pb, MIN_PROB)));
                    }
                }
                dis[i][j] = n == 0 ? 0 : (double) differ / n;
                kl[i][j] = n == 0 ? 0 : klSum / n;
            }
        }
        return new EnsembleMetrics(Scores.of(average(memberProbs), labels, classes, ECE_BINS), members, dis, kl);
    }

    /** The element-wise mean of the members' probabilities. */
    public static float[] average(List<float[]> memberProbs) {
        // an empty list was a NoSuchElementException with no message
        if (memberProbs.isEmpty()) throw new IllegalArgumentException("an ensemble needs at least one member");
        int len = memberProbs.getFirst().length;
        double[] sum = new double[len];
        for (float[] p : memberProbs) {
            if (p.length != len) throw new IllegalArgumentException("members' predictions differ in size: " + p.length + " vs " + len);
            for (int i = 0; i < len; i++) sum[i] += p[i];
        }
        float[] out = new float[len];
        for (int i = 0; i < len; i++) out[i] = (float) (sum[i] / memberProbs.size());
        return out;
    }

    /**
     * Expected calibration error: samples binned by confidence (the top probability) into {@code bins}
     * equal-width bins over (0, 1], then the sample-weighted mean of |accuracy − mean confidence| per bin.
     */
    public static double expectedCalibrationError(float[] probs, int[] labels, int classes, int bins) {
        if (bins < 1) throw new IllegalArgumentException("bins must be >= 1, got " + bins);
        int n = labels.length;
        check(probs, n, classes);
        double[] conf = new double[bins];
        long[] count = new long[bins], correct = new long[bins];
        for (int i = 0; i < n; i++) {
            int p = Argmax.ofRow(probs, i, classes);
            double c = probs[i * classes + p];
            int b = Math.min(bins - 1, Math.max(0, (int) Math.ceil(c * bins) - 1));
            count[b]++;
            conf[b] += c;
            if (p == labels[i]) correct[b]++;
        }
        double ece = 0;
        for (int b = 0; b < bins; b++) if (count[b] > 0) ece += Math.abs(correct[b] - conf[b]);
        return n == 0 ? 0 : ece / n;
    }

    /** Mean of the off-diagonal entries of a pairwise matrix (0 for a single member). */
    public static double meanOffDiagonal(double[][] pairwise) {
        int m = pairwise.length;
        if (m < 2) return 0;
        double s = 0;
        for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) if (i != j) s += pairwise[i][j];
        return s / (m * (m - 1.0));
    }

    private static void check(float[] probs, int n, int classes) {
        if (probs.length != (long) n * classes) {
            throw new IllegalArgumentException("expected " + n + " x " + classes + " probabilities, got " + probs.length);
        }
    }
}
