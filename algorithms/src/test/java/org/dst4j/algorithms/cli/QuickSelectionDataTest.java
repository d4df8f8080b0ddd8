package org.dst4j.algorithms.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dst4j.algorithms.cli.CommandValidationTest.assertUsageError;
import static org.dst4j.algorithms.cli.CommandValidationTest.run;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipInputStream;
import org.dst4j.algorithms.Printed;
import org.dst4j.nn.data.CsvReader;
import org.dst4j.nn.io.Json;
import org.dst4j.nn.model.SparseClassifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data scientist's own table given to {@code quickselection}: the selected features must be named as the
 * file names them, and data without labels (QuickSelection reads none) must be usable, whole.
 */
class QuickSelectionDataTest {
    @TempDir Path dir;

    private static final String[] TINY = {"--hidden", "8", "--epochs", "1", "--threads", "1"};

    // id, a, label, b, c, "d,e": the label sits in the middle, so feature f >= 2 is column f + 1 of the file.
    private Path table() throws Exception {
        StringBuilder sb = new StringBuilder("id,a,label,b,c,\"d,e\"\n");
        Random r = new Random(3);
        for (int i = 0; i < 40; i++) {
            sb.append(100 + i).append(',').append(r.nextGaussian()).append(',').append(i % 2).append(',').append(r.nextGaussian()).append(',')
                    .append(r.nextGaussian()).append(',').append(r.nextGaussian()).append('\n');
        }
        return Files.writeString(dir.resolve("table.csv"), sb);
    }

    private String[] args(String... more) {
        String[] all = Arrays.copyOf(more, more.length + TINY.length);
        System.arraycopy(TINY, 0, all, more.length, TINY.length);
        return all;
    }

    // A run keeps its checkpoint; --resume continues it with the data options (and --threads, evaluation options) only,
    // and a finished one ends again with its selection, training nothing. A stopped run resumed: QuickSelectionResumeTest.
    @Test
    void aRunResumesFromItsCheckpointWithOnlyTheDataOptionsGiven() throws Exception {
        Path out = dir.resolve("qs");
        String table = table().toString();
        var o = run(args("quickselection", "--k", "3", "--data", table, "--label-column", "2", "--out", out.toString()));
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(out.resolve("checkpoint.dst4j")).isRegularFile();
        byte[] features = Files.readAllBytes(out.resolve("features.csv"));
        String stdout = Printed.stdout(() -> {
            var r = run("quickselection", "--resume", out.toString(), "--data", table, "--label-column", "2", "--threads", "2");
            assertThat(r.code()).as(r.err()).isZero();
        });
        assertThat(stdout).contains("no epochs run: the checkpoint's run had finished").contains("after resuming at epoch 1");
        assertThat(Files.readAllBytes(out.resolve("features.csv"))).isEqualTo(features);
        assertThat(Files.readString(out.resolve("summary.json"))).contains("\"resumed_after_epoch\":1");
        assertUsageError(run("quickselection", "--resume", out.toString(), "--data", table, "--label-column", "2", "--k", "4", "--seed", "7"),
                "dst4j quickselection: --resume continues the run as its checkpoint defines it; drop --k, --seed (with --resume only --threads, the data"
                        + " options and the evaluation options (--evaluate, --eval-k, --trees, --random-draws, --kmeans-runs, --save-autoencoder) apply)");
        var other = run("quickselection", "--resume", out.toString(), "--data", table, "--label-column", "2", "--test-fraction", "0.5");
        assertThat(other.code()).isEqualTo(1);
        assertThat(other.err()).contains("the training data differs from the run's");
        var none = run("quickselection", "--resume", dir.toString(), "--data", table);
        assertThat(none.err()).isEqualTo("dst4j quickselection: --resume " + dir + ": no checkpoint.dst4j there");
        // the checkpoint is a model file of an autoencoder: described as one, not scored as a classifier
        String described = Printed.stdout(() -> assertThat(run("inspect", "--model", out.resolve("checkpoint.dst4j").toString()).code()).isZero());
        assertThat(described).contains("a sparse denoising autoencoder (QuickSelection's)").contains("5 outputs (the inputs reconstructed)");
        var predicted = run("predict", "--model", out.resolve("checkpoint.dst4j").toString(), "--data", table, "--label-column", "2",
                "--output", dir.resolve("p.csv").toString());
        assertThat(predicted.code()).isEqualTo(1);
        assertThat(predicted.err()).startsWith("dst4j predict: --model " + out.resolve("checkpoint.dst4j") + " is a QuickSelection autoencoder");
        assertThat(dir.resolve("p.csv")).doesNotExist();
        // exported and inspected as one too, not as a softmax classifier of 5 classes (inspect --json "classes": 5)
        Path npz = dir.resolve("ae.npz");
        assertThat(run("export", "--model", out.resolve("checkpoint.dst4j").toString(), "--output", npz.toString()).code()).isZero();
        String meta = null;
        try (var zip = new ZipInputStream(Files.newInputStream(npz))) {
            for (var e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().equals("meta.npy")) meta = new String(zip.readAllBytes(), StandardCharsets.ISO_8859_1).replace("\0", ""); // '<U': UTF-32
            }
        }
        assertThat(meta).contains("\"model\":\"autoencoder\"").contains("\"outputs\":5").contains("\"combine\":\"none\"").doesNotContain("softmax");
        String json = Printed.stdout(() -> assertThat(run("inspect", "--model", out.resolve("checkpoint.dst4j").toString(), "--json").code()).isZero());
        assertThat(json).contains("\"outputs\":5").doesNotContain("\"classes\"");
        Files.delete(out.resolve("checkpoint.dst4j")); // as a run killed in its first epoch leaves it
        assertThat(run("quickselection", "--resume", out.toString(), "--data", table).err()).isEqualTo("dst4j quickselection: --resume " + out
                + ": no checkpoint.dst4j there (a run stopped before its first epoch ended: start it again, with --overwrite)");
    }

    // --output tanh (the reconstruction MADELON's runs use by default) leaves a checkpoint whose network ends in tanh, not
    // linear: it must still be exported and inspected as the autoencoder it is, and refused by predict as one, not taken
    // for a multi-head model's backbone.
    @Test
    void aTanhReconstructingCheckpointIsExportedAndInspectedAsAnAutoencoder() throws Exception {
        Path out = dir.resolve("qs");
        var o = run(args("quickselection", "--k", "3", "--output", "tanh", "--data", table().toString(), "--label-column", "2", "--out", out.toString()));
        assertThat(o.code()).as(o.err()).isZero();
        Path checkpoint = out.resolve("checkpoint.dst4j");
        var exported = run("export", "--model", checkpoint.toString(), "--output", dir.resolve("ae.npz").toString());
        assertThat(exported.code()).as(exported.err()).isZero();
        String meta = null;
        try (var zip = new ZipInputStream(Files.newInputStream(dir.resolve("ae.npz")))) {
            for (var e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().equals("meta.npy")) meta = new String(zip.readAllBytes(), StandardCharsets.ISO_8859_1).replace("\0", "");
            }
        }
        assertThat(meta).contains("\"model\":\"autoencoder\"").contains("\"activation\":\"tanh\"");
        String described = Printed.stdout(() -> assertThat(run("inspect", "--model", checkpoint.toString()).code()).isZero());
        assertThat(described).contains("a sparse denoising autoencoder (QuickSelection's)");
        var predicted = run("predict", "--model", checkpoint.toString(), "--input", table().toString(), "--output", dir.resolve("p.csv").toString());
        assertThat(predicted.code()).isEqualTo(1);
        assertThat(predicted.err()).startsWith("dst4j predict: --model " + checkpoint + " is a QuickSelection autoencoder");
        try (SparseClassifier ae = SparseClassifier.load(checkpoint, 1)) {
            assertThat(ae.isAutoencoder()).isTrue();
        }
        var set = run("set", "--epochs", "1", "--hidden", "4", "--data", table().toString(), "--label-column", "2", "--test-fraction", "0.25",
                "--out", dir.resolve("set").toString());
        assertThat(set.code()).as(set.err()).isZero();
        try (SparseClassifier classifier = SparseClassifier.load(dir.resolve("set/model.dst4j"), 1)) {
            assertThat(classifier.isAutoencoder()).isFalse();
        }
    }

    // A run killed while it wrote summary.json, its last file, leaves that write's temporary and no summary.json (so it
    // is resumable); one killed earlier, those of its other writes. The resume must not leave them beside the finished
    // run, nor delete another program's temporary or the user's files.
    @Test
    void aResumeRemovesTheTemporariesOfWritesAKillCutShort() throws Exception {
        Path out = dir.resolve("qs");
        String table = table().toString();
        var o = run(args("quickselection", "--k", "3", "--data", table, "--label-column", "2", "--save-autoencoder", "--out", out.toString()));
        assertThat(o.code()).as(o.err()).isZero();
        String summary = Files.readString(out.resolve("summary.json"));
        Files.delete(out.resolve("summary.json"));
        // The names AtomicFiles gives its temporaries: "." + the file's name + "." + digits + ".tmp".
        List<Path> cut = new ArrayList<>();
        for (String f : List.of("summary.json", "features.csv", "metrics.jsonl", "checkpoint.dst4j", "autoencoder.npz")) {
            cut.add(Files.writeString(out.resolve("." + f + ".4711.tmp"), "cut short"));
        }
        // metrics.jsonl is appended to in place: a kill mid-line leaves a torn last record
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        Files.writeString(out.resolve("metrics.jsonl"), "{\"epoch\":2,\"train_lo", StandardOpenOption.APPEND);
        Path foreign = Files.writeString(out.resolve(".notes.txt.1.tmp"), "another program's write in progress");
        Path users = Files.writeString(out.resolve("notes.txt"), "mine");
        var r = run("quickselection", "--resume", out.toString(), "--data", table, "--label-column", "2", "--save-autoencoder", "--threads", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(cut).allSatisfy(p -> assertThat(p).doesNotExist());
        assertThat(foreign).hasContent("another program's write in progress");
        assertThat(users).hasContent("mine");
        assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).isEqualTo(metrics);
        // the summary written again is the run's, whole
        Map<String, Object> again = Json.parseObject(Files.readString(out.resolve("summary.json")));
        assertThat(again.get("selected")).isEqualTo(Json.parseObject(summary).get("selected"));
        assertThat(again).containsEntry("resumed_after_epoch", 1L);
    }

    // A resume into a directory another run is writing now (its lock held, here by this JVM as another process would)
    // is refused before it touches anything: it would otherwise delete that run's temporaries mid-write and train over it.
    @Test
    void aResumeOfARunBeingWrittenIsRefusedAndLeavesItsFiles() throws Exception {
        Path out = dir.resolve("qs");
        String table = table().toString();
        var o = run(args("quickselection", "--k", "3", "--data", table, "--label-column", "2", "--out", out.toString()));
        assertThat(o.code()).as(o.err()).isZero();
        Files.delete(out.resolve("summary.json")); // resumable
        byte[] features = Files.readAllBytes(out.resolve("features.csv")), checkpoint = Files.readAllBytes(out.resolve("checkpoint.dst4j"));
        Path writing = Files.writeString(out.resolve(".checkpoint.dst4j.4711.tmp"), "the other run's write in progress");
        try (var ch = FileChannel.open(out.resolve(RunDirectory.LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); var held = ch.lock()) {
            var r = run("quickselection", "--resume", out.toString(), "--data", table, "--label-column", "2", "--threads", "1");
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            assertThat(r.err()).endsWith("\ndst4j quickselection: --resume " + out + " is being written by another dst4j run now (" + out.resolve(RunDirectory.LOCK)
                    + " is locked)");
        }
        assertThat(writing).hasContent("the other run's write in progress");
        assertThat(out.resolve("summary.json")).doesNotExist();
        assertThat(Files.readAllBytes(out.resolve("features.csv"))).isEqualTo(features);
        assertThat(Files.readAllBytes(out.resolve("checkpoint.dst4j"))).isEqualTo(checkpoint);
    }

    // --limit-train on data selected from whole (no split) keeps its first samples, as it does a training split's.
    @Test
    void limitTrainKeepsTheFirstSamplesOfDataSelectedFromWhole() throws Exception {
        String table = table().toString();
        for (String[] limit : new String[][] {{"10", "10"}, {"40", "40"}, {"100", "40"}}) {
            Path out = dir.resolve("limit-" + limit[0]);
            var o = run(args("quickselection", "--k", "3", "--data", table, "--label-column", "none", "--limit-train", limit[0], "--out", out.toString()));
            assertThat(o.code()).as(o.err()).isZero();
            assertThat(Files.readString(out.resolve("summary.json"))).as("--limit-train " + limit[0]).contains("\"train_samples\":" + limit[1] + ",");
        }
    }

    // Not only "index", the feature's position once the label column is taken out: feature 2 is the file's column 3
    // ("b"), and features.csv says so.
    @Test
    void featuresOfACsvAreNamedByTheirColumnAndHeader() throws Exception {
        Path out = dir.resolve("qs");
        var o = run(args("quickselection", "--k", "5", "--data", table().toString(), "--label-column", "2", "--out", out.toString()));
        assertThat(o.code()).as(o.err()).isZero();
        List<String> lines = Files.readAllLines(out.resolve("features.csv"));
        assertThat(lines.getFirst()).isEqualTo("index,column,name,score,rank");
        String[] names = {"id", "a", "b", "c", "\"d,e\""};
        int[] columns = {0, 1, 3, 4, 5};
        assertThat(lines).hasSize(6);
        for (String line : lines.subList(1, lines.size())) {
            int index = Integer.parseInt(line.substring(0, line.indexOf(',')));
            assertThat(line).startsWith(index + "," + columns[index] + "," + names[index] + ",");
        }
        String summary = Files.readString(out.resolve("summary.json"));
        assertThat(summary).contains("\"selected_columns\":[").contains("\"selected_names\":[");
    }

    // Column names holding the CSV's own syntax: features.csv must stay valid RFC 4180 and give each name back as the
    // header has it (as CsvReader reads it: quotes removed, surrounding whitespace stripped), and summary.json must list
    // the same features, columns and names in the same order.
    @Test
    void namesWithCommasAndQuotesReadBackFromFeaturesCsvAndMatchTheSummary() throws Exception {
        String header = "\"d,e\",\",lead\",label,\"trail,\",\"say \"\"hi\"\"\",size 5\",\" padded \",\"\"\"\"";
        String[] names = {"d,e", ",lead", "trail,", "say \"hi\"", "size 5\"", "padded", "\""};
        int[] columns = {0, 1, 3, 4, 5, 6, 7};
        StringBuilder sb = new StringBuilder(header).append('\n');
        Random r = new Random(4);
        for (int i = 0; i < 40; i++) {
            for (int c = 0; c < 8; c++) sb.append(c == 0 ? "" : ",").append(c == 2 ? String.valueOf(i % 2) : String.valueOf(r.nextGaussian()));
            sb.append('\n');
        }
        Path csv = Files.writeString(dir.resolve("quoted.csv"), sb);
        assertThat(CsvReader.featureColumns(csv, "2").names()).as("the names as the data's reader reads them").containsExactly(names);
        Path out = dir.resolve("qs");
        var o = run(args("quickselection", "--k", "7", "--data", csv.toString(), "--label-column", "2", "--out", out.toString()));
        assertThat(o.code()).as(o.err()).isZero();
        List<List<String>> rows = rfc4180(Files.readString(out.resolve("features.csv")));
        assertThat(rows.getFirst()).containsExactly("index", "column", "name", "score", "rank");
        List<List<String>> body = rows.subList(1, rows.size());
        assertThat(body).hasSize(7).allSatisfy(row -> assertThat(row).hasSize(5));
        List<Long> indices = new ArrayList<>(), cols = new ArrayList<>();
        List<String> named = new ArrayList<>();
        for (int i = 0; i < body.size(); i++) {
            List<String> row = body.get(i);
            int f = Integer.parseInt(row.get(0));
            assertThat(row.get(1)).as("column of feature %d", f).isEqualTo(String.valueOf(columns[f]));
            assertThat(row.get(2)).as("name of feature %d", f).isEqualTo(names[f]);
            assertThat(row.get(4)).isEqualTo(String.valueOf(i + 1));
            indices.add((long) f);
            cols.add((long) columns[f]);
            named.add(names[f]);
        }
        assertThat(indices).as("every feature once").containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 4L, 5L, 6L);
        Map<String, Object> summary = Json.parseObject(Files.readString(out.resolve("summary.json")));
        assertThat(summary.get("selected")).as("selected, strongest first as features.csv ranks them").isEqualTo(indices);
        assertThat(summary.get("selected_columns")).isEqualTo(cols);
        assertThat(summary.get("selected_names")).isEqualTo(named);
    }

    // Data whose features have no names (a CSV without header, a .npy, IDX images): summary.json lists the selected
    // features as features.csv ranks them, with their file columns where there are columns, and claims no names.
    @Test
    void theSummaryOfUnnamedFeaturesListsTheSelectionOfFeaturesCsv() throws Exception {
        Path plain = Files.writeString(dir.resolve("plain.csv"), "1.5,0,2,3\n2.5,1,1,4\n0.5,0,3,1\n1.0,1,0,2\n2.0,0,2,2\n");
        ByteBuffer data = ByteBuffer.allocate(30 * 4 * 4).order(ByteOrder.LITTLE_ENDIAN);
        Random r = new Random(9);
        for (int i = 0; i < 30 * 4; i++) data.putFloat((float) r.nextGaussian());
        Path npy = Files.write(dir.resolve("x.npy"), npy("<f4", "30, 4", data));
        // the label in column 1 of the CSV: features 1 and 2 are its columns 2 and 3
        List<String[]> runs = List.of(new String[] {"csv", "--data", plain.toString(), "--label-column", "1", "--test-fraction", "0"},
                new String[] {"npy", "--data", npy.toString()}, new String[] {"idx", "--limit-train", "100"}); // the embedded images
        for (String[] run : runs) {
            Path out = dir.resolve(run[0]);
            String[] given = Arrays.copyOfRange(run, 1, run.length);
            String[] all = Stream.of(new String[] {"quickselection", "--k", "3", "--out", out.toString()}, given, TINY)
                    .flatMap(Arrays::stream).toArray(String[]::new);
            String printed = Printed.stdout(() -> {
                var o = run(all);
                assertThat(o.code()).as(o.err()).isZero();
            });
            // the files the run says it wrote: the image of the selection for images only, no autoencoder without --save-autoencoder
            assertThat(printed.strip()).as(run[0]).endsWith("; wrote " + out.resolve("features.csv") + ", " + out.resolve("metrics.jsonl") + ", "
                    + out.resolve("summary.json") + (run[0].equals("idx") ? ", " + out.resolve("selected-pixels.png") : ""));
            List<String> lines = Files.readAllLines(out.resolve("features.csv"));
            List<Long> indices = lines.subList(1, lines.size()).stream().map(l -> Long.parseLong(l.substring(0, l.indexOf(',')))).toList();
            assertThat(indices).as(run[0]).hasSize(3).doesNotHaveDuplicates();
            Map<String, Object> summary = Json.parseObject(Files.readString(out.resolve("summary.json")));
            assertThat(summary.get("selected")).as(run[0]).isEqualTo(indices);
            assertThat(summary).as(run[0]).doesNotContainKey("selected_names");
            if (run[0].equals("csv")) {
                assertThat(summary.get("selected_columns")).isEqualTo(indices.stream().map(f -> f == 0 ? 0L : f + 1).toList());
                assertThat(lines.subList(1, lines.size())).allSatisfy(l -> {
                    String[] c = l.split(",", -1);
                    assertThat(Long.parseLong(c[1])).isEqualTo(Long.parseLong(c[0]) == 0 ? 0 : Long.parseLong(c[0]) + 1);
                });
            } else {
                assertThat(summary).as(run[0]).doesNotContainKey("selected_columns");
            }
        }
        assertThat(dir.resolve("idx/selected-pixels.png")).isRegularFile();
    }

    // RFC 4180, strictly: a field is either quoted whole (a quote inside doubled) or holds no quote; records end with
    // CRLF or LF. A field quoted part-way, or text after a closing quote, is an error, not read leniently.
    private static List<List<String>> rfc4180(String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0, n = text.length();
        while (i < n) {
            if (text.charAt(i) == '"') {
                for (i++; ; i++) {
                    if (i >= n) throw new AssertionError("a quoted field not closed: " + text);
                    if (text.charAt(i) == '"') {
                        if (i + 1 < n && text.charAt(i + 1) == '"') {
                            field.append('"');
                            i++;
                        } else {
                            i++;
                            break;
                        }
                    } else {
                        field.append(text.charAt(i));
                    }
                }
            } else {
                while (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                    if (text.charAt(i) == '"') throw new AssertionError("a quote in an unquoted field at " + i + ": " + text);
                    field.append(text.charAt(i++));
                }
            }
            row.add(field.toString());
            field.setLength(0);
            if (i < n && text.charAt(i) == ',') {
                i++;
                if (i == n) row.add("");
                continue;
            }
            if (i < n && text.charAt(i) == '\r') i++;
            if (i < n && text.charAt(i) != '\n') throw new AssertionError("text after a closing quote at " + i + ": " + text);
            i++;
            rows.add(row);
            row = new ArrayList<>();
        }
        if (!row.isEmpty()) rows.add(row);
        return rows;
    }

    @Test
    void aCsvWithoutHeaderIsNamedByColumnAlone() throws Exception {
        Path csv = Files.writeString(dir.resolve("plain.csv"), "0,1.5,2,3\n1,2.5,1,4\n0,0.5,3,1\n1,1.0,0,2\n0,2.0,2,2\n");
        Path out = dir.resolve("qs");
        var o = run(args("quickselection", "--k", "3", "--data", csv.toString(), "--label-column", "first", "--test-fraction", "0", "--out", out.toString()));
        assertThat(o.code()).as(o.err()).isZero();
        List<String> lines = Files.readAllLines(out.resolve("features.csv"));
        assertThat(lines.getFirst()).isEqualTo("index,column,name,score,rank");
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            assertThat(Integer.parseInt(cells[1])).isEqualTo(Integer.parseInt(cells[0]) + 1);
            assertThat(cells[2]).isEmpty();
        }
    }

    // QuickSelection reads no labels: a .npy without --labels and a CSV without a label column are selected from.
    @Test
    void unlabeledDataIsSelectedFromWhole() throws Exception {
        Path out = dir.resolve("none");
        // --k 6 ranks every column (the id too), so the label column must be among them: read as a feature, not dropped.
        var o = run(args("quickselection", "--k", "6", "--data", table().toString(), "--label-column", "none", "--out", out.toString()));
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(Files.readString(out.resolve("summary.json"))).contains("\"train_samples\":40");
        assertThat(Files.readAllLines(out.resolve("features.csv"))).hasSize(7).anySatisfy(l -> assertThat(l).startsWith("2,2,label,"));

        ByteBuffer data = ByteBuffer.allocate(30 * 4 * 4).order(ByteOrder.LITTLE_ENDIAN);
        Random r = new Random(9);
        for (int i = 0; i < 30 * 4; i++) data.putFloat((float) r.nextGaussian());
        Path npy = Files.write(dir.resolve("x.npy"), npy("<f4", "30, 4", data));
        Path out2 = dir.resolve("npy");
        o = run(args("quickselection", "--k", "3", "--data", npy.toString(), "--out", out2.toString()));
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(Files.readString(out2.resolve("summary.json"))).contains("\"train_samples\":30");
        assertThat(Files.readAllLines(out2.resolve("features.csv")).getFirst()).isEqualTo("index,score,rank");

        assertUsageError(run(args("quickselection", "--k", "3", "--data", npy.toString(), "--evaluate", "--out", dir.resolve("e").toString())),
                "dst4j quickselection: --evaluate scores the selection with labels on a held-out test split; --data " + npy
                        + " without --labels (unlabeled data) has no labels");
        assertUsageError(run(args("quickselection", "--k", "3", "--data", table().toString(), "--label-column", "none", "--test-fraction", "0.3",
                "--out", dir.resolve("e").toString())), "dst4j quickselection: --test-fraction holds out labeled test samples; --label-column none"
                        + " (unlabeled data) is selected from whole");
        // a CSV read without labels has none to hold out or to test on
        assertUsageError(run(args("quickselection", "--k", "3", "--data", table().toString(), "--label-column", "none", "--test-data",
                dir.resolve("test.csv").toString(), "--out", dir.resolve("e").toString())),
                "dst4j quickselection: --label-column none: unlabeled data has no test split to evaluate; --test-data applies only to labeled data");
        // Every other command still needs a label column.
        assertThat(run("set", "--data", table().toString(), "--label-column", "none", "--epochs", "1", "--out", dir.resolve("s").toString()).err())
                .contains("--label-column none: expected last, first or a 0-based column index");
    }

    // Without --evaluate a held-out split is never used: --test-fraction 0 lets the selection see all the data.
    @Test
    void testFractionZeroSelectsFromEverySample() throws Exception {
        Path out = dir.resolve("all");
        var o = run(args("quickselection", "--k", "3", "--data", table().toString(), "--label-column", "2", "--test-fraction", "0", "--out", out.toString()));
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(Files.readString(out.resolve("summary.json"))).contains("\"train_samples\":40");
        assertUsageError(run(args("quickselection", "--k", "3", "--data", table().toString(), "--label-column", "2", "--test-fraction", "0", "--evaluate",
                "--out", dir.resolve("e").toString())), "dst4j quickselection: --evaluate scores the selection with labels on a held-out test split;"
                        + " --test-fraction 0 (every sample selected from) has no test split: give --test-fraction above 0 or --test-data");
    }

    // The saved autoencoder lets the ranking be checked from outside: each score must be the summed
    // |w| of the feature's column of the saved encoder, added in storage order as the selection adds them.
    @Test
    void theSavedAutoencoderReproducesTheScores() throws Exception {
        Path out = dir.resolve("ae");
        var o = run(args("quickselection", "--k", "5", "--data", table().toString(), "--label-column", "2", "--save-autoencoder", "--out", out.toString()));
        assertThat(o.code()).as(o.err()).isZero();
        Map<String, ByteBuffer> arrays = new HashMap<>();
        try (var zip = new ZipInputStream(Files.newInputStream(out.resolve("autoencoder.npz")))) {
            for (var e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                byte[] b = zip.readAllBytes();
                int headerLen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
                arrays.put(e.getName(), ByteBuffer.wrap(b, 10 + headerLen, b.length - 10 - headerLen).slice().order(ByteOrder.LITTLE_ENDIAN));
            }
        }
        assertThat(arrays).containsKeys("meta.npy", "layer0.data.npy", "layer0.indices.npy", "layer1.data.npy", "standardizer.mean.npy", "standardizer.std.npy");
        ByteBuffer data = arrays.get("layer0.data.npy"), indices = arrays.get("layer0.indices.npy");
        double[] strength = new double[5];
        for (int k = 0; k < data.remaining() / 4; k++) strength[indices.getInt(4 * k)] += Math.abs(data.getFloat(4 * k));
        List<String> lines = Files.readAllLines(out.resolve("features.csv"));
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split(",");
            assertThat(Double.parseDouble(c[c.length - 2])).as(line).isEqualTo(strength[Integer.parseInt(c[0])]);
        }
    }

    // A missing CSV is named as the loader names it ("no such file"), as every other command (and a missing .npy here)
    // does, not as "missing.csv: cannot read: missing.csv" from reading its column names first.
    @Test
    void aMissingCsvIsNamedAsMissing() {
        Path missing = dir.resolve("missing.csv");
        var split = run(args("quickselection", "--data", missing.toString(), "--out", dir.resolve("a").toString()));
        assertThat(split.code()).as(split.err()).isEqualTo(1);
        assertThat(split.err()).isEqualTo("dst4j quickselection: --data " + missing + ": no such file or directory");
        var whole = run(args("quickselection", "--data", missing.toString(), "--label-column", "none", "--out", dir.resolve("b").toString()));
        assertThat(whole.code()).as(whole.err()).isEqualTo(1);
        assertThat(whole.err()).isEqualTo("dst4j quickselection: --data " + missing + ": no such file");
    }

    @Test
    void aDeviceGivenAsDataOrLabelsIsNamedAsOne() throws Exception {
        Path device = Files.createSymbolicLink(dir.resolve("null.csv"), Path.of("/dev/null"));
        var csv = run(args("quickselection", "--data", device.toString(), "--label-column", "none", "--out", dir.resolve("a").toString()));
        assertThat(csv.code()).as(csv.err()).isEqualTo(1);
        assertThat(csv.err()).isEqualTo("dst4j quickselection: --data " + device + ": not a regular file (a device or pipe), expected a file");
        Path npy = Files.write(dir.resolve("x.npy"), npy("<f4", "2, 2", ByteBuffer.allocate(16)));
        Path labels = Files.createSymbolicLink(dir.resolve("y.npy"), Path.of("/dev/null"));
        var withLabels = run(args("quickselection", "--data", npy.toString(), "--labels", labels.toString(), "--out", dir.resolve("b").toString()));
        assertThat(withLabels.err()).isEqualTo("dst4j quickselection: --labels " + labels + ": not a regular file (a device or pipe), expected a file");
    }

    private static byte[] npy(String descr, String shape, ByteBuffer data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) (header.length() & 0xff), (byte) (header.length() >> 8)});
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.write(data.array(), 0, data.position());
        return out.toByteArray();
    }
}
