package org.dst4j.nn.plot;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A PNG bar chart of labeled values, each bar annotated with its value; the axis is zoomed to the data. A value that
 * is not finite (a model not evaluated) draws no bar and leaves the axis to the others. A label longer than its bar's
 * slot, or a title longer than the image, is cut, ending in {@code ...}.
 */
public final class BarChart {
    private record Bar(String label, double value, Color color) {}

    private final String title;
    private final String yLabel;
    private final List<Bar> bars = new ArrayList<>();

    /** An empty chart with a title and a y-axis label. */
    public BarChart(String title, String yLabel) {
        this.title = title;
        this.yLabel = yLabel;
    }

    /** Adds a bar; {@code highlight} draws it in the second palette colour. */
    public BarChart add(String label, double value, boolean highlight) {
        bars.add(new Bar(label, value, LineChart.PALETTE[highlight ? 1 : 0]));
        return this;
    }

    /**
     * Draws the chart, 110 px a bar. The drawing happens on a thread of its own, which the caller waits for: Java2D
     * clears the drawing thread's interrupt flag when it draws text, and the caller's interrupt, arriving before or
     * meanwhile, stays set.
     *
     * @throws IllegalArgumentException if the image would hold more than {@link Integer#MAX_VALUE} pixels (about
     *     43,000 bars)
     */
    public BufferedImage render() {
        return Png.drawnApart(this::draw);
    }

    private BufferedImage draw() {
        long wide = Math.max(500, 110L * bars.size() + 140);
        if (wide * 450 > Integer.MAX_VALUE) { // 20 million bars wrapped the width round to 500 px, all bars in one slot
            throw new IllegalArgumentException("a bar chart of " + bars.size() + " bars: " + wide + "x450 pixels, more than the " + Integer.MAX_VALUE + " an image holds");
        }
        int width = (int) wide, height = 450;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Bar b : bars) {
            if (!Double.isFinite(b.value)) continue;
            lo = Math.min(lo, b.value);
            hi = Math.max(hi, b.value);
        }
        if (!(lo <= hi)) { lo = 0; hi = 1; }
        double[] axis = axis(lo, hi);
        double y0 = axis[0], y1 = axis[1];
        int left = 70, right = width - 30, top = 45, bottom = height - 60;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(LineChart.fitted(title, g, width - 5 - left), left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double[] ticks = LineChart.ticks(y0, y1, false);
        for (double v : ticks) {
            int py = bottom - (int) Math.round(LineChart.at(v, y0, y1) * (bottom - top));
            g.setColor(new Color(0xdddddd));
            g.drawLine(left, py, right, py);
            g.setColor(Color.BLACK);
            g.drawString(LineChart.label(v, ticks), 5, py + 4);
        }
        g.drawString(yLabel + " (axis starts at " + number(y0) + ")", left, top - 8);
        int slot = (right - left) / Math.max(1, bars.size());
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            int x = left + i * slot + slot / 6, w = slot * 2 / 3;
            if (Double.isFinite(b.value)) {
                int py = bottom - (int) Math.round(LineChart.at(b.value, y0, y1) * (bottom - top));
                g.setColor(b.color);
                g.fillRect(x, py, w, bottom - py);
                g.setColor(Color.BLACK);
                g.drawString(number(b.value), x, py - 4);
            }
            g.setColor(Color.BLACK);
            g.drawString(LineChart.fitted(b.label, g, slot - 4), x, bottom + 18); // not across its neighbours
        }
        g.drawLine(left, bottom, right, bottom);
        g.dispose();
        return img;
    }

    // The value axis {start, end} for bars from lo to hi: zoomed so that differences of a fraction of a point stay
    // visible (the chart states where the axis starts), but never below zero for values that are all non-negative
    // (accuracies): an axis starting at -0.125 showed accuracies of 0.06-0.24 as bars rising from a negative one.
    static double[] axis(double lo, double hi) {
        double span = Math.max(hi - lo, Math.abs(hi) * 1e-3 + 1e-9);
        double y0 = lo - span;
        if (lo >= 0 && y0 < 0) y0 = 0;
        // within the doubles: values from -1e308 to 1e308 made the axis infinite and drew no scale
        return new double[] {Math.max(-Double.MAX_VALUE, y0), Math.min(Double.MAX_VALUE, hi + 0.25 * span)};
    }

    // A value with four decimals; from 1e7 on, with an exponent instead: 1e17 took 23 characters across its neighbours.
    static String number(double v) {
        return String.format(Locale.ROOT, Math.abs(v) < 1e7 ? "%.4f" : "%.4e", v).replace("e+", "e");
    }

    /**
     * Writes the PNG atomically.
     *
     * @throws java.io.InterruptedIOException if the calling thread is interrupted (its flag stays set; the previous
     *     file is left as it was)
     * @throws IllegalArgumentException if the image would hold more than {@link Integer#MAX_VALUE} pixels
     */
    public void write(Path file) throws IOException {
        Png.write(file, Png.rendered(file, this::draw));
    }
}
