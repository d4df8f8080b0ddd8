package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import org.dst4j.algorithms.Printed;
import org.junit.jupiter.api.Test;

/**
 * What {@link Main} makes of a command's outcome: the exit code scripts test (0, 1 failure, 2 usage, 130 interrupted,
 * 141 reader gone) and the one line on stderr.
 */
class ExitCodesTest {

    private static Command failing(Exception e) {
        return new Command() {
            @Override public String summary() { return "fails"; }

            @Override public int run(String[] args) throws UsageException, UserException, IOException {
                switch (e) {
                    case UsageException u -> throw u;
                    case UserException u -> throw u;
                    case IOException io -> throw io;
                    default -> throw (RuntimeException) e;
                }
            }
        };
    }

    private record Result(int code, String err) {}

    private static Result run(Command c) {
        int[] code = new int[1];
        String err = Printed.stderr(() -> code[0] = Main.runCommand(c, "x", new String[0]));
        return new Result(code[0], err);
    }

    @Test
    void eachOutcomeHasItsExitCodeAndOneLine() {
        assertThat(run(new Command() {
            @Override public String summary() { return "exits 3"; }

            @Override public int run(String[] args) { return 3; }
        })).as("a command's own code is passed on").isEqualTo(new Result(3, ""));
        assertThat(run(failing(new UsageException("--k must be >= 1")))).isEqualTo(new Result(2, "dst4j x: --k must be >= 1\n"));
        assertThat(run(failing(new UserException("data.csv: no such file")))).isEqualTo(new Result(1, "dst4j x: data.csv: no such file\n"));
        assertThat(run(failing(new IOException("disk full")))).isEqualTo(new Result(1, "dst4j x: disk full\n"));
        // A file system error without a reason is given one, not printed as its bare path.
        assertThat(run(failing(new AccessDeniedException("/r/model.dst4j"))))
                .isEqualTo(new Result(1, "dst4j x: /r/model.dst4j: permission denied\n"));
        assertThat(run(failing(new FileSystemException("/r/a", "/r/b", "cross-device link"))))
                .isEqualTo(new Result(1, "dst4j x: /r/a -> /r/b: cross-device link\n"));
        // 'predict --output - | head -1': the reader left; quiet, with the status of a program killed by SIGPIPE.
        assertThat(run(failing(new IOException("writing /dev/stdout", new IOException("Broken pipe"))))).isEqualTo(new Result(141, ""));
        // Ctrl-C: a file channel closed by the interrupt, or the training cancelled.
        assertThat(run(failing(new IOException("read failed", new ClosedByInterruptException()))))
                .isEqualTo(new Result(130, "dst4j x: interrupted: while reading a file\n"));
        assertThat(run(failing(new CancellationException("during epoch 2"))))
                .isEqualTo(new Result(130, "dst4j x: interrupted: during epoch 2\n"));
    }

    private static Command throwing(Error e) {
        return new Command() {
            @Override public String summary() { return "runs out"; }

            @Override public int run(String[] args) { throw e; }
        };
    }

    private static Command throwing(RuntimeException e) {
        return new Command() {
            @Override public String summary() { return "runs out"; }

            @Override public int run(String[] args) { throw e; }
        };
    }

    // Out of memory: what ran out decides the advice, since off-heap memory is not bounded by -Xmx.
    @Test
    void runningOutOfMemoryIsOneLineWithAdviceForWhatRanOut() {
        String heapAdvice = Main.heapLimitedBy(System.getenv()) != null ? Main.heapLimitedBy(System.getenv()) : "a larger Java heap (java -Xmx2g -jar dst4j.jar ...)";
        Result r = run(throwing(new DataArgs.DataTooLarge(new OutOfMemoryError("Java heap space"))));
        assertThat(r).isEqualTo(new Result(1, "dst4j x: out of memory reading the data (Java heap space): " + heapAdvice
                + ", or give a smaller data file (--limit-train and --limit-test take their samples once the whole file is read)\n"));
        r = run(throwing(new DataArgs.DataTooLarge(new OutOfMemoryError("Cannot reserve 4096 bytes"))));
        assertThat(r).isEqualTo(new Result(1, "dst4j x: out of memory reading the data (Cannot reserve 4096 bytes): free some RAM (the samples live outside"
                + " the Java heap), or give a smaller data file (--limit-train and --limit-test take their samples once the whole file is read)\n"));
        r = run(throwing(new Main.ModelTooLarge(Path.of("m.dst4j"), 3 << 20, new OutOfMemoryError("Cannot reserve 4096 bytes"))));
        assertThat(r).isEqualTo(new Result(1, "dst4j x: out of memory loading the model m.dst4j (Cannot reserve 4096 bytes): the model does not fit in this"
                + " machine's memory; free some RAM (its weights live outside the Java heap); its files take 3.0 MB, and loaded it needs about as much\n"));
        r = run(throwing(new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource limits reached")));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("dst4j x: cannot start another thread (unable to create native thread: ").endsWith(" processors), or raise the system's"
                + " limit on threads or processes\n");
        // Started by ./dst4j, the advice is the launcher's way to pass JVM options, not java -jar's.
        if (Main.heapLimitedBy(System.getenv()) == null) {
            System.setProperty(Main.LAUNCHER, "1");
            try {
                assertThat(run(throwing(new DataArgs.DataTooLarge(new OutOfMemoryError("Java heap space")))).err())
                        .contains(": a larger Java heap (DST4J_JVM_OPTS=-Xmx2g ./dst4j ...), or give a smaller data file");
            } finally {
                System.clearProperty(Main.LAUNCHER);
            }
        }
        r = run(throwing(new OutOfMemoryError("Java heap space")));
        assertThat(r.err()).startsWith("dst4j x: out of memory (Java heap space, at most " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB): ")
                .endsWith(Main.heapLimitedBy(System.getenv()) != null ? heapAdvice + "\n"
                        : "the network or data does not fit in this machine's memory; try a smaller run, or " + heapAdvice + "\n");
        r = run(throwing(new OutOfMemoryError("Cannot reserve 4096 bytes")));
        assertThat(r).isEqualTo(new Result(1, "dst4j x: out of memory (Cannot reserve 4096 bytes): the network or data does not fit in this machine's memory;"
                + " try a smaller run, or more free RAM (the matrices live outside the Java heap)\n"));
    }

    @Test
    void noCommandIsUsageAndAnUnknownOneListsTheCommands() {
        int[] code = new int[1];
        String out = Printed.stdout(() -> code[0] = Main.run(new String[0]));
        assertThat(code[0]).isEqualTo(2);
        assertThat(out).startsWith("usage: dst4j <command> [options]\n\ncommands:\n").contains("  predict         apply a saved model");
        // every command listed says what it does
        for (var c : Main.commands().entrySet()) {
            assertThat(c.getValue().summary()).as(c.getKey()).isNotBlank();
            assertThat(out).contains(String.format("  %-15s %s%n", c.getKey(), c.getValue().summary()));
        }
        out = Printed.stdout(() -> code[0] = Main.run(new String[] {"help"}));
        assertThat(code[0]).as("asked for").isZero();
        assertThat(out).startsWith("usage: dst4j <command> [options]");
        String setHelp = Printed.stdout(() -> Main.run(new String[] {"set", "--help"}));
        out = Printed.stdout(() -> code[0] = Main.run(new String[] {"help", "set"}));
        assertThat(code[0]).isZero();
        assertThat(out).startsWith("usage: dst4j set").isEqualTo(setHelp);
        String err = Printed.stderr(() -> code[0] = Main.run(new String[] {"fit"}));
        assertThat(code[0]).isEqualTo(2);
        assertThat(err).isEqualTo("dst4j: unknown command 'fit'; commands: bench, export, freetickets, info, inspect, neurotrails, predict,"
                + " quickselection, set, spacenet\n");
    }
}
