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

    // One panel (spacenet --no-baselines) cut the title off mid-word, and rows after the first were labelled in gray.
    @Test
    void aHeatmapFitsItsTitleAndLabelsEveryRowInBlack() {
        String title = "Class-incremental accuracy (%) on task i after learning task j";
        BufferedImage img = new Heatmap(title, "task", "after task j").add("SpaceNet", new double[][] {{0.9, 0.5}, {Double.NaN, 0.8}}).render();
        java.awt.Graphics2D g = img.createGraphics();
        int titleWidth = g.getFontMetrics(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.BOLD, 15)).stringWidth(title);
        g.dispose();
        assertThat(img.getWidth()).isGreaterThanOrEqualTo(10 + titleWidth);
        for (int row = 0; row < 2; row++) {
            int darkest = 255; // the label "task r" sits left of the cells, 64 px per row from y = 60
            for (int y = 60 + row * 64 + 20; y < 60 + row * 64 + 44; y++) {
                for (int x = 8; x < 80; x++) darkest = Math.min(darkest, img.getRGB(x, y) & 0xff);
            }
            assertThat(darkest).as("row %d's label", row + 1).isLessThan(0x40);
        }
    }

    // The axes were cut in five equal parts: SET's curve read "2.80" epochs and an accuracy of "0.0823".
    @Test
    void ticksAreRoundValuesInsideTheRangeAndWholeForWholeNumbers() {
        assertThat(LineChart.ticks(1, 10, true)).containsExactly(2, 4, 6, 8, 10);
        assertThat(LineChart.ticks(1, 30, true)).containsExactly(5, 10, 15, 20, 25, 30);
        assertThat(LineChart.ticks(1, 3, true)).containsExactly(1, 2, 3);
        assertThat(LineChart.ticks(0.0823, 0.611, false)).containsExactly(0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001);
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < 1000; i++) {
            double lo = (rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(9) - 4), hi = lo + Math.pow(10, rnd.nextInt(9) - 4) * (0.01 + rnd.nextDouble());
            double[] t = LineChart.ticks(lo, hi, false);
            assertThat(t.length).as("[%s, %s]", lo, hi).isBetween(3, 10);
            for (double v : t) assertThat(v).as("[%s, %s]", lo, hi).isBetween(lo - 1e-9 * (hi - lo), hi + 1e-9 * (hi - lo));
        }
    }
}
