package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.model.Classifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an application serving and training models in one JVM relies on (docs/api.md, "Threads in a service"):
 * trainings running at once give the bits each gives alone; a classifier closed while request threads
 * (platform and virtual) call it fails those calls with the "closed" exception and nothing else.
 */
class ConcurrentServiceUseTest {

    private static DatasetSplit data() {
        Random r = new Random(11);
        return new DatasetSplit(blobs("train", r, 300), blobs("test", r, 100));
    }

    private static Dataset blobs(String name, Random r, int n) {
        return Blobs.of(name, r, n, 20, 1f);
    }

    private static SetConfig config(long seed, int threads) {
        return SetConfig.defaults().withHidden(48, 48).withEpochs(2).withBatch(32).withSeed(seed).withThreads(threads);
    }

    @Test
    void twoTrainingsAtOnceEachGiveTheModelTheyGiveAlone(@TempDir Path dir) throws Exception {
        try (DatasetSplit d = data()) {
            SetTraining.train(config(1, 1), d, true, dir.resolve("a-alone"), null).close();
            SetTraining.train(config(2, 2), d, true, dir.resolve("b-alone"), null).close();
            ExecutorService two = Executors.newFixedThreadPool(2);
            try {
                // Thread counts swapped against the runs alone: same seed, same model, whatever the threads.
                Future<?> a = two.submit(() -> {
                    SetTraining.train(config(1, 2), d, true, dir.resolve("a"), null).close();
                    return null;
                });
                Future<?> b = two.submit(() -> {
                    SetTraining.train(config(2, 1), d, true, dir.resolve("b"), null).close();
                    return null;
                });
                a.get(60, TimeUnit.SECONDS);
                b.get(60, TimeUnit.SECONDS);
            } finally {
                two.shutdownNow();
            }
            for (String run : new String[] {"a", "b"}) {
                assertThat(Files.readAllBytes(dir.resolve(run).resolve(SetTraining.MODEL))).as(run)
                        .isEqualTo(Files.readAllBytes(dir.resolve(run + "-alone").resolve(SetTraining.MODEL)));
            }
        }
    }

    @Test
    void aClassifierClosedUnderRequestThreadsFailsTheirCallsCleanly(@TempDir Path dir) throws Exception {
        closeUnderRequestThreads(dir);
    }

    // The same on one core, where a monitor would let a virtual thread calling in a loop retake it again and again,
    // the other callers and close() never getting in: the calls take turns in arrival order. A child JVM with one processor, pinned to one core where taskset exists (Linux).
    @Test
    void onOneCoreEveryCallerAndCloseGetTheirTurn(@TempDir Path dir) throws Exception {
        List<String> cmd = new ArrayList<>();
        for (String taskset : new String[] {"/usr/bin/taskset", "/bin/taskset"}) {
            if (Files.isExecutable(Path.of(taskset))) {
                cmd.addAll(List.of(taskset, "-c", "0"));
                break;
            }
        }
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(), "--add-modules", "jdk.incubator.vector",
                "-XX:ActiveProcessorCount=1", "-cp", System.getProperty("java.class.path"), OneCore.class.getName(), dir.toString()));
        Path out = dir.resolve("child.txt");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            assertThat(child.waitFor(180, TimeUnit.SECONDS)).as("the child still runs after 180 s: %s", cmd).isTrue();
            assertThat(child.exitValue()).as(Files.readString(out)).isZero();
        } finally {
            child.destroyForcibly();
        }
    }

    /** The child JVM of {@link #onOneCoreEveryCallerAndCloseGetTheirTurn}: exit code 0 when every check passed. */
    static final class OneCore {
        public static void main(String[] args) {
            try {
                closeUnderRequestThreads(Path.of(args[0]));
                System.exit(0);
            } catch (Throwable e) {
                e.printStackTrace(System.out);
                System.exit(1); // request threads still calling would keep the JVM alive
            }
        }
    }

    static void closeUnderRequestThreads(Path dir) throws Exception {
        try (DatasetSplit d = data()) {
            SetTraining.train(config(1, 2), d, true, dir.resolve("run"), null).close();
            Path file = dir.resolve("run").resolve(SetTraining.MODEL);
            float[] one = new float[d.test().features()];
            for (int round = 0; round < 3; round++) {
                Classifier model = Classifier.load(file, 2);
                float[] expected = model.predictProbabilities(one);
                ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
                ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
                CountDownLatch calling = new CountDownLatch(4);
                List<Thread> requests = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int kind = t;
                    Runnable request = () -> {
                        boolean first = true;
                        try {
                            while (true) {
                                if (kind % 2 == 0) {
                                    if (!Arrays.equals(model.predictProbabilities(one), expected)) wrong.add("one sample");
                                } else {
                                    model.predict(d.test());
                                }
                                if (first) calling.countDown();
                                first = false;
                            }
                        } catch (Throwable e) {
                            if (first) calling.countDown();
                            failures.add(e);
                        }
                    };
                    requests.add(t < 2 ? Thread.ofPlatform().start(request) : Thread.ofVirtual().start(request));
                }
                assertThat(calling.await(30, TimeUnit.SECONDS)).as("round %d: every request thread made a call within 30 s", round).isTrue();
                // Bounded: a close kept out of the lock would otherwise hang the build.
                Thread closing = Thread.ofPlatform().start(model::close);
                closing.join(30_000);
                assertThat(closing.isAlive()).as("round %d: close() still waiting after 30 s", round).isFalse();
                for (Thread r : requests) r.join(30_000);
                assertThat(wrong).isEmpty();
                assertThat(failures).hasSize(4);
                for (Throwable e : failures) {
                    if (!(e instanceof IllegalStateException) || !e.getMessage().contains("closed")) throw new AssertionError("round " + round, e);
                }
            }
        }
    }
}
