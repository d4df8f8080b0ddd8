package org.dst4j.nn.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Samples read from a file before the class count of the whole split is known: row-major
 * features plus integer labels. {@code imageRows/imageCols} are 0 unless the source had an image shape.
 */
record LabeledRows(String source, float[] features, int samples, int featureCount, int[] labels, int imageRows, int imageCols) {
    int maxLabel() {
        int m = -1;
        for (int l : labels) m = Math.max(m, l);
        return m;
    }

    // The class count a reader's caller gave (0 or less: the largest label's + 1), checked against the labels: a label
    // beyond it was an IllegalArgumentException from the dataset, naming neither the file nor the class count at fault.
    int classes(int given) throws DataFormatException {
        // A negative count was read as 0, "automatic": a caller's mistake answered as if it had asked for that.
        if (given < 0) throw new IllegalArgumentException("classes must be >= 0 (0: the largest label + 1), got " + given);
        if (given == 0) return maxLabel() + 1;
        for (int i = 0; i < samples; i++) {
            if (labels[i] >= given) {
                throw new DataFormatException(source + ": sample " + i + " (0-based) has label " + labels[i] + ", outside the "
                        + given + " classes given (0.." + (given - 1) + ")");
            }
        }
        return given;
    }

    Dataset toDataset(String name, int classes) {
        Dataset d = Dataset.allocate(name, samples, featureCount, labels, classes, imageRows, imageCols);
        MemorySegment.copy(features, 0, d.segment(), ValueLayout.JAVA_FLOAT, 0, features.length);
        return d;
    }
}
