package org.dst4j.algorithms.cli;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.dst4j.nn.data.DataFormatException;
import org.dst4j.nn.data.DataOptionException;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.train.Trainer;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.memory.OffHeap;

/**
 * The {@code dst4j} command line: one subcommand per algorithm plus {@code predict}, {@code export},
 * {@code inspect}, {@code info} and {@code bench}.
 *
 * <p>{@code java -jar dst4j.jar} cannot add the incubator Vector module from the manifest, so when the
 * module is missing the process re-launches itself once with {@code --add-modules jdk.incubator.vector};
 * if that is impossible it falls back to the scalar kernels with one warning.
 */
public final class Main {
    static final String RELAUNCHED = "dst4j.relaunched";
    // Set by the ./dst4j launcher, which runs 'test' and 'jmh' itself.
    static final String LAUNCHER = "dst4j.launcher";
    // How long a Ctrl-C or SIGTERM waits for a claimed run to settle (earlier run put back) before the JVM halts.
    static final int SETTLE_SECONDS = 30;

    private Main() {}

    /** Runs {@link #run} and exits with its code (after re-launching with the Vector module if needed). */
    public static void main(String[] args) {
        // An argument this JVM could not decode (U+FFFD: 'ü' in the C locale) would reach the child as a plain '?', and
        // '--out ü-out' wrote '??-out': not relaunched, the command refuses it (Options.undecodable).
        boolean undecodable = Arrays.stream(args).anyMatch(a -> a.indexOf('\uFFFD') >= 0);
        if (!undecodable && !KernelProvider.vectorModulePresent() && System.getProperty(RELAUNCHED) == null
                && !"scalar".equalsIgnoreCase(System.getProperty("dst4j.kernels", ""))) {
            Integer code = relaunchWithVectorModule(args);
            if (code != null) System.exit(code);
        }
        stopWithLauncher();
        // The command line draws its PNGs off-screen; with a DISPLAY set, AWT would otherwise connect to it. The
        // library leaves the property to the application embedding it.
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        // A German locale printed "test accuracy 0,7120": logs that scripts read and people compare between machines
        // show numbers as the README and metrics.json do, whatever the locale. Messages stay in the user's language
        // category (they are English anyway); the library leaves the default to the application embedding it.
        Locale.setDefault(Locale.Category.FORMAT, Locale.ROOT);
        System.exit(run(args));
    }

    // The launcher's shutdown hook ends this child on a TERM, but a KILL skips hooks: without this the
    // child went on training, orphaned, writing into --out.
    private static void stopWithLauncher() {
        String parent = System.getProperty(RELAUNCHED, "");
        if (!parent.matches("\\d+")) return;
        ProcessHandle.of(Long.parseLong(parent)).ifPresentOrElse(p -> p.onExit().thenRun(Main::launcherGone), Main::launcherGone);
    }

    private static void launcherGone() {
        System.err.println("dst4j: the process that launched this run has ended; stopping");
        System.exit(143);
    }

    /** Runs a command line and returns its exit code: 0 success, 1 failure, 2 bad usage, 130 interrupted, 141 output pipe closed by its reader. */
    public static int run(String[] args) {
        Map<String, Command> commands = commands();
        // As git's 'help <command>': the command's own help, not the list again.
        if (args.length == 2 && args[0].equals("help") && commands.containsKey(args[1])) args = new String[] {args[1], "--help"};
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println(usage(commands));
            return args.length == 0 ? 2 : 0;
        }
        Command c = commands.get(args[0]);
        if (c == null) {
            System.err.println("dst4j: unknown command '" + args[0] + "'; commands: " + String.join(", ", commands.keySet())
                    + (System.getProperty(LAUNCHER) != null ? ", test, jmh" : ""));
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        // A Ctrl-C or SIGTERM ends the JVM without unwinding this thread: an earlier run set aside by --overwrite stayed
        // hidden beside the new run's first files. The hook interrupts the command (training stops between batches)
        // and waits for it to settle as a failed run; killed outright (SIGKILL), nothing can.
        Thread command = Thread.currentThread();
        CountDownLatch settled = new CountDownLatch(1);
        Thread onSignal = new Thread(() -> {
            command.interrupt();
            // Only a claimed run needs the wait: loading data or scoring does not look at the interrupt, and a Ctrl-C
            // there would otherwise take until that step ends.
            if (!RunDirectory.closing()) return;
            try {
                // Again every 100 ms until the run has settled: code outside this project may clear the flag, as Java2D
                // did while a chart drew new glyphs on the command thread (charts now draw on a thread of their own).
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SETTLE_SECONDS);
                while (!settled.await(100, TimeUnit.MILLISECONDS) && System.nanoTime() < end) command.interrupt();
            } catch (InterruptedException e) {
                // the JVM halts regardless
            }
        }, "dst4j-interrupted");
        try {
            Runtime.getRuntime().addShutdownHook(onSignal);
        } catch (IllegalStateException shuttingDown) {
            return 130; // a Ctrl-C or SIGTERM in the JVM's first moments, before the command began: nothing to stop or put back
        }
        int code = 1;
        try {
            code = runCommand(c, args[0], rest);
            return code;
        } finally {
            RunDirectory.settle(code == 0); // an earlier run set aside by --overwrite: deleted on success, restored on failure
            settled.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onSignal);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it has been waiting for the countDown above
            }
        }
    }

    static int runCommand(Command c, String name, String[] rest) {
        try {
            return c.run(rest);
        } catch (UsageException | DataOptionException e) { // the nn module cannot throw the CLI's UsageException
            System.err.println("dst4j " + name + ": " + e.getMessage());
            return 2;
        } catch (UserException | DataFormatException | Trainer.DivergedException e) {
            if (closedByInterrupt(e)) return interrupted(name, "while loading the data");
            System.err.println("dst4j " + name + ": " + e.getMessage());
            return 1;
        } catch (CancellationException | InterruptedIOException e) {
            // Stopped by a signal (see run): training stops between batches, a write in progress with this.
            return interrupted(name, e.getMessage());
        } catch (IOException e) {
            if (closedByInterrupt(e)) return interrupted(name, "while reading a file");
            if (readerGone(e)) return READER_GONE;
            System.err.println("dst4j " + name + ": " + describe(e));
            return 1;
        } catch (ModelTooLarge e) {
            // Loading a model: the data options cannot help, and neither can training fewer neurons.
            Throwable why = e.getCause();
            System.err.println("dst4j " + name + ": out of memory loading the model " + e.model + " (" + (why.getMessage() != null ? why.getMessage() : why) + "): "
                    + (e.getCause() instanceof OffHeap.LimitReached ? "raise the limit (" + raiseLimit() + ")"
                    : "the model does not fit in this machine's memory; free some RAM (its weights live outside the Java heap)")
                    + "; its files take " + OffHeap.size(e.bytes) + ", and loaded it needs about as much");
            return 1;
        } catch (DataArgs.DataTooLarge e) {
            Throwable why = e.getCause();
            String m = String.valueOf(why.getMessage());
            boolean heap = m.contains("Java heap") || m.contains("GC overhead");
            String limited = heap ? heapLimitedBy(System.getenv()) : null;
            System.err.println("dst4j " + name + ": out of memory reading the data (" + m + "): "
                    + (why instanceof OffHeap.LimitReached ? "raise the limit (" + raiseLimit() + ")"
                    : limited != null ? limited : heap ? "a larger Java heap (" + largerHeap() + ")" : "free some RAM (the samples live outside the Java heap)")
                    + ", or give a smaller data file (--limit-train and --limit-test take their samples once the whole file is read)");
            return 1;
        } catch (OffHeap.LimitReached e) {
            System.err.println("dst4j " + name + ": out of memory (" + e.getMessage() + "): raise the limit (" + raiseLimit() + "), or " + smaller(name));
            return 1;
        } catch (OutOfMemoryError e) {
            if (String.valueOf(e.getMessage()).contains("unable to create native thread")) {
                // A worker the system would not start (a limit on threads or processes, or no room for a thread's stack):
                // it was reported as the network not fitting, with advice to train fewer neurons.
                System.err.println("dst4j " + name + ": cannot start another thread (" + e.getMessage() + "): give fewer threads (--threads; this JVM has "
                        + Runtime.getRuntime().availableProcessors() + " processors), or raise the system's limit on threads or processes");
                return 1;
            }
            // Heap or off-heap (an Arena that cannot allocate also throws this): a size chosen too large, not a bug.
            // Off-heap segments are not bounded by -Xmx: only the Java heap's own message makes a larger heap worth suggesting.
            boolean heap = String.valueOf(e.getMessage()).contains("Java heap") || String.valueOf(e.getMessage()).contains("GC overhead");
            String limited = heap ? heapLimitedBy(System.getenv()) : null;
            System.err.println("dst4j " + name + ": out of memory (" + e.getMessage() + (heap ? ", at most " + Runtime.getRuntime().maxMemory() / (1 << 20)
                    + " MB" : "") + "): " + (limited != null ? limited : "the network or data does not fit in this machine's"
                    + " memory; " + smaller(name) + ", or "
                    + (heap ? "a larger Java heap (" + largerHeap() + ")" : "more free RAM (the matrices live outside the Java heap)")));
            return 1;
        }
    }

    private static String raiseLimit() {
        return System.getProperty(LAUNCHER) != null ? "DST4J_JVM_OPTS=-Ddst4j.maxOffHeap=2g ./dst4j ..." : "java -Ddst4j.maxOffHeap=2g -jar dst4j.jar ...";
    }

    /** Memory ran out while a model loaded; {@link #run} says so, with the model's size on disk. */
    static final class ModelTooLarge extends RuntimeException {
        final Path model;
        final long bytes;

        ModelTooLarge(Path model, long bytes, OutOfMemoryError cause) {
            super(cause);
            this.model = model;
            this.bytes = bytes;
        }
    }

    // What to shrink: predict and export take a trained model as it is (predict's data can be less), where advice to
    // train fewer neurons was no help; a training command can also train a smaller network.
    private static String smaller(String command) {
        return switch (command) {
            case "predict" -> "try less data (--limit-test)";
            case "export" -> "the model is too large for this memory";
            // each command's own size options: --density and --epsilon were named to commands that refuse them
            case "set", "quickselection" -> "try fewer neurons or connections (--hidden, --epsilon) or less data (--limit-train)";
            case "freetickets", "neurotrails" -> "try fewer neurons or connections (--hidden, --density) or less data (--limit-train)";
            case "spacenet" -> "try fewer neurons or connections (--hidden, --connections) or less data (--limit-train)";
            case "bench" -> "try smaller networks or data (--sizes, --features, --train; kernels: --size, --density, --batch)";
            default -> "try a smaller run";
        };
    }

    // A heap limit set for every Java program of a CI job or a machine (JAVA_TOOL_OPTIONS=-Xmx64m, which build images set
    // for Maven) ran out of memory with advice to shrink the network. Names the variable and how to raise the limit;
    // null when no such variable sets one.
    static String heapLimitedBy(Map<String, String> env) {
        for (String v : new String[] {"_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"}) {
            String value = env.get(v);
            if (value == null || !value.matches("(?s).*(-Xmx|-XX:MaxHeapSize|-XX:MaxRAM).*")) continue;
            // _JAVA_OPTIONS comes after the command line and wins over it; the other two come before it.
            return "the Java heap is limited by " + v + "='" + value.strip() + "'; " + (v.equals("_JAVA_OPTIONS")
                    ? "it overrides the command line: raise its limit or unset it (env -u _JAVA_OPTIONS ...)"
                    : "raise its limit, or override it (" + largerHeap() + ")");
        }
        return null;
    }

    private static String largerHeap() {
        return System.getProperty(LAUNCHER) != null ? "DST4J_JVM_OPTS=-Xmx2g ./dst4j ..." : "java -Xmx2g -jar dst4j.jar ...";
    }

    private static int interrupted(String name, String where) {
        System.err.println("dst4j " + name + ": interrupted: " + where);
        return 130;
    }

    // The signal's interrupt closes a file channel in use (ClosedByInterruptException, no message): a data reader
    // reported it as "F: cannot read: null", a bad file.
    // 128 + SIGPIPE: the status a C program killed by writing into a pipe nobody reads any more ends with, as
    // 'predict --output /dev/stdout | head -1' leaves predict. The JVM ignores SIGPIPE, so the write fails instead, and
    // "writing /dev/stdout: Broken pipe" with exit code 1 was printed after the lines the reader did want.
    static final int READER_GONE = 141;

    private static boolean readerGone(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().endsWith("Broken pipe")) return true;
        }
        return false;
    }

    private static boolean closedByInterrupt(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ClosedByInterruptException) return true;
        }
        return false;
    }

    static String describe(IOException e) {
        if (!(e instanceof FileSystemException f) || f.getReason() != null) return String.valueOf(e.getMessage());
        return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + AtomicFiles.why(f);
    }

    static Map<String, Command> commands() {
        Map<String, Command> m = new TreeMap<>();
        m.put("info", new InfoCommand());
        m.put("set", new SetCommand());
        m.put("predict", new PredictCommand());
        m.put("export", new ExportCommand());
        m.put("inspect", new InspectCommand());
        m.put("quickselection", new QuickSelectionCommand());
        m.put("freetickets", new FreeTicketsCommand());
        m.put("neurotrails", new NeuroTrailsCommand());
        m.put("spacenet", new SpaceNetCommand());
        m.put("bench", new BenchCommand());
        return m;
    }

    static String usage(Map<String, Command> commands) {
        StringBuilder sb = new StringBuilder("usage: dst4j <command> [options]\n\ncommands:\n");
        for (var e : commands.entrySet()) sb.append(String.format("  %-15s %s%n", e.getKey(), e.getValue().summary()));
        if (System.getProperty(LAUNCHER) != null) {
            sb.append(String.format("  %-15s %s%n", "test", "run every test of the project (mvn -B verify on every module; ./dst4j only)"));
            sb.append(String.format("  %-15s %s%n", "jmh", "build and run the JMH kernel benchmarks ('./dst4j jmh -l' lists them; ./dst4j only)"));
        }
        sb.append("\n'dst4j <command> --help' lists a command's options.");
        return sb.toString();
    }

    private static Integer relaunchWithVectorModule(String[] args) {
        // A runtime trimmed with jlink may lack the module (the child could not even start) or java.management
        // (the JVM flags to pass on are unknown): this JVM then runs on the scalar path, whose warning says why.
        if (!KernelProvider.vectorModuleInRuntime() || ModuleLayer.boot().findModule("java.management").isEmpty()) return null;
        try {
            String java = ProcessHandle.current().info().command().orElse(null);
            String cp = System.getProperty("java.class.path");
            if (java == null || cp == null || cp.isEmpty()) return null;
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            cmd.add("--add-modules");
            cmd.add("jdk.incubator.vector");
            cmd.add("--enable-native-access=ALL-UNNAMED");
            List<String> given = ManagementFactory.getRuntimeMXBean().getInputArguments();
            // Same memory flags as the ./dst4j launcher (see there why), unless the user chose their own.
            if (given.stream().noneMatch(a -> a.matches("-XX:[+]Use\\w+GC|-Xm[nx].*|-XX:MaxRAM.*"))) {
                cmd.addAll(List.of("-XX:+UseSerialGC", "-Xmn48m"));
            }
            for (String a : given) {
                if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) cmd.add(a);
            }
            cmd.add("-D" + RELAUNCHED + "=" + ProcessHandle.current().pid());
            cmd.add("-XX:+IgnoreUnrecognizedVMOptions");
            cmd.add("-cp");
            cmd.add(cp);
            cmd.add(Main.class.getName());
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO().directory(new File(".").getAbsoluteFile());
            // Their options are in `given` already, less the agents: passed on again through the environment, a debugger's
            // agent in the child bound the parent's port, and the child died before running anything.
            pb.environment().keySet().removeAll(List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"));
            Process p = pb.start();
            // A signal that ends this JVM (kill, a job scheduler's TERM) must end the run too: the child
            // otherwise went on training, orphaned, writing into --out.
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    if (!p.isAlive()) return;
                    p.destroy();
                    try {
                        if (!p.waitFor(SETTLE_SECONDS + 5, TimeUnit.SECONDS)) p.destroyForcibly(); // the child's own hook may take SETTLE_SECONDS
                    } catch (InterruptedException e) {
                        p.destroyForcibly();
                    }
                }, "dst4j-relaunched-child"));
            } catch (IllegalStateException shuttingDown) {
                // stopped while the child started: it stops too (caught below as a failed relaunch, it ran on, orphaned,
                // beside this JVM running the command itself)
                p.destroy();
                return 130;
            }
            return p.waitFor();
        } catch (Exception | Error e) { // an Error too: a process launch mechanism the JDK refuses (-Djdk.lang.Process.launchMechanism)
            return null;
        }
    }
}
