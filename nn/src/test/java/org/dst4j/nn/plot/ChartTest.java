package org.dst4j.nn.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartTest {

    private static boolean hasInk(BufferedImage img) {
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) if ((img.getRGB(x, y) & 0xffffff) != 0xffffff) return true;
        }
        return false;
    }

    @Test
    void chartsDrawWithoutSettingTheApplicationsHeadlessProperty() {
        // Setting java.awt.headless JVM-wide would make a desktop application that trains before opening a window fail.
        String before = System.getProperty("java.awt.headless");
        BufferedImage line = new LineChart("t", "x", "y").add("s", new double[] {0, 1, 2}, new double[] {1, 3, 2}).render();
        BufferedImage bars = new BarChart("t", "y").add("a", 1, false).add("b", 2, true).render();
        assertThat(System.getProperty("java.awt.headless")).isEqualTo(before);
        assertThat(hasInk(line)).isTrue();
        assertThat(hasInk(bars)).isTrue();
    }

    // NeuroTrails with 40 tiny heads has accuracies of 0.06-0.24, not to be drawn on an axis from -0.125: bars of
    // non-negative values start no lower than zero, so their heights keep the values' ratio when the spread is that
    // wide.
    @Test
    void barsOfNonNegativeValuesRiseFromNoAxisBelowZero() {
        BufferedImage img = new BarChart("t", "accuracy").add("a", 0.06, false).add("b", 0.24, false).render();
        int colour = LineChart.PALETTE[0].getRGB() & 0xffffff;
        int[] height = new int[2];
        for (int bar = 0; bar < 2; bar++) { // 500 px wide: bar i spans x = 103 + 200 i .. + 133
            int x = 103 + 200 * bar + 60;
            for (int y = 0; y < img.getHeight(); y++) if ((img.getRGB(x, y) & 0xffffff) == colour) height[bar]++;
        }
        assertThat(height[0]).isPositive();
        assertThat((double) height[1] / height[0]).isCloseTo(4.0, offset(0.2));
        assertThat(BarChart.axis(0.06, 0.24)[0]).isZero();
        // Values close together are still zoomed, and negative values keep an axis below them.
        assertThat(BarChart.axis(0.89, 0.91)[0]).isCloseTo(0.87, offset(1e-9));
        assertThat(BarChart.axis(-0.5, 0.5)[0]).isEqualTo(-1.5);
    }

    // Not "95,0" in the heatmap's cells and "0,0600" in the bar chart's values under a German default locale, beside
    // line charts labelled "0.5": a chart's numbers do not depend on where it was drawn.
    @Test
    void chartsDrawTheirNumbersTheSameUnderEveryLocale() {
        Locale before = Locale.getDefault(Locale.Category.FORMAT);
        Supplier<BufferedImage[]> draw = () -> new BufferedImage[] {
            new Heatmap("t", "task", "after").add("a", new double[][] {{0.95, 0.5}, {Double.NaN, 0.825}}).render(),
            new BarChart("t", "accuracy").add("a", 0.06, false).add("b", 0.24, true).render()};
        BufferedImage[] root, german;
        try {
            Locale.setDefault(Locale.Category.FORMAT, Locale.ROOT);
            root = draw.get();
            Locale.setDefault(Locale.Category.FORMAT, Locale.GERMANY);
            german = draw.get();
        } finally {
            Locale.setDefault(Locale.Category.FORMAT, before);
        }
        for (int i = 0; i < root.length; i++) {
            assertThat(german[i].getWidth()).isEqualTo(root[i].getWidth());
            int w = root[i].getWidth(), h = root[i].getHeight();
            assertThat(Arrays.equals(german[i].getRGB(0, 0, w, h, null, 0, w), root[i].getRGB(0, 0, w, h, null, 0, w)))
                    .as(i == 0 ? "heatmap drawn the same" : "bar chart drawn the same").isTrue();
        }
    }

    // One panel (spacenet --no-baselines): the title not cut off mid-word, no row after the first labelled in gray.
    @Test
    void aHeatmapFitsItsTitleAndLabelsEveryRowInBlack() {
        String title = "Class-incremental accuracy (%) on task i after learning task j";
        BufferedImage img = new Heatmap(title, "task", "after task j").add("SpaceNet", new double[][] {{0.9, 0.5}, {Double.NaN, 0.8}}).render();
        Graphics2D g = img.createGraphics();
        int titleWidth = g.getFontMetrics(new Font(Font.SANS_SERIF, Font.BOLD, 15)).stringWidth(title);
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

    @Test
    void namedHeatmapRowsWidenTheMarginToFitAndUnnamedRowsKeepTheirNumber() {
        double[][] v = {{0.9, 0.5, 0.4}, {Double.NaN, 0.8, 0.7}, {Double.NaN, Double.NaN, 0.6}};
        BufferedImage plain = new Heatmap("t", "task", "after").add("a", v).render();
        // the default labels given as names draw the same picture
        BufferedImage same = new Heatmap("t", "task", "after").add("a", v).rowNames(List.of("task 1", "task 2", "task 3")).render();
        assertThat(pixels(same)).isEqualTo(pixels(plain));
        String longName = "task 1 (8,4,7,0,1,2,5,9,6,3)";
        BufferedImage named = new Heatmap("t", "task", "after").add("a", v).rowNames(List.of(longName)).render();
        Graphics2D g = named.createGraphics();
        int nameWidth = g.getFontMetrics(new Font(Font.SANS_SERIF, Font.PLAIN, 12)).stringWidth(longName);
        g.dispose();
        assertThat(named.getWidth()).isEqualTo(plain.getWidth() + (16 + nameWidth - 90));
        // the cells moved right with the margin: row 1's first cell starts after the name
        int cellX = 16 + nameWidth + 10, cellY = 60 + 10;
        assertThat(named.getRGB(cellX, cellY)).isEqualTo(plain.getRGB(90 + 10, cellY));
        // rows 2 and 3 are not named: their numbered labels are drawn (dark pixels left of the cells)
        int darkest = 255;
        for (int y = 60 + 2 * 64 + 20; y < 60 + 2 * 64 + 44; y++) for (int x = 8; x < 80; x++) darkest = Math.min(darkest, named.getRGB(x, y) & 0xff);
        assertThat(darkest).isLessThan(0x40);
    }

    private static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    // Not five equal parts of the axis, which gave SET's curve "2.80" epochs and an accuracy of "0.0823".
    @Test
    void ticksAreRoundValuesInsideTheRangeAndWholeForWholeNumbers() {
        assertThat(LineChart.ticks(1, 10, true)).containsExactly(2, 4, 6, 8, 10);
        assertThat(LineChart.ticks(1, 30, true)).containsExactly(5, 10, 15, 20, 25, 30);
        assertThat(LineChart.ticks(1, 3, true)).containsExactly(1, 2, 3);
        assertThat(LineChart.ticks(0.0823, 0.611, false)).containsExactly(0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001);
        Random rnd = new Random(7);
        for (int i = 0; i < 1000; i++) {
            double lo = (rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(9) - 4), hi = lo + Math.pow(10, rnd.nextInt(9) - 4) * (0.01 + rnd.nextDouble());
            double[] t = LineChart.ticks(lo, hi, false);
            assertThat(t.length).as("[%s, %s]", lo, hi).isBetween(3, 10);
            for (double v : t) assertThat(v).as("[%s, %s]", lo, hi).isBetween(lo - 1e-9 * (hi - lo), hi + 1e-9 * (hi - lo));
        }
    }

    @Test
    void anInterruptDuringAChartsWriteIsAnInterruptedIOExceptionAndLeavesThePreviousFile(@TempDir Path dir)
            throws IOException {
        // The PNG writer wraps the channel's ClosedByInterruptException in its own "I/O error writing PNG file!",
        // which is reported as an interrupt, not as a plain IOException that looks like a failed disk.
        Path f = Files.writeString(dir.resolve("curve.png"), "previous");
        LineChart chart = new LineChart("t", "x", "y").add("s", new double[] {0, 1, 2}, new double[] {1, 3, 2});
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> chart.write(f)).isInstanceOf(InterruptedIOException.class)
                    .hasMessage("writing " + f + ": interrupted");
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag kept").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(Files.readString(f)).isEqualTo("previous");
    }

    @Test
    void anInterruptArrivingWhileAChartIsDrawnIsKept(@TempDir Path dir) throws Exception {
        // Java2D clears the drawing thread's interrupt flag when it draws text; a chart drawn on the training thread
        // would lose an interrupt that arrives meanwhile (a Ctrl-C then letting training run on). Whenever the
        // interrupt lands (before, during or after the write), the flag is set once the interrupting thread is done.
        Thread self = Thread.currentThread();
        SplittableRandom rnd = new SplittableRandom(7);
        int lost = 0;
        for (int i = 0; i < 60; i++) {
            // Letters no earlier chart drew (Latin Extended-A): only glyphs not yet cached are read from the font file.
            String fresh = new String(new char[] {(char) (0x100 + 2 * i), (char) (0x101 + 2 * i)});
            LineChart chart = new LineChart("run " + fresh, "epoch", "accuracy").add(fresh, new double[] {0, 1, 2}, new double[] {1, 3, 2});
            long delayNanos = rnd.nextLong(4_000_000);
            Thread interrupter = Thread.ofPlatform().start(() -> {
                LockSupport.parkNanos(delayNanos);
                self.interrupt();
            });
            try {
                chart.write(dir.resolve("c.png"));
            } catch (InterruptedIOException expected) {
                // landed before or in the write
            }
            while (interrupter.isAlive()) Thread.onSpinWait(); // not join(): it would throw on the flag it is to check
            if (!Thread.interrupted()) lost++;
        }
        assertThat(lost).as("interrupts lost of 60").isZero();
    }

    @Test
    void renderKeepsTheCallersInterruptToo() {
        // Java2D clears the drawing thread's interrupt flag when it draws glyphs it has not cached yet: an interrupt set
        // before render(), or arriving during it, stays set on the caller's thread.
        Thread self = Thread.currentThread();
        SplittableRandom rnd = new SplittableRandom(11);
        int lost = 0;
        for (int i = 0; i < 30; i++) {
            // Cyrillic letters no other test draws: glyphs not yet cached.
            String fresh = new String(new char[] {(char) (0x410 + 2 * i), (char) (0x411 + 2 * i)});
            LineChart chart = new LineChart("run " + fresh, "epoch", "accuracy").add(fresh, new double[] {0, 1, 2}, new double[] {1, 3, 2});
            Thread interrupter = null;
            if (i % 2 == 0) {
                self.interrupt();
            } else {
                long delayNanos = rnd.nextLong(4_000_000);
                interrupter = Thread.ofPlatform().start(() -> {
                    LockSupport.parkNanos(delayNanos);
                    self.interrupt();
                });
            }
            BufferedImage img = chart.render();
            assertThat(img.getWidth()).isPositive();
            while (interrupter != null && interrupter.isAlive()) Thread.onSpinWait();
            if (!Thread.interrupted()) lost++;
        }
        assertThat(lost).as("interrupts lost of 30").isZero();
    }

    // Every chart a run writes is a PNG another program has to open: the signature, an IHDR giving the image's size, every
    // chunk's CRC, one zlib stream holding exactly the image's rows, an IEND last; and the JDK's own decoder reads back
    // the pixels drawn. Written in a directory of its own: nothing but the chart is left there (no temporary file).
    @Test
    void everyChartIsWrittenAsAWellFormedPngThatDecodesToThePixelsDrawn(@TempDir Path dir) throws Exception {
        LineChart line = new LineChart("t", "epoch", "accuracy").size(300, 200).add("s", new double[] {0, 1, 2}, new double[] {0.5, 0.7, 0.6});
        BarChart bars = new BarChart("t", "accuracy").add("a", 0.8, false).add("b", 0.9, true);
        Heatmap heat = new Heatmap("t", "task", "after").add("a", new double[][] {{0.9, 0.5}, {Double.NaN, 0.8}});
        BufferedImage map = PixelMap.render(new double[] {0, 1, 2, 3, 4, 5}, new boolean[] {false, true, false, false, true, false}, 2, 3, 4);
        Path[] files = {dir.resolve("line.png"), dir.resolve("bars.png"), dir.resolve("heat.png"), dir.resolve("map.png")};
        line.write(files[0]);
        bars.write(files[1]);
        heat.write(files[2]);
        PixelMap.write(files[3], map);
        BufferedImage[] drawn = {line.render(), bars.render(), heat.render(), map};
        for (int i = 0; i < files.length; i++) {
            assertWellFormedPng(files[i], drawn[i].getWidth(), drawn[i].getHeight());
            BufferedImage read = ImageIO.read(files[i].toFile());
            assertThat(read.getWidth()).as(files[i].toString()).isEqualTo(drawn[i].getWidth());
            assertThat(read.getHeight()).as(files[i].toString()).isEqualTo(drawn[i].getHeight());
            assertThat(pixels(read)).as(files[i] + " decodes to the pixels drawn").isEqualTo(pixels(drawn[i]));
        }
        try (var listing = Files.list(dir)) {
            assertThat(listing.map(f -> f.getFileName().toString()).sorted()).containsExactly("bars.png", "heat.png", "line.png", "map.png");
        }
    }

    private static void assertWellFormedPng(Path file, int width, int height) throws IOException, DataFormatException {
        byte[] bytes = Files.readAllBytes(file);
        assertThat(Arrays.copyOf(bytes, 8)).as("%s: PNG signature", file).containsExactly(0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n');
        ByteBuffer in = ByteBuffer.wrap(bytes, 8, bytes.length - 8);
        List<String> types = new ArrayList<>();
        ByteArrayOutputStream zlib = new ByteArrayOutputStream();
        int bytesPerPixel = 0;
        while (in.hasRemaining()) {
            int length = in.getInt();
            byte[] typeAndData = new byte[4 + length];
            in.get(typeAndData);
            String type = new String(typeAndData, 0, 4, StandardCharsets.US_ASCII);
            CRC32 crc = new CRC32();
            crc.update(typeAndData);
            assertThat(in.getInt()).as("%s: %s chunk's CRC", file, type).isEqualTo((int) crc.getValue());
            ByteBuffer data = ByteBuffer.wrap(typeAndData, 4, length);
            switch (type) {
                case "IHDR" -> {
                    assertThat(length).isEqualTo(13);
                    assertThat(data.getInt()).as("%s: IHDR width", file).isEqualTo(width);
                    assertThat(data.getInt()).as("%s: IHDR height", file).isEqualTo(height);
                    assertThat(data.get()).as("bit depth").isEqualTo((byte) 8);
                    byte colourType = data.get();
                    assertThat(colourType).as("colour type: RGB or RGBA").isIn((byte) 2, (byte) 6);
                    bytesPerPixel = colourType == 2 ? 3 : 4;
                    assertThat(new byte[] {data.get(), data.get(), data.get()}).as("compression, filter, interlace").containsExactly(0, 0, 0);
                }
                case "IDAT" -> zlib.write(typeAndData, 4, length);
                case "IEND" -> assertThat(length).isZero();
                default -> { }
            }
            types.add(type);
        }
        assertThat(types.getFirst()).as("%s: first chunk", file).isEqualTo("IHDR");
        assertThat(types.getLast()).as("%s: last chunk", file).isEqualTo("IEND");
        assertThat(types).as("%s: chunks", file).contains("IDAT");
        // the rows, each a filter byte and its pixels, and nothing more
        Inflater inflater = new Inflater();
        inflater.setInput(zlib.toByteArray());
        byte[] rows = new byte[height * (1 + width * bytesPerPixel) + 1];
        int n = 0;
        while (!inflater.finished() && n < rows.length) {
            int got = inflater.inflate(rows, n, rows.length - n);
            if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) break;
            n += got;
        }
        assertThat(inflater.finished()).as("%s: the zlib stream is complete", file).isTrue();
        assertThat(n).as("%s: decompressed bytes", file).isEqualTo(height * (1 + width * bytesPerPixel));
        inflater.end();
    }

    // On a runtime with java.desktop (this one), Charts.write draws the chart and says so.
    @Test
    void chartsWriteDrawsTheChartWhereJavaDesktopIsPresent(@TempDir Path dir) throws IOException {
        assertThat(Charts.available()).isTrue();
        Path f = dir.resolve("c.png");
        LineChart chart = new LineChart("t", "x", "y").size(200, 150).add("s", new double[] {0, 1}, new double[] {1, 2});
        assertThat(Charts.write(f, chart::write)).isTrue();
        assertThat(ImageIO.read(f.toFile()).getWidth()).isEqualTo(200);
    }

    // Edge data still gets a proper scale: one point, a flat series and no data at all draw the axes (tick marks and
    // labels) of ordinary data with the range they should get: a single x spans [x, x + 1], a flat y +-0.5 around it,
    // no data [0, 1] on both axes.
    @Test
    void edgeDataDrawsTheAxesOfTheRangeItShouldGet() {
        assertThat(axes(line(new double[] {3}, new double[] {0.7})))
                .as("one point").isEqualTo(axes(line(new double[] {3, 4}, new double[] {0.2, 1.2})));
        assertThat(axes(line(new double[] {0, 1, 2}, new double[] {0.7, 0.7, 0.7})))
                .as("a flat series").isEqualTo(axes(line(new double[] {0, 2}, new double[] {0.2, 1.2})));
        int[] unit = axes(line(new double[] {0, 1}, new double[] {0, 1}));
        assertThat(axes(line(new double[0], new double[0]))).as("an empty series").isEqualTo(unit);
        assertThat(axes(new LineChart("t", "x", "y").render())).as("no series").isEqualTo(unit);
        assertThat(axes(line(new double[] {Double.NaN, 2}, new double[] {1, Double.POSITIVE_INFINITY}))).as("no finite point").isEqualTo(unit);
        // whole x values (epochs) get whole ticks only: not the fractional ones of x values that are not whole
        assertThat(axes(line(new double[] {0, 0.5, 1}, new double[] {0, 0.5, 1}))).as("fractional x").isNotEqualTo(unit);
        // and data of another range does not get the no-data axes
        assertThat(axes(line(new double[] {0, 2}, new double[] {0.2, 1.2}))).isNotEqualTo(unit);
    }

    // The points, the lowest and highest included, land inside the plot's frame (x 70.., y 40..450 at 800x500).
    @Test
    void everyPointLandsInsideThePlot() {
        BufferedImage img = line(new double[] {0, 1, 2}, new double[] {0, 1, 0.5});
        int colour = LineChart.PALETTE[0].getRGB() & 0xffffff, top = Integer.MAX_VALUE, bottom = -1;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < 620; x++) {
                if ((img.getRGB(x, y) & 0xffffff) == colour) { top = Math.min(top, y); bottom = Math.max(bottom, y); }
            }
        }
        assertThat(top).as("highest ink of the curve").isGreaterThanOrEqualTo(40);
        assertThat(bottom).as("lowest ink of the curve").isLessThanOrEqualTo(450);
    }

    // A point with a non-finite coordinate is skipped: it neither draws nor stretches an axis (an infinite y would make
    // the whole range infinite), and a NaN x does not make whole-numbered epochs look fractional.
    @Test
    void nonFinitePointsNeitherDrawNorStretchTheAxes() {
        BufferedImage skipped = line(new double[] {0, 1, 2, Double.NaN, Double.NEGATIVE_INFINITY}, new double[] {1, 2, Double.NaN, 5, 7});
        assertThat(pixels(skipped)).isEqualTo(pixels(line(new double[] {0, 1}, new double[] {1, 2})));
        assertThat(seriesInk(skipped, 0, 620)).as("the finite points are drawn").isPositive();
        // a skipped point breaks the curve: nothing is drawn halfway between its neighbours (x = 0 and 2 at the
        // plot's left and right, x = 1 halfway)
        BufferedImage gap = line(new double[] {0, 1, 2}, new double[] {1, Double.NaN, 2});
        assertThat(seriesInk(gap, 0, 620)).isPositive();
        assertThat(seriesInk(gap, 300, 400)).as("ink between the neighbours of a skipped point").isZero();
    }

    // Any finite data gets an axis: values all equal and so large that +-0.5 vanishes in their rounding (1e17), not
    // one tick "0" and the curve at NaN positions; values from -1e308 to 1e308, whose difference overflows; and values
    // of 1e-30, not labelled with 31 decimals across the plot. Each draws several tick
    // labels, all ending left of the plot's frame (at x = 70, further right only for labels wider than ordinary
    // data's), and its points inside the plot (y 40..450 at 800x500), a flat series halfway up.
    @Test
    void anyFiniteDataGetsSeveralTicksLabelledLeftOfThePlotAndItsPointsInside() {
        double max = Double.MAX_VALUE;
        double[][] ys = {{0, 0, 0}, {1e-30, 1e-30, 1e-30}, {0.7, 0.7, 0.7}, {1e17, 1e17, 1e17}, {-1e17, -1e17, -1e17},
            {1e300, 1e300, 1e300}, {max, max, max}, {-max, -max, -max}, {-1e308, 0, 1e308}, {1e-30, 1.5e-30, 2e-30}};
        for (double[] y : ys) {
            BufferedImage img = line(new double[] {0, 1, 2}, y);
            String data = Arrays.toString(y);
            int frame = frameLeft(img);
            assertThat(frame).as("%s: the plot's left side, moved right only for wide labels", data).isBetween(70, 90);
            assertThat(inkBands(img, 0, frame, 36, 457, true)).as("%s: y tick labels", data).isBetween(3, 12);
            assertThat(inkBands(img, frame - 3, frame, 36, 457, true)).as("%s: label ink next to the frame", data).isZero();
            int[] rows = seriesRows(img);
            assertThat(rows[0]).as("%s: highest ink of the curve", data).isGreaterThanOrEqualTo(40 - 3);
            assertThat(rows[1]).as("%s: lowest ink of the curve", data).isLessThanOrEqualTo(450 + 3);
            if (y[0] == y[1] && Math.abs(y[0]) < max) {
                assertThat((rows[0] + rows[1]) / 2).as("%s: a flat series halfway up", data).isBetween(240, 250);
            }
        }
        BufferedImage spread = line(new double[] {0, 1, 2}, new double[] {-1e308, 0, 1e308});
        // 1e308 near the top and -1e308 near the bottom: 5% of the range (about 19 px) inside the frame, less a point's radius
        assertThat(seriesRows(spread)[0]).as("1e308 near the top").isBetween(50, 62);
        assertThat(seriesRows(spread)[1]).as("-1e308 near the bottom").isBetween(428, 440);
        // a single x that large spans an x axis of several ticks too
        for (double x : new double[] {1e17, -1e17, max}) {
            assertThat(inkBands(line(new double[] {x}, new double[] {1}), 0, 800, 455, 472, false)).as("x = %s: x tick labels", x).isBetween(2, 12);
        }
        assertThat(LineChart.label(1.2e-30, new double[] {1e-30, 1.2e-30, 1.4e-30})).isEqualTo("1.2e-30");
        assertThat(LineChart.label(-1e17, new double[] {-1.005e17, -1e17, -0.995e17})).isEqualTo("-1.000e17");
        // labels of up to eight digits stay as they were
        assertThat(LineChart.label(12345678, new double[] {12345677, 12345678})).isEqualTo("12345678");
        assertThat(LineChart.label(0.0000001, new double[] {0, 0.0000001})).isEqualTo("0.0000001");
    }

    // The column of the plot frame's left side: the first one dark from top to bottom.
    private static int frameLeft(BufferedImage img) {
        for (int x = 0; x < img.getWidth(); x++) {
            int dark = 0;
            for (int y = 100; y < 400; y++) if ((img.getRGB(x, y) & 0xff) < 0x40) dark++;
            if (dark > 250) return x;
        }
        return -1;
    }

    // The highest and lowest row holding the first series' colour inside the plot (legend excluded).
    private static int[] seriesRows(BufferedImage img) {
        int colour = LineChart.PALETTE[0].getRGB() & 0xffffff, top = Integer.MAX_VALUE, bottom = -1;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < 640; x++) if ((img.getRGB(x, y) & 0xffffff) == colour) { top = Math.min(top, y); bottom = Math.max(bottom, y); }
        }
        return new int[] {top, bottom};
    }

    // How many runs of rows (byRows) or columns holding dark ink (text: not the light gray grid nor a series' colour) the box
    // [x0, x1) x [y0, y1) has: one per tick label. Columns 8 blank ones apart, not 1: a label's letters stand apart.
    private static int inkBands(BufferedImage img, int x0, int x1, int y0, int y1, boolean byRows) {
        int bands = 0, blank = 8;
        for (int a = byRows ? y0 : x0; a < (byRows ? y1 : x1); a++) {
            boolean ink = false;
            for (int b = byRows ? x0 : y0; b < (byRows ? x1 : y1) && !ink; b++) {
                int rgb = byRows ? img.getRGB(b, a) : img.getRGB(a, b);
                ink = (rgb & 0xff) < 0x80 && (rgb >> 8 & 0xff) < 0x80 && (rgb >> 16 & 0xff) < 0x80;
            }
            if (ink && blank >= (byRows ? 1 : 8)) bands++;
            blank = ink ? 0 : Math.min(8, blank + 1);
        }
        return bands;
    }

    // About 20 series would run the legend off the image's bottom, and a long name off its right edge: the legend lists
    // the series its lines have room for and says how many more there are (the text "+8 more" in its last line, as a
    // series of that name would be listed, but without a swatch), and cuts a long name to end inside the image.
    @Test
    void theLegendStaysInsideTheImage() {
        LineChart many = new LineChart("t", "x", "y"), reference = new LineChart("t", "x", "y");
        for (int i = 0; i < 30; i++) many.add("series " + i, new double[] {0, 1}, new double[] {i, i + 1});
        for (int i = 0; i < 22; i++) reference.add("series " + i, new double[] {0, 1}, new double[] {i, i + 1});
        reference.add("+8 more", new double[0], new double[0]);
        BufferedImage img = many.render(), ref = reference.render();
        // 500 px high, lines of 20 px from y = 50: 23 lines; the text from x = 665, the swatches at 645..659
        assertThat(img.getRGB(665, 0, 135, 500, null, 0, 135)).isEqualTo(ref.getRGB(665, 0, 135, 500, null, 0, 135));
        assertThat(img.getRGB(650, 50 + 20 * 21) & 0xffffff).as("the 22nd line's swatch").isEqualTo(LineChart.PALETTE[21 % 8].getRGB() & 0xffffff);
        assertThat(img.getRGB(650, 50 + 20 * 22) & 0xffffff).as("no swatch on the last line").isEqualTo(0xffffff);
        // 23 series still fit: all listed
        assertThat(img.getRGB(665, 0, 135, 440, null, 0, 135)).isEqualTo(ref.getRGB(665, 0, 135, 440, null, 0, 135));
        String longName = "s".repeat(300), longTitle = "T".repeat(300);
        BufferedImage wide = new LineChart(longTitle, "x", "y").add(longName, new double[] {0, 1}, new double[] {0, 1}).render();
        assertThat(inkBands(wide, 795, 800, 0, 500, true)).as("ink in the last 5 columns").isZero();
        assertThat(inkBands(wide, 700, 795, 10, 30, true)).as("the title, up to the right edge").isPositive();
        assertThat(inkBands(wide, 700, 795, 40, 60, true)).as("the name, up to the right edge").isPositive();
    }

    // A size the axes have no room in (the plot's frame turned inside out), or beyond what an image holds, is refused
    // where it is set, naming it, not when drawn with java.awt's message (0x0) or drawn as nonsense (50x50).
    @Test
    void aChartSizeWithoutRoomForTheAxesOrTooLargeIsRefusedNamingIt() {
        for (int[] wh : new int[][] {{0, 0}, {199, 500}, {800, 149}, {-800, 500}, {100_000, 100_000}}) {
            assertThatThrownBy(() -> new LineChart("t", "x", "y").size(wh[0], wh[1]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("chart size " + wh[0] + "x" + wh[1] + ": expected at least 200x150 and at most 2147483647 pixels");
        }
        assertThat(new LineChart("t", "x", "y").size(200, 150).render().getWidth()).isEqualTo(200);
        // the largest square an image holds is taken (not drawn here: 8 GB)
        assertThatCode(() -> new LineChart("t", "x", "y").size(46_340, 46_340)).doesNotThrowAnyException();
    }

    // Pixels of the first series' colour in columns [x0, x1) (the legend's swatch sits right of x = 640).
    private static int seriesInk(BufferedImage img, int x0, int x1) {
        int colour = LineChart.PALETTE[0].getRGB() & 0xffffff, n = 0;
        for (int y = 0; y < img.getHeight(); y++) for (int x = x0; x < x1; x++) if ((img.getRGB(x, y) & 0xffffff) == colour) n++;
        return n;
    }

    private static BufferedImage line(double[] x, double[] y) {
        return new LineChart("t", "x", "y").add("s", x, y).render();
    }

    // The pixels outside the plot that show the axes' scales (default 800x500 size: the plot's frame spans x 70..,
    // y 40..450): the y labels left of it, the x ticks and labels below it.
    private static int[] axes(BufferedImage img) {
        int[] left = img.getRGB(0, 0, 64, img.getHeight(), null, 0, 64);
        int[] below = img.getRGB(0, 451, img.getWidth(), img.getHeight() - 451, null, 0, img.getWidth());
        int[] both = Arrays.copyOf(left, left.length + below.length);
        System.arraycopy(below, 0, both, left.length, below.length);
        return both;
    }

    // All labels of an axis have as many decimals as its step needs; a lone tick as many as its own value needs.
    @Test
    void tickLabelsShowTheDecimalsOfTheStep() {
        double[] halves = {0, 0.5, 1};
        assertThat(Arrays.stream(halves).mapToObj(v -> LineChart.label(v, halves))).containsExactly("0.0", "0.5", "1.0");
        double[] tens = {10, 20, 30};
        assertThat(LineChart.label(20, tens)).isEqualTo("20");
        double[] hundredths = {0.02, 0.04};
        assertThat(LineChart.label(0.04, hundredths)).isEqualTo("0.04");
        assertThat(LineChart.label(1, new double[] {0.9, 1.0})).isEqualTo("1.0");
        assertThat(LineChart.label(0.1, new double[] {0.1, 0.2})).as("a step of exactly 0.1").isEqualTo("0.1");
        assertThat(LineChart.label(3, new double[] {3})).isEqualTo("3");
        assertThat(LineChart.label(0.5, new double[] {0.5})).isEqualTo("0.5");
        assertThat(LineChart.label(0, new double[] {0})).isEqualTo("0");
    }

    // Score i is pixel (row i / cols, column i % cols), a cell x cell block: plain pixels gray, brighter for a higher
    // score; highlighted ones red to yellow (full red, more green for a higher score).
    @Test
    void aPixelMapShadesEachPixelOfTheGridByItsScore() {
        int cell = 3;
        BufferedImage img = PixelMap.render(new double[] {0, 1, 2, 3, 4, 5}, new boolean[] {false, true, false, false, true, false}, 2, 3, cell);
        assertThat(img.getWidth()).isEqualTo(3 * cell);
        assertThat(img.getHeight()).isEqualTo(2 * cell);
        int[] rgb = new int[6];
        for (int i = 0; i < 6; i++) {
            int x0 = i % 3 * cell, y0 = i / 3 * cell;
            rgb[i] = img.getRGB(x0, y0);
            for (int y = y0; y < y0 + cell; y++) for (int x = x0; x < x0 + cell; x++) assertThat(img.getRGB(x, y)).as("pixel %d's cell", i).isEqualTo(rgb[i]);
        }
        for (int i : new int[] {0, 2, 3, 5}) {
            Color c = new Color(rgb[i]);
            assertThat(c.getRed()).as("plain pixel %d is gray", i).isEqualTo(c.getGreen()).isEqualTo(c.getBlue());
        }
        assertThat(new int[] {rgb[0] & 0xff, rgb[2] & 0xff, rgb[3] & 0xff, rgb[5] & 0xff}).as("gray by score").isSorted().doesNotHaveDuplicates();
        Color low = new Color(rgb[1]), high = new Color(rgb[4]);
        assertThat(low.getRed()).isEqualTo(255);
        assertThat(high.getRed()).isEqualTo(255);
        assertThat(low.getGreen()).as("highlighted: more green for a higher score").isLessThan(high.getGreen());
        assertThat(low.getBlue()).isLessThan(low.getGreen());
        // all scores zero (nothing learned yet): no division by the zero maximum, every plain pixel the same gray
        BufferedImage zero = PixelMap.render(new double[4], null, 2, 2, 1);
        assertThat(pixels(zero)).containsOnly(zero.getRGB(0, 0));
        assertThat(new Color(zero.getRGB(0, 0)).getRed()).isEqualTo(new Color(rgb[0]).getRed());
        assertThatThrownBy(() -> PixelMap.render(new double[5], null, 2, 3, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("5 scores for a 2x3 grid");
    }

    // A NaN score would make the whole map one flat gray (the maximum NaN), and a score below -0.2 times the largest
    // throw java.awt.Color's "Color parameter outside of expected range". A NaN pixel is white (nothing measured), the
    // others keep the shades they have without it; the scale runs from the lowest score to the highest, zero
    // included, so scores that are all non-negative are shaded from zero up; an infinite score is the end of the scale on its
    // side and does not squash the finite ones.
    @Test
    void aPixelMapDrawsNaNScoresWhiteAndNegativeAndInfiniteOnesOnItsScale() {
        BufferedImage plain = PixelMap.render(new double[] {0, 1, 2, 4}, new boolean[] {false, false, true, false}, 1, 4, 1);
        BufferedImage withNaN = PixelMap.render(new double[] {0, Double.NaN, 2, 4}, new boolean[] {false, false, true, false}, 1, 4, 1);
        assertThat(withNaN.getRGB(1, 0) & 0xffffff).as("the NaN pixel").isEqualTo(0xffffff);
        for (int x : new int[] {0, 2, 3}) assertThat(withNaN.getRGB(x, 0)).as("pixel %d", x).isEqualTo(plain.getRGB(x, 0));
        int darkest = plain.getRGB(0, 0), brightest = plain.getRGB(3, 0); // scores 0 and 4
        BufferedImage negative = PixelMap.render(new double[] {-4, -1, 0, 4}, null, 1, 4, 1);
        int[] gray = new int[4];
        for (int x = 0; x < 4; x++) gray[x] = negative.getRGB(x, 0) & 0xff;
        assertThat(gray).as("gray by score").isSorted().doesNotHaveDuplicates();
        assertThat(negative.getRGB(0, 0)).as("the lowest score, -4").isEqualTo(darkest);
        assertThat(negative.getRGB(3, 0)).as("the highest, 4").isEqualTo(brightest);
        assertThat(negative.getRGB(2, 0)).as("0, halfway").isEqualTo(PixelMap.render(new double[] {0, 1, 2}, null, 1, 3, 1).getRGB(1, 0));
        assertThat(PixelMap.render(new double[] {-4, -1}, new boolean[] {true, true}, 1, 2, 1).getRGB(0, 0) & 0xff0000)
                .as("a highlighted negative score: red").isEqualTo(0xff0000);
        BufferedImage infinite = PixelMap.render(new double[] {0, 1, 2, 4, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}, null, 1, 6, 1);
        BufferedImage gray4 = PixelMap.render(new double[] {0, 1, 2, 4}, null, 1, 4, 1);
        for (int x = 0; x < 4; x++) assertThat(infinite.getRGB(x, 0)).as("pixel %d", x).isEqualTo(gray4.getRGB(x, 0));
        assertThat(infinite.getRGB(4, 0)).as("+infinity").isEqualTo(brightest);
        assertThat(infinite.getRGB(5, 0)).as("-infinity").isEqualTo(darkest);
        // no finite score at all: the scale of all zeros, infinities at its ends
        BufferedImage none = PixelMap.render(new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}, null, 1, 3, 1);
        assertThat(new int[] {none.getRGB(0, 0) & 0xffffff, none.getRGB(1, 0), none.getRGB(2, 0)}).containsExactly(0xffffff, brightest, darkest);
    }

    // A grid or cell of no pixels, flags not one per score, or an image larger than one can be, are refused naming the
    // arguments, not java.awt's "Width (-3) and height (-2) cannot be <= 0" (a -2x-3 grid passes the count check
    // with 6 scores), an ArrayIndexOutOfBoundsException, and "Dimensions (width=120000 height=80000) are too large".
    @Test
    void aPixelMapRefusesAGridOfNoPixelsOrTooManyNamingIt() {
        Object[][] cases = {
            {new double[6], null, -2, -3, 1, "a -2x-3 grid of 1 px cells: rows, cols and cell must be at least 1"},
            {new double[0], null, 0, 3, 1, "a 0x3 grid of 1 px cells: rows, cols and cell must be at least 1"},
            {new double[6], null, 2, 3, 0, "a 2x3 grid of 0 px cells: rows, cols and cell must be at least 1"},
            {new double[6], new boolean[2], 2, 3, 1, "2 highlight flags for 6 scores"},
            {new double[6], null, 2, 3, 40_000, "a 2x3 grid of 40000 px cells: 120000x80000 pixels, more than the 2147483647 an image holds"},
            {new double[1], null, 1, 1, Integer.MAX_VALUE,
                "a 1x1 grid of 2147483647 px cells: 2147483647x2147483647 pixels, more than the 2147483647 an image holds"},
            // width x height past Long.MAX_VALUE
            {new double[1 << 20], null, 1, 1 << 20, Integer.MAX_VALUE,
                "a 1x1048576 grid of 2147483647 px cells: 2251799812636672x2147483647 pixels, more than the 2147483647 an image holds"}};
        for (Object[] c : cases) {
            assertThatThrownBy(() -> PixelMap.render((double[]) c[0], (boolean[]) c[1], (int) c[2], (int) c[3], (int) c[4]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage((String) c[5]);
        }
    }

    // The bar chart's value axis on edge data: equal values (one bar, or all the same) still get a small non-empty
    // range around them, all-zero accuracies one from zero up; an axis reaching just above the highest bar.
    // Long labels are not to run across the neighbouring bars' labels, nor a long title off the image.
    @Test
    void aBarChartCutsLabelsToTheirSlotAndTheTitleToTheImage() {
        String wide = "W".repeat(60);
        BufferedImage img = new BarChart(wide, "accuracy").add(wide, 0.8, false).add(wide, 0.9, true).add(wide, 0.85, false).render();
        int left = 70, slot = (img.getWidth() - 30 - left) / 3, bottom = img.getHeight() - 60;
        for (int i = 0; i < 3; i++) {
            int x = left + i * slot + slot / 6;
            assertThat(darkIn(img, x, x + 20, bottom + 4, bottom + 22)).as("label %d drawn", i).isPositive();
            // from where the cut label must end to where the next one begins
            assertThat(darkIn(img, x + slot - 4, x + slot, bottom + 4, bottom + 22)).as("gap after label %d", i).isZero();
        }
        assertThat(darkIn(img, img.getWidth() - 4, img.getWidth(), 5, 32)).as("the title's row at the right edge").isZero();
        assertThat(darkIn(img, left, left + 40, 5, 32)).as("the title drawn").isPositive();
    }

    private static int darkIn(BufferedImage img, int x0, int x1, int y0, int y1) {
        int n = 0;
        for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) if ((img.getRGB(x, y) & 0xff) < 128) n++;
        return n;
    }

    @Test
    void aBarChartsAxisIsNonEmptyForEqualValuesAndStartsAtZeroForZero() {
        double[] flat = BarChart.axis(0.9, 0.9);
        assertThat(flat[0]).isLessThan(0.9);
        assertThat(flat[1]).isGreaterThan(0.9);
        assertThat(flat[1] - flat[0]).as("zoomed to the value").isLessThan(0.01);
        double[] zero = BarChart.axis(0, 0);
        assertThat(zero[0]).isZero();
        assertThat(zero[1]).isPositive();
        assertThat(BarChart.axis(0, 0.5)[0]).as("values from zero").isZero();
        assertThat(BarChart.axis(0.89, 0.91)[1]).isCloseTo(0.915, offset(1e-9));
    }

    // A NaN bar (a model not evaluated) draws no bar and leaves the axis to the others; with no finite value at all
    // the axis is that of values 0 and 1.
    @Test
    void aNaNBarDrawsNothingAndLeavesTheAxisToTheOthers() {
        BufferedImage withNaN = new BarChart("t", "accuracy").add("a", 0.8, false).add("b", Double.NaN, false).add("c", 0.9, false).render();
        BufferedImage filled = new BarChart("t", "accuracy").add("a", 0.8, false).add("b", 0.85, false).add("c", 0.9, false).render();
        assertThat(yLabels(withNaN)).isEqualTo(yLabels(filled));
        int colour = LineChart.PALETTE[0].getRGB() & 0xffffff, y = 450 - 60 - 1; // just above the axis line
        int[] inkPerSlot = new int[3]; // 500 px wide: slot i spans x = 70 + 133 i .. + 133
        for (int x = 70; x < 70 + 3 * 133; x++) if ((withNaN.getRGB(x, y) & 0xffffff) == colour) inkPerSlot[(x - 70) / 133]++;
        assertThat(inkPerSlot[0]).isPositive();
        assertThat(inkPerSlot[1]).as("the NaN bar's slot").isZero();
        assertThat(inkPerSlot[2]).isPositive();
        BufferedImage none = new BarChart("t", "accuracy").add("a", Double.NaN, false).render();
        assertThat(yLabels(none)).isEqualTo(yLabels(new BarChart("t", "accuracy").add("a", 0, false).add("b", 1, false).render()));
        // while finite values, one bar's included, keep the axis zoomed to them
        assertThat(yLabels(withNaN)).isNotEqualTo(yLabels(none));
        assertThat(yLabels(new BarChart("t", "accuracy").add("a", 0.9, false).render())).as("one bar").isNotEqualTo(yLabels(none));
    }

    // Values from -1e308 to 1e308 would make the bar chart's axis infinite: no scale and no bar. The axis stays within
    // the doubles and the values' labels take an exponent where four decimals of them would run across their
    // neighbours; too many bars for an image are refused, counted.
    @Test
    void aBarChartOfValuesSpanningTheDoublesOrTooManyBarsDrawsAScaleOrIsRefused() {
        double[] axis = BarChart.axis(-1e308, 1e308);
        assertThat(axis).containsExactly(-Double.MAX_VALUE, Double.MAX_VALUE);
        assertThat(BarChart.axis(Double.MAX_VALUE, Double.MAX_VALUE)[1]).isEqualTo(Double.MAX_VALUE);
        BufferedImage img = new BarChart("t", "value").add("a", -1e308, false).add("b", 1e308, false).render();
        assertThat(inkBands(img, 0, 64, 36, 395, true)).as("y tick labels").isBetween(3, 12);
        int colour = LineChart.PALETTE[0].getRGB() & 0xffffff;
        int[] height = new int[2];
        for (int bar = 0; bar < 2; bar++) { // 500 px wide: bar i spans x = 103 + 200 i .. + 133
            for (int y = 0; y < img.getHeight(); y++) if ((img.getRGB(103 + 200 * bar + 60, y) & 0xffffff) == colour) height[bar]++;
        }
        // both rise from the axis' start at -1.8e308: heights 2.8e308 and 0.8e308 above it
        assertThat(height[0]).as("the -1e308 bar").isPositive();
        assertThat((double) height[1] / height[0]).isCloseTo(3.5, offset(0.2));
        // 110 px a bar: 50,000 bars are more than an image holds (20 million wrapped the width round to 500 px)
        BarChart many = new BarChart("t", "value");
        for (int i = 0; i < 50_000; i++) many.add("m", 0.5, false);
        assertThatThrownBy(many::render).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a bar chart of 50000 bars: 5500140x450 pixels, more than the 2147483647 an image holds");
        assertThat(BarChart.number(1e17)).isEqualTo("1.0000e17");
        assertThat(BarChart.number(-2.5e-3)).isEqualTo("-0.0025");
        assertThat(BarChart.number(9_999_999.5)).isEqualTo("9999999.5000");
    }

    // The tick labels left of the bar chart's plot (which starts at x = 70).
    private static int[] yLabels(BufferedImage img) {
        return img.getRGB(0, 0, 64, img.getHeight(), null, 0, 64);
    }

    // A row longer than the first would draw its extra cells over the next panel, and 1000 x 1000 values (64 px a cell)
    // throw a NegativeArraySizeException from java.awt: refused, naming the panel and row, or the image's size. The
    // values are copied when added, as a line chart's series are: changing the array afterwards changes no chart.
    @Test
    void aHeatmapRefusesRaggedOrEmptyPanelsAndImagesLargerThanOneCanBe() {
        assertThatThrownBy(() -> new Heatmap("t", "task", "after").add("a", new double[][] {{0.5, 0.6}, {0.5, 0.6, 0.7}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("panel 'a': row 2 has 3 values, row 1 has 2");
        assertThatThrownBy(() -> new Heatmap("t", "task", "after").add("b", new double[][] {{0.5, 0.6}, {0.5}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("panel 'b': row 2 has 1 values, row 1 has 2");
        assertThatThrownBy(() -> new Heatmap("t", "task", "after").add("c", new double[][] {{}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("panel 'c' is empty");
        Heatmap huge = new Heatmap("t", "task", "after").add("a", new double[1000][1000]);
        assertThatThrownBy(huge::render)
                .isInstanceOf(IllegalArgumentException.class).hasMessage("a heatmap of 64130x64110 pixels: more than the 2147483647 an image holds");
        double[][] v = {{0.9, 0.5}, {Double.NaN, 0.8}};
        Heatmap chart = new Heatmap("t", "task", "after").add("a", v);
        int[] before = pixels(chart.render());
        v[0][0] = 0.1;
        v[1] = new double[] {0.2, 0.3, 0.4};
        assertThat(pixels(chart.render())).isEqualTo(before);
    }

    // A NaN cell (a task not learned yet) is left blank, a valued one shaded; cells are 64 px from (90, 60).
    @Test
    void aHeatmapLeavesNaNCellsBlankAndShadesTheOthers() {
        BufferedImage img = new Heatmap("t", "task", "after").add("a", new double[][] {{0.9, 0.5}, {Double.NaN, 0.8}}).render();
        int blank = 0;
        for (int y = 60 + 64 + 4; y < 60 + 128 - 4; y++) for (int x = 90 + 4; x < 90 + 64 - 4; x++) if ((img.getRGB(x, y) & 0xffffff) == 0xffffff) blank++;
        assertThat(blank).as("white pixels inside the NaN cell").isEqualTo(56 * 56);
        assertThat(img.getRGB(90 + 4, 60 + 4) & 0xffffff).as("the 0.9 cell").isNotEqualTo(0xffffff);
    }
}
