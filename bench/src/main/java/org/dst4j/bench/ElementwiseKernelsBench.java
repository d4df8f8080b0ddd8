package org.dst4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.Kernels;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-step kernels around the sparse products that {@link SparseKernelsBench} does not time: the
 * output layer's softmax with cross-entropy (every training step and every {@code predict}), a sigmoid
 * hidden layer (QuickSelection's), the bias gradient and the input batch's standardization (one plain
 * loop for both backends), on a 1,000-unit layer with 10 classes. The default batches are the awkward
 * ones: 1 (a single-sample prediction), 100 (QuickSelection's batch: a partial vector at 8 and 16
 * lanes), 128 (SET's) and 1,000 (the evaluation batch, also partial at 16 lanes). The partial last vector takes a separate path in the SIMD kernels (a masked or zero-padded
 * scratch block), which is where boxing or a scalar fallback would show in {@code -prof gc}.
 * {@code kernels=panama} is the backend {@link KernelProvider#get()} chooses, so
 * {@code -jvmArgsAppend -Ddst4j.vectorBits=128} measures it at 128 bits.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ElementwiseKernelsBench {
    @Param({"1000"}) int units;
    @Param({"10"}) int classes;
    @Param({"1", "100", "128", "1000"}) int batch;
    @Param({"1"}) int threads;
    @Param({"panama", "scalar"}) String kernels;

    private WorkerPool pool;
    private Kernels k;
    private ParallelKernels pk;
    private DenseMatrix logits, grad, probs, pre, act, dy, grad2;
    private int[] labels;
    private Arena arena;
    private MemorySegment db;
    private float[] mean, std;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new WorkerPool(threads);
        k = kernels.equals("scalar") ? KernelProvider.scalar() : KernelProvider.get();
        pk = new ParallelKernels(k, pool);
        RandomStream rng = new RandomStream(42);
        logits = SparseKernelsBench.randomDense(classes, batch, rng);
        grad = DenseMatrix.allocate(classes, batch);
        probs = DenseMatrix.allocate(classes, batch);
        pre = SparseKernelsBench.randomDense(units, batch, rng);
        act = DenseMatrix.allocate(units, batch);
        dy = SparseKernelsBench.randomDense(units, batch, rng);
        grad2 = DenseMatrix.allocate(units, batch);
        labels = new int[batch];
        for (int c = 0; c < batch; c++) labels[c] = (c * 7) % classes;
        arena = Arena.ofShared();
        db = arena.allocate(ValueLayout.JAVA_FLOAT, units);
        mean = new float[units];
        std = new float[units];
        for (int f = 0; f < units; f++) {
            mean[f] = (float) rng.nextGaussian();
            std[f] = 1f + (float) rng.nextDouble(); // at least 1: repeated in place, the values converge instead of overflowing
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        logits.close();
        grad.close();
        probs.close();
        pre.close();
        act.close();
        dy.close();
        grad2.close();
        arena.close();
    }

    /** Training's output layer: loss and gradient of a batch of logits. */
    @Benchmark
    public double softmaxCrossEntropy() {
        return k.softmaxCrossEntropy(logits, labels, 0, 1f / batch, grad, null);
    }

    /** Inference's output layer: probabilities only, as {@code SparseClassifier.predictProbabilities} asks. */
    @Benchmark
    public double softmaxProbabilities() {
        return k.softmaxCrossEntropy(logits, labels, 0, 0f, null, probs);
    }

    /** A sigmoid hidden layer's forward activation. */
    @Benchmark
    public DenseMatrix sigmoid() {
        pk.sigmoid(pre, act);
        return act;
    }

    /** A ReLU hidden layer's forward activation: one read and one write per element, the traffic dropout's draws add to. */
    @Benchmark
    public DenseMatrix relu() {
        pk.leakyRelu(pre, 0f, act);
        return act;
    }

    /** Inverted dropout at rate 0.3 on a hidden layer, as SET's training applies it: a hashed draw per element, the mask and the output written. */
    @Benchmark
    public DenseMatrix dropout() {
        pk.dropout(pre, 42L, (int) (0.3 * 65536), 1f / 0.7f, grad2, act);
        return act;
    }

    /** An input batch standardized in place, as training does to every batch (here of 1,000 features). */
    @Benchmark
    public DenseMatrix standardize() {
        pk.standardize(act, mean, std);
        return act;
    }

    /** {@code db[j] = sum_c dY[j,c]}: the batch sum, in the fixed 16-partial-sum order. */
    @Benchmark
    public MemorySegment biasGradient() {
        pk.biasGradient(dy, db);
        return db;
    }
}
