package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line on Java runtimes trimmed for a small device: a jlink image of java.base alone (no Vector
 * API, no java.management, no java.desktop), and a full JDK limited to java.base and the Vector API: no stack
 * trace where the relaunch with the Vector API would name a module the image lacks or read the JVM flags
 * through java.management, or where a chart needs AWT.
 */
class TrimmedRuntimeTest {
    private static final Path JDK = Path.of(System.getProperty("java.home"));

    @TempDir
    static Path shared;
    private static Path baseImage;

    @BeforeAll
    static void linkBaseImage() throws Exception {
        baseImage = shared.resolve("java-base");
        Out o = exec(List.of(JDK.resolve("bin/jlink").toString(), "--add-modules", "java.base", "--output", baseImage.toString(),
                "--no-header-files", "--no-man-pages"), shared);
        assertThat(o.code()).as("jlink: %s", o.err()).isZero();
    }

    record Out(int code, String out, String err) {}

    private static Out exec(List<String> cmd, Path dir) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt"), err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Out(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static Out dst4j(Path java, List<String> jvmFlags, Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java.toString()));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return exec(cmd, dir);
    }

    @Test
    void anImageWithoutTheVectorModuleRunsScalarWithOneWarning(@TempDir Path dir) throws Exception {
        Out o = dst4j(baseImage.resolve("bin/java"), List.of(), dir, "info");
        assertThat(o.code()).as("exit code; stderr: %s", o.err()).isZero();
        assertThat(o.out()).contains("backend:     scalar").contains("vector api:  absent from this Java runtime");
        assertThat(o.err().strip()).isEqualTo("WARNING: dst4j uses scalar kernels (slow): this Java runtime has no jdk.incubator.vector module"
                + " (a jlink image needs --add-modules jdk.incubator.vector)");
    }

    @Test
    void aTrainingRunWithoutJavaDesktopWritesEverythingButItsChart(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Out o = dst4j(baseImage.resolve("bin/java"), List.of(), dir, "set", "--limit-train", "200", "--limit-test", "100", "--threads", "1",
                "--epochs", "2", "--hidden", "8", "--epsilon", "2", "--out", run.toString());
        assertThat(o.code()).as("exit code; stderr: %s", o.err()).isZero();
        assertThat(run.resolve("model.dst4j")).isRegularFile();
        assertThat(run.resolve("metrics.jsonl")).isRegularFile();
        assertThat(run.resolve("learning-curve.png")).doesNotExist();
        assertThat(o.err()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(o.err().lines().filter(l -> l.contains("java.desktop")).toList()).as("chart warnings")
                .containsExactly("WARNING: dst4j draws no PNG charts: this Java runtime has no java.desktop module (skipped learning-curve.png and any later chart)");
        assertThat(o.out()).contains("wrote " + run.resolve("model.dst4j") + ", " + run.resolve("metrics.jsonl") + "\n");

        Out p = dst4j(baseImage.resolve("bin/java"), List.of(), dir, "predict", "--model", run.resolve("model.dst4j").toString(),
                "--limit-test", "100");
        assertThat(p.code()).as("predict; stderr: %s", p.err()).isZero();
        assertThat(p.out()).contains("accuracy");
    }

    // A run started where charts are drawn and resumed where they are not: its learning curve is an earlier
    // command's, and was listed among the files the resumed run wrote.
    @Test
    void aResumedRunWithoutJavaDesktopDoesNotClaimTheEarlierChart(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        String[] args = {"--limit-train", "200", "--limit-test", "100", "--threads", "1", "--epochs", "2", "--hidden", "8", "--epsilon", "2"};
        PrintStream so = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            List<String> first = new ArrayList<>(List.of("set", "--out", run.toString()));
            first.addAll(List.of(args));
            assertThat(Main.run(first.toArray(String[]::new))).isZero();
        } finally {
            System.setOut(so);
        }
        assertThat(run.resolve("learning-curve.png")).isRegularFile();
        Out o = dst4j(baseImage.resolve("bin/java"), List.of(), dir, "set", "--resume", run.toString(), "--limit-train", "200", "--limit-test", "100",
                "--threads", "1");
        assertThat(o.code()).as("exit code; stderr: %s", o.err()).isZero();
        assertThat(o.out()).contains("wrote " + run.resolve("model.dst4j") + ", " + run.resolve("metrics.jsonl") + "\n");
    }

    @Test
    void theOtherTrainingCommandsSkipTheirChartsToo(@TempDir Path dir) throws Exception {
        String[][] runs = {
            {"freetickets", "members.png", "--variant", "dst", "--members", "2", "--epochs", "1", "--hidden", "16"},
            {"neurotrails", "heads.png", "--heads", "2", "--epochs", "1", "--hidden", "16,16"},
            {"spacenet", "accuracy-matrix.png", "--tasks", "2", "--epochs", "1", "--hidden", "40,40", "--connections", "400,200,20",
                "--selected", "16", "--reserved", "8"},
            {"quickselection", "selected-pixels.png", "--k", "10", "--epochs", "1", "--hidden", "16"}};
        for (String[] r : runs) {
            Path run = dir.resolve(r[0]);
            List<String> args = new ArrayList<>(List.of(r[0]));
            args.addAll(List.of(r).subList(2, r.length));
            args.addAll(List.of("--limit-train", "200", "--limit-test", "100", "--threads", "1", "--out", run.toString()));
            Out o = dst4j(baseImage.resolve("bin/java"), List.of(), dir, args.toArray(String[]::new));
            assertThat(o.code()).as("%s exit code; stderr: %s", r[0], o.err()).isZero();
            assertThat(o.err()).as(r[0]).contains("WARNING: dst4j draws no PNG charts").doesNotContain("Exception");
            assertThat(run.resolve(r[1])).doesNotExist();
            assertThat(o.out()).as(r[0]).contains("wrote ").doesNotContain(".png");
        }
    }

    // The module is in the image but not resolved, and java.management is missing: the relaunch cannot copy
    // the JVM's flags, so the run stays scalar and says how to enable the Vector API.
    @Test
    void withoutJavaManagementTheCommandLineRunsScalarAndSaysHowToEnableTheVectorApi(@TempDir Path dir) throws Exception {
        Out o = dst4j(JDK.resolve("bin/java"), List.of("--limit-modules", "java.base,jdk.incubator.vector"), dir, "info");
        assertThat(o.code()).as("exit code; stderr: %s", o.err()).isZero();
        assertThat(o.out()).contains("backend:     scalar").contains("vector api:  not enabled (start java with --add-modules jdk.incubator.vector)");
        assertThat(o.err().strip()).isEqualTo("WARNING: dst4j uses scalar kernels (slow): jdk.incubator.vector is not available;"
                + " start java with --add-modules jdk.incubator.vector");
    }
}
