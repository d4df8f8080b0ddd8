package org.dst4j.nn.plot;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A per-pixel score over an image grid (e.g. feature strength over 28x28 inputs): all pixels in gray
 * by score, highlighted pixels (the selected ones) from dark red to yellow by score.
 *
 * <p>The scale runs from the lowest finite score to the highest, zero included: scores that are all non-negative
 * go from 0 (darkest) to the largest (brightest), and negative scores lie on it below zero. An infinite score is
 * drawn as the end of the scale on its side, without stretching it; a NaN score (none measured) as a white pixel,
 * highlighted or not, as a {@link Heatmap} leaves a NaN cell blank.
 */
public final class PixelMap {
    private PixelMap() {}

    /**
     * Renders {@code score[r * cols + c]} as a {@code cell} x {@code cell} block at row r, column c;
     * {@code highlight} (one flag per score) may be null.
     *
     * @throws IllegalArgumentException if rows, cols or cell is below 1, the scores or flags do not number
     *     rows x cols, or the image would hold more than {@link Integer#MAX_VALUE} pixels
     */
    public static BufferedImage render(double[] score, boolean[] highlight, int rows, int cols, int cell) {
        if (rows < 1 || cols < 1 || cell < 1) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " grid of " + cell + " px cells: rows, cols and cell must be at least 1");
        }
        if ((long) rows * cols != score.length) throw new IllegalArgumentException(score.length + " scores for a " + rows + "x" + cols + " grid");
        if (highlight != null && highlight.length != score.length) {
            throw new IllegalArgumentException(highlight.length + " highlight flags for " + score.length + " scores");
        }
        long width = (long) cols * cell, height = (long) rows * cell;
        if (width > Integer.MAX_VALUE || height > Integer.MAX_VALUE || width * height > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " grid of " + cell + " px cells: " + width + "x" + height
                    + " pixels, more than the " + Integer.MAX_VALUE + " an image holds");
        }
        double lo = 0, hi = 0;
        for (double s : score) {
            if (!Double.isFinite(s)) continue;
            lo = Math.min(lo, s);
            hi = Math.max(hi, s);
        }
        BufferedImage img = new BufferedImage((int) width, (int) height, BufferedImage.TYPE_INT_RGB);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                double s = score[i];
                float t = s > lo && s < hi ? (float) LineChart.at(s, lo, hi) : s > lo ? 1f : 0f;
                Color color = Double.isNaN(s) ? Color.WHITE
                        : highlight != null && highlight[i]
                        ? new Color(1f, 0.15f + 0.85f * t, 0.1f * t)
                        : new Color(0.1f + 0.5f * t, 0.1f + 0.5f * t, 0.1f + 0.5f * t);
                int rgb = color.getRGB();
                for (int y = 0; y < cell; y++) for (int x = 0; x < cell; x++) img.setRGB(c * cell + x, r * cell + y, rgb);
            }
        }
        return img;
    }

    /** Writes the PNG atomically. */
    public static void write(Path file, BufferedImage img) throws IOException {
        Png.write(file, img);
    }
}
