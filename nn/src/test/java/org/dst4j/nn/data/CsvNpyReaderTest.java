package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvNpyReaderTest {
    @TempDir Path dir;

    private Path csv(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void csvWithHeaderAndLabelLast() throws Exception {
        Path p = csv("a.csv", "x1,x2,\"label\"\n1.5,2,0\n-3,4e-1,2\n\n5,6,1\n");
        try (Dataset d = CsvReader.read("a", p, "last", 0)) {
            assertThat(d.samples()).isEqualTo(3);
            assertThat(d.features()).isEqualTo(2);
            assertThat(d.classes()).isEqualTo(3);
            assertThat(d.labels()).containsExactly(0, 2, 1);
            assertThat(d.get(1, 0)).isEqualTo(-3f);
            assertThat(d.get(1, 1)).isEqualTo(0.4f);
        }
    }

    @Test
    void csvWithoutHeaderLabelFirstOrByIndexAndOtherSeparators() throws Exception {
        Path p = csv("b.csv", "1,10,20\n0,30,40\n");
        try (Dataset d = CsvReader.read("b", p, "first", 0)) {
            assertThat(d.samples()).isEqualTo(2); // the first line is data, not a header
            assertThat(d.labels()).containsExactly(1, 0);
            assertThat(d.get(0, 1)).isEqualTo(20f);
        }
        try (Dataset d = CsvReader.read("b", csv("c.tsv", "10\t1\t20\n30\t0\t40\n"), "1", 0)) {
            assertThat(d.labels()).containsExactly(1, 0);
            assertThat(d.get(1, 1)).isEqualTo(40f);
        }
    }

    @Test
    void pandasDefaultColumnNamesAreAHeaderAndGzipIsKnownByItsMagic() throws Exception {
        // pd.DataFrame(a).to_csv(index=False): the header 0,1,2,3 is a header, not a sample of class 3.
        try (Dataset d = CsvReader.read("p", csv("p.csv", "0,1,2,3\n0.5,1.5,2.5,1\n4,5,6,0\n"), "last", 0)) {
            assertThat(d.samples()).isEqualTo(2);
            assertThat(d.labels()).containsExactly(1, 0);
            assertThat(d.classes()).isEqualTo(2);
        }
        try (Dataset d = CsvReader.read("q", csv("q.csv", "0,1\n1,0\n"), "last", 0)) {
            assertThat(d.samples()).as("two cells 0,1 stay data").isEqualTo(2);
        }
        // pd.DataFrame(X).assign(label=y).to_csv(index=False): the features keep pandas' names beside the label's own
        // (not "line 1, column 4: 'label' is not a number")
        try (Dataset d = CsvReader.read("n", csv("n.csv", "0,1,2,label\n0.5,1.5,2.5,1\n4,5,6,0\n"), "last", 0)) {
            assertThat(d.samples()).isEqualTo(2);
            assertThat(d.features()).isEqualTo(3);
            assertThat(d.labels()).containsExactly(1, 0);
        }
        try (Dataset d = CsvReader.read("f", csv("f.csv", "y,0\n1,0.5\n0,4\n"), "first", 0)) {
            assertThat(d.samples()).as("the label first, one feature").isEqualTo(2);
            assertThat(d.get(1, 0)).isEqualTo(4f);
        }
        try (Dataset d = CsvReader.read("d", csv("d.csv", "1,0,2,3\n0.5,1.5,2.5,1\n"), "last", 0)) {
            assertThat(d.samples()).as("numbers out of pandas' order are a sample").isEqualTo(2);
        }
        for (String notAHeader : List.of("0,1,5,label", "0,2,1,y", "x,1,2,3")) {
            Path bad = csv("bad.csv", notAHeader + "\n0.5,1.5,2.5,1\n");
            assertThatThrownBy(() -> CsvReader.read("bad", bad, "last", 0).close()).as(notAHeader).isInstanceOf(DataFormatException.class)
                    .hasMessageContaining("line 1");
        }
        // A compressed file named in capitals, or without .gz, is not read as text ("line 2 has 1 columns").
        byte[] text = "a,b,y\n1,2,0\n3,4,1\n".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(text);
        }
        for (String name : new String[] {"UPPER.CSV.GZ", "plain-name.csv"}) {
            Path p = dir.resolve(name);
            Files.write(p, gz.toByteArray());
            try (Dataset d = CsvReader.read("g", p, "last", 0)) {
                assertThat(d.samples()).isEqualTo(2);
                assertThat(d.get(1, 1)).isEqualTo(4f);
            }
        }
    }

    @Test
    void csvErrorsNameFileLineAndColumn() throws Exception {
        Path bad = csv("bad.csv", "a,b,y\n1,2,0\n3,oops,1\n");
        assertThatThrownBy(() -> CsvReader.read("x", bad, "last", 0)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("bad.csv").hasMessageContaining("line 3, column 2").hasMessageContaining("'oops' is not a number");
        Path ragged = csv("ragged.csv", "1,2,0\n3,1\n");
        assertThatThrownBy(() -> CsvReader.read("x", ragged, "last", 0)).hasMessageContaining("ragged.csv: line 2 has 2 columns, expected 3");
        Path label = csv("label.csv", "1,2,0.5\n");
        assertThatThrownBy(() -> CsvReader.read("x", label, "last", 0)).hasMessageContaining("line 1, column 3: label '0.5' is not a class index");
        // A quote opened and not closed on its line: its pieces are not counted as columns ("line 2 has 1 columns,
        // expected 2").
        Path open = csv("open.csv", "\n\"a,\"\"b\nc\",label\n1,2,0\n");
        assertThatThrownBy(() -> CsvReader.read("x", open, "last", 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(open + ": line 2: a quoted field is not closed on its line (a field that spans lines is not supported)");
        assertThatThrownBy(() -> CsvReader.featureColumns(open, "last")).isInstanceOf(DataFormatException.class)
                .hasMessage(open + ": line 2: a quoted field is not closed on its line (a field that spans lines is not supported)");
        Path openRow = csv("open-row.csv", "1,2,0\n1,\"2,0\n");
        assertThatThrownBy(() -> CsvReader.read("x", openRow, "last", 0)).hasMessageContaining("open-row.csv: line 2: a quoted field is not closed");
        // Inside a field a quote is a character, so an inch mark does not open a field that never closes.
        assertThat(CsvReader.featureColumns(csv("inch.csv", "a, \"b,c\",size 5\",y\n1,2,3,0\n"), "last").names()).containsExactly("a", "b,c", "size 5\"");
        // A negative class count is refused, not read as 0 (automatic); a missing file's reason is not its path again.
        Path ok = csv("ok.csv", "1,2,0\n");
        assertThatThrownBy(() -> CsvReader.read("x", ok, "last", -1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got -1");
        Path missing = dir.resolve("missing.csv");
        assertThatThrownBy(() -> CsvReader.read("x", missing, "last", 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(missing + ": cannot read: no such file");
        Path nan = csv("nan.csv", "1,NaN,0\n");
        assertThatThrownBy(() -> CsvReader.read("x", nan, "last", 0)).hasMessageContaining("line 1, column 2: 'NaN' is not finite");
        // 1e40 is a finite double but Infinity as the float a feature is stored in: refused, not trained into a NaN loss.
        Path huge = csv("huge.csv", "1,1e40,0\n");
        assertThatThrownBy(() -> CsvReader.read("x", huge, "last", 0)).hasMessageContaining("line 1, column 2: '1e40' does not fit a 32-bit float");
        Path inf = csv("inf.csv", "1,-Infinity,0\n");
        assertThatThrownBy(() -> CsvReader.read("x", inf, "last", 0)).hasMessageContaining("line 1, column 2: '-Infinity' is not finite");
        // Java's float syntax is not a CSV's: suffixes and hex floats are typos, not numbers.
        for (String cell : new String[] {"1f", "2d", "0x1p3", "1e", "1.2.3", "--1", "e5", "."}) {
            Path odd = csv("odd.csv", "1,2,0\n1," + cell + ",0\n");
            assertThatThrownBy(() -> CsvReader.read("x", odd, "last", 0)).as(cell).hasMessageContaining("line 2, column 2: '" + cell + "' is not a number");
        }
        for (String cell : new String[] {"-1.5e-3", "+2", ".5", "5.", "1E+7", " 3 "}) assertThat(CsvReader.plainDecimal(cell.strip())).as(cell).isTrue();
        Path spaces = csv("spaces.txt", "1.0 2.0 0\n3.0 4.0 1\n");
        assertThatThrownBy(() -> CsvReader.read("s", spaces, "last", 0)).isInstanceOf(DataFormatException.class)
                .hasMessageEndingWith("line 1 has 1 column; expected features plus a label column (separators are ',', ';' or tab; this line is separated by spaces)");
        Path empty = csv("empty.csv", "\n\n");
        assertThatThrownBy(() -> CsvReader.read("x", empty, "last", 0)).hasMessageContaining("empty.csv: empty file");
        assertThatThrownBy(() -> CsvReader.read("x", bad, "7", 0)).hasMessageContaining("--label-column 7");
        // A class count the labels exceed is named with the file and the count, not the dataset's IllegalArgumentException.
        Path three = csv("three.csv", "1,2,0\n3,4,2\n");
        assertThatThrownBy(() -> CsvReader.read("x", three, "last", 2)).isInstanceOf(DataFormatException.class)
                .hasMessage(three + ": sample 1 (0-based) has label 2, outside the 2 classes given (0..1)");
        try (Dataset d = CsvReader.read("x", three, "last", 5)) {
            assertThat(d.classes()).isEqualTo(5);
        }
    }

    // Which column of the file each feature is, and the header's name for it: the label column is no feature.
    @Test
    void featureColumnsNameTheFileColumnOfEachFeature() throws Exception {
        Path p = csv("h.csv", "id,\"x, 1\",label,x2\n7,1.5,0,2\n8,2.5,1,3\n");
        assertThat(CsvReader.featureColumns(p, "2")).isEqualTo(new CsvReader.FeatureColumns(new int[] {0, 1, 3}, new String[] {"id", "x, 1", "x2"}));
        assertThat(CsvReader.featureColumns(p, "last").columns()).containsExactly(0, 1, 2);
        assertThat(CsvReader.featureColumns(p, null).names()).containsExactly("id", "x, 1", "label", "x2");
        Path plain = csv("p.tsv", "1\t2\t0\n3\t4\t1\n");
        assertThat(CsvReader.featureColumns(plain, "first")).isEqualTo(new CsvReader.FeatureColumns(new int[] {1, 2}, null));
        Path gz = dir.resolve("g.csv.gz");
        try (var out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write("a,b,y\n1,2,0\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(CsvReader.featureColumns(gz, "last").names()).containsExactly("a", "b");
        assertThatThrownBy(() -> CsvReader.featureColumns(p, "9")).isInstanceOf(DataFormatException.class).hasMessageContaining("--label-column 9");
        // Excel's "CSV UTF-8" starts with a byte order mark: it is no part of the first column's name.
        Path bom = csv("bom.csv", "\uFEFFid,x,label\n7,1.5,0\n");
        assertThat(CsvReader.featureColumns(bom, "last").names()).containsExactly("id", "x");
    }

    static byte[] npy(String descr, String shape, ByteBuffer data, boolean fortran) {
        return npy("{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': (" + shape + "), }", data);
    }

    static byte[] npy(String dict, ByteBuffer data) {
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(header.length() & 0xff);
        out.write(header.length() >> 8);
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.write(data.array(), 0, data.position());
        return out.toByteArray();
    }

    // A float32 .npy of 3 samples x 2 features: 0, 1, ..., 5.
    private static byte[] threeByTwo() {
        ByteBuffer f4 = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) f4.putFloat(i);
        return npy("<f4", "3, 2", f4, false);
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void npyFloat32Float64Uint8AndIntegerLabels() throws Exception {
        ByteBuffer f4 = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) f4.putFloat(i * 0.5f);
        ByteBuffer f8 = ByteBuffer.allocate(48).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < 6; i++) f8.putDouble(-i);
        ByteBuffer u1 = ByteBuffer.allocate(6);
        for (int i = 0; i < 6; i++) u1.put((byte) (i == 5 ? 255 : i));
        ByteBuffer labels = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(2).putLong(0).putLong(1);
        Path y = write("y.npy", npy("<i8", "3,", labels, false));
        try (Dataset d = NpyReader.read("f4", write("x4.npy", npy("<f4", "3, 2", f4, false)), y, 0)) {
            assertThat(d.samples()).isEqualTo(3);
            assertThat(d.features()).isEqualTo(2);
            assertThat(d.labels()).containsExactly(2, 0, 1);
            assertThat(d.get(2, 1)).isEqualTo(2.5f);
        }
        try (Dataset d = NpyReader.read("f8", write("x8.npy", npy(">f8", "3, 2", f8, false)), y, 0)) {
            assertThat(d.get(2, 0)).isEqualTo(-4f);
        }
        try (Dataset d = NpyReader.read("u1", write("x1.npy", npy("|u1", "3, 1, 2", u1, false)), y, 0)) {
            assertThat(d.features()).isEqualTo(2);
            assertThat(d.imageRows()).isEqualTo(1);
            assertThat(d.get(2, 1)).isEqualTo(1f); // uint8 scaled to [0, 1] like IDX images
        }
    }

    @Test
    void samplesWithoutLabelsReadEveryColumnAsAFeatureAndScaleBytesAsInTraining() throws Exception {
        try (Dataset d = DataSources.unlabeled(csv("u.csv", "a,b,c\n1,2,3\n4,5,6\n"))) {
            assertThat(d.samples()).isEqualTo(2);
            assertThat(d.features()).isEqualTo(3);
            assertThat(d.get(1, 2)).isEqualTo(6f);
        }
        try (Dataset d = DataSources.unlabeled(csv("one.csv", "0.5\n-2\n7\n"))) {
            assertThat(d.samples()).isEqualTo(3);
            assertThat(d.features()).isEqualTo(1);
        }
        ByteBuffer u1 = ByteBuffer.allocate(4);
        for (int i = 0; i < 4; i++) u1.put((byte) (i == 3 ? 255 : i));
        try (Dataset d = DataSources.unlabeled(write("u1.npy", npy("|u1", "2, 2", u1, false)))) {
            assertThat(d.samples()).isEqualTo(2);
            assertThat(d.get(1, 1)).isEqualTo(1f);
            assertThat(d.imageRows()).isZero();
        }
        // Images (samples, rows, cols) keep their shape, which QuickSelection's pixel map is drawn in.
        try (Dataset d = DataSources.unlabeled(write("u1x1x2.npy", npy("|u1", "2, 1, 2", u1, false)))) {
            assertThat(d.features()).isEqualTo(2);
            assertThat(d.imageRows()).isEqualTo(1);
            assertThat(d.imageCols()).isEqualTo(2);
        }
        assertThatThrownBy(() -> DataSources.unlabeled(csv("bad.csv", "1,2\n3,x\n")))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("bad.csv: line 2, column 2");
        assertThatThrownBy(() -> DataSources.unlabeled(write("v.npy", npy("<f4", "0, 3", ByteBuffer.allocate(0), false))))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("v.npy").hasMessageContaining("at least one sample");
        // A float64 array's 1e39 is beyond a float, as the CSV reader says of '1e40'; an infinity in the file stays one.
        ByteBuffer f8 = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        f8.putDouble(1).putDouble(2).putDouble(1e39).putDouble(4);
        assertThatThrownBy(() -> DataSources.unlabeled(write("big.npy", npy("<f8", "2, 2", f8, false))))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("big.npy: element 2 is 1.0E39, beyond a 32-bit float's range");
        ByteBuffer inf = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        inf.putDouble(1).putDouble(2).putDouble(Double.POSITIVE_INFINITY).putDouble(4);
        assertThatThrownBy(() -> DataSources.unlabeled(write("inf.npy", npy("<f8", "2, 2", inf, false))))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("inf.npy: element 2 is Infinity; expected finite values");
        assertThatThrownBy(() -> DataSources.unlabeled(csv("x.bin", "1")))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("x.bin: expected a .csv");
        assertThatThrownBy(() -> DataSources.unlabeled(dir.resolve("missing.csv")))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("missing.csv: no such file");
    }

    @Test
    void npyErrors() throws Exception {
        ByteBuffer f4 = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) f4.putFloat(i);
        byte[] good = npy("<f4", "3, 2", f4, false);
        Path y2 = write("y2.npy", npy("|u1", "2,", ByteBuffer.allocate(2).put((byte) 0).put((byte) 1), false));
        Path x = write("x.npy", good);
        assertThatThrownBy(() -> NpyReader.read("x", x, y2, 0)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("x.npy: 3 samples but").hasMessageContaining("y2.npy has 2 labels");
        Path cut = write("cut.npy", Arrays.copyOf(good, good.length - 5));
        assertThatThrownBy(() -> NpyReader.read(cut)).hasMessageContaining("cut.npy: truncated in the data at element 4 (byte ");
        // uint64 above 2^63 is not read as negative.
        ByteBuffer u8 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).putLong(5L);
        assertThat(NpyReader.read(write("u8.npy", npy("<u8", "2, 1", u8, false))).values()).containsExactly(1.8446744e19f, 5f);
        byte[] wrong = good.clone();
        wrong[1] = 'X';
        Path magic = write("magic.npy", wrong);
        assertThatThrownBy(() -> NpyReader.read(magic)).hasMessageContaining("magic.npy: wrong magic at byte 0");
        // Fortran order (np.save of a transpose) is read, as np.load reads it. Column-major 0..5 of
        // shape (3, 2) is [[0, 3], [1, 4], [2, 5]].
        Path fortran = write("fortran.npy", npy("<f4", "3, 2", f4, true));
        assertThat(NpyReader.read(fortran).values()).containsExactly(0, 3, 1, 4, 2, 5);
        Path complex = write("c.npy", npy("<c8", "3,", ByteBuffer.allocate(24), false));
        assertThatThrownBy(() -> NpyReader.read(complex)).hasMessageContaining("dtype '<c8' not supported");
        // Object and structured arrays are named as such, not a "malformed header".
        Path objects = write("o.npy", npy("|O", "3,", ByteBuffer.allocate(24), false));
        assertThatThrownBy(() -> NpyReader.read(objects)).isInstanceOf(DataFormatException.class).hasMessage(objects
                + ": dtype '|O' (Python objects) not supported; expected float32, float64 or an integer type (np.asarray(a, dtype=np.float32))");
        Path structured = write("s.npy", npy("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (3,), }", ByteBuffer.allocate(24)));
        assertThatThrownBy(() -> NpyReader.read(structured)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(structured + ": dtype [('a', '<f4'), ('b', '<i4')] (a structured array) not supported");
        Path dates = write("d.npy", npy("<M8[ns]", "3,", ByteBuffer.allocate(24), false));
        assertThatThrownBy(() -> NpyReader.read(dates)).hasMessageStartingWith(dates + ": dtype '<M8[ns]' not supported");
        Path noDescr = write("n.npy", npy("{'fortran_order': False, 'shape': (3,), }", ByteBuffer.allocate(12)));
        assertThatThrownBy(() -> NpyReader.read(noDescr)).hasMessageContaining("malformed header");
        // A damaged header is quoted on one line, its control bytes escaped and its length capped: a flipped byte would
        // make a newline in the one-line error, and a header of escape codes write to the terminal.
        Path broken = write("broken.npy", npy("{'descr': '<f8', 'fortran_order': F\nlse\u001b[31m, 'shape': (60, 8), " + "x".repeat(200) + "}",
                ByteBuffer.allocate(0)));
        assertThatThrownBy(() -> NpyReader.read(broken)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(broken + ": malformed header at byte 10 (expected 'descr', 'fortran_order' and 'shape'): {'descr': '<f8',"
                        + " 'fortran_order': F\\x0alse\\x1b[31m, 'shape'")
                .hasMessageEndingWith("... (" + ("{'descr': '<f8', 'fortran_order': F\nlse\u001b[31m, 'shape': (60, 8), " + "x".repeat(200) + "}").length()
                        + " characters)")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\u001b"));
        // np.savetxt's default, space-separated, read as one column of features: named as such, not "is not a number".
        Path spaced = Files.writeString(dir.resolve("spaced.txt"), "1.5e-01 2.5e-01\n3.5e-01 4.5e-01\n");
        assertThatThrownBy(() -> DataSources.unlabeled(spaced)).isInstanceOf(DataFormatException.class)
                .hasMessage(spaced + ": line 1, column 1: '1.5e-01 2.5e-01' is not a number (separators are ',', ';' or tab; this line is separated by spaces)");
        Path one = Files.writeString(dir.resolve("one.txt"), "1.5e-01 2.5e-01\n");
        assertThatThrownBy(() -> DataSources.unlabeled(one)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("line 1, column 1: '1.5e-01 2.5e-01' is not a number (separators are ',', ';' or tab");
        // A first row of NaNs is not skipped as a header, every later sample moved up one: refused as NaN elsewhere is.
        Path nan = Files.writeString(dir.resolve("nan.csv"), "nan,nan\n1,2\n");
        assertThatThrownBy(() -> DataSources.unlabeled(nan)).isInstanceOf(DataFormatException.class)
                .hasMessage(nan + ": line 1, column 1: 'nan' is not finite");
        try (Dataset named = DataSources.unlabeled(Files.writeString(dir.resolve("named.csv"), "a,b\n1,2\n"))) {
            assertThat(named.samples()).as("a header of names is still one").isEqualTo(1);
        }
        Path cells = Files.writeString(dir.resolve("cells.csv"), "1,2,0\n3,\u001b[2J" + "9".repeat(100) + "x,1\n");
        assertThatThrownBy(() -> CsvReader.read("c", cells, "last", 0)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(cells + ": line 2, column 2: '\\x1b[2J999")
                .hasMessageEndingWith("... (105 characters)' is not a number");
        Path none = write("none.npy", npy("<f4", "0, 4", ByteBuffer.allocate(0), false));
        Path noLabels = write("nolabels.npy", npy("|u1", "0,", ByteBuffer.allocate(0), false));
        assertThatThrownBy(() -> NpyReader.read("x", none, noLabels, 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(none + ": shape [0, 4] holds no samples; expected at least one");
        // A shape whose product overflows a long is named, not a stack trace (ArithmeticException).
        Path huge = write("huge.npy", npy("<f4", "4294967296, 4294967296", ByteBuffer.allocate(0), false));
        assertThatThrownBy(() -> NpyReader.read(huge)).isInstanceOf(DataFormatException.class)
                .hasMessage(huge + ": shape 4294967296, 4294967296 holds more than 2147483631 elements (2^31 - 17), the most supported per file");
        // No features: named as such, not left to the layer check (which asked for a higher --epsilon).
        Path noFeatures = write("nofeat.npy", npy("<f4", "2, 0", ByteBuffer.allocate(0), false));
        assertThatThrownBy(() -> NpyReader.read("x", noFeatures, y2, 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(noFeatures + ": shape [2, 0] holds no features");
        Path big = write("big.npy", npy("<i8", "2,", ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).putLong(0), false));
        Path x2 = write("x2.npy", npy("<f4", "2, 3", ByteBuffer.allocate(24).position(24), false));
        assertThatThrownBy(() -> NpyReader.read("x", x2, big, 0)).hasMessageContaining("not a class index (an integer in [0, 2^24))");
        // float64 labels are checked before any narrowing to float: 0.99999999 is not read as class 1.
        Path near = write("near.npy", npy("<f8", "2,", ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1).putDouble(0.99999999), false));
        assertThatThrownBy(() -> NpyReader.read("x", x2, near, 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(near + ": element 1 is 0.99999999, not a class index (an integer in [0, 2^24))");
        Path whole = write("whole.npy", npy("<f8", "2,", ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1).putDouble(0), false));
        try (Dataset d = NpyReader.read("x", x2, whole, 0)) {
            assertThat(d.labels()).containsExactly(1, 0);
        }
        assertThat(NpyReader.read(near).values()).as("features are narrowed as before").containsExactly(1f, 1f);
        assertThatThrownBy(() -> DataSources.unlabeled(dir)).isInstanceOf(DataFormatException.class).hasMessage(dir + ": a directory, expected a file");
        Path head = write("head.npy", Arrays.copyOf(good, 9));
        assertThatThrownBy(() -> NpyReader.read(head)).hasMessageContaining("head.npy: truncated header length at byte 8");
        // Shorter than the 8-byte preamble and no .npy at all: its magic is named, not a truncated header.
        Path csv = write("short.npy", "1,2\n".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> NpyReader.read(csv)).hasMessage(csv + ": wrong magic at byte 0, expected \\x93NUMPY (a .npy file)");
        Path empty = write("empty.npy", new byte[0]);
        assertThatThrownBy(() -> NpyReader.read(empty)).hasMessage(empty + ": empty file, expected a .npy array");
        Path seven = write("seven.npy", Arrays.copyOf(good, 7));
        assertThatThrownBy(() -> NpyReader.read(seven)).hasMessage(seven + ": truncated header at byte 7");
    }

    @Test
    void singleFileIsSplitStratifiedAndDeterministically() throws Exception {
        StringBuilder sb = new StringBuilder("f,label\n");
        for (int i = 0; i < 100; i++) sb.append(i).append(',').append(i % 4 == 0 ? 1 : 0).append('\n');
        Path p = csv("all.csv", sb.toString());
        DataOptions o = new DataOptions(p, null, null, null, null, "last", 0.2, 7, 0, 0);
        try (DatasetSplit a = DataSources.load(o); DatasetSplit b = DataSources.load(o)) {
            assertThat(a.train().samples()).isEqualTo(80);
            assertThat(a.test().samples()).isEqualTo(20);
            assertThat(Arrays.stream(a.test().labels()).sum()).isEqualTo(5); // a quarter of each split is class 1
            assertThat(a.test().checksum()).isEqualTo(b.test().checksum());
            assertThat(a.train().name()).isEqualTo("all");
        }
        assertThatThrownBy(() -> DataSources.load(new DataOptions(p.resolveSibling("x.npy"), null, null, null, null, "last", 0.2, 7, 0, 0)))
                .hasMessageContaining("no such file");
    }
    // Without the shuffle every seed would hold out the first fifth of each class; without the sorts the splits
    // would come out in shuffled order.
    @Test
    void theHeldOutSamplesFollowTheSeedAndBothSplitsKeepTheFilesOrder() throws Exception {
        StringBuilder sb = new StringBuilder("f,label\n");
        for (int i = 0; i < 100; i++) sb.append(i).append(',').append(i % 4 == 0 ? 1 : 0).append('\n');
        Path p = csv("all.csv", sb.toString());
        try (DatasetSplit a = DataSources.load(new DataOptions(p, null, null, null, null, "last", 0.2, 7, 0, 0));
             DatasetSplit b = DataSources.load(new DataOptions(p, null, null, null, null, "last", 0.2, 8, 0, 0))) {
            float[] testA = column(a.test()), testB = column(b.test()), trainA = column(a.train());
            assertThat(testA).isNotEqualTo(testB);
            assertThat(testA).isSorted();
            assertThat(trainA).isSorted();
            float[] all = Arrays.copyOf(trainA, 100);
            System.arraycopy(testA, 0, all, 80, 20);
            Arrays.sort(all);
            for (int i = 0; i < 100; i++) assertThat(all[i]).isEqualTo(i);
        }
    }

    private static float[] column(Dataset d) {
        float[] f = new float[d.samples()];
        for (int i = 0; i < f.length; i++) f[i] = d.get(i, 0);
        return f;
    }

    @Test
    void limitsKeepTheFirstSamplesInTheirOrder() throws Exception {
        Path train = csv("train.csv", rows(0, 1, 2, 0, 1, 2)), test = csv("test.csv", rows(0, 1, 2, 1));
        try (DatasetSplit s = DataSources.load(new DataOptions(train, test, null, null, null, "last", 0.2, 7, 3, 2))) {
            assertThat(column(s.train())).containsExactly(0, 1, 2);
            assertThat(s.train().labels()).containsExactly(0, 1, 2);
            assertThat(column(s.test())).containsExactly(0, 1);
        }
    }

    // Refused as an option mistake before the file is read (it would fail to read), not by the hold-out.
    @Test
    void aTestFractionOfZeroOrOneIsRefusedBeforeTheFileIsRead() throws Exception {
        Path none = csv("unread.csv", "f,label\noops,0\n");
        assertThatThrownBy(() -> DataSources.load(new DataOptions(none, null, null, null, null, "last", 0, 7, 0, 0)))
                .isInstanceOf(DataOptionException.class).hasMessageContaining("--test-fraction 0.0").hasMessageContaining("a share above 0 must be held out");
        assertThatThrownBy(() -> DataSources.load(new DataOptions(none, null, null, null, null, "last", 1, 7, 0, 0)))
                .isInstanceOf(DataOptionException.class).hasMessageContaining("--test-fraction 1.0").hasMessageContaining("less than all of it");
    }

    @Test
    void aLargestLabelEqualToTheSampleCountAndATestLabelEqualToTheClassCountAreRefused() throws Exception {
        Path six = csv("six.csv", rows(0, 1, 2, 0, 1, 6));
        assertThatThrownBy(() -> DataSources.load(files(six, null, null, null))).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("the largest label is 6, which would make 7 classes, more than the 6 samples");
        Path train = csv("train.csv", rows(0, 1, 2, 0, 1, 2)), test = csv("test.csv", rows(0, 3));
        assertThatThrownBy(() -> DataSources.load(files(train, test, null, null))).isInstanceOf(DataFormatException.class)
                .hasMessage(test + ": sample 1 (0-based) has label 3, outside the classes 0..2 of the training labels " + train);
    }

    @Test
    void npyLabelsOfShapeSamplesByOneAreReadAndOneHotLabelsAreRefused() throws Exception {
        Path x = write("x.npy", threeByTwo());
        Path column = write("column.npy", npy("|u1", "3, 1", ByteBuffer.allocate(3).put((byte) 1).put((byte) 0).put((byte) 1), false));
        try (Dataset d = NpyReader.read("x", x, column, 0)) {
            assertThat(d.labels()).containsExactly(1, 0, 1);
        }
        Path oneHot = write("onehot.npy", npy("|u1", "3, 2", ByteBuffer.allocate(6).put(new byte[] {0, 1, 1, 0, 0, 1}), false));
        assertThatThrownBy(() -> NpyReader.read("x", x, oneHot, 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(oneHot + ": shape [3, 2], expected (samples,) or (samples, 1)");
        Path cube = write("cube.npy", npy("|u1", "3, 1, 1", ByteBuffer.allocate(3).put(new byte[] {0, 1, 1}), false));
        assertThatThrownBy(() -> NpyReader.read("x", x, cube, 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(cube + ": shape [3, 1, 1], expected (samples,) or (samples, 1)");
    }

    @Test
    void aCsvLabelColumnIsAnyIndexFromZeroToTheLastColumnAndNoFurther() throws Exception {
        Path p = csv("z.csv", "1,10,20\n0,30,40\n");
        try (Dataset d = CsvReader.read("z", p, "0", 0)) {
            assertThat(d.labels()).containsExactly(1, 0);
            assertThat(d.get(1, 0)).isEqualTo(30f);
        }
        assertThatThrownBy(() -> CsvReader.read("z", p, "3", 0)).isInstanceOf(DataOptionException.class)
                .hasMessage(p + ": --label-column 3: expected last, first or a column index in [0, 3)");
        Path big = csv("big.csv", "1,16777215\n2,16777216\n");
        assertThatThrownBy(() -> CsvReader.read("big", big, "last", 0)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("line 2, column 2: label '16777216' is not a class index");
    }

    @Test
    void pandasColumnNamesOfThreeColumnsAreAHeaderToo() throws Exception {
        try (Dataset d = CsvReader.read("p", csv("p3.csv", "0,1,2\n0.5,1.5,1\n4,5,0\n"), "last", 0)) {
            assertThat(d.samples()).isEqualTo(2);
            assertThat(d.labels()).containsExactly(1, 0);
        }
    }

    private static String rows(int... labels) {
        StringBuilder sb = new StringBuilder("f1,f2,label\n");
        for (int i = 0; i < labels.length; i++) sb.append(i).append(',').append(i % 3).append(',').append(labels[i]).append('\n');
        return sb.toString();
    }

    @Test
    void aTestFileOnAnotherScaleOrOfOtherImagesIsNamed() throws Exception {
        // 20 training images of uint8 pixels (scaled to 0..1) and a float test file of the same pixels, 0..255, read as
        // they are: trained beside and scored without a word.
        ByteBuffer u1 = ByteBuffer.allocate(20 * 4), f4 = ByteBuffer.allocate(20 * 4 * 4).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer labels = ByteBuffer.allocate(20);
        for (int i = 0; i < 80; i++) {
            int pixel = (i * 37) % 256;
            u1.put((byte) pixel);
            f4.putFloat(pixel);
        }
        for (int i = 0; i < 20; i++) labels.put((byte) (i % 2));
        Path x = write("x.npy", npy("|u1", "20, 2, 2", u1, false));
        Path y = write("y.npy", npy("|u1", "20,", labels, false));
        Path raw = write("raw.npy", npy("<f4", "20, 2, 2", f4, false));
        try (DatasetSplit s = DataSources.load(files(x, raw, y, y))) {
            assertThat(s.warnings()).singleElement().asString().startsWith(raw + " lies on average ")
                    .endsWith(" standard deviations from the means of the training data " + x + "; is it on another scale (e.g. 0..255 pixels"
                            + " beside 0..1 ones: a uint8 .npy is scaled to 0..1, other types are read as they are)?");
        }
        try (DatasetSplit s = DataSources.load(files(x, x, y, y))) {
            assertThat(s.warnings()).as("the same scale").isEmpty();
        }
        // Images of another shape with as many pixels: the IDX reader refused them, the .npy one took them.
        Path wide = write("wide.npy", npy("|u1", "20, 1, 4", ByteBuffer.wrap(u1.array()).position(80), false));
        assertThatThrownBy(() -> DataSources.load(files(x, wide, y, y))).isInstanceOf(DataFormatException.class)
                .hasMessage(wide + ": 1x4 images (4 features), but " + x + " has 2x2 (4)");
        // An upper-case extension, which --labels, predict's --input and a .CSV took, and --data refused as "unsupported".
        Path upper = write("X.NPY", npy("|u1", "20, 2, 2", ByteBuffer.wrap(u1.array()).position(80), false));
        try (DatasetSplit s = DataSources.load(files(upper, x, y, y))) {
            assertThat(s.train().samples()).isEqualTo(20);
        }
        // A test file is read by its own format, not --data's: a .npy beside a CSV is not taken for a CSV.
        Path csv = Files.writeString(dir.resolve("d.csv"), "1,2,3,4,0\n5,6,7,8,1\n");
        assertThatThrownBy(() -> DataSources.load(files(csv, x, null, null))).isInstanceOf(DataOptionException.class)
                .hasMessage("--test-data " + x + ": expected a .csv (.csv.gz, .tsv, .txt) file, the format of --data " + csv);
        assertThatThrownBy(() -> DataSources.load(files(x, csv, y, y))).isInstanceOf(DataOptionException.class)
                .hasMessage("--test-data " + csv + ": expected a .npy file, the format of --data " + x);
        Path flat = write("flat.npy", npy("|u1", "20, 4", ByteBuffer.wrap(u1.array()).position(80), false));
        try (DatasetSplit s = DataSources.load(files(x, flat, y, y))) {
            assertThat(s.test().features()).as("flattened images are the same features").isEqualTo(4);
        }
    }

    private static DataOptions files(Path data, Path test, Path labels, Path testLabels) {
        return new DataOptions(data, test, labels, testLabels, null, "last", 0.2, 7, 0, 0);
    }

    // Scoring a model reads the test file alone: the training file here is not even a CSV of numbers.
    @Test
    void theTestSetAloneIsLoadedWithTheChecksOfTheWholeSplit() throws Exception {
        Path train = csv("train.csv", rows(0, 1, 2, 0, 1, 2)), test = csv("test.csv", rows(0, 1, 7));
        Path broken = csv("broken.csv", "f1,f2,label\noops,1,0\n");
        try (DatasetSplit s = DataSources.loadForModel(files(train, test, null, null), 2, 8); Dataset t = DataSources.testForModel(files(broken, test, null, null), 2, 8)) {
            assertThat(t.name()).as("named after the test file, not the training file").isEqualTo("test/test");
            assertThat(t.labels()).isEqualTo(s.test().labels());
            assertThat(t.checksum()).isEqualTo(s.test().checksum());
            assertThat(t.classes()).isEqualTo(8);
        }
        assertThatThrownBy(() -> DataSources.loadForModel(files(broken, test, null, null), 2, 8)).hasMessageContaining("'oops' is not a number");
        assertThatThrownBy(() -> DataSources.testForModel(files(broken, test, null, null), 2, 5)).isInstanceOf(DataFormatException.class)
                .hasMessage(test + ": sample 2 (0-based) has label 7, outside the model's classes 0..4");
        assertThatThrownBy(() -> DataSources.testForModel(files(broken, test, null, null), 3, 8)).isInstanceOf(FeatureCountException.class)
                .hasMessage("test/test: 2 features per sample; the model takes 3");
        try (Dataset t = DataSources.testForModel(new DataOptions(broken, test, null, null, null, "last", 0.2, 7, 0, 2), 2, 5)) {
            assertThat(t.samples()).isEqualTo(2);
        }
        // A single file's test split is drawn from all of it: only loadForModel can draw it.
        assertThatThrownBy(() -> DataSources.testForModel(files(train, null, null, null), 2, 3)).isInstanceOf(DataOptionException.class)
                .hasMessageContaining("a single file's test split is drawn from the whole file");
        assertThatThrownBy(() -> DataSources.testForModel(files(dir.resolve("none.csv"), test, null, null), 2, 8))
                .hasMessage("--data " + dir.resolve("none.csv") + ": no such file or directory");
    }

    @Test
    void csvTestLabelOutsideTheTrainingClassesFailsAtLoadInsteadOfAddingClasses() throws Exception {
        Path train = csv("train.csv", rows(0, 1, 2, 0, 1, 2));
        Path test = csv("test.csv", rows(0, 1, 7));
        assertThatThrownBy(() -> DataSources.load(files(train, test, null, null))).isInstanceOf(DataFormatException.class)
                .hasMessage(test + ": sample 2 (0-based) has label 7, outside the classes 0..2 of the training labels " + train);
        // Applying a trained model: its classes decide, and a label outside them names the file too.
        try (DatasetSplit s = DataSources.loadForModel(files(train, test, null, null), 2, 8)) {
            assertThat(s.test().classes()).isEqualTo(8);
        }
        assertThatThrownBy(() -> DataSources.loadForModel(files(train, test, null, null), 2, 5)).isInstanceOf(DataFormatException.class)
                .hasMessage(test + ": sample 2 (0-based) has label 7, outside the model's classes 0..4");
        // Data of another width is the mistake to name, whatever its labels.
        assertThatThrownBy(() -> DataSources.loadForModel(files(train, test, null, null), 3, 5)).isInstanceOf(FeatureCountException.class)
                .hasMessage("test/test: 2 features per sample; the model takes 3");
        // A label in a sample --limit-test leaves out is not scored, so it is no error.
        try (DatasetSplit s = DataSources.loadForModel(new DataOptions(train, test, null, null, null, "last", 0.2, 7, 0, 2), 2, 5)) {
            assertThat(s.test().samples()).isEqualTo(2);
        }
        // A single file's held-out split: the file is named (a test-split index is not a position in it).
        Path one = csv("one.csv", rows(0, 1, 2, 0, 1, 2, 0, 1, 2, 0));
        assertThatThrownBy(() -> DataSources.loadForModel(files(one, null, null, null), 2, 2)).isInstanceOf(DataFormatException.class)
                .hasMessage(one + ": a sample of the held-out test split has label 2, outside the model's classes 0..1");
        // Training labels beyond the model's classes are not scored, so they are no error.
        try (DatasetSplit s = DataSources.loadForModel(files(train, csv("low.csv", rows(0, 1)), null, null), 2, 2)) {
            assertThat(s.train().classes()).isEqualTo(3);
            assertThat(s.test().classes()).isEqualTo(3);
        }
        Path fine = csv("fine.csv", rows(2, 0));
        try (DatasetSplit s = DataSources.load(files(train, fine, null, null))) {
            assertThat(s.train().classes()).isEqualTo(3);
            assertThat(s.test().classes()).isEqualTo(3);
            assertThat(s.warnings()).isEmpty();
        }
    }

    @Test
    void npyTestLabelOutsideTheTrainingClassesNamesTheLabelsFile() throws Exception {
        Path x = write("x.npy", threeByTwo());
        Path y = write("y.npy", npy("|u1", "3,", ByteBuffer.allocate(3).put((byte) 0).put((byte) 1).put((byte) 1), false));
        Path yt = write("yt.npy", npy("|u1", "3,", ByteBuffer.allocate(3).put((byte) 1).put((byte) 5).put((byte) 0), false));
        assertThatThrownBy(() -> DataSources.load(files(x, x, y, yt)))
                .hasMessage(yt + ": sample 1 (0-based) has label 5, outside the classes 0..1 of the training labels " + y);
    }

    @Test
    void aLabelMakingMoreClassesThanSamplesIsAnErrorAndMissingClassesAWarning() throws Exception {
        Path big = csv("big.csv", rows(0, 1, 1000000, 0, 1, 0));
        assertThatThrownBy(() -> DataSources.load(files(big, null, null, null))).isInstanceOf(DataFormatException.class)
                .hasMessage(big + ": the largest label is 1000000, which would make 1000001 classes, more than the 6 samples;"
                        + " expected class indices 0, 1, 2, ...");
        int[] y = new int[40];
        for (int i = 0; i < y.length; i++) y[i] = i % 2 == 0 ? 0 : i % 4 == 1 ? 3 : 6;
        y[5] = 20;
        Path sparse = csv("sparse.csv", rows(y));
        try (DatasetSplit s = DataSources.load(files(sparse, null, null, null))) {
            assertThat(s.train().classes()).isEqualTo(21);
            assertThat(s.warnings()).containsExactly(sparse + ": no sample has label 1, 2, 4, 5, 7..19, although the largest label, 20, makes 21 classes",
                    sparse + ": class 20 has too few samples to hold out 0.2: none in the test set");
        }
        int[] alternate = new int[40];
        for (int i = 0; i < alternate.length; i++) alternate[i] = i % 20 * 2; // every odd label missing: 1, 3, ..., 37
        Path odd = csv("odd.csv", rows(alternate));
        try (DatasetSplit s = DataSources.load(files(odd, odd, null, null))) {
            assertThat(s.warnings().getFirst()).contains("no sample has label 1, 3, 5, 7, 9, 11, 13, 15 and 11 more, although");
        }
    }

    @Test
    void aFortranOrderArrayReadsAsItsCOrderCopyDoes() throws Exception {
        Random r = new Random(7);
        for (long[] shape : new long[][] {{1, 1}, {4, 1}, {1, 5}, {3, 2}, {5, 7}, {2, 3, 4}, {3, 1, 5}, {2, 3, 1, 4}, {6}, {0, 3}}) {
            int count = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            float[] c = new float[count];
            for (int i = 0; i < count; i++) c[i] = r.nextInt(1000) - 500;
            // The column-major bytes, by the definition: element (i0, i1, ...) at i0 + d0 * (i1 + d1 * (i2 + ...)).
            ByteBuffer cBytes = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN), fBytes = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : c) cBytes.putFloat(v);
            for (int i = 0; i < count; i++) {
                long rest = i, fortranAt = 0, scale = 1;
                long[] index = new long[shape.length];
                for (int j = shape.length - 1; j >= 0; j--) {
                    index[j] = rest % shape[j];
                    rest /= shape[j];
                }
                for (int j = 0; j < shape.length; j++) {
                    fortranAt += index[j] * scale;
                    scale *= shape[j];
                }
                fBytes.putFloat((int) (4 * fortranAt), c[i]);
            }
            cBytes.position(4 * count);
            fBytes.position(4 * count);
            String text = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", ")) + (shape.length == 1 ? "," : "");
            Path cf = write("c.npy", npy("<f4", text, cBytes, false)), ff = write("f.npy", npy("<f4", text, fBytes, true));
            NpyReader.NpyArray a = NpyReader.read(cf), b = NpyReader.read(ff);
            assertThat(b.values()).as(text).containsExactly(c);
            assertThat(b.shape()).containsExactly(a.shape());
        }
        // Images of (samples, rows, cols) saved in Fortran order make the same dataset.
        ByteBuffer f = ByteBuffer.allocate(4 * 2 * 2 * 3).order(ByteOrder.LITTLE_ENDIAN), cc = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[12];
        for (int i = 0; i < 12; i++) v[i] = i;
        for (int i = 0; i < 12; i++) cc.putFloat(v[i]);
        for (int s = 0; s < 2; s++) for (int row = 0; row < 2; row++) for (int col = 0; col < 3; col++) f.putFloat(4 * (s + 2 * (row + 2 * col)), v[s * 6 + row * 3 + col]);
        f.position(48);
        Path y = write("y.npy", npy("|u1", "2,", ByteBuffer.allocate(2).put((byte) 0).put((byte) 1), true));
        try (Dataset fromC = NpyReader.read("c", write("ic.npy", npy("<f4", "2, 2, 3", cc, false)), y, 0);
             Dataset fromF = NpyReader.read("f", write("if.npy", npy("<f4", "2, 2, 3", f, true)), y, 0)) {
            for (int s = 0; s < 2; s++) for (int k = 0; k < 6; k++) assertThat(fromF.get(s, k)).isEqualTo(fromC.get(s, k)).isEqualTo(v[s * 6 + k]);
            assertThat(fromF.imageRows()).isEqualTo(2);
            assertThat(fromF.imageCols()).isEqualTo(3);
        }
    }

    // pandas' to_csv(sep=';') or sep='\t' with its index writes a header that starts with the separator (an unnamed index
    // column): the separator is still found at the line's first character, not taken for a comma.
    @Test
    void aSemicolonOrTabHeaderThatStartsWithItsSeparatorIsSplitOnIt() throws Exception {
        for (String sep : new String[] {";", "\t"}) {
            Path p = csv("index.csv", String.join(sep, "", "a", "b", "label") + "\n" + String.join(sep, "0", "1.5", "2", "1") + "\n"
                    + String.join(sep, "1", "3", "-4", "0") + "\n");
            try (Dataset d = CsvReader.read("i", p, "last", 0)) {
                assertThat(d.features()).as("separator %s", sep).isEqualTo(3);
                assertThat(d.labels()).containsExactly(1, 0);
                assertThat(d.get(1, 2)).isEqualTo(-4f);
            }
            assertThat(CsvReader.featureColumns(p, "last").names()).as("separator %s", sep).containsExactly("", "a", "b");
        }
    }

    // Excel's "CSV UTF-8" starts with a byte order mark also when the first line is data: it is no part of the first number.
    @Test
    void aByteOrderMarkBeforeTheFirstNumberIsSkipped() throws Exception {
        try (Dataset d = CsvReader.read("bom", csv("bom.csv", "\uFEFF1.5,2,0\n3,4,1\n"), "last", 0)) {
            assertThat(d.samples()).isEqualTo(2);
            assertThat(d.get(0, 0)).isEqualTo(1.5f);
        }
    }

    // The arrays start with room for 256 rows and grow as rows come: every value of a longer file of several features
    // must land where it belongs.
    @Test
    void aCsvOfManyRowsAndSeveralFeaturesIsReadValueForValue() throws Exception {
        int n = 1000;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(i).append(',').append(-i).append(',').append(i * 0.5).append(',').append(i % 7).append('\n');
        try (Dataset d = CsvReader.read("many", csv("many.csv", sb.toString()), "last", 0)) {
            assertThat(d.samples()).isEqualTo(n);
            assertThat(d.features()).isEqualTo(3);
            for (int i = 0; i < n; i++) {
                assertThat(new float[] {d.get(i, 0), d.get(i, 1), d.get(i, 2)}).as("row %d", i).containsExactly(i, -i, i * 0.5f);
                assertThat(d.labels()[i]).isEqualTo(i % 7);
            }
        }
    }

    // Compared by content, as the comment on the record says: columns and names both count.
    @Test
    void featureColumnsAreEqualByContent() {
        var a = new CsvReader.FeatureColumns(new int[] {0, 2}, new String[] {"x", "y"});
        assertThat(a).isEqualTo(new CsvReader.FeatureColumns(new int[] {0, 2}, new String[] {"x", "y"}))
                .hasSameHashCodeAs(new CsvReader.FeatureColumns(new int[] {0, 2}, new String[] {"x", "y"}))
                .isNotEqualTo(new CsvReader.FeatureColumns(new int[] {0, 1}, new String[] {"x", "y"}))
                .isNotEqualTo(new CsvReader.FeatureColumns(new int[] {0, 2}, new String[] {"x", "z"}))
                .isNotEqualTo(new CsvReader.FeatureColumns(new int[] {0, 2}, null))
                .hasToString("FeatureColumns[columns=[0, 2], names=[x, y]]");
        assertThat(new CsvReader.FeatureColumns(new int[] {1}, null)).hasToString("FeatureColumns[columns=[1], names=null]");
    }

    // --label-column is checked whatever the data: a negative index is refused even for data that has no label column
    // to choose (the embedded set here, refused before it is read), and column 0 is one.
    @Test
    void aLabelColumnOfZeroIsTakenAndANegativeOneRefusedForAnyData() throws Exception {
        DataOptions negative = new DataOptions(null, null, null, null, null, "-1", 0.2, 0, 0, 0);
        assertThatThrownBy(() -> DataSources.load(negative)).isInstanceOf(DataOptionException.class)
                .hasMessage("--label-column -1: expected last, first or a 0-based column index");
        Path train = csv("first.csv", "0,1.5,2\n1,3,4\n0,5,6\n1,7,8\n"), test = csv("first-test.csv", "1,9,10\n0,11,12\n");
        try (DatasetSplit s = DataSources.load(new DataOptions(train, test, null, null, null, "0", 0.2, 7, 0, 0))) {
            assertThat(s.train().labels()).containsExactly(0, 1, 0, 1);
            assertThat(s.test().get(1, 1)).isEqualTo(12f);
        }
    }

    // A .npy of format version `major`: 1 has a 2-byte header length, 2 and 3 a 4-byte one; 3's header is UTF-8. The
    // header is padded with spaces to `headerBytes` (0: to a multiple of 64 in all, as np.save pads it).
    static byte[] npyVersion(int major, String dict, int headerBytes, byte[] data) {
        byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int lenBytes = major == 1 ? 2 : 4;
        int length = headerBytes > 0 ? headerBytes : text.length + 1 + (64 - (8 + lenBytes + text.length + 1) % 64) % 64;
        ByteBuffer b = ByteBuffer.allocate(8 + lenBytes + length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) length);
        else b.putInt(length);
        b.put(text);
        for (int i = text.length; i < length - 1; i++) b.put((byte) ' ');
        b.put((byte) '\n');
        return b.put(data).array();
    }

    private static byte[] littleEndianFloats(int count) {
        ByteBuffer b = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) b.putFloat(i);
        return b.array();
    }

    // Versions 2 and 3 are documented as read: np.save writes 3 when a header needs UTF-8 (a field name beyond Latin-1),
    // and such a name is quoted as written. A header cut short is named at its first byte, after the 4-byte length.
    @Test
    void npyVersionsTwoAndThreeAreReadAndTheirHeadersPlacedAndDecoded() throws Exception {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
        for (int major = 1; major <= 3; major++) {
            byte[] file = npyVersion(major, dict, 0, littleEndianFloats(6));
            assertThat(NpyReader.read(write("v" + major + ".npy", file)).values()).as("version %d", major).containsExactly(0, 1, 2, 3, 4, 5);
            Path cut = write("cut" + major + ".npy", Arrays.copyOf(file, 20));
            assertThatThrownBy(() -> NpyReader.read(cut)).isInstanceOf(DataFormatException.class)
                    .hasMessage(cut + ": truncated header at byte " + (major == 1 ? 10 : 12));
        }
        Path named = write("named.npy", npyVersion(3, "{'descr': [('é', '<f4')], 'fortran_order': False, 'shape': (3,), }", 0, new byte[12]));
        assertThatThrownBy(() -> NpyReader.read(named)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(named + ": dtype [('é', '<f4')] (a structured array) not supported");
        Path latin = write("latin.npy", npyVersion(2, "{'descr': [('é', '<f4')], 'fortran_order': False, 'shape': (3,), }", 0, new byte[12]));
        assertThatThrownBy(() -> NpyReader.read(latin)).isInstanceOf(DataFormatException.class)
                .hasMessageStartingWith(latin + ": dtype [('é', '<f4')] (a structured array) not supported");
    }

    // The header length is capped at 1 MiB (np.save's are 64 to a few hundred bytes): a header of exactly that is read.
    @Test
    void anNpyHeaderOfOneMebibyteIsReadAndOneByteMoreRefused() throws Exception {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }";
        Path limit = write("limit.npy", npyVersion(2, dict, 1 << 20, littleEndianFloats(2)));
        assertThat(NpyReader.read(limit).values()).containsExactly(0, 1);
        Path over = write("over.npy", npyVersion(2, dict, (1 << 20) + 1, littleEndianFloats(2)));
        assertThatThrownBy(() -> NpyReader.read(over)).isInstanceOf(DataFormatException.class)
                .hasMessage(over + ": header length 1048577 at byte 8 is implausible");
    }

    // The data is read in chunks of 8192 elements: an array of more, not a multiple of 8192, is read value for value, and
    // a file that ends in its second chunk (cut while it is read: its length was taken before) is named at the element
    // where its bytes ran out.
    @Test
    void anNpyArrayOfMoreThanOneChunkIsReadWholeAndCutShortNamedAtItsLastElement() throws Exception {
        byte[] file = npyVersion(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3000), }", 0, littleEndianFloats(9000));
        float[] values = NpyReader.read(write("long.npy", file)).values();
        assertThat(values).hasSize(9000);
        for (int i = 0; i < 9000; i++) assertThat(values[i]).as("element %d", i).isEqualTo(i);
        byte[] cut = Arrays.copyOf(file, 128 + 4 * 8500 + 2);
        assertThatThrownBy(() -> NpyReader.read(new ByteArrayInputStream(cut), "growing.npy", file.length)).isInstanceOf(DataFormatException.class)
                .hasMessage("growing.npy: truncated in the data at element 8500 (byte " + (128 + 4 * 8500) + "), expected 9000 elements of f4");
    }

    // uint16 above 32767 (16-bit images, counts) is unsigned, as uint64 above 2^63 is.
    @Test
    void npyUint16AboveThe15BitRangeIsReadUnsigned() throws Exception {
        ByteBuffer u2 = ByteBuffer.allocate(6).order(ByteOrder.BIG_ENDIAN).putShort((short) 65535).putShort((short) 32768).putShort((short) 7);
        assertThat(NpyReader.read(write("u2.npy", npy(">u2", "3, 1", u2, false))).values()).containsExactly(65535f, 32768f, 7f);
    }

    // Bytes after the array mean a shape that does not describe the file: named with the byte where the array ends.
    @Test
    void bytesAfterTheNpyArrayAreNamedWithTheByteTheArrayEndsAt() throws Exception {
        ByteBuffer f4 = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 7; i++) f4.putFloat(i);
        Path extra = write("extra.npy", npy("<f4", "3, 2", f4, false));
        assertThatThrownBy(() -> NpyReader.read(extra)).isInstanceOf(DataFormatException.class)
                .hasMessage(extra + ": unexpected bytes after 6 elements (byte " + (Files.size(extra) - 4) + ")");
    }

    // NumPy under Python 2 wrote long dimensions with an L suffix: (3L, 2L).
    @Test
    void aPython2ShapeWithLongSuffixesIsRead() throws Exception {
        ByteBuffer f4 = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) f4.putFloat(i);
        assertThat(NpyReader.read(write("py2.npy", npy("<f4", "3L, 2L", f4, false))).shape()).containsExactly(3, 2);
    }

    // 2^31 - 17 elements is the most a file may hold: a header that says so is not refused as too many, but as what the
    // file lacks (the shape is checked before anything is allocated for it).
    @Test
    void anNpyShapeOfExactlyTheMostElementsIsNotCalledTooMany() throws Exception {
        Path most = write("most.npy", npy("<f4", (Integer.MAX_VALUE - 16) + ",", ByteBuffer.allocate(0), false));
        assertThatThrownBy(() -> NpyReader.read(most)).isInstanceOf(DataFormatException.class)
                .hasMessage(most + ": truncated in the data at element 0 (byte " + Files.size(most) + "), expected " + (Integer.MAX_VALUE - 16) + " elements of f4");
    }

    // Class indices are below 2^24 (the largest integers a float32 holds exactly): a float32 label of 2^24 is refused, as
    // CSV and float64 labels are.
    @Test
    void aFloat32LabelOfTwoToThe24IsRefused() throws Exception {
        Path x = write("x.npy", threeByTwo());
        Path y = write("y.npy", npy("<f4", "3,", ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(16777215f).putFloat(0).putFloat(16777216f), false));
        assertThatThrownBy(() -> NpyReader.read("x", x, y, 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(y + ": element 2 is 1.6777216E7, not a class index (an integer in [0, 2^24))");
    }

    // A cell quoted in an error is cut after 80 characters (a cell of exactly 80 is shown whole), and only control
    // characters are escaped: a space or a no-break space is shown as it is, DEL and the C1 controls (U+0080..U+009F) not.
    @Test
    void aQuotedCellIsShownWholeUpTo80CharactersWithOnlyControlsEscaped() throws Exception {
        Path eighty = csv("eighty.csv", "1,2,0\n1," + "x".repeat(80) + ",0\n");
        assertThatThrownBy(() -> CsvReader.read("c", eighty, "last", 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(eighty + ": line 2, column 2: '" + "x".repeat(80) + "' is not a number");
        Path more = csv("more.csv", "1,2,0\n1," + "x".repeat(81) + ",0\n");
        assertThatThrownBy(() -> CsvReader.read("c", more, "last", 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(more + ": line 2, column 2: '" + "x".repeat(80) + "... (81 characters)' is not a number");
        Path controls = csv("controls.csv", "1,2,0\n1,a b\u001f\u007f\u0080\u009f\u00a0c,0\n");
        assertThatThrownBy(() -> CsvReader.read("c", controls, "last", 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(controls + ": line 2, column 2: 'a b\\x1f\\x7f\\x80\\x9f\u00a0c' is not a number");
    }

    // Escapes take four characters each: a short cell of many control characters (a binary file read as text) fills the
    // 80 before its end, and its end is left off with the "..." that says so.
    @Test
    void aShortCellCutByItsEscapesIsMarkedAsCut() throws Exception {
        Path binary = csv("binary.csv", "1,2,0\n1," + "\u0001".repeat(21) + "x,0\n");
        assertThatThrownBy(() -> CsvReader.read("c", binary, "last", 0)).isInstanceOf(DataFormatException.class)
                .hasMessage(binary + ": line 2, column 2: '" + "\\x01".repeat(20) + "... (22 characters)' is not a number");
    }

    // As for a CSV file: a file system exception's message is the path again ("F: cannot read: F"), so its reason is
    // said instead (for a user, more often "permission denied" than a file gone after DataSources checked it).
    @Test
    void anNpyFileThatCannotBeOpenedIsNamedWithTheReason() {
        Path missing = dir.resolve("missing.npy");
        assertThatThrownBy(() -> NpyReader.read(missing)).isInstanceOf(DataFormatException.class)
                .hasMessage(missing + ": cannot read: no such file");
    }
}
