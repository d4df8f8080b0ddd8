package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import org.dst4j.algorithms.set.ScaleBenchmark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptionsTest {

    private static Options options() {
        return new Options("demo", "a demo command")
                .option("epochs", "10", "epochs to train")
                .option("hidden", "1000,1000", "hidden sizes")
                .option("lr", "0.01", "learning rate")
                .option("out", null, "output directory")
                .option("activation", "relu", "relu|allrelu")
                .flag("fresh", "ignore checkpoints");
    }

    @Test
    void parsesValuesDefaultsAndFlags() throws Exception {
        Options o = options();
        assertThat(o.parse(new String[] {"--epochs", "3", "--lr=0.5", "--fresh"})).isTrue();
        assertThat(o.integer("epochs", 0, 100)).isEqualTo(3);
        assertThat(o.number("lr", 0, 1)).isEqualTo(0.5);
        assertThat(o.integers("hidden", 1, 10_000)).containsExactly(1000, 1000);
        assertThat(o.flag("fresh")).isTrue();
        assertThat(o.path("out")).isNull();
        assertThat(o.choice("activation", "relu", "allrelu")).isEqualTo("relu");
    }

    @Test
    void everyMistakeNamesTheOption() throws Exception {
        assertThatThrownBy(() -> options().parse(new String[] {"--epoch", "3"})).hasMessage("unknown option --epoch (see --help)");
        assertThatThrownBy(() -> options().parse(new String[] {"--epochs"})).hasMessage("--epochs needs a value");
        assertThatThrownBy(() -> options().parse(new String[] {"epochs"})).hasMessageContaining("unexpected argument 'epochs'");
        assertThatThrownBy(() -> options().parse(new String[] {"--epochs", "1", "--epochs", "2"})).hasMessage("--epochs given twice");
        Options o = options();
        o.parse(new String[] {"--epochs", "ten", "--lr", "-1", "--hidden", "10,x", "--activation", "gelu"});
        assertThatThrownBy(() -> o.integer("epochs", 0, 100)).hasMessage("--epochs: expected a whole number, got 'ten'");
        assertThatThrownBy(() -> o.number("lr", 0, 1)).hasMessage("--lr: expected a number in [0.0, 1.0], got -1");
        assertThatThrownBy(() -> o.integers("hidden", 1, 100)).hasMessageContaining("--hidden: expected comma-separated whole numbers");
        assertThatThrownBy(() -> o.choice("activation", "relu", "allrelu")).hasMessage("--activation: expected one of relu|allrelu, got 'gelu'");
    }

    @Test
    void aWholeNumberTooLargeForItsTypeIsOutOfRangeNotMalformed() throws Exception {
        Options o = options();
        o.parse(new String[] {"--epochs", "99999999999", "--hidden", "10,99999999999", "--out", "-99999999999999999999"});
        assertThatThrownBy(() -> o.integer("epochs", 0, 100)).hasMessage("--epochs: expected a whole number in [0, 100], got 99999999999");
        assertThatThrownBy(() -> o.integers("hidden", 1, 100)).hasMessage("--hidden: each value must be in [1, 100], got 99999999999");
        assertThatThrownBy(() -> o.longValue("out"))
                .hasMessage("--out: expected a whole number in [-9223372036854775808, 9223372036854775807], got -99999999999999999999");
    }

    @Test
    void anEmptyPathIsRefusedRatherThanMeaningTheWorkingDirectory() throws Exception {
        Options o = options();
        o.parse(new String[] {"--out", ""});
        assertThatThrownBy(() -> o.path("out")).isInstanceOf(UsageException.class).hasMessage("--out: expected a path, got an empty string");
        // Blank too: --out " " would make a directory named by a space, --model " " be "checkpoint  : no such file".
        Options blank = options();
        blank.parse(new String[] {"--out", " "});
        assertThatThrownBy(() -> blank.path("out")).isInstanceOf(UsageException.class).hasMessage("--out: expected a path, got ' '");
    }

    @Test
    void anEmptyListIsRefused() throws Exception {
        Options o = options();
        o.parse(new String[] {"--hidden", " "});
        assertThatThrownBy(() -> o.integers("hidden", 1, 100)).isInstanceOf(UsageException.class)
                .hasMessage("--hidden: expected comma-separated whole numbers, got an empty list");
    }

    @Test
    void anOptionIsNeverTakenAsTheValueOfThePreviousOne() throws Exception {
        assertThatThrownBy(() -> options().parse(new String[] {"--out", "--fresh"})).isInstanceOf(UsageException.class)
                .hasMessage("--out needs a value, got option --fresh");
        assertThatThrownBy(() -> options().parse(new String[] {"--epochs", "--lr", "1"})).hasMessage("--epochs needs a value, got option --lr");
        assertThatThrownBy(() -> options().parse(new String[] {"--out", "--lr=1"})).hasMessage("--out needs a value, got option --lr=1");
        assertThatThrownBy(() -> options().parse(new String[] {"--out", "--help"})).hasMessage("--out needs a value, got option --help");
        Options o = options();
        o.parse(new String[] {"--lr", "-0.5", "--epochs", "-1", "--out", "--not-an-option"});
        assertThat(o.number("lr", -1, 1)).isEqualTo(-0.5);
        assertThat(o.integer("epochs", -1, 1)).isEqualTo(-1);
        assertThat(o.string("out")).isEqualTo("--not-an-option");
    }

    @Test
    void numbersAreWrittenAsPeopleWriteThemAndListsHaveNoEmptyItems() throws Exception {
        for (String odd : new String[] {"1d", "2f", "0x1p3", "NaN", "Infinity"}) {
            Options o = options();
            o.parse(new String[] {"--lr", odd});
            assertThatThrownBy(() -> o.number("lr", 0, Double.MAX_VALUE)).as(odd).isInstanceOf(UsageException.class)
                    .hasMessage("--lr: expected a number, got '" + odd + "'");
        }
        Options ok = options();
        ok.parse(new String[] {"--lr", ".5e-1"});
        assertThat(ok.number("lr", 0, 1)).isEqualTo(0.05);
        for (String list : new String[] {"8,", ",8", "8,,8"}) {
            Options o = options();
            o.parse(new String[] {"--hidden", list});
            assertThatThrownBy(() -> o.integers("hidden", 1, 100)).as(list).isInstanceOf(UsageException.class)
                    .hasMessage("--hidden: expected comma-separated whole numbers, got '" + list + "'");
        }
    }

    @Test
    void benchSizesTakeTheSameNumbersAndListsAsTheOtherOptions() throws Exception {
        assertThat(BenchCommand.parseSizes("1000x2@13,500@2.5")).hasSize(2);
        for (String bad : new String[] {"1000@13,", "1000@1d", "1000@0x1p3", "1000@Infinity"}) {
            assertThatThrownBy(() -> BenchCommand.parseSizes(bad)).as(bad).isInstanceOf(UsageException.class).hasMessageStartingWith("--sizes: '");
        }
    }

    // The edges of --sizes are sizes: one neuron wide, one layer or a hundred; the table names each as it was given.
    @Test
    void benchSizesAcceptTheirEdgesAndAreNamedAsGiven() throws Exception {
        var sizes = BenchCommand.parseSizes("1@2,5x1@3,5x100@4,1000x3@20,500@2.5");
        assertThat(sizes.stream().map(z -> z.hidden().length).toList()).containsExactly(1, 1, 100, 3, 1);
        assertThat(sizes.stream().map(BenchCommand::describe).toList()).containsExactly("1@2", "5@3", "5x100@4", "1000x3@20", "500@2.5");
        assertThatThrownBy(() -> BenchCommand.parseSizes("5x101@2")).isInstanceOf(UsageException.class).hasMessageStartingWith("--sizes: '5x101@2'");
        assertThat(BenchCommand.describe(new ScaleBenchmark.Size(new int[] {10, 20}, 13))).isEqualTo("[10, 20]@13");
        // A whole epsilon past the range of a long is not named by the largest long (20@9223372036854775807).
        assertThat(BenchCommand.parseSizes("20@1e300").stream().map(BenchCommand::describe).toList()).containsExactly("20@1.0E300");
    }

    @Test
    void benchLungComparesWithTheReferenceOnlyAtTheWorkloadItsMinutesWereMeasuredOn() throws Exception {
        // bench lung's defaults: the reference's Lung table.
        var table = new ScaleBenchmark.Settings(3312, 100, 5, 0.5f, 200, 100, 2, 0.01f, 0.9f, 2e-4f, 0.3, true, 42, 1);
        var small = BenchCommand.parseSizes("3000x3@20").get(0);
        assertThat(BenchCommand.lungReferenceMinutes(table, small)).isEqualTo(0.3);
        assertThat(BenchCommand.lungReferenceMinutes(table, BenchCommand.parseSizes("600000x3@20").get(0))).isEqualTo(112);
        // A tenth of the samples would make an epoch ten times shorter and the speed-up ten times larger.
        var fewer = new ScaleBenchmark.Settings(3312, 100, 5, 0.5f, 20, 10, 2, 0.01f, 0.9f, 2e-4f, 0.3, true, 42, 1);
        assertThat(BenchCommand.lungReferenceMinutes(fewer, small)).isNaN();
        var widerBatch = new ScaleBenchmark.Settings(3312, 100, 5, 0.5f, 200, 100, 32, 0.01f, 0.9f, 2e-4f, 0.3, true, 42, 1);
        assertThat(BenchCommand.lungReferenceMinutes(widerBatch, small)).isNaN();
        assertThat(BenchCommand.lungReferenceMinutes(table, BenchCommand.parseSizes("3000x3@100").get(0))).as("another epsilon").isNaN();
        assertThat(BenchCommand.lungReferenceMinutes(table, BenchCommand.parseSizes("3000x2@20").get(0))).isNaN();
        assertThat(BenchCommand.lungReferenceMinutes(table, BenchCommand.parseSizes("4000x3@20").get(0))).isNaN();
    }

    @Test
    void benchKernelsPrintsSmallFiguresToThreeDigitsNotAsZero() {
        Locale before = Locale.getDefault(Locale.Category.FORMAT);
        Locale.setDefault(Locale.Category.FORMAT, Locale.ROOT); // as Main sets it
        try {
            assertThat(BenchCommand.gflops(34.44)).isEqualTo("34.4");
            assertThat(BenchCommand.gflops(115.06)).isEqualTo("115.1");
            assertThat(BenchCommand.gflops(9.876)).isEqualTo("9.88");
            assertThat(BenchCommand.gflops(0.012345)).isEqualTo("0.0123");
            assertThat(BenchCommand.gflops(0)).isEqualTo("0.0");
        } finally {
            Locale.setDefault(Locale.Category.FORMAT, before);
        }
    }

    // A range's own ends are in it; a long is read as given; the help shows a default, VALUE where there is none and
    // nothing after a flag; an option the command never declared is a programming error, not a user's.
    @Test
    void rangesIncludeTheirEndsLongsAreReadAndTheHelpShowsDefaults() throws Exception {
        Options o = options().option("seed", "42", "seed");
        assertThat(o.parse(new String[] {"--epochs", "1", "--seed", "-9007199254740993"})).isTrue();
        assertThat(o.integer("epochs", 1, 1)).isEqualTo(1);
        assertThat(o.longValue("seed")).isEqualTo(-9007199254740993L);
        assertThat(options().longValue("epochs")).isEqualTo(10);
        assertThat(o.help()).startsWith("usage: dst4j demo [options]\na demo command\n\noptions:\n")
                .contains(String.format("%-34s %s", "  --epochs 10", "epochs to train"))
                .contains(String.format("%-34s %s", "  --out VALUE", "output directory"))
                .endsWith(String.format("%-34s %s", "  --seed 42", "seed")).contains(String.format("%-34s %s", "  --fresh", "ignore checkpoints"));
        assertThatThrownBy(() -> o.string("undeclared")).isInstanceOf(IllegalStateException.class).hasMessage("option --undeclared not declared for demo");
        assertThatThrownBy(() -> o.flag("undeclared")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aRefusedOptionIsLeftOutOfTheHelpAndNamedWithItsReasonWhenGiven() throws Exception {
        Options o = options().flag("fast", "go fast").refuse("fast", "does not apply here");
        assertThat(o.help()).doesNotContain("--fast");
        assertThatThrownBy(() -> o.parse(new String[] {"--fast"})).isInstanceOf(UsageException.class).hasMessage("--fast does not apply here");
        assertThat(options().refuse("fast", "x").parse(new String[] {"--lr", "1"})).isTrue();
    }

    // predict refuses --no-standardize, which the other data commands take: its help does not list it.
    @Test
    void predictsHelpDoesNotListTheOptionItRefuses() {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream(), errBuf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(errBuf, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(new String[] {"predict", "--help"})).isZero();
            assertThat(Main.run(new String[] {"predict", "--model", "m.dst4j", "--no-standardize"})).isEqualTo(2);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("--model", "--limit-test").doesNotContain("--no-standardize");
        assertThat(errBuf.toString(StandardCharsets.UTF_8))
                .isEqualTo("dst4j predict: --no-standardize does not apply to predict: the model standardizes its input as it was trained\n");
    }

    @Test
    void unknownCommandAndBadArgumentsExitWithTwo() {
        assertThat(Main.run(new String[] {"frobnicate"})).isEqualTo(2);
        assertThat(Main.run(new String[] {"info", "extra"})).isEqualTo(2);
        assertThat(Main.run(new String[] {"info"})).isZero();
        assertThat(Main.run(new String[] {"info", "-h"})).as("-h is --help, as for every other command").isZero();
        assertThat(Main.run(new String[] {"bench"})).as("bench without scale|lung").isEqualTo(2);
        assertThat(Main.run(new String[] {"bench", "--help"})).isZero();
    }

    @Test
    void fileProblemsAreOneLineNamingThePathNotAStackTrace(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(new String[] {"set", "--epochs", "1", "--limit-train", "64", "--limit-test", "32",
                    "--out", file.resolve("run").toString()});
        } finally {
            System.setErr(err);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        // An --out that cannot be created is found before the data loads: a usage error naming both paths.
        assertThat(code).isEqualTo(2);
        assertThat(printed).contains("dst4j set: --out " + file.resolve("run") + ": cannot be created, " + file + " is a file")
                .doesNotContain("\tat ", "Exception");
        assertThat(Main.describe(new NoSuchFileException("/a/b"))).isEqualTo("/a/b: no such file or directory");
        assertThat(Main.describe(new AccessDeniedException("/a", "/b", null))).isEqualTo("/a -> /b: permission denied");
        assertThat(Main.describe(new IOException("disk full"))).isEqualTo("disk full");
    }

    // In the C locale the JVM decodes arguments as ASCII: 'ü' arrives as U+FFFD U+FFFD, and --out ü-out would write '??-out'.
    @Test
    void aValueTheLocaleCouldNotDecodeIsRefusedNamingTheOption() {
        assertThatThrownBy(() -> options().parse(new String[] {"--out", "\uFFFD\uFFFD-out"}))
                .isInstanceOf(UsageException.class).hasMessageStartingWith("--out '\uFFFD\uFFFD-out': ");
        assertThatThrownBy(() -> options().parse(new String[] {"--out=r\uFFFDn"})).isInstanceOf(UsageException.class)
                .hasMessageStartingWith("--out 'r\uFFFDn': ");
        assertThatThrownBy(() -> Options.undecodable("data", "\uFFFD", "ANSI_X3.4-1968"))
                .hasMessageContaining("locale's charset (ANSI_X3.4-1968) cannot decode").hasMessageContaining("LC_ALL=C.UTF-8");
        assertThatThrownBy(() -> Options.undecodable("data", "\uFFFD", "UTF-8")).hasMessageContaining("not UTF-8");
    }

    // 'java -jar' in the C locale started in a directory named with a 'ü': user.dir holds U+FFFD, and '--out r' would write the
    // run into a new directory '...??/r', exit code 0, saying "wrote r/model.dst4j".
    @Test
    void aRelativePathInAWorkingDirectoryTheLocaleCouldNotDecodeIsRefused() throws Exception {
        String dir = System.getProperty("user.dir");
        System.setProperty("user.dir", "/tmp/cwd-\uFFFD\uFFFD");
        try {
            Options o = options();
            o.parse(new String[] {"--out", "r"});
            assertThatThrownBy(() -> o.path("out")).isInstanceOf(UsageException.class)
                    .hasMessageStartingWith("--out r: a relative path, and the working directory '/tmp/cwd-\uFFFD\uFFFD' ");
            Options absolute = options();
            absolute.parse(new String[] {"--out", "/tmp/r"});
            assertThat(absolute.path("out")).isEqualTo(Path.of("/tmp/r"));
        } finally {
            System.setProperty("user.dir", dir);
        }
    }

    // '--out=~/runs/a': the shell leaves that '~' alone, and a directory named '~' would appear in the working directory.
    @Test
    void aLeadingTildeIsTheHomeDirectory() throws Exception {
        Options o = options();
        o.parse(new String[] {"--out=~/runs/a"});
        assertThat(o.path("out")).isEqualTo(Path.of(System.getProperty("user.home"), "runs", "a"));
        Options home = options();
        home.parse(new String[] {"--out", "~"});
        assertThat(home.path("out")).isEqualTo(Path.of(System.getProperty("user.home")));
        Options other = options();
        other.parse(new String[] {"--out", "~x/y"});
        assertThat(other.path("out")).isEqualTo(Path.of("~x/y"));
    }
}
