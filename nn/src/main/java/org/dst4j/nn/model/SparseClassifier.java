package org.dst4j.nn.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.loss.SoftmaxCrossEntropy;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.train.Evaluation;
import org.dst4j.runtime.dense.Argmax;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.resource.Closing;

/**
 * A trained sparse classifier ready for inference: the network, its input standardizer and a worker
 * pool. Datasets are passed raw; the classifier standardizes each batch as it was trained.
 *
 * <p>Thread safety: {@link #predict}, {@link #predictProbabilities}, {@link #evaluate}, {@link #save}
 * and {@link #close} may be called from several threads; the calls run one at a time, in the order they
 * arrived (the network has one set of activation buffers), each using the classifier's {@code threads}
 * worker threads. For
 * predictions in parallel, load one classifier per thread. The objects handed out by {@link #network()}
 * are not thread-safe and bypass this lock: use them from one thread, with no classifier call running.
 */
public final class SparseClassifier implements Classifier {
    private final SparseMlp net;
    private final Standardizer standardizer;
    private final Map<String, Object> header;
    private final WorkerPool pool;
    private final ParallelKernels pk;
    private final NarrowBuffer narrowInput = new NarrowBuffer(), narrowOutput = new NarrowBuffer();
    // Fair, not the object's monitor: a monitor may be retaken by the thread that just released it, and on one core
    // a virtual thread calling in a loop kept it from three other callers, and from close(), for over ten minutes.
    private final ReentrantLock turns = new ReentrantLock(true);
    private boolean closed;

    /**
     * Takes ownership of {@code net}: if the classifier cannot be made ({@code threads < 1}, a null header, a
     * standardizer for another number of features than {@code net} takes), it closes {@code net} and throws.
     */
    public SparseClassifier(SparseMlp net, Standardizer standardizer, Map<String, Object> header, int threads) {
        Objects.requireNonNull(net, "net");
        this.net = net;
        this.standardizer = standardizer;
        try {
            // Inside the try: a null header is a classifier that cannot be made too, and net is already ours to free.
            Objects.requireNonNull(header, "header");
            // Here, not at the first prediction, which failed on a batch of the network's width "fitted on" another.
            if (standardizer != null && standardizer.mean().length != net.inputs()) {
                throw new IllegalArgumentException("the standardizer is for " + standardizer.mean().length + " features, the network takes "
                        + net.inputs() + " inputs");
            }
            this.header = Json.frozen(header); // the caller's map, or a loaded one, may change later
            this.pool = new WorkerPool(threads);
        } catch (RuntimeException | Error e) {
            Closing.after(e, net::close);
            throw e;
        }
        this.pk = new ParallelKernels(KernelProvider.get(), pool);
    }

    /**
     * Loads a model file written by any dst4j command or {@link #save}.
     *
     * @param threads worker threads of the classifier, >= 1
     * @throws IOException if the file cannot be read, is damaged, or holds no classifier
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     */
    public static SparseClassifier load(Path file, int threads) throws IOException {
        Objects.requireNonNull(file, "file");
        WorkerPool.checkThreads(threads); // before the model is read, not once its network is allocated
        return of(ModelFile.load(file, null), file.toString(), threads);
    }

    /**
     * Loads a model file from a stream (up to 2 GB), such as one an application ships inside its jar:
     * {@code load(App.class.getResourceAsStream("/model.dst4j"), "model.dst4j", 1)}. The stream is read
     * to its end and not closed. The same model as {@link #load(Path, int)} of that file.
     *
     * @param name what errors call the stream (the resource's name, say)
     * @param threads worker threads of the classifier, >= 1
     * @throws IOException if the stream cannot be read, is damaged, or holds no classifier
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     */
    public static SparseClassifier load(InputStream in, String name, int threads) throws IOException {
        Objects.requireNonNull(in, "in (a class-path resource not found?)");
        Objects.requireNonNull(name, "name");
        WorkerPool.checkThreads(threads); // before the model is read, not once its network is allocated
        return of(ModelFile.load(in, name, null), name, threads);
    }

    private static SparseClassifier of(ModelFile.Loaded m, String file, int threads) throws IOException {
        // A classifier's last layer gives logits (linear); a multi-head model's backbone.dst4j ends in its hidden
        // activation and was scored as a classifier of as many classes as it has features. A QuickSelection
        // checkpoint is let through whatever its reconstruction's activation (tanh with --output tanh): the
        // commands that read it (export, inspect) treat it as the autoencoder it is, and predict refuses it as one.
        if (!m.net().config().output().isIdentity() && !isAutoencoder(m.header())) {
            String output = m.net().config().output().toString();
            m.net().close();
            throw new IOException(file + ": its network ends in " + output + " units, not a classifier's linear outputs"
                    + " (a multi-head model's backbone? load the model directory that holds " + MultiHeadClassifier.MANIFEST + ")");
        }
        return new SparseClassifier(m.net(), m.standardizer(), m.header(), threads);
    }

    /**
     * Whether this is a QuickSelection run's autoencoder (its checkpoint), whose outputs reconstruct its inputs: its
     * "classes" are features, and its predictions are no classification.
     */
    public boolean isAutoencoder() {
        return isAutoencoder(header);
    }

    private static boolean isAutoencoder(Map<String, Object> header) {
        return header.get("provenance") instanceof Map<?, ?> p && "quickselection".equals(p.get("algorithm"));
    }

    /** The network, still owned by this classifier: do not close it. */
    public SparseMlp network() { return net; }

    /** The input standardizer applied before the network, or null if the inputs are used as given. */
    @Override
    public Standardizer standardizer() { return standardizer; }

    @Override
    public int inputs() { return net.inputs(); }

    @Override
    public int classes() { return net.outputs(); }

    /** The model file's header (network shape, training settings, provenance), read-only at every level. */
    public Map<String, Object> header() { return header; }

    /** Loss, accuracy, confusion matrix and predictions on labeled data (labels within the model's classes). */
    public Evaluation evaluate(Dataset data) {
        turns.lock();
        try {
            check(data);
            try {
                return Evaluation.of(pk, net, data, standardizer, new SoftmaxCrossEntropy(), BATCH);
            } finally {
                releaseWide(data.samples());
            }
        } finally {
            turns.unlock();
        }
    }

    /**
     * The predicted class of every sample (the largest output; the first on ties). The dataset's labels
     * are not used, so they need not be within the model's classes.
     */
    @Override
    public int[] predict(Dataset data) {
        turns.lock();
        try {
            check(data);
            try {
                return classes(data.samples(), batchesOf(data));
            } finally {
                releaseWide(data.samples());
            }
        } finally {
            turns.unlock();
        }
    }

    /** Class probabilities, {@code [sample * classes + class]}. */
    @Override
    public float[] predictProbabilities(Dataset data) {
        turns.lock();
        try {
            check(data);
            try {
                return probabilities(data.samples(), batchesOf(data));
            } finally {
                releaseWide(data.samples());
            }
        } finally {
            turns.unlock();
        }
    }

    // The network's predict buffers stay sized for the widest batch until freed (see SparseMlp.releasePredictBuffers):
    // a 1,000-sample call on a 784-1000-1000-1000-10 model left 24 MB of them until close. Calls of a few
    // samples keep theirs (see NarrowBuffer), wider ones allocate per call, as their input batches do.
    private void releaseWide(int samples) {
        if (samples > NarrowBuffer.MAX_SAMPLES) net.releasePredictBuffers();
    }

    // Overridden, with the same results, so that a call of a few samples copies them straight into the
    // kept input buffer instead of into a dataset of their own (an arena per call, see NarrowBuffer).
    @Override
    public int[] predict(float[] features) {
        turns.lock();
        try {
            Objects.requireNonNull(features, "features");
            checkOpen();
            DenseMatrix x = narrowInput.samplesOf(features, net.inputs());
            return x == null ? Classifier.super.predict(features) : classes(x.cols(), batchOf(x));
        } finally {
            turns.unlock();
        }
    }

    @Override
    public float[] predictProbabilities(float[] features) {
        turns.lock();
        try {
            Objects.requireNonNull(features, "features");
            checkOpen();
            DenseMatrix x = narrowInput.samplesOf(features, net.inputs());
            return x == null ? Classifier.super.predictProbabilities(features) : probabilities(x.cols(), batchOf(x));
        } finally {
            turns.unlock();
        }
    }

    private static final int BATCH = 1000;

    private interface BatchOutput {
        void accept(DenseMatrix logits, int from, int m);
    }

    // Hands each batch's network outputs to a BatchOutput, in sample order.
    private interface Batches {
        void forEach(BatchOutput each);
    }

    private int[] classes(int n, Batches batches) {
        int[] out = new int[n];
        batches.forEach((logits, from, m) -> {
            for (int c = 0; c < m; c++) out[from + c] = Argmax.ofColumn(logits, c);
        });
        return out;
    }

    private float[] probabilities(int n, Batches batches) {
        int k = net.outputs();
        float[] out = new float[n * k];
        int[] dummy = new int[n];
        DenseMatrix kept = narrowOutput.get(k, n);
        DenseMatrix p = kept != null ? kept : DenseMatrix.allocate(k, Math.min(BATCH, Math.max(1, n)));
        try {
            batches.forEach((logits, from, m) -> {
                DenseMatrix pb = p.columns(m);
                pk.kernels().softmaxCrossEntropy(logits, dummy, from, 0f, null, pb);
                for (int c = 0; c < m; c++) for (int j = 0; j < k; j++) out[(from + c) * k + j] = pb.get(j, c);
            });
        } finally {
            if (kept == null) p.close();
        }
        return out;
    }

    // The network's outputs for the dataset's samples, BATCH at a time, standardized as in training.
    private Batches batchesOf(Dataset data) {
        return each -> {
            DenseMatrix kept = narrowInput.get(data.features(), data.samples());
            Dataset.Batch batch = (xb, from, m) -> each.accept(net.predict(pk, xb), from, m);
            if (kept != null) data.inBatches(pk, kept, standardizer, batch);
            else data.inBatches(pk, BATCH, standardizer, batch);
        };
    }

    // The raw samples already in x, as one batch.
    private Batches batchOf(DenseMatrix x) {
        return each -> {
            if (standardizer != null) standardizer.apply(x);
            each.accept(net.predict(pk, x), 0, x.cols());
        };
    }

    /** Writes the model (without optimizer state) atomically. */
    public void save(Path file) throws IOException {
        turns.lock();
        try {
            Objects.requireNonNull(file, "file");
            checkOpen();
            Map<String, Object> extra = new LinkedHashMap<>(header);
            extra.remove("format");
            extra.remove("network");
            extra.remove("optimizer_steps");
            ModelFile.save(file, net, null, standardizer, extra);
        } finally {
            turns.unlock();
        }
    }

    private void check(Dataset data) {
        Objects.requireNonNull(data, "data");
        checkOpen();
        if (data.features() != net.inputs()) {
            throw new IllegalArgumentException(data.name() + " has " + data.features() + " features; the model takes " + net.inputs());
        }
    }

    // For ModelExport, which holds the classifier's lock while it reads the weights.
    ReentrantLock turns() { return turns; }

    void checkOpen() {
        if (closed) throw new IllegalStateException("the classifier is closed");
    }

    /**
     * Stops the worker threads and frees the network, each even if the other fails; waits for a call
     * running in another thread to finish first. Closing again does nothing; a prediction, evaluation,
     * save or export after closing throws {@link IllegalStateException}, while the model's shape, standardizer and header still answer.
     */
    @Override
    public void close() {
        turns.lock();
        try {
            if (closed) return;
            closed = true;
            Closing.all(pool::close, net::close, narrowInput::close, narrowOutput::close);
        } finally {
            turns.unlock();
        }
    }
}
