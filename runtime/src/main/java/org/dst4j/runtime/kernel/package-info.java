/**
 * The numeric kernels on dense and CSR matrices: one interface with a scalar and a Panama SIMD backend,
 * chosen once per JVM by {@link org.dst4j.runtime.kernel.KernelProvider}, and
 * {@link org.dst4j.runtime.kernel.ParallelKernels}, which splits each operation over a worker pool. Both
 * backends are package-private and the SIMD one is loaded by name, so the package runs without the
 * incubator Vector module.
 */
package org.dst4j.runtime.kernel;
