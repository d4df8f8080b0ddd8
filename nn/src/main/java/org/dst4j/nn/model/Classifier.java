package org.dst4j.nn.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.runtime.dense.Argmax;
import org.dst4j.runtime.parallel.WorkerPool;

/**
 * Inference on a trained model: a single network ({@link SparseClassifier}), an ensemble of them
 * ({@link EnsembleClassifier}) or a multi-head network ({@link MultiHeadClassifier}). Samples are
 * passed raw; a classifier standardizes them as its model was trained.
 */
public interface Classifier extends AutoCloseable {

    /**
     * Loads any saved model: a multi-head model directory ({@value MultiHeadClassifier#MANIFEST}), an
     * ensemble directory ({@value EnsembleClassifier#MANIFEST}) or a single {@code .dst4j} model file.
     *
     * @param threads worker threads of the classifier (of each member, for an ensemble), >= 1
     * @throws IOException if the model cannot be read, or a directory holds both manifests; for a
     *     directory that is no model but holds one (a training run's output directory), the message names
     *     it ({@link #modelIn})
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     */
    static Classifier load(Path path, int threads) throws IOException {
        Objects.requireNonNull(path, "path");
        // First, as each loader does: a directory without a manifest was an IOException for a count of 0.
        WorkerPool.checkThreads(threads);
        boolean multiHead = MultiHeadClassifier.isMultiHead(path), ensemble = EnsembleClassifier.isEnsemble(path);
        if (multiHead && ensemble) {
            throw new IOException(path + ": holds both " + EnsembleClassifier.MANIFEST + " and " + MultiHeadClassifier.MANIFEST
                    + "; a model directory is one or the other");
        }
        if (multiHead) return MultiHeadClassifier.load(path, threads);
        if (ensemble) return EnsembleClassifier.load(path, threads);
        if (Files.isDirectory(path)) {
            Path inside = modelIn(path);
            throw new IOException(path + ": a directory without " + EnsembleClassifier.MANIFEST + " or " + MultiHeadClassifier.MANIFEST
                    + "; give a model file (.dst4j), an ensemble directory or a multi-head model directory"
                    + (inside == null ? "" : "; did you mean " + inside + "?"));
        }
        return SparseClassifier.load(path, threads);
    }

    /**
     * The model inside a training run's output directory, for pointing whoever gave the directory at it:
     * {@code dir/model} when that is a multi-head or ensemble model directory (NeuroTrails writes its model
     * there), else {@code dir/model.dst4j} when that is a file (SET and SpaceNet write theirs there).
     *
     * @return that path, or null if {@code dir} holds neither
     */
    static Path modelIn(Path dir) {
        Path sub = dir.resolve("model"), file = dir.resolve("model.dst4j");
        if (MultiHeadClassifier.isMultiHead(sub) || EnsembleClassifier.isEnsemble(sub)) return sub;
        return Files.isRegularFile(file) ? file : null;
    }

    /** Features per sample the model takes. */
    int inputs();

    /** The number of classes. */
    int classes();

    /**
     * The per-feature mean and standard deviation of the data the model was trained on, which it applies
     * to raw samples; null if it was trained without standardizing (an ensemble: its first member's).
     */
    Standardizer standardizer();

    /** Class probabilities, {@code [sample * classes + class]}. The dataset's labels are not used. */
    float[] predictProbabilities(Dataset data);

    /**
     * The predicted class of every sample: the largest probability, by {@link Argmax} (the first on ties).
     * The dataset's labels are not used, so they need not be within the model's classes.
     */
    default int[] predict(Dataset data) {
        return Argmax.ofRows(predictProbabilities(data), data.samples(), classes());
    }

    /**
     * Class probabilities of raw samples given as {@code float}s, row-major: one or more samples of
     * {@link #inputs()} values each. The same values as {@link #predictProbabilities(Dataset)} on a
     * dataset of those samples.
     *
     * @throws IllegalArgumentException if {@code features} is not a whole number of samples
     */
    default float[] predictProbabilities(float[] features) {
        Objects.requireNonNull(features, "features");
        try (Dataset d = Dataset.unlabeled("features", features, inputs())) {
            return predictProbabilities(d);
        }
    }

    /** The predicted class of each raw sample in {@code features} (row-major, as {@link #predictProbabilities(float[])}). */
    default int[] predict(float[] features) {
        Objects.requireNonNull(features, "features");
        try (Dataset d = Dataset.unlabeled("features", features, inputs())) {
            return predict(d);
        }
    }

    /** Frees the model's memory and threads. Closing again does nothing. */
    @Override
    void close();
}
