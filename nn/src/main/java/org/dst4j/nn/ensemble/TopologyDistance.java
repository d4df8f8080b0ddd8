package org.dst4j.nn.ensemble;

import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.sparse.CsrMatrix;

/** How far apart two sparse networks of the same shape are in topology, layer by layer. */
public final class TopologyDistance {
    private TopologyDistance() {}

    /**
     * For each layer, the fraction of connections not shared: {@code 1 − |A ∩ B| / max(|A|, |B|)} over
     * the two layers' sets of (row, col) positions — 0 for identical topologies, 1 for disjoint ones.
     * One merge of the sorted rows, O(nnz).
     */
    public static double[] byLayer(SparseMlp a, SparseMlp b) {
        var la = a.layers();
        var lb = b.layers();
        if (la.size() != lb.size()) throw new IllegalArgumentException("networks have " + la.size() + " and " + lb.size() + " layers");
        double[] d = new double[la.size()];
        for (int l = 0; l < d.length; l++) d[l] = between(la.get(l).weights(), lb.get(l).weights());
        return d;
    }

    /** The fraction of connections not shared by two same-shaped matrices. */
    public static double between(CsrMatrix a, CsrMatrix b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException("shapes differ: " + a.rows() + "x" + a.cols() + " vs " + b.rows() + "x" + b.cols());
        }
        long shared = 0;
        for (int r = 0; r < a.rows(); r++) {
            long i = a.rowStart(r), ie = a.rowEnd(r), j = b.rowStart(r), je = b.rowEnd(r);
            while (i < ie && j < je) {
                int ca = a.col(i), cb = b.col(j);
                if (ca == cb) {
                    shared++;
                    i++;
                    j++;
                } else if (ca < cb) {
                    i++;
                } else {
                    j++;
                }
            }
        }
        long larger = Math.max(a.nnz(), b.nnz());
        return larger == 0 ? 0 : 1 - (double) shared / larger;
    }
}
