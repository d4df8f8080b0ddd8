package org.dst4j.algorithms.cli;

/** The dst4j version, from the jar manifest when packaged. */
final class Version {
    private Version() {}

    /** @return the jar's implementation version, or {@code dev} when run from classes */
    public static String get() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
