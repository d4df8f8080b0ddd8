package org.dst4j.algorithms;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** What a piece of code prints, for tests of commands run in this JVM. */
public final class Printed {
    private Printed() {}

    /** What {@code r} writes to standard output while it runs. */
    public static String stdout(Runnable r) {
        return captured(r, System.out, System::setOut);
    }

    /** What {@code r} writes to standard error while it runs. */
    public static String stderr(Runnable r) {
        return captured(r, System.err, System::setErr);
    }

    private static String captured(Runnable r, PrintStream original, Consumer<PrintStream> set) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        set.accept(new PrintStream(text, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            set.accept(original);
        }
        return text.toString(StandardCharsets.UTF_8);
    }
}
