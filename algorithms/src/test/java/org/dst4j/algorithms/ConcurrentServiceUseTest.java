package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * What an application serving and training models in one JVM relies on (README, "Threads in a service"):
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
        try (DatasetSplit d = data()) {
            SetTraining.train(config(1, 2), d, true, dir, null).close();
            Path file = dir.resolve(SetTraining.MODEL);
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
                                    if (!java.util.Arrays.equals(model.predictProbabilities(one), expected)) wrong.add("one sample");
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
                assertThat(calling.await(30, TimeUnit.SECONDS)).isTrue();
                model.close();
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
