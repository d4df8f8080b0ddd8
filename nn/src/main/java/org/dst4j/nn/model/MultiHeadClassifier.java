package org.dst4j.nn.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.network.MultiHeadMlp;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.dense.Argmax;
import org.dst4j.runtime.dense.DenseMatrix;
import org.dst4j.runtime.kernel.KernelProvider;
import org.dst4j.runtime.kernel.ParallelKernels;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.resource.Closing;

/**
 * A trained multi-head network ready for inference, and its on-disk form: a directory with
 * {@code backbone.dst4j} (which carries the input standardizer), {@code head-1.dst4j}, … and the
 * manifest {@value #MANIFEST}.
 *
 * <p>Thread safety: as {@link SparseClassifier}: the prediction and evaluation methods and
 * {@link #close} may be called from several threads and run one at a time, in the order they arrived; {@link #network()} is not
 * thread-safe and bypasses this lock.
 */
public final class MultiHeadClassifier implements Classifier {
    /** The manifest of a saved multi-head model directory. */
    public static final String MANIFEST = "multihead.json";
    /** The manifest's {@code format} field, checked on load. */
    public static final String FORMAT = "dst4j-multihead";

    private final MultiHeadMlp net;
    private final Standardizer standardizer;
    private final WorkerPool pool;
    private final ParallelKernels pk;
    private final NarrowBuffer narrowInput = new NarrowBuffer();
    // Final, so that a classifier handed to another thread without synchronization shows its manifest there too.
    private final Map<String, Object> manifest;
    // Fair, as SparseClassifier's: a monitor let one caller in a loop keep out the others, and close().
    private final ReentrantLock turns = new ReentrantLock(true);
    private boolean closed;

    /**
     * Takes ownership of {@code net}: if the classifier cannot be made (e.g. {@code threads < 1}), it
     * closes {@code net} and throws.
     */
    public MultiHeadClassifier(MultiHeadMlp net, Standardizer standardizer, int threads) {
        this(net, standardizer, threads, Map.of());
    }

    private MultiHeadClassifier(MultiHeadMlp net, Standardizer standardizer, int threads, Map<String, Object> manifest) {
        Objects.requireNonNull(net, "net");
        this.net = net;
        this.standardizer = standardizer;
        this.manifest = manifest;
        try {
            // as SparseClassifier's: here, not at the first prediction, which blamed a batch of the network's width
            if (standardizer != null && standardizer.mean().length != net.inputs()) {
                throw new IllegalArgumentException("the standardizer is for " + standardizer.mean().length + " features, the network takes "
                        + net.inputs() + " inputs");
            }
            this.pool = new WorkerPool(threads);
        } catch (RuntimeException | Error e) {
            Closing.after(e, net::close);
            throw e;
        }
        this.pk = new ParallelKernels(KernelProvider.get(), pool);
    }

    /** The network, still owned by this classifier: do not close it. */
    public MultiHeadMlp network() { return net; }

    @Override
    public int inputs() { return net.inputs(); }

    /** The number of classes, which all heads share. */
    @Override
    public int classes() { return net.outputs(); }

    @Override
    public Standardizer standardizer() { return standardizer; }

    /** Each head's class probabilities, {@code [head][sample * classes + class]}. */
    public List<float[]> headProbabilities(Dataset data) {
        Objects.requireNonNull(data, "data");
        turns.lock();
        try {
            checkOpen();
            if (data.features() != net.inputs()) {
                throw new IllegalArgumentException(data.name() + " has " + data.features() + " features; the model takes " + net.inputs());
            }
            int n = data.samples(), k = net.outputs(), m = net.heads().size();
            List<float[]> out = new ArrayList<>();
            for (int h = 0; h < m; h++) out.add(new float[n * k]);
            Dataset.Batch batch = (xb, from, b) -> {
                List<float[]> p = net.headProbabilities(pk, xb);
                for (int h = 0; h < m; h++) System.arraycopy(p.get(h), 0, out.get(h), from * k, b * k);
            };
            DenseMatrix kept = narrowInput.get(data.features(), n);
            if (kept != null) {
                data.inBatches(pk, kept, standardizer, batch);
            } else {
                // As SparseClassifier's: a wide call leaves no buffers sized for it in the network.
                try {
                    data.inBatches(pk, 1000, standardizer, batch);
                } finally {
                    net.releasePredictBuffers();
                }
            }
            return out;
        } finally {
            turns.unlock();
        }
    }

    /** The heads' averaged class probabilities. */
    @Override
    public float[] predictProbabilities(Dataset data) {
        return EnsembleMetrics.average(headProbabilities(data));
    }

    // Overridden, with the same results, so that a call of a few samples copies them straight into the
    // kept input buffer instead of into a dataset of their own (an arena per call, see NarrowBuffer).
    @Override
    public float[] predictProbabilities(float[] features) {
        turns.lock();
        try {
            Objects.requireNonNull(features, "features");
            checkOpen();
            DenseMatrix x = narrowInput.samplesOf(features, net.inputs());
            if (x == null) return Classifier.super.predictProbabilities(features);
            if (standardizer != null) standardizer.apply(x);
            return EnsembleMetrics.average(net.headProbabilities(pk, x));
        } finally {
            turns.unlock();
        }
    }

    // The argmax of those probabilities, as predict(Dataset) takes it, without a dataset either.
    @Override
    public int[] predict(float[] features) {
        float[] p = predictProbabilities(features);
        return Argmax.ofRows(p, p.length / classes(), classes());
    }

    /** Ensemble and per-head scores and diversity on labeled data (labels within the model's classes). */
    public EnsembleMetrics evaluate(Dataset data) {
        return EnsembleMetrics.of(headProbabilities(data), data.labels(), classes());
    }

    /**
     * Loads a model directory written by {@link #save}.
     *
     * @param threads worker threads of the classifier, >= 1
     * @throws IOException if the manifest or a part cannot be read
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     */
    public static MultiHeadClassifier load(Path dir, int threads) throws IOException {
        Objects.requireNonNull(dir, "dir");
        WorkerPool.checkThreads(threads);
        Loaded l = read(dir);
        return new MultiHeadClassifier(l.net(), l.standardizer(), threads, Json.frozen(l.manifest()));
    }

    /** The manifest's content (parts and what the writer added), read-only at every level; empty for a classifier not loaded from a directory. */
    public Map<String, Object> manifest() { return manifest; }

    /**
     * A loaded multi-head model and the input standardizer saved with it. The caller owns {@code net}.
     *
     * @param net the backbone and its heads
     * @param standardizer the input standardization it was trained with, or null
     * @param manifest the manifest's fields (parts and what the writer added)
     */
    public record Loaded(MultiHeadMlp net, Standardizer standardizer, Map<String, Object> manifest) {}

    /**
     * Writes the model into {@code dir}: {@code backbone.dst4j} (with the standardizer),
     * {@code head-1.dst4j}, … and the manifest {@value #MANIFEST}. Over a model already there, every part is written
     * beside it first: a save that fails while writing (a full disk, an interrupt) leaves that model as it was; one
     * stopped while the parts are renamed into place leaves no manifest, so the directory is refused, never read as
     * a mix of the two models.
     *
     * @throws IllegalStateException if {@code net} is closed; nothing is then written
     */
    public static void save(MultiHeadMlp net, Path dir, Standardizer std, Map<String, Object> info) throws IOException {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(info, "info");
        // before the directory is made: a closed network left an empty one behind
        if (net.isClosed()) throw new IllegalStateException("the network is closed; nothing written to " + dir);
        Files.createDirectories(dir);
        List<String> names = new ArrayList<>();
        for (int h = 0; h < net.heads().size(); h++) names.add("head-" + (h + 1) + ".dst4j");
        List<String> parts = new ArrayList<>(names);
        parts.addFirst("backbone.dst4j");
        try {
            ModelFile.save(staged(dir, parts.getFirst()), net.backbone(), null, std, Map.of());
            for (int h = 0; h < names.size(); h++) ModelFile.save(staged(dir, names.get(h)), net.heads().get(h), null, null, Map.of());
            Files.deleteIfExists(dir.resolve(MANIFEST));
            for (String part : parts) Files.move(staged(dir, part), dir.resolve(part), StandardCopyOption.REPLACE_EXISTING);
        } finally {
            for (String part : parts) Files.deleteIfExists(staged(dir, part));
        }
        writeManifest(dir, parts.getFirst(), names, info);
    }

    private static Path staged(Path dir, String part) {
        return dir.resolve("." + part + ".new");
    }

    /**
     * Writes the manifest {@value #MANIFEST} (atomically) for parts already saved in {@code dir} by {@link ModelFile}: the
     * backbone's file (with the standardizer, if any) and the heads' in order. A training run's checkpoint uses it to make
     * its parts of an epoch a model that {@link #load} and {@code predict} read.
     *
     * @param info more manifest fields, written as given
     */
    public static void writeManifest(Path dir, String backbone, List<String> heads, Map<String, Object> info) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>(info);
        m.put("format", FORMAT);
        m.put("backbone", backbone);
        m.put("heads", List.copyOf(heads));
        AtomicFiles.writeString(dir.resolve(MANIFEST), Json.write(m) + "\n");
    }

    /** Whether {@code dir} holds a saved multi-head model. */
    public static boolean isMultiHead(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve(MANIFEST));
    }

    /** Loads a model written by {@link #save}; errors name the manifest and the part at fault. */
    public static Loaded read(Path dir) throws IOException {
        Path file = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(file)) throw new IOException(dir + ": not a multi-head model directory (no " + MANIFEST + ")");
        Map<String, Object> m;
        List<?> names;
        String backboneName;
        try {
            m = Json.parseObject(Json.readFile(file));
            if (!FORMAT.equals(m.get("format"))) throw new IllegalArgumentException("field 'format': expected \"" + FORMAT + "\", got " + m.get("format"));
            backboneName = Json.getString(m, "backbone");
            if (!(m.get("heads") instanceof List<?> l) || l.isEmpty()) throw new IllegalArgumentException("field 'heads': expected a non-empty array of file names");
            names = l;
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
        ModelFile.Loaded b = ModelFile.load(EnsembleClassifier.part(dir, file, "backbone", backboneName), null);
        List<SparseMlp> hs = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        try {
            for (Object name : names) {
                if (!(name instanceof String s)) throw new IOException(file + ": field 'heads': expected file names, got " + name);
                Path head = EnsembleClassifier.part(dir, file, "heads", s);
                // By the file, as the ensemble's members: "head-1.dst4j/" beside "head-1.dst4j" was one head loaded twice.
                if (!seen.add(head)) throw new IOException(file + ": field 'heads': " + s + " is listed twice");
                hs.add(ModelFile.load(head, null).net());
            }
            return new Loaded(new MultiHeadMlp(b.net(), hs), b.standardizer(), m);
        } catch (IOException | RuntimeException | Error e) {
            // Error too: memory running out at a head must not strand the backbone and the heads before it.
            Closing.after(e, () -> b.net().close(), () -> Closing.each(hs, SparseMlp::close));
            if (e instanceof IllegalArgumentException) throw new IOException(file + ": " + e.getMessage());
            throw e;
        }
    }

    // For ModelExport, which holds the classifier's lock while it reads the weights.
    ReentrantLock turns() { return turns; }

    void checkOpen() {
        if (closed) throw new IllegalStateException("the classifier is closed");
    }

    /**
     * Stops the worker threads and frees the network, each even if the other fails; waits for a call
     * running in another thread to finish first. Closing again does nothing; a prediction, evaluation or
     * export after closing throws {@link IllegalStateException}, while the model's shape, standardizer and manifest still answer.
     */
    @Override
    public void close() {
        turns.lock();
        try {
            if (closed) return;
            closed = true;
            Closing.all(pool::close, net::close, narrowInput::close);
        } finally {
            turns.unlock();
        }
    }
}
