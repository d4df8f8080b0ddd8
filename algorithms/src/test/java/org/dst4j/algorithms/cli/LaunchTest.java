package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class LaunchTest {

    @Test
    void anOlderJavaIsToldWhatItNeedsAndJava25OnRuns() {
        assertThat(Launch.refusal("17", "/usr/lib/jvm/java-17")).startsWith("dst4j needs Java 25 or later; this java is 17 (/usr/lib/jvm/java-17)")
                .contains("./dst4j");
        assertThat(Launch.refusal("1.8", "/jre")).startsWith("dst4j needs Java 25 or later; this java is 1.8");
        assertThat(Launch.refusal("24", "/x")).isNotNull();
        assertThat(Launch.refusal("25", "/x")).isNull();
        assertThat(Launch.refusal("26", "/x")).isNull();
        assertThat(Launch.refusal("odd", "/x")).isNull();
    }

    // ./dst4j also runs 'test' and 'jmh' itself, and its usage lists them; java -jar, which does not run them, does
    // not.
    @Test
    void theLaunchersUsageListsTheCommandsItRunsItself() {
        assertThat(Main.usage(Main.commands())).doesNotContain("jmh");
        System.setProperty(Main.LAUNCHER, "true");
        try {
            assertThat(Main.usage(Main.commands())).contains("\n  test ", "\n  jmh ");
        } finally {
            System.clearProperty(Main.LAUNCHER);
        }
    }

    // Java 17 cannot load a class file of 25 (major 69) to say anything: the jar's entry point must stay loadable.
    @Test
    void theEntryPointIsAJava8ClassFile() throws Exception {
        try (InputStream in = Launch.class.getResourceAsStream("Launch.class"); DataInputStream d = new DataInputStream(in)) {
            assertThat(d.readInt()).isEqualTo(0xCAFEBABE);
            d.readUnsignedShort();
            assertThat(d.readUnsignedShort()).as("class file major version").isEqualTo(52);
        }
    }
}
