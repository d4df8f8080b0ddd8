package org.dst4j.bench;

import java.util.concurrent.TimeUnit;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.Kernels;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * This machine's arithmetic ceiling, measured in the same kind of JVM as the kernels: ten
 * independent FloatVector FMA chains (enough to hide FMA latency), no memory traffic ({@link Kernels#fmaProbe}). The kernels'
 * GFLOP/s read as a fraction of {@code fma1} (one thread) and {@code fma2} (two threads).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PeakFmaBench {
    private static final Kernels KERNELS = KernelProvider.panama();
    private static final int ROUNDS = 1000;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        public long flops;
    }

    private float start = 1f;

    // Kernels.fmaProbe: the same probe as `dst4j bench kernels`, at the kernels' vector width.
    private float run(Flops f) {
        f.flops += 20L * KERNELS.floatLanes() * ROUNDS;
        return KERNELS.fmaProbe(start, ROUNDS);
    }

    @Benchmark
    @Threads(1)
    public float fma1(Flops f) {
        return run(f);
    }

    @Benchmark
    @Threads(2)
    public float fma2(Flops f) {
        return run(f);
    }
}
