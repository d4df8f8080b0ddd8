package org.dst4j.nn.data;

/** A training set and a test set; closing the split closes both. */
public record DatasetSplit(Dataset train, Dataset test) implements AutoCloseable {
    @Override
    public void close() {
        train.close();
        test.close();
    }
}
