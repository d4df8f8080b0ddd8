package org.dst4j.nn.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DataSources#unlabeled(java.io.InputStream, String)}: samples to predict on from standard input. */
class UnlabeledStreamTest {
    @TempDir Path dir;

    @Test
    void aStreamReadsAsTheSameBytesInAFileRead() throws Exception {
        byte[] csv = "a,b,c\n1,2,3\n4,5,6.5\n".getBytes(StandardCharsets.UTF_8);
        ByteBuffer u1 = ByteBuffer.allocate(4);
        for (int i = 0; i < 4; i++) u1.put((byte) (i == 3 ? 255 : i));
        byte[] npy = CsvNpyReaderTest.npy("|u1", "2, 1, 2", u1, false);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(csv);
        }
        String[][] cases = {{"u.csv"}, {"u.npy"}, {"u.csv.gz"}};
        byte[][] bytes = {csv, npy, gz.toByteArray()};
        for (int k = 0; k < cases.length; k++) {
            Path file = Files.write(dir.resolve(cases[k][0]), bytes[k]);
            try (Dataset fromFile = DataSources.unlabeled(file);
                 Dataset fromStream = DataSources.unlabeled(new ByteArrayInputStream(bytes[k]), "standard input")) {
                assertThat(fromStream.samples()).as(cases[k][0]).isEqualTo(fromFile.samples()).isPositive();
                assertThat(fromStream.features()).as(cases[k][0]).isEqualTo(fromFile.features());
                assertThat(fromStream.checksum()).as(cases[k][0]).isEqualTo(fromFile.checksum());
                assertThat(fromStream.imageRows()).as(cases[k][0]).isEqualTo(fromFile.imageRows());
                assertThat(fromStream.name()).isEqualTo("standard input");
            }
        }
    }

    @Test
    void errorsNameTheStream() {
        assertThatThrownBy(() -> DataSources.unlabeled(new ByteArrayInputStream(new byte[0]), "standard input"))
                .isInstanceOf(DataFormatException.class).hasMessage("standard input: empty file, expected CSV rows");
        assertThatThrownBy(() -> DataSources.unlabeled(new ByteArrayInputStream("1,2\n3,x\n".getBytes(StandardCharsets.UTF_8)), "standard input"))
                .isInstanceOf(DataFormatException.class).hasMessageStartingWith("standard input: line 2, column 2");
        byte[] truncated = Arrays.copyOf(CsvNpyReaderTest.npy("<f4", "3, 2", ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).position(24), false), 100);
        assertThatThrownBy(() -> DataSources.unlabeled(new ByteArrayInputStream(truncated), "standard input"))
                .isInstanceOf(DataFormatException.class).hasMessageStartingWith("standard input: ");
    }
}
