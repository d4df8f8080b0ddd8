package org.dst4j.nn.network;

import java.util.ConcurrentModificationException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Refuses a second thread into a network while one is in it. A network keeps its activations, gradients
 * and the latest training batch in buffers of its own, so two calls at once overwrite each other's
 * numbers: before this check a second thread's {@code predict} silently returned the other call's
 * outputs, or a mix of both ({@code SharedNetworkTest}). Nested calls on the thread already inside
 * (a training step calling its forward and backward passes) are let through. Costs a compare-and-set per
 * call. Like the fail-fast iterators of {@code java.util}, it reports what it sees, on a best-effort basis:
 * it catches calls that overlap, which are the ones that give wrong numbers.
 */
final class SingleUser {
    private final String what;
    private final AtomicReference<Thread> user = new AtomicReference<>();
    private int depth; // read and written only by the thread in `user`

    SingleUser(String what) {
        this.what = what;
    }

    /** @throws ConcurrentModificationException if another thread is inside */
    void enter() {
        Thread me = Thread.currentThread();
        if (user.get() == me) {
            depth++;
            return;
        }
        if (!user.compareAndSet(null, me)) {
            Thread other = user.get();
            throw new ConcurrentModificationException(what + " is in use by thread \"" + (other == null ? "?" : other.getName())
                    + "\": a network runs one call at a time (it has one set of activation buffers). Share a model between"
                    + " threads through a SparseClassifier (or MultiHeadClassifier), whose calls take turns, or give each"
                    + " thread a network of its own");
        }
        depth = 1;
    }

    void exit() {
        if (--depth == 0) user.set(null);
    }
}
