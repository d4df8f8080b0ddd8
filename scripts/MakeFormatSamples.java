// Dev tool, not product code: writes the sample files that FileFormatSamplesTest reads back, one of each
// kind of file dst4j writes and reads later (models of every algorithm, a SET checkpoint cut mid-run, an
// export), with the predictions each model made when it was written.
// Usage (after `mvn -o -q install -DskipTests`):
//   java --add-modules jdk.incubator.vector -cp algorithms/target/dst4j.jar scripts/MakeFormatSamples.java \
//       algorithms/src/test/resources/org/dst4j/algorithms/formats/v1
// Run it again only to add a new kind of file, or when the file format's version changes (then into a new
// directory, keeping the old one: the old files must still load).
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.dst4j.algorithms.cli.Main;
import org.dst4j.algorithms.set.SetConfig;
import org.dst4j.algorithms.set.SetTraining;
import org.dst4j.nn.data.DataOptions;
import org.dst4j.nn.data.DataSources;
import org.dst4j.nn.data.DatasetSplit;
import org.dst4j.nn.train.EpochMetrics;

public class MakeFormatSamples {
    public static void main(String[] a) throws Exception {
        Path out = Path.of(a[0]);
        if (Files.exists(out)) throw new IllegalStateException(out + " exists: the samples of a format version are never rewritten");
        Path work = Files.createTempDirectory("dst4j-samples");
        Files.createDirectories(out);
        Path train = out.resolve("train.csv"), input = out.resolve("input.csv");
        Files.writeString(train, samples(240, true));
        Files.writeString(input, samples(16, false));

        cli("set", "--data", train, "--hidden", "12", "--epsilon", "3", "--epochs", "3", "--batch", "16", "--out", work.resolve("set"));
        copy(work.resolve("set"), out.resolve("set"), "model.dst4j");
        cutSetRun(train, out.resolve("set-cut"));
        cli("freetickets", "--data", train, "--variant", "dst", "--members", "2", "--epochs", "2", "--hidden", "12,12", "--out", work.resolve("ft-dst"));
        cli("freetickets", "--data", train, "--variant", "edst", "--members", "2", "--explore-epochs", "1", "--refine-epochs", "1",
                "--hidden", "12,12", "--out", work.resolve("ft-edst"));
        cli("neurotrails", "--data", train, "--heads", "2", "--epochs", "2", "--hidden", "12,12", "--density", "0.5", "--out", work.resolve("nt"));
        cli("spacenet", "--data", train, "--tasks", "2", "--epochs", "1", "--hidden", "40,40", "--connections", "60,200,20",
                "--selected", "16", "--reserved", "8", "--out", work.resolve("sn"));
        for (String ft : new String[] {"ft-dst", "ft-edst"}) {
            List<String> members = new ArrayList<>(List.of("ensemble.json"));
            try (var files = Files.list(work.resolve(ft))) {
                files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("member-") && n.endsWith(".dst4j")).sorted().forEach(members::add);
            }
            copy(work.resolve(ft), out.resolve(ft), members.toArray(String[]::new));
        }
        copyTree(work.resolve("nt/model"), out.resolve("nt/model"));
        copy(work.resolve("sn"), out.resolve("sn"), "model.dst4j");

        for (String model : new String[] {"set/model.dst4j", "ft-dst", "ft-edst", "nt/model", "sn/model.dst4j"}) {
            String name = model.replace('/', '-').replace(".dst4j", "");
            cli("predict", "--model", out.resolve(model), "--input", input, "--threads", "1", "--output", out.resolve("predictions/" + name + ".csv"));
            cli("export", "--model", out.resolve(model), "--output", out.resolve("exports/" + name + ".npz"));
        }
    }

    // 3 features carry the class (4 classes), 2 are noise; a fixed LCG, so the file is the same on every machine.
    static String samples(int n, boolean labeled) {
        StringBuilder sb = new StringBuilder();
        long s = labeled ? 7 : 11;
        for (int i = 0; i < n; i++) {
            int c = i % 4;
            for (int f = 0; f < 5; f++) {
                s = s * 6364136223846793005L + 1442695040888963407L;
                double noise = ((s >>> 40) / (double) (1L << 24)) - 0.5;
                double v = (f < 3 ? ((c >> (f % 2)) & 1) * 2 + (f == 2 ? c * 0.5 : 0) : 0) + noise;
                sb.append(f == 0 ? "" : ",").append(String.format(java.util.Locale.ROOT, "%.4f", v));
            }
            if (labeled) sb.append(',').append(c);
            sb.append('\n');
        }
        return sb.toString();
    }

    // A SET run of 3 epochs stopped by an interrupt during its third (the listener counts epochs from 0): checkpoint.dst4j
    // says 2 epochs done.
    // The run is the CLI's `set` with the options above (the CLI's defaults for the rest, the same held-out split).
    static void cutSetRun(Path train, Path dir) throws Exception {
        SetConfig d = SetConfig.defaults();
        SetConfig cfg = new SetConfig(new int[] {12}, 3, d.zeta(), 3, 16, d.lr(), d.momentum(), d.weightDecay(), d.dropout(), d.activation(),
                d.alpha(), d.optimizer(), d.schedule(), d.init(), 42, 1);
        try (DatasetSplit data = DataSources.load(new DataOptions(train, null, null, null, null, "last", 0.2, 42, 0, 0))) {
            SetTraining.train(cfg, data, true, dir, new SetTraining.Progress() {
                @Override public void batch(int epoch, int done, int total) {
                    if (epoch == 2 && done == 3) Thread.currentThread().interrupt();
                }
            }).close();
            throw new IllegalStateException("the run was not interrupted");
        } catch (CancellationException expected) {
            Thread.interrupted();
        }
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) if (p.getFileName().toString().endsWith(".png")) Files.delete(p);
        }
        // Resumed once here, so that the samples hold what the resumed run predicts.
        Path resumed = Files.createTempDirectory("dst4j-cut");
        copyTree(dir, resumed);
        cli("set", "--resume", resumed, "--data", train, "--threads", "1");
        cli("predict", "--model", resumed.resolve("model.dst4j"), "--input", train.resolveSibling("input.csv"), "--threads", "1",
                "--output", dir.resolveSibling("predictions/set-cut-resumed.csv"));
    }

    static void cli(Object... args) {
        String[] s = new String[args.length];
        for (int i = 0; i < args.length; i++) s[i] = args[i].toString();
        int code = Main.run(s);
        if (code != 0) throw new IllegalStateException("exit " + code + ": " + String.join(" ", s));
    }

    static void copy(Path from, Path to, String... names) throws IOException {
        Files.createDirectories(to);
        for (String n : names) Files.copy(from.resolve(n), to.resolve(n));
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
