package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataArgsTest {
    @TempDir Path dir;

    /** The exit code and what was printed to stderr. */
    private record Run(int code, String err) {}

    private static Run run(String... args) {
        PrintStream err = System.err, out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return new Run(Main.run(args), buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(err);
            System.setOut(out);
        }
    }

    private Path csv(String name, int rows, int... labels) throws Exception {
        StringBuilder sb = new StringBuilder("a,b,label\n");
        for (int i = 0; i < rows; i++) sb.append(i % 7).append(',').append(i % 5).append(',').append(labels[i % labels.length]).append('\n');
        return Files.writeString(dir.resolve(name), sb.toString());
    }

    private String[] set(String... data) {
        String[] head = {"set", "--threads", "1", "--epochs", "1", "--hidden", "5", "--out", dir.resolve("run").toString()};
        String[] all = java.util.Arrays.copyOf(head, head.length + data.length);
        System.arraycopy(data, 0, all, head.length, data.length);
        return all;
    }

    @Test
    void classesWithoutTrainingSamplesAreWarnedAboutOnOneLineAndTrainingGoesOn() throws Exception {
        Path train = csv("gaps.csv", 40, 0, 2, 5);
        Run r = run(set("--data", train.toString()));
        assertThat(r.code()).isZero();
        assertThat(r.err()).contains("dst4j set: warning: " + train + ": no sample has label 1, 3, 4, although the largest label, 5, makes 6 classes\n");
    }

    @Test
    void aTestLabelOutsideTheTrainingClassesFailsBeforeTrainingWithoutAStackTrace() throws Exception {
        Path train = csv("train.csv", 40, 0, 1, 2), test = csv("test.csv", 10, 0, 1, 7);
        Run r = run(set("--data", train.toString(), "--test-data", test.toString()));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("dst4j set: " + test + ": sample 2 (0-based) has label 7, outside the classes 0..2 of the training labels " + train + "\n");
        assertThat(dir.resolve("run")).doesNotExist();
    }
}
