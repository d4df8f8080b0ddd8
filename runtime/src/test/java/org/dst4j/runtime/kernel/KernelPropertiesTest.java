package org.dst4j.runtime.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A bad -Ddst4j.vectorBits or -Ddst4j.kernels is one warning, never a crash (vectorBits=100 was an ExceptionInInitializerError). */
class KernelPropertiesTest {

    @Test
    void vectorBitsTakesTheThreeWidthsAndWarnsOnAnythingElse() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream warn = new PrintStream(buf, true, StandardCharsets.UTF_8);
        assertThat(PanamaKernels.vectorBits(null, warn)).isZero();
        assertThat(PanamaKernels.vectorBits("", warn)).isZero();
        assertThat(PanamaKernels.vectorBits("128", warn)).isEqualTo(128);
        assertThat(PanamaKernels.vectorBits(" 256 ", warn)).isEqualTo(256);
        assertThat(PanamaKernels.vectorBits("512", warn)).isEqualTo(512);
        assertThat(buf.size()).isZero();
        for (String bad : new String[] {"100", "1024", "64", "wide"}) {
            buf.reset();
            assertThat(PanamaKernels.vectorBits(bad, warn)).isZero();
            assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo("WARNING: -Ddst4j.vectorBits=" + bad
                    + " is not 128, 256 or 512; using the machine's preferred width" + System.lineSeparator());
        }
    }

    // A width the hardware does not hold ran emulated, many times slower than scalar, with no word said
    // (512 bits forced on AVX2; a JVM whose vectors are 64 bits, which the kernels round up to 128).
    @Test
    void aWidthWiderThanTheHardwaresIsOneWarningNamingTheWayOut() {
        assertThat(PanamaKernels.emulatedWarning(512, 512, 256)).isEqualTo("WARNING: -Ddst4j.vectorBits=512 is wider than"
                + " this machine's 256-bit vectors: the Vector API emulates them, far slower than the scalar kernels (meant for tests)");
        assertThat(PanamaKernels.emulatedWarning(0, 128, 64)).startsWith("WARNING: this JVM's vectors are 64 bits, narrower than the 128")
                .endsWith("start java with -Ddst4j.kernels=scalar");
        assertThat(PanamaKernels.emulatedWarning(128, 128, 64)).contains("-Ddst4j.vectorBits=128 is wider than this machine's 64-bit");
        assertThat(PanamaKernels.emulatedWarning(128, 128, 256)).isNull();
        assertThat(PanamaKernels.emulatedWarning(0, 256, 256)).isNull();
        assertThat(PanamaKernels.emulatedWarning(0, 512, 2048)).isNull();
    }

    @Test
    void kernelsForcesScalarOnlyWhenAskedAndWarnsOnUnknownValues() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream warn = new PrintStream(buf, true, StandardCharsets.UTF_8);
        assertThat(KernelProvider.forcedScalar("scalar", warn)).isTrue();
        assertThat(KernelProvider.forcedScalar("SCALAR", warn)).isTrue();
        for (String v : new String[] {null, "", "auto", "panama"}) assertThat(KernelProvider.forcedScalar(v, warn)).isFalse();
        assertThat(buf.size()).isZero();
        assertThat(KernelProvider.forcedScalar("foo", warn)).isFalse();
        assertThat(buf.toString(StandardCharsets.UTF_8)).startsWith("WARNING: -Ddst4j.kernels=foo is not scalar, panama or auto");
    }
}
