package org.dst4j.runtime.kernel;

import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;

/** Random sparse and dense operands with a heap copy for naive reference arithmetic. */
final class Fixtures {
    private Fixtures() {}

    /** A random CSR matrix with the given density; rows listed in {@code emptyRows} get no entries. */
    static CsrMatrix randomCsr(RandomStream rnd, int rows, int cols, double density, int... emptyRows) {
        Set<Integer> empty = new HashSet<>();
        for (int r : emptyRows) empty.add(r);
        CsrMatrix.Builder b = CsrMatrix.builder(rows, cols, (long) rows * cols);
        int[] cs = new int[cols];
        float[] vs = new float[cols];
        for (int r = 0; r < rows; r++) {
            int n = 0;
            if (!empty.contains(r)) {
                for (int c = 0; c < cols; c++) {
                    if (density >= 1.0 || rnd.nextDouble() < density) {
                        cs[n] = c;
                        vs[n++] = (float) rnd.nextGaussian();
                    }
                }
            }
            b.addRow(cs, vs, n);
        }
        return b.build();
    }

    static DenseMatrix randomDense(RandomStream rnd, int rows, int cols) {
        DenseMatrix m = DenseMatrix.allocate(rows, cols);
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) m.set(r, c, (float) rnd.nextGaussian());
        // Garbage in the padding must never reach a result.
        for (int r = 0; r < rows; r++) for (long c = cols; c < m.stride(); c++) {
            m.segment().setAtIndex(ValueLayout.JAVA_FLOAT, r * m.stride() + c, Float.NaN);
        }
        return m;
    }

    static float[][] dense(CsrMatrix w) {
        float[][] d = new float[w.rows()][w.cols()];
        for (int r = 0; r < w.rows(); r++) for (long k = w.rowStart(r); k < w.rowEnd(r); k++) d[r][w.col(k)] = w.value(k);
        return d;
    }

    static float[][] dense(DenseMatrix m) {
        float[][] d = new float[m.rows()][m.cols()];
        for (int r = 0; r < m.rows(); r++) for (int c = 0; c < m.cols(); c++) d[r][c] = m.get(r, c);
        return d;
    }
}
