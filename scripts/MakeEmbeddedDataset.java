// Dev tool, not product code: writes the small Fashion-MNIST subset embedded in the jar.
// Usage: java scripts/MakeEmbeddedDataset.java <fashion-mnist dir> <output dir>
// Takes the first 300 training and first 100 test images of each class, in file order.
import java.io.*;
import java.nio.file.*;
import java.util.zip.*;

public class MakeEmbeddedDataset {
    public static void main(String[] a) throws IOException {
        Path in = Path.of(a[0]), out = Path.of(a[1]);
        subset(in, out, "train", 300);
        subset(in, out, "t10k", 100);
    }

    static byte[] gunzip(Path p) throws IOException {
        try (var s = new GZIPInputStream(Files.newInputStream(p))) { return s.readAllBytes(); }
    }

    static void subset(Path in, Path out, String split, int perClass) throws IOException {
        byte[] img = gunzip(in.resolve(split + "-images-idx3-ubyte.gz")), lab = gunzip(in.resolve(split + "-labels-idx1-ubyte.gz"));
        int n = lab.length - 8, px = 784;
        int[] count = new int[10];
        var imgOut = new ByteArrayOutputStream();
        var labOut = new ByteArrayOutputStream();
        int kept = 0;
        for (int i = 0; i < n; i++) {
            int c = lab[8 + i];
            if (count[c] >= perClass) continue;
            count[c]++;
            kept++;
            imgOut.write(img, 16 + i * px, px);
            labOut.write(c);
        }
        write(out.resolve(split + "-images-idx3-ubyte.gz"), header(0x803, kept, 28, 28), imgOut.toByteArray());
        write(out.resolve(split + "-labels-idx1-ubyte.gz"), header(0x801, kept), labOut.toByteArray());
    }

    static byte[] header(int... ints) {
        var b = java.nio.ByteBuffer.allocate(4 * ints.length);
        for (int v : ints) b.putInt(v);
        return b.array();
    }

    static void write(Path p, byte[] head, byte[] body) throws IOException {
        try (var o = new GZIPOutputStream(Files.newOutputStream(p)) {{ def.setLevel(9); }}) {
            o.write(head);
            o.write(body);
        }
    }
}
