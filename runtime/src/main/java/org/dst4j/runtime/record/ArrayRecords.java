package org.dst4j.runtime.record;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Objects;

/**
 * Value semantics for records with array components. A record's generated {@code equals} and
 * {@code hashCode} compare an array component by identity and its {@code toString} prints it as
 * {@code [I@1b6d3586}, so two equal configurations compare unequal and a result prints no values.
 * A record overrides the three methods with the ones here:
 *
 * <pre>{@code
 * @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }
 * @Override public int hashCode() { return ArrayRecords.hashCode(this); }
 * @Override public String toString() { return ArrayRecords.toString(this); }
 * }</pre>
 *
 * <p>They go over every component the record declares, read through its accessor, so a component added
 * later is covered without touching them. Arrays, nested ones included, compare and print by content;
 * every other component as the generated methods treat it ({@code float} and {@code double} by
 * {@link Float#equals}, which is what {@link Float#compare} does too).
 */
public final class ArrayRecords {
    private ArrayRecords() {}

    /** Whether {@code other} is a record of {@code self}'s class whose components equal its own, arrays by content. */
    public static boolean equals(Record self, Object other) {
        if (self == other) return true;
        if (other == null || other.getClass() != self.getClass()) return false;
        for (RecordComponent c : self.getClass().getRecordComponents()) {
            if (!Objects.deepEquals(value(c, self), value(c, other))) return false;
        }
        return true;
    }

    /** A hash of the components consistent with {@link #equals(Record, Object)}. */
    public static int hashCode(Record self) {
        RecordComponent[] cs = self.getClass().getRecordComponents();
        Object[] values = new Object[cs.length];
        for (int i = 0; i < cs.length; i++) values[i] = value(cs[i], self);
        return Arrays.deepHashCode(values);
    }

    /** {@code Name[a=1, b=[1, 2]]}: the generated format, with arrays shown by content. */
    public static String toString(Record self) {
        StringBuilder sb = new StringBuilder(self.getClass().getSimpleName()).append('[');
        RecordComponent[] cs = self.getClass().getRecordComponents();
        for (int i = 0; i < cs.length; i++) {
            if (i > 0) sb.append(", ");
            // deepToString of a one-element array prints any value, a primitive array included; the brackets go.
            String v = Arrays.deepToString(new Object[] {value(cs[i], self)});
            sb.append(cs[i].getName()).append('=').append(v, 1, v.length() - 1);
        }
        return sb.append(']').toString();
    }

    /** A copy of {@code a} whose rows are copies too. */
    public static double[][] deepCopy(double[][] a) {
        return Arrays.stream(a).map(double[]::clone).toArray(double[][]::new);
    }

    /** A copy of {@code a} down to its innermost arrays. */
    public static double[][][] deepCopy(double[][][] a) {
        return Arrays.stream(a).map(ArrayRecords::deepCopy).toArray(double[][][]::new);
    }

    private static Object value(RecordComponent c, Object r) {
        try {
            var accessor = c.getAccessor();
            // A record nested in a non-public class has accessors that this package may not call otherwise.
            accessor.setAccessible(true);
            return accessor.invoke(r);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(c + " of " + r.getClass().getName() + " is not readable", e);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException x) throw x;
            if (e.getCause() instanceof Error x) throw x;
            throw new IllegalStateException(e.getCause());
        }
    }
}
