package org.dst4j.nn.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.loss.MeanSquaredError;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.Kernels;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;

/**
 * One optimizer step through {@link SparseMlp#trainBatch}, against the update computed by hand from the
 * documented formulas (batch-averaged gradients, non-zero prior optimizer state), on every backend.
 */
class OptimizerStepTest {
    private static final int IN = 6, OUT = 3, N = 35; // 35 samples: whole SIMD vectors and a tail at 4, 8 and 16 lanes

    private static List<Kernels> backends() {
        return List.of(KernelProvider.scalar(), KernelProvider.panama());
    }

    /**
     * A one-layer linear network under squared error on one-hot labels: dLoss/dout = out - onehot, so
     * the batch-mean gradients follow from the outputs, {@code gw[j,i] = mean_c d[j,c] x[i,c]} and
     * {@code gb[j] = mean_c d[j,c]}.
     */
    private record Fixture(SparseMlp net, DenseMatrix x, int[] labels, double[] gw, double[] gb) implements AutoCloseable {
        static Fixture make(ParallelKernels pk) {
            MlpConfig cfg = new MlpConfig(new int[] {IN, OUT}, "relu", 0.6f, Activation.linear(), 0f,
                    new Density.Uniform(0.7), new WeightInit.HeUniform());
            SparseMlp net = SparseMlp.create(cfg, new RandomStream(21), 1);
            DenseMatrix x = DenseMatrix.allocate(IN, N);
            RandomStream rnd = new RandomStream(22);
            int[] labels = new int[N];
            for (int c = 0; c < N; c++) {
                labels[c] = rnd.nextInt(OUT);
                for (int i = 0; i < IN; i++) x.set(i, c, (float) rnd.nextGaussian());
            }
            SparseLinear layer = net.layers().getFirst();
            for (int j = 0; j < OUT; j++) layer.bias().setAtIndex(JAVA_FLOAT, j, 0.2f * (j - 1) + 0.1f);
            DenseMatrix out = net.predict(pk, x);
            double[][] d = new double[OUT][N];
            for (int j = 0; j < OUT; j++) for (int c = 0; c < N; c++) d[j][c] = out.get(j, c) - (labels[c] == j ? 1.0 : 0.0);
            CsrMatrix w = layer.weights();
            double[] gw = new double[(int) w.nnz()], gb = new double[OUT];
            for (int j = 0; j < OUT; j++) {
                for (int c = 0; c < N; c++) gb[j] += d[j][c] / N;
                for (long k = w.rowStart(j); k < w.rowEnd(j); k++) {
                    for (int c = 0; c < N; c++) gw[(int) k] += d[j][c] * x.get(w.col(k), c) / N;
                }
            }
            return new Fixture(net, x, labels, gw, gb);
        }

        SparseLinear layer() { return net.layers().getFirst(); }

        @Override public void close() {
            net.close();
            x.close();
        }
    }

    @Test
    void sgdStepWithMomentumAndWeightDecayMatchesHandComputedUpdate() {
        float momentum = 0.9f, decay = 0.01f, lr = 0.1f;
        for (Kernels kernels : backends()) {
            try (WorkerPool pool = new WorkerPool(1)) {
                ParallelKernels pk = new ParallelKernels(kernels, pool);
                try (Fixture f = Fixture.make(pk)) {
                    Sgd sgd = new Sgd(momentum, decay);
                    f.net().attach(sgd);
                    SparseLinear layer = f.layer();
                    CsrMatrix w = layer.weights();
                    MemorySegment vel = w.side(Sgd.VELOCITY), bias = layer.bias(), bvel = layer.biasState();
                    int nnz = (int) w.nnz();
                    float[] w0 = new float[nnz], v0 = new float[nnz], b0 = new float[OUT], bv0 = new float[OUT];
                    for (int k = 0; k < nnz; k++) {
                        v0[k] = 0.05f * (k % 5 - 2);
                        vel.setAtIndex(JAVA_FLOAT, k, v0[k]);
                        w0[k] = w.value(k);
                    }
                    for (int j = 0; j < OUT; j++) {
                        bv0[j] = 0.03f * (j - 1) + 0.01f;
                        bvel.setAtIndex(JAVA_FLOAT, j, bv0[j]);
                        b0[j] = bias.getAtIndex(JAVA_FLOAT, j);
                    }
                    f.net().trainBatch(pk, f.x(), f.labels(), 0, null, new MeanSquaredError(), sgd, lr, 0);
                    String at = kernels.name() + "/" + kernels.floatLanes();
                    // v = momentum*v - lr*g; p += v - weightDecay*p
                    for (int k = 0; k < nnz; k++) {
                        double v = momentum * v0[k] - lr * f.gw()[k];
                        assertThat(vel.getAtIndex(JAVA_FLOAT, k)).as(at + " velocity " + k).isCloseTo((float) v, within(1e-5f));
                        assertThat(w.value(k)).as(at + " weight " + k).isCloseTo((float) (w0[k] + v - decay * w0[k]), within(1e-5f));
                    }
                    for (int j = 0; j < OUT; j++) {
                        double v = momentum * bv0[j] - lr * f.gb()[j];
                        assertThat(bvel.getAtIndex(JAVA_FLOAT, j)).as(at + " bias velocity " + j).isCloseTo((float) v, within(1e-5f));
                        assertThat(bias.getAtIndex(JAVA_FLOAT, j)).as(at + " bias " + j).isCloseTo((float) (b0[j] + v - decay * b0[j]), within(1e-5f));
                    }
                }
            }
        }
    }

    @Test
    void adamWStepMatchesHandComputedUpdate() {
        float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, decay = 0.05f, lr = 0.01f;
        for (Kernels kernels : backends()) {
            try (WorkerPool pool = new WorkerPool(1)) {
                ParallelKernels pk = new ParallelKernels(kernels, pool);
                try (Fixture f = Fixture.make(pk)) {
                    Adam adam = new Adam(beta1, beta2, eps, decay);
                    f.net().attach(adam);
                    adam.setSteps(3); // as if resumed: the bias corrections are those of step 4
                    SparseLinear layer = f.layer();
                    CsrMatrix w = layer.weights();
                    MemorySegment m = w.side(Adam.M), v = w.side(Adam.V), bias = layer.bias(), bs = layer.biasState();
                    int nnz = (int) w.nnz();
                    float[] p0 = new float[nnz + OUT], m0 = new float[nnz + OUT], v0 = new float[nnz + OUT];
                    for (int i = 0; i < nnz + OUT; i++) {
                        m0[i] = 0.02f * (i % 5 - 2);
                        v0[i] = 0.001f * (1 + i % 3);
                    }
                    for (int k = 0; k < nnz; k++) {
                        p0[k] = w.value(k);
                        m.setAtIndex(JAVA_FLOAT, k, m0[k]);
                        v.setAtIndex(JAVA_FLOAT, k, v0[k]);
                    }
                    // bias state: OUT first moments, then OUT second moments
                    for (int j = 0; j < OUT; j++) {
                        p0[nnz + j] = bias.getAtIndex(JAVA_FLOAT, j);
                        bs.setAtIndex(JAVA_FLOAT, j, m0[nnz + j]);
                        bs.setAtIndex(JAVA_FLOAT, OUT + j, v0[nnz + j]);
                    }
                    f.net().trainBatch(pk, f.x(), f.labels(), 0, null, new MeanSquaredError(), adam, lr, 0);
                    assertThat(adam.steps()).isEqualTo(4);
                    double c1 = 1 - Math.pow(beta1, 4), c2 = 1 - Math.pow(beta2, 4);
                    String at = kernels.name() + "/" + kernels.floatLanes();
                    for (int i = 0; i < nnz + OUT; i++) {
                        double g = i < nnz ? f.gw()[i] : f.gb()[i - nnz];
                        double mi = beta1 * m0[i] + (1 - beta1) * g, vi = beta2 * v0[i] + (1 - beta2) * g * g;
                        // AdamW: p -= lr * (mhat / (sqrt(vhat) + eps) + weightDecay * p)
                        double p = p0[i] - lr * (mi / c1 / (Math.sqrt(vi / c2) + eps) + decay * p0[i]);
                        boolean isBias = i >= nnz;
                        String what = at + (isBias ? " bias " + (i - nnz) : " weight " + i);
                        float gotM = isBias ? bs.getAtIndex(JAVA_FLOAT, i - nnz) : m.getAtIndex(JAVA_FLOAT, i);
                        float gotV = isBias ? bs.getAtIndex(JAVA_FLOAT, OUT + i - nnz) : v.getAtIndex(JAVA_FLOAT, i);
                        float gotP = isBias ? bias.getAtIndex(JAVA_FLOAT, i - nnz) : w.value(i);
                        assertThat((double) gotM).as(what + " m").isCloseTo(mi, within(1e-6));
                        assertThat((double) gotV).as(what + " v").isCloseTo(vi, within(1e-6 * vi));
                        assertThat((double) gotP).as(what).isCloseTo(p, within(1e-6));
                    }
                }
            }
        }
    }

    /**
     * With a zero gradient (squared error against the network's own outputs) AdamW's moments stay zero
     * and each step only decays: {@code p -= lr * weightDecay * p}, a factor {@code 1 - lr*weightDecay}
     * per step, in every layer's weights and biases; exactly the kernel's float evaluation of that formula.
     */
    @Test
    void adamWeightDecayAloneShrinksEveryParameterByTheDocumentedFactor() {
        float decay = 0.1f, lr = 0.05f;
        MlpConfig cfg = new MlpConfig(new int[] {5, 7, 6, 3}, "tanh", 0.6f, Activation.linear(), 0f,
                new Density.Uniform(0.6), new WeightInit.XavierUniform());
        for (Kernels kernels : backends()) {
            String at = kernels.name() + "/" + kernels.floatLanes();
            try (WorkerPool pool = new WorkerPool(1);
                 SparseMlp net = SparseMlp.create(cfg, new RandomStream(11), 1);
                 DenseMatrix x = DenseMatrix.allocate(5, N);
                 DenseMatrix targets = DenseMatrix.allocate(3, N)) {
                ParallelKernels pk = new ParallelKernels(kernels, pool);
                RandomStream rnd = new RandomStream(5);
                for (int c = 0; c < N; c++) for (int i = 0; i < 5; i++) x.set(i, c, (float) rnd.nextGaussian());
                for (SparseLinear l : net.layers()) {
                    for (int j = 0; j < l.out(); j++) l.bias().setAtIndex(JAVA_FLOAT, j, 0.1f * (j % 3 - 1) + 0.05f);
                }
                Adam adam = Adam.withWeightDecay(decay);
                net.attach(adam);
                for (int step = 0; step < 3; step++) {
                    DenseMatrix out = net.predict(pk, x);
                    for (int j = 0; j < 3; j++) for (int c = 0; c < N; c++) targets.set(j, c, out.get(j, c));
                    List<float[]> before = parameters(net);
                    net.trainBatch(pk, x, null, 0, targets, new MeanSquaredError(), adam, lr, step);
                    List<float[]> after = parameters(net);
                    for (int l = 0; l < before.size(); l++) {
                        float[] p0 = before.get(l), p1 = after.get(l);
                        assertThat(p1).hasSameSizeAs(p0);
                        for (int i = 0; i < p0.length; i++) {
                            String what = at + " step " + step + " layer " + l + " parameter " + i;
                            assertThat(p0[i]).as(what).isNotZero();
                            assertThat(p1[i]).as(what).isEqualTo(p0[i] - lr * (decay * p0[i]));
                            assertThat((double) p1[i]).as(what).isCloseTo(p0[i] * (1.0 - (double) lr * decay), within(1e-6 * Math.abs(p0[i])));
                        }
                    }
                    for (SparseLinear l : net.layers()) {
                        for (String side : adam.sideArrays()) {
                            MemorySegment s = l.weights().side(side);
                            for (long k = 0; k < l.connections(); k++) assertThat(Math.abs(s.getAtIndex(JAVA_FLOAT, k))).isEqualTo(0f);
                        }
                        for (int i = 0; i < 2 * l.out(); i++) assertThat(Math.abs(l.biasState().getAtIndex(JAVA_FLOAT, i))).isEqualTo(0f);
                    }
                }
                assertThat(adam.steps()).isEqualTo(3);
            }
        }
    }

    // Each layer's weights then biases.
    private static List<float[]> parameters(SparseMlp net) {
        return net.layers().stream().map(l -> {
            float[] p = new float[(int) l.connections() + l.out()];
            for (int k = 0; k < l.connections(); k++) p[k] = l.weights().value(k);
            for (int j = 0; j < l.out(); j++) p[(int) l.connections() + j] = l.bias().getAtIndex(JAVA_FLOAT, j);
            return p;
        }).toList();
    }
}
