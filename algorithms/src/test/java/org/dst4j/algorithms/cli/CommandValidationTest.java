package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Bad command lines are refused in one line with exit code 2 before any data is trained on. Every case
 * here fails while the options are checked, or on a tiny CSV, so none trains on Fashion-MNIST.
 */
class CommandValidationTest {

    record Outcome(int code, String err) {}

    static Outcome run(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setErr(err);
        }
        return new Outcome(code, buf.toString(StandardCharsets.UTF_8).strip());
    }

    static void assertUsageError(Outcome o, String message) {
        assertThat(o.code()).as(o.err()).isEqualTo(2);
        assertThat(o.err()).isEqualTo(message).doesNotContain("\n");
    }

    @Test
    void enumeratedAndRangedOptionsSayTheSameWhateverTheBadValue() {
        assertUsageError(run("quickselection", "--output", "sigmoid"), "dst4j quickselection: --output: expected one of linear|tanh, got 'sigmoid'");
        String share = "dst4j neurotrails: --backbone-share: expected erk, single or a number strictly between 0 and 1, got ";
        for (String v : new String[] {"NaN", "1", "0", "-0.5", "2", "half"}) assertUsageError(run("neurotrails", "--backbone-share", v), share + v);
    }
}
