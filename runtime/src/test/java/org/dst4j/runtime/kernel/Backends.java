package org.dst4j.runtime.kernel;

import java.util.ArrayList;
import java.util.List;

/** Every backend a test should cover: scalar, and Panama at the preferred and at forced widths. */
final class Backends {
    private Backends() {}

    static List<Kernels> all() {
        List<Kernels> list = new ArrayList<>();
        list.add(KernelProvider.scalar());
        list.add(KernelProvider.panama(0));
        for (int bits : new int[] {128, 256, 512}) list.add(KernelProvider.panama(bits));
        return list;
    }

    static String label(Kernels k) {
        return k.name() + "/" + k.floatLanes();
    }
}
