package org.dst4j.nn.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.dst4j.nn.data.Dataset;
import org.dst4j.nn.data.Standardizer;
import org.dst4j.nn.ensemble.EnsembleMetrics;
import org.dst4j.nn.io.AtomicFiles;
import org.dst4j.nn.io.Json;
import org.dst4j.runtime.dense.Argmax;
import org.dst4j.runtime.parallel.WorkerPool;
import org.dst4j.runtime.resource.Closing;

/**
 * Several classifiers of the same task whose class probabilities are averaged. On disk an ensemble is
 * a directory holding the members' model files and a manifest, {@value #MANIFEST}, that lists them.
 *
 * <p>Thread safety: the prediction and evaluation methods and {@link #close} may be called from several
 * threads; each member runs one call at a time (see {@link SparseClassifier}). The members are owned by
 * the ensemble: closing one of them leaves the ensemble unusable.
 */
public final class EnsembleClassifier implements Classifier {
    /** The manifest's file name inside an ensemble directory. */
    public static final String MANIFEST = "ensemble.json";
    /** The manifest's {@code format} field, checked on load. */
    public static final String FORMAT = "dst4j-ensemble";

    private final List<SparseClassifier> members;
    private final Map<String, Object> manifest;

    /**
     * Takes ownership of the members, which must agree on inputs and classes. If they do not, the
     * members are closed and {@link IllegalArgumentException} is thrown; a null {@code manifest} (give an
     * empty map for none) or member closes them too, with a {@link NullPointerException}, and so does a
     * {@code manifest} that cannot be copied (one that contains itself), with the copy's error.
     */
    public EnsembleClassifier(List<SparseClassifier> members, Map<String, Object> manifest) {
        Objects.requireNonNull(members, "members");
        if (members.isEmpty()) throw new IllegalArgumentException("an ensemble needs at least one member");
        if (manifest == null) {
            // manifest() then answered null, where a loaded ensemble's is a map.
            NullPointerException e = new NullPointerException("manifest");
            Closing.after(e, () -> Closing.each(members, SparseClassifier::close));
            throw e;
        }
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i) != null) continue;
            // thrown from inside the shape check, the other members were left open
            NullPointerException e = new NullPointerException("members[" + i + "]");
            Closing.after(e, () -> Closing.each(members.stream().filter(Objects::nonNull).toList(), SparseClassifier::close));
            throw e;
        }
        var first = members.getFirst().network();
        for (SparseClassifier c : members) {
            if (c.network().inputs() != first.inputs() || c.network().outputs() != first.outputs()) {
                IllegalArgumentException e = new IllegalArgumentException("ensemble members differ in shape: " + first.inputs() + "->"
                        + first.outputs() + " vs " + c.network().inputs() + "->" + c.network().outputs());
                Closing.after(e, () -> Closing.each(members, SparseClassifier::close));
                throw e;
            }
        }
        this.members = List.copyOf(members);
        try {
            this.manifest = Json.frozen(manifest); // a map that holds itself overflows the stack
        } catch (RuntimeException | Error e) {
            Closing.after(e, () -> Closing.each(members, SparseClassifier::close));
            throw e;
        }
    }

    /**
     * Writes {@code dir/ensemble.json} listing {@code memberFiles} (relative to {@code dir}) and {@code info}; a
     * {@code format} or {@code members} field of {@code info} (a loaded manifest's) is replaced by the file's own.
     */
    public static void writeManifest(Path dir, List<String> memberFiles, Map<String, Object> info) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(memberFiles, "memberFiles");
        Objects.requireNonNull(info, "info");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("members", new ArrayList<>(memberFiles));
        m.putAll(info);
        // Again after info, in the places they already hold: a loaded manifest's own list replaced the members given.
        m.put("format", FORMAT);
        m.put("members", new ArrayList<>(memberFiles));
        AtomicFiles.writeString(dir.resolve(MANIFEST), Json.write(m) + "\n");
    }

    /** Whether {@code path} is an ensemble directory. */
    public static boolean isEnsemble(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve(MANIFEST));
    }

    /**
     * Loads the ensemble in {@code dir}; errors name the manifest and the field or member at fault.
     *
     * @param threads worker threads of each member, >= 1
     * @throws IOException if the manifest or a member cannot be read, or the members differ in shape
     * @throws IllegalArgumentException if {@code threads} is not in [1, 4096]
     */
    public static EnsembleClassifier load(Path dir, int threads) throws IOException {
        Objects.requireNonNull(dir, "dir");
        WorkerPool.checkThreads(threads);
        Path file = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(file)) throw new IOException(dir + ": not an ensemble directory (no " + MANIFEST + ")");
        Map<String, Object> m;
        List<?> names;
        try {
            m = Json.parseObject(Json.readFile(file));
            if (!FORMAT.equals(m.get("format"))) throw new IllegalArgumentException("field 'format': expected \"" + FORMAT + "\", got " + m.get("format"));
            if (!(m.get("members") instanceof List<?> l) || l.isEmpty()) throw new IllegalArgumentException("field 'members': expected a non-empty array of file names");
            names = l;
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
        List<SparseClassifier> loaded = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        try {
            for (Object name : names) {
                if (!(name instanceof String s)) throw new IOException(file + ": field 'members': expected file names, got " + name);
                Path member = part(dir, file, "members", s);
                // A member listed twice would count twice in the average, unlike any ensemble a command writes.
                if (!seen.add(member)) throw new IOException(file + ": field 'members': " + s + " is listed twice");
                if (!Files.isRegularFile(member)) throw new IOException(file + ": member " + s + " does not exist");
                loaded.add(SparseClassifier.load(member, threads));
            }
            return new EnsembleClassifier(loaded, m);
        } catch (IOException | RuntimeException | Error e) {
            // Error too: memory running out at the third member must not strand the first two (a caller may retry).
            Closing.after(e, () -> Closing.each(loaded, SparseClassifier::close));
            if (e instanceof IllegalArgumentException) throw new IOException(file + ": " + e.getMessage());
            throw e;
        }
    }

    /**
     * The file {@code name} of a model directory's manifest names. Only a plain file name beside the
     * manifest is accepted: a manifest must not make a loader read files elsewhere ("../x", "/etc/...").
     */
    static Path part(Path dir, Path manifest, String field, String name) throws IOException {
        Path p;
        try {
            // dir's own file system: a model directory inside a jar opened as a zip file system is no default-file-system path
            p = dir.getFileSystem().getPath(name);
        } catch (InvalidPathException e) { // a NUL in the name
            throw new IOException(manifest + ": field '" + field + "': expected a file name in " + dir + ", got '" + name + "' (" + e.getReason() + ")");
        }
        if (name.isEmpty() || p.isAbsolute() || p.getNameCount() != 1 || name.equals(".") || name.equals("..")) {
            throw new IOException(manifest + ": field '" + field + "': expected a file name in " + dir + ", got '" + name + "'");
        }
        return dir.resolve(p);
    }

    /** The members, in manifest order; still owned by this ensemble: do not close them. */
    public List<SparseClassifier> members() { return members; }

    @Override public Standardizer standardizer() { return members.getFirst().standardizer(); }

    /** The manifest's content (members and what the writer added), read-only at every level. */
    public Map<String, Object> manifest() { return manifest; }

    @Override
    public int inputs() { return members.getFirst().inputs(); }

    /** The number of classes, which all members share. */
    @Override
    public int classes() { return members.getFirst().network().outputs(); }

    /** Each member's class probabilities, {@code [sample * classes + class]}. */
    public List<float[]> memberProbabilities(Dataset data) {
        Objects.requireNonNull(data, "data");
        List<float[]> out = new ArrayList<>();
        for (SparseClassifier c : members) out.add(c.predictProbabilities(data));
        return out;
    }

    /** The averaged class probabilities. */
    @Override
    public float[] predictProbabilities(Dataset data) {
        return EnsembleMetrics.average(memberProbabilities(data));
    }

    // Overridden, with the same results: a few samples go to each member as they are, which copies them
    // into its kept input buffer, instead of into a dataset of their own (an arena per call, see NarrowBuffer).
    @Override
    public float[] predictProbabilities(float[] features) {
        if (NarrowBuffer.narrowSamples(features, inputs()) == 0) return Classifier.super.predictProbabilities(features);
        List<float[]> out = new ArrayList<>();
        for (SparseClassifier c : members) out.add(c.predictProbabilities(features));
        return EnsembleMetrics.average(out);
    }

    // The argmax of those probabilities, as predict(Dataset) takes it, without a dataset either.
    @Override
    public int[] predict(float[] features) {
        float[] p = predictProbabilities(features);
        return Argmax.ofRows(p, p.length / classes(), classes());
    }

    /** Ensemble and member scores and diversity on labeled data (labels within the model's classes). */
    public EnsembleMetrics evaluate(Dataset data) {
        return EnsembleMetrics.of(memberProbabilities(data), data.labels(), classes());
    }

    /** Closes every member, each even if another fails. Closing again does nothing. */
    @Override
    public void close() {
        Closing.each(members, SparseClassifier::close);
    }
}
