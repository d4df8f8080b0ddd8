package org.dst4j.nn.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of the MNIST family (plain or gzip): unsigned-byte images become features in
 * [0, 1], unsigned-byte labels become class indices. Errors name the file and byte offset.
 */
final class IdxReader {
    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {}

    /** Images plus labels: a dataset with {@code rows*cols} features and {@code max label + 1} classes (at least 10 for MNIST-style files). */
    public static Dataset read(String name, Path images, Path labels) throws DataFormatException {
        return read(name, images, labels, null, null);
    }

    /**
     * As {@link #read(String, Path, Path)}, for images that must have the shape of {@code like}'s (a test set
     * read after its training set); {@code likeName} names {@code like}'s images file in the error.
     */
    public static Dataset read(String name, Path images, Path labels, Dataset like, String likeName) throws DataFormatException {
        try (InputStream ii = open(images); InputStream li = open(labels)) {
            return read(name, ii, images.toString(), li, labels.toString(), like, likeName, bytes -> lengthIfBelow(images, bytes), bytes -> lengthIfBelow(labels, bytes));
        } catch (IOException e) {
            throw new DataFormatException("cannot read " + images + " / " + labels + ": " + why(e), e);
        }
    }

    /** As {@link #read(String, Path, Path)} from streams (gzip is detected), each with the name used in errors. */
    public static Dataset read(String name, InputStream images, String imagesName, InputStream labels, String labelsName)
            throws DataFormatException, IOException {
        return read(name, images, imagesName, labels, labelsName, null, null);
    }

    /** As {@link #read(String, Path, Path, Dataset, String)} from streams. */
    public static Dataset read(String name, InputStream images, String imagesName, InputStream labels, String labelsName,
                               Dataset like, String likeName) throws DataFormatException, IOException {
        return read(name, images, imagesName, labels, labelsName, like, likeName, bytes -> -1, bytes -> -1);
    }

    // imagesShort, labelsShort: each stream's decompressed length when it is below the bytes asked about, else (or when unknown) -1.
    private static Dataset read(String name, InputStream images, String imagesName, InputStream labels, String labelsName,
                                Dataset like, String likeName, Shortfall imagesShort, Shortfall labelsShort) throws DataFormatException, IOException {
        // Read one after the other, so a failing stream (a corrupt .gz) is named alone.
        int[] y;
        try {
            y = readLabels(maybeGunzip(labels), labelsName, labelsShort);
        } catch (IOException e) {
            throw new DataFormatException(labelsName + ": cannot read: " + why(e), e);
        }
        try {
            return readImages(name, maybeGunzip(images), imagesName, imagesShort, y, labelsName, like, likeName);
        } catch (IOException e) {
            throw new DataFormatException(imagesName + ": cannot read: " + why(e), e);
        }
    }

    private static Dataset readImages(String name, InputStream images, String imagesName, Shortfall shortfall, int[] y, String labelsName,
                                      Dataset like, String likeName) throws DataFormatException, IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(images, 1 << 16));
        int magic = readInt(in, imagesName, 0);
        if (magic != IMAGES_MAGIC) {
            throw new DataFormatException(imagesName + ": wrong magic 0x" + Integer.toHexString(magic) + " at byte 0, expected 0x00000803 (IDX unsigned-byte images)");
        }
        int n = readInt(in, imagesName, 4), rows = readInt(in, imagesName, 8), cols = readInt(in, imagesName, 12);
        if (n < 0 || rows <= 0 || cols <= 0) throw new DataFormatException(imagesName + ": bad dimensions " + n + " x " + rows + " x " + cols + " at byte 4");
        // rows * cols wrapped (to 0 at 65536 x 65536) or went negative, which the dataset refused with a stack trace.
        if ((long) rows * cols > Integer.MAX_VALUE - 16) {
            throw new DataFormatException(imagesName + ": images of " + rows + " x " + cols + " pixels at byte 8 hold more than " + (Integer.MAX_VALUE - 16)
                    + " features (2^31 - 17), the most supported per image");
        }
        // As a CSV without rows or an .npy of no samples: trained on, none reached the training command's own check as a
        // stack trace; tested on, none scored an accuracy of 0.
        if (n == 0) throw new DataFormatException(imagesName + ": an image count of 0 at byte 4, expected at least one image");
        if (n != y.length) {
            throw new DataFormatException(imagesName + ": " + n + " images but " + labelsName + " has " + y.length + " labels");
        }
        // Checked from the header: the pixels need not be read, and a header that disagrees with its payload
        // is reported as the shape it claims rather than as bytes left over.
        if (like != null && (rows != like.imageRows() || cols != like.imageCols())) {
            throw new DataFormatException(imagesName + ": " + rows + "x" + cols + " images (" + (long) rows * cols + " features), but "
                    + likeName + " has " + like.imageRows() + "x" + like.imageCols() + " (" + like.features() + ")");
        }
        int features = rows * cols;
        // Before allocating: a flipped bit in the image size had gigabytes allocated (and zeroed) for a file of a few KB.
        long length = shortfall.lengthIfBelow(16 + (long) n * features);
        if (length >= 0) {
            long s = Math.max(0, length - 16) / features;
            throw new DataFormatException(imagesName + ": truncated at image " + s + " (byte " + (16 + s * features) + "), expected " + n + " images");
        }
        int classes = 10;
        for (int l : y) classes = Math.max(classes, l + 1);
        Dataset d = Dataset.allocate(name, n, features, y, classes, rows, cols);
        try {
            byte[] buf = new byte[features];
            float[] row = new float[buf.length];
            for (int s = 0; s < n; s++) {
                try {
                    in.readFully(buf);
                } catch (EOFException e) {
                    throw new DataFormatException(imagesName + ": truncated at image " + s + " (byte " + (16 + (long) s * features) + "), expected " + n + " images");
                }
                for (int f = 0; f < features; f++) row[f] = (buf[f] & 0xff) / 255f;
                MemorySegment.copy(row, 0, d.features(s), ValueLayout.JAVA_FLOAT, 0, features);
            }
            if (in.read() != -1) throw new DataFormatException(imagesName + ": unexpected bytes after " + n + " images (byte " + (16 + (long) n * features) + ")");
            return d;
        } catch (DataFormatException | IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    private static int[] readLabels(InputStream raw, String name, Shortfall shortfall) throws DataFormatException, IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16));
        int magic = readInt(in, name, 0);
        if (magic != LABELS_MAGIC) {
            throw new DataFormatException(name + ": wrong magic 0x" + Integer.toHexString(magic) + " at byte 0, expected 0x00000801 (IDX unsigned-byte labels)");
        }
        int n = readInt(in, name, 4);
        if (n < 0) throw new DataFormatException(name + ": negative label count " + n + " at byte 4");
        // Before allocating: a count of 2^31 - 1 in a file of a few bytes was a 2 GB array (or an OutOfMemoryError).
        if (shortfall.lengthIfBelow(8 + (long) n) >= 0) throw new DataFormatException(name + ": truncated, expected " + n + " labels after byte 8");
        byte[] b = new byte[n];
        try {
            in.readFully(b);
        } catch (EOFException e) {
            throw new DataFormatException(name + ": truncated, expected " + n + " labels after byte 8");
        }
        if (in.read() != -1) throw new DataFormatException(name + ": unexpected bytes after " + n + " labels (byte " + (8L + n) + ")");
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = b[i] & 0xff;
        return y;
    }

    /**
     * Up to the first {@code count} labels of an IDX labels file, read without loading the rest; empty when the
     * header is not a labels file's (the full read reports that).
     */
    static int[] firstLabels(Path labels, int count) throws IOException {
        try (InputStream raw = open(labels); DataInputStream in = new DataInputStream(maybeGunzip(raw))) {
            if (in.readInt() != LABELS_MAGIC) return new int[0];
            int n = in.readInt();
            byte[] b = in.readNBytes(Math.max(0, Math.min(n, count)));
            int[] y = new int[b.length];
            for (int i = 0; i < b.length; i++) y[i] = b[i] & 0xff;
            return y;
        } catch (EOFException e) {
            return new int[0];
        }
    }

    private static int readInt(DataInputStream in, String name, long offset) throws DataFormatException, IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            throw new DataFormatException(name + ": truncated header at byte " + offset);
        }
    }

    @FunctionalInterface
    private interface Shortfall {
        long lengthIfBelow(long bytes) throws IOException;
    }

    /**
     * The length of {@code p}'s content (decompressed) if it is below {@code bytes}, else -1: checked before
     * allocating what a header's counts ask for. A gzip file's trailer gives its content's length mod 2^32
     * (RFC 1952's ISIZE) and deflate expands at most 1032:1, so an honest file costs a 4-byte read; only a
     * count beyond what they vouch for (several gzip members, 4 GB or more, or a corrupt header) costs
     * inflating the file once more.
     */
    private static long lengthIfBelow(Path p, long bytes) throws IOException {
        long size = Files.size(p);
        boolean gzip;
        long trailer = -1;
        try (FileChannel ch = FileChannel.open(p)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            gzip = size >= 18 && ch.read(b.limit(2), 0) == 2 && (b.get(0) & 0xff) == 0x1f && (b.get(1) & 0xff) == 0x8b;
            if (gzip && ch.read(b.clear(), size - 4) == 4) trailer = b.getInt(0) & 0xffffffffL;
        }
        if (!gzip) return size < bytes ? size : -1;
        if (bytes <= trailer && bytes <= 1032 * size) return -1;
        // Two resources: a header GZIPInputStream refuses must not leave the file open.
        try (InputStream raw = open(p); InputStream in = maybeGunzip(raw)) {
            long length = in.transferTo(OutputStream.nullOutputStream());
            return length < bytes ? length : -1;
        }
    }

    private static InputStream open(Path p) throws IOException {
        return Files.newInputStream(p);
    }

    /**
     * What went wrong reading a file, for "F: cannot read: ...". GZIPInputStream reports a .gz file cut short in its
     * header or before its trailer as an EOFException without a message, which read "F: cannot read: null".
     */
    static String why(IOException e) {
        // A file system exception's message is the path again ("F: cannot read: F"): its reason is what to say.
        if (e instanceof NoSuchFileException) return "no such file";
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        if (e.getMessage() != null) return e.getMessage();
        return e instanceof EOFException ? "unexpected end of file (truncated?)" : e.getClass().getSimpleName();
    }

    /** {@code raw}, decompressed if it starts with gzip's magic. */
    static InputStream maybeGunzip(InputStream raw) throws IOException {
        BufferedInputStream b = new BufferedInputStream(raw, 1 << 16);
        b.mark(2);
        int a = b.read(), c = b.read();
        b.reset();
        return a == 0x1f && c == 0x8b ? new GZIPInputStream(b, 1 << 16) : b;
    }
}
