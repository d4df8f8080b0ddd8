package org.dst4j.algorithms.cli;

import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.Kernels;
import org.dst4j.runtime.memory.OffHeap;

final class InfoCommand implements Command {
    @Override public String summary() { return "print the version, kernel backend, SIMD width, threads, JDK, vector API and off-heap limit"; }

    @Override
    public int run(String[] args) throws UsageException {
        if (args.length > 0) {
            if (args[0].equals("--help") || args[0].equals("-h")) {
                System.out.println("usage: dst4j info");
                return 0;
            }
            throw new UsageException("takes no arguments, got '" + args[0] + "'");
        }
        Kernels k = KernelProvider.get();
        System.out.println("dst4j " + Version.get());
        System.out.println("backend:     " + k.name());
        System.out.println("simd lanes:  " + k.floatLanes() + " floats (" + 32 * k.floatLanes() + " bits)");
        System.out.println("threads:     " + Runtime.getRuntime().availableProcessors() + " (default for --threads)");
        System.out.println("jdk:         " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        System.out.println("vector api:  " + (KernelProvider.vectorModulePresent() ? "jdk.incubator.vector present"
                : KernelProvider.vectorModuleInRuntime() ? "not enabled (start java with --add-modules jdk.incubator.vector)"
                : "absent from this Java runtime"));
        long limit = OffHeap.limit();
        System.out.println("off-heap:    " + (limit == Long.MAX_VALUE ? "no limit (-Ddst4j.maxOffHeap=SIZE sets one)"
                : "limited to " + OffHeap.size(limit) + " (-Ddst4j.maxOffHeap)"));
        return 0;
    }
}
