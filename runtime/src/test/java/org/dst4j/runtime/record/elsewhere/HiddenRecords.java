package org.dst4j.runtime.record.elsewhere;

import org.dst4j.runtime.record.ArrayRecords;

/**
 * Records as an application declares them, in its own package and nested in a class that is not public: their
 * accessors are public methods of a class that {@link ArrayRecords}' package may not reach without asking.
 */
public final class HiddenRecords {
    private HiddenRecords() {}

    private record Config(String name, int[] sizes) {
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }
        @Override public int hashCode() { return ArrayRecords.hashCode(this); }
        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    /** A record of a private class, seen from outside only as a Record. */
    public static Record config(String name, int... sizes) {
        return new Config(name, sizes);
    }
}
