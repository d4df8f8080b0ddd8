package org.dst4j.bench;

import java.util.concurrent.TimeUnit;
import org.dst4j.nn.layer.Dropout;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
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
 * Dropout on one hidden layer of SET's default network (1,000 units, batch 128, rate 0.3): drawing the
 * mask and applying it in the forward pass, and masking the gradient in the backward pass. SET applies
 * it to every hidden layer at every step, so it is paid 3 times per batch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DropoutBench {
    @Param({"1000"}) int units;
    @Param({"128"}) int batch;
    @Param({"1", "2"}) int threads;
    @Param({"panama", "scalar"}) String kernels;

    private WorkerPool pool;
    private ParallelKernels pk;
    private Dropout dropout;
    private DenseMatrix a, mask, out;
    private long step;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new WorkerPool(threads);
        pk = new ParallelKernels(kernels.equals("scalar") ? KernelProvider.scalar() : KernelProvider.get(), pool);
        dropout = new Dropout(0.3f, 42);
        a = DenseMatrix.allocate(units, batch);
        mask = DenseMatrix.allocate(units, batch);
        out = DenseMatrix.allocate(units, batch);
        for (int r = 0; r < units; r++) {
            for (int c = 0; c < batch; c++) a.set(r, c, (r * 31 + c * 17) % 97 / 97f - 0.3f);
        }
        dropout.apply(pk, 0, 1, a, mask, out); // backward's mask: 30% zeros, the rest 1/0.7
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        a.close();
        mask.close();
        out.close();
    }

    /** A new mask every call, as every training step draws one. */
    @Benchmark
    public DenseMatrix apply() {
        dropout.apply(pk, step++, 1, a, mask, out);
        return out;
    }

    @Benchmark
    public DenseMatrix backward() {
        Dropout.backward(pk, mask, out);
        return out;
    }
}
