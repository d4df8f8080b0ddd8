package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    static Options set(String... args) throws UsageException {
        Options o = SetCommand.options("set", "test");
        o.parse(args);
        return o;
    }

    @Test
    void aLearningRateScheduleMustHaveItsDocumentedFormAndSaneRanges() throws Exception {
        for (String bad : new String[] {"step:1:-1", "step:1:0", "step:2:1.5", "step:1:NaN", "step:0:0.5", "step:5", "step", "step:5:", "step:5:0.5:1",
                "cosine:5", "cosine:-1", "cosine:NaN", "cosine:Infinity", "cosine:", "cosine:0:0", "constant:junk", "constant:", "wat", ""}) {
            Options o = set("--schedule", bad);
            assertThatThrownBy(() -> SetCommand.config(o)).as(bad).isInstanceOf(UsageException.class)
                    .hasMessage("--schedule: expected constant, step:EVERY:GAMMA (EVERY >= 1 epochs, GAMMA in (0, 1]) or cosine[:MIN] "
                            + "(MIN in [0, 0.01], the --lr), got '" + bad + "'");
        }
        assertThatThrownBy(() -> SetCommand.config(set("--lr", "0.5", "--schedule", "cosine:0.6"))).hasMessageContaining("MIN in [0, 0.5], the --lr");
        for (String good : new String[] {"constant", "step:1:1", "step:3:0.5", "cosine", "cosine:0", "cosine:0.001", "cosine:0.01"}) {
            assertThat(SetCommand.config(set("--schedule", good)).schedule()).isEqualTo(good);
        }
    }

    @Test
    void aNormalInitNeedsAFiniteNonNegativeStd() throws Exception {
        for (String bad : new String[] {"normal:-1", "normal:-0.1", "normal:NaN", "normal:Infinity"}) {
            assertThatThrownBy(() -> SetCommand.config(set("--init", bad))).as(bad).isInstanceOf(UsageException.class)
                    .hasMessage("--init: expected normal:<std> with a finite std >= 0, got '" + bad + "'");
        }
        assertThat(SetCommand.config(set("--init", "normal:0.1")).init()).isEqualTo("normal:0.1");
        assertThat(SetCommand.config(set("--init", "normal:0")).init()).isEqualTo("normal:0");
    }
}
