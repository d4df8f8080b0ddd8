package org.dst4j.runtime.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Which backend {@link KernelProvider#get} chooses, once per JVM: the SIMD kernels when the Vector API is readable and
 * the JVM has FMA, the scalar ones when forced (the no-FMA JVM is {@link FmaTest}'s; the JVM without the module is the
 * CLI's TrimmedRuntimeTest's). Only speed depends on the choice, so nothing else fails when it goes wrong.
 */
class KernelProviderTest {

    @Test
    void aJvmWithTheVectorModuleAndFmaGetsTheSimdKernels() {
        assertThat(KernelProvider.vectorModulePresent()).isTrue();
        assertThat(KernelProvider.get().name()).isEqualTo(Fma.HARDWARE ? "panama" : "scalar");
        assertThat(KernelProvider.get()).isSameAs(KernelProvider.get());
    }

    @Test
    void dst4jKernelsScalarForcesTheScalarKernelsWithNoWarning() throws Exception {
        Child c = run("-Ddst4j.kernels=scalar", "--add-modules", "jdk.incubator.vector");
        assertThat(c.out()).contains("kernels scalar");
        assertThat(c.err().lines().filter(l -> l.startsWith("WARNING: dst4j"))).isEmpty();
    }

    private record Child(String out, String err) {}

    // FmaTest.NoFma's main, in a JVM with these flags: it prints the backend chosen.
    private static Child run(String... flags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FmaTest.NoFma.class.getName()));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        return new Child(out, err);
    }
}
