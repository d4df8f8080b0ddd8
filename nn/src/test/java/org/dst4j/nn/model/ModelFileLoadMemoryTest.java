package org.dst4j.nn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.Sgd;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.random.RandomStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model file is read tensor by tensor into the network's own memory: loading never holds the file's data
 * beside the network, and every tensor is still checked, the ones loading does not use included.
 */
class ModelFileLoadMemoryTest {
    @TempDir Path dir;

    private static final MlpConfig CFG = new MlpConfig(new int[] {300, 400, 200, 10}, "relu", 0.6f, Activation.linear(), 0f,
            new Density.Uniform(0.5), new WeightInit.HeUniform());

    // With an optimizer: the file then also holds momentum for every connection, which inference does not read.
    private Path saved(boolean withOptimizer) throws IOException {
        Path file = dir.resolve(withOptimizer ? "checkpoint.dst4j" : "model.dst4j");
        float[] mean = new float[300], std = new float[300];
        Arrays.fill(std, 2f);
        try (SparseMlp net = SparseMlp.create(CFG, new RandomStream(5), 9)) {
            Sgd opt = withOptimizer ? new Sgd(0.9f, 0f) : null;
            if (opt != null) net.attach(opt);
            ModelFile.save(file, net, opt, new Standardizer(mean, std), Map.of());
        }
        return file;
    }

    @Test
    void loadingHoldsTheNetworkOnlyNotTheFileBesideIt() throws Exception {
        for (boolean withOptimizer : new boolean[] {false, true}) {
            Path file = saved(withOptimizer);
            long before = OffHeap.bytesInUse();
            OffHeap.resetPeak();
            try (SparseClassifier c = SparseClassifier.load(file, 1)) {
                long held = OffHeap.bytesInUse() - before;
                assertThat(Files.size(file)).as("the file is not small against what loading may add").isGreaterThan(held / 2);
                assertThat(OffHeap.peakBytes() - before).as("peak while loading %s, against %d bytes held after", file.getFileName(), held)
                        .isLessThanOrEqualTo(held + 4096);
            }
            assertThat(OffHeap.bytesInUse()).isEqualTo(before);
        }
    }

    @Test
    void theSameModelLoadsFromItsFileAndFromAStream() throws Exception {
        Path file = saved(false);
        float[] x = new float[3 * 300];
        RandomStream r = new RandomStream(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        try (SparseClassifier a = SparseClassifier.load(file, 1);
             SparseClassifier b = SparseClassifier.load(new ByteArrayInputStream(Files.readAllBytes(file)), "m", 1)) {
            assertThat(b.predictProbabilities(x)).isEqualTo(a.predictProbabilities(x));
            assertThat(b.standardizer().std()).isEqualTo(a.standardizer().std());
        }
    }

    @Test
    void aDamagedTensorThatLoadingDoesNotUseIsStillFoundAndNothingIsLeftAllocated() throws Exception {
        Path file = saved(true);
        byte[] b = Files.readAllBytes(file);
        long before = OffHeap.bytesInUse();
        List<String> names = names(file);
        assertThat(names).contains("layer.2.side.velocity", "layer.2.bias_state");
        // One bit flipped in the first data byte of each tensor in turn, optimizer state included: inference reads
        // no velocity and no bias state, and a damaged one is found only because the whole file is read.
        for (String name : names) {
            byte[] damaged = b.clone();
            int at = indexOf(b, name.getBytes(StandardCharsets.US_ASCII));
            int data = at + name.length() + 2 + (int) rank(file, name) * 8 + 8; // dtype, rank, dims, byte length
            damaged[data] ^= 0x10;
            Path f = dir.resolve("damaged.dst4j");
            Files.write(f, damaged);
            assertThatThrownBy(() -> SparseClassifier.load(f, 1).close()).as(name).isInstanceOf(IOException.class)
                    .hasMessageContaining(f + ": tensor '" + name + "': CRC32C mismatch (file corrupted) at byte " + (at - 2));
            assertThat(OffHeap.bytesInUse()).as("after %s", name).isEqualTo(before);
        }
    }

    // Each tensor's CRC covers its descriptor too: a flipped bit in a type or a name is reported as damage, not as an
    // edited file ("is I32, expected F32" or "no tensor 'layer.0.bias'", with no offset).
    @Test
    void aFlippedBitInATensorsTypeOrNameIsReportedAsDamage() throws Exception {
        Path file = saved(false);
        byte[] b = Files.readAllBytes(file);
        long before = OffHeap.bytesInUse();
        List<String> names = names(file);
        Path f = dir.resolve("damaged.dst4j");
        for (String name : names) {
            int at = indexOf(b, name.getBytes(StandardCharsets.US_ASCII));
            // The type (F32 <-> I32, the same size; I64 row pointers become U8, whose size the framing check refuses)
            // and the name's last letter.
            for (int[] flip : new int[][] {{at + name.length(), 0x01}, {at + name.length() - 1, 0x04}}) {
                byte[] damaged = b.clone();
                damaged[flip[0]] ^= (byte) flip[1];
                Files.write(f, damaged);
                String expected = name.endsWith("row_ptr") && flip[1] == 0x01 ? "does not match its shape" : "': CRC32C mismatch (file corrupted) at byte " + (at - 2);
                assertThatThrownBy(() -> SparseClassifier.load(f, 1).close()).as("%s, byte %d", name, flip[0]).isInstanceOf(IOException.class)
                        .hasMessageStartingWith(f + ": tensor '").hasMessageContaining(expected);
                assertThatThrownBy(() -> SparseClassifier.load(new ByteArrayInputStream(damaged), "res", 1).close()).as("%s from a stream", name)
                        .isInstanceOf(IOException.class).hasMessageStartingWith("res: tensor '");
                assertThat(OffHeap.bytesInUse()).as("after %s", name).isEqualTo(before);
            }
        }
    }

    @Test
    void anIndexChecksWhereItReadsAndRefusesReadsOnceClosed() throws Exception {
        Path file = saved(false);
        CheckpointFile.Index ix = CheckpointFile.open(file);
        CheckpointFile.Entry bias = ix.entry("layer.0.bias");
        assertThatThrownBy(() -> ix.readInto(bias, MemorySegment.ofArray(new float[400])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read into off-heap memory or a byte[]'s");
        byte[] into = new byte[1600];
        ix.readInto(bias, MemorySegment.ofArray(into));
        ix.close();
        ix.close();
        assertThatThrownBy(() -> ix.readInto(bias, MemorySegment.ofArray(into)))
                .isInstanceOf(IllegalStateException.class).hasMessage(file + ": the file's index is closed");
        assertThat(ix.damage()).isNull();
    }

    // A read interrupted closes the file: that is what the caller hears (the flag kept), not a damage verdict that
    // reading the rest of the closed file would have made up.
    @Test
    void anInterruptedReadSaysSoAndGivesNoDamageVerdict() throws Exception {
        Path file = saved(false);
        try (CheckpointFile.Index ix = CheckpointFile.open(file)) {
            CheckpointFile.Entry values = ix.entry("layer.0.values");
            try (Arena a = Arena.ofConfined()) {
                Thread.currentThread().interrupt();
                assertThatThrownBy(() -> ix.readInto(values, a.allocate(values.bytes()))).isInstanceOf(InterruptedIOException.class)
                        .hasMessage(file + ": interrupted");
                assertThat(ix.damage()).isNull();
                assertThat(Thread.interrupted()).as("the interrupt flag is kept").isTrue();
            }
        } finally {
            Thread.interrupted();
        }
    }

    private static List<String> names(Path file) throws IOException {
        try (CheckpointFile.Index ix = CheckpointFile.open(file)) {
            return ix.names();
        }
    }

    private static long rank(Path file, String name) throws IOException {
        try (CheckpointFile.Index ix = CheckpointFile.open(file)) {
            return ix.entry(name).shape().length;
        }
    }

    private static int indexOf(byte[] b, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= b.length; i++) {
            for (int j = 0; j < what.length; j++) if (b[i + j] != what[j]) continue outer;
            // A tensor name is preceded by its 2-byte length.
            if (i >= 2 && ((b[i - 2] & 0xff) << 8 | (b[i - 1] & 0xff)) == what.length) return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void everyCutOfTheFileIsRefusedNamingItAndFreesWhatItRead() throws Exception {
        Path file = saved(false);
        byte[] b = Files.readAllBytes(file);
        long before = OffHeap.bytesInUse();
        Path f = dir.resolve("cut.dst4j");
        for (int n = 0; n < b.length; n += Math.max(1, n / 7)) {
            Files.write(f, Arrays.copyOf(b, n));
            assertThatThrownBy(() -> SparseClassifier.load(f, 1).close()).as("%d bytes", n).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(f + ": ");
            assertThat(OffHeap.bytesInUse()).as("after %d bytes", n).isEqualTo(before);
        }
    }
}
