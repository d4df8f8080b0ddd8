package org.dst4j.algorithms.set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScaleBenchmarkTest {

    private static ScaleBenchmark.Settings tiny(int threads) {
        return new ScaleBenchmark.Settings(96, 12, 3, 1.5f, 300, 90, 8, 0.01f, 0.9f, 0.0002f, 0.3, false, 7, threads);
    }

    // Unchecked, a bad field would fail inside run, after its output directory was made (threads, batch) or its data generated.
    @Test
    void settingsAndSizesCheckTheirFieldsWhenBuilt() {
        assertThatThrownBy(() -> new ScaleBenchmark.Settings(96, 12, 3, 1.5f, 300, 90, 8, 0.01f, 0.9f, 0.0002f, 0.3, false, 7, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("threads must be >= 1, got 0");
        assertThatThrownBy(() -> new ScaleBenchmark.Settings(96, 12, 3, 1.5f, 300, 90, 0, 0.01f, 0.9f, 0.0002f, 0.3, false, 7, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("batch must be >= 1, got 0");
        assertThatThrownBy(() -> new ScaleBenchmark.Settings(96, 12, 3, 1.5f, 300, 90, 8, Float.NaN, 0.9f, 0.0002f, 0.3, false, 7, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("lr must be finite and > 0, got NaN");
        assertThatThrownBy(() -> new ScaleBenchmark.Settings(96, 12, 3, 1.5f, 300, 90, 8, 0.01f, 0.9f, 0.0002f, 1.5, false, 7, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("zeta must be in [0, 1], got 1.5");
        assertThatThrownBy(() -> new ScaleBenchmark.Settings(96, 97, 3, 1.5f, 300, 90, 8, 0.01f, 0.9f, 0.0002f, 0.3, false, 7, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("informative must be in [1, 96] (the features), got 97");
        assertThatThrownBy(() -> new ScaleBenchmark.Settings(96, 12, 3, Float.NaN, 300, 90, 8, 0.01f, 0.9f, 0.0002f, 0.3, false, 7, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("separation must be finite and >= 0, got NaN");
        assertThatThrownBy(() -> new ScaleBenchmark.Size(new int[] {40, 0}, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("hidden sizes must be >= 1, got [40, 0]");
        assertThatThrownBy(() -> new ScaleBenchmark.Size(new int[] {40}, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("epsilon must be finite and > 0, got 0.0");
    }

    // As for the training runs, a null listener reports nothing.
    @Test
    void aNullProgressReportsNothing(@TempDir Path dir) throws Exception {
        assertThat(ScaleBenchmark.run(tiny(1), List.of(new ScaleBenchmark.Size(new int[] {20}, 4)), dir, null)).hasSize(1);
        assertThat(dir.resolve(ScaleBenchmark.METRICS)).isRegularFile();
    }

    @Test
    void recordsEverySizeAndWritesMetricsAndChart(@TempDir Path dir) throws Exception {
        List<ScaleBenchmark.Size> sizes = List.of(new ScaleBenchmark.Size(new int[] {40}, 4), new ScaleBenchmark.Size(new int[] {160, 160}, 8));
        List<ScaleBenchmark.Point> ps = ScaleBenchmark.run(tiny(2), sizes, dir, new ScaleBenchmark.Progress() {});
        assertThat(ps).hasSize(2);
        assertThat(ps.get(0).neurons()).isEqualTo(40);
        assertThat(ps.get(1).neurons()).isEqualTo(320);
        assertThat(ps.get(1).connections()).isGreaterThan(ps.get(0).connections());
        for (ScaleBenchmark.Point p : ps) {
            assertThat(p.trainSeconds()).isPositive();
            assertThat(p.evolutionSeconds()).isPositive();
            assertThat(p.evolutionShare()).isBetween(0.0, 1.0);
            assertThat(p.testAccuracy()).isBetween(0.0, 1.0);
            assertThat(p.datasetBytes()).isEqualTo((300L + 90) * 96 * Float.BYTES);
        }
        // well-separated classes: the larger net learns them in its one epoch
        assertThat(ps.get(1).testAccuracy()).isGreaterThan(0.6);
        assertThat(Files.readString(dir.resolve(ScaleBenchmark.METRICS))).contains("\"connections\"").contains("epoch_time_slope");
        assertThat(Files.size(dir.resolve(ScaleBenchmark.CHART))).isPositive();

        Files.delete(dir.resolve(ScaleBenchmark.CHART));
        List<ScaleBenchmark.Point> read = ScaleBenchmark.replot(dir);
        assertThat(read).extracting(ScaleBenchmark.Point::connections).containsExactly(ps.get(0).connections(), ps.get(1).connections());
        assertThat(read.get(1).bytesPerConnection()).isEqualTo(ps.get(1).bytesPerConnection());
        assertThat(Files.size(dir.resolve(ScaleBenchmark.CHART))).isPositive();
    }

    // The figures derived from what was timed, on points made up so that each has one exact value: the slopes are
    // least-squares fits in log-log space (the last one of three points off the line), memory is peak RSS less the data.
    @Test
    void slopesAndPerPointFiguresFollowFromTheMeasurements() {
        assertThat(ScaleBenchmark.logLogSlope(new double[] {2, 8, 32}, new double[] {3 * Math.pow(2, 1.5), 3 * Math.pow(8, 1.5), 3 * Math.pow(32, 1.5)}))
                .isCloseTo(1.5, offset(1e-12));
        // logs 0, 1, 2 against 0, 2, 3: slope (1 * 5/3 + 1 * 4/3) / 2
        assertThat(ScaleBenchmark.logLogSlope(new double[] {1, 10, 100}, new double[] {1, 100, 1000}))
                .isCloseTo(1.5, offset(1e-12));
        assertThat(ScaleBenchmark.logLogSlope(new double[] {4, 16}, new double[] {5 / 4.0, 5 / 16.0})).isCloseTo(-1, offset(1e-12));

        ScaleBenchmark.Size size = new ScaleBenchmark.Size(new int[] {10}, 2);
        ScaleBenchmark.Point small = new ScaleBenchmark.Point(size, 10, 100, 0.5, 3, 1, 0.25, 0.75, 1_000, 200, 400, true);
        ScaleBenchmark.Point large = new ScaleBenchmark.Point(size, 10, 1_000, 0.5, 36, 4, 0.25, 0.75, 80_200, 200, 4_000, true);
        assertThat(small.epochSeconds()).isEqualTo(4);
        assertThat(small.evolutionShare()).isEqualTo(0.25);
        assertThat(small.bytesPerConnection()).isEqualTo(8);
        assertThat(large.bytesPerConnection()).isEqualTo(80);
        // epoch 4 s -> 40 s and memory 800 -> 80,000 bytes over ten times the connections
        assertThat(ScaleBenchmark.epochTimeSlope(List.of(small, large))).isCloseTo(1, offset(1e-12));
        Map<String, Object> m = ScaleBenchmark.metrics(tiny(1), List.of(small, large));
        assertThat((double) m.get("epoch_time_slope")).isCloseTo(1, offset(1e-12));
        assertThat((double) m.get("memory_slope")).isCloseTo(2, offset(1e-12));
        @SuppressWarnings("unchecked") Map<String, Object> row = (Map<String, Object>) ((List<?>) m.get("sizes")).get(1);
        assertThat(row).containsEntry("evolution_share", 0.1).containsEntry("bytes_per_connection", 80.0);
        assertThat(ScaleBenchmark.metrics(tiny(1), List.of(small))).doesNotContainKeys("epoch_time_slope", "memory_slope");
    }

    @Test
    void replotNamesTheFileItCannotUse(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ScaleBenchmark.replot(dir))
                .isInstanceOf(IOException.class).hasMessageContaining("scale.json");
        Files.writeString(dir.resolve(ScaleBenchmark.METRICS), "{\"sizes\": [{\"hidden\": [5]}]}");
        assertThatThrownBy(() -> ScaleBenchmark.replot(dir))
                .isInstanceOf(IOException.class).hasMessageContaining("scale.json").hasMessageContaining("epsilon");
    }

    @Test
    void sameSeedSameAccuracyWhateverTheThreadCount(@TempDir Path dir) throws Exception {
        List<ScaleBenchmark.Size> sizes = List.of(new ScaleBenchmark.Size(new int[] {64}, 6));
        ScaleBenchmark.Point one = ScaleBenchmark.run(tiny(1), sizes, dir.resolve("a"), new ScaleBenchmark.Progress() {}).getFirst();
        ScaleBenchmark.Point two = ScaleBenchmark.run(tiny(2), sizes, dir.resolve("b"), new ScaleBenchmark.Progress() {}).getFirst();
        assertThat(two.connections()).isEqualTo(one.connections());
        assertThat(two.testAccuracy()).isEqualTo(one.testAccuracy());
    }
}
