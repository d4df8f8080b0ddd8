package org.dst4j.runtime.kernel;

import java.io.PrintStream;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Constructor;

/**
 * Chooses the kernel backend once per JVM: the Panama SIMD kernels when {@code jdk.incubator.vector}
 * is readable and the JVM has an FMA instruction, the scalar ones otherwise (with one warning saying why).
 *
 * <p>System properties: {@code dst4j.kernels=scalar} forces the scalar backend ({@code auto}, the default, and
 * {@code panama} choose as above; another value is a warning);
 * {@code dst4j.vectorBits=128|256|512} fixes the SIMD width for the whole JVM (to test the kernels as a
 * 128-bit NEON or 256-bit AVX2 machine runs them).
 */
public final class KernelProvider {
    private static final String PANAMA_CLASS = "org.dst4j.runtime.kernel.PanamaKernels";

    // Chosen on first use, not when the class loads: asking whether the module is present must not
    // print the fallback warning.
    private static final class Chosen {
        static final Kernels INSTANCE = choose();
    }

    private KernelProvider() {}

    /** The kernels chosen once per JVM, on the first call. */
    public static Kernels get() {
        return Chosen.INSTANCE;
    }

    /** The portable scalar kernels. */
    public static Kernels scalar() {
        return new ScalarKernels();
    }

    /** Whether the Vector API module is readable in this JVM. */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * Whether this Java runtime holds {@code jdk.incubator.vector} at all, resolved or not: a runtime built with
     * {@code jlink} may not, and then {@code --add-modules} cannot help.
     */
    public static boolean vectorModuleInRuntime() {
        return ModuleFinder.ofSystem().find("jdk.incubator.vector").isPresent();
    }

    // -Ddst4j.kernels: scalar forces the scalar backend; panama or auto (or nothing) chooses as usual;
    // anything else is one warning, then the usual choice (it was silently ignored).
    static boolean forcedScalar(String v, PrintStream warn) {
        if (v == null || v.isBlank() || v.equalsIgnoreCase("auto") || v.equalsIgnoreCase("panama")) return false;
        if (v.equalsIgnoreCase("scalar")) return true;
        warn.println("WARNING: -Ddst4j.kernels=" + v + " is not scalar, panama or auto; choosing the backend as usual");
        return false;
    }

    /**
     * The SIMD kernels, at the platform's preferred width or the one set by {@code -Ddst4j.vectorBits}.
     *
     * @throws UnsupportedOperationException when the incubator module is not readable
     */
    public static Kernels panama() {
        if (!vectorModulePresent()) {
            throw new UnsupportedOperationException("jdk.incubator.vector is not available: start the JVM with --add-modules jdk.incubator.vector");
        }
        try {
            Constructor<?> ctor = Class.forName(PANAMA_CLASS).getDeclaredConstructor();
            return (Kernels) ctor.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load " + PANAMA_CLASS, e);
        }
    }

    private static Kernels choose() {
        if (forcedScalar(System.getProperty("dst4j.kernels"), System.err)) return scalar();
        if (!vectorModulePresent()) {
            System.err.println(vectorModuleInRuntime()
                    ? "WARNING: dst4j uses scalar kernels (slow): jdk.incubator.vector is not available; start java with --add-modules jdk.incubator.vector"
                    : "WARNING: dst4j uses scalar kernels (slow): this Java runtime has no jdk.incubator.vector module (a jlink image needs --add-modules jdk.incubator.vector)");
            return scalar();
        }
        if (!Fma.HARDWARE) {
            System.err.println(NO_FMA_WARNING);
            return scalar();
        }
        return panama();
    }

    // The Vector API's FMA falls back to Math.fma per lane, and that to BigDecimal (see Fma): a single-sample
    // prediction took 20-27 ms on the SIMD kernels against 0.08-0.10 ms scalar (docs/api.md, "On a small device").
    static final String NO_FMA_WARNING = "WARNING: dst4j uses scalar kernels: this JVM has no FMA instruction (a CPU"
            + " without FMA, or -XX:-UseFMA), which the SIMD kernels would emulate far slower";
}
