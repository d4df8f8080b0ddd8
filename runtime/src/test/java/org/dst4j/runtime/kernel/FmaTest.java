package org.dst4j.runtime.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.random.RandomStream;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.Test;

/**
 * Without an FMA instruction the JDK computes Math.fma with BigDecimal, and every kernel ran hundreds of times slower,
 * allocating megabytes per call (a CPU without FMA, such as an Atom, or -XX:-UseFMA): the scalar kernels now use
 * {@link Fma#exact} there, with the same bits, and the SIMD kernels are not chosen.
 */
class FmaTest {

    private static void same(float a, float b, float c) {
        float want = Math.fma(a, b, c), got = Fma.exact(a, b, c);
        assertThat(Float.floatToRawIntBits(got)).as("fma(%s, %s, %s): %s, expected %s", a, b, c, got, want)
                .isEqualTo(Float.floatToRawIntBits(want));
    }

    @Test
    void exactHasMathFmasBitsOnRandomTiesZerosSubnormalsAndOverflow() {
        float[] special = {0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 0x1p-75f, 0x1p-100f,
            Float.MAX_VALUE, -Float.MAX_VALUE, 0x1.fffffep63f, 1.0000001f, 0.99999994f, 3f, 0x1.000002p0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        for (float a : special) for (float b : special) for (float c : special) same(a, b, c);
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < 300_000; i++) {
            float a = Float.intBitsToFloat(rnd.nextInt()), b = Float.intBitsToFloat(rnd.nextInt());
            same(a, b, Float.intBitsToFloat(rnd.nextInt()));
            // c near -a*b: cancellation, and exact products a ulp or half an ulp from a float (the ties that rounding
            // a double sum to float twice gets wrong)
            float p = a * b;
            same(a, b, -p);
            same(a, b, Math.nextUp(-p));
            float x = (float) rnd.nextGaussian(), y = (float) rnd.nextGaussian(), z = (float) rnd.nextGaussian();
            same(x, y, z);
            same(x, y, -(x * y));
            same(x, 0x1p-24f * y, z);
            same(x, y, 0x1p-30f * z);
            same(1f + 0x1p-23f * (rnd.nextInt(1 << 12)), 1f + 0x1p-23f * (rnd.nextInt(1 << 12)), 0x1p-23f * (rnd.nextInt(1 << 8) - 128));
        }
    }

    // In a JVM without FMA (-XX:-UseFMA, what a CPU without the instruction gives): the SIMD kernels are not chosen,
    // with one warning, and the scalar ones allocate nothing per call (BigDecimal did, megabytes per call).
    @Test
    void aJvmWithoutFmaGetsTheScalarKernelsWithOneWarningAndNoBigDecimal() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-XX:-UseFMA", "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                NoFma.class.getName()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(err.lines().filter(l -> l.startsWith("WARNING: dst4j"))).containsExactly(KernelProvider.NO_FMA_WARNING);
        assertThat(out).contains("kernels scalar").contains("hardware fma false");
        long perCall = Long.parseLong(out.replaceAll("(?s).*allocated per call (\\d+).*", "$1"));
        assertThat(perCall).as(out).isLessThan(1024);
    }

    /** Run in the child JVM of {@link #aJvmWithoutFmaGetsTheScalarKernelsWithOneWarningAndNoBigDecimal}. */
    public static final class NoFma {
        public static void main(String[] args) {
            Kernels k = KernelProvider.get();
            System.out.println("kernels " + k.name() + ", hardware fma " + Fma.HARDWARE);
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            RandomStream rnd = new RandomStream(1);
            try (CsrMatrix w = Fixtures.randomCsr(rnd, 16, 32, 0.3); DenseMatrix x = Fixtures.randomDense(rnd, 32, 16);
                 DenseMatrix y = DenseMatrix.allocate(16, 16); DenseMatrix dx = DenseMatrix.allocate(32, 16); Arena arena = Arena.ofConfined()) {
                MemorySegment grad = arena.allocate(w.nnz() * 4 + 4);
                long before = 0;
                int calls = 200;
                for (int i = 0; i < 2 * calls; i++) {
                    if (i == calls) before = threads.getCurrentThreadAllocatedBytes();
                    k.csrForward(w, x, null, y, 0, 16);
                    k.csrTransposed(w, y, dx, 0, 32);
                    k.sddmm(w, y, x, 1f, grad, 0, 16);
                }
                System.out.println("allocated per call " + (threads.getCurrentThreadAllocatedBytes() - before) / calls);
            }
        }
    }
}
