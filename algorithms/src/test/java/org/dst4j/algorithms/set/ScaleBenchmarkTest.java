package org.dst4j.algorithms.set;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScaleBenchmarkTest {

    private static ScaleBenchmark.Settings tiny(int threads) {
        return new ScaleBenchmark.Settings(96, 12, 3, 1.5f, 300, 90, 8, 0.01f, 0.9f, 0.0002f, 0.3, false, 7, threads);
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

    @Test
    void replotNamesTheFileItCannotUse(@TempDir Path dir) throws Exception {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ScaleBenchmark.replot(dir))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("scale.json");
        Files.writeString(dir.resolve(ScaleBenchmark.METRICS), "{\"sizes\": [{\"hidden\": [5]}]}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ScaleBenchmark.replot(dir))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("scale.json").hasMessageContaining("epsilon");
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
