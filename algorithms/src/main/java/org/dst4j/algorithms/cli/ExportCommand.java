package org.dst4j.algorithms.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.dst4j.nn.model.Classifier;
import org.dst4j.nn.model.EnsembleClassifier;
import org.dst4j.nn.model.ModelExport;
import org.dst4j.nn.model.MultiHeadClassifier;
import org.dst4j.nn.model.SparseClassifier;

final class ExportCommand implements Command {
    @Override public String summary() { return "write a saved model's weights as a NumPy .npz archive (SciPy CSR arrays per layer) for analysis in Python"; }

    @Override
    public int run(String[] args) throws UsageException, UserException, IOException {
        Options o = new Options("export", summary())
                .option("model", null, PredictCommand.MODEL_HELP)
                .option("output", null, "the .npz file to write (required; - is standard output); an earlier export there is replaced, any other file is not");
        if (!o.parse(args)) return 0;
        Path model = PredictCommand.model(o);
        // First: a run directory given as --model is the mistake, not an --output inside what is no model directory.
        PredictCommand.requireModelDirectory(model);
        Path output = output(o, model);
        try (Classifier c = PredictCommand.loadModel(model, 1)) {
            RunDirectory.writing(output);
            // QuickSelection's autoencoder as its run's autoencoder.npz has it: meta said a softmax classifier of 784 classes.
            if (InspectCommand.isAutoencoder(c) && c instanceof SparseClassifier s) {
                ModelExport.networkToNpz(s.network(), s.standardizer(), s.header(), "autoencoder", output);
            } else {
                ModelExport.toNpz(c, output);
            }
            // Written to stdout (/dev/stdout, a pipe), the archive must not be followed by this line.
            boolean stream = PredictCommand.isStream(output);
            (stream ? System.err : System.out).printf("wrote %s: %s of %s%s%n", output, describe(c), model,
                    stream ? "" : ", " + RunSummary.count(Files.size(output), "byte"));
            return 0;
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    private static String describe(Classifier c) {
        return switch (c) {
            case EnsembleClassifier e -> RunSummary.count(e.members().size(), "member") + ", "
                    + RunSummary.count(e.members().stream().mapToLong(m -> m.network().connections()).sum(), "connection");
            case MultiHeadClassifier m -> "a backbone and " + RunSummary.count(m.network().heads().size(), "head") + ", "
                    + RunSummary.count(m.network().connections(), "connection");
            case SparseClassifier s -> RunSummary.count(s.network().layers().size(), "layer") + ", "
                    + RunSummary.count(s.network().connections(), "connection");
            default -> "the model";
        };
    }

    private static Path output(Options o, Path model) throws UsageException, IOException {
        if (!o.given("output")) throw new UsageException("--output is required (the .npz file to write)");
        Path out = PredictCommand.outputPath(o);
        if (Files.isDirectory(out)) throw new UsageException("--output " + out + " is a directory; expected the path of the .npz file");
        // A device or pipe (/dev/stdout, also when the shell redirected it into a file) is written through, whatever its name.
        if (PredictCommand.isStream(out)) return out;
        // numpy.savez adds .npz to a name without it; here a missing .npz is more likely a slip (a model's name given by mistake).
        if (!out.getFileName().toString().endsWith(".npz")) {
            throw new UsageException("--output " + out + ": expected a file name ending in .npz");
        }
        Path existing = RunDirectory.nearestExisting(out.toAbsolutePath().getParent());
        if (existing != null && !Files.isDirectory(existing)) {
            throw new UsageException("--output " + out + ": cannot be created, " + existing + " is a file");
        }
        if (Files.exists(out) && Files.isSameFile(out, model)) {
            throw new UsageException("--output " + out + " is the model given by --model; write the export elsewhere");
        }
        // As predict: a file added to a model directory would sit among its parts.
        if (PredictCommand.insideModelDirectory(out, model, existing)) {
            throw new UsageException("--output " + out + " is inside the model directory " + model + "; write the export elsewhere");
        }
        // A regular file is replaced only when it is an earlier export.
        if (Files.isRegularFile(out) && !isExport(out)) {
            throw new UsageException("--output " + out + " exists and is not an export of this command; remove it or choose another path");
        }
        return out;
    }

    private static final byte[] FIRST_ENTRY = (ModelExport.META + ".npy").getBytes(StandardCharsets.US_ASCII);

    // An archive this command wrote: a zip whose first entry (local header at offset 0, name at 30) is the meta array.
    static boolean isExport(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(30 + FIRST_ENTRY.length);
            return head.length == 30 + FIRST_ENTRY.length && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4
                    && (head[26] & 0xFF | (head[27] & 0xFF) << 8) == FIRST_ENTRY.length
                    && Arrays.equals(head, 30, head.length, FIRST_ENTRY, 0, FIRST_ENTRY.length);
        } catch (IOException e) {
            return false;
        }
    }
}
