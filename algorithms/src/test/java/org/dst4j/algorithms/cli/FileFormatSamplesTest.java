package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.io.CheckpointFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written by an earlier build, kept as they were (src/test/resources/.../formats/v1, made by
 * scripts/MakeFormatSamples.java): a model shipped in an application, or a run left to resume, must keep
 * loading after the code changes. The other file tests write and read with the same build, so a change
 * made on both sides at once (a renamed header field, a reordered tensor) passes them and breaks every
 * file already written.
 */
class FileFormatSamplesTest {
    private static final String[] MODELS = {"set/model.dst4j", "ft-dst", "ft-edst", "nt/model", "sn/model.dst4j"};

    private static Path samples() throws Exception {
        return Path.of(FileFormatSamplesTest.class.getResource("/org/dst4j/algorithms/formats/v1").toURI());
    }

    private static String name(String model) {
        return model.replace('/', '-').replace(".dst4j", "");
    }

    private static void assertPredictsAsBefore(Path model, Path input, Path expected, Path out) throws IOException {
        HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("predict", "--model", model.toString(), "--input", input.toString(), "--threads", "1",
                "--output", out.toString());
        assertThat(o.code()).as("%s: %s", model, o.err()).isZero();
        List<String> was = Files.readAllLines(expected), now = Files.readAllLines(out);
        assertThat(now).as(model.toString()).hasSameSizeAs(was);
        assertThat(now.get(0)).isEqualTo(was.get(0));
        for (int i = 1; i < was.size(); i++) {
            String[] a = was.get(i).split(","), b = now.get(i).split(",");
            assertThat(b).as("%s line %d", model, i + 1).hasSameSizeAs(a);
            assertThat(b[0] + "," + b[1]).as("%s line %d: index, predicted", model, i + 1).isEqualTo(a[0] + "," + a[1]);
            // Not the bits: inference may change in the last places (a kernel's summation order); a misread file changes far more.
            for (int j = 2; j < a.length; j++) {
                assertThat(Float.parseFloat(b[j])).as("%s line %d column %d", model, i + 1, j + 1).isCloseTo(Float.parseFloat(a[j]), within(1e-5f));
            }
        }
    }

    @Test
    void everySampleFileIsOfFormatVersion1() throws Exception {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(samples())) {
            files = walk.filter(p -> p.toString().endsWith(".dst4j")).toList();
        }
        assertThat(files).hasSize(10);
        for (Path f : files) {
            assertThat(ByteBuffer.wrap(Files.readAllBytes(f), 8, 4).getInt()).as(f.toString()).isEqualTo(1);
        }
        // The samples are what version 1 looks like; a writer of another version needs samples of its own (keep these).
        assertThat(CheckpointFile.VERSION).isEqualTo(1);
    }

    @Test
    void everyKindOfModelWrittenThenStillPredictsWhatItPredicted(@TempDir Path dir) throws Exception {
        Path s = samples();
        for (String model : MODELS) {
            assertPredictsAsBefore(s.resolve(model), s.resolve("input.csv"), s.resolve("predictions/" + name(model) + ".csv"), dir.resolve(name(model) + ".csv"));
        }
    }

    @Test
    void aSetRunCutThenResumesToWhatItsResumptionGaveThen(@TempDir Path dir) throws Exception {
        Path s = samples(), run = dir.resolve("run");
        Files.createDirectories(run);
        for (String f : new String[] {SetTraining.CHECKPOINT, SetTraining.METRICS}) Files.copy(s.resolve("set-cut").resolve(f), run.resolve(f));
        List<String> before = Files.readAllLines(run.resolve(SetTraining.METRICS));
        assertThat(before).hasSize(2);

        HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("set", "--resume", run.toString(), "--data", s.resolve("train.csv").toString(), "--threads", "2");
        assertThat(o.code()).as(o.err()).isZero();
        List<String> after = Files.readAllLines(run.resolve(SetTraining.METRICS));
        assertThat(after).hasSize(3).startsWith(before.toArray(String[]::new));
        assertThat(after.get(2)).startsWith("{\"epoch\":3,");
        assertPredictsAsBefore(run.resolve(SetTraining.MODEL), s.resolve("input.csv"), s.resolve("predictions/set-cut-resumed.csv"), dir.resolve("p.csv"));
    }

    @Test
    void exportsOfTheSampleModelsAreTheBytesTheyWere(@TempDir Path dir) throws Exception {
        // NumPy/SciPy code reads these; the export copies stored values, so nothing but a change of layout moves a byte.
        Path s = samples();
        for (String model : MODELS) {
            Path out = dir.resolve(name(model) + ".npz");
            HeldOutSplitTest.Outcome o = HeldOutSplitTest.run("export", "--model", s.resolve(model).toString(), "--output", out.toString());
            assertThat(o.code()).as("%s: %s", model, o.err()).isZero();
            assertThat(Files.readAllBytes(out)).as(model).isEqualTo(Files.readAllBytes(s.resolve("exports/" + name(model) + ".npz")));
        }
    }
}
