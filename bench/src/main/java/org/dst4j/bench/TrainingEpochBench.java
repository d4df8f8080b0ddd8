package org.dst4j.bench;

import java.util.concurrent.TimeUnit;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.SyntheticClassification;
import org.dst4j.nn.evolution.EvolutionSchedule;
import org.dst4j.nn.evolution.GradientGrow;
import org.dst4j.nn.evolution.TopologyEvolution;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.loss.SoftmaxCrossEntropy;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.LearningRate;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.nn.train.EpochMetrics;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.kernel.KernelProvider;
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
 * Whole training epochs of FreeTickets' network (784-1000-1000-10 at 90% sparsity, ERK), as the
 * algorithms run them: SGD with momentum over batches of 128 and a last, shorter batch; a magnitude
 * prune with gradient (RigL) regrowth between the two epochs of each call; an evaluation pass over a
 * test set in batches of 1000. The kernel benchmarks measure one kernel and one shape at a time, so C2
 * compiles each for that use alone; here every kernel sees the mix a real run gives it (gradient and
 * SGD variants of SDDMM, several batch widths), which is what decides whether C2 keeps the vectors in
 * registers. Read {@code -prof gc}'s {@code gc.alloc.rate.norm}: a kernel that boxes its vectors shows
 * up as megabytes per call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 8, time = 2)
@Measurement(iterations = 8, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TrainingEpochBench {
    @Param({"2"}) int threads;
    @Param({"panama"}) String kernels;
    /** Training samples per epoch: 23 batches of 128 and one of 112 (Fashion-MNIST's 54,000 also end in 112). */
    @Param({"3056"}) int samples;

    private WorkerPool pool;
    private ParallelKernels pk;
    private Dataset train, test;
    private SparseMlp net;
    private Trainer.State state;
    private Trainer trainer;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new WorkerPool(threads);
        pk = new ParallelKernels(kernels.equals("scalar") ? KernelProvider.scalar() : KernelProvider.panama(), pool);
        SyntheticClassification source = new SyntheticClassification(7, 784, 64, 10, 0.5f);
        train = source.generate("train", 0, samples, pool);
        test = source.generate("test", samples, 1000, pool);
        MlpConfig cfg = new MlpConfig(new int[] {784, 1000, 1000, 10}, "relu", 0.6f, Activation.linear(), 0f,
                new Density.Erk(0.1), new WeightInit.HeUniform());
        net = SparseMlp.create(cfg, new RandomStream(1).split("init"), 2);
        state = new Trainer.State(new RandomStream(3).split("shuffle"), new RandomStream(4).split("evolution"));
        trainer = new Trainer(pk, new Trainer.Settings(2, 128, new LearningRate.Constant(0.01f), new Sgd(0.9f, 1e-5f),
                new SoftmaxCrossEntropy(), TopologyEvolution.magnitude(new GradientGrow(), EvolutionSchedule.constant(0.5, 1)), 1000));
    }

    /** Two epochs (train, prune and regrow, train) and a test evaluation after each. */
    @Benchmark
    public double twoEpochs() {
        double[] accuracy = new double[1];
        state.epochsDone = 0; // the same network trains on; the schedule starts over
        trainer.run(net, train, test, null, state, new Trainer.Listener() {
            @Override public void epochDone(EpochMetrics m, Trainer.State s) { accuracy[0] = m.testAccuracy(); }
        });
        return accuracy[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        net.close();
        train.close();
        test.close();
        pool.close();
    }
}
