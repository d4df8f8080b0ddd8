package org.dst4j.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.SyntheticClassification;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
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
 * Inference as an embedding application calls it: {@code SparseClassifier.predictProbabilities} on a
 * few samples at a time (one sensor reading, one request) and on a large batch, with FreeTickets'
 * network (784-1000-1000-10 at 90% sparsity). A single sample pays per-call costs that a batch of 1,000
 * hides: two or three shared arenas were once created and closed per call, whose close is a handshake
 * with every thread (43% of the runnable samples of {@code -prof stack} at one sample), now none for
 * calls of up to 8 samples (the classifier keeps their buffers); the narrow-batch forward kernel remains
 * (docs/results/kernels.md, "Inference one sample at a time").
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class PredictBench {
    @Param({"1", "1000"}) int samples;
    @Param({"1"}) int threads;
    /**
     * Parked threads started beside the benchmark, as an application server has: a per-call cost that
     * involves every thread of the JVM (closing a shared arena is a handshake with each) grows with them.
     */
    @Param({"0"}) int idleThreads;

    private SparseClassifier model;
    private Dataset data;
    private float[] raw;
    private final List<Thread> idle = new ArrayList<>();

    @Setup(Level.Trial)
    public void setUp() {
        for (int i = 0; i < idleThreads; i++) {
            idle.add(Thread.ofPlatform().daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) LockSupport.park();
            }));
        }
        MlpConfig cfg = new MlpConfig(new int[] {784, 1000, 1000, 10}, "relu", 0.6f, Activation.linear(), 0f,
                new Density.Erk(0.1), new WeightInit.HeUniform());
        model = new SparseClassifier(SparseMlp.create(cfg, new RandomStream(1).split("init"), 2), null, Map.of(), threads);
        try (WorkerPool pool = new WorkerPool(1)) {
            data = new SyntheticClassification(7, 784, 64, 10, 0.5f).generate("x", 0, samples, pool);
        }
        raw = new float[samples * data.features()];
        for (int i = 0; i < samples; i++) {
            for (int f = 0; f < data.features(); f++) raw[i * data.features() + f] = data.get(i, f);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        idle.forEach(Thread::interrupt);
        model.close();
        data.close();
    }

    @Benchmark
    public float[] predictProbabilities() {
        return model.predictProbabilities(data);
    }

    /** The same samples as a row-major {@code float[]}, copied into a dataset per call. */
    @Benchmark
    public float[] predictProbabilitiesOfRawFloats() {
        return model.predictProbabilities(raw);
    }
}
