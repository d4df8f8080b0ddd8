package org.dst4j.algorithms.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dst4j.nn.data.CsvReader;

/**
 * A command's options, declared once with defaults and help, parsed from {@code --name value} and
 * {@code --flag} arguments. Every problem becomes a one-line {@link UsageException} naming the option.
 */
final class Options {
    private record Spec(String name, String defaultValue, String help, boolean flag) {}

    private final String command;
    private final String summary;
    private final Map<String, Spec> specs = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> refused = new LinkedHashMap<>();

    Options(String command, String summary) {
        this.command = command;
        this.summary = summary;
    }

    /** The subcommand's name, for messages. */
    String command() {
        return command;
    }

    /** Declares {@code --name VALUE} with a default (null: optional with no default). */
    Options option(String name, String defaultValue, String help) {
        specs.put(name, new Spec(name, defaultValue, help, false));
        return this;
    }

    /** Declares a boolean {@code --name}. */
    Options flag(String name, String help) {
        specs.put(name, new Spec(name, null, help, true));
        return this;
    }

    /**
     * Takes back an option declared for every command sharing it (such as the data options) that this
     * command does not read: help no longer lists it, and giving it fails with {@code why}.
     */
    Options refuse(String name, String why) {
        specs.remove(name);
        refused.put(name, why);
        return this;
    }

    /** Parses; returns false when {@code --help} was asked (the help has been printed). */
    boolean parse(String[] args) throws UsageException {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println(help());
                return false;
            }
            if (!a.startsWith("--")) throw new UsageException("unexpected argument '" + a + "'; options start with --");
            String name = a.substring(2), value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (refused.containsKey(name)) throw new UsageException("--" + name + " " + refused.get(name));
            Spec s = specs.get(name);
            if (s == null) throw new UsageException("unknown option --" + name + " (see --help)");
            if (s.flag()) {
                if (value != null) throw new UsageException("--" + name + " takes no value");
                values.put(name, "true");
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) throw new UsageException("--" + name + " needs a value");
                value = args[++i];
                // `--out --no-standardize` would otherwise make a directory of that name and drop the flag.
                if (isOption(value)) throw new UsageException("--" + name + " needs a value, got option " + value);
            }
            if (values.containsKey(name)) throw new UsageException("--" + name + " given twice");
            undecodable(name, value, nameCharset());
            values.put(name, value);
        }
        return true;
    }

    /**
     * Refuses a value the JVM could not decode from the command line: it decodes arguments and file names in the
     * locale's charset, ASCII in the C locale (cron, {@code env -i}, a container with no LANG or one whose locale is
     * not installed), and bytes it cannot decode become U+FFFD. {@code --out ü-out} then wrote the run into a directory
     * named {@code ??-out}, and a {@code --model} so named was "no such file".
     */
    static void undecodable(String name, String value, String charset) throws UsageException {
        if (value.indexOf('\uFFFD') < 0) return;
        throw new UsageException("--" + name + " '" + value + "': " + (isUtf8(charset)
                ? "has bytes that are not UTF-8, the locale's charset, so it cannot name the file meant; rename the file, or run"
                        + " under the locale its name is written in"
                : "has characters the locale's charset (" + charset + ") cannot decode, so it would name another file;" + UTF8_LOCALE));
    }

    // The charset the JVM decodes arguments and file names in: the locale's.
    private static String nameCharset() {
        return System.getProperty("sun.jnu.encoding", "UTF-8");
    }

    private static boolean isUtf8(String charset) {
        return charset.replace("-", "").equalsIgnoreCase("UTF8");
    }

    private static final String UTF8_LOCALE = " run under a UTF-8 locale, e.g. LC_ALL=C.UTF-8 java -jar ... (./dst4j chooses one itself)";

    // Only this command's own options (and --help) count: a value such as -1 or --weird-name stays a value.
    private boolean isOption(String arg) {
        if (!arg.startsWith("--")) return false;
        String name = arg.substring(2);
        int eq = name.indexOf('=');
        return arg.equals("--help") || specs.containsKey(eq >= 0 ? name.substring(0, eq) : name);
    }

    boolean given(String name) {
        return values.containsKey(name);
    }

    String string(String name) {
        spec(name);
        return values.getOrDefault(name, specs.get(name).defaultValue());
    }

    boolean flag(String name) {
        spec(name);
        return values.containsKey(name);
    }

    Path path(String name) throws UsageException {
        String v = string(name);
        if (v == null) return null;
        // Path.of("") is the working directory: --out "" wrote a run into it; --out " " made a directory named by a space.
        if (v.isBlank()) throw new UsageException("--" + name + ": expected a path, got " + (v.isEmpty() ? "an empty string" : "'" + v + "'"));
        // The shell expands '~' only at a word's start: '--out=~/runs/a' (or a quoted "~/runs/a") made a directory
        // named '~' in the working directory, which a later 'rm -rf ~' in the wrong place would not forgive.
        if (v.equals("~") || v.startsWith("~/")) v = System.getProperty("user.home") + v.substring(1);
        Path p;
        try {
            p = Path.of(v);
        } catch (RuntimeException e) {
            throw new UsageException("--" + name + ": not a valid path: '" + v + "'");
        }
        // A working directory the JVM could not decode (a 'ü' in its name, 'java -jar' in the C locale) is a user.dir with
        // U+FFFD in it: '--out r' (or the default runs/set) then made a new directory '...??/r' beside it, and the run
        // said "wrote r/model.dst4j", exit code 0, though nothing was in the directory it was started from.
        String cwd = System.getProperty("user.dir", "");
        if (!p.isAbsolute() && cwd.indexOf('\uFFFD') >= 0) {
            String charset = nameCharset();
            throw new UsageException("--" + name + " " + v + ": a relative path, and the working directory '" + cwd + "' " + (isUtf8(charset)
                    ? "has bytes that are not UTF-8, the locale's charset, so it would name another directory; give an absolute path that"
                            + " is UTF-8, or run under the locale the directory's name is written in"
                    : "has characters the locale's charset (" + charset + ") cannot decode, so it would name another directory;" + UTF8_LOCALE));
        }
        return p;
    }

    int integer(String name, int min, int max) throws UsageException {
        String v = string(name);
        try {
            int x = Integer.parseInt(v.trim());
            if (x < min || x > max) throw new UsageException("--" + name + ": expected a whole number in [" + min + ", " + max + "], got " + v);
            return x;
        } catch (NumberFormatException e) {
            if (wholeNumber(v)) throw new UsageException("--" + name + ": expected a whole number in [" + min + ", " + max + "], got " + v);
            throw new UsageException("--" + name + ": expected a whole number, got '" + v + "'");
        }
    }

    long longValue(String name) throws UsageException {
        String v = string(name);
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            if (wholeNumber(v)) throw new UsageException("--" + name + ": expected a whole number in [" + Long.MIN_VALUE + ", " + Long.MAX_VALUE + "], got " + v);
            throw new UsageException("--" + name + ": expected a whole number, got '" + v + "'");
        }
    }

    // The parsers fail alike on "ten" and on 99999999999; the second is a whole number, only out of range.
    private static boolean wholeNumber(String v) {
        return v.trim().matches("[+-]?[0-9]+");
    }

    double number(String name, double min, double max) throws UsageException {
        String v = string(name);
        // The same syntax as a CSV cell: Java's parser also took 1d, 0x1p3 and the like.
        if (!CsvReader.plainDecimal(v.trim())) throw new UsageException("--" + name + ": expected a number, got '" + v + "'");
        try {
            double x = Double.parseDouble(v.trim());
            if (!(x >= min && x <= max)) throw new UsageException("--" + name + ": expected a number in [" + min + ", " + max + "], got " + v);
            return x;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + ": expected a number, got '" + v + "'");
        }
    }

    /** A non-empty comma-separated list of whole numbers, each in [min, max]. */
    int[] integers(String name, int min, int max) throws UsageException {
        String v = string(name).trim();
        // An empty --hidden used to train a network with no hidden layer at all, which nobody asks for that way.
        if (v.isEmpty()) throw new UsageException("--" + name + ": expected comma-separated whole numbers, got an empty list");
        String[] parts = v.split(",", -1); // -1: "8," has an empty last item, refused as ",8" is
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                if (wholeNumber(parts[i])) throw new UsageException("--" + name + ": each value must be in [" + min + ", " + max + "], got " + parts[i].trim());
                throw new UsageException("--" + name + ": expected comma-separated whole numbers, got '" + v + "'");
            }
            if (out[i] < min || out[i] > max) throw new UsageException("--" + name + ": each value must be in [" + min + ", " + max + "], got " + out[i]);
        }
        return out;
    }

    /** One of the allowed words. */
    String choice(String name, String... allowed) throws UsageException {
        String v = string(name);
        for (String a : allowed) if (a.equals(v)) return v;
        throw new UsageException("--" + name + ": expected one of " + String.join("|", allowed) + ", got '" + v + "'");
    }

    String help() {
        StringBuilder sb = new StringBuilder("usage: dst4j " + command + " [options]\n" + summary + "\n\noptions:\n");
        List<String> lines = new ArrayList<>();
        for (Spec s : specs.values()) {
            String left = "  --" + s.name() + (s.flag() ? "" : " " + (s.defaultValue() == null ? "VALUE" : s.defaultValue()));
            lines.add(String.format("%-34s %s", left, s.help()));
        }
        sb.append(String.join("\n", lines));
        return sb.toString();
    }

    private void spec(String name) {
        if (!specs.containsKey(name)) throw new IllegalStateException("option --" + name + " not declared for " + command);
    }
}
