package org.dst4j.nn.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Reads a numeric CSV file (plain or gzip-compressed, whatever its name): one sample per line, one
 * column holding an integer class label in {@code [0, 2^24)}. Separator is a comma, or a semicolon or tab
 * when the first line has no comma. A first line in which no cell is a number is a header and is skipped,
 * as is one whose numbers read {@code 0,1,2,…} in order among names, or alone in three or more cells (the column names
 * pandas writes for an unnamed frame, with or without a named label column: {@code 0,1,2,label}). Every other cell
 * must be a finite number; errors name the file, line and column (both 1-based).
 */
public final class CsvReader {
    private CsvReader() {}

    /**
     * Reads {@code file} into a dataset.
     *
     * @param labelColumn {@code last}, {@code first} or a 0-based column index
     * @param classes the class count, or 0 to use {@code max label + 1}
     * @throws DataFormatException also for a label outside {@code classes}, naming the file and the sample
     * @throws IllegalArgumentException if {@code classes < 0}
     */
    public static Dataset read(String name, Path file, String labelColumn, int classes) throws DataFormatException {
        LabeledRows rows = rows(file, labelColumn);
        return rows.toDataset(name, rows.classes(classes));
    }

    /**
     * Reads {@code file} as samples without labels, every column a feature (as to predict on). Labels
     * of the returned dataset are 0 of one class.
     */
    public static Dataset readUnlabeled(String name, Path file) throws DataFormatException {
        LabeledRows rows = rows(file, NO_LABEL);
        return rows.toDataset(name, 1);
    }

    // A stream's samples, named by the stream in the dataset and in messages alike.
    static Dataset readUnlabeled(BufferedReader reader, String source) throws DataFormatException, IOException {
        return rows(reader, source, NO_LABEL).toDataset(source, 1);
    }

    // Not an option value: checkLabelColumn refuses it, so only readUnlabeled gets here with it.
    private static final String NO_LABEL = "\0none";

    static LabeledRows rows(Path file, String labelColumn) throws DataFormatException {
        try (InputStream raw = Files.newInputStream(file)) {
            // By its magic, as for IDX files: a name's case (.GZ) or a compressed .csv had it read as text.
            InputStream in = IdxReader.maybeGunzip(raw);
            return rows(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16), file.toString(), labelColumn);
        } catch (IOException e) {
            throw new DataFormatException(file + ": cannot read: " + IdxReader.why(e), e);
        }
    }

    static LabeledRows rows(BufferedReader reader, String source, String labelColumn) throws DataFormatException, IOException {
        String line = reader.readLine();
        long lineNo = 1;
        while (line != null && line.isBlank()) {
            line = reader.readLine();
            lineNo++;
        }
        if (line == null) throw new DataFormatException(source + ": empty file, expected CSV rows");
        if (!line.isEmpty() && line.charAt(0) == '\uFEFF') line = line.substring(1);
        char sep = line.indexOf(',') >= 0 ? ',' : line.indexOf(';') >= 0 ? ';' : line.indexOf('\t') >= 0 ? '\t' : ',';
        String[] first = split(line, sep, source, lineNo);
        int columns = first.length;
        boolean labeled = !NO_LABEL.equals(labelColumn);
        if (columns < 2 && labeled) {
            // A space-separated file (np.savetxt's default) reads as one column: say which separators count.
            String hint = line.strip().contains(" ") ? " (separators are ',', ';' or tab; this line is separated by spaces)" : "";
            throw new DataFormatException(source + ": line " + lineNo + " has " + columns + " column; expected features plus a label column" + hint);
        }
        int label = labeled ? labelIndex(labelColumn, columns, source) : -1;
        if (isHeader(first)) {
            line = reader.readLine();
            lineNo++;
        }
        int features = labeled ? columns - 1 : columns;
        float[] x = new float[Math.max(16, features * 256)];
        int[] y = new int[256];
        int n = 0;
        for (; line != null; line = reader.readLine(), lineNo++) {
            if (line.isBlank()) continue;
            String[] cells = split(line, sep, source, lineNo);
            if (cells.length != columns) {
                throw new DataFormatException(source + ": line " + lineNo + " has " + cells.length + " columns, expected " + columns);
            }
            if ((long) (n + 1) * features > Integer.MAX_VALUE - 16) {
                throw new DataFormatException(source + ": line " + lineNo + ": more than 2^31 feature values; split the file");
            }
            if ((long) (n + 1) * features > x.length) x = Arrays.copyOf(x, (int) Math.min(Integer.MAX_VALUE - 16, Math.max((long) (n + 1) * features, 2L * x.length)));
            if (n == y.length) y = Arrays.copyOf(y, 2 * n);
            int f = 0;
            for (int c = 0; c < columns; c++) {
                double v = number(cells[c], source, lineNo, c);
                if (c == label) {
                    if (v != Math.rint(v) || v < 0 || v >= (1 << 24)) {
                        throw new DataFormatException(source + ": line " + lineNo + ", column " + (c + 1) + ": label '" + cells[c].strip()
                                + "' is not a class index (an integer in [0, 2^24))");
                    }
                    y[n] = (int) v;
                } else {
                    x[n * features + f++] = (float) v;
                }
            }
            n++;
        }
        if (n == 0) throw new DataFormatException(source + ": no data rows after the header");
        return new LabeledRows(source, Arrays.copyOf(x, n * features), n, features, Arrays.copyOf(y, n), 0, 0);
    }

    /**
     * Where the features of a CSV file read with {@code labelColumn} sit in the file, and what its header calls
     * them: feature {@code f} of the dataset is column {@code columns()[f]} of the file. Without a header line
     * (see the class comment), {@code names()} is null.
     *
     * @param columns 0-based column of each feature in the file, as {@code --label-column} counts columns
     * @param names the header's name of each feature (quotes removed, whitespace stripped), or null without a header
     */
    public record FeatureColumns(int[] columns, String[] names) {
        /** Copies the arrays. */
        public FeatureColumns {
            columns = Objects.requireNonNull(columns, "columns").clone();
            names = names == null ? null : names.clone();
            if (names != null && names.length != columns.length) throw new IllegalArgumentException(names.length + " names for " + columns.length + " columns");
        }

        /** A copy. */
        @Override public int[] columns() { return columns.clone(); }

        /** A copy, or null when the file has no header. */
        @Override public String[] names() { return names == null ? null : names.clone(); }

        // By content: the generated methods would compare the arrays by identity.
        @Override public boolean equals(Object o) {
            return o instanceof FeatureColumns c && Arrays.equals(columns, c.columns) && Arrays.equals(names, c.names);
        }

        @Override public int hashCode() { return 31 * Arrays.hashCode(columns) + Arrays.hashCode(names); }

        @Override public String toString() { return "FeatureColumns[columns=" + Arrays.toString(columns) + ", names=" + Arrays.toString(names) + "]"; }
    }

    /**
     * Reads only the first line of {@code file} (plain or gzip) to say which column each feature of
     * {@link #read(String, Path, String, int)} comes from and, when that line is a header, its name: the label
     * column is not a feature, so with the label in the middle a feature's index is not its column.
     *
     * @param labelColumn as for {@link #read(String, Path, String, int)}, or null for a file whose every column is a feature
     *     (as {@link #readUnlabeled} reads it)
     */
    public static FeatureColumns featureColumns(Path file, String labelColumn) throws DataFormatException {
        try (InputStream raw = Files.newInputStream(file);
             BufferedReader reader = new BufferedReader(new InputStreamReader(IdxReader.maybeGunzip(raw), StandardCharsets.UTF_8), 1 << 16)) {
            String line = reader.readLine();
            long lineNo = 1;
            for (; line != null && line.isBlank(); lineNo++) line = reader.readLine();
            if (line == null) throw new DataFormatException(file + ": empty file, expected CSV rows");
            if (!line.isEmpty() && line.charAt(0) == '\uFEFF') line = line.substring(1);
            // The same separator and header rules as rows(), so the two never disagree about a file.
            char sep = line.indexOf(',') >= 0 ? ',' : line.indexOf(';') >= 0 ? ';' : line.indexOf('\t') >= 0 ? '\t' : ',';
            String[] first = split(line, sep, file.toString(), lineNo);
            int label = labelColumn == null ? -1 : labelIndex(labelColumn, first.length, file.toString());
            int features = label < 0 ? first.length : first.length - 1;
            int[] columns = new int[features];
            String[] names = isHeader(first) ? new String[features] : null;
            for (int c = 0, f = 0; c < first.length; c++) {
                if (c == label) continue;
                columns[f] = c;
                if (names != null) names[f] = first[c].strip();
                f++;
            }
            return new FeatureColumns(columns, names);
        } catch (IOException e) {
            throw new DataFormatException(file + ": cannot read: " + IdxReader.why(e), e);
        }
    }

    /** Rejects a {@code labelColumn} that is no column of any file: neither {@code last}, {@code first} nor an index >= 0. */
    static void checkLabelColumn(String spec) throws DataOptionException {
        if (spec == null || spec.equals("last") || spec.equals("first")) return;
        try {
            if (Integer.parseInt(spec) >= 0) return;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new DataOptionException("--label-column " + spec + ": expected last, first or a 0-based column index");
    }

    private static int labelIndex(String spec, int columns, String source) throws DataFormatException {
        if (spec == null || spec.equals("last")) return columns - 1;
        if (spec.equals("first")) return 0;
        try {
            int i = Integer.parseInt(spec);
            if (i >= 0 && i < columns) return i;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        // the option, not the file, is what to change: a usage error (exit code 2), as for a --label-column that is no index at all
        throw new DataOptionException(source + ": --label-column " + spec + ": expected last, first or a column index in [0, " + columns + ")");
    }

    // pd.DataFrame(array).to_csv(index=False) names the columns 0, 1, 2, …, and a label column added to the frame keeps
    // its name (0,1,2,label or label,0,1,2); read as data, such a line became a sample (and its last cell a class of its
    // own) or stopped the read at its name. Two cells 0,1 stay data: a sample of feature 0 and class 1.
    private static boolean isHeader(String[] cells) {
        int numbers = 0;
        for (String c : cells) {
            // Values that are no plain decimals are still no names: a first row of NaNs, or a space-separated line read as
            // one cell, was skipped as a header (a sample lost, or "no data rows after the header").
            if (!parses(c) && (nonFinite(c.strip()) || spaced(c.strip()))) return false;
            if (!parses(c)) continue;
            if (!c.strip().equals(Integer.toString(numbers))) return false;
            numbers++;
        }
        return numbers < cells.length || cells.length >= 3;
    }

    private static boolean parses(String cell) {
        return plainDecimal(cell.strip());
    }

    private static boolean nonFinite(String s) {
        return s.equalsIgnoreCase("nan") || s.matches("[+-]?(?i:inf|infinity)");
    }

    // Numbers separated by spaces (np.savetxt's default), which are no separator here.
    private static boolean spaced(String s) {
        String[] words = s.split("\\s+");
        return words.length > 1 && Arrays.stream(words).allMatch(CsvReader::plainDecimal);
    }

    /**
     * Whether {@code s} is {@code [+-] digits [. digits] [(e|E) [+-] digits]}, with at least one digit
     * before the exponent: what people write as a number. Java's own syntax also takes 1f, 2d, 0x1p3,
     * Infinity and NaN, which no CSV writer (nor anyone on a command line) means as numbers.
     */
    public static boolean plainDecimal(String s) {
        int i = 0, n = s.length();
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
        int digits = 0;
        while (i < n && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) { i++; digits++; }
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) { i++; digits++; }
        }
        if (digits == 0) return false;
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
            int exp = 0;
            while (i < n && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) { i++; exp++; }
            if (exp == 0) return false;
        }
        return i == n;
    }

    private static double number(String cell, String source, long line, int column) throws DataFormatException {
        String s = cell.strip();
        String at = source + ": line " + line + ", column " + (column + 1) + ": '" + DataFormatException.shown(s) + "'";
        if (!plainDecimal(s)) {
            if (nonFinite(s)) throw new DataFormatException(at + " is not finite");
            // np.savetxt's default separator, in a file of one column (as predict --input reads features alone): say which count.
            throw new DataFormatException(at + " is not a number" + (spaced(s) ? " (separators are ',', ';' or tab; this line is separated by spaces)" : ""));
        }
        double v = Double.parseDouble(s);
        // Features are stored as 32-bit floats: 1e40 would become Infinity there and surface as a diverged loss.
        if (!Float.isFinite((float) v)) throw new DataFormatException(at + " does not fit a 32-bit float (magnitude above 3.4e38)");
        return v;
    }

    /**
     * Splits on {@code sep}; a field in double quotes may contain the separator ("" is a literal quote). A quote inside a
     * field, as in {@code size 5"}, is a character, as Python's csv module reads it.
     */
    private static String[] split(String line, char sep, String source, long lineNo) throws DataFormatException {
        List<String> out = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cell.append(ch);
                }
            } else if (ch == '"' && cell.toString().isBlank()) {
                quoted = true;
            } else if (ch == sep) {
                out.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(ch);
            }
        }
        // A quote left open means a field that goes on to the next line, which rows are not read across: counting the
        // columns of the pieces said "line 2 has 1 columns, expected 2" about a header the user never saw split.
        if (quoted) {
            throw new DataFormatException(source + ": line " + lineNo + ": a quoted field is not closed on its line (a field that"
                    + " spans lines is not supported)");
        }
        out.add(cell.toString());
        return out.toArray(new String[0]);
    }
}
