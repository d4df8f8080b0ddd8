package org.dst4j.nn.plot;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ChartTest {

    private static boolean hasInk(BufferedImage img) {
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) if ((img.getRGB(x, y) & 0xffffff) != 0xffffff) return true;
        }
        return false;
    }

    @Test
    void chartsDrawWithoutSettingTheApplicationsHeadlessProperty() {
        // Setting java.awt.headless JVM-wide made a desktop application that trained before opening a window fail.
        String before = System.getProperty("java.awt.headless");
        BufferedImage line = new LineChart("t", "x", "y").add("s", new double[] {0, 1, 2}, new double[] {1, 3, 2}).render();
        BufferedImage bars = new BarChart("t", "y").add("a", 1, false).add("b", 2, true).render();
        assertThat(System.getProperty("java.awt.headless")).isEqualTo(before);
        assertThat(hasInk(line)).isTrue();
        assertThat(hasInk(bars)).isTrue();
    }
}
