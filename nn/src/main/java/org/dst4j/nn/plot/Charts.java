package org.dst4j.nn.plot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether this Java runtime can draw the PNG charts, and the one place runs write them through. The charts
 * need the {@code java.desktop} module, which a runtime trimmed for a small device ({@code jlink}) usually
 * leaves out; a run there skips its charts with one warning instead of failing after its first epoch.
 * This class touches no AWT type, so it loads on any runtime; the chart classes do not.
 */
public final class Charts {
    private static final boolean AVAILABLE = ModuleLayer.boot().findModule("java.desktop").isPresent();
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private Charts() {}

    /** Draws a chart into a file; may use the chart classes, which need {@code java.desktop}. */
    @FunctionalInterface
    public interface Drawing {
        /** Writes the chart to {@code file}. */
        void writeTo(Path file) throws IOException;
    }

    /** Whether the {@code java.desktop} module, which the chart classes need, is present. */
    public static boolean available() {
        return AVAILABLE;
    }

    /**
     * Writes {@code file} with {@code drawing} when charts can be drawn here; otherwise writes nothing and
     * prints one warning per JVM to standard error. Returns whether the file was written.
     */
    public static boolean write(Path file, Drawing drawing) throws IOException {
        if (!AVAILABLE) {
            if (WARNED.compareAndSet(false, true)) {
                System.err.println("WARNING: dst4j draws no PNG charts: this Java runtime has no java.desktop module (skipped "
                        + file.getFileName() + " and any later chart)");
            }
            return false;
        }
        drawing.writeTo(file);
        return true;
    }
}
