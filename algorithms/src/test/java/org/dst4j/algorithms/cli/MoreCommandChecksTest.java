package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Percentage.withPercentage;
import static org.dst4j.algorithms.cli.CommandValidationTest.assertUsageError;
import static org.dst4j.algorithms.cli.CommandValidationTest.run;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dst4j.algorithms.Printed;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.Kernels;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Commands' checks (a user's mistake is one line, before any training) and what they print. */
class MoreCommandChecksTest {

    @TempDir Path dir;

    @Test
    void zeroEpochsAndOptionsThatWouldBeIgnoredAreRefused() {
        String out = dir.resolve("run").toString(); // where a run let through would write, not runs/ in the working directory
        // --epochs 0 with a cosine schedule: a usage error, not an IllegalArgumentException trace after the data loaded.
        assertUsageError(run("set", "--epochs", "0", "--schedule", "cosine", "--out", out), "dst4j set: --epochs: expected a whole number in [1, 1000000], got 0");
        assertThat(run("quickselection", "--epochs", "0", "--out", out).code()).isEqualTo(2);
        assertUsageError(run("set", "--optimizer", "adam", "--momentum", "0.5", "--out", out),
                "dst4j set: --momentum applies to --optimizer sgd; Adam keeps its own moment estimates (beta1 0.9, beta2 0.999)");
        assertThat(run("quickselection", "--evaluate", "--random-draws", "0", "--out", out).code()).isEqualTo(2);
        var replot = run("bench", "scale", "--replot", "--sizes", "10@2", "--out", dir.toString());
        assertThat(replot.code()).isEqualTo(2);
        assertThat(replot.err()).startsWith("dst4j bench: --sizes does not apply to --replot");
    }

    @Test
    void benchKernelsPrintsEveryFigureAndWritesItsJson() throws Exception {
        Path json = dir.resolve("k.json");
        String out = Printed.stdout(() -> assertThat(run("bench", "kernels", "--size", "64", "--density", "0.1", "--batch", "16",
                "--threads", "1,2", "--rounds", "2", "--warmup", "0", "--round-ms", "1", "--scalar", "--json", json.toString()).code()).isZero());
        assertThat(out).contains("of peak FMA", "of reads", "vs 1 thread", "vs scalar", "sddmm+sgd", "reads: forward order", "reads: transposed order",
                "forward (scalar)", "wrote " + json);
        assertThat(out.lines().filter(l -> l.matches("forward +\\d.*")).count()).as("the SIMD forward product on 1 and 2 threads").isEqualTo(2);
        var m = Json.parseObject(Json.readFile(json));
        assertThat(m).containsEntry("batch", 16L).containsKey("figures");
        assertUsageError(run("bench", "kernels", "--density", "0"), "dst4j bench: --density: expected a number in [1.0E-9, 1.0], got 0");
        assertUsageError(run("bench", "kernels", "--threads", "0"), "dst4j bench: --threads: each value must be in [1, 4096], got 0");
    }

    @Test
    void benchKernelsRefusesAJsonPathItCannotWriteBeforeTimingAnything() throws Exception {
        // Not checked only after every round has run (minutes with the defaults), the figures printed, then exit code 1.
        String out = Printed.stdout(() -> assertUsageError(run("bench", "kernels", "--size", "64", "--density", "0.1", "--batch", "16",
                "--threads", "1", "--rounds", "1", "--warmup", "0", "--round-ms", "1", "--json", dir.toString()),
                "dst4j bench: --json " + dir + " is a directory; expected the path of the JSON file"));
        assertThat(out).as("nothing timed").doesNotContain("peak fma");
        Path file = Files.writeString(dir.resolve("afile"), "x");
        assertUsageError(run("bench", "kernels", "--size", "64", "--json", file.resolve("k.json").toString()),
                "dst4j bench: --json " + file.resolve("k.json") + ": cannot be created, " + file + " is a file");
        assertUsageError(run("bench", "kernels", "--size", "64", "--rounds", "1", "--warmup", "0", "--round-ms", "1", "--json", "-"),
                "dst4j bench: --json -: the figures' table goes to standard output; give the JSON a file path");
        assertThat(Path.of("-")).doesNotExist();
    }

    @Test
    void benchKernelsJsonReplacesAnEarlierFiguresFileButNoOtherFile() throws Exception {
        // '--json data.csv' for '--json k.json' would otherwise replace the data with the figures, as export and predict
        // do not replace a file that is not their own output.
        Path data = Files.writeString(dir.resolve("data.csv"), "1,2,0\n3,4,1\n");
        String[] kernels = {"bench", "kernels", "--size", "64", "--density", "0.1", "--batch", "16", "--threads", "1", "--rounds", "1",
                "--warmup", "0", "--round-ms", "1", "--json"};
        String out = Printed.stdout(() -> assertUsageError(run(concat(kernels, data.toString())),
                "dst4j bench: --json " + data + " exists and is not a figures file of bench kernels; remove it or choose another path"));
        assertThat(out).as("nothing timed").doesNotContain("peak fma");
        assertThat(data).hasContent("1,2,0\n3,4,1");
        Path json = dir.resolve("k.json");
        for (int i = 0; i < 2; i++) { // the second run replaces the first one's figures
            Printed.stdout(() -> assertThat(run(concat(kernels, json.toString())).code()).isZero());
        }
        assertThat(Json.parseObject(Json.readFile(json))).containsKey("figures");
    }

    private static String[] concat(String[] args, String last) {
        String[] all = Arrays.copyOf(args, args.length + 1);
        all[args.length] = last;
        return all;
    }

    @Test
    void benchKernelsRefusesAMatrixWithNoStoredWeights() throws Exception {
        // A 3 x 3 matrix at density 0.01 stores nothing: every product would be timed at 0.0 GFLOP/s and its ratios printed as NaN.
        String out = Printed.stdout(() -> assertUsageError(run("bench", "kernels", "--size", "3", "--density", "0.01",
                "--threads", "1", "--rounds", "1", "--warmup", "0", "--round-ms", "1"),
                "dst4j bench: --size 3 --density 0.01 stores no weights (the 3 x 3 matrix drawn with --seed 42); raise --size or --density"));
        assertThat(out).doesNotContain("NaN");
    }

    @Test
    void benchScaleOfOneSizeSaysWhatItWrote() throws Exception {
        // One size writes scale.json and says so, though only two sizes or more make the chart.
        Path out = dir.resolve("one");
        String printed = Printed.stdout(() -> assertThat(run("bench", "scale", "--sizes", "20@2", "--features", "16", "--informative", "4",
                "--train", "40", "--test", "10", "--threads", "1", "--out", out.toString()).code()).isZero());
        assertThat(out.resolve("scale.json")).exists();
        assertThat(out.resolve("scale.png")).doesNotExist();
        assertThat(printed).contains("wrote " + out.resolve("scale.json") + " (no scale.png: the chart and its slopes need two sizes or more)");
    }

    @Test
    void benchScaleWritesItsSettingsInOneOrder() throws Exception {
        // Not in Map.ofEntries' order, which each JVM draws anew.
        Path out = dir.resolve("order");
        // --informative as large as --features: every feature carries the class, accepted
        Printed.stdout(() -> assertThat(run("bench", "scale", "--sizes", "20@2", "--features", "16", "--informative", "16",
                "--train", "40", "--test", "10", "--threads", "1", "--out", out.toString()).code()).isZero());
        var m = Json.parseObject(Json.readFile(out.resolve("scale.json")));
        assertThat(((Map<?, ?>) m.get("settings")).keySet().stream().map(String::valueOf).toList()).containsExactly("features", "informative", "classes", "separation", "train", "test",
                "batch", "lr", "momentum", "weight_decay", "zeta", "output", "seed", "threads");
        assertThat(((Map<?, ?>) m.get("settings")).get("informative")).isEqualTo(16L);
        // more than --features: refused naming both options, before the output directory is made
        assertUsageError(run("bench", "scale", "--sizes", "20@2", "--features", "16", "--informative", "17", "--out", dir.resolve("more").toString()),
                "dst4j bench: --informative 17 exceeds --features 16");
        assertThat(dir.resolve("more")).doesNotExist();
    }

    @Test
    void benchScaleRefusesASizeWithALayerOverTheConnectionLimitBeforeRunning() throws Exception {
        // Without the check the sizes before it ran, then SparseInit's IllegalArgumentException reached the user as a stack trace.
        String printed = refusedScale("20@2,2147483647@5", "--sizes: 2147483647@5 gives the 16 -> 2147483647 layer 10737418315 connections,"
                + " over the 2^31-1 one layer holds; use a smaller width or epsilon");
        assertThat(printed).as("no size run").doesNotContain("warm-up");
    }

    @Test
    void benchScaleRefusesSizesThatAllHaveTheSameConnections() throws Exception {
        // Their slopes against connections are 0/0: printed as NaN, written as null, drawn in the chart's legend as NaN.
        String printed = refusedScale("20@2,20@2", "--sizes: every size gives 132 connections; the slopes against connections, and the chart,"
                + " need sizes that differ in connections (one size alone is timed without them)");
        assertThat(printed).doesNotContain("NaN");
    }

    @Test
    void benchScaleRefusesASizeWithALayerOfNoConnections() throws Exception {
        // As the training commands refuse one: such a network was timed, its bytes per connection printed as Infinity.
        String printed = refusedScale("20@0.001", "--sizes: 20@0.001 leaves the 16 -> 20 layer with no connections, so it could not learn;"
                + " raise its epsilon");
        assertThat(printed).doesNotContain("Infinity");
    }

    // bench scale on a tiny problem, refused with message before its output directory is made; what it printed.
    private String refusedScale(String sizes, String message) throws Exception {
        Path out = dir.resolve("scale");
        String printed = Printed.stdout(() -> assertUsageError(run("bench", "scale", "--sizes", sizes, "--features", "16", "--informative", "4",
                "--train", "40", "--test", "10", "--threads", "1", "--out", out.toString()), "dst4j bench: " + message));
        assertThat(out).doesNotExist();
        return printed;
    }

    @Test
    void benchKernelsRefusesPlainWhereItCannotTimeThePlainLoop() throws Exception {
        // With a batch narrower than a vector the plain loop cannot be timed: --plain is refused, not left out silently.
        var k = KernelProvider.get();
        var o = run("bench", "kernels", "--size", "64", "--density", "0.1", "--batch", "1", "--threads", "1", "--rounds", "1", "--warmup", "0",
                "--round-ms", "1", "--plain");
        assertThat(o.code()).as(o.err()).isEqualTo(2);
        assertThat(o.err()).startsWith("dst4j bench: --plain times a SIMD loop").doesNotContain("\n");
        if (k.name().equals("panama") && k.floatLanes() > 1) {
            assertThat(o.err()).isEqualTo("dst4j bench: --plain times a SIMD loop over the batch, which needs --batch " + k.floatLanes() + " or more here (one vector of "
                    + k.floatLanes() + " floats), got 1");
        }
    }

    // A worker thread the system would not start (a container's limit on processes, ulimit -u, or no room left for a
    // thread's stack: seen as 'set --threads 200' under 'ulimit -v 3000000' and -Xss64m) is not the network or data
    // not fitting in memory, with advice to train fewer neurons or on less data: the number of threads is what to lower.
    @Test
    void aThreadTheSystemWouldNotStartIsOneLineNamingThreads() {
        Command refused = new Command() {
            @Override public String summary() { return "starts more threads than the system allows"; }
            @Override public int run(String[] args) {
                // The JDK's own message when Thread.start cannot create the thread.
                throw new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource limits reached");
            }
        };
        for (String command : new String[] {"set", "predict", "spacenet"}) {
            PrintStream err = System.err;
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code;
            try {
                code = Main.runCommand(refused, command, new String[0]);
            } finally {
                System.setErr(err);
            }
            String printed = e.toString(StandardCharsets.UTF_8).strip();
            assertThat(code).isEqualTo(1);
            assertThat(printed).as(command).isEqualTo("dst4j " + command + ": cannot start another thread (unable to create native thread: possibly out of"
                    + " memory or process/resource limits reached): give fewer threads (--threads; this JVM has "
                    + Runtime.getRuntime().availableProcessors() + " processors), or raise the system's limit on threads or processes");
        }
    }

    private record Outcome(int code, String err) {}

    @Test
    void anOutThatCannotBeUsedIsRefusedBeforeTheDataLoads() throws Exception {
        // A --data file that does not exist: if the --out check came after loading, the error would be about the data.
        String missing = dir.resolve("no-such.csv").toString();
        Path earlier = Files.createDirectories(dir.resolve("earlier"));
        Files.writeString(earlier.resolve("metrics.json"), "{}");
        assertThat(run("spacenet", "--data", missing, "--out", earlier.toString()).err())
                .startsWith("dst4j spacenet: --out " + earlier + " holds an earlier run (metrics.json)");
        Path file = Files.writeString(dir.resolve("afile"), "x");
        for (String command : new String[] {"set", "freetickets", "neurotrails", "quickselection"}) {
            var o = run(command, "--data", missing, "--out", file.resolve("run").toString());
            assertThat(o.code()).as(command).isEqualTo(2);
            assertThat(o.err()).as(command).isEqualTo("dst4j " + command + ": --out " + file.resolve("run") + ": cannot be created, " + file + " is a file");
        }
    }

    // -Ddst4j.maxOffHeap (OffHeap.setLimit here, as the property sets it): a network beyond it is one line naming the
    // limit and how to raise it, and the run leaves nothing half-written.
    @Test
    void aNetworkBeyondTheOffHeapLimitIsOneLineNamingTheLimit() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) sb.append(i % 5).append(',').append(i % 3).append(',').append(i % 2).append('\n');
        String csv = Files.writeString(dir.resolve("small.csv"), sb.toString()).toString();
        long before = OffHeap.limit();
        OffHeap.setLimit(1 << 20);
        try {
            var o = run("set", "--data", csv, "--hidden", "4000,4000", "--epsilon", "100", "--epochs", "1", "--threads", "1",
                    "--out", dir.resolve("big").toString());
            assertThat(o.code()).as(o.err()).isEqualTo(1);
            String last = o.err().lines().reduce((a, b) -> b).orElseThrow();
            assertThat(last).startsWith("dst4j set: out of memory (dst4j's off-heap limit (-Ddst4j.maxOffHeap, OffHeap.setLimit) of 1.0 MB reached: ")
                    .contains("raise the limit (java -Ddst4j.maxOffHeap=2g -jar dst4j.jar ...)")
                    .endsWith("or try fewer neurons or connections (--hidden, --epsilon) or less data (--limit-train)");
            assertThat(o.err()).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(dir.resolve("big")).doesNotExist();
            // Each command's own size options, not another command's (--density, --epsilon).
            var sn = run("spacenet", "--data", csv, "--tasks", "1", "--hidden", "4000,4000", "--connections", "100,100,10", "--epochs", "1", "--threads", "1", "--no-baselines",
                    "--out", dir.resolve("big-sn").toString());
            assertThat(sn.code()).as(sn.err()).isEqualTo(1);
            assertThat(sn.err().lines().reduce((a, b) -> b).orElseThrow()).startsWith("dst4j spacenet: out of memory (")
                    .endsWith("or try fewer neurons or connections (--hidden, --connections) or less data (--limit-train)");
            // predict cannot train a smaller network: its advice is the data it scores.
            Path model = dir.resolve("small-model");
            OffHeap.setLimit(Long.MAX_VALUE);
            assertThat(run("set", "--data", csv, "--hidden", "200", "--epochs", "1", "--threads", "1", "--out", model.toString()).code()).isZero();
            // The model itself beyond the limit: less data cannot help, nor can fewer neurons.
            OffHeap.setLimit(OffHeap.bytesInUse() + 1000);
            String m = model.resolve("model.dst4j").toString();
            for (String[] c : new String[][] {{"predict", "--model", m, "--data", csv, "--output", dir.resolve("p.csv").toString()},
                    {"export", "--model", m, "--output", dir.resolve("e.npz").toString()}, {"inspect", "--model", m}}) {
                var p = run(c);
                assertThat(p.code()).as(p.err()).isEqualTo(1);
                assertThat(p.err().lines().reduce((a, b) -> b).orElseThrow()).as(c[0])
                        .startsWith("dst4j " + c[0] + ": out of memory loading the model " + m + " (dst4j's off-heap limit")
                        .contains("): raise the limit (java -Ddst4j.maxOffHeap=2g -jar dst4j.jar ...); its files take " + OffHeap.size(Files.size(Path.of(m))) + ", and loaded it needs about as much")
                        .doesNotContain("--limit-test");
            }
            // The model within it, the data beyond: a smaller file is the advice, not --limit-test (it takes its samples
            // once the whole file is read).
            StringBuilder many = new StringBuilder();
            for (int i = 0; i < 30_000; i++) many.append(i % 5).append(',').append(i % 3).append(',').append(i % 2).append('\n');
            String big = Files.writeString(dir.resolve("big.csv"), many.toString()).toString();
            OffHeap.setLimit(OffHeap.bytesInUse() + (64 << 10));
            var p = run("predict", "--model", m, "--data", big, "--output", dir.resolve("p.csv").toString());
            assertThat(p.code()).as(p.err()).isEqualTo(1);
            assertThat(p.err().lines().reduce((a, b) -> b).orElseThrow()).startsWith("dst4j predict: out of memory reading the data (dst4j's off-heap limit")
                    .endsWith("): raise the limit (java -Ddst4j.maxOffHeap=2g -jar dst4j.jar ...), or give a smaller data file (--limit-train and"
                            + " --limit-test take their samples once the whole file is read)");
            var s = run("set", "--data", big, "--hidden", "4", "--epochs", "1", "--threads", "1", "--limit-train", "10", "--out", dir.resolve("b2").toString());
            assertThat(s.code()).as(s.err()).isEqualTo(1);
            assertThat(s.err().lines().reduce((a, b) -> b).orElseThrow()).startsWith("dst4j set: out of memory reading the data (")
                    .endsWith("or give a smaller data file (--limit-train and --limit-test take their samples once the whole file is read)");
            OffHeap.setLimit(1 << 20);
            assertThat(HeldOutSplitTest.run("info").out()).contains("off-heap:    limited to 1.0 MB (-Ddst4j.maxOffHeap)");
            OffHeap.setLimit(Long.MAX_VALUE);
            assertThat(HeldOutSplitTest.run("info").out()).contains("off-heap:    no limit (-Ddst4j.maxOffHeap=SIZE sets one)");
        } finally {
            OffHeap.setLimit(before);
        }
    }

    // Only off-heap memory running out during a load is the model's size: the Java heap running out (here on a 6 MB
    // header, at -Xmx12m) keeps the general advice, a larger heap, not the model-size message.
    @Test
    void theJavaHeapRunningOutWhileAModelLoadsKeepsTheHeapAdvice() throws Exception {
        MlpConfig cfg = new MlpConfig(new int[] {3, 8, 2}, "relu", 0.6f,
                Activation.linear(), 0f, new Density.Uniform(0.5), new WeightInit.HeUniform());
        Path model = dir.resolve("big-header.dst4j");
        try (SparseClassifier c = new SparseClassifier(
                SparseMlp.create(cfg, new RandomStream(1), 2), null,
                Map.of("notes", "n".repeat(6_000_000)), 1)) {
            c.save(model);
        }
        Path input = Files.writeString(dir.resolve("in.csv"), "1,2,3\n4,5,6\n");
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(), "-Xmx12m", "--add-modules",
                "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "predict", "--model", model.toString(),
                "--input", input.toString(), "--output", dir.resolve("p.csv").toString());
        Path err = dir.resolve("child.err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(err.toFile());
        for (String v : new String[] {"JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"}) pb.environment().remove(v);
        Process child = pb.start();
        try {
            assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String out = Files.readString(err);
            assertThat(child.exitValue()).as(out).isEqualTo(1);
            assertThat(out).contains("dst4j predict: out of memory (Java heap space, at most ", "a larger Java heap")
                    .doesNotContain("loading the model").doesNotContain("\tat ");
        } finally {
            child.destroyForcibly();
        }
    }

    // A plain `java -cp` start (as `java -jar`) re-launches itself with the Vector module. A debugger agent given through
    // JAVA_TOOL_OPTIONS must not reach the child twice, by the environment too: it would bind the parent's port, and the
    // child die before running anything (exit 2, nothing done).
    @Test
    void anAgentInJavaToolOptionsIsNotStartedAgainInTheRelaunchedJvm() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "info");
        Path out = dir.resolve("child.out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        for (String v : new String[] {"_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"}) pb.environment().remove(v);
        pb.environment().put("JAVA_TOOL_OPTIONS", "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:" + port);
        Process child = pb.start();
        try {
            assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String printed = Files.readString(out);
            assertThat(child.exitValue()).as(printed).isZero();
            assertThat(printed).contains("vector api:  jdk.incubator.vector present").doesNotContain("bind failed");
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void evaluatingNeedsAsManyTrainingSamplesAsClasses() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) sb.append(i % 5).append(',').append(i % 3).append(',').append(i % 4).append('\n');
        String csv = Files.writeString(dir.resolve("few.csv"), sb.toString()).toString();
        var o = run("quickselection", "--data", csv, "--test-fraction", "0.5", "--limit-train", "2", "--k", "1", "--hidden", "4", "--epochs", "1",
                "--evaluate", "--threads", "1", "--out", dir.resolve("qs").toString());
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).contains("--evaluate: k-means clustering of the 2 training samples").contains("into its 4 classes needs at least 4 samples")
                .doesNotContain("\n");
        // as many samples as classes is enough: one per cluster
        var enough = run("quickselection", "--data", csv, "--test-fraction", "0.5", "--limit-train", "4", "--k", "1", "--hidden", "4", "--epochs", "1",
                "--evaluate", "--threads", "1", "--out", dir.resolve("qs4").toString());
        assertThat(enough.code()).as(enough.err()).isZero();
    }

    @Test
    void aSpaceNetTaskThatGotFewerConnectionsThanAskedIsTold() throws Exception {
        // 3 classes, 4 features; task 1 fills its whole 6 x 6 block, and later tasks reselect some of its released
        // neurons, whose frozen connections then occupy part of their blocks.
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 90; i++) sb.append(i % 7).append(',').append(i % 5).append(',').append(i % 3 * 2).append(',').append(i % 11).append(',').append(i % 3).append('\n');
        String csv = Files.writeString(dir.resolve("three.csv"), sb.toString()).toString();
        var o = run("spacenet", "--data", csv, "--tasks", "3", "--hidden", "12,12", "--selected", "6", "--reserved", "2", "--connections", "24,36,6",
                "--epochs", "1", "--no-baselines", "--threads", "1", "--out", dir.resolve("sn").toString());
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.err()).containsPattern("warning: task [23] has \\d+ connections in layer 2, fewer than --connections asks \\(36\\)");
        assertThat(o.err()).doesNotContain("task 1 has").contains("earlier tasks' frozen connections fill part of it");
        // Task 1 too, when its drop frees more positions than its block has left empty: regrowth does not reuse them at once
        // (not that earlier tasks' frozen connections, of which it has none, filled its block).
        var first = run("spacenet", "--data", csv, "--tasks", "3", "--hidden", "12,12", "--selected", "6", "--reserved", "2", "--connections", "24,30,6",
                "--drop", "0.5", "--epochs", "2", "--no-baselines", "--threads", "1", "--out", dir.resolve("sn-drop").toString());
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.err()).containsPattern("warning: task 1 has \\d+ connections in layer 2, fewer than --connections asks \\(30\\)")
                .contains("a smaller --drop keeps more");
    }

    // JAVA_TOOL_OPTIONS=-Xmx64m, set for Maven in many CI images: named when the heap runs out, not advice to shrink the network.
    @Test
    void aHeapLimitFromTheEnvironmentIsNamedWhenTheHeapRunsOut() {
        assertThat(Main.heapLimitedBy(Map.of("JAVA_TOOL_OPTIONS", "-Xmx64m -Dfile.encoding=UTF-8 ")))
                .startsWith("the Java heap is limited by JAVA_TOOL_OPTIONS='-Xmx64m -Dfile.encoding=UTF-8'; raise its limit, or override it (")
                .contains("-Xmx2g");
        assertThat(Main.heapLimitedBy(Map.of("_JAVA_OPTIONS", "-XX:MaxRAM=1g"))).contains("_JAVA_OPTIONS='-XX:MaxRAM=1g'")
                .contains("overrides the command line").contains("env -u _JAVA_OPTIONS");
        assertThat(Main.heapLimitedBy(Map.of("JAVA_TOOL_OPTIONS", "-Dfoo=1", "PATH", "/bin"))).isNull();
    }

    // What a bug report is asked to include: each line as it says, in this order (the off-heap line is checked above).
    @Test
    void infoPrintsTheVersionBackendLanesThreadsAndJdk() {
        HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("info");
        assertThat(o.code()).isZero();
        Kernels k = KernelProvider.get();
        // run from classes, not a jar: no manifest version
        assertThat(Version.get()).isEqualTo("dev");
        assertThat(o.out().lines().toList()).hasSize(7).startsWith("dst4j dev", "backend:     " + k.name(),
                "simd lanes:  " + k.floatLanes() + " floats (" + 32 * k.floatLanes() + " bits)",
                "threads:     " + Runtime.getRuntime().availableProcessors() + " (default for --threads)",
                "jdk:         " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        // the tests run with the module added, as the launcher and the relaunched JVM do
        assertThat(KernelProvider.vectorModulePresent()).isTrue();
        assertThat(o.out().lines().toList().get(5)).isEqualTo("vector api:  jdk.incubator.vector present");
        // dst4j --help's one line for info says what it prints, the vector API and off-heap lines included
        assertThat(HeldOutSplitTest.run("--help").out().lines().filter(l -> l.startsWith("  info ")).findFirst().orElseThrow())
                .contains("backend", "SIMD width", "threads", "JDK", "vector API", "off-heap limit");
    }

    // What a SpaceNet run prints is its result: the accuracy matrix, one row per method, what each task reserved
    // and froze, and the share of the network used, as metrics.json records them. 4 classes of 25 samples, 2 tasks;
    // --reserved = --selected and --hidden = (tasks - 1) x reserved + selected are the edge of what fits, accepted.
    @Test
    @SuppressWarnings("unchecked")
    void spaceNetPrintsItsMatrixMethodsAndTasksAsItsMetricsRecordThem() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100; i++) sb.append(i % 7).append(',').append(i % 5).append(',').append(i % 4 * 2).append(',').append(i % 11).append(',').append(i % 4).append('\n');
        String csv = Files.writeString(dir.resolve("four.csv"), sb.toString()).toString();
        HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("spacenet", "--data", csv, "--tasks", "2", "--hidden", "12,12", "--selected", "6", "--reserved", "6",
                "--connections", "20,30,6", "--epochs", "2", "--batch", "8", "--threads", "1", "--out", dir.resolve("sn").toString());
        assertThat(o.code()).as(o.err()).isZero();
        var m = Json.parseObject(Json.readFile(dir.resolve("sn/metrics.json")));
        List<Map<String, Object>> methods = (List<Map<String, Object>>) m.get("methods");
        List<String> expected = new ArrayList<>(List.of("accuracy on task i (rows) after learning task j (columns), SpaceNet:",
                "         after 1 after 2"));
        List<List<Object>> matrix = (List<List<Object>>) methods.getFirst().get("accuracy_matrix");
        for (int i = 0; i < 2; i++) {
            StringBuilder row = new StringBuilder(String.format("task %-3d", i + 1));
            for (Object a : matrix.get(i)) row.append(a == null ? "        " : String.format("%7.1f%%", 100 * ((Number) a).doubleValue()));
            expected.add(row.toString());
        }
        assertThat(o.out().lines().limit(4).toList()).isEqualTo(expected);
        assertThat(methods).hasSize(3);
        for (Map<String, Object> method : methods) {
            assertThat(o.out()).contains(String.format("%n%-30s %9.2f%% %11.2f%% %11.2f%% %12d ", method.get("method"),
                    100 * ((Number) method.get("average_accuracy")).doubleValue(), 100 * ((Number) method.get("average_forgetting")).doubleValue(),
                    100 * ((Number) method.get("task_incremental_average_accuracy")).doubleValue(), method.get("connections")));
        }
        List<Map<String, Object>> tasks = (List<Map<String, Object>>) m.get("tasks");
        for (Map<String, Object> t : tasks) {
            long reserved = ((List<Object>) t.get("reserved_neurons_by_layer")).stream().mapToLong(x -> ((Number) x).longValue()).sum();
            long froze = ((List<Object>) t.get("connections_by_layer")).stream().mapToLong(x -> ((Number) x).longValue()).sum();
            assertThat(reserved).isEqualTo(12); // 6 in each hidden layer
            assertThat(o.out()).contains(String.format("%ntask %d reserved %d hidden neurons and froze %d connections%n", t.get("task"), reserved, froze));
        }
        assertThat(o.out()).contains(String.format("%nafter 2 tasks: %.1f%% of hidden neurons reserved, %.1f%% of the dense connection capacity used%n",
                100 * ((Number) m.get("reserved_hidden_neuron_share")).doubleValue(), 100 * ((Number) m.get("reserved_connection_share")).doubleValue()));
        // 40 samples in each task, 5 batches of 8 in each of 2 epochs: told that so few steps stay near chance
        assertThat(o.err()).contains("dst4j spacenet: note: the smallest task has 40 training samples, 10 SGD steps at --batch 8 and --epochs 2: too few");
        // 100 steps (20 batches of 2, 5 epochs) are enough not to be told
        HeldOutSplitTest.Outcome enough = HeldOutSplitTest.run("spacenet", "--data", csv, "--tasks", "2", "--hidden", "12,12", "--selected", "6",
                "--reserved", "2", "--connections", "20,30,6", "--epochs", "5", "--batch", "2", "--no-baselines", "--threads", "1", "--out", dir.resolve("sn2").toString());
        assertThat(enough.code()).as(enough.err()).isZero();
        assertThat(enough.err()).doesNotContain("note:");
    }

    // 'bench --help' lists the three benchmarks; each one's --help shows its own defaults (bench lung's are the reference's table).
    @Test
    void benchHelpListsTheBenchmarksAndEachItsDefaults() {
        String help = Printed.stdout(() -> assertThat(run("bench", "--help").code()).isZero());
        assertThat(help.lines().toList()).hasSize(4);
        assertThat(help).contains("dst4j bench scale [options]", "dst4j bench lung [options]", "dst4j bench kernels [options]",
                "'dst4j bench kernels --help' list the options");
        String lung = Printed.stdout(() -> assertThat(run("bench", "lung", "--help").code()).isZero());
        assertThat(lung).contains("--sizes 3000x3@20,30000x3@20,300000x3@20,600000x3@20 ", "--features 3312 ", "--informative 100 ", "--classes 5 ",
                "--separation 0.5 ", "--train 200 ", "--test 100 ", "--batch 2 ", "--out runs/bench-lung ", "Lung-shaped synthetic data");
        String scale = Printed.stdout(() -> assertThat(run("bench", "scale", "--help").code()).isZero());
        assertThat(scale).contains("--sizes 10000@13,30000@30,100000@60,300000@100,1000000@190,1000000@470 ", "--features 65536 ", "--informative 256 ",
                "--classes 10 ", "--separation 0.35 ", "--train 10000 ", "--test 2000 ", "--batch 32 ", "--out runs/bench-scale ", "one epoch + one evolution per size");
    }

    // A FreeTickets summary: each member's scores, the ensemble against the best of them, the pair's diversity and
    // topology distance, and the FLOPs ratio, each consistent with the rows printed. 100 samples, 20 in the test split
    // (accuracies in steps of 0.05, exact to the 4 printed decimals); --valid-split holds out a single sample, accepted.
    @Test
    void freeTicketsPrintsEachMemberTheEnsembleAgainstTheBestAndThePair() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100; i++) sb.append(i % 7).append(',').append(i % 5).append(',').append(i % 3 * 2).append(',').append(i % 11).append(',').append(i % 3).append('\n');
        String csv = Files.writeString(dir.resolve("hundred.csv"), sb.toString()).toString();
        HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("freetickets", "--data", csv, "--variant", "dst", "--members", "2", "--epochs", "1", "--hidden", "8",
                "--density", "0.5", "--valid-split", "0.0125", "--threads", "1", "--out", dir.resolve("ft").toString());
        assertThat(o.code()).as(o.err()).isZero();
        List<String> lines = o.out().lines().toList();
        assertThat(lines.get(0).trim()).matches("accuracy +NLL +ECE");
        double best = 0;
        String bestNll = null;
        for (int m = 1; m <= 2; m++) {
            String[] f = lines.get(m).split(" +");
            assertThat(f[0] + " " + f[1]).isEqualTo("member " + m);
            best = Math.max(best, Double.parseDouble(f[2]));
            if (bestNll == null || Double.parseDouble(f[3]) < Double.parseDouble(bestNll)) bestNll = f[3];
        }
        String[] e = lines.get(3).split(" +");
        assertThat(e[0]).isEqualTo("ensemble");
        assertThat(lines.get(4)).isEqualTo(String.format("ensemble vs best member: %+.2f accuracy points, NLL %s vs %s (lowest member)",
                100 * (Double.parseDouble(e[1]) - best), e[2], bestNll));
        assertThat(lines.get(5)).startsWith("diversity: mean pairwise disagreement ");
        assertThat(lines.get(6)).isEqualTo("topology distance (fraction of connections not shared, by layer):");
        assertThat(lines.get(7)).matches("  1-2: [0-9.]+ [0-9.]+");
        Matcher flops = Pattern.compile("training FLOPs: ensemble (\\S+), one dense network \\(1 epoch\\) (\\S+): ensemble/dense = (\\S+)")
                .matcher(lines.get(8));
        assertThat(flops.matches()).as(lines.get(8)).isTrue();
        assertThat(Double.parseDouble(flops.group(3))).isCloseTo(Double.parseDouble(flops.group(1)) / Double.parseDouble(flops.group(2)),
                withPercentage(1));
        assertThat(lines.get(9)).endsWith("and 2 member models");
    }
}
