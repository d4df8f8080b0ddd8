package org.dst4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig.Variant;
import org.dst4j.algorithms.neurotrails.NeuroTrailsConfig;
import org.dst4j.algorithms.quickselection.QuickSelectionConfig;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.spacenet.SpaceNetConfig;
import org.dst4j.nn.io.Json;
import org.junit.jupiter.api.Test;

/**
 * A config's map is what metrics.json, checkpoints and model headers show of the settings: its float settings
 * read as typed (momentum 0.9, not the double it widens to, 0.8999999761581421), and it reads back as the same
 * config.
 */
class ConfigMapTest {

    private static <C> void writtenAsTyped(C cfg, Map<String, Object> map, Function<Map<String, Object>, C> read, String... shown) {
        String text = Json.write(map);
        assertThat(text).contains(shown).doesNotContainPattern("\\d{9}");
        assertThat(read.apply(Json.parseObject(text))).isEqualTo(cfg);
    }

    @Test
    void set() {
        SetConfig c = SetConfig.defaults();
        String text = Json.write(c.toMap());
        assertThat(text).contains("\"lr\":0.01,", "\"momentum\":0.9,").doesNotContainPattern("\\d{9}");
    }

    @Test
    void freeTickets() {
        for (Variant v : Variant.values()) {
            FreeTicketsConfig c = FreeTicketsConfig.defaults(v);
            writtenAsTyped(c, c.toMap(), m -> FreeTicketsConfig.fromMap(m, c.threads()), "\"momentum\":0.9,", "\"lr\":" + c.lr() + ",");
        }
    }

    @Test
    void neuroTrails() {
        NeuroTrailsConfig c = NeuroTrailsConfig.defaults();
        writtenAsTyped(c, c.toMap(), m -> NeuroTrailsConfig.fromMap(m, c.threads()), "\"momentum\":0.9,", "\"lr\":" + c.lr() + ",");
    }

    @Test
    void spaceNet() {
        SpaceNetConfig c = SpaceNetConfig.defaults();
        writtenAsTyped(c, c.toMap(), m -> SpaceNetConfig.fromMap(m, c.threads()), "\"lr\":" + c.lr() + ",");
        // A checkpoint of a run with its own class order resumes with that order, not the classes in order.
        SpaceNetConfig ordered = c.withTaskClasses(new int[][] {{3, 1}, {0}, {2}});
        writtenAsTyped(ordered, ordered.toMap(), m -> SpaceNetConfig.fromMap(m, c.threads()), "\"task_classes\":[[3,1],[0],[2]]");
        Map<String, Object> m = new HashMap<>(Json.parseObject(Json.write(ordered.toMap())));
        m.put("task_classes", 3L);
        assertThatThrownBy(() -> SpaceNetConfig.fromMap(m, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("field 'task_classes': expected an array, got 3");
        m.put("task_classes", List.of(List.of(0L), "x"));
        assertThatThrownBy(() -> SpaceNetConfig.fromMap(m, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("task_classes[1]");
    }

    @Test
    void quickSelection() {
        QuickSelectionConfig c = QuickSelectionConfig.defaults();
        writtenAsTyped(c, c.toMap(), m -> QuickSelectionConfig.fromMap(m, c.threads()), "\"momentum\":0.9,");
    }
}
