package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every loader makes several datasets (train, test, a hold-out's two subsets, the cuts of --limit-*): when
 * memory runs out for one of them, the ones already made must be freed, or an embedder that catches the
 * error and goes on keeps them for the life of the process (their arenas are shared, never collected).
 */
class LoadingOutOfMemoryTest {
    @TempDir Path dir;

    interface Load {
        AutoCloseable run() throws Exception;
    }

    @Test
    void aLoaderThatRunsOutOfMemoryPartWayFreesWhatItAlreadyMade() throws Exception {
        Path train = Files.writeString(dir.resolve("train.csv"), rows(0, 1, 2, 0, 1, 2, 0, 1, 2, 0));
        Path test = Files.writeString(dir.resolve("test.csv"), rows(0, 1, 2, 1));
        Path x = write("x.npy", floats(10)), y = write("y.npy", labels(10)), tx = write("tx.npy", floats(4)), ty = write("ty.npy", labels(4));
        var loads = new LinkedHashMap<String, Load>();
        loads.put("csv train and test", () -> DataSources.load(options(train, test, null, null, 0, 0)));
        loads.put("csv train and test, limited", () -> DataSources.load(options(train, test, null, null, 6, 3)));
        loads.put("one csv, held out", () -> DataSources.load(options(train, null, null, null, 0, 0)));
        loads.put("one csv, held out, limited", () -> DataSources.load(options(train, null, null, null, 5, 1)));
        loads.put("npy train and test", () -> DataSources.load(options(x, tx, y, ty, 0, 0)));
        loads.put("csv for a model", () -> DataSources.loadForModel(options(train, test, null, null, 0, 0), 2, 5));
        loads.put("one csv for a model", () -> DataSources.loadForModel(options(train, null, null, null, 0, 0), 2, 5));
        loads.put("embedded, limited", () -> DataSources.load(new DataOptions(null, null, null, null, null, "last", 0.2, 0, 300, 100)));
        loads.put("embedded for a model of more classes", () -> DataSources.loadForModel(new DataOptions(null, null, null, null, null, "last", 0.2, 0, 50, 20), 784, 12));
        loads.put("madelon-like", () -> MadelonLike.generate(1, 40, 20, 5, 3, 10));
        for (var e : loads.entrySet()) {
            int made;
            try (RecordedArenas arenas = new RecordedArenas(); AutoCloseable whole = e.getValue().run()) {
                made = arenas.opened();
                assertThat(made).as(e.getKey()).isPositive();
            }
            for (int failAt = 0; failAt < made; failAt++) {
                try (RecordedArenas arenas = new RecordedArenas().failingAt(failAt)) {
                    assertThatThrownBy(e.getValue()::run).as("%s, allocation %d refused", e.getKey(), failAt)
                            .isInstanceOf(OutOfMemoryError.class);
                    assertThat(arenas.stillOpen()).as("%s: datasets left open when allocation %d of %d was refused", e.getKey(), failAt, made)
                            .isZero();
                }
            }
        }
    }

    @Test
    void aTaskStreamThatRunsOutOfMemoryPartWayFreesTheTasksItAlreadyMade() {
        int[] labels = new int[60];
        for (int i = 0; i < labels.length; i++) labels[i] = i % 6;
        float[] x = new float[60 * 2];
        for (int i = 0; i < x.length; i++) x[i] = i;
        try (DatasetSplit data = new DatasetSplit(Dataset.of("train", x, 60, 2, labels, 6), Dataset.of("test", x, 60, 2, labels, 6))) {
            int made;
            try (RecordedArenas arenas = new RecordedArenas(); TaskStream whole = TaskStream.split(data, 3)) {
                made = arenas.opened();
                assertThat(made).isEqualTo(6);
            }
            for (int failAt = 0; failAt < made; failAt++) {
                try (RecordedArenas arenas = new RecordedArenas().failingAt(failAt)) {
                    assertThatThrownBy(() -> TaskStream.split(data, 3)).isInstanceOf(OutOfMemoryError.class);
                    assertThat(arenas.stillOpen()).as("task copies left open when allocation %d of %d was refused", failAt, made).isZero();
                }
            }
            assertThat(data.train().samples()).as("the source split stays open").isEqualTo(60);
        }
    }

    private static DataOptions options(Path data, Path test, Path labels, Path testLabels, int limitTrain, int limitTest) {
        return new DataOptions(data, test, labels, testLabels, null, "last", 0.3, 7, limitTrain, limitTest);
    }

    private static String rows(int... labels) {
        StringBuilder sb = new StringBuilder("f1,f2,label\n");
        for (int i = 0; i < labels.length; i++) sb.append(i).append(',').append(i % 3).append(',').append(labels[i]).append('\n');
        return sb.toString();
    }

    private static byte[] floats(int samples) {
        ByteBuffer b = ByteBuffer.allocate(samples * 2 * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < samples * 2; i++) b.putFloat(i);
        return CsvNpyReaderTest.npy("<f4", samples + ", 2", b, false);
    }

    private static byte[] labels(int samples) {
        ByteBuffer b = ByteBuffer.allocate(samples * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < samples; i++) b.putLong(i % 3);
        return CsvNpyReaderTest.npy("<i8", samples + ",", b, false);
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    // While installed, records every arena a dataset opens; the allocation numbered failAt (from 0) fails
    // as a native allocation does when memory runs out.
    static final class RecordedArenas implements AutoCloseable {
        private final Supplier<Arena> previous = Dataset.arenas;
        private final List<Arena> opened = new ArrayList<>();
        private int allocations;
        private int failAt = -1;

        RecordedArenas() {
            Dataset.arenas = () -> {
                Arena real = Arena.ofShared();
                Arena a = new Arena() {
                    @Override public MemorySegment allocate(long byteSize, long byteAlignment) {
                        if (allocations++ == failAt) throw new OutOfMemoryError("allocation " + failAt + " refused by the test");
                        return real.allocate(byteSize, byteAlignment);
                    }

                    @Override public MemorySegment.Scope scope() { return real.scope(); }

                    @Override public void close() { real.close(); }
                };
                opened.add(a);
                return a;
            };
        }

        RecordedArenas failingAt(int allocation) {
            failAt = allocation;
            return this;
        }

        long stillOpen() { return opened.stream().filter(a -> a.scope().isAlive()).count(); }

        int opened() { return opened.size(); }

        @Override public void close() { Dataset.arenas = previous; }
    }
}
