package org.dst4j.runtime.parallel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void closingWhileAnotherThreadRunsJobsWaitsForTheJobAndNeverHangsIt() throws Exception {
        // close() once raced run(): a worker that saw the pool closed skipped its part, and the caller spun forever.
        for (int round = 0; round < 40; round++) {
            WorkerPool pool = new WorkerPool(3);
            AtomicInteger jobs = new AtomicInteger();
            AtomicReference<Throwable> ended = new AtomicReference<>();
            Thread user = Thread.ofPlatform().start(() -> {
                try {
                    while (true) {
                        int[] hits = new int[30];
                        pool.run(30, (from, to) -> { for (int i = from; i < to; i++) hits[i]++; });
                        for (int h : hits) if (h != 1) throw new AssertionError("a range ran " + h + " times");
                        jobs.incrementAndGet();
                    }
                } catch (Throwable t) {
                    ended.set(t);
                }
            });
            while (jobs.get() < 1 + round % 7) Thread.onSpinWait();
            pool.close();
            user.join(10_000);
            assertThat(user.isAlive()).as("round " + round + ": the running thread hung").isFalse();
            assertThat(ended.get()).isInstanceOf(IllegalStateException.class).hasMessage("pool is closed");
        }
    }

    @Test
    void closingTwiceDoesNothingAndAClosedPoolRefusesJobs() {
        WorkerPool pool = new WorkerPool(2);
        pool.close();
        pool.close();
        assertThatThrownBy(() -> pool.run(4, (from, to) -> {})).isInstanceOf(IllegalStateException.class).hasMessage("pool is closed");
    }

    private static Set<Thread> workerThreads() {
        Set<Thread> s = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().startsWith("dst4j-worker-")) s.add(t);
        return s;
    }

    @Test
    void theWorkersOfAPoolNobodyClosedStopOnceItIsUnreachable() throws Exception {
        Set<Thread> before = workerThreads();
        startAndForget();
        Set<Thread> mine = workerThreads();
        mine.removeAll(before);
        assertThat(mine).hasSize(2);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline && mine.stream().anyMatch(Thread::isAlive)) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(List.copyOf(mine)).noneMatch(Thread::isAlive);
    }

    private static void startAndForget() {
        WorkerPool pool = new WorkerPool(3);
        int[] hits = new int[9];
        pool.run(9, (from, to) -> { for (int i = from; i < to; i++) hits[i]++; });
        assertThat(hits).containsOnly(1);
    }
}
