/**
 * Datasets and where they come from: off-heap labeled datasets and train/test splits, readers for IDX
 * (MNIST), CSV and .npy files, synthetic data, standardization and class-incremental task streams. The IDX
 * and .npy readers are package-private: {@link org.dst4j.nn.data.DataSources} chooses among the formats.
 */
package org.dst4j.nn.data;
