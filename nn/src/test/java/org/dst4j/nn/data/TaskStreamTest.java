package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TaskStreamTest {

    private static DatasetSplit labeled(int classes, int n) {
        float[] x = new float[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = (i * 7) % classes;
            x[2 * i] = i;
            x[2 * i + 1] = y[i];
        }
        int[] yt = new int[n / 2];
        float[] xt = new float[n];
        for (int i = 0; i < n / 2; i++) {
            yt[i] = i % classes;
            xt[2 * i + 1] = yt[i];
        }
        return new DatasetSplit(Dataset.of("t", x, n, 2, y, classes), Dataset.of("t", xt, n / 2, 2, yt, classes));
    }

    @Test
    void splitsClassesInOrderAndKeepsEachTasksSamples() {
        try (DatasetSplit d = labeled(10, 200); TaskStream s = TaskStream.split(d, 5)) {
            assertThat(s.size()).isEqualTo(5);
            assertThat(s.get(0).classes()).containsExactly(0, 1);
            assertThat(s.get(4).classes()).containsExactly(8, 9);
            assertThat(s.seenClasses(2)).containsExactly(0, 1, 2, 3, 4, 5);
            int train = 0, test = 0;
            for (TaskStream.Task t : s.tasks()) {
                for (int i = 0; i < t.train().samples(); i++) {
                    assertThat(t.classes()).contains(t.train().label(i));
                    assertThat(t.train().get(i, 1)).isEqualTo((float) t.train().label(i));
                }
                for (int i = 0; i < t.test().samples(); i++) assertThat(t.classes()).contains(t.test().label(i));
                train += t.train().samples();
                test += t.test().samples();
                assertThat(t.train().classes()).isEqualTo(10);
            }
            assertThat(train).isEqualTo(200);
            assertThat(test).isEqualTo(100);
        }
    }

    @Test
    void unevenSplitGivesTheFirstTasksOneClassMore() {
        try (DatasetSplit d = labeled(7, 70); TaskStream s = TaskStream.split(d, 3)) {
            assertThat(s.get(0).classes()).containsExactly(0, 1, 2);
            assertThat(s.get(1).classes()).containsExactly(3, 4);
            assertThat(s.get(2).classes()).containsExactly(5, 6);
        }
    }

    @Test
    void rejectsBadGroups() {
        try (DatasetSplit d = labeled(4, 40)) {
            assertThatThrownBy(() -> TaskStream.split(d, 5)).hasMessageContaining("between 1 and the number of classes (4)");
            // named as the caller knows it, not by the JDK's "because \"data\" is null" from inside
            assertThatThrownBy(() -> TaskStream.split(null, 2)).isInstanceOf(NullPointerException.class).hasMessage("data");
            assertThatThrownBy(() -> TaskStream.of(d, null)).isInstanceOf(NullPointerException.class).hasMessage("groups");
            assertThatThrownBy(() -> TaskStream.of(d, new int[][] {{0}, null})).isInstanceOf(NullPointerException.class)
                    .hasMessage("task 2's classes");
            assertThatThrownBy(() -> TaskStream.of(d, new int[][] {{0, 1}, {1, 2}})).hasMessageContaining("class 1 is in task 1 and task 2");
            assertThatThrownBy(() -> TaskStream.of(d, new int[][] {{0, 4}})).hasMessage("task 1: class 4 is outside 0..3");
            assertThatThrownBy(() -> TaskStream.inOrder(4, 0)).hasMessage("tasks must be between 1 and the number of classes (4), got 0");
            assertThatThrownBy(() -> TaskStream.of(d, new int[][] {{}})).hasMessageContaining("task 1 has no classes");
            // No task at all, as inOrder's count of 0: it would make an empty stream.
            assertThatThrownBy(() -> TaskStream.of(d, new int[0][])).isInstanceOf(IllegalArgumentException.class).hasMessage("expected at least one task, got none");
            try (TaskStream s = TaskStream.of(d, new int[][] {{0, 1}, {2, 3}})) {
                assertThat(s.seenClasses(1)).containsExactly(0, 1, 2, 3);
                // -1 would answer no classes, as if a task had none.
                assertThatThrownBy(() -> s.seenClasses(-1)).isInstanceOf(IndexOutOfBoundsException.class);
                assertThatThrownBy(() -> s.seenClasses(2)).isInstanceOf(IndexOutOfBoundsException.class);
            }
        }
    }
    @Test
    void oneTaskOrOneTaskPerClassAreTheExtremes() {
        assertThat(TaskStream.inOrder(3, 1)).isDeepEqualTo(new int[][] {{0, 1, 2}});
        assertThat(TaskStream.inOrder(3, 3)).isDeepEqualTo(new int[][] {{0}, {1}, {2}});
    }

    @Test
    void aGroupGivenOutOfOrderIsSortedAndClosingTheStreamFreesEveryTask() {
        TaskStream s;
        try (DatasetSplit d = labeled(4, 40)) {
            s = TaskStream.of(d, new int[][] {{3, 1}, {0}});
            assertThat(s.get(0).classes()).containsExactly(1, 3);
            assertThat(s.classes()).isEqualTo(4);
        }
        s.close();
        for (TaskStream.Task t : s.tasks()) {
            assertThatThrownBy(() -> t.train().label(0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> t.test().label(0)).isInstanceOf(IllegalStateException.class);
        }
    }
}
