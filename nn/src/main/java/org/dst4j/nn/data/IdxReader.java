package org.dst4j.nn.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
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
        long imagesLength = contentLength(images), labelsLength = contentLength(labels);
        try (InputStream ii = open(images); InputStream li = open(labels)) {
            return read(name, ii, images.toString(), li, labels.toString(), like, likeName, imagesLength, labelsLength);
        } catch (IOException e) {
            throw new DataFormatException("cannot read " + images + " / " + labels + ": " + e.getMessage(), e);
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
        return read(name, images, imagesName, labels, labelsName, like, likeName, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    // imagesLength, labelsLength: the bytes each stream holds (decompressed), Long.MAX_VALUE when unknown.
    private static Dataset read(String name, InputStream images, String imagesName, InputStream labels, String labelsName,
                                Dataset like, String likeName, long imagesLength, long labelsLength) throws DataFormatException, IOException {
        // Read one after the other, so a failing stream (a corrupt .gz) is named alone.
        int[] y;
        try {
            y = readLabels(maybeGunzip(labels), labelsName, labelsLength);
        } catch (IOException e) {
            throw new DataFormatException(labelsName + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return readImages(name, maybeGunzip(images), imagesName, imagesLength, y, labelsName, like, likeName);
        } catch (IOException e) {
            throw new DataFormatException(imagesName + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Dataset readImages(String name, InputStream images, String imagesName, long length, int[] y, String labelsName,
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
            throw new DataFormatException(imagesName + ": images of " + rows + " x " + cols + " pixels at byte 8 exceed 2^31 features, the most supported");
        }
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
        if (16 + (long) n * features > length) {
            long s = (length - 16) / features;
            throw new DataFormatException(imagesName + ": truncated at image " + s + " (byte " + (16 + s * features) + "), expected " + n + " images");
        }
        int classes = 10;
        for (int l : y) classes = Math.max(classes, l + 1);
        Dataset d = Dataset.allocate(name, n, features, y, classes, rows, cols);
        try {
            byte[] buf = new byte[n == 0 ? 0 : features]; // no images: the header's size is not in the file
            float[] row = new float[buf.length];
            for (int s = 0; s < n; s++) {
                try {
                    in.readFully(buf);
                } catch (EOFException e) {
                    throw new DataFormatException(imagesName + ": truncated at image " + s + " (byte " + (16 + (long) s * features) + "), expected " + n + " images");
                }
                for (int f = 0; f < features; f++) row[f] = (buf[f] & 0xff) / 255f;
                java.lang.foreign.MemorySegment.copy(row, 0, d.features(s), java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, features);
            }
            if (in.read() != -1) throw new DataFormatException(imagesName + ": unexpected bytes after " + n + " images (byte " + (16 + (long) n * features) + ")");
            return d;
        } catch (DataFormatException | IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    private static int[] readLabels(InputStream raw, String name, long length) throws DataFormatException, IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16));
        int magic = readInt(in, name, 0);
        if (magic != LABELS_MAGIC) {
            throw new DataFormatException(name + ": wrong magic 0x" + Integer.toHexString(magic) + " at byte 0, expected 0x00000801 (IDX unsigned-byte labels)");
        }
        int n = readInt(in, name, 4);
        if (n < 0) throw new DataFormatException(name + ": negative label count " + n + " at byte 4");
        // Before allocating: a count of 2^31 - 1 in a file of a few bytes was a 2 GB array (or an OutOfMemoryError).
        if (8 + (long) n > length) throw new DataFormatException(name + ": truncated, expected " + n + " labels after byte 8");
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

    /**
     * The bytes {@code p} holds once decompressed, for checking a header's counts before allocating for them: its
     * size, or for gzip the length of its content (inflated once more, a fraction of the time the read takes).
     */
    private static long contentLength(Path p) throws DataFormatException {
        try (InputStream raw = open(p)) {
            InputStream in = maybeGunzip(raw);
            return in instanceof GZIPInputStream ? in.transferTo(java.io.OutputStream.nullOutputStream()) : Files.size(p);
        } catch (IOException e) {
            throw new DataFormatException(p + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static InputStream open(Path p) throws IOException {
        return Files.newInputStream(p);
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
