package org.dst4j.runtime.memory;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where dst4j's off-heap memory comes from: every weight matrix, dataset and activation buffer is allocated from an
 * arena made here, so that what the library holds can be read ({@link #bytesInUse()}) and bounded ({@link #limit()}).
 *
 * <p>The JVM does not bound this memory: {@code -Xmx} is the Java heap's limit, and {@code -XX:MaxDirectMemorySize}
 * limits direct byte buffers, not {@link Arena} segments. A device or a service that must keep dst4j within a budget
 * sets {@code -Ddst4j.maxOffHeap=SIZE} (bytes, or with a {@code k}, {@code m} or {@code g} suffix; read once, when
 * this class is first used; another value is one warning, then no limit) or calls {@link #setLimit}. An allocation
 * beyond the limit throws {@link LimitReached}, an {@link OutOfMemoryError}, before any memory is taken: the
 * library's callers free what they allocated on any {@code OutOfMemoryError}, whether the machine or the limit refused it.
 *
 * <p>Counted are the bytes asked for, from the allocation until its arena is closed; alignment padding and the
 * allocator's own overhead are not.
 */
public final class OffHeap {
    private static final AtomicLong IN_USE = new AtomicLong();
    private static final AtomicLong PEAK = new AtomicLong();
    private static volatile long limit = parseLimit(System.getProperty("dst4j.maxOffHeap"), System.err);

    private OffHeap() {}

    /** A new shared arena (as {@link Arena#ofShared()}) whose allocations are counted and limited. */
    public static Arena newShared() {
        return new Counted(Arena.ofShared());
    }

    /** A new confined arena (as {@link Arena#ofConfined()}) whose allocations are counted and limited. */
    public static Arena newConfined() {
        return new Counted(Arena.ofConfined());
    }

    /** Bytes allocated from this class's arenas and not yet freed by closing them. */
    public static long bytesInUse() {
        return IN_USE.get();
    }

    /**
     * The most {@link #bytesInUse()} has been since the JVM started (or since {@link #resetPeak}): what a limit must
     * allow for the same work to run under it.
     */
    public static long peakBytes() {
        return PEAK.get();
    }

    /** Starts {@link #peakBytes()} again from the bytes in use now, to measure one piece of work. */
    public static void resetPeak() {
        PEAK.set(IN_USE.get());
    }

    /** The most bytes {@link #bytesInUse()} may reach; {@link Long#MAX_VALUE} for no limit (the default). */
    public static long limit() {
        return limit;
    }

    /**
     * Sets the limit for the whole JVM, from the next allocation on; memory already in use above it stays (only new
     * allocations are refused).
     *
     * @param bytes the limit, > 0; {@link Long#MAX_VALUE} for none
     * @throws IllegalArgumentException if {@code bytes <= 0}
     */
    public static void setLimit(long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("the off-heap limit must be > 0 bytes, got " + bytes);
        limit = bytes;
    }

    /** An allocation refused because it would take {@link #bytesInUse()} beyond {@link #limit()}. */
    public static final class LimitReached extends OutOfMemoryError {
        private LimitReached(String message) {
            super(message);
        }
    }

    // The property's value in bytes; null or a bad value is no limit (a bad one with a warning: a tuning switch).
    static long parseLimit(String v, PrintStream warnings) {
        if (v == null) return Long.MAX_VALUE;
        String s = v.strip().toLowerCase(Locale.ROOT);
        long unit = s.endsWith("k") ? 1L << 10 : s.endsWith("m") ? 1L << 20 : s.endsWith("g") ? 1L << 30 : 1;
        if (unit > 1) s = s.substring(0, s.length() - 1);
        try {
            long n = Long.parseLong(s);
            if (n > 0 && n <= Long.MAX_VALUE / unit) return n * unit;
        } catch (NumberFormatException e) {
            // below
        }
        warnings.println("WARNING: -Ddst4j.maxOffHeap=" + v + " is not a size in bytes > 0 (such as 64m or 2g); no limit");
        return Long.MAX_VALUE;
    }

    private static void reserve(long bytes) {
        while (true) {
            long used = IN_USE.get(), max = limit;
            if (bytes > max - used) {
                throw new LimitReached("dst4j's off-heap limit (-Ddst4j.maxOffHeap, OffHeap.setLimit) of " + size(max) + " reached: "
                        + size(used) + " in use, " + size(bytes) + " more asked");
            }
            if (IN_USE.compareAndSet(used, used + bytes)) {
                PEAK.accumulateAndGet(used + bytes, Math::max);
                return;
            }
        }
    }

    /** {@code bytes} for people: "512 B", "3.9 KB", "14.7 MB", "2.00 GB". */
    public static String size(long bytes) {
        if (bytes < 1 << 10) return bytes + " B";
        if (bytes < 1 << 20) return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.2f GB", bytes / (1024.0 * 1024 * 1024));
    }

    // Counts what it allocates until closed. A shared arena may be allocated from by several threads, hence the atomic.
    private static final class Counted implements Arena {
        private final Arena arena;
        private final AtomicLong allocated = new AtomicLong();

        Counted(Arena arena) {
            this.arena = arena;
        }

        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            if (byteSize < 0) return arena.allocate(byteSize, byteAlignment); // the JDK's own refusal
            reserve(byteSize);
            try {
                MemorySegment s = arena.allocate(byteSize, byteAlignment);
                allocated.addAndGet(byteSize);
                return s;
            } catch (RuntimeException | Error e) {
                IN_USE.addAndGet(-byteSize);
                throw e;
            }
        }

        @Override
        public MemorySegment.Scope scope() {
            return arena.scope();
        }

        @Override
        public void close() {
            arena.close();
            IN_USE.addAndGet(-allocated.getAndSet(0));
        }
    }
}
