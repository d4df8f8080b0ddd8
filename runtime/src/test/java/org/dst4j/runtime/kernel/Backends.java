package org.dst4j.runtime.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * The backends a test covers in this JVM: scalar and Panama. The Panama width is fixed per JVM, so the
 * build runs the kernel tests again in JVMs with {@code -Ddst4j.vectorBits=128}, 256 and 512.
 */
final class Backends {
    private Backends() {}

    static List<Kernels> all() {
        List<Kernels> list = new ArrayList<>();
        list.add(KernelProvider.scalar());
        list.add(KernelProvider.panama());
        return list;
    }

    static String label(Kernels k) {
        return k.name() + "/" + k.floatLanes();
    }
}
