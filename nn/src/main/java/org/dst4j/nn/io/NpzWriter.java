package org.dst4j.nn.io;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a NumPy {@code .npz} archive, as {@code numpy.savez} does: a zip file of {@code .npy} arrays,
 * stored uncompressed, which {@code numpy.load} reads without {@code allow_pickle}. Numeric arrays
 * are one-dimensional, little-endian (whatever the machine's byte order), with the {@code .npy} 1.0 header
 * padded to a multiple of 64 bytes as numpy pads its own. Entries carry a fixed date, so the same arrays
 * always give the same bytes; archives over 4 GB are written as ZIP64, which numpy reads.
 *
 * <p>Call {@link #finish()} after the last array; the stream given to the constructor stays open.
 */
public final class NpzWriter {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    // A local date-time, unlike an instant, does not depend on the time zone; but one DOS cannot hold (before 1980, or
    // 1980-01-01 00:00 itself, the JDK's marker for them) adds a time-zone-dependent timestamp field.
    private static final LocalDateTime DATE = LocalDateTime.of(2000, 1, 1, 0, 0);
    private static final int CHUNK = 1 << 16;

    private final ZipOutputStream zip;
    private final Set<String> names = new HashSet<>();
    private final byte[] chunk = new byte[CHUNK];

    /** An archive written to {@code out}. */
    public NpzWriter(OutputStream out) {
        zip = new ZipOutputStream(Objects.requireNonNull(out, "out"));
        zip.setMethod(ZipOutputStream.STORED);
    }

    /** Adds {@code float32} array {@code name} of the first {@code count} floats of {@code data} (in the machine's byte order). */
    public void floats(String name, MemorySegment data, long count) throws IOException {
        array(name, "<f4", ValueLayout.JAVA_FLOAT_UNALIGNED, F32, data, count);
    }

    /** Adds {@code float32} array {@code name}. */
    public void floats(String name, float[] data) throws IOException {
        floats(name, MemorySegment.ofArray(data), data.length);
    }

    /** Adds {@code int32} array {@code name} of the first {@code count} ints of {@code data} (in the machine's byte order). */
    public void ints(String name, MemorySegment data, long count) throws IOException {
        array(name, "<i4", ValueLayout.JAVA_INT_UNALIGNED, I32, data, count);
    }

    /** Adds {@code int64} array {@code name} of the first {@code count} longs of {@code data} (in the machine's byte order). */
    public void longs(String name, MemorySegment data, long count) throws IOException {
        array(name, "<i8", ValueLayout.JAVA_LONG_UNALIGNED, I64, data, count);
    }

    /** Adds {@code int64} array {@code name}. */
    public void longs(String name, long[] data) throws IOException {
        longs(name, MemorySegment.ofArray(data), data.length);
    }

    /**
     * Adds {@code text} as a zero-dimensional unicode array ({@code <U n}): {@code str(npz[name])} in
     * Python gives the text back.
     */
    public void string(String name, String text) throws IOException {
        int[] codePoints = text.codePoints().toArray();
        // numpy cuts a <U string at its first NUL, and would drop trailing ones.
        for (int c : codePoints) if (c == 0) throw new IllegalArgumentException("array '" + name + "': text holds a NUL character");
        int width = Math.max(1, codePoints.length);
        byte[] utf32 = new byte[width * 4];
        MemorySegment.copy(codePoints, 0, MemorySegment.ofArray(utf32), I32, 0, codePoints.length);
        byte[] header = header("<U" + width, "()");
        CRC32 crc = new CRC32();
        crc.update(header);
        crc.update(utf32);
        begin(name, header.length + (long) utf32.length, crc.getValue());
        zip.write(header);
        zip.write(utf32);
        zip.closeEntry();
    }

    /** Writes the zip's central directory; the stream given to the constructor stays open. */
    public void finish() throws IOException {
        zip.finish();
    }

    private void array(String name, String descr, ValueLayout from, ValueLayout to, MemorySegment data, long count) throws IOException {
        Objects.requireNonNull(data, "data");
        long holds = data.byteSize() / from.byteSize();
        // Compared in elements: count * size overflows for a count near 2^62, and a wrapped byte size fitted the segment.
        if (count < 0 || count > holds) {
            throw new IllegalArgumentException("array '" + name + "': " + count + " elements asked, the segment holds " + holds);
        }
        long bytes = count * from.byteSize();
        byte[] header = header(descr, "(" + count + ",)");
        // A stored entry's checksum goes before its data: one pass to compute it, one to write.
        CRC32 crc = new CRC32();
        crc.update(header);
        for (long off = 0; off < bytes; off += CHUNK) crc.update(chunk, 0, littleEndian(data, off, bytes, from, to));
        begin(name, header.length + bytes, crc.getValue());
        zip.write(header);
        for (long off = 0; off < bytes; off += CHUNK) zip.write(chunk, 0, littleEndian(data, off, bytes, from, to));
        zip.closeEntry();
    }

    // Copies the elements of data[off, min(off + CHUNK, bytes)) into chunk, little-endian; returns the bytes copied.
    private int littleEndian(MemorySegment data, long off, long bytes, ValueLayout from, ValueLayout to) {
        int n = (int) Math.min(CHUNK, bytes - off);
        MemorySegment.copy(data, from, off, MemorySegment.ofArray(chunk), to, 0, n / from.byteSize());
        return n;
    }

    private void begin(String name, long size, long crc) throws IOException {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || !names.add(name)) throw new IllegalArgumentException("array name '" + name + "' is empty or already written");
        ZipEntry e = new ZipEntry(name + ".npy");
        e.setMethod(ZipEntry.STORED);
        e.setSize(size);
        e.setCompressedSize(size);
        e.setCrc(crc);
        e.setTimeLocal(DATE);
        zip.putNextEntry(e);
    }

    // The .npy 1.0 preamble: magic, version, header length, then the header dict padded with spaces and ended by a newline.
    private static byte[] header(String descr, String shape) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = 10 + dict.length() + 1;
        int total = (unpadded + 63) / 64 * 64;
        byte[] h = new byte[total];
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
        System.arraycopy(magic, 0, h, 0, magic.length);
        int len = total - 10;
        h[8] = (byte) len;
        h[9] = (byte) (len >>> 8);
        byte[] d = dict.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(d, 0, h, 10, d.length);
        for (int i = 10 + d.length; i < total - 1; i++) h[i] = ' ';
        h[total - 1] = '\n';
        return h;
    }
}
