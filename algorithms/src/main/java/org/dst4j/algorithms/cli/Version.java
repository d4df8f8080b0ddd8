package org.dst4j.algorithms.cli;

/** The dst4j version, from the jar manifest when packaged. */
public final class Version {
    private Version() {}

    public static String get() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
