package org.dst4j.nn.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.dst4j.runtime.record.ArrayRecords;
import org.dst4j.runtime.resource.Closing;

/**
 * A labeled dataset split into tasks of disjoint classes, presented one after another (class-incremental
 * continual learning). Each task owns copies of its train and test samples; closing the stream frees them.
 */
public final class TaskStream implements AutoCloseable {

    /**
     * One task: its classes (ascending) and its samples.
     *
     * @param index its place in the stream, from 0
     * @param classes its classes, ascending
     * @param train its training samples, owned by the stream
     * @param test its test samples, owned by the stream
     */
    public record Task(int index, int[] classes, Dataset train, Dataset test) {
        /** Copies {@code classes}: changing the caller's array afterwards does not change the task. */
        public Task {
            classes = Objects.requireNonNull(classes, "classes").clone();
        }

        /** The task's classes, ascending; a copy. */
        @Override public int[] classes() { return classes.clone(); }

        // By content: the generated methods would compare and print the arrays by identity.
        @Override public boolean equals(Object o) { return ArrayRecords.equals(this, o); }

        @Override public int hashCode() { return ArrayRecords.hashCode(this); }

        @Override public String toString() { return ArrayRecords.toString(this); }
    }

    private final List<Task> tasks;
    private final int classes;

    private TaskStream(List<Task> tasks, int classes) {
        this.tasks = tasks;
        this.classes = classes;
    }

    /**
     * {@code count} tasks over the classes in order: with 10 classes and 5 tasks, {0,1}, {2,3}, … When
     * the classes do not divide evenly the first tasks get one class more.
     */
    public static TaskStream split(DatasetSplit data, int count) {
        Objects.requireNonNull(data, "data");
        return of(data, inOrder(data.train().classes(), count));
    }

    /**
     * The class groups {@link #split} uses: {@code count} tasks over {@code classes} classes in order,
     * the first tasks one class more when they do not divide evenly.
     *
     * @throws IllegalArgumentException unless {@code 1 <= count <= classes}
     */
    public static int[][] inOrder(int classes, int count) {
        if (count < 1 || count > classes) {
            throw new IllegalArgumentException("tasks must be between 1 and the number of classes (" + classes + "), got " + count);
        }
        int[][] groups = new int[count][];
        int next = 0;
        for (int t = 0; t < count; t++) {
            int size = classes / count + (t < classes % count ? 1 : 0);
            groups[t] = new int[size];
            for (int i = 0; i < size; i++) groups[t][i] = next++;
        }
        return groups;
    }

    /**
     * Tasks made of the given class groups, which must be disjoint and within the dataset's classes.
     *
     * @throws IllegalArgumentException if there is no group, a group is empty, or a class is out of range or in two groups
     */
    public static TaskStream of(DatasetSplit data, int[][] groups) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(groups, "groups");
        // As inOrder refuses a count of 0: a stream without tasks has nothing to learn, and its seenClasses had no answer.
        if (groups.length == 0) throw new IllegalArgumentException("expected at least one task, got none");
        int c = data.train().classes();
        int[] owner = new int[c];
        Arrays.fill(owner, -1);
        for (int t = 0; t < groups.length; t++) {
            Objects.requireNonNull(groups[t], "task " + (t + 1) + "'s classes");
            if (groups[t].length == 0) throw new IllegalArgumentException("task " + (t + 1) + " has no classes");
            for (int k : groups[t]) {
                if (k < 0 || k >= c) throw new IllegalArgumentException("task " + (t + 1) + ": class " + k + " is outside 0.." + (c - 1));
                if (owner[k] >= 0) throw new IllegalArgumentException("class " + k + " is in task " + (owner[k] + 1) + " and task " + (t + 1));
                owner[k] = t;
            }
        }
        List<Task> tasks = new ArrayList<>();
        try {
            for (int t = 0; t < groups.length; t++) {
                int[] g = groups[t].clone();
                Arrays.sort(g);
                Dataset tr = select(data.train(), owner, t);
                Dataset te;
                try {
                    te = select(data.test(), owner, t);
                } catch (RuntimeException | Error e) {
                    tr.close();
                    throw e;
                }
                tasks.add(new Task(t, g, tr, te));
            }
        } catch (RuntimeException | Error e) {
            // An OutOfMemoryError too: a caller that catches it must not keep the earlier tasks' copies.
            for (Task k : tasks) {
                k.train().close();
                k.test().close();
            }
            throw e;
        }
        return new TaskStream(List.copyOf(tasks), c);
    }

    private static Dataset select(Dataset d, int[] owner, int task) {
        int n = 0;
        for (int i = 0; i < d.samples(); i++) if (owner[d.label(i)] == task) n++;
        int[] idx = new int[n];
        for (int i = 0, k = 0; i < d.samples(); i++) if (owner[d.label(i)] == task) idx[k++] = i;
        return d.subset(idx);
    }

    /** The tasks in the order they are learned; an unmodifiable list. */
    public List<Task> tasks() { return tasks; }

    /** The number of tasks. */
    public int size() { return tasks.size(); }

    /** Task {@code t} (0-based). */
    public Task get(int t) { return tasks.get(t); }

    /** Classes of the whole dataset (the width of the shared output layer). */
    public int classes() { return classes; }

    /**
     * Classes of tasks 0..{@code t}, ascending.
     *
     * @throws IndexOutOfBoundsException if {@code t} is not a task's index
     */
    public int[] seenClasses(int t) {
        // t = -1 gave no classes, as if some task had none: a caller's off-by-one, not an answer.
        Objects.checkIndex(t, tasks.size());
        return tasks.subList(0, t + 1).stream().flatMapToInt(k -> Arrays.stream(k.classes)).sorted().toArray();
    }

    /** Frees every task's samples, each even if another fails. Closing again does nothing. */
    @Override
    public void close() {
        Closing.each(tasks, t -> Closing.all(t.train()::close, t.test()::close));
    }
}
