package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
        String[] all = Arrays.copyOf(head, head.length + data.length);
        System.arraycopy(data, 0, all, head.length, data.length);
        return all;
    }

    // Each source reads only some of the file options: one meant for another source is refused by name before anything
    // is read, rather than silently ignored.
    @Test
    void aFileOptionForAnotherKindOfSourceIsRefusedNamingTheSource() throws Exception {
        Path train = csv("train.csv", 40, 0, 1, 2), npy = Files.write(dir.resolve("x.npy"), new byte[0]), idx = Files.createDirectories(dir.resolve("idx"));
        String[][] cases = {
            {"--labels", train.toString()}, {"--labels applies to a --data file; the embedded dataset comes with its own labels and test split"},
            {"--dataset", "fashion-mnist", "--test-fraction", "0.5"},
            {"--test-fraction applies to a --data file; --dataset fashion-mnist comes with its own labels and test split"},
            {"--data", train.toString(), "--labels", train.toString()},
            {"--labels does not apply to --data " + train + ", a CSV file (its labels are a column: --label-column)"},
            {"--data", npy.toString(), "--label-column", "0"}, {"--label-column does not apply to --data " + npy + ", a .npy array (its labels come from --labels)"},
            {"--data", idx.toString(), "--test-fraction", "0.5"},
            {"--test-fraction does not apply to --data " + idx + ", an IDX directory with its own labels and test split"},
            {"--data", npy.toString(), "--test-labels", train.toString()},
            {"--test-labels labels a --test-data file; without --test-data the test split is held out of --data " + npy}};
        for (int i = 0; i < cases.length; i += 2) {
            Run r = run(set(cases[i]));
            assertThat(r.err()).isEqualTo("dst4j set: " + cases[i + 1][0] + "\n");
            assertThat(r.code()).isEqualTo(2);
        }
        assertThat(dir.resolve("run")).doesNotExist();
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
    @Test
    void dataOptionMistakesAreUsageErrorsWithExitCodeTwo() throws Exception {
        Path csv = csv("good.csv", 40, 0, 1), idx = Files.createDirectories(dir.resolve("idx"));
        // Checked before the files are read: their content does not matter.
        Path x = Files.writeString(dir.resolve("X.npy"), "not read"), y = Files.writeString(dir.resolve("Y.npy"), "not read");
        String[][] mistakes = {
            {"--data", csv.toString(), "--label-column", "foo"},
            {"--data", csv.toString(), "--label-column", "-1"},
            {"--dataset", "cifar"},
            {"--dataset", ""},
            {"--data", x.toString()},
            {"--data", x.toString(), "--labels", y.toString(), "--test-data", x.toString()},
            {"--data", idx.toString(), "--test-data", csv.toString()},
            {"--data", csv.toString(), "--test-fraction", "0"},
        };
        String[] expected = {
            "dst4j set: --label-column foo: expected last, first or a 0-based column index\n",
            "dst4j set: --label-column -1: expected last, first or a 0-based column index\n",
            "dst4j set: unknown dataset 'cifar'; known: fashion-mnist, mnist, fashion-mnist-small\n",
            "dst4j set: unknown dataset ''; known: fashion-mnist, mnist, fashion-mnist-small\n",
            "dst4j set: --data " + x + " is a .npy feature array; give its labels with --labels FILE.npy\n",
            "dst4j set: --test-data " + x + " needs --test-labels FILE.npy\n",
            "dst4j set: --test-data is for a .csv or .npy --data file; " + idx + " is an IDX directory\n",
            "dst4j set: --test-fraction 0.0: a single data file (" + csv + ") is split into train and test, so a share above 0 must be held out\n",
        };
        for (int i = 0; i < mistakes.length; i++) {
            Run r = run(set(mistakes[i]));
            assertThat(r.err()).as(String.join(" ", mistakes[i])).isEqualTo(expected[i]);
            assertThat(r.code()).as(String.join(" ", mistakes[i])).isEqualTo(2);
        }
        // A column the file does not have: the option is what to change (a usage error), as for quickselection's --k
        // beyond the features.
        Run r = run(set("--data", csv.toString(), "--label-column", "7"));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("dst4j set: " + csv + ": --label-column 7: expected last, first or a column index in [0, 3)\n");
        assertThat(dir.resolve("run")).doesNotExist();
    }
    @Test
    void aFileOptionTheDataSourceWouldIgnoreIsAUsageError() throws Exception {
        Path csv = csv("good.csv", 40, 0, 1), idx = Files.createDirectories(dir.resolve("idx"));
        Path x = Files.writeString(dir.resolve("X.npy"), "not read"), y = Files.writeString(dir.resolve("Y.npy"), "not read");
        String[][] ignored = {
            {"--test-fraction", "0.3"},                                             // embedded data: its own test split
            {"--dataset", "fashion-mnist", "--labels", y.toString()},
            {"--data", csv.toString(), "--labels", y.toString()},
            {"--data", csv.toString(), "--test-labels", y.toString()},
            {"--data", x.toString(), "--labels", y.toString(), "--label-column", "first"},
            {"--data", idx.toString(), "--test-fraction", "0.1"},
            {"--data", csv.toString(), "--test-data", csv.toString(), "--test-fraction", "0.1"},
            {"--data", x.toString(), "--labels", y.toString(), "--test-labels", y.toString()},   // no --test-data to label
        };
        String[] named = {"--test-fraction", "--labels", "--labels", "--test-labels", "--label-column", "--test-fraction", "--test-fraction",
                "--test-labels"};
        for (int i = 0; i < ignored.length; i++) {
            Run r = run(set(ignored[i]));
            assertThat(r.code()).as(String.join(" ", ignored[i])).isEqualTo(2);
            assertThat(r.err()).as(String.join(" ", ignored[i])).startsWith("dst4j set: " + named[i] + " ").doesNotContain("\tat ");
        }
    }

    @Test
    void anEmptyPathIsAUsageErrorNamingTheOption() throws Exception {
        Path csv = csv("good.csv", 40, 0, 1);
        for (String option : new String[] {"--data", "--test-data", "--labels", "--test-labels"}) {
            String value = option.equals("--data") ? "" : " ";
            Run r = run(option.equals("--data") ? set("--data", value) : set("--data", csv.toString(), option, value));
            assertThat(r.code()).as(option).isEqualTo(2);
            assertThat(r.err()).as(option).isEqualTo("dst4j set: " + option + ": expected a file or directory, got '" + value + "'\n");
        }
    }
}
