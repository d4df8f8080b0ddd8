package org.dst4j.runtime.resource;

import java.util.function.Consumer;

/**
 * Closes the parts of a composite resource: every part is closed even when one fails, then the first
 * failure is rethrown with the later ones {@linkplain Throwable#addSuppressed suppressed}. A plain
 * sequence of {@code close()} calls stops at the first exception and leaks the parts after it.
 */
public final class Closing {
    private Closing() {}

    /** Runs every action in order, whether or not an earlier one threw; then rethrows the first failure. */
    public static void all(Runnable... closes) {
        Throwable first = null;
        for (Runnable c : closes) first = run(c, first);
        rethrow(first);
    }

    /** Applies {@code close} to every part in order, whether or not an earlier call threw; then rethrows the first failure. */
    public static <T> void each(Iterable<? extends T> parts, Consumer<? super T> close) {
        Throwable first = null;
        for (T p : parts) first = run(() -> close.accept(p), first);
        rethrow(first);
    }

    /**
     * Runs every action in order, for cleaning up after {@code failure}: the first failure they throw is
     * added to {@code failure} as suppressed (the later ones to that first), so that the caller can go on
     * to throw {@code failure} itself.
     */
    public static void after(Throwable failure, Runnable... closes) {
        Throwable first = null;
        for (Runnable c : closes) first = run(c, first);
        if (first != null && first != failure) failure.addSuppressed(first);
    }

    private static Throwable run(Runnable c, Throwable first) {
        try {
            c.run();
            return first;
        } catch (Throwable t) {
            if (first == null) return t;
            if (t != first) first.addSuppressed(t);
            return first;
        }
    }

    private static void rethrow(Throwable first) {
        if (first == null) return;
        if (first instanceof RuntimeException e) throw e;
        if (first instanceof Error e) throw e;
        throw new IllegalStateException(first);
    }
}
