package org.dst4j.nn.io;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.CRC32C;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.resource.Closing;

/**
 * The dst4j checkpoint/model file: one versioned binary file.
 *
 * <pre>
 * "DST4JCKP"            8 bytes magic
 * version               u32 (big-endian, as every integer of the framing)
 * header length, bytes  u32, UTF-8 JSON (config, training state, provenance)
 * header CRC32C         u32
 * tensor count          u32
 * per tensor: name length u16, name UTF-8, dtype u8, rank u8, dims i64 x rank, byte length i64,
 *             data (little-endian elements), CRC32C u32 of the descriptor (name to byte length) and data
 * </pre>
 *
 * Written atomically (temp file + rename). The reader trusts nothing: every length is checked against
 * what remains of the file before anything is allocated, every CRC is verified, and on any error what
 * was allocated is freed and an {@link IOException} names the file, the byte offset and the problem.
 */
public final class CheckpointFile {
    private static final byte[] MAGIC = "DST4JCKP".getBytes(StandardCharsets.US_ASCII);
    /** The format version this code writes and reads. */
    public static final int VERSION = 1;
    private static final int MAX_HEADER = 64 << 20;
    private static final int MAX_NAME = 1024;
    private static final int MAX_RANK = 8;
    private static final int MAX_TENSORS = 1 << 20;

    private CheckpointFile() {}

    /** Element types. */
    public enum DType {
        /** 32-bit float. */
        F32(4),
        /** 32-bit signed integer. */
        I32(4),
        /** 64-bit signed integer. */
        I64(8),
        /** Unsigned byte. */
        U8(1);

        final int size;

        DType(int size) {
            this.size = size;
        }

        /** Bytes per element. */
        public int size() { return size; }
    }

    /** A named tensor to write or that was read; {@code data} holds {@code product(shape) * dtype.size} bytes. */
    public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
        /** Checks that {@code data} holds exactly the shape's elements. */
        public Tensor {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(shape, "shape");
            Objects.requireNonNull(data, "data");
            long n = 1;
            for (long d : shape) n *= d;
            if (n * dtype.size != data.byteSize()) {
                throw new IllegalArgumentException("tensor '" + name + "': " + data.byteSize() + " bytes for shape " + Arrays.toString(shape) + " of " + dtype);
            }
        }

        /** A one-dimensional float tensor viewing {@code a}. */
        public static Tensor of(String name, float[] a) {
            return new Tensor(name, DType.F32, new long[] {a.length}, MemorySegment.ofArray(a));
        }

        /** A one-dimensional int tensor viewing {@code a}. */
        public static Tensor of(String name, int[] a) {
            return new Tensor(name, DType.I32, new long[] {a.length}, MemorySegment.ofArray(a));
        }

        /** A one-dimensional tensor of {@code data}'s elements of type {@code dtype}. */
        public static Tensor of(String name, DType dtype, MemorySegment data) {
            return new Tensor(name, dtype, new long[] {data.byteSize() / dtype.size}, data);
        }

        /** Number of elements. */
        public long elements() { return data.byteSize() / dtype.size; }

        /** The data, after checking that its elements are of type {@code t}. */
        public MemorySegment data(DType t) { return require(t).data; }

        /** A copy of the elements, which must be {@code F32}. */
        public float[] toFloatArray() { return require(DType.F32).data.toArray(ValueLayout.JAVA_FLOAT); }

        /** A copy of the elements, which must be {@code I32}. */
        public int[] toIntArray() { return require(DType.I32).data.toArray(ValueLayout.JAVA_INT); }

        /** A copy of the elements, which must be {@code I64}. */
        public long[] toLongArray() { return require(DType.I64).data.toArray(ValueLayout.JAVA_LONG); }

        private Tensor require(DType t) {
            if (dtype != t) throw new IllegalArgumentException("tensor '" + name + "' is " + dtype + ", expected " + t);
            return this;
        }
    }

    /** A file's header and tensors; owns the tensors' memory. */
    public static final class Checkpoint implements AutoCloseable {
        private final Map<String, Object> header;
        private final Map<String, Tensor> tensors;
        private final Arena arena;
        private final String file;

        private Checkpoint(String file, Map<String, Object> header, Map<String, Tensor> tensors, Arena arena) {
            this.file = file;
            this.header = header;
            this.tensors = tensors;
            this.arena = arena;
        }

        /** The file's JSON header. */
        public Map<String, Object> header() { return header; }

        /** The tensors' names, in file order. */
        public List<String> names() { return List.copyOf(tensors.keySet()); }

        /** Whether the file holds a tensor of that name. */
        public boolean has(String name) { return tensors.containsKey(name); }

        /** The tensor of that name, or an error naming the file and the tensor. */
        public Tensor tensor(String name) throws IOException {
            Tensor t = tensors.get(name);
            if (t == null) throw new IOException(file + ": no tensor '" + name + "'");
            return t;
        }

        /** Frees the tensors. Closing again does nothing. */
        @Override
        public synchronized void close() {
            if (arena.scope().isAlive()) arena.close();
        }
    }

    /**
     * Writes header and tensors atomically.
     *
     * @throws IllegalArgumentException if two tensors have the same name, or a name is over 1024 bytes of UTF-8
     *     (nothing is then written)
     */
    public static void write(Path file, Map<String, Object> header, List<Tensor> tensors) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(tensors, "tensors");
        Set<String> names = new HashSet<>();
        for (Tensor t : tensors) {
            // the reader refuses a file with a name twice: it was written all the same, a checkpoint no load opened
            if (!names.add(t.name())) throw new IllegalArgumentException("writing " + file + ": tensor '" + t.name() + "' given twice");
        }
        byte[] h = Json.write(header).getBytes(StandardCharsets.UTF_8);
        // refused here rather than written as a file no reader opens (a SpaceNet checkpoint's header grows with its network)
        if (h.length > MAX_HEADER) {
            throw new IOException("writing " + file + ": a header of " + h.length + " bytes, over the " + (MAX_HEADER >> 20) + " MiB a dst4j file's header may hold");
        }
        AtomicFiles.write(file, raw -> {
            DataOutputStream out = new DataOutputStream(raw);
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(h.length);
            out.write(h);
            out.writeInt(crc(h));
            out.writeInt(tensors.size());
            byte[] chunk = new byte[1 << 20];
            for (Tensor t : tensors) {
                byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
                if (name.length > MAX_NAME) throw new IllegalArgumentException("tensor name too long: " + t.name());
                ByteArrayOutputStream descriptor = new ByteArrayOutputStream();
                DataOutputStream d = new DataOutputStream(descriptor);
                d.writeShort(name.length);
                d.write(name);
                d.writeByte(t.dtype().ordinal());
                d.writeByte(t.shape().length);
                for (long dim : t.shape()) d.writeLong(dim);
                d.writeLong(t.data().byteSize());
                out.write(descriptor.toByteArray());
                CRC32C crc = new CRC32C();
                crc.update(descriptor.toByteArray());
                for (long off = 0; off < t.data().byteSize(); off += chunk.length) {
                    int n = (int) Math.min(chunk.length, t.data().byteSize() - off);
                    MemorySegment.copy(t.data(), ValueLayout.JAVA_BYTE, off, chunk, 0, n);
                    crc.update(chunk, 0, n);
                    out.write(chunk, 0, n);
                }
                out.writeInt((int) crc.getValue());
            }
            out.flush();
        });
    }

    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }

    /**
     * Reads and validates a whole file.
     *
     * @throws java.io.InterruptedIOException naming the file if the thread is interrupted (the file
     *     channel then closes); the interrupt flag stays set
     * @throws IOException naming the file, for a missing, unreadable or invalid file
     */
    public static Checkpoint read(Path file) throws IOException {
        try (Index ix = open(file)) {
            return ix.readAll();
        }
    }

    /**
     * Opens a file and reads its header and tensor index, but no tensor's data: {@link Index#readInto}
     * then reads each tensor straight into memory the caller owns, so a model is never held twice. The
     * framing is checked here as {@link #read(Path)} checks it; each tensor's CRC when it is read
     * ({@link Index#verifyUnread} checks the rest).
     *
     * @throws java.io.InterruptedIOException naming the file if the thread is interrupted
     * @throws IOException naming the file, for a missing, unreadable or invalid file
     */
    public static Index open(Path file) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) throw new IOException(file + ": checkpoints need a little-endian machine");
        // Linux opens a directory for reading; the first read then fails with "Is a directory" and no path.
        if (Files.isDirectory(file)) throw new IOException(file + ": a directory, not a checkpoint file");
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        } catch (ClosedByInterruptException e) {
            throw AtomicFiles.interrupted(file.toString(), e);
        }
        try {
            return index(new Reader(ch::read, ch.size(), file.toString()), ch);
        } catch (ClosedByInterruptException e) {
            Closing.after(e, () -> closeQuietly(ch));
            throw AtomicFiles.interrupted(file.toString(), e);
        } catch (IOException | RuntimeException | Error e) {
            Closing.after(e, () -> closeQuietly(ch));
            throw e;
        }
    }

    // Closing a read-only channel after a failure: its own error would only hide the one that matters.
    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing was written
        }
    }

    /**
     * Reads and validates a whole file from a stream, such as a model shipped as a class-path resource
     * ({@code getResourceAsStream}), for up to 2 GB; larger files are read from a {@link Path}. The
     * stream is read to its end (only its first 8 bytes when they are not a model's) but not closed; its
     * bytes are held on the Java heap until the tensors are copied off it (a {@link Path} is read straight
     * into off-heap memory).
     *
     * @param name what the errors call the stream (the resource's name, say)
     * @throws java.io.InterruptedIOException naming {@code name} if reading the stream is interrupted
     * @throws IOException naming {@code name}, for an unreadable, invalid or too large stream
     */
    public static Checkpoint read(InputStream in, String name) throws IOException {
        try (Index ix = open(in, name)) {
            return ix.readAll();
        }
    }

    /**
     * Reads a stream whole (up to 2 GB) onto the Java heap and indexes it as {@link #open(Path)} indexes a
     * file; {@link Index#readInto} then copies each tensor off the heap into memory the caller owns. The
     * stream is read to its end (only its first 8 bytes when they are not a model's) but not closed.
     *
     * @param name what the errors call the stream (the resource's name, say)
     * @throws java.io.InterruptedIOException naming {@code name} if reading the stream is interrupted
     * @throws IOException naming {@code name}, for an unreadable, invalid or too large stream
     */
    public static Index open(InputStream in, String name) throws IOException {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(name, "name");
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) throw new IOException(name + ": checkpoints need a little-endian machine");
        byte[] all;
        int size = 0;
        boolean more = false;
        try {
            // The magic first: 200 MB of something else was read whole onto the heap (an OutOfMemoryError at -Xmx64m) before
            // the index said it was no model. Its 8 bytes then go to the index, which names what it found.
            byte[] head = in.readNBytes(MAGIC.length);
            boolean model = Arrays.equals(head, MAGIC);
            // A file's stream tells its length: one array of it (and a byte to see the end), not a doubling series.
            all = model ? new byte[(int) Math.max(1 << 16, Math.min(MAX_STREAM, in.available() + MAGIC.length + 1L))] : head;
            System.arraycopy(head, 0, all, 0, head.length);
            size = head.length;
            // In reads of at most 1 MB: a file's stream read the whole model in one call, through a temporary direct buffer
            // of the model's size that the JDK then keeps for the thread (40 MB of native memory per thread for a 40 MB model).
            while (model) {
                if (size == all.length) {
                    if (size == MAX_STREAM) {
                        more = in.read() >= 0;
                        break;
                    }
                    all = Arrays.copyOf(all, (int) Math.min(MAX_STREAM, 2L * size));
                }
                int got = in.read(all, size, Math.min(all.length - size, 1 << 20));
                if (got < 0) break;
                size += got;
            }
        } catch (InterruptedIOException | ClosedByInterruptException e) {
            throw AtomicFiles.interrupted(name, e);
        } catch (IOException e) {
            // the stream's own error ("Connection reset", a jar's "invalid stored block lengths") names no stream
            throw new IOException(name + ": cannot read: " + e.getMessage(), e);
        }
        if (more) throw new IOException(name + ": larger than " + MAX_STREAM + " bytes; read a file this large from its path");
        byte[] bytes = all;
        long length = size;
        return index(new Reader((b, at) -> {
            if (at >= length) return -1;
            int n = (int) Math.min(b.remaining(), length - at);
            b.put(bytes, (int) at, n);
            return n;
        }, length, name), null);
    }

    // Java arrays hold at most a little under 2^31 bytes.
    private static final int MAX_STREAM = Integer.MAX_VALUE - 8;

    private static Index index(Reader r, Closeable channel) throws IOException {
        byte[] magic = r.bytes(8, "magic");
        if (!Arrays.equals(magic, MAGIC)) throw r.error(0, "not a dst4j model or checkpoint file (bad magic)");
        int version = r.u32("version");
        if (version > VERSION) throw r.error(8, "written by a newer dst4j (format version " + version + ", this one reads " + VERSION + ")");
        if (version < 1) throw r.error(8, "bad format version " + version);
        long at = r.pos;
        int hLen = r.u32("header length");
        if (hLen < 0 || hLen > r.remaining()) throw r.error(at, "header length " + hLen + " exceeds the file");
        if (hLen > MAX_HEADER) throw r.error(at, "header length " + hLen + " is over the " + (MAX_HEADER >> 20) + " MiB limit");
        long hAt = r.pos;
        byte[] h = r.bytes(hLen, "header");
        int hCrc = r.u32("header CRC32C");
        if (hCrc != crc(h)) throw r.error(hAt, "header CRC32C mismatch (file corrupted)");
        Map<String, Object> header;
        try {
            header = Json.parseObject(new String(h, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw r.error(hAt, "header is not valid JSON: " + e.getMessage());
        }
        at = r.pos;
        int count = r.u32("tensor count");
        if (count < 0 || count > MAX_TENSORS) throw r.error(at, "tensor count " + count + " out of range");
        Map<String, Located> entries = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            long tAt = r.pos;
            int nameLen = r.u16("tensor name length");
            if (nameLen > MAX_NAME) throw r.error(tAt, "tensor name length " + nameLen + " too long");
            String name = new String(r.bytes(nameLen, "tensor name"), StandardCharsets.UTF_8);
            int dt = r.u8("dtype of '" + name + "'");
            if (dt >= DType.values().length) throw r.error(r.pos - 1, "tensor '" + name + "': unknown dtype " + dt);
            DType dtype = DType.values()[dt];
            int rank = r.u8("rank of '" + name + "'");
            if (rank > MAX_RANK) throw r.error(r.pos - 1, "tensor '" + name + "': rank " + rank + " too large");
            long[] shape = new long[rank];
            long elements = 1;
            for (int d = 0; d < rank; d++) {
                shape[d] = r.i64("shape of '" + name + "'");
                if (shape[d] < 0) throw r.error(r.pos - 8, "tensor '" + name + "': negative dimension " + shape[d]);
                elements = shape[d] == 0 ? 0 : (elements > Long.MAX_VALUE / shape[d] ? -1 : elements * shape[d]);
                if (elements < 0) throw r.error(r.pos - 8, "tensor '" + name + "': dimensions overflow");
            }
            long lenAt = r.pos;
            long bytes = r.i64("byte length of '" + name + "'");
            if (elements > Long.MAX_VALUE / dtype.size || bytes != elements * dtype.size) {
                throw r.error(lenAt, "tensor '" + name + "': byte length " + bytes + " does not match its shape " + Arrays.toString(shape) + " of " + dtype);
            }
            if (bytes > r.remaining() - 4) throw r.error(lenAt, "tensor '" + name + "': " + bytes + " bytes of data but the file has " + Math.max(0, r.remaining() - 4) + " left (truncated?)");
            if (entries.containsKey(name)) throw r.error(tAt, "duplicate tensor '" + name + "'");
            long dataAt = r.pos;
            r.pos += bytes;
            int stored = r.u32("CRC32C of '" + name + "'");
            entries.put(name, new Located(new Entry(name, dtype, shape, bytes), tAt, dataAt, stored));
        }
        if (r.remaining() != 0) throw r.error(r.pos, r.remaining() + " unexpected bytes after the last tensor");
        return new Index(r, Collections.unmodifiableMap(header), entries, channel);
    }

    /**
     * One tensor as a file describes it, before its data is read.
     *
     * @param name the tensor's name, unique in its file
     * @param dtype the type of its elements
     * @param shape its dimensions
     * @param bytes the data's length: {@code product(shape) * dtype.size()}
     */
    public record Entry(String name, DType dtype, long[] shape, long bytes) {
        /** Number of elements. */
        public long elements() { return bytes / dtype.size; }
    }

    private static final class Located {
        final Entry entry;
        final long at;      // the descriptor's first byte: the CRC covers descriptor and data
        final long dataAt;
        final int crc;
        boolean read;

        Located(Entry entry, long at, long dataAt, int crc) {
            this.entry = entry;
            this.at = at;
            this.dataAt = dataAt;
            this.crc = crc;
        }
    }

    /**
     * A file's header and tensor index, its framing checked, its tensors' data not yet read (see
     * {@link #open(Path)}). Holds the file open until closed.
     */
    public static final class Index implements AutoCloseable {
        private final Reader r;
        private final Map<String, Object> header;
        private final Map<String, Located> entries;
        private final Closeable channel;
        private boolean closed;

        private Index(Reader r, Map<String, Object> header, Map<String, Located> entries, Closeable channel) {
            this.r = r;
            this.header = header;
            this.entries = entries;
            this.channel = channel;
        }

        /** The file's JSON header. */
        public Map<String, Object> header() { return header; }

        /** The tensors' names, in file order. */
        public List<String> names() { return List.copyOf(entries.keySet()); }

        /** Whether the file holds a tensor of that name. */
        public boolean has(String name) { return entries.containsKey(name); }

        /** The tensor of that name, or an error naming the file and the tensor. */
        public Entry entry(String name) throws IOException {
            Located l = entries.get(name);
            if (l == null) throw new IOException(r.file + ": no tensor '" + name + "'");
            return l.entry;
        }

        /**
         * Reads the tensor's data into {@code into} and checks its CRC.
         *
         * @param into off-heap memory, or a {@code byte[]}'s, writable, exactly the tensor's length
         * @throws IllegalArgumentException if {@code into} is not such a segment, or the entry is not this file's
         * @throws IllegalStateException naming the file, if the index is closed
         * @throws IOException naming the file and the byte offset, if the data does not match its CRC or cannot be read
         */
        public synchronized void readInto(Entry e, MemorySegment into) throws IOException {
            Located l = entries.get(e.name());
            if (l == null || l.entry != e) throw new IllegalArgumentException("tensor '" + e.name() + "' is not an entry of " + r.file);
            if (into.byteSize() != e.bytes()) throw new IllegalArgumentException("tensor '" + e.name() + "' has " + e.bytes() + " bytes, expected " + into.byteSize());
            // Read through a ByteBuffer view, which only these segments have.
            if (into.isReadOnly() || into.heapBase().isPresent() && !(into.heapBase().get() instanceof byte[])) {
                throw new IllegalArgumentException("tensor '" + e.name() + "': read into off-heap memory or a byte[]'s, writable, not " + into);
            }
            check(l, into);
        }

        /**
         * The first CRC mismatch among the tensors not read yet, or null. A flipped bit in a tensor's descriptor
         * (its name, its type) first shows as a tensor missing or of the wrong type; this says whether the file is
         * damaged, which is the error to report then.
         */
        public synchronized IOException damage() {
            if (closed) return null;
            for (Located l : entries.values()) {
                if (l.read) continue;
                try {
                    if (!matches(l, null)) return mismatch(l);
                } catch (IOException e) {
                    return null; // unreadable (an interrupt closed the file, say): no verdict
                }
            }
            return null;
        }

        /**
         * Checks the CRC of every tensor not read yet, reading it through a small buffer: a file is checked
         * whole even when some of its tensors (say, optimizer state) are not needed.
         */
        public synchronized void verifyUnread() throws IOException {
            for (Located l : entries.values()) {
                if (l.read) continue;
                check(l, null);
            }
        }

        private void check(Located l, MemorySegment into) throws IOException {
            if (closed) throw new IllegalStateException(r.file + ": the file's index is closed");
            if (!matches(l, into)) throw mismatch(l);
            l.read = true;
        }

        // Whether descriptor and data match the stored CRC; into null: the data is only read, a chunk at a time.
        private boolean matches(Located l, MemorySegment into) throws IOException {
            CRC32C crc = new CRC32C();
            try {
                crc.update(r.reread(l.at, (int) (l.dataAt - l.at)));
                return (into != null ? r.into(l.dataAt, into, crc) : r.crcOf(l.dataAt, l.entry.bytes(), crc)) == l.crc;
            } catch (ClosedByInterruptException e) {
                throw AtomicFiles.interrupted(r.file, e);
            }
        }

        private IOException mismatch(Located l) {
            return r.error(l.at, "tensor '" + l.entry.name() + "': CRC32C mismatch (file corrupted)");
        }

        // Every tensor into one arena of its own, in file order.
        private Checkpoint readAll() throws IOException {
            Arena arena = OffHeap.newShared();
            try {
                Map<String, Tensor> tensors = new LinkedHashMap<>();
                for (Located l : entries.values()) {
                    Entry e = l.entry;
                    MemorySegment data = arena.allocate(Math.max(1, e.bytes()), 8).asSlice(0, e.bytes());
                    check(l, data);
                    tensors.put(e.name(), new Tensor(e.name(), e.dtype(), e.shape(), data));
                }
                return new Checkpoint(r.file, header, tensors, arena);
            } catch (Throwable e) {
                // An Error too (no memory for a large tensor): the tensors read so far are freed.
                Closing.after(e, arena::close);
                throw e;
            }
        }

        /** Closes the file. Closing again does nothing. */
        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            // Read only: a failure to close loses nothing, and must not lose what was loaded from it.
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // nothing was written
                }
            }
        }
    }

    // Positional reads of a file channel or of bytes read from a stream.
    private interface Source {
        int read(ByteBuffer into, long at) throws IOException;
    }

    private static final class Reader {
        final Source ch;
        final String file;
        final long size;
        long pos;

        Reader(Source ch, long size, String file) {
            this.ch = ch;
            this.file = file;
            this.size = size;
        }

        long remaining() { return size - pos; }

        IOException error(long at, String what) {
            return new IOException(file + ": " + what + " at byte " + at);
        }

        byte[] bytes(int n, String what) throws IOException {
            if (n > remaining()) throw error(pos, "truncated: " + what + " needs " + n + " bytes, " + remaining() + " left");
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining()) {
                if (ch.read(b, pos + b.position()) < 0) throw error(pos, "truncated in " + what);
            }
            pos += n;
            return b.array();
        }

        int u8(String what) throws IOException { return bytes(1, what)[0] & 0xff; }

        int u16(String what) throws IOException { return ByteBuffer.wrap(bytes(2, what)).getShort() & 0xffff; }

        int u32(String what) throws IOException { return ByteBuffer.wrap(bytes(4, what)).getInt(); }

        long i64(String what) throws IOException { return ByteBuffer.wrap(bytes(8, what)).getLong(); }

        // Bytes already read again (a tensor descriptor, for its CRC).
        byte[] reread(long from, int n) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining()) {
                if (ch.read(b, from + b.position()) < 0) throw error(from, "truncated");
            }
            return b.array();
        }

        // Reads exactly data.byteSize() bytes (already checked to fit) from byte `at` into data, adding them to crc; returns crc's value.
        int into(long at, MemorySegment data, CRC32C crc) throws IOException {
            long n = data.byteSize();
            for (long off = 0; off < n; ) {
                ByteBuffer b = data.asSlice(off, Math.min(1 << 30, n - off)).asByteBuffer();
                fill(b, at + off);
                b.flip();
                crc.update(b);
                off += b.limit();
            }
            return (int) crc.getValue();
        }

        // The CRC of n bytes from byte `at` (already checked to fit), read through a small buffer.
        int crcOf(long at, long n, CRC32C crc) throws IOException {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(1 << 16, Math.max(1, n)));
            for (long off = 0; off < n; ) {
                b.clear().limit((int) Math.min(b.capacity(), n - off));
                fill(b, at + off);
                b.flip();
                crc.update(b);
                off += b.limit();
            }
            return (int) crc.getValue();
        }

        private void fill(ByteBuffer b, long at) throws IOException {
            int start = b.position();
            while (b.hasRemaining()) {
                int got = ch.read(b, at + b.position() - start);
                if (got < 0) throw error(at + b.position() - start, "truncated tensor data");
            }
        }
    }

    /** Convenience: an ordered map for headers. */
    public static Map<String, Object> header() {
        return new LinkedHashMap<>();
    }
}
