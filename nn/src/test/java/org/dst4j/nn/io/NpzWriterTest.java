package org.dst4j.nn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzWriterTest {
    @TempDir Path dir;

    // 0 and 1 elements, a length that is no multiple of anything, and one that spans two 64 KiB chunks with a tail.
    private static final int[] LENGTHS = {0, 1, 13, 20_011};

    private static byte[] archive(float[][] floats, int[][] ints, long[][] longs, String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        NpzWriter npz = new NpzWriter(bytes);
        npz.string("meta", text);
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < floats.length; i++) {
                // Off-heap segments in the machine's order, longer than the count written: only the first `count` elements go out.
                MemorySegment f = arena.allocate(4L * floats[i].length + 12, 4);
                MemorySegment.copy(floats[i], 0, f, ValueLayout.JAVA_FLOAT, 0, floats[i].length);
                npz.floats("f" + i, f, floats[i].length);
                MemorySegment n = arena.allocate(4L * ints[i].length + 4, 4);
                MemorySegment.copy(ints[i], 0, n, ValueLayout.JAVA_INT, 0, ints[i].length);
                npz.ints("dir/i" + i, n, ints[i].length);
                npz.longs("l" + i, longs[i]);
            }
        }
        npz.finish();
        return bytes.toByteArray();
    }

    @Test
    void arraysAndTextReadBackAsNumpyReadsThem() throws IOException {
        Random r = new Random(5);
        int k = LENGTHS.length;
        float[][] f = new float[k][];
        int[][] n = new int[k][];
        long[][] l = new long[k][];
        for (int i = 0; i < k; i++) {
            f[i] = new float[LENGTHS[i]];
            n[i] = new int[LENGTHS[i]];
            l[i] = new long[LENGTHS[i] + 1];
            for (int j = 0; j < LENGTHS[i]; j++) {
                f[i][j] = (float) r.nextGaussian();
                n[i][j] = r.nextInt();
            }
            for (int j = 0; j < l[i].length; j++) l[i][j] = r.nextLong();
        }
        f[1][0] = Float.NaN;
        // Quotes, a backslash, accents and a code point outside the BMP (two chars in Java, one <U element).
        String text = "{\"data\": \"caf\u00e9 \\\\ \ud83c\udfb2\"}";
        Path file = dir.resolve("a.npz");
        Files.write(file, archive(f, n, l, text));
        Map<String, NpzContent.Array> read = NpzContent.read(file);
        assertThat(read.keySet().iterator().next()).isEqualTo("meta");
        assertThat(read.get("meta").string()).isEqualTo(text);
        assertThat(read.get("meta").descr()).isEqualTo("<U" + text.codePointCount(0, text.length()));
        for (int i = 0; i < k; i++) {
            assertThat(read.get("f" + i).shape()).containsExactly(LENGTHS[i]);
            assertThat(read.get("f" + i).floats()).containsExactly(f[i]);
            assertThat(read.get("dir/i" + i).ints()).containsExactly(n[i]);
            assertThat(read.get("l" + i).longs()).containsExactly(l[i]);
        }
        assertThat(read).hasSize(1 + 3 * k);
    }

    @Test
    void theSameArraysGiveTheSameBytesInAnyTimeZone() throws IOException {
        float[][] f = {{1, 2, 3}};
        int[][] n = {{4}};
        long[][] l = {{5, 6}};
        TimeZone before = TimeZone.getDefault();
        byte[] utc, newYork;
        try {
            TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
            utc = archive(f, n, l, "x");
            // 1980-01-01 00:00, the first date a zip entry can hold, makes the JDK add a timestamp of the time zone's
            // instant.
            TimeZone.setDefault(TimeZone.getTimeZone("America/New_York"));
            newYork = archive(f, n, l, "x");
        } finally {
            TimeZone.setDefault(before);
        }
        assertThat(newYork).isEqualTo(utc);
        assertThat(archive(f, n, l, "x")).isEqualTo(utc);
    }

    @Test
    void badNamesTextAndCountsAreRefused() throws IOException {
        NpzWriter npz = new NpzWriter(new ByteArrayOutputStream());
        npz.floats("a", new float[] {1});
        assertThatThrownBy(() -> npz.longs("a", new long[] {1})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a'").hasMessageContaining("already written");
        assertThatThrownBy(() -> npz.string("", "x")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        // numpy would cut the text at the NUL.
        assertThatThrownBy(() -> npz.string("t", "a\u0000b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
        assertThatThrownBy(() -> npz.floats("f", MemorySegment.ofArray(new float[2]), 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("array 'f': 3 elements asked, the segment holds 2");
        assertThatThrownBy(() -> npz.ints("i", MemorySegment.ofArray(new int[2]), -1)).isInstanceOf(IllegalArgumentException.class);
        // Counts whose byte size overflows a long: 2^62 floats are 0 bytes, 2^61 + 1 longs are 8, both to be refused.
        assertThatThrownBy(() -> npz.floats("g", MemorySegment.ofArray(new float[4]), 1L << 62)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("array 'g': " + (1L << 62) + " elements asked, the segment holds 4");
        assertThatThrownBy(() -> npz.longs("l", MemorySegment.ofArray(new long[2]), (1L << 61) + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("array 'l': " + ((1L << 61) + 1) + " elements asked, the segment holds 2");
    }
}
