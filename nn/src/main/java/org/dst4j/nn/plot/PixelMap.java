package org.dst4j.nn.plot;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A per-pixel score over an image grid (e.g. feature strength over 28x28 inputs): all pixels in gray
 * by score, highlighted pixels (the selected ones) from dark red to yellow by score.
 */
public final class PixelMap {
    private PixelMap() {}

    /** Renders {@code score[r * cols + c]}; {@code highlight} may be null. */
    public static BufferedImage render(double[] score, boolean[] highlight, int rows, int cols, int cell) {
        if ((long) rows * cols != score.length) throw new IllegalArgumentException(score.length + " scores for a " + rows + "x" + cols + " grid");
        double max = 0;
        for (double s : score) max = Math.max(max, s);
        BufferedImage img = new BufferedImage(cols * cell, rows * cell, BufferedImage.TYPE_INT_RGB);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                float t = max > 0 ? (float) (score[i] / max) : 0f;
                Color color = highlight != null && highlight[i]
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
