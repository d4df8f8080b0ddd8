package org.dst4j.runtime.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.sparse.CsrMatrix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OffHeapTest {
    private final long limitBefore = OffHeap.limit();

    @AfterEach
    void restoreTheLimit() {
        OffHeap.setLimit(limitBefore);
    }

    @Test
    void arenasCountWhatTheyAllocateUntilClosed() {
        long base = OffHeap.bytesInUse();
        try (Arena a = OffHeap.newShared()) {
            a.allocate(1000);
            a.allocate(ValueLayout.JAVA_FLOAT, 6);
            assertThat(OffHeap.bytesInUse() - base).isEqualTo(1024);
            try (Arena c = OffHeap.newConfined()) {
                c.allocateFrom(ValueLayout.JAVA_FLOAT, 1f, 2f);
                assertThat(OffHeap.bytesInUse() - base).isEqualTo(1032);
            }
            assertThat(OffHeap.bytesInUse() - base).isEqualTo(1024);
        }
        assertThat(OffHeap.bytesInUse()).isEqualTo(base);
        // The library's own matrices come from these arenas.
        try (DenseMatrix m = DenseMatrix.allocate(3, 5); CsrMatrix w = CsrMatrix.fromCoo(2, 2, new int[] {0, 1}, new int[] {1, 0}, new float[] {1, 2})) {
            assertThat(OffHeap.bytesInUse() - base).isGreaterThanOrEqualTo(m.byteSize() + w.byteSize());
        }
        assertThat(OffHeap.bytesInUse()).isEqualTo(base);
    }

    @Test
    void thePeakIsTheMostInUseSinceItWasReset() {
        long base = OffHeap.bytesInUse();
        OffHeap.resetPeak();
        assertThat(OffHeap.peakBytes()).isEqualTo(base);
        try (Arena a = OffHeap.newShared()) {
            a.allocate(3000);
            try (Arena b = OffHeap.newShared()) {
                b.allocate(5000);
            }
            a.allocate(1000);
        }
        assertThat(OffHeap.peakBytes() - base).isEqualTo(8000);
        OffHeap.setLimit(base + 100);
        try (Arena a = OffHeap.newShared()) {
            assertThatThrownBy(() -> a.allocate(10_000)).isInstanceOf(OffHeap.LimitReached.class);
        }
        assertThat(OffHeap.peakBytes() - base).as("a refused allocation is not a peak").isEqualTo(8000);
        OffHeap.resetPeak();
        assertThat(OffHeap.peakBytes()).isEqualTo(base);
        assertThat(OffHeap.size(512)).isEqualTo("512 B");
        assertThat(OffHeap.size(15_414_067)).isEqualTo("14.7 MB");
        assertThat(OffHeap.size(3L << 30)).isEqualTo("3.00 GB");
    }

    @Test
    void anAllocationBeyondTheLimitIsRefusedBeforeAnyMemoryIsTaken() {
        long base = OffHeap.bytesInUse();
        OffHeap.setLimit(base + 4096);
        try (Arena a = OffHeap.newShared()) {
            a.allocate(4000);
            assertThatThrownBy(() -> a.allocate(100)).isInstanceOf(OffHeap.LimitReached.class).isInstanceOf(OutOfMemoryError.class)
                    .hasMessageContaining("-Ddst4j.maxOffHeap").hasMessageContaining("4.0 KB")
                    .hasMessageContaining("3.9 KB in use, 100 B more asked");
            assertThat(OffHeap.bytesInUse() - base).isEqualTo(4000);
            a.allocate(96);
            assertThatThrownBy(() -> DenseMatrix.allocate(10, 10)).isInstanceOf(OffHeap.LimitReached.class);
            assertThatThrownBy(() -> a.allocate(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(OffHeap.bytesInUse() - base).isEqualTo(4096);
        }
        assertThat(OffHeap.bytesInUse()).isEqualTo(base);
        try (DenseMatrix m = DenseMatrix.allocate(10, 10)) {
            assertThat(m.get(9, 9)).isZero();
        }
        assertThatThrownBy(() -> OffHeap.setLimit(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("> 0 bytes, got 0");
    }

    @Test
    void closingTwiceOrFromAnotherThreadFreesOnce() throws Exception {
        long base = OffHeap.bytesInUse();
        Arena a = OffHeap.newShared();
        a.allocate(512);
        a.close();
        assertThatThrownBy(a::close).isInstanceOf(IllegalStateException.class);
        assertThat(OffHeap.bytesInUse()).isEqualTo(base);
        Arena c = OffHeap.newConfined();
        c.allocate(256);
        Throwable[] other = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                c.close();
            } catch (Throwable e) {
                other[0] = e;
            }
        });
        t.start();
        t.join();
        assertThat(other[0]).isInstanceOf(WrongThreadException.class);
        assertThat(OffHeap.bytesInUse() - base).isEqualTo(256);
        c.close();
        assertThat(OffHeap.bytesInUse()).isEqualTo(base);
    }

    @Test
    void theLimitPropertyTakesBytesOrASuffixAndWarnsOnceOnAnythingElse() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream warnings = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertThat(OffHeap.parseLimit(null, warnings)).isEqualTo(Long.MAX_VALUE);
        assertThat(OffHeap.parseLimit("1000", warnings)).isEqualTo(1000);
        assertThat(OffHeap.parseLimit("64m", warnings)).isEqualTo(64L << 20);
        assertThat(OffHeap.parseLimit(" 2G ", warnings)).isEqualTo(2L << 30);
        assertThat(OffHeap.parseLimit("512k", warnings)).isEqualTo(512L << 10);
        // the largest of each unit that fits a long is taken; one more is the warning below ("8589934592g")
        assertThat(OffHeap.parseLimit("8589934591g", warnings)).isEqualTo(8589934591L << 30);
        assertThat(OffHeap.parseLimit("9223372036854775807", warnings)).isEqualTo(Long.MAX_VALUE);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        for (String bad : new String[] {"", "0", "-5m", "lots", "1.5g", "8589934592g", "9999999999g"}) {
            err.reset();
            assertThat(OffHeap.parseLimit(bad, warnings)).as(bad).isEqualTo(Long.MAX_VALUE);
            assertThat(err.toString(StandardCharsets.UTF_8)).as(bad)
                    .isEqualTo("WARNING: -Ddst4j.maxOffHeap=" + bad + " is not a size in bytes > 0 (such as 64m or 2g); no limit" + System.lineSeparator());
        }
    }

    // An allocation the JDK refuses after the bytes were counted (an alignment that is not a power of two) gives
    // them back: the count stays what the arena holds, and closing it brings the count back to where it was.
    @Test
    void anAllocationTheJdkRefusesIsNotCounted() {
        long base = OffHeap.bytesInUse();
        try (Arena a = OffHeap.newShared()) {
            a.allocate(100);
            assertThatThrownBy(() -> a.allocate(64, 3)).isInstanceOf(IllegalArgumentException.class);
            assertThat(OffHeap.bytesInUse() - base).isEqualTo(100);
        }
        assertThat(OffHeap.bytesInUse()).isEqualTo(base);
    }
}
