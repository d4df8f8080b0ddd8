package org.dst4j.nn.data;

/**
 * Data whose samples have another number of features than the model it is loaded for takes
 * ({@link DataSources#loadForModel}): found before the labels are checked, since a wrong file is the
 * mistake to name, not the labels it happens to hold.
 */
public class FeatureCountException extends DataFormatException {
    /** The name of the data set. */
    private final String data;
    /** Its features per sample. */
    private final int features;
    /** What the model takes. */
    private final int expected;

    /**
     * @param data the name of the data set
     * @param features its features per sample
     * @param expected the model's
     */
    public FeatureCountException(String data, int features, int expected) {
        super(data + ": " + features + " features per sample; the model takes " + expected);
        this.data = data;
        this.features = features;
        this.expected = expected;
    }

    /** The name of the data set at fault. */
    public String data() { return data; }

    /** The features per sample it has. */
    public int features() { return features; }

    /** The features per sample the model takes. */
    public int expected() { return expected; }
}
