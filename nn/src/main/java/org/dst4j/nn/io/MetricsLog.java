package org.dst4j.nn.io;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A JSON-lines metrics file: one object per line, each flushed as written so a killed run keeps every
 * finished epoch.
 */
public final class MetricsLog implements AutoCloseable {
    private final Path file;
    private final Writer out;

    private MetricsLog(Path file, Writer out) {
        this.file = file;
        this.out = out;
    }

    /** Starts a new, empty log (replacing any old one). */
    public static MetricsLog create(Path file) throws IOException {
        AtomicFiles.writeString(file, "");
        return new MetricsLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
    }

    /**
     * Reopens for a resumed run: keeps only the records whose {@code epoch} is at most {@code lastEpoch}
     * (rewritten atomically), so lines written after the last checkpoint are not duplicated.
     *
     * @throws IOException if those records are not epochs 1 to {@code lastEpoch}, one each, in order (the file was cut or
     *     edited: the run would end with a learning curve missing its first epochs), or the file cannot be read or written
     */
    public static MetricsLog resume(Path file, long lastEpoch) throws IOException {
        StringBuilder kept = new StringBuilder();
        long expected = 1;
        if (Files.exists(file)) {
            for (Map<String, Object> r : readAll(file)) {
                if (!(r.get("epoch") instanceof Number n) || n.longValue() > lastEpoch) continue;
                if (n.longValue() != expected) break;
                kept.append(Json.write(r)).append('\n');
                expected++;
            }
        }
        if (expected != lastEpoch + 1) {
            throw new IOException(file + ": " + (expected == 1 ? "no record of epoch 1" : "epochs 1 to " + (expected - 1) + " only")
                    + ", but the run's checkpoint counts " + lastEpoch + " (file cut or edited?)");
        }
        return reopen(file, kept.toString());
    }

    /**
     * Reopens for a resumed run whose records are not numbered by one epoch count (a record per epoch of
     * several networks trained one after another, say): keeps the first {@code records} records (rewritten
     * atomically), dropping those written after the last checkpoint.
     *
     * @throws IOException if the file holds fewer than {@code records} records (it was cut or edited), or
     *     cannot be read or written
     * @throws IllegalArgumentException if {@code records < 0}
     */
    public static MetricsLog resumeAfter(Path file, int records) throws IOException {
        if (records < 0) throw new IllegalArgumentException("records must be >= 0, got " + records);
        List<Map<String, Object>> all = Files.exists(file) ? readAll(file) : List.of();
        if (all.size() < records) {
            throw new IOException(file + ": " + all.size() + " records, but the run's checkpoint counts " + records + " (file cut or edited?)");
        }
        StringBuilder kept = new StringBuilder();
        for (Map<String, Object> r : all.subList(0, records)) kept.append(Json.write(r)).append('\n');
        return reopen(file, kept.toString());
    }

    // The kept records rewritten atomically, then appended to.
    private static MetricsLog reopen(Path file, String kept) throws IOException {
        AtomicFiles.writeString(file, kept);
        return new MetricsLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
    }

    /** Appends one record as a JSON line and flushes it. */
    public void append(Map<String, Object> record) throws IOException {
        try {
            out.write(Json.write(record));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw AtomicFiles.named(file, e);
        }
    }

    /** Every record of a metrics file; a torn last line (a crash mid-write) is ignored. */
    public static List<Map<String, Object>> readAll(Path file) throws IOException {
        List<Map<String, Object>> records = new ArrayList<>();
        List<String> lines = Json.readFile(file).lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            try {
                records.add(Json.parseObject(line));
            } catch (IllegalArgumentException e) {
                if (i == lines.size() - 1) break;
                throw new IOException(file + ": line " + (i + 1) + ": " + e.getMessage());
            }
        }
        return records;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
