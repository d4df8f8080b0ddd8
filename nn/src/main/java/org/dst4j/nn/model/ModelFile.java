package org.dst4j.nn.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.init.Density;
import org.dst4j.nn.init.WeightInit;
import org.dst4j.nn.io.CheckpointFile;
import org.dst4j.nn.io.CheckpointFile.DType;
import org.dst4j.nn.io.CheckpointFile.Entry;
import org.dst4j.nn.io.CheckpointFile.Tensor;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.layer.Activation;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.network.MlpConfig;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.nn.optim.Optimizer;
import org.dst4j.runtime.resource.Closing;
import org.dst4j.runtime.sparse.CsrMatrix;

/**
 * Saves and loads sparse MLPs as {@link CheckpointFile}s: the network's shape in the header, each
 * layer's CSR arrays, biases and optimizer state as tensors, plus an optional input standardizer and
 * whatever the caller adds to the header (training state, provenance). Nothing time-dependent is
 * written, so the same model always gives the same bytes.
 */
public final class ModelFile {
    private static final Pattern LAYER_TENSOR = Pattern.compile("layer\\.(\\d{1,9})\\..*");

    /** The header's {@code format} field, checked on load. */
    public static final String FORMAT = "dst4j-mlp";

    private ModelFile() {}

    /**
     * What a model file holds. The caller owns {@code net}.
     *
     * @param net the network, with its optimizer state when {@link #load} was given an optimizer
     * @param standardizer the input standardization it was trained with, or null
     * @param header the file's header fields (format, training settings, provenance, …)
     */
    public record Loaded(SparseMlp net, Standardizer standardizer, Map<String, Object> header) {}

    /** The header fields {@link #save} writes itself, from its arguments. */
    private static final List<String> OWN_FIELDS = List.of("format", "network", "optimizer_steps");

    /**
     * Writes {@code net} (with optimizer state when {@code opt} is not null) atomically.
     *
     * @param extra more header fields (e.g. "training", "provenance"), written as given
     * @throws IllegalArgumentException if {@code extra} has a field the file writes itself ({@code format},
     *     {@code network}, {@code optimizer_steps}: a loaded model's header has them), {@code std} is for
     *     another number of features than the network takes, or a layer holds no state of {@code opt} (not attached to
     *     it); nothing is then written
     * @throws IllegalStateException if {@code net} is closed; nothing is then written
     */
    public static void save(Path file, SparseMlp net, Optimizer opt, Standardizer std, Map<String, Object> extra) throws IOException {
        save(file, net, opt, std, extra, List.of());
    }

    /**
     * As {@link #save(Path, SparseMlp, Optimizer, Standardizer, Map)}, also writing each layer's per-connection side
     * arrays named in {@code sides} that the layer has ({@link CsrMatrix#addSide}'s float, int, byte or long elements):
     * what an algorithm keeps per connection beside the weights (which task owns it, whether it is frozen), for a
     * checkpoint that {@link #load(Path, Optimizer, Map)} restores. A name the optimizer's state also has is written once.
     *
     * @throws IllegalArgumentException as the other {@code save}, or if no layer has a side array named in {@code sides};
     *     nothing is then written
     */
    public static void save(Path file, SparseMlp net, Optimizer opt, Standardizer std, Map<String, Object> extra, List<String> sides)
            throws IOException {
        save(file, net, opt, std, extra, sides, List.of());
    }

    /**
     * As {@link #save(Path, SparseMlp, Optimizer, Standardizer, Map, List)}, also writing the tensors {@code more} after the
     * model's own: an algorithm's state that is not per connection and too large for the header (a header holds at most
     * 64 MiB). {@link #load} skips them; read them with {@link CheckpointFile#open}.
     *
     * @throws IllegalArgumentException as the other {@code save}, or if a name in {@code more} is one the model file uses
     *     (starting {@code layer.} or {@code standardizer.}) or appears twice; nothing is then written
     */
    public static void save(Path file, SparseMlp net, Optimizer opt, Standardizer std, Map<String, Object> extra, List<String> sides,
                            List<Tensor> more) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(extra, "extra");
        Objects.requireNonNull(sides, "sides");
        Objects.requireNonNull(more, "more");
        // its freed layers failed the write with the runtime's "Already closed", after the temporary file was made
        if (net.isClosed()) throw new IllegalStateException("the network is closed; nothing written to " + file);
        Set<String> names = new HashSet<>();
        for (Tensor t : more) {
            if (t.name().startsWith("layer.") || t.name().startsWith("standardizer.") || !names.add(t.name())) {
                throw new IllegalArgumentException("tensor '" + t.name() + "': a name the model file uses, or given twice");
            }
        }
        for (String side : sides) {
            // a misspelt name wrote a checkpoint without the state it was meant to keep
            if (net.layers().stream().noneMatch(l -> l.weights().hasSide(side))) {
                throw new IllegalArgumentException("side array '" + side + "': no layer of the network has it");
            }
        }
        for (String own : OWN_FIELDS) {
            // Written over the file's own, a loaded header's "format" or "network" made a file no load accepts, and its
            // "optimizer_steps" an optimizer resumed at the step the model was loaded at, not the one it was saved at.
            if (extra.containsKey(own)) {
                throw new IllegalArgumentException("extra header field '" + own + "': the model file writes it itself, from the network"
                        + " and optimizer given; remove it (a loaded model's header has it)");
            }
        }
        if (opt != null) {
            for (int l = 0; l < net.layers().size(); l++) {
                SparseLinear layer = net.layers().get(l);
                MemorySegment state = layer.biasState();
                // a NullPointerException from inside the write, before
                boolean attached = state != null && state.byteSize() >= (long) layer.out() * opt.biasSlots() * Float.BYTES
                        && Arrays.stream(opt.sideArrays()).allMatch(layer.weights()::hasSide);
                if (!attached) {
                    throw new IllegalArgumentException("layer " + l + " holds no state of the optimizer given (" + opt.getClass().getSimpleName()
                            + "): save with the optimizer it trained with, attached by SparseLinear.attach, or with none");
                }
            }
        }
        // load() refuses such a file: written, it kept a model no one could read back.
        if (std != null && std.mean().length != net.inputs()) {
            throw new IllegalArgumentException("standardizer has " + std.mean().length + " features, the network " + net.inputs() + " inputs");
        }
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("format", FORMAT);
        h.put("network", networkHeader(net));
        if (opt != null) h.put("optimizer_steps", opt.steps());
        h.putAll(extra);
        List<Tensor> tensors = new ArrayList<>();
        List<SparseLinear> layers = net.layers();
        for (int l = 0; l < layers.size(); l++) {
            SparseLinear layer = layers.get(l);
            CsrMatrix w = layer.weights();
            long nnz = w.nnz();
            String p = "layer." + l + ".";
            tensors.add(Tensor.of(p + "row_ptr", DType.I64, w.rowPtr()));
            tensors.add(Tensor.of(p + "col_idx", DType.I32, w.colIdx().asSlice(0, nnz * 4)));
            tensors.add(Tensor.of(p + "values", DType.F32, w.values().asSlice(0, nnz * 4)));
            tensors.add(Tensor.of(p + "bias", DType.F32, layer.bias().asSlice(0, layer.out() * 4L)));
            if (opt != null) {
                tensors.add(Tensor.of(p + "bias_state", DType.F32, layer.biasState().asSlice(0, (long) layer.out() * opt.biasSlots() * 4)));
                for (String side : opt.sideArrays()) {
                    tensors.add(Tensor.of(p + "side." + side, DType.F32, w.side(side).asSlice(0, nnz * 4)));
                }
            }
            for (String side : sides) {
                if (!w.hasSide(side) || (opt != null && List.of(opt.sideArrays()).contains(side))) continue;
                ValueLayout layout = w.sideLayout(side);
                tensors.add(Tensor.of(p + "side." + side, dtype(layout), w.side(side).asSlice(0, nnz * layout.byteSize())));
            }
        }
        if (std != null) {
            tensors.add(Tensor.of("standardizer.mean", std.mean()));
            tensors.add(Tensor.of("standardizer.std", std.std()));
        }
        tensors.addAll(more);
        CheckpointFile.write(file, h, tensors);
    }

    /**
     * The header's {@code provenance} fields every training command writes: which algorithm and seed
     * trained the model on which data, and the dst4j version ({@code dev} outside a built jar). The
     * training data's checksum is how {@code predict} recognizes a single file's held-out split.
     * {@code more} (in its iteration order) goes before the version, so that a SET model's header keeps
     * the bytes it had before this builder existed.
     */
    public static Map<String, Object> provenance(String algorithm, long seed, String dataName, long dataChecksum, Map<String, Object> more) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("algorithm", algorithm);
        p.put("seed", seed);
        p.put("data", dataName);
        p.put("data_checksum", dataChecksum);
        p.putAll(more);
        String version = ModelFile.class.getPackage().getImplementationVersion();
        p.put("dst4j_version", version == null ? "dev" : version);
        return p;
    }

    /** Loads a model; with {@code opt} not null, also its optimizer state (for resuming). */
    public static Loaded load(Path file, Optimizer opt) throws IOException {
        return load(file, opt, Map.of());
    }

    /**
     * Loads a model as {@link #load(Path, Optimizer)} does, and the per-connection side arrays named in {@code sides}
     * that {@link #save(Path, SparseMlp, Optimizer, Standardizer, Map, List)} wrote: each is added to the layers the file
     * has it for, with the layout given (a layer the file has none for gets none).
     *
     * @throws IOException as the other {@code load}, or if a side array's elements in the file are of another type than
     *     its layout, or a float one holds a NaN or an infinity
     */
    public static Loaded load(Path file, Optimizer opt, Map<String, ValueLayout> sides) throws IOException {
        try (CheckpointFile.Index ix = CheckpointFile.open(file)) {
            return load(ix, file.toString(), opt, sides);
        }
    }

    /**
     * Loads a model from a stream (up to 2 GB), such as a model file shipped as a class-path resource;
     * with {@code opt} not null, also its optimizer state. The stream is read to its end (only its first 8 bytes when they are not a
     * model's), not closed.
     *
     * @param name what the errors call the stream (the resource's name, say)
     */
    public static Loaded load(InputStream in, String name, Optimizer opt) throws IOException {
        try (CheckpointFile.Index ix = CheckpointFile.open(in, name)) {
            return load(ix, name, opt, Map.of());
        }
    }

    // Each tensor is read straight into the network's memory (the file's data is never held beside it), and
    // checked there; the tensors not needed (optimizer state, when loading for inference) are checked at the end.
    private static Loaded load(CheckpointFile.Index ix, String file, Optimizer opt, Map<String, ValueLayout> sides) throws IOException {
        Map<String, Object> h = ix.header();
        try {
            if (!FORMAT.equals(h.get("format"))) throw new IllegalArgumentException("field 'format': expected \"" + FORMAT + "\", got " + h.get("format"));
            Map<String, Object> nh = Json.getObject(h, "network");
            MlpConfig cfg = config(nh);
            int[] sizes = cfg.sizes();
            List<SparseLinear> layers = new ArrayList<>();
            try {
                for (int l = 0; l + 1 < sizes.length; l++) {
                    String p = "layer." + l + ".";
                    // A file edited by hand can carry a valid checksum: the element types and values are checked too.
                    Entry rowPtr = typed(ix.entry(p + "row_ptr"), DType.I64), colIdx = typed(ix.entry(p + "col_idx"), DType.I32);
                    Entry values = typed(ix.entry(p + "values"), DType.F32);
                    CsrMatrix w = CsrMatrix.readCsr(sizes[l + 1], sizes[l], rowPtr.elements(), colIdx.elements(), values.elements(), (rp, ci, v) -> {
                        ix.readInto(rowPtr, rp);
                        ix.readInto(colIdx, ci);
                        ix.readInto(values, v);
                    });
                    SparseLinear layer;
                    try {
                        requireFinite(values.name(), w.values().asSlice(0, w.nnz() * 4));
                        layer = new SparseLinear(w, SparseMlp.activationOf(cfg, l));
                    } catch (RuntimeException | Error e) {
                        Closing.after(e, w::close);
                        throw e;
                    }
                    layers.add(layer);
                    readFinite(ix, p + "bias", layer.bias().asSlice(0, (long) layer.out() * 4));
                    if (opt != null) {
                        layer.attach(opt);
                        // As the weights: a NaN momentum or moment reached the weights at the first step, and the run
                        // stopped as diverged, blaming the learning rate.
                        readFinite(ix, p + "bias_state", layer.biasState().asSlice(0, (long) layer.out() * opt.biasSlots() * 4));
                        for (String side : opt.sideArrays()) readFinite(ix, p + "side." + side, w.side(side).asSlice(0, w.nnz() * 4));
                    }
                    for (Map.Entry<String, ValueLayout> side : sides.entrySet()) {
                        String name = p + "side." + side.getKey();
                        if (!ix.has(name) || (opt != null && List.of(opt.sideArrays()).contains(side.getKey()))) continue;
                        ValueLayout layout = side.getValue();
                        MemorySegment to = (w.hasSide(side.getKey()) ? w.side(side.getKey()) : w.addSide(side.getKey(), layout)).asSlice(0, w.nnz() * layout.byteSize());
                        ix.readInto(typed(ix.entry(name), dtype(layout)), to);
                        if (dtype(layout) == DType.F32) requireFinite(name, to);
                    }
                }
                // Still inside the try: a bad field or standardizer found now must free the layers too.
                if (opt != null && h.containsKey("optimizer_steps")) {
                    long steps = Json.getLong(h, "optimizer_steps");
                    // Adam's bias correction divides by 1 - beta^(steps + 1), which a negative count made 0 (infinite steps) or negative.
                    if (steps < 0) throw new IllegalArgumentException("field 'optimizer_steps': expected a count >= 0, got " + steps);
                    opt.setSteps(steps);
                }
                Standardizer std = null;
                // Either half alone is a file edited or cut: loaded without it, the model was given unscaled input and said nothing.
                if (ix.has("standardizer.mean") || ix.has("standardizer.std")) {
                    std = new Standardizer(floats(ix, "standardizer.mean"), floats(ix, "standardizer.std"));
                    int features = std.mean().length;
                    if (features != sizes[0]) throw new IllegalArgumentException("standardizer has " + features + " features, the network " + sizes[0] + " inputs");
                }
                // A header naming fewer layers than the file holds (network.sizes cut short by hand) loaded as another
                // network, its last layers ignored: save never writes such a file, so it is refused.
                for (String name : ix.names()) {
                    Matcher m = LAYER_TENSOR.matcher(name);
                    if ((m.matches() && Long.parseLong(m.group(1)) >= sizes.length - 1)
                            || (name.startsWith("standardizer.") && !name.equals("standardizer.mean") && !name.equals("standardizer.std"))) {
                        throw new IllegalArgumentException("tensor '" + name + "' belongs to no part of the " + (sizes.length - 1)
                                + "-layer network the header describes (file edited?)");
                    }
                }
                ix.verifyUnread();
                return new Loaded(SparseMlp.of(cfg, layers, Json.getLong(nh, "dropout_seed")), std, h);
            } catch (IOException | RuntimeException | Error e) {
                // Error too: memory running out (an OutOfMemoryError from an allocation) must not strand the layers built.
                Closing.after(e, () -> Closing.each(layers, SparseLinear::close));
                // An interrupt closed the file: there is nothing more to read, and the interrupt is the news.
                if (e instanceof Error || e instanceof InterruptedIOException) throw e;
                // A missing or mistyped tensor, a bad matrix: a file edited by hand, or one bit of it flipped. The CRCs tell.
                IOException damage = ix.damage();
                if (damage != null) {
                    damage.addSuppressed(e);
                    throw damage;
                }
                throw e;
            }
        } catch (IllegalArgumentException e) {
            throw new IOException("model " + file + ": " + e.getMessage(), e);
        }
    }

    private static DType dtype(ValueLayout layout) {
        if (layout.carrier() == float.class) return DType.F32;
        if (layout.carrier() == int.class) return DType.I32;
        if (layout.carrier() == byte.class) return DType.U8;
        if (layout.carrier() == long.class) return DType.I64;
        throw new IllegalArgumentException("side arrays of " + layout + " elements cannot be saved (float, int, byte or long)");
    }

    private static Entry typed(Entry e, DType t) {
        if (e.dtype() != t) throw new IllegalArgumentException("tensor '" + e.name() + "' is " + e.dtype() + ", expected " + t);
        return e;
    }

    // NaN or infinite weights make every prediction NaN; training never saves them (it stops when the loss diverges).
    private static void requireFinite(String name, MemorySegment d) {
        for (long i = 0, n = d.byteSize() / 4; i < n; i++) {
            float x = d.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (!Float.isFinite(x)) throw new IllegalArgumentException("tensor '" + name + "': element " + i + " is " + x + ", expected a finite number");
        }
    }

    private static void readFinite(CheckpointFile.Index ix, String name, MemorySegment to) throws IOException {
        // readInto refuses a tensor of another length than `to`, naming both.
        ix.readInto(typed(ix.entry(name), DType.F32), to);
        requireFinite(name, to);
    }

    private static float[] floats(CheckpointFile.Index ix, String name) throws IOException {
        Entry e = typed(ix.entry(name), DType.F32);
        if (e.bytes() > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor '" + name + "' has " + e.elements() + " elements, too many for an array");
        // Through bytes: a float array's segment cannot be read into as a byte buffer.
        byte[] b = new byte[(int) e.bytes()];
        ix.readInto(e, MemorySegment.ofArray(b));
        return MemorySegment.ofArray(b).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
    }

    static Map<String, Object> networkHeader(SparseMlp net) {
        MlpConfig c = net.config();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sizes", c.sizes());
        m.put("hidden", c.hidden());
        m.put("alpha", c.allReluAlpha());
        m.put("output", c.output().toString());
        m.put("dropout", c.dropout());
        m.put("density", densityHeader(c.density()));
        m.put("init", WeightInit.name(c.init()));
        m.put("dropout_seed", net.dropoutSeed());
        m.put("connections", net.connections());
        return m;
    }

    static Map<String, Object> densityHeader(Density d) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (d) {
            case Density.ErdosRenyi er -> { m.put("type", "erdos-renyi"); m.put("epsilon", er.epsilon()); }
            case Density.Uniform u -> { m.put("type", "uniform"); m.put("density", u.density()); }
            case Density.Erk e -> { m.put("type", "erk"); m.put("density", e.globalDensity()); }
        }
        return m;
    }

    static MlpConfig config(Map<String, Object> nh) {
        long[] s = Json.getLongs(nh, "sizes");
        int[] sizes = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            if (s[i] < 1 || s[i] > Integer.MAX_VALUE) throw new IllegalArgumentException("field 'sizes': bad layer size " + s[i]);
            sizes[i] = (int) s[i];
        }
        Map<String, Object> dh = Json.getObject(nh, "density");
        Density density = switch (Json.getString(dh, "type")) {
            case "erdos-renyi" -> new Density.ErdosRenyi(Json.getDouble(dh, "epsilon"));
            case "uniform" -> new Density.Uniform(Json.getDouble(dh, "density"));
            case "erk" -> new Density.Erk(Json.getDouble(dh, "density"));
            default -> throw new IllegalArgumentException("field 'density.type': unknown " + dh.get("type"));
        };
        return new MlpConfig(sizes, Json.getString(nh, "hidden"), (float) Json.getDouble(nh, "alpha"),
                Activation.parse(Json.getString(nh, "output")), (float) Json.getDouble(nh, "dropout"), density,
                WeightInit.parse(Json.getString(nh, "init")));
    }

}
