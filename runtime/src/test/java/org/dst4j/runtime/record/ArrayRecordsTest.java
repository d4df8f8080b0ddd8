package org.dst4j.runtime.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.dst4j.runtime.record.elsewhere.HiddenRecords;
import org.junit.jupiter.api.Test;

class ArrayRecordsTest {

    // Private, as records nested in a class often are: the accessors must still be readable.
    private record Sample(String name, int[] sizes, double[][] matrix, float rate, List<String> tags) {
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }
        @Override public int hashCode() { return ArrayRecords.hashCode(this); }
        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    private record Other(String name, int[] sizes, double[][] matrix, float rate, List<String> tags) {}

    private static Sample sample() {
        return new Sample("a", new int[] {1, 2}, new double[][] {{0.5, 1}, {2, 3}}, 0.1f, List.of("x"));
    }

    @Test
    void equalContentsAreEqualAndHashAlike() {
        assertThat(sample()).isEqualTo(sample()).hasSameHashCodeAs(sample());
        Sample s = sample();
        assertThat(s).isEqualTo(s);
    }

    @Test
    void anyDifferingElementOrComponentMakesThemDiffer() {
        Sample s = sample();
        assertThat(s).isNotEqualTo(new Sample("a", new int[] {1, 3}, s.matrix(), 0.1f, List.of("x")));
        assertThat(s).isNotEqualTo(new Sample("a", new int[] {1, 2}, new double[][] {{0.5, 1}, {2, 4}}, 0.1f, List.of("x")));
        assertThat(s).isNotEqualTo(new Sample("a", new int[] {1, 2}, s.matrix(), 0.2f, List.of("x")));
        assertThat(s).isNotEqualTo(new Sample("b", new int[] {1, 2}, s.matrix(), 0.1f, List.of("x")));
        assertThat(s).isNotEqualTo(new Sample("a", new int[] {1, 2}, s.matrix(), 0.1f, List.of("y")));
        assertThat(s).isNotEqualTo(new Sample(null, new int[] {1, 2}, s.matrix(), 0.1f, List.of("x")));
        assertThat(s).isNotEqualTo(null);
        // Same components, another record class.
        assertThat(ArrayRecords.equals(s, new Other("a", new int[] {1, 2}, s.matrix(), 0.1f, List.of("x")))).isFalse();
    }

    @Test
    void nanComponentsEqualThemselvesAsInGeneratedRecords() {
        Sample a = new Sample("a", new int[0], new double[][] {{Double.NaN}}, Float.NaN, List.of());
        Sample b = new Sample("a", new int[0], new double[][] {{Double.NaN}}, Float.NaN, List.of());
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    }

    @Test
    void toStringShowsArraysByContentInTheGeneratedFormat() {
        assertThat(sample()).hasToString("Sample[name=a, sizes=[1, 2], matrix=[[0.5, 1.0], [2.0, 3.0]], rate=0.1, tags=[x]]");
        assertThat(new Sample(null, null, null, 0f, null)).hasToString("Sample[name=null, sizes=null, matrix=null, rate=0.0, tags=null]");
    }

    @Test
    void deepCopiesShareNoArrayWithTheOriginal() {
        double[][] two = {{1, 2}, {3}};
        double[][] copy2 = ArrayRecords.deepCopy(two);
        two[0][0] = 9;
        assertThat(copy2).isDeepEqualTo(new double[][] {{1, 2}, {3}});

        double[][][] three = {{{1}, {2, 3}}, {}};
        double[][][] copy3 = ArrayRecords.deepCopy(three);
        three[0][1][1] = 9;
        three[0][0] = new double[] {7};
        assertThat(copy3).isDeepEqualTo(new double[][][] {{{1}, {2, 3}}, {}});
    }

    // An application's records live in its own packages, often nested in a class that is not public.
    @Test
    void recordsOfAnotherPackagesPrivateClassesAreReadToo() {
        Record a = HiddenRecords.config("a", 1, 2);
        assertThat(a).isEqualTo(HiddenRecords.config("a", 1, 2))
                .hasSameHashCodeAs(HiddenRecords.config("a", 1, 2))
                .isNotEqualTo(HiddenRecords.config("a", 1, 3));
        assertThat(a).hasToString("Config[name=a, sizes=[1, 2]]");
    }

    // The hash goes over the components' contents: one that ignored them (the same for every record) would still be
    // consistent with equals, and put every configuration of a map or set in one bucket.
    @Test
    void recordsDifferingInAnArraysContentHashDifferently() {
        Sample s = sample();
        assertThat(s.hashCode()).isNotEqualTo(new Sample("a", new int[] {1, 3}, s.matrix(), 0.1f, List.of("x")).hashCode())
                .isNotEqualTo(new Sample("a", new int[] {1, 2}, new double[][] {{0.5, 1}, {2, 4}}, 0.1f, List.of("x")).hashCode());
    }

    private record Guarded(int[] values) {
        @Override public int[] values() { throw new IllegalStateException("closed"); }
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }
        @Override public int hashCode() { return ArrayRecords.hashCode(this); }
        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    private record Failing(int[] values) {
        @Override public int[] values() { throw new AssertionError("broken accessor"); }
        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    // What an accessor throws reaches the caller as itself, not wrapped in reflection's InvocationTargetException.
    @Test
    void anAccessorsExceptionIsThrownAsItself() {
        Guarded g = new Guarded(new int[] {1});
        assertThatThrownBy(g::toString).isInstanceOf(IllegalStateException.class).hasMessage("closed").hasNoCause();
        assertThatThrownBy(g::hashCode).isInstanceOf(IllegalStateException.class).hasMessage("closed");
        assertThatThrownBy(new Failing(new int[0])::toString).isInstanceOf(AssertionError.class).hasMessage("broken accessor");
    }
}
