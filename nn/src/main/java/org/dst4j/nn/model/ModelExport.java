package org.dst4j.nn.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.io.NpzWriter;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Writes a trained model's weights as a NumPy {@code .npz} archive, for analysis outside dst4j
 * ({@code numpy.load}, {@code scipy.sparse}). Each layer {@code NAME} (its name is listed in the archive's
 * {@code meta}) is stored as SciPy's CSR arrays of its {@code out x in} weight matrix: {@code NAME.data}
 * (float32 weights), {@code NAME.indices} (int32 input index of each weight, ascending within a row),
 * {@code NAME.indptr} (int64, {@code out + 1} row starts), {@code NAME.shape} (int64 {@code [out, in]}), and
 * {@code NAME.bias} (float32). {@code PREFIX.standardizer.mean} / {@code .std} hold the input
 * standardization, when the model has one.
 *
 * <p>{@code meta} is a zero-dimensional string array holding JSON ({@code json.loads(str(npz["meta"]))}):
 * {@code format} ({@value #FORMAT}), {@code version}, {@code model} ({@code mlp}, {@code ensemble} or
 * {@code multihead}), {@code inputs}, {@code classes}, and {@code networks}, each with its {@code prefix},
 * {@code input} ({@code "x"}, the samples, or the prefix of the network whose output it takes: a head's
 * backbone), {@code standardizer} (the prefix of its arrays, or null), {@code layers} (each {@code name},
 * {@code in}, {@code out}, {@code connections}, {@code activation} — {@code relu}, {@code leaky_relu} with
 * {@code slope}, {@code sigmoid}, {@code tanh} or {@code linear}) and {@code header}, the model file's header
 * (training settings, provenance) for a single model and each ensemble member, empty for a multi-head model's
 * networks, whose description is the directory's manifest; an ensemble's or multi-head model's manifest is
 * {@code meta}'s {@code manifest} field. The model's class probabilities, as {@code predict} computes them: standardize the samples
 * ({@code (x - mean) / std}), apply each layer ({@code a = activation(a @ W.T + bias)}), take the softmax of
 * the last layer's output, and for an ensemble or a multi-head model average the members' or heads'
 * probabilities ({@code combine}: {@code mean_softmax}).
 */
public final class ModelExport {
    /** The {@code meta} JSON's {@code format} field. */
    public static final String FORMAT = "dst4j-npz";
    /** The {@code meta} JSON's {@code version} field; a change that older readers would misread raises it. */
    public static final int VERSION = 1;
    /** The name of the JSON array every export holds, written first. */
    public static final String META = "meta";

    private ModelExport() {}

    /**
     * Writes {@code model}'s weights to {@code file} atomically (a temporary file renamed over it).
     *
     * @throws IllegalArgumentException if {@code model} is not a {@link SparseClassifier},
     *     {@link EnsembleClassifier} or {@link MultiHeadClassifier}
     * @throws IllegalStateException if it is closed
     * @throws java.io.InterruptedIOException if the thread is interrupted while writing (the file is then
     *     left as it was)
     */
    public static void toNpz(Classifier model, Path file) throws IOException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(file, "file");
        // Held for the whole write: a classifier closed meanwhile by another thread would free the weights being read.
        switch (model) {
            case SparseClassifier c -> {
                c.turns().lock();
                try {
                    c.checkOpen();
                    write(file, "mlp", "softmax", c.inputs(), c.classes(), List.of(Part.of("", "x", c)), null);
                } finally {
                    c.turns().unlock();
                }
            }
            case EnsembleClassifier e -> {
                List<SparseClassifier> members = e.members();
                List<Part> parts = new ArrayList<>();
                for (int m = 0; m < members.size(); m++) parts.add(Part.of("member" + m + ".", "x", members.get(m)));
                lockingEach(members, 0, () -> write(file, "ensemble", "mean_softmax", e.inputs(), e.classes(), parts, e.manifest()));
            }
            case MultiHeadClassifier c -> {
                c.turns().lock();
                try {
                    c.checkOpen();
                    List<Part> parts = new ArrayList<>();
                    parts.add(new Part("backbone.", "x", c.network().backbone(), c.standardizer(), Map.of()));
                    List<SparseMlp> heads = c.network().heads();
                    for (int h = 0; h < heads.size(); h++) parts.add(new Part("head" + h + ".", "backbone.", heads.get(h), null, Map.of()));
                    write(file, "multihead", "mean_softmax", c.inputs(), c.classes(), parts, c.manifest());
                } finally {
                    c.turns().unlock();
                }
            }
            default -> throw new IllegalArgumentException("cannot export a " + model.getClass().getName()
                    + "; expected a SparseClassifier, EnsembleClassifier or MultiHeadClassifier");
        }
    }

    /**
     * Writes one network that is not a classifier — QuickSelection's autoencoder, say — as {@link #toNpz}
     * writes a single model (prefix {@code ""}, input {@code x}, the same arrays and {@code meta}), so the same
     * code reads both. {@code meta}'s {@code model} is {@code kind}, {@code combine} is {@code "none"} and the
     * network's output width is {@code outputs} instead of {@code classes}. The caller keeps {@code net}, which
     * must not change during the write.
     *
     * @param std the input standardization the network was trained with, or null
     * @param header what to record with the network (its training settings), as a model file's header
     * @throws java.io.InterruptedIOException if the thread is interrupted while writing (the file is then
     *     left as it was)
     */
    public static void networkToNpz(SparseMlp net, Standardizer std, Map<String, Object> header, String kind, Path file) throws IOException {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(file, "file");
        if (net.isClosed()) throw new IllegalStateException("the network is closed; nothing written to " + file);
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("model", kind);
        top.put("inputs", net.inputs());
        top.put("outputs", net.outputs());
        top.put("combine", "none");
        write(file, top, List.of(new Part("", "x", net, std, header)), null);
    }

    private record Part(String prefix, String input, SparseMlp net, Standardizer standardizer, Map<String, Object> header) {
        static Part of(String prefix, String input, SparseClassifier c) {
            return new Part(prefix, input, c.network(), c.standardizer(), c.header());
        }
    }

    private interface Write {
        void run() throws IOException;
    }

    private static void lockingEach(List<SparseClassifier> members, int i, Write body) throws IOException {
        if (i == members.size()) {
            body.run();
            return;
        }
        members.get(i).turns().lock();
        try {
            members.get(i).checkOpen();
            lockingEach(members, i + 1, body);
        } finally {
            members.get(i).turns().unlock();
        }
    }

    private static void write(Path file, String kind, String combine, int inputs, int classes, List<Part> parts,
                              Map<String, Object> manifest) throws IOException {
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("model", kind);
        top.put("inputs", inputs);
        top.put("classes", classes);
        top.put("combine", combine);
        write(file, top, parts, manifest);
    }

    // top: the fields between version and networks, in their order.
    private static void write(Path file, Map<String, Object> top, List<Part> parts, Map<String, Object> manifest) throws IOException {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("version", VERSION);
        meta.putAll(top);
        List<Object> networks = new ArrayList<>();
        for (Part p : parts) networks.add(describe(p));
        meta.put("networks", networks);
        if (manifest != null) meta.put("manifest", manifest);
        String json = Json.write(meta);
        AtomicFiles.write(file, out -> {
            NpzWriter npz = new NpzWriter(out);
            npz.string(META, json);
            for (Part p : parts) {
                if (p.standardizer() != null) {
                    npz.floats(p.prefix() + "standardizer.mean", p.standardizer().mean());
                    npz.floats(p.prefix() + "standardizer.std", p.standardizer().std());
                }
                List<SparseLinear> layers = p.net().layers();
                for (int l = 0; l < layers.size(); l++) {
                    SparseLinear layer = layers.get(l);
                    CsrMatrix w = layer.weights();
                    String name = p.prefix() + "layer" + l + ".";
                    npz.floats(name + "data", w.values(), w.nnz());
                    npz.ints(name + "indices", w.colIdx(), w.nnz());
                    npz.longs(name + "indptr", w.rowPtr(), w.rows() + 1L);
                    npz.longs(name + "shape", new long[] {w.rows(), w.cols()});
                    npz.floats(name + "bias", layer.bias(), layer.out());
                }
            }
            npz.finish();
        });
    }

    private static Map<String, Object> describe(Part p) {
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("prefix", p.prefix());
        n.put("input", p.input());
        n.put("standardizer", p.standardizer() == null ? null : p.prefix() + "standardizer");
        List<Object> layers = new ArrayList<>();
        List<SparseLinear> ls = p.net().layers();
        for (int l = 0; l < ls.size(); l++) {
            SparseLinear layer = ls.get(l);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", p.prefix() + "layer" + l);
            m.put("in", layer.in());
            m.put("out", layer.out());
            m.put("connections", layer.connections());
            Activation a = layer.activation();
            m.put("activation", switch (a.kind()) {
                case RELU -> "relu";
                case LEAKY_RELU -> "leaky_relu";
                case SIGMOID -> "sigmoid";
                case TANH -> "tanh";
                case LINEAR -> "linear";
            });
            if (a.kind() == Activation.Kind.LEAKY_RELU) m.put("slope", a.slope());
            layers.add(m);
        }
        n.put("layers", layers);
        n.put("header", p.header());
        return n;
    }
}
