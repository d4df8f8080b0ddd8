package org.dst4j.runtime.parallel;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of worker threads that runs one range-split job at a time. The caller's thread takes
 * the first part, so a pool of {@code n} threads starts {@code n - 1} workers.
 *
 * <p>Work is split into static contiguous ranges: which thread computes an output never changes the
 * order of the arithmetic that produces it, so results are bit-identical for any thread count as long
 * as each output row is written by one range. Workers spin briefly between jobs (jobs in a training
 * step follow each other within microseconds), then park.
 *
 * <p>{@link #close()} stops the workers; a pool that becomes unreachable without being closed has its
 * workers stopped when the garbage collector finds it.
 */
public final class WorkerPool implements AutoCloseable {
    /** A task over the half-open range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        /** Does the work of indices {@code from} (inclusive) to {@code to} (exclusive). */
        void run(int from, int to);
    }

    private static final long SPIN_NANOS = 200_000;
    // Stops the workers of a pool its owner forgot to close, once the pool is unreachable: they hold only Jobs.
    // Its thread lives as long as the JVM: without a context class loader of its own it kept the one of whatever thread first
    // made a pool, an application server's web-application loader, and every class that loader had loaded, past a redeploy.
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = Thread.ofPlatform().daemon().name("dst4j-pool-cleaner").unstarted(r);
        t.setContextClassLoader(null);
        return t;
    });

    private final int threads;
    private final Thread[] workers;
    private final Jobs jobs;
    private final Cleaner.Cleanable cleanable;
    private volatile Thread owner; // the thread running a job, while it does

    // What the workers see; never the pool itself, so that an unclosed pool can still be collected.
    private static final class Jobs implements Runnable {
        final AtomicInteger pending = new AtomicInteger();
        volatile long generation;
        volatile boolean closed;
        volatile Thread caller;
        Thread[] workers;
        RangeTask task;
        int[] bounds;
        volatile Throwable failure;

        void loop(int part) {
            long seen = 0;
            while (true) {
                long deadline = System.nanoTime() + SPIN_NANOS;
                for (int i = 0; generation == seen && !closed; i++) {
                    if (System.nanoTime() > deadline) LockSupport.park(this);
                    else spin(i);
                }
                // A job already started is finished even if the pool closes meanwhile: its caller waits for it.
                if (generation == seen) return;
                seen = generation;
                runPart(part);
                if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
            }
        }

        void runPart(int part) {
            int from = bounds[part], to = bounds[part + 1];
            if (from >= to) return;
            try {
                task.run(from, to);
            } catch (Throwable t) {
                if (failure == null) failure = t;
            }
        }

        @Override
        public void run() {
            closed = true;
            for (Thread w : workers) LockSupport.unpark(w);
        }
    }

    // Busy-waiting suits a machine with a core per thread; where threads outnumber free cores, a spinning
    // thread holds the core that the one it waits for needs, so it yields now and then.
    private static void spin(int i) {
        if ((i & 63) == 63) Thread.yield();
        else Thread.onSpinWait();
    }

    /** The most threads a pool takes: each is a platform thread, and a mistyped count would start them by the million. */
    public static final int MAX_THREADS = 4096;

    /**
     * Checks a thread count as the pool's constructor does.
     *
     * @throws IllegalArgumentException if {@code threads} is not in [1, {@value #MAX_THREADS}]
     */
    public static void checkThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (threads > MAX_THREADS) throw new IllegalArgumentException("threads must be at most " + MAX_THREADS + ", got " + threads);
    }

    /**
     * Starts a pool of {@code threads} threads in all (the caller counts as one).
     *
     * @throws IllegalArgumentException if {@code threads} is not in [1, {@value #MAX_THREADS}]
     */
    public WorkerPool(int threads) {
        checkThreads(threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.jobs = new Jobs();
        jobs.workers = workers;
        final Jobs j = jobs;
        for (int w = 0; w < workers.length; w++) {
            final int part = w + 1;
            workers[w] = Thread.ofPlatform().daemon().name("dst4j-worker-" + part).unstarted(() -> j.loop(part));
        }
        try {
            for (Thread w : workers) w.start();
        } catch (Throwable t) { // no thread left for the OS to give: stop the ones started
            j.run();
            throw t;
        }
        this.cleanable = CLEANER.register(this, jobs);
    }

    /** Number of threads, the caller included. */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over the ranges {@code [bounds[p], bounds[p+1])}, one per thread, and waits
     * for all of them. {@code bounds} has {@code threads() + 1} entries, non-decreasing. A task may
     * itself call {@code run}: the nested job runs on the calling thread alone.
     *
     * @throws IllegalArgumentException if {@code bounds} has another length or decreases
     * @throws IllegalStateException if the pool is closed
     */
    public void run(int[] bounds, RangeTask task) {
        Objects.requireNonNull(task, "task");
        if (bounds.length != threads + 1) {
            throw new IllegalArgumentException("bounds has " + bounds.length + " entries, expected " + (threads + 1));
        }
        // A decreasing pair was an empty range: its part was skipped without a word, and the work left undone.
        for (int p = 0; p < threads; p++) {
            if (bounds[p + 1] < bounds[p]) {
                throw new IllegalArgumentException("bounds must not decrease, got bounds[" + p + "] = " + bounds[p] + " > bounds[" + (p + 1) + "] = " + bounds[p + 1]);
            }
        }
        if (jobs.closed) throw new IllegalStateException("pool is closed");
        // Inside a job (on a worker, or in the caller's own part) the workers are busy with the outer job.
        if (threads == 1 || isWorker() || owner == Thread.currentThread()) {
            for (int p = 0; p < threads; p++) {
                if (bounds[p] < bounds[p + 1]) task.run(bounds[p], bounds[p + 1]);
            }
            return;
        }
        synchronized (this) {
            if (jobs.closed) throw new IllegalStateException("pool is closed");
            owner = Thread.currentThread();
            try {
                runOnAll(bounds, task);
            } finally {
                owner = null;
            }
        }
    }

    private void runOnAll(int[] bounds, RangeTask task) {
        Jobs j = jobs;
        j.task = task;
        j.bounds = bounds;
        j.failure = null;
        j.caller = Thread.currentThread();
        j.pending.set(threads - 1);
        j.generation++;
        for (Thread t : workers) LockSupport.unpark(t);
        j.runPart(0);
        long deadline = System.nanoTime() + SPIN_NANOS;
        boolean interrupted = false;
        for (int i = 0; j.pending.get() != 0; i++) {
            if (System.nanoTime() > deadline) {
                LockSupport.park(this);
                // park returns at once while the flag is set: clear it for the wait, set it again after.
                if (Thread.interrupted()) interrupted = true;
            } else {
                spin(i);
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        j.task = null;
        Throwable f = j.failure;
        Reference.reachabilityFence(this);
        if (f != null) {
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    /**
     * Runs {@code task} over {@code [0, n)} split into equal contiguous ranges.
     *
     * @throws IllegalArgumentException if {@code n < 0}
     * @throws IllegalStateException if the pool is closed
     */
    public void run(int n, RangeTask task) {
        run(splitEven(n), task);
    }

    private boolean isWorker() {
        Thread me = Thread.currentThread();
        for (Thread w : workers) if (w == me) return true;
        return false;
    }

    /**
     * Bounds that split {@code [0, n)} into {@code threads()} near-equal contiguous ranges.
     *
     * @throws IllegalArgumentException if {@code n < 0}
     */
    public int[] splitEven(int n) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        int[] b = new int[threads + 1];
        for (int p = 0; p <= threads; p++) b[p] = (int) ((long) n * p / threads);
        return b;
    }

    /**
     * Bounds that split rows {@code [0, rows)} so each range holds about the same work, counting one
     * unit per stored entry (from {@code ptr}, long[rows + 1]) plus {@code rowCost} per row.
     */
    public int[] splitByNnz(MemorySegment ptr, int rows, long rowCost) {
        int[] b = new int[threads + 1];
        long total = ptr.getAtIndex(ValueLayout.JAVA_LONG, rows) + rowCost * rows;
        int r = 0;
        for (int p = 1; p < threads; p++) {
            long target = total * p / threads;
            while (r < rows && ptr.getAtIndex(ValueLayout.JAVA_LONG, r) + rowCost * r < target) r++;
            b[p] = r;
        }
        b[threads] = rows;
        return b;
    }

    /**
     * Stops the worker threads, after the job another thread is running on this pool, if any, has
     * finished. Closing again does nothing. Called from within a job, it lets the job finish and the
     * workers then stop; the next {@code run} is refused.
     */
    @Override
    public void close() {
        if (isWorker() || owner == Thread.currentThread()) { // the lock is held by this job's caller
            cleanable.clean();
            return;
        }
        synchronized (this) {
            if (jobs.closed) return;
            cleanable.clean();
        }
        for (Thread w : workers) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
