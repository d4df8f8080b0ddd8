package org.dst4j.runtime.sparse;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * For nn's tests (in runtime's package, since {@link CsrMatrix#arenas} is package-private): while installed,
 * records every arena a sparse matrix opens, so that a test can check that a model refused after its
 * networks were built freed them. The runtime's own tests have a fuller one (CsrMatrixTest.RecordedArenas).
 */
public final class MatrixArenas implements AutoCloseable {
    private final Supplier<Arena> previous = CsrMatrix.arenas;
    private final List<Arena> opened = new ArrayList<>();

    public MatrixArenas() {
        CsrMatrix.arenas = () -> {
            Arena a = previous.get();
            synchronized (opened) {
                opened.add(a);
            }
            return a;
        };
    }

    /** Arenas opened since this was installed. */
    public int opened() {
        synchronized (opened) {
            return opened.size();
        }
    }

    /** Of those, the ones not closed. */
    public long stillOpen() {
        synchronized (opened) {
            return opened.stream().filter(a -> a.scope().isAlive()).count();
        }
    }

    @Override public void close() { CsrMatrix.arenas = previous; }
}
