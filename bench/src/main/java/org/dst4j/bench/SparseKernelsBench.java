package org.dst4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.KernelRounds;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * The three sparse products of a training step at a 4096 x 4096 layer. Besides JMH's own score
 * (time per call), the {@code flops} counter reports effective FLOP/s: 2·nnz·batch per call, the
 * arithmetic a dense-masked implementation would also do on the live connections only.
 * {@code kernels=scalar} runs the portable reference path for the Panama/scalar ratio, {@code kernels=baseline}
 * the frozen earlier Panama kernels ({@code BaselinePanamaKernels}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SparseKernelsBench {
    @Param({"4096"}) int size;
    @Param({"0.001", "0.01", "0.1"}) double density;
    @Param({"32", "64", "128", "256"}) int batch;
    @Param({"1", "2"}) int threads;
    @Param({"panama"}) String kernels;

    private CsrMatrix w;
    private DenseMatrix x, y, dy, dx;
    private Arena arena;
    private MemorySegment bias, velocity;
    private WorkerPool pool;
    private ParallelKernels pk;
    private long flopsPerCall;

    /** Effective floating-point operations, reported by JMH as a rate (ops/s). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        public long flops;
    }

    @Setup(Level.Trial)
    public void setUp() {
        RandomStream rng = new RandomStream(42);
        w = randomCsr(size, size, density, rng);
        x = randomDense(size, batch, rng);
        dy = randomDense(size, batch, rng);
        y = DenseMatrix.allocate(size, batch);
        dx = DenseMatrix.allocate(size, batch);
        arena = Arena.ofShared();
        bias = arena.allocate(ValueLayout.JAVA_FLOAT, size);
        velocity = arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, w.nnz()));
        pool = new WorkerPool(threads);
        pk = new ParallelKernels(switch (kernels) {
            case "scalar" -> KernelProvider.scalar();
            case "baseline" -> new org.dst4j.runtime.kernel.BaselinePanamaKernels();
            default -> KernelProvider.panama();
        }, pool);
        flopsPerCall = 2L * w.nnz() * batch;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        w.close();
        x.close();
        y.close();
        dy.close();
        dx.close();
        arena.close();
    }

    static CsrMatrix randomCsr(int rows, int cols, double density, RandomStream rng) {
        return KernelRounds.randomCsr(rows, cols, density, rng);
    }

    static DenseMatrix randomDense(int rows, int cols, RandomStream rng) {
        return KernelRounds.randomDense(rows, cols, rng);
    }

    /** {@code Y = W·X + b}. */
    @Benchmark
    public void forward(Flops f) {
        pk.forward(w, x, bias, y);
        f.flops += flopsPerCall;
    }

    /** {@code dX = Wᵀ·dY}. */
    @Benchmark
    public void transposed(Flops f) {
        pk.transposed(w, dy, dx);
        f.flops += flopsPerCall;
    }

    /** Gradient at live connections into an array (the Adam path). */
    @Benchmark
    public void sddmm(Flops f) {
        pk.sddmm(w, dy, x, 1f / batch, velocity);
        f.flops += flopsPerCall;
    }

    /**
     * Gradient at live connections fused with the SGD update. A tiny learning rate keeps the weights
     * (and so the work) statistically unchanged across millions of calls.
     */
    @Benchmark
    public void sddmmSgd(Flops f) {
        pk.sddmmSgd(w, dy, x, 1f / batch, velocity, 1e-12f, 0.9f, 0f);
        f.flops += flopsPerCall;
    }
}
