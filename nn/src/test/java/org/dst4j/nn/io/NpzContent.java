package org.dst4j.nn.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * An .npz archive read as numpy.load reads it, written for the tests apart from NpzWriter: every entry's
 * checksum is verified (ZipInputStream does), the central directory lists the same entries (ZipFile reads it, as
 * Python's zipfile does), and every .npy header is checked against the 1.0 format.
 */
public final class NpzContent {
    private static final Pattern HEADER = Pattern.compile(
            "\\{'descr': '([<|][a-zA-Z]\\d+)', 'fortran_order': False, 'shape': \\(((?:\\d+,)?)\\), \\} *\n");

    /** One array: its numpy type, shape and raw little-endian bytes. */
    public record Array(String descr, long[] shape, byte[] data) {
        public float[] floats() {
            assertThat(descr).isEqualTo("<f4");
            float[] a = new float[data.length / 4];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(a);
            return a;
        }

        public int[] ints() {
            assertThat(descr).isEqualTo("<i4");
            int[] a = new int[data.length / 4];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(a);
            return a;
        }

        public long[] longs() {
            assertThat(descr).isEqualTo("<i8");
            long[] a = new long[data.length / 8];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(a);
            return a;
        }

        /** A zero-dimensional {@code <U n} array's text, trailing NULs dropped as numpy drops them. */
        public String string() {
            assertThat(descr).startsWith("<U");
            assertThat(shape).isEmpty();
            int[] cps = new int[data.length / 4];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(cps);
            int n = cps.length;
            while (n > 0 && cps[n - 1] == 0) n--;
            return new String(cps, 0, n);
        }
    }

    private NpzContent() {}

    /** The archive's arrays by name (the entry name without .npy), in the archive's order. */
    public static Map<String, Array> read(Path file) throws IOException {
        Map<String, Array> out = new LinkedHashMap<>();
        try (InputStream raw = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(raw)) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                assertThat(e.getName()).endsWith(".npy");
                assertThat(e.getMethod()).isEqualTo(ZipEntry.STORED);
                byte[] all = zip.readAllBytes(); // the checksum is verified on reaching the entry's end
                out.put(e.getName().substring(0, e.getName().length() - 4), parse(e.getName(), all));
            }
        }
        // numpy.load (Python's zipfile) finds the entries through the central directory at the end, which the entries
        // read above do not need: it must list the same arrays, in the same order, with the same sizes and checksums.
        try (ZipFile zip = new ZipFile(file.toFile())) {
            List<String> listed = new ArrayList<>();
            for (ZipEntry e : Collections.list(zip.entries())) {
                listed.add(e.getName().substring(0, e.getName().length() - 4));
                assertThat(e.getMethod()).as(e.getName()).isEqualTo(ZipEntry.STORED);
                try (InputStream in = zip.getInputStream(e)) {
                    byte[] all = in.readAllBytes();
                    assertThat(parse(e.getName(), all).data()).as(e.getName()).isEqualTo(out.get(listed.getLast()).data());
                }
            }
            assertThat(listed).containsExactlyElementsOf(out.keySet());
        }
        return out;
    }

    private static Array parse(String name, byte[] b) {
        assertThat(b).as(name).startsWith((byte) 0x93, (byte) 'N', (byte) 'U', (byte) 'M', (byte) 'P', (byte) 'Y', (byte) 1, (byte) 0);
        int len = (b[8] & 0xFF) | (b[9] & 0xFF) << 8;
        assertThat((10 + len) % 64).as(name + ": header padded to 64 bytes").isZero();
        String header = new String(b, 10, len, StandardCharsets.US_ASCII);
        Matcher m = HEADER.matcher(header);
        assertThat(m.matches()).as(name + ": header " + header).isTrue();
        long[] shape = m.group(2).isEmpty() ? new long[0] : new long[] {Long.parseLong(m.group(2).replace(",", ""))};
        long count = shape.length == 0 ? 1 : shape[0];
        int width = Integer.parseInt(m.group(1).substring(2));
        int itemBytes = m.group(1).charAt(1) == 'U' ? 4 * width : width;
        byte[] data = Arrays.copyOfRange(b, 10 + len, b.length);
        assertThat((long) data.length).as(name + ": data bytes").isEqualTo(count * itemBytes);
        return new Array(m.group(1), shape, data);
    }
}
