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

/**
 * Matrices of values in [0, 1] drawn side by side as labeled grids, each cell shaded by its value and
 * printed as a percentage (e.g. continual learning's accuracy matrix: accuracy on task i after task j).
 * NaN cells are left blank.
 */
public final class Heatmap {
    private static final int CELL = 64, LEFT = 90, TOP = 60, GAP = 40, BOTTOM = 50;
    private final String title, rowLabel, colLabel;
    private final List<String> names = new ArrayList<>();
    private final List<double[][]> panels = new ArrayList<>();
    private List<String> rowNames = List.of();

    /** An empty figure with a title and the rows' and columns' labels. */
    public Heatmap(String title, String rowLabel, String colLabel) {
        this.title = title;
        this.rowLabel = rowLabel;
        this.colLabel = colLabel;
    }

    /**
     * Adds a panel, copied; {@code values[i][j]} is row i, column j.
     *
     * @throws IllegalArgumentException if the panel has no values, or rows of different lengths (naming the panel and
     *     the row)
     */
    public Heatmap add(String name, double[][] values) {
        if (values.length == 0 || values[0].length == 0) throw new IllegalArgumentException("panel '" + name + "' is empty");
        double[][] copy = new double[values.length][];
        for (int i = 0; i < values.length; i++) {
            // a longer row drew its extra cells over the next panel
            if (values[i].length != values[0].length) {
                throw new IllegalArgumentException("panel '" + name + "': row " + (i + 1) + " has " + values[i].length + " values, row 1 has " + values[0].length);
            }
            copy[i] = values[i].clone();
        }
        names.add(name);
        panels.add(copy);
        return this;
    }

    /**
     * Names the rows (row i is {@code names.get(i)}) instead of "row label i"; rows beyond the list keep
     * the numbered label. The margin widens to fit the longest name.
     */
    public Heatmap rowNames(List<String> names) {
        rowNames = List.copyOf(names);
        return this;
    }

    private String rowName(int i) {
        return i < rowNames.size() ? rowNames.get(i) : rowLabel + " " + (i + 1);
    }

    /**
     * Draws every panel side by side. The drawing happens on a thread of its own, which the caller waits for: Java2D clears the
     * drawing thread's interrupt flag when it draws text, and the caller's interrupt, arriving before or
     * meanwhile, stays set.
     *
     * @throws IllegalArgumentException if the image would hold more than {@link Integer#MAX_VALUE} pixels (64 x 64
     *     per cell)
     */
    public BufferedImage render() {
        return Png.drawnApart(this::draw);
    }

    private BufferedImage draw() {
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 15), labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        Graphics2D probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        int left = LEFT, rows = 0;
        for (double[][] p : panels) rows = Math.max(rows, p.length);
        for (int i = 0; i < rows; i++) left = Math.max(left, 16 + probe.getFontMetrics(labelFont).stringWidth(rowName(i)));
        long w = left, h = 0;
        for (double[][] p : panels) {
            w += (long) p[0].length * CELL + GAP;
            h = Math.max(h, (long) p.length * CELL);
        }
        h += TOP + BOTTOM;
        // wide enough for the title: one panel (spacenet --no-baselines) cut it off mid-word
        w = Math.max(w, 20 + probe.getFontMetrics(titleFont).stringWidth(title));
        probe.dispose();
        if (w * h > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a heatmap of " + w + "x" + h + " pixels: more than the " + Integer.MAX_VALUE + " an image holds");
        }
        int width = (int) w, height = (int) h;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(titleFont);
        g.drawString(title, 10, 20);
        int x0 = left;
        for (int p = 0; p < panels.size(); p++) {
            double[][] v = panels.get(p);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.setColor(Color.BLACK);
            g.drawString(names.get(p), x0, TOP - 22);
            g.setFont(labelFont);
            for (int i = 0; i < v.length; i++) {
                g.setColor(Color.BLACK); // the previous row's cell borders left it gray
                if (p == 0) g.drawString(rowName(i), 8, TOP + i * CELL + CELL / 2 + 5);
                for (int j = 0; j < v[i].length; j++) {
                    int x = x0 + j * CELL, y = TOP + i * CELL;
                    double a = v[i][j];
                    if (!Double.isNaN(a)) {
                        float t = (float) Math.max(0, Math.min(1, a));
                        g.setColor(new Color(1f - 0.8f * t, 1f - 0.45f * t, 1f - 0.2f * t));
                        g.fillRect(x, y, CELL, CELL);
                        g.setColor(t > 0.6f ? Color.WHITE : Color.BLACK);
                        String s = String.format(Locale.ROOT, "%.1f", 100 * a);
                        g.drawString(s, x + CELL / 2 - g.getFontMetrics().stringWidth(s) / 2, y + CELL / 2 + 5);
                    }
                    g.setColor(Color.GRAY);
                    g.setStroke(new BasicStroke(1));
                    g.drawRect(x, y, CELL, CELL);
                }
            }
            g.setColor(Color.BLACK);
            for (int j = 0; j < v[0].length; j++) {
                String s = String.valueOf(j + 1);
                g.drawString(s, x0 + j * CELL + CELL / 2 - 3, TOP + v.length * CELL + 16);
            }
            g.drawString(colLabel, x0, TOP + v.length * CELL + 36);
            x0 += v[0].length * CELL + GAP;
        }
        g.dispose();
        return img;
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
