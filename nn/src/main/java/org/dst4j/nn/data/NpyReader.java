package org.dst4j.nn.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads NumPy {@code .npy} arrays (format versions 1–3, C or Fortran order) of float32, float64, uint8 and the
 * signed/unsigned integer types, either byte order. Feature arrays are {@code (samples, features...)};
 * trailing dimensions are flattened and uint8 features are scaled to [0, 1] as IDX images are.
 * Label arrays are {@code (samples,)} or {@code (samples, 1)} of integer class indices.
 */
final class NpyReader {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-zA-Z])(\\d+)'");
    // Any descr value, to name an unsupported one: a type string ('|O', '<M8[ns]') or a structured list.
    private static final Pattern DESCR_ANY = Pattern.compile("'descr'\\s*:\\s*('[^']*'|\\[.*\\])");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyReader() {}

    /** An array as read: its shape, NumPy type code (e.g. {@code f4}, {@code u1}) and values as floats. */
    public record NpyArray(String source, long[] shape, String type, float[] values) {}

    /** Features from {@code features}, labels from {@code labels}; {@code classes} 0 means {@code max label + 1}. */
    public static Dataset read(String name, Path features, Path labels, int classes) throws DataFormatException {
        LabeledRows rows = rows(features, labels);
        return rows.toDataset(name, rows.classes(classes));
    }

    /**
     * Samples without labels from {@code features} (as to predict on), scaled as {@link #read(String, Path, Path, int)}
     * scales them; labels of the returned dataset are 0 of one class.
     */
    public static Dataset readUnlabeled(String name, Path features) throws DataFormatException {
        return unlabeled(name, read(features), features.toString());
    }

    static Dataset unlabeled(String name, NpyArray x, String features) throws DataFormatException {
        if (x.shape().length < 2 || x.shape()[0] == 0) {
            throw new DataFormatException(features + ": shape " + Arrays.toString(x.shape()) + ", expected (samples, features...) with at least one sample");
        }
        int n = (int) x.shape()[0];
        if (x.values().length / n == 0) throw new DataFormatException(features + ": shape " + Arrays.toString(x.shape()) + " holds no features");
        scaleBytes(x);
        int rows = x.shape().length == 3 ? (int) x.shape()[1] : 0, cols = x.shape().length == 3 ? (int) x.shape()[2] : 0;
        return new LabeledRows(features, x.values(), n, x.values().length / n, new int[n], rows, cols).toDataset(name, 1);
    }

    // Bytes are pixels: 0..255 becomes 0..1, in training and prediction alike.
    private static void scaleBytes(NpyArray x) {
        if (x.type().equals("u1")) {
            float[] v = x.values();
            for (int i = 0; i < v.length; i++) v[i] /= 255f;
        }
    }

    static LabeledRows rows(Path features, Path labels) throws DataFormatException {
        NpyArray x = read(features);
        NpyArray y = read(labels, true);
        if (x.shape().length < 2) {
            throw new DataFormatException(features + ": shape " + Arrays.toString(x.shape()) + ", expected (samples, features...) with at least 2 dimensions");
        }
        if (y.shape().length != 1 && !(y.shape().length == 2 && y.shape()[1] == 1)) {
            throw new DataFormatException(labels + ": shape " + Arrays.toString(y.shape()) + ", expected (samples,) or (samples, 1)");
        }
        int n = (int) x.shape()[0];
        if (n == 0) throw new DataFormatException(features + ": shape " + Arrays.toString(x.shape()) + " holds no samples; expected at least one");
        if (y.shape()[0] != n) {
            throw new DataFormatException(features + ": " + n + " samples but " + labels + " has " + y.shape()[0] + " labels");
        }
        int featureCount = n == 0 ? 0 : x.values().length / n;
        // As for unlabeled samples; left to the layer check it read as a sparsity problem (raise --epsilon).
        if (featureCount == 0) throw new DataFormatException(features + ": shape " + Arrays.toString(x.shape()) + " holds no features");
        scaleBytes(x);
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            float v = y.values()[i];
            if (v != Math.rint(v) || v < 0 || v >= (1 << 24)) {
                throw new DataFormatException(labels + ": element " + i + " is " + v + ", not a class index (an integer in [0, 2^24))");
            }
            l[i] = (int) v;
        }
        int rows = x.shape().length == 3 ? (int) x.shape()[1] : 0, cols = x.shape().length == 3 ? (int) x.shape()[2] : 0;
        return new LabeledRows(features.toString(), x.values(), n, featureCount, l, rows, cols);
    }

    /** One array, any supported type. Errors name the file and byte offset. */
    public static NpyArray read(Path file) throws DataFormatException {
        return read(file, false);
    }

    // labels: float64 elements are checked as class indices before they are narrowed to float, which rounded 0.99999999 to 1.
    private static NpyArray read(Path file, boolean labels) throws DataFormatException {
        try (InputStream raw = Files.newInputStream(file)) {
            return read(raw, file.toString(), Files.size(file), labels);
        } catch (IOException e) {
            throw new DataFormatException(file + ": cannot read: " + IdxReader.why(e), e);
        }
    }

    // length: the bytes the stream holds, against which the header's shape is checked before allocating for it.
    static NpyArray read(InputStream raw, String source, long length) throws DataFormatException, IOException {
        return read(raw, source, length, false);
    }

    private static NpyArray read(InputStream raw, String source, long length, boolean labels) throws DataFormatException, IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16));
        // Read what there is: a short file that is no .npy at all (a CSV of a few bytes, an empty file) was reported as a
        // truncated .npy header.
        byte[] magic = in.readNBytes(8);
        if (magic.length == 0) throw new DataFormatException(source + ": empty file, expected a .npy array");
        if (!Arrays.equals(Arrays.copyOf(magic, 6), MAGIC)) {
            throw new DataFormatException(source + ": wrong magic at byte 0, expected \\x93NUMPY (a .npy file)");
        }
        if (magic.length < 8) throw new DataFormatException(source + ": truncated header at byte " + magic.length);
        int major = magic[6];
        if (major < 1 || major > 3) throw new DataFormatException(source + ": unsupported .npy format version " + major + " at byte 6, expected 1, 2 or 3");
        int lenBytes = major == 1 ? 2 : 4;
        byte[] len = new byte[lenBytes];
        readFully(in, len, source, 8, "header length");
        ByteBuffer lb = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = major == 1 ? Short.toUnsignedInt(lb.getShort()) : Integer.toUnsignedLong(lb.getInt());
        if (headerLen > 1 << 20) throw new DataFormatException(source + ": header length " + headerLen + " at byte 8 is implausible");
        byte[] hb = new byte[(int) headerLen];
        readFully(in, hb, source, 8 + lenBytes, "header");
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        long dataStart = 8 + lenBytes + headerLen;

        Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
        Matcher any = DESCR_ANY.matcher(header);
        if (!d.find() && any.find()) {
            String descr = any.group(1);
            throw new DataFormatException(source + ": dtype " + DataFormatException.shown(descr) + (descr.startsWith("[") ? " (a structured array)" : descr.matches("'[<>|=]?O\\d*'") ? " (Python objects)" : "")
                    + " not supported; expected float32, float64 or an integer type (np.asarray(a, dtype=np.float32))");
        }
        if (!d.find(0) || !f.find() || !s.find()) {
            throw new DataFormatException(source + ": malformed header at byte " + (8 + lenBytes) + " (expected 'descr', 'fortran_order' and 'shape'): " + DataFormatException.shown(header.strip()));
        }
        boolean fortran = f.group(1).equals("True");
        char kind = d.group(2).charAt(0);
        String type = "" + kind + d.group(3);
        // By name: '<f99999999999' overflowed Integer.parseInt and escaped as a NumberFormatException.
        int size = switch (type) {
            case "f4", "u4", "i4" -> 4;
            case "f8", "u8", "i8" -> 8;
            case "u2", "i2" -> 2;
            case "u1", "i1" -> 1;
            default -> 0;
        };
        if (size == 0) {
            throw new DataFormatException(source + ": dtype '" + d.group(1) + type + "' not supported; expected float32, float64 or an integer type");
        }
        ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        long[] shape = parseShape(s.group(1), source);
        long count = 1;
        for (long dim : shape) {
            // Checked as it grows: a header's dimensions can multiply past even a long, and the file is to be named, not crash the reader.
            if (dim > 0 && count > (Integer.MAX_VALUE - 16) / dim) {
                throw new DataFormatException(source + ": shape " + DataFormatException.shown(s.group(1).strip()) + " holds more than " + (Integer.MAX_VALUE - 16) + " elements (2^31 - 17), the most supported per file");
            }
            count *= dim;
        }
        // Before allocating: a shape of a few hundred million elements in a small file allocated gigabytes first.
        if (dataStart + count * size > length) {
            long at = Math.max(0, length - dataStart) / size;
            throw new DataFormatException(source + ": truncated in the data at element " + at + " (byte " + (dataStart + at * size)
                    + "), expected " + count + " elements of " + type);
        }
        float[] values = new float[(int) count];
        byte[] buf = new byte[size * 8192];
        ByteBuffer bb = ByteBuffer.wrap(buf).order(order);
        for (int done = 0; done < count; ) {
            int chunk = (int) Math.min(8192, count - done);
            int got = in.readNBytes(buf, 0, chunk * size);
            if (got < chunk * size) {
                // The element where the bytes ran out, not the start of the 8192-element chunk.
                long at = done + got / size;
                throw new DataFormatException(source + ": truncated in the data at element " + at + " (byte " + (dataStart + at * size)
                        + "), expected " + count + " elements of " + type);
            }
            bb.clear();
            for (int i = 0; i < chunk; i++) {
                values[done + i] = switch (type) {
                    case "f4" -> bb.getFloat();
                    case "f8" -> {
                        // Read as a float: a finite double beyond its range became an infinity reported as if the file held one.
                        double v = bb.getDouble();
                        if (labels && (v != Math.rint(v) || v < 0 || v >= (1 << 24))) {
                            throw new DataFormatException(source + ": element " + (done + i) + " is " + v + ", not a class index (an integer in [0, 2^24))");
                        }
                        if (Double.isFinite(v) && Float.isInfinite((float) v)) {
                            throw new DataFormatException(source + ": element " + (done + i) + (fortran ? " (in the file's column-major order)" : "")
                                    + " is " + v + ", beyond a 32-bit float's range (±3.4e38)");
                        }
                        yield (float) v;
                    }
                    case "u1" -> bb.get() & 0xff;
                    case "i1" -> bb.get();
                    case "u2" -> bb.getShort() & 0xffff;
                    case "i2" -> bb.getShort();
                    case "u4" -> Integer.toUnsignedLong(bb.getInt());
                    case "i4" -> bb.getInt();
                    case "u8" -> unsigned(bb.getLong());
                    default -> bb.getLong();
                };
            }
            done += chunk;
        }
        if (in.read() != -1) throw new DataFormatException(source + ": unexpected bytes after " + count + " elements (byte " + (dataStart + count * size) + ")");
        // np.save writes a Fortran-ordered array (a transpose, a column selection) as it lies in memory; np.load
        // reads it, so it is read here too, and element i below is NumPy's a.flat[i].
        if (fortran) values = toRowMajor(values, shape);
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) throw new DataFormatException(source + ": element " + i + " is " + values[i] + "; expected finite values");
        }
        return new NpyArray(source, shape, type, values);
    }

    // Column-major (first index fastest) to row-major (last index fastest): walks the column-major order with an
    // odometer over the indices, keeping the row-major offset of the current element.
    static float[] toRowMajor(float[] columnMajor, long[] shape) {
        int k = shape.length;
        if (k < 2 || columnMajor.length == 0) return columnMajor;
        long[] stride = new long[k];
        stride[k - 1] = 1;
        for (int j = k - 2; j >= 0; j--) stride[j] = stride[j + 1] * shape[j + 1];
        float[] out = new float[columnMajor.length];
        long[] index = new long[k];
        long at = 0;
        for (float v : columnMajor) {
            out[(int) at] = v;
            for (int j = 0; j < k; j++) {
                if (++index[j] < shape[j]) {
                    at += stride[j];
                    break;
                }
                index[j] = 0;
                at -= (shape[j] - 1) * stride[j];
            }
        }
        return out;
    }

    // A uint64 above 2^63 has its sign bit set: read as a long it was negative.
    private static float unsigned(long v) {
        return v >= 0 ? v : ((v >>> 1) | (v & 1)) * 2f;
    }

    private static long[] parseShape(String text, String source) throws DataFormatException {
        String[] parts = text.split(",");
        long[] shape = new long[parts.length];
        int n = 0;
        for (String p : parts) {
            String t = p.strip();
            if (t.isEmpty()) continue;
            try {
                shape[n] = Long.parseLong(t.endsWith("L") ? t.substring(0, t.length() - 1) : t);
            } catch (NumberFormatException e) {
                throw new DataFormatException(source + ": bad shape (" + DataFormatException.shown(text) + ") in header");
            }
            if (shape[n++] < 0) throw new DataFormatException(source + ": negative dimension in shape (" + DataFormatException.shown(text) + ")");
        }
        return Arrays.copyOf(shape, n);
    }

    private static void readFully(DataInputStream in, byte[] b, String source, long offset, String what) throws DataFormatException, IOException {
        try {
            in.readFully(b);
        } catch (EOFException e) {
            throw new DataFormatException(source + ": truncated " + what + " at byte " + offset);
        }
    }
}
