package org.dst4j.nn.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A PNG line chart of named series, drawn off-screen with the JDK's own imaging.
 *
 * <p>The axes span the finite points, whatever their magnitude: a single x value spans [x, x + 1] and a flat series
 * y +-0.5 (or a hundredth of the value, where that is more); tick labels of more than eight digits are written with
 * an exponent ({@code 1.5e-30}). The legend lists the series its lines have room for in the image's height, the
 * last line then saying how many more there are ({@code +8 more}); a name or title too long for the image is cut,
 * ending in {@code ...}.
 */
public final class LineChart {
    // Series colours, in order; not public: an array any caller could write into would recolour every chart drawn after.
    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
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

    /**
     * Sets the image size in pixels: at least 200 x 150 (the room the axes and the legend take) and at most
     * {@link Integer#MAX_VALUE} pixels in all (what an image holds).
     *
     * @throws IllegalArgumentException for a size outside those bounds, naming it
     */
    public LineChart size(int w, int h) {
        if (w < 200 || h < 150 || (long) w * h > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("chart size " + w + "x" + h + ": expected at least 200x150 and at most " + Integer.MAX_VALUE + " pixels");
        }
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
        // A single x spans [x, x + 1] and a flat y +-0.5 around it, or a hundredth of the value where that is more:
        // 1 and 0.5 vanished in the rounding of values of 1e16 and more, which left an empty range.
        if (x1 == x0) {
            double w = Math.max(1, Math.abs(x0) * 0.01);
            if (x0 + w <= Double.MAX_VALUE) x1 = x0 + w;
            else x0 -= w;
        }
        if (y1 == y0) {
            double half = Math.max(0.5, Math.abs(y0) * 0.01);
            y0 -= half;
            y1 += half;
        }
        // 5% of the range above and below, within the doubles (an overflowing range is taken in halves)
        double pad = Double.isFinite(y1 - y0) ? (y1 - y0) * 0.05 : (y1 / 2 - y0 / 2) * 0.1;
        y0 = Math.max(-Double.MAX_VALUE, y0 - pad);
        y1 = Math.min(Double.MAX_VALUE, y1 + pad);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int legend = 0;
        for (Series s : series) legend = Math.max(legend, g.getFontMetrics().stringWidth(s.name));
        double[] yTicks = ticks(y0, y1, false), xTicks = ticks(x0, x1, wholeX());
        int left = 70; // or wider, for y labels that would reach into the plot (-1.010e300)
        for (double yv : yTicks) left = Math.max(left, 9 + g.getFontMetrics().stringWidth(label(yv, yTicks)));
        // the legend column takes what its longest label needs, but leaves the plot at least half the width
        int right = Math.max(width / 2, width - 50 - Math.max(120, legend)), top = 40, bottom = height - 50;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.setColor(Color.BLACK);
        g.drawString(fitted(title, g, width - 5 - left), left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(new Color(0xdddddd));
        for (double yv : yTicks) {
            int py = bottom - (int) Math.round(at(yv, y0, y1) * (bottom - top));
            g.drawLine(left, py, right, py);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, bottom - top);
        for (double yv : yTicks) {
            int py = bottom - (int) Math.round(at(yv, y0, y1) * (bottom - top));
            g.drawString(label(yv, yTicks), 5, py + 4);
        }
        int labelled = Integer.MIN_VALUE; // where the last x label drawn ends: one that would overlap it is left out
        for (double xv : xTicks) {
            int px = left + (int) Math.round(at(xv, x0, x1) * (right - left));
            g.drawLine(px, bottom, px, bottom + 4);
            String l = label(xv, xTicks);
            int lx = px - g.getFontMetrics().stringWidth(l) / 2;
            if (lx < labelled + 8) continue;
            g.drawString(l, lx, bottom + 18);
            labelled = lx + g.getFontMetrics().stringWidth(l);
        }
        g.drawString(xLabel, (left + right) / 2 - 20, height - 12);
        g.drawString(yLabel, 5, top - 8);
        g.setStroke(new BasicStroke(2f));
        // The legend lists as many series as the image's height has lines for (each 20 px); when not all fit, the
        // last line says how many more there are, instead of the rest running off the image.
        int lines = Math.max(1, (height - top) / 20), shown = series.size() <= lines ? series.size() : lines - 1;
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            g.setColor(PALETTE[k % PALETTE.length]);
            int px = -1, py = -1;
            for (int i = 0; i < s.x.length; i++) {
                if (!Double.isFinite(s.x[i]) || !Double.isFinite(s.y[i])) { px = -1; continue; }
                int qx = left + (int) Math.round(at(s.x[i], x0, x1) * (right - left));
                int qy = bottom - (int) Math.round(at(s.y[i], y0, y1) * (bottom - top));
                if (px >= 0) g.drawLine(px, py, qx, qy);
                g.fillOval(qx - 3, qy - 3, 6, 6);
                px = qx;
                py = qy;
            }
            if (k >= shown) continue;
            g.fillRect(right + 15, top + 10 + 20 * k, 14, 4);
            g.setColor(Color.BLACK);
            g.drawString(fitted(s.name, g, width - 5 - (right + 35)), right + 35, top + 16 + 20 * k);
        }
        g.setColor(Color.BLACK);
        if (shown < series.size()) g.drawString("+" + (series.size() - shown) + " more", right + 35, top + 16 + 20 * shown);
        g.dispose();
        return img;
    }

    // The text cut to fit in width pixels in g's font, ending in "..." where cut: a long series name ran off the image.
    static String fitted(String text, Graphics2D g, int width) {
        FontMetrics fm = g.getFontMetrics();
        if (fm.stringWidth(text) <= width) return text;
        int n = text.length();
        while (n > 0 && fm.stringWidth(text.substring(0, n) + "...") > width) n = Character.isLowSurrogate(text.charAt(n - 1)) ? n - 2 : n - 1;
        return text.substring(0, Math.max(0, n)) + "...";
    }

    // Where v lies in [lo, hi], from 0 to 1; also for a range wider than the largest double (-1e308 to 1e308), where
    // halving every term, which is exact, keeps the difference finite.
    static double at(double v, double lo, double hi) {
        double span = hi - lo;
        return Double.isFinite(span) ? (v - lo) / span : (v / 2 - lo / 2) / (hi / 2 - lo / 2);
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
        double raw = Double.isFinite(hi - lo) ? (hi - lo) / 6 : hi / 6 - lo / 6, mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
        double step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
        if (whole) step = Math.max(1, step);
        long first = (long) Math.ceil(lo / step - 1e-9), last = (long) Math.floor(hi / step + 1e-9);
        double[] t = new double[(int) Math.max(0, last - first + 1)];
        for (int i = 0; i < t.length; i++) t[i] = (first + i) * step; // by index: no drift from repeated adds
        return t;
    }

    // As many decimals as the ticks' step needs, the same for every label of an axis. Labels of more than eight digits
    // (values of 1e8 and more, steps below 1e-7) would run into the plot ("0.0000000000000000000000000000012"):
    // those get a mantissa with as many digits as the step needs, and an exponent ("1.2e-30").
    static String label(double v, double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : Math.abs(v);
        int decimals = step > 0 ? (int) Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)) : 0;
        double size = Math.abs(v);
        for (double t : ticks) size = Math.max(size, Math.abs(t));
        int exponent = size > 0 ? (int) Math.floor(Math.log10(size)) : 0;
        if (Math.max(1, exponent + 1) + decimals <= 8) return String.format(Locale.ROOT, "%." + decimals + "f", v);
        int mantissa = step > 0 ? Math.max(0, exponent - (int) Math.floor(Math.log10(step))) : 0;
        return String.format(Locale.ROOT, "%." + mantissa + "e", v).replace("e+", "e");
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
