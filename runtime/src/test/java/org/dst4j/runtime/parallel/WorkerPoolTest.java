package org.dst4j.runtime.parallel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
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

    // Runs body on a fresh thread and fails if it does not end within 10 s (a deadlock) or throws.
    private static void withinTenSeconds(String what, Runnable body) throws Exception {
        FutureTask<Void> f = new FutureTask<>(body, null);
        Thread t = Thread.ofPlatform().daemon().start(f);
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + ": still running after 10 s (" + t.getState() + ")");
        }
    }

    @Test
    void aJobCalledFromWithinAJobRunsOnThatThreadWhicheverPartCallsIt() throws Exception {
        // From a worker it deadlocked on the pool's lock; from the caller's part it reset the outer job's count.
        try (WorkerPool pool = new WorkerPool(2)) {
            withinTenSeconds("nested run", () -> {
                for (int round = 0; round < 200; round++) {
                    int[][] inner = new int[2][6];
                    pool.run(2, (from, to) -> {
                        int[] hits = inner[from];
                        pool.run(6, (a, b) -> { for (int i = a; i < b; i++) hits[i]++; });
                    });
                    for (int[] hits : inner) assertThat(hits).containsOnly(1);
                }
            });
            int[] hits = new int[8];
            pool.run(8, (from, to) -> { for (int i = from; i < to; i++) hits[i]++; });
            assertThat(hits).containsOnly(1);
        }
    }

    @Test
    void closingFromWithinAJobLetsItFinishAndRefusesTheNext() throws Exception {
        for (int closer = 0; closer < 2; closer++) {   // the caller's part, then a worker's
            WorkerPool pool = new WorkerPool(2);
            int[] hits = new int[10];
            final int c = closer;
            withinTenSeconds("close from part " + c, () -> pool.run(10, (from, to) -> {
                if ((from == 0) == (c == 0)) pool.close();
                for (int i = from; i < to; i++) hits[i]++;
            }));
            assertThat(hits).containsOnly(1);
            assertThatThrownBy(() -> pool.run(4, (from, to) -> {})).isInstanceOf(IllegalStateException.class);
            pool.close();
        }
    }

    @Test
    void anInterruptedCallerWaitsWithoutSpinningAndKeepsItsFlag() {
        // park returns at once while the interrupt flag is set: the wait burned a core (training stopping on an interrupt does this).
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (WorkerPool pool = new WorkerPool(2)) {
            Thread.currentThread().interrupt();
            long cpu0 = mx.getCurrentThreadCpuTime();
            pool.run(2, (from, to) -> {
                if (from == 1) {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }
            });
            long cpu = mx.getCurrentThreadCpuTime() - cpu0;
            assertThat(Thread.interrupted()).as("the flag is kept").isTrue();
            assertThat(cpu).as("caller CPU time while a worker took 1 s").isLessThan(300_000_000L);
        }
    }

    // The pool's workers, found by the thread group they inherit from the thread that made the pool (the
    // pools' cleaner thread may be there too, if the class was first used by that thread).
    private static Thread[] workersIn(ThreadGroup group) {
        Thread[] all = new Thread[group.activeCount() + 8];
        return Arrays.stream(all, 0, group.enumerate(all)).filter(t -> t.getName().startsWith("dst4j-worker-")).toArray(Thread[]::new);
    }

    @Test
    void aPoolStartsOneWorkerFewerThanItsThreadsAndCloseReturnsOnceItsJobAndWorkersHaveStopped() throws Exception {
        ThreadGroup group = new ThreadGroup("worker-pool-test");
        AtomicReference<WorkerPool> made = new AtomicReference<>();
        Thread maker = Thread.ofPlatform().group(group).start(() -> made.set(new WorkerPool(3)));
        maker.join();
        WorkerPool pool = made.get();
        Thread[] workers = workersIn(group);
        assertThat(workers).hasSize(2);
        int[] hits = new int[9];
        pool.run(9, (from, to) -> { for (int i = from; i < to; i++) hits[i]++; });
        assertThat(hits).containsOnly(1);
        // closed by this thread while another's job keeps a worker busy: close waits for the job, then the workers
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        Thread user = Thread.ofPlatform().start(() -> pool.run(3, (from, to) -> {
            if (from == 2) {
                started.countDown();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                finished.set(true);
            }
        }));
        started.await();
        pool.close();
        assertThat(finished).as("the job under way when close was called").isTrue();
        // close joins each worker for up to a second; a machine too busy to run one in that time is not a failure
        for (Thread w : workers) w.join(10_000);
        assertThat(workers).noneMatch(Thread::isAlive);
        user.join();
    }

    // The wait parks once it has spun 200 us; clearing the interrupt flag around the park must not set a
    // flag nobody raised: a caller left interrupted fails its next blocking call (a FileChannel closes).
    @Test
    void aCallerWhoseWaitParkedIsNotLeftInterrupted() {
        try (WorkerPool pool = new WorkerPool(2)) {
            Thread.interrupted();
            pool.run(2, (from, to) -> {
                if (from == 1) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }
            });
            assertThat(Thread.interrupted()).isFalse();
        }
    }

    @Test
    void aFailureInAnyPartReachesTheCallerAsItself() {
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int part = 0; part < 2; part++) {
                int failing = part;
                IllegalArgumentException unchecked = new IllegalArgumentException("part " + part);
                assertThatThrownBy(() -> pool.run(2, (from, to) -> { if (from == failing) throw unchecked; }))
                        .as("part %d", part).isSameAs(unchecked);
                OutOfMemoryError error = new OutOfMemoryError("part " + part);
                assertThatThrownBy(() -> pool.run(2, (from, to) -> { if (from == failing) throw error; }))
                        .as("part %d", part).isSameAs(error);
            }
        }
    }

    @Test
    void noPartIsRunOverAnEmptyRangeWhetherTheJobIsSplitOrRunInline() {
        try (WorkerPool single = new WorkerPool(1); WorkerPool three = new WorkerPool(3)) {
            List<int[]> ranges = Collections.synchronizedList(new ArrayList<>());
            single.run(0, (from, to) -> ranges.add(new int[] {from, to}));
            three.run(new int[] {0, 0, 4, 4}, (from, to) -> ranges.add(new int[] {from, to}));
            // nested: inline on the calling thread
            three.run(new int[] {0, 1, 1, 1}, (from, to) -> three.run(new int[] {0, 0, 3, 3}, (a, b) -> ranges.add(new int[] {a, b})));
            assertThat(ranges).extracting(r -> r[0] + ".." + r[1]).containsExactlyInAnyOrder("0..4", "0..3");
        }
    }

    // ParallelKernels and Adam split a layer's rows by this; a split off balance leaves threads idle.
    @Test
    void splitByNnzGivesEachThreadAboutTheSameEntriesPlusRowCost() {
        try (WorkerPool pool = new WorkerPool(3); Arena a = Arena.ofConfined()) {
            // six rows of 4 entries: two rows each
            MemorySegment even = a.allocateFrom(ValueLayout.JAVA_LONG, 0, 4, 8, 12, 16, 20, 24);
            assertThat(pool.splitByNnz(even, 6, 0)).containsExactly(0, 2, 4, 6);
            assertThat(pool.splitByNnz(even, 6, 5)).containsExactly(0, 2, 4, 6);
        }
        try (WorkerPool pool = new WorkerPool(2); Arena a = Arena.ofConfined()) {
            // one row of 12 entries, then twelve of 1: alone it is half the work; counting 12 per row, the
            // first seven rows (18 entries + 84) are about half of 24 + 156
            long[] ptr = new long[14];
            ptr[1] = 12;
            for (int r = 2; r <= 13; r++) ptr[r] = ptr[r - 1] + 1;
            MemorySegment skewed = a.allocateFrom(ValueLayout.JAVA_LONG, ptr);
            assertThat(pool.splitByNnz(skewed, 13, 0)).containsExactly(0, 1, 13);
            assertThat(pool.splitByNnz(skewed, 13, 12)).containsExactly(0, 7, 13);
        }
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

    // The cleaner's thread never ends: holding the context class loader of the thread that first made a pool (an
    // application server's web-application loader) it kept that loader and its classes past a redeploy.
    @Test
    void theCleanersThreadHoldsNoContextClassLoader() {
        try (WorkerPool pool = new WorkerPool(2)) {
            pool.run(2, (from, to) -> { });
        }
        List<Thread> cleaners = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("dst4j-pool-cleaner")).toList();
        assertThat(cleaners).hasSize(1);
        assertThat(cleaners.getFirst().getContextClassLoader()).isNull();
    }

    private static void startAndForget() {
        WorkerPool pool = new WorkerPool(3);
        int[] hits = new int[9];
        pool.run(9, (from, to) -> { for (int i = from; i < to; i++) hits[i]++; });
        assertThat(hits).containsOnly(1);
    }

    // Between jobs the workers spin for a moment and then park: on a machine whose cores are shared, an idle pool
    // must not keep its threads running.
    @Test
    void idleWorkersPark() throws Exception {
        Set<Thread> before = workerThreads();
        try (WorkerPool pool = new WorkerPool(3)) {
            pool.run(6, (from, to) -> { });
            Set<Thread> mine = workerThreads();
            mine.removeAll(before);
            assertThat(mine).hasSize(2);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline && !mine.stream().allMatch(t -> t.getState() == Thread.State.WAITING)) Thread.sleep(20);
            assertThat(mine).extracting(Thread::getState).containsOnly(Thread.State.WAITING);
        }
    }

    // close() waits for the workers with join, which an interrupt ends early: the caller keeps its interrupt flag.
    @Test
    void aCallerInterruptedWhileClosingKeepsItsFlag() {
        for (int round = 0; round < 5; round++) {
            WorkerPool pool = new WorkerPool(3);
            pool.run(6, (from, to) -> { });
            Thread.currentThread().interrupt();
            pool.close();
            assertThat(Thread.interrupted()).as("round %d", round).isTrue();
        }
    }

    // A mistyped count (1 << 20 for 20) started a platform thread per count before anything could refuse it.
    @Test
    void aThreadCountOutsideOneToTheMaximumIsRefusedBeforeAnyThreadStarts() {
        assertThatThrownBy(() -> new WorkerPool(0)).isInstanceOf(IllegalArgumentException.class).hasMessage("threads must be >= 1, got 0");
        assertThatThrownBy(() -> new WorkerPool(1 << 20)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("threads must be at most 4096, got 1048576");
        WorkerPool.checkThreads(4096); // the most, accepted
    }

    @Test
    void boundsOfTheWrongLengthAreRefusedNamingTheLengthExpected() {
        try (WorkerPool pool = new WorkerPool(3)) {
            assertThatThrownBy(() -> pool.run(new int[] {0, 4}, (from, to) -> { })).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bounds has 2 entries, expected 4");
        }
    }

    // A decreasing pair, or a negative count split evenly, was an empty range: its part was skipped without a word.
    @Test
    void decreasingBoundsANegativeCountAndANullTaskAreRefusedBeforeAnyPartRuns() {
        try (WorkerPool pool = new WorkerPool(2)) {
            List<String> ran = Collections.synchronizedList(new ArrayList<>());
            assertThatThrownBy(() -> pool.run(new int[] {0, 5, 2}, (from, to) -> ran.add(from + ".." + to)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("bounds must not decrease, got bounds[1] = 5 > bounds[2] = 2");
            assertThatThrownBy(() -> pool.run(-5, (from, to) -> ran.add(from + ".." + to)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("n must be >= 0, got -5");
            assertThat(ran).isEmpty();
            assertThatThrownBy(() -> pool.run(4, null)).isInstanceOf(NullPointerException.class).hasMessage("task");
            pool.run(4, (from, to) -> ran.add(from + ".." + to));
            assertThat(ran).containsExactlyInAnyOrder("0..2", "2..4");
        }
    }
}
