package org.dst4j.algorithms.cli;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dst4j.algorithms.freetickets.FreeTicketsConfig;
import org.dst4j.algorithms.spacenet.SpaceNet;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.layer.SparseLinear;
import org.dst4j.nn.model.Classifier;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.MultiHeadClassifier;
import org.dst4j.nn.model.SparseClassifier;
import org.dst4j.nn.network.SparseMlp;
import org.dst4j.runtime.memory.OffHeap;
import org.dst4j.runtime.sparse.CsrMatrix;

// What a model file is, without Python: the networks' shapes, where their connections are, how and on what
// they were trained. A model handed over, or found in runs/ weeks later, is otherwise a binary file.
final class InspectCommand implements Command {
    @Override public String summary() { return "describe a saved model: its layers and connections, how and on what it was trained (--json for scripts)"; }

    @Override
    public int run(String[] args) throws UsageException, UserException, IOException {
        Options o = new Options("inspect", summary())
                .option("model", null, PredictCommand.MODEL_HELP)
                .flag("json", "print one JSON object instead of text");
        if (!o.parse(args)) return 0;
        Path model = PredictCommand.model(o);
        PredictCommand.requireModelDirectory(model);
        long before = OffHeap.bytesInUse();
        try (Classifier c = PredictCommand.loadModel(model, 1)) {
            Map<String, Object> d = describe(model, c, OffHeap.bytesInUse() - before);
            System.out.println(o.flag("json") ? Json.write(d, System.out.charset()) : text(d));
            return 0;
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    static Map<String, Object> describe(Path model, Classifier c, long loadedBytes) throws IOException {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("model", model.toString());
        List<Map<String, Object>> parts = new ArrayList<>();
        Map<String, Object> header;
        switch (c) {
            case EnsembleClassifier e -> {
                d.put("kind", "ensemble");
                List<?> names = (List<?>) e.manifest().get("members");
                for (int i = 0; i < e.members().size(); i++) {
                    Map<String, Object> part = network(String.valueOf(names.get(i)), model.resolve(String.valueOf(names.get(i))), e.members().get(i).network());
                    if (e.members().get(i).header().get("provenance") != null) part.put("provenance", e.members().get(i).header().get("provenance"));
                    parts.add(part);
                }
                header = runOf(e.members().getFirst().header());
                d.put("manifest", e.manifest());
            }
            case MultiHeadClassifier m -> {
                d.put("kind", "multi-head");
                Map<String, Object> manifest = m.manifest();
                parts.add(network("backbone", model.resolve(String.valueOf(manifest.get("backbone"))), m.network().backbone()));
                List<?> heads = (List<?>) manifest.get("heads");
                for (int i = 0; i < m.network().heads().size(); i++) {
                    parts.add(network("head " + (i + 1), model.resolve(String.valueOf(heads.get(i))), m.network().heads().get(i)));
                }
                header = manifest;
            }
            case SparseClassifier s -> {
                d.put("kind", "network");
                parts.add(network(model.getFileName().toString(), model, s.network()));
                header = s.header();
            }
            default -> throw new IllegalStateException("unknown classifier " + c.getClass());
        }
        if (isAutoencoder(c)) d.put("algorithm", "quickselection");
        d.put("inputs", c.inputs());
        d.put(isAutoencoder(c) ? "outputs" : "classes", c.classes()); // an autoencoder's outputs are its inputs again, no classes
        d.put("standardized_inputs", c.standardizer() != null);
        long connections = 0, dense = 0, biases = 0, bytes = 0;
        for (Map<String, Object> p : parts) {
            connections += (Long) p.get("connections");
            dense += (Long) p.get("dense_connections");
            biases += (Long) p.get("biases");
            bytes += (Long) p.get("file_bytes");
        }
        d.put("connections", connections);
        d.put("dense_connections", dense);
        d.put("parameters", connections + biases);
        d.put("file_bytes", bytes + (c instanceof SparseClassifier ? 0 : manifestBytes(model, d)));
        d.put("loaded_off_heap_bytes", loadedBytes);
        d.put("networks", parts);
        for (String k : new String[] {"provenance", "training", SpaceNet.HEADER}) {
            if (header.get(k) != null) d.put(k, header.get(k));
        }
        return d;
    }

    // What a member's header says of the whole run: a DST member's provenance holds its own seed (the run's plus its
    // index), its number and its share of the data, which each network's own provenance keeps.
    private static Map<String, Object> runOf(Map<String, Object> member) {
        Map<String, Object> h = new LinkedHashMap<>(member);
        if (member.get("provenance") instanceof Map<?, ?> p) {
            Map<String, Object> run = new LinkedHashMap<>();
            p.forEach((k, v) -> run.put(String.valueOf(k), v));
            for (String k : new String[] {"member", "training_set_checksum", "train_samples", "test_samples"}) run.remove(k);
            if (member.get("training") instanceof Map<?, ?> t && t.get("config") instanceof Map<?, ?> cfg && cfg.get("seed") != null) {
                run.put("seed", cfg.get("seed"));
            }
            h.put("provenance", run);
        }
        return h;
    }

    private static long manifestBytes(Path dir, Map<String, Object> d) throws IOException {
        String name = "ensemble".equals(d.get("kind")) ? EnsembleClassifier.MANIFEST : MultiHeadClassifier.MANIFEST;
        return Files.size(dir.resolve(name));
    }

    private static Map<String, Object> network(String name, Path file, SparseMlp net) throws IOException {
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("name", name);
        n.put("format_version", formatVersion(file));
        n.put("file_bytes", Files.size(file));
        n.put("sizes", Arrays.stream(net.config().sizes()).boxed().toList());
        n.put("hidden_activation", net.config().hidden());
        n.put("output_activation", net.config().output().toString().toLowerCase(Locale.ROOT));
        List<Map<String, Object>> layers = new ArrayList<>();
        long connections = 0, dense = 0, biases = 0;
        for (SparseLinear l : net.layers()) {
            CsrMatrix w = l.weights();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("in", l.in());
            m.put("out", l.out());
            m.put("connections", w.nnz());
            m.put("density", (double) w.nnz() / ((long) l.in() * l.out()));
            int withoutInputs = 0;
            for (int r = 0; r < w.rows(); r++) if (w.rowStart(r) == w.rowEnd(r)) withoutInputs++;
            boolean[] used = new boolean[w.cols()];
            for (long k = 0; k < w.nnz(); k++) used[w.colIdx().getAtIndex(ValueLayout.JAVA_INT, k)] = true;
            int unused = 0;
            for (boolean u : used) if (!u) unused++;
            m.put("outputs_without_inputs", withoutInputs);
            m.put("inputs_unused", unused);
            layers.add(m);
            connections += w.nnz();
            dense += (long) l.in() * l.out();
            biases += l.out();
        }
        n.put("connections", connections);
        n.put("dense_connections", dense);
        n.put("biases", biases);
        n.put("layers", layers);
        return n;
    }

    private static int formatVersion(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(12);
            return b.length == 12 ? ByteBuffer.wrap(b, 8, 4).getInt() : -1;
        }
    }

    /** Whether {@code c} is a QuickSelection run's autoencoder (its checkpoint), which reconstructs its inputs rather than classifying. */
    static boolean isAutoencoder(Classifier c) {
        return c instanceof SparseClassifier s && s.isAutoencoder();
    }

    @SuppressWarnings("unchecked")
    private static String text(Map<String, Object> d) {
        StringBuilder sb = new StringBuilder();
        List<Map<String, Object>> parts = (List<Map<String, Object>>) d.get("networks");
        String kind = switch ((String) d.get("kind")) {
            case "ensemble" -> "an ensemble of " + parts.size() + " sparse networks"
                    + (((Map<String, Object>) d.get("manifest")).get("variant") instanceof String v ? " (" + v + ")" : "") + ", their probabilities averaged";
            case "multi-head" -> "a multi-head network: a shared backbone and " + (parts.size() - 1) + " heads, their probabilities averaged";
            default -> "quickselection".equals(d.get("algorithm")) ? "a sparse denoising autoencoder (QuickSelection's)" : "a sparse network";
        };
        sb.append(d.get("model")).append(": ").append(kind).append('\n');
        sb.append(String.format(Locale.ROOT, "%d inputs%s, %d %s; %s connections of %s dense (%s), %s parameters with the biases%n",
                d.get("inputs"), (Boolean) d.get("standardized_inputs") ? " (standardized as in training)" : "", d.getOrDefault("outputs", d.get("classes")),
                "quickselection".equals(d.get("algorithm")) ? "outputs (the inputs reconstructed)" : "classes",
                grouped(d.get("connections")), grouped(d.get("dense_connections")), percent((Long) d.get("connections"), (Long) d.get("dense_connections")),
                grouped(d.get("parameters"))));
        sb.append(String.format(Locale.ROOT, "%s on disk, %s off-heap when loaded%n", bytes((Long) d.get("file_bytes")), bytes((Long) d.get("loaded_off_heap_bytes"))));
        for (Map<String, Object> p : parts) {
            StringBuilder shape = new StringBuilder();
            for (Object s : (List<?>) p.get("sizes")) shape.append(shape.isEmpty() ? "" : " -> ").append(s);
            sb.append(String.format(Locale.ROOT, "%n%s (format version %d): %s, %s hidden, %s output%n", p.get("name"), p.get("format_version"), shape,
                    p.get("hidden_activation"), p.get("output_activation")));
            sb.append("  layer  in x out            connections  density  outputs without inputs  inputs unused\n");
            int i = 1;
            for (Map<String, Object> l : (List<Map<String, Object>>) p.get("layers")) {
                sb.append(String.format(Locale.ROOT, "  %-5d  %-20s %11s  %7s  %22d  %13d%n", i++, l.get("in") + " x " + l.get("out"), grouped(l.get("connections")),
                        percent((Long) l.get("connections"), (long) (Integer) l.get("in") * (Integer) l.get("out")), l.get("outputs_without_inputs"), l.get("inputs_unused")));
            }
        }
        if (d.get("provenance") instanceof Map<?, ?> prov) {
            sb.append('\n').append("trained by ").append(prov.get("algorithm")).append(", seed ").append(prov.get("seed"))
                    .append(", on ").append(prov.get("data"));
            if (prov.get("train_samples") != null) sb.append(" (").append(prov.get("train_samples")).append(" training samples)");
            sb.append(", dst4j ").append(prov.get("dst4j_version")).append('\n');
        }
        if (d.get("training") instanceof Map<?, ?> t && t.get("config") != null) {
            // A checkpoint of a run cut short says how far it got (set --resume and freetickets --resume continue it). A
            // FreeTickets checkpoint counts the records of the whole run; its epochs_done are the DST member's.
            if (t.get("records") instanceof Number records && t.get("config") instanceof Map<?, ?> cfg && cfg.get("variant") != null) {
                try {
                    @SuppressWarnings("unchecked") FreeTicketsConfig run = FreeTicketsConfig.fromMap((Map<String, Object>) cfg, 1);
                    sb.append("epochs done: ").append(records).append(" of ").append(run.totalEpochs());
                    if (run.variant() == FreeTicketsConfig.Variant.DST && t.get("member") instanceof Number m) {
                        sb.append(" (member ").append(m.longValue() + 1).append(" of ").append(run.members()).append(": ")
                                .append(t.get("epochs_done")).append(" of its ").append(run.epochs()).append(')');
                    }
                    sb.append('\n');
                } catch (IllegalArgumentException e) {
                    sb.append("epochs done: unreadable (").append(e.getMessage()).append(")\n");
                }
            } else if (t.get("phase") instanceof String phase && t.get("records") instanceof Number records && t.get("config") instanceof Map<?, ?> cfg
                    && cfg.get("epochs_per_task") instanceof Number per && cfg.get("tasks") instanceof Number tasks) {
                sb.append(spaceNetProgress(phase, records.longValue(), per.longValue(), tasks.longValue(), Boolean.TRUE.equals(t.get("baselines")), t)).append('\n');
            } else if (t.get("epochs_done") instanceof Number done && t.get("config") instanceof Map<?, ?> cfg && cfg.get("epochs") instanceof Number all
                    && done.longValue() < all.longValue()) {
                sb.append("epochs done: ").append(t.get("epochs_done")).append(" of ").append(cfg.get("epochs")).append('\n');
            }
            sb.append("training settings: ").append(Json.write(readable(t.get("config")))).append('\n');
        } else if (d.get(SpaceNet.HEADER) instanceof Map<?, ?> sn && sn.get("tasks") instanceof List<?> done
                && sn.get("config") instanceof Map<?, ?> cfg && cfg.get("tasks") instanceof Number tasks) {
            // a learner saved between tasks by SpaceNet.save (a run's checkpoint says more, above)
            sb.append("a SpaceNet learner: ").append(done.size()).append(" of ").append(tasks).append(" tasks learned")
                    .append(done.size() < tasks.longValue() ? " (SpaceNet.load continues it with task " + (done.size() + 1) + ")" : "").append('\n');
            sb.append("settings: ").append(Json.write(readable(cfg))).append('\n');
        }
        return sb.toString().stripTrailing();
    }

    // A SpaceNet checkpoint: how far the run got, and whose network it holds (a baseline's, once SpaceNet has finished).
    private static String spaceNetProgress(String phase, long records, long per, long tasks, boolean baselines, Map<?, ?> t) {
        String done = "epochs done: " + records + " of " + per * tasks * (baselines ? 3 : 1) + " (";
        Object task = t.get("task"), epochs = t.get("epochs_done");
        return done + switch (phase) {
            case "spacenet" -> epochs instanceof Number e && e.longValue() > 0 && task instanceof Number n
                    ? "SpaceNet: " + task + " of " + tasks + " tasks learned, task " + (n.longValue() + 1) + ": " + e + " of its " + per + " epochs; this network is"
                            + " SpaceNet's in that task, with the finished tasks' classifier rows set aside while it trains)"
                    : "SpaceNet: " + task + " of " + tasks + " tasks learned; this network is SpaceNet's after task " + task + ")";
            case "fine-tuning" -> "fine-tuning baseline, task " + (task instanceof Number n ? n.longValue() + 1 : task) + " of " + tasks + ": " + epochs + " of its "
                    + per + " epochs; this network is the baseline's, SpaceNet's is the run's model.dst4j)";
            default -> "joint-training baseline: " + epochs + " of its " + per * tasks + " epochs; this network is the baseline's, SpaceNet's is the run's model.dst4j)";
        };
    }

    // Files of earlier builds hold float settings as the doubles they convert to (lr 0.009999999776482582):
    // shown as the float (0.01).
    private static Object readable(Object v) {
        return switch (v) {
            case Double d when !d.isInfinite() && (double) (float) (double) d == d -> (float) (double) d;
            case Map<?, ?> m -> {
                Map<Object, Object> r = new LinkedHashMap<>();
                m.forEach((k, x) -> r.put(k, readable(x)));
                yield r;
            }
            case List<?> l -> l.stream().map(InspectCommand::readable).toList();
            case null, default -> v;
        };
    }

    private static String grouped(Object n) {
        return String.format(Locale.ROOT, "%,d", (Number) n);
    }

    private static String percent(long part, long whole) {
        return whole == 0 ? "-" : String.format(Locale.ROOT, "%.2f%%", 100.0 * part / whole);
    }

    private static String bytes(long b) {
        return b < 10_000 ? b + " bytes" : b < 10_000_000 ? String.format(Locale.ROOT, "%.1f KB", b / 1024.0) : String.format(Locale.ROOT, "%.1f MB", b / (1024.0 * 1024));
    }
}
