package org.dst4j.nn.plot;

import java.awt.BasicStroke;
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

/** A PNG line chart of named series, drawn off-screen with the JDK's own imaging. */
public final class LineChart {
    /** Series colours, in order. */
    public static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

    private record Series(String name, double[] x, double[] y) {}

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private int width = 800;
    private int height = 500;

    /** An empty chart with a title and axis labels. */
    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** Sets the image size in pixels. */
    public LineChart size(int w, int h) {
        this.width = w;
        this.height = h;
        return this;
    }

    /** Adds a series; non-finite points are skipped. */
    public LineChart add(String name, double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("series '" + name + "': " + x.length + " x values, " + y.length + " y values");
        series.add(new Series(name, x.clone(), y.clone()));
        return this;
    }

    /**
     * Renders to an image. The drawing happens on a thread of its own, which the caller waits for: Java2D clears the
     * drawing thread's interrupt flag when it draws text, and the caller's interrupt, arriving before or
     * meanwhile, stays set.
     */
    public BufferedImage render() {
        return Png.drawnApart(this::draw);
    }

    private BufferedImage draw() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (!Double.isFinite(s.x[i]) || !Double.isFinite(s.y[i])) continue;
                x0 = Math.min(x0, s.x[i]);
                x1 = Math.max(x1, s.x[i]);
                y0 = Math.min(y0, s.y[i]);
                y1 = Math.max(y1, s.y[i]);
            }
        }
        if (!(x0 <= x1)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) { y0 -= 0.5; y1 += 0.5; }
        double pad = (y1 - y0) * 0.05;
        y0 -= pad;
        y1 += pad;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int legend = 0;
        for (Series s : series) legend = Math.max(legend, g.getFontMetrics().stringWidth(s.name));
        // the legend column takes what its longest label needs, but leaves the plot at least half the width
        int left = 70, right = Math.max(width / 2, width - 50 - Math.max(120, legend)), top = 40, bottom = height - 50;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.setColor(Color.BLACK);
        g.drawString(title, left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double[] yTicks = ticks(y0, y1, false), xTicks = ticks(x0, x1, wholeX());
        g.setColor(new Color(0xdddddd));
        for (double yv : yTicks) {
            int py = bottom - (int) Math.round((yv - y0) / (y1 - y0) * (bottom - top));
            g.drawLine(left, py, right, py);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, bottom - top);
        for (double yv : yTicks) {
            int py = bottom - (int) Math.round((yv - y0) / (y1 - y0) * (bottom - top));
            g.drawString(label(yv, yTicks), 5, py + 4);
        }
        for (double xv : xTicks) {
            int px = left + (int) Math.round((xv - x0) / (x1 - x0) * (right - left));
            g.drawLine(px, bottom, px, bottom + 4);
            String l = label(xv, xTicks);
            g.drawString(l, px - g.getFontMetrics().stringWidth(l) / 2, bottom + 18);
        }
        g.drawString(xLabel, (left + right) / 2 - 20, height - 12);
        g.drawString(yLabel, 5, top - 8);
        g.setStroke(new BasicStroke(2f));
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            g.setColor(PALETTE[k % PALETTE.length]);
            int px = -1, py = -1;
            for (int i = 0; i < s.x.length; i++) {
                if (!Double.isFinite(s.x[i]) || !Double.isFinite(s.y[i])) { px = -1; continue; }
                int qx = left + (int) Math.round((s.x[i] - x0) / (x1 - x0) * (right - left));
                int qy = bottom - (int) Math.round((s.y[i] - y0) / (y1 - y0) * (bottom - top));
                if (px >= 0) g.drawLine(px, py, qx, qy);
                g.fillOval(qx - 3, qy - 3, 6, 6);
                px = qx;
                py = qy;
            }
            g.fillRect(right + 15, top + 10 + 20 * k, 14, 4);
            g.setColor(Color.BLACK);
            g.drawString(s.name, right + 35, top + 16 + 20 * k);
        }
        g.dispose();
        return img;
    }

    // Whether every x is a whole number (epochs): then no tick falls between two of them.
    private boolean wholeX() {
        for (Series s : series) for (double v : s.x) if (Double.isFinite(v) && v != Math.rint(v)) return false;
        return true;
    }

    /**
     * Round tick values inside [lo, hi]: multiples of 1, 2 or 5 times a power of ten, about six of them
     * (the five equal parts drawn before gave labels such as 2.80 epochs and 0.0823).
     */
    static double[] ticks(double lo, double hi, boolean whole) {
        double raw = (hi - lo) / 6, mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
        double step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
        if (whole) step = Math.max(1, step);
        long first = (long) Math.ceil(lo / step - 1e-9), last = (long) Math.floor(hi / step + 1e-9);
        double[] t = new double[(int) Math.max(0, last - first + 1)];
        for (int i = 0; i < t.length; i++) t[i] = (first + i) * step; // by index: no drift from repeated adds
        return t;
    }

    // As many decimals as the ticks' step needs, the same for every label of an axis.
    static String label(double v, double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : Math.abs(v);
        int decimals = step > 0 ? (int) Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)) : 0;
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /**
     * Writes the PNG atomically.
     *
     * @throws java.io.InterruptedIOException if the calling thread is interrupted (its flag stays set; the previous
     *     file is left as it was)
     */
    public void write(Path file) throws IOException {
        Png.write(file, Png.rendered(file, this::draw));
    }
}
