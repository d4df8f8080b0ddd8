package org.dst4j.runtime.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClosingTest {

    @Test
    void everyPartIsClosedAndTheFirstFailureIsThrownWithTheOthersSuppressed() {
        List<String> closed = new ArrayList<>();
        IllegalStateException first = new IllegalStateException("first");
        IllegalArgumentException second = new IllegalArgumentException("second");
        assertThatThrownBy(() -> Closing.all(
                () -> closed.add("a"),
                () -> { closed.add("b"); throw first; },
                () -> closed.add("c"),
                () -> { closed.add("d"); throw second; },
                () -> closed.add("e")))
                .isSameAs(first);
        assertThat(closed).containsExactly("a", "b", "c", "d", "e");
        assertThat(first.getSuppressed()).containsExactly(second);
    }

    @Test
    void eachClosesEveryElementEvenAfterOneThrows() {
        List<Integer> closed = new ArrayList<>();
        assertThatThrownBy(() -> Closing.each(List.of(1, 2, 3), i -> {
            closed.add(i);
            if (i == 1) throw new IllegalStateException("part " + i);
        })).hasMessage("part 1");
        assertThat(closed).containsExactly(1, 2, 3);
        Closing.each(List.of(), i -> { throw new AssertionError(); });
    }

    @Test
    void afterAddsCleanupFailuresToTheOriginalFailure() {
        RuntimeException failure = new RuntimeException("original");
        List<String> closed = new ArrayList<>();
        Closing.after(failure, () -> { closed.add("a"); throw new IllegalStateException("cleanup"); }, () -> closed.add("b"));
        assertThat(closed).containsExactly("a", "b");
        assertThat(failure.getSuppressed()).hasSize(1);
        assertThat(failure.getSuppressed()[0]).hasMessage("cleanup");
    }

    @Test
    void errorsAreRethrownAsThemselves() {
        AssertionError e = new AssertionError("boom");
        assertThatThrownBy(() -> Closing.all(() -> { throw e; })).isSameAs(e);
    }
}
