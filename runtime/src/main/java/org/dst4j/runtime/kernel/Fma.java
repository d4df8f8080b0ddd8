package org.dst4j.runtime.kernel;

/**
 * The scalar kernels' fused multiply-add, {@code a * b + c} rounded once: {@link Math#fma(float, float, float)}'s
 * bits, which the SIMD kernels' FMA also gives.
 *
 * <p>{@code Math.fma} is one instruction only where the JVM uses the CPU's FMA ({@code -XX:+UseFMA}: x86 with FMA3,
 * every aarch64). Elsewhere (an x86 without AVX, such as Atom and older Celeron or Pentium parts, or a JVM started with
 * {@code -XX:-UseFMA}) the JDK computes it with {@code BigDecimal}: a single-sample prediction of a 784-100-10 model
 * took 20-27 ms and allocated 37-41 MB, on the scalar and SIMD kernels alike, against 0.02-0.09 ms with the
 * instruction. There {@link #exact} computes the same bits in double arithmetic instead, and {@link KernelProvider}
 * chooses the scalar kernels (the Vector API's FMA has the same slow fallback).
 */
final class Fma {
    /** Whether {@code Math.fma} runs as an instruction in this JVM. Only speed depends on it, never bits. */
    static final boolean HARDWARE = probe();

    private static volatile float sink;

    private Fma() {}

    /** {@code a * b + c} with one rounding. */
    static float fma(float a, float b, float c) {
        return HARDWARE ? Math.fma(a, b, c) : exact(a, b, c);
    }

    /**
     * {@code Math.fma(a, b, c)}'s bits without an FMA instruction: the product of two floats is exact in a double;
     * its sum with {@code c} is rounded to odd (truncated, and its last bit set when it is inexact), and a double rounded to odd then rounds to the float nearest the exact value, as 53 bits
     * are more than 24 + 1 (Boldo and Melquiond, "When double rounding is odd", 2005). No double here can overflow
     * or be subnormal: |a * b| <= 2^256 and a non-zero exact sum is a multiple of 2^-298.
     */
    static float exact(float a, float b, float c) {
        double p = (double) a * b;
        double s = p + c;
        if (!Double.isFinite(s)) return Math.fma(a, b, c); // an infinite or NaN operand: the JDK's cheap path
        double bv = s - p;
        double err = (p - (s - bv)) + (c - bv); // s + err == p + c exactly (Knuth's two-sum)
        if (err != 0) {
            // rounded to odd: s truncated towards zero (one ulp less in magnitude when s is beyond the exact sum, that
            // is when err's sign is not s's), then its last bit set
            long bits = Double.doubleToRawLongBits(s);
            s = Double.longBitsToDouble((bits + ((bits ^ Double.doubleToRawLongBits(err)) >> 63)) | 1);
        }
        return (float) s;
    }

    // Times a few calls of each, interpreted (this runs once, in the class's initializer): with the instruction
    // Math.fma took 0.2x exact()'s time on x86, without it 94-250x (BigDecimal), whether interpreted or compiled.
    private static boolean probe() {
        float acc = 0f;
        long hw = Long.MAX_VALUE, sw = Long.MAX_VALUE;
        for (int r = 0; r < 3; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 16; i++) acc = exact(1.0000001f + i, 0.9999999f, acc);
            long t1 = System.nanoTime();
            for (int i = 0; i < 16; i++) acc = Math.fma(1.0000001f + i, 0.9999999f, acc);
            long t2 = System.nanoTime();
            sw = Math.min(sw, t1 - t0);
            hw = Math.min(hw, t2 - t1);
        }
        sink = acc;
        return hw < 8 * Math.max(sw, 1);
    }
}
