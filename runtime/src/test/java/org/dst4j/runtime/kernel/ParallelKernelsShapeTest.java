package org.dst4j.runtime.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;

/** Operands whose shapes do not fit are refused by name, before any thread reads or writes them. */
class ParallelKernelsShapeTest {

    // Each element-wise operation with its first operand 6 x 20 and its second as given.
    private static Map<String, BiConsumer<DenseMatrix, DenseMatrix>> elementWise(ParallelKernels pk) {
        Map<String, BiConsumer<DenseMatrix, DenseMatrix>> ops = new LinkedHashMap<>();
        ops.put("leakyRelu", (a, b) -> pk.leakyRelu(a, 0.1f, b));
        ops.put("leakyReluBackward", (a, b) -> pk.leakyReluBackward(b, 0.1f, a));
        ops.put("sigmoid", (a, b) -> pk.sigmoid(a, b));
        ops.put("sigmoidBackward", (a, b) -> pk.sigmoidBackward(b, a));
        ops.put("tanh", (a, b) -> pk.tanh(a, b));
        ops.put("tanhBackward", (a, b) -> pk.tanhBackward(b, a));
        ops.put("dropout", (a, b) -> pk.dropout(a, 1, 100, 1.5f, b, a));
        ops.put("dropout: out", (a, b) -> pk.dropout(a, 1, 100, 1.5f, a, b));
        ops.put("elementMult", (a, b) -> pk.elementMult(a, b));
        return ops;
    }

    @Test
    void elementWiseOperationsRefuseOperandsOfAnotherShape() {
        try (WorkerPool pool = new WorkerPool(2);
             DenseMatrix a = DenseMatrix.allocate(6, 20);
             DenseMatrix same = DenseMatrix.allocate(6, 20);
             DenseMatrix fewerRows = DenseMatrix.allocate(5, 20);
             DenseMatrix wider = DenseMatrix.allocate(6, 32)) {
            for (Kernels k : Backends.all()) {
                ParallelKernels pk = new ParallelKernels(k, pool);
                for (var op : elementWise(pk).entrySet()) {
                    assertThatCode(() -> op.getValue().accept(a, same)).as(op.getKey()).doesNotThrowAnyException();
                    assertThatThrownBy(() -> op.getValue().accept(a, fewerRows)).as(op.getKey())
                            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(op.getKey()).hasMessageContaining("5 x 20");
                    // a narrower view: its rows are as long as a's, but its columns end at 12
                    assertThatThrownBy(() -> op.getValue().accept(a, wider.columns(12))).as(op.getKey())
                            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("6 x 12, expected 6 x 20");
                }
            }
        }
    }

    // A batch of no columns is a no-op on every backend: the narrow SIMD kernels loaded a whole vector from a fresh
    // 0-column matrix (4 bytes, stride 0) when the other operand was a columns(0) view of a narrow one (stride 2 to 8).
    @Test
    void anEmptyBatchChangesNothingOnEveryBackend() {
        for (Kernels k : Backends.all()) {
            for (int wide : new int[] {2, 4, 8, 40}) {
                try (WorkerPool pool = new WorkerPool(2);
                     CsrMatrix w = CsrMatrix.fromCoo(2, 3, new int[] {0, 1, 1}, new int[] {0, 1, 2}, new float[] {1, 2, 3});
                     DenseMatrix x = DenseMatrix.allocate(3, wide); DenseMatrix y0 = DenseMatrix.allocate(2, 0);
                     DenseMatrix dy = DenseMatrix.allocate(2, wide); DenseMatrix x0 = DenseMatrix.allocate(3, 0);
                     Arena arena = Arena.ofShared()) {
                    ParallelKernels pk = new ParallelKernels(k, pool);
                    MemorySegment v = arena.allocate(ValueLayout.JAVA_FLOAT, 3);
                    String at = Backends.label(k) + ", views of " + wide + " columns";
                    assertThatCode(() -> pk.forward(w, x.columns(0), null, y0)).as(at).doesNotThrowAnyException();
                    assertThatCode(() -> pk.forward(w, x0, null, dy.columns(0))).as(at).doesNotThrowAnyException();
                    assertThatCode(() -> pk.transposed(w, dy.columns(0), x0)).as(at).doesNotThrowAnyException();
                    assertThatCode(() -> pk.transposed(w, y0, x.columns(0))).as(at).doesNotThrowAnyException();
                    assertThatCode(() -> pk.sddmm(w, dy.columns(0), x0, 1f, v)).as(at).doesNotThrowAnyException();
                    assertThatCode(() -> pk.sddmmSgd(w, y0, x.columns(0), 1f, v, 0.1f, 0.9f, 0f)).as(at).doesNotThrowAnyException();
                    assertThat(w.values().toArray(ValueLayout.JAVA_FLOAT)).as(at).containsExactly(1, 2, 3);
                }
            }
        }
    }

    @Test
    void productsRefuseOperandsThatDoNotFitTheWeights() {
        try (WorkerPool pool = new WorkerPool(2);
             CsrMatrix w = Fixtures.randomCsr(new RandomStream(1), 6, 9, 0.5);
             DenseMatrix x = DenseMatrix.allocate(9, 4);
             DenseMatrix y = DenseMatrix.allocate(6, 4);
             DenseMatrix wrong = DenseMatrix.allocate(7, 4)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            assertThatThrownBy(() -> pk.forward(w, x, null, wrong)).hasMessageContaining("forward: shapes do not match");
            assertThatThrownBy(() -> pk.transposed(w, wrong, x)).hasMessageContaining("transposed: shapes do not match");
            assertThatThrownBy(() -> pk.sddmm(w, wrong, x, 1f, w.values())).hasMessageContaining("sddmm: shapes do not match");
            assertThatThrownBy(() -> pk.sddmmSgd(w, wrong, x, 1f, w.values(), 0.1f, 0.9f, 0f)).hasMessageContaining("sddmmSgd: shapes do not match");
            assertThatThrownBy(() -> pk.sddmmSgd(w, y, wrong, 1f, w.values(), 0.1f, 0.9f, 0f)).hasMessageContaining("sddmmSgd: shapes do not match");
            assertThatThrownBy(() -> pk.standardize(x, new float[9], new float[8])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("standardize: a batch of 9 features needs as many means and deviations, got 9 and 8");
            assertThatThrownBy(() -> pk.standardize(x, new float[6], new float[9])).hasMessageContaining("got 6 and 9");
            assertThatCode(() -> pk.forward(w, x, null, y)).doesNotThrowAnyException();
        }
    }

    // The kernels index these segments directly: a short one failed on a worker with an index error naming no operand.
    @Test
    void productsRefuseABiasGradientOrVelocityShorterThanTheWeightsNeed() {
        try (WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared();
             CsrMatrix w = Fixtures.randomCsr(new RandomStream(1), 6, 9, 0.5);
             DenseMatrix x = DenseMatrix.allocate(9, 4);
             DenseMatrix y = DenseMatrix.allocate(6, 4)) {
            ParallelKernels pk = new ParallelKernels(KernelProvider.get(), pool);
            long nnz = w.nnz();
            MemorySegment fiveFloats = arena.allocate(ValueLayout.JAVA_FLOAT, 5);
            MemorySegment short_ = arena.allocate(ValueLayout.JAVA_FLOAT, nnz - 1);
            assertThatThrownBy(() -> pk.forward(w, x, fiveFloats, y)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("forward: bias holds 5 floats, expected 6 (one per row of the weights)");
            assertThatThrownBy(() -> pk.sddmm(w, y, x, 1f, short_)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("sddmm: grad holds " + (nnz - 1) + " floats, expected " + nnz + " (one per stored entry of the weights)");
            assertThatThrownBy(() -> pk.sddmmSgd(w, y, x, 1f, short_, 0.1f, 0.9f, 0f)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("sddmmSgd: velocity holds " + (nnz - 1) + " floats, expected " + nnz + " (one per stored entry of the weights)");
            assertThatThrownBy(() -> pk.biasGradient(y, fiveFloats)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("biasGradient: db holds 5 floats, expected 6 (one per row of dy)");
            assertThatThrownBy(() -> pk.sddmm(w, y, x, 1f, null)).isInstanceOf(NullPointerException.class).hasMessage("grad");
            assertThatThrownBy(() -> pk.biasGradient(y, null)).isInstanceOf(NullPointerException.class).hasMessage("db");
            assertThatCode(() -> pk.forward(w, x, arena.allocate(ValueLayout.JAVA_FLOAT, 6), y)).doesNotThrowAnyException();
        }
    }
}
