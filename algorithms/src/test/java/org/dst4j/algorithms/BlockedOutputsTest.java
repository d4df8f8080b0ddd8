package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.dst4j.algorithms.freetickets.FreeTickets;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.algorithms.neurotrails.NeuroTrails;
import org.dst4j.algorithms.neurotrails.NeuroTrailsConfig;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.algorithms.spacenet.SpaceNetConfig;
import org.dst4j.algorithms.spacenet.SpaceNetRun;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.DatasetSplit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A run whose output cannot be written is refused before it trains: some outputs are written only when the run ends,
 * and an output directory that is a file, or a directory where one of the run's files goes, would otherwise cost the
 * whole run.
 */
class BlockedOutputsTest {
    @TempDir Path dir;
    private static DatasetSplit data;

    interface Run {
        void into(Path out) throws IOException;
    }

    @BeforeAll
    static void data() throws Exception {
        try (DatasetSplit all = DataSources.embedded()) {
            Dataset train = all.train().subset(IntStream.range(0, 300).toArray());
            Dataset test = all.test().subset(IntStream.range(0, 100).toArray());
            data = new DatasetSplit(train, test);
        }
    }

    @AfterAll
    static void close() {
        data.close();
    }

    // Each algorithm with the file its run writes last (the model, or the chart after it).
    static Stream<Object[]> runs() {
        Run set = out -> SetTraining.train(SetConfig.defaults().withHidden(16).withEpochs(1).withThreads(1), data, true, out,
                new SetTraining.Progress() {}).close();
        Run freeTickets = out -> FreeTickets.run(FreeTicketsConfig.defaults(Variant.DST).withMembers(2).withHidden(16, 16)
                .withEpochs(1).withThreads(1), data, true, out, null);
        Run neuroTrails = out -> NeuroTrails.run(NeuroTrailsConfig.defaults().withHeads(2).withHidden(16, 16).withEpochs(1)
                .withThreads(1), data, true, false, out, null);
        Run spaceNet = out -> SpaceNetRun.run(SpaceNetConfig.defaults().withEpochs(1).withThreads(1), data, true, false, out, null);
        return Stream.of(new Object[] {"set", set, SetTraining.MODEL}, new Object[] {"freetickets", freeTickets, "member-2.dst4j"},
                new Object[] {"neurotrails", neuroTrails, NeuroTrails.CHART}, new Object[] {"spacenet", spaceNet, SpaceNetRun.OWNERS});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void aDirectoryWhereTheRunWritesAFileIsRefusedBeforeTraining(String name, Run run, String lastOutput) throws IOException {
        Path out = dir.resolve(name), blocking = Files.createDirectories(out.resolve(lastOutput));
        assertThatThrownBy(() -> run.into(out)).isInstanceOf(IOException.class)
                .hasMessage(blocking + ": a directory, where the run writes a file");
        try (Stream<Path> left = Files.list(out)) {
            assertThat(left).containsExactly(blocking);
        }
    }

    @Test
    void aFileWhereNeuroTrailsWritesItsModelDirectoryIsRefusedBeforeTraining() throws IOException {
        Path out = Files.createDirectories(dir.resolve("nt")), model = Files.writeString(out.resolve(NeuroTrails.MODEL_DIR), "x");
        Run neuroTrails = (Run) runs().filter(r -> r[0].equals("neurotrails")).findFirst().orElseThrow()[1];
        assertThatThrownBy(() -> neuroTrails.into(out)).isInstanceOf(IOException.class)
                .hasMessage(model + ": a file, where the run writes its model's directory");
        try (Stream<Path> left = Files.list(out)) {
            assertThat(left).containsExactly(model);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("runs")
    void anOutputDirectoryThatIsAFileIsNamedAsOne(String name, Run run, String lastOutput) throws IOException {
        Path file = Files.writeString(dir.resolve(name), "not a directory");
        assertThatThrownBy(() -> run.into(file)).isInstanceOf(IOException.class)
                .hasMessage(file + ": a file, where the run needs a directory");
        assertThatThrownBy(() -> run.into(file.resolve("run"))).isInstanceOf(IOException.class)
                .hasMessage(file + ": a file, where the run needs a directory");
        assertThat(Files.readString(file)).isEqualTo("not a directory");
    }
}
