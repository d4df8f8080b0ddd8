package org.dst4j.nn.io;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.DoubleStream;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

/**
 * A small strict JSON writer and parser (no dependencies). Writing: maps (keys in their order), lists,
 * primitive arrays, strings, numbers, booleans and null; a non-finite double is written as null.
 * Parsing gives {@code Map<String,Object>} (ordered), {@code List<Object>}, String, Long (integers),
 * Double, Boolean or null; errors name the offset and what was expected.
 */
public final class Json {
    private Json() {}

    /** One-line JSON text of {@code value}. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, null);
        return sb.toString();
    }

    /**
     * One-line JSON text of {@code value} for an output in {@code charset}: a character it cannot encode is written as
     * a backslash-u escape, which a JSON reader reads back as that character. Under the C locale stdout is ASCII, and
     * the JVM printed each non-ASCII character as '?', another name for a script reading it.
     */
    public static String write(Object value, Charset charset) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, charset.newEncoder());
        return sb.toString();
    }

    // `target` null: every character as it is (files are written as UTF-8)
    private static void write(StringBuilder sb, Object v, CharsetEncoder target) {
        switch (v) {
            case null -> sb.append("null");
            case String s -> string(sb, s, target);
            case Boolean b -> sb.append(b);
            case Double d -> number(sb, d);
            case Float f -> number(sb, Double.parseDouble(Float.toString(f)));
            case Byte _, Short _, Integer _, Long _ -> sb.append(((Number) v).longValue());
            case BigInteger b -> sb.append(b);
            case BigDecimal b -> sb.append(b); // exact, in JSON's number syntax ("1E+3"); longValue() made 1.5 a 1
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (var e : m.entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    string(sb, String.valueOf(e.getKey()), target);
                    sb.append(':');
                    write(sb, e.getValue(), target);
                }
                sb.append('}');
            }
            case Iterable<?> it -> {
                sb.append('[');
                boolean first = true;
                for (Object o : it) {
                    if (!first) sb.append(',');
                    first = false;
                    write(sb, o, target);
                }
                sb.append(']');
            }
            case int[] a -> { List<Object> l = new ArrayList<>(); for (int x : a) l.add(x); write(sb, l, target); }
            case long[] a -> { List<Object> l = new ArrayList<>(); for (long x : a) l.add(x); write(sb, l, target); }
            case float[] a -> { List<Object> l = new ArrayList<>(); for (float x : a) l.add(x); write(sb, l, target); }
            case double[] a -> { List<Object> l = new ArrayList<>(); for (double x : a) l.add(x); write(sb, l, target); }
            case Object[] a -> write(sb, List.of(a), target);
            default -> throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
        }
    }

    private static void number(StringBuilder sb, double d) {
        if (!Double.isFinite(d)) {
            sb.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15 && !(d == 0 && 1 / d < 0)) { // -0.0 as itself: (long) lost its sign
            sb.append((long) d).append(".0");
        } else {
            sb.append(d);
        }
    }

    private static void string(StringBuilder sb, String s, CharsetEncoder target) {
        boolean escapeUnencodable = target != null && !target.canEncode(s);
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || escapeUnencodable && c >= 0x80 && (Character.isSurrogate(c) || !target.canEncode(c))) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    // More than any manifest or metrics log holds (the checkpoint header's cap): a larger file is not one of them.
    private static final long MAX_FILE = 64 << 20;

    /**
     * The text of a JSON file (a model directory's manifest, a metrics log) as UTF-8, or an IOException naming
     * the file: a byte that is not UTF-8 was "Input length = 1", naming nothing, and any file was read whole.
     * A leading byte order mark is dropped.
     */
    public static String readFile(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE) throw new IOException(file + ": " + size + " bytes, more than the " + MAX_FILE + " a JSON file of dst4j has");
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file));
        CharBuffer out = CharBuffer.allocate(in.capacity());
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder(); // reports malformed input rather than replacing it
        CoderResult r = utf8.decode(in, out, true);
        if (!r.isError()) r = utf8.flush(out);
        if (r.isError()) throw new IOException(file + ": byte " + in.position() + " is not UTF-8 text");
        String text = out.flip().toString();
        // Editors on Windows start UTF-8 with a byte order mark, which the parser refused as an invisible character.
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** Parses one JSON value (surrounding whitespace allowed, nothing else). */
    public static Object parse(String text) {
        Parser p = new Parser(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != text.length()) throw p.error("end of input");
        return v;
    }

    /** Parses a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) throw new IllegalArgumentException("expected a JSON object, got " + (v == null ? "null" : v.getClass().getSimpleName()));
        return (Map<String, Object>) v;
    }

    /**
     * A read-only deep copy of {@code m}: nested objects and arrays copied and unmodifiable at every level, other
     * values kept (numbers, strings, booleans, null); a primitive array becomes an unmodifiable list of its boxed
     * elements, as the JSON array a file holds reads back. For headers handed out by a model, which a caller's change
     * must not reach.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> frozen(Map<String, Object> m) {
        return (Map<String, Object>) frozenValue(m);
    }

    private static Object frozenValue(Object v) {
        return switch (v) {
            case Map<?, ?> m -> {
                Map<Object, Object> c = new LinkedHashMap<>();
                m.forEach((k, x) -> c.put(k, frozenValue(x)));
                yield Collections.unmodifiableMap(c);
            }
            case List<?> l -> {
                List<Object> c = new ArrayList<>(l.size());
                for (Object x : l) c.add(frozenValue(x));
                yield Collections.unmodifiableList(c);
            }
            // as the JSON array a file would hold: a copied array could still be written through by whoever got it
            case int[] a -> IntStream.of(a).boxed().toList();
            case long[] a -> LongStream.of(a).boxed().toList();
            case float[] a -> { List<Object> c = new ArrayList<>(a.length); for (float x : a) c.add(x); yield Collections.unmodifiableList(c); }
            case double[] a -> DoubleStream.of(a).boxed().toList();
            case null, default -> v;
        };
    }

    // A header or manifest nests 3 levels; each level is three stack frames, and "[[[[..." of a file's size
    // overflowed the stack (a StackOverflowError, not a parse error naming the offset).
    private static final int MAX_DEPTH = 256;

    private static final class Parser {
        final String s;
        int i;
        int depth;

        Parser(String s) {
            this.s = s;
        }

        IllegalArgumentException error(String expected) {
            int line = 1, col = 1;
            for (int k = 0; k < Math.min(i, s.length()); k++) {
                if (s.charAt(k) == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
            // A control character (a newline in a hand-edited string, an escape code) named, not printed: it broke the one-line error.
            char c = i < s.length() ? s.charAt(i) : 0;
            String found = i >= s.length() ? "end of input" : c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)
                    ? String.format("U+%04X", (int) c) : "'" + c + "'";
            return new IllegalArgumentException("JSON: expected " + expected + " at offset " + i + " (line " + line + ", column " + col + "), found " + found);
        }

        void ws() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) i++;
        }

        Object value() {
            if (i >= s.length()) throw error("a value");
            char c = s.charAt(i);
            if ((c == '{' || c == '[') && depth == MAX_DEPTH) throw error("at most " + MAX_DEPTH + " nested arrays and objects");
            return switch (c) {
                case '{' -> nested(true);
                case '[' -> nested(false);
                case '"' -> str();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield num();
                    throw error("a value");
                }
            };
        }

        Object nested(boolean object) {
            depth++;
            Object v = object ? object() : array();
            depth--;
            return v;
        }

        Object literal(String word, Object v) {
            if (!s.startsWith(word, i)) throw error("'" + word + "'");
            i += word.length();
            return v;
        }

        Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == '}') {
                i++;
                return m;
            }
            while (true) {
                ws();
                if (i >= s.length() || s.charAt(i) != '"') throw error("a string key");
                String k = str();
                ws();
                if (i >= s.length() || s.charAt(i) != ':') throw error("':'");
                i++;
                ws();
                if (m.containsKey(k)) throw error("no duplicate key '" + k + "'");
                m.put(k, value());
                ws();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                    continue;
                }
                if (i < s.length() && s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                throw error("',' or '}'");
            }
        }

        List<Object> array() {
            List<Object> l = new ArrayList<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == ']') {
                i++;
                return l;
            }
            while (true) {
                ws();
                l.add(value());
                ws();
                if (i < s.length() && s.charAt(i) == ',') {
                    i++;
                    continue;
                }
                if (i < s.length() && s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                throw error("',' or ']'");
            }
        }

        String str() {
            StringBuilder sb = new StringBuilder();
            i++;
            while (true) {
                if (i >= s.length()) throw error("closing '\"'");
                char c = s.charAt(i++);
                if (c == '"') return sb.toString();
                if (c < 0x20) {
                    i--;
                    throw error("no control character in a string");
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                if (i >= s.length()) throw error("an escape");
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) throw error("4 hex digits");
                        // HexFormat, not Integer.parseInt: that took a sign and any script's digits ("\\u+041" read as 'A')
                        for (int k = i; k < i + 4; k++) if (!HexFormat.isHexDigit(s.charAt(k))) throw error("4 hex digits");
                        sb.append((char) HexFormat.fromHexDigits(s, i, i + 4));
                        i += 4;
                    }
                    default -> {
                        i--;
                        throw error("a valid escape");
                    }
                }
            }
        }

        // Not Character.isDigit: it takes any script's digits, which Long.parseLong then read ("1" and an Arabic-Indic 3 as 13).
        private boolean digitAt(int k) {
            return k < s.length() && s.charAt(k) >= '0' && s.charAt(k) <= '9';
        }

        Object num() {
            int start = i;
            if (s.charAt(i) == '-') i++;
            if (!digitAt(i)) throw error("a digit");
            if (s.charAt(i) == '0') i++;
            else while (digitAt(i)) i++;
            boolean integer = true;
            if (i < s.length() && s.charAt(i) == '.') {
                integer = false;
                i++;
                if (!digitAt(i)) throw error("a digit after '.'");
                while (digitAt(i)) i++;
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                integer = false;
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
                if (!digitAt(i)) throw error("an exponent digit");
                while (digitAt(i)) i++;
            }
            String t = s.substring(start, i);
            if (integer) {
                try {
                    return Long.parseLong(t);
                } catch (NumberFormatException e) {
                    return Double.parseDouble(t);
                }
            }
            return Double.parseDouble(t);
        }
    }

    /** {@code m.get(key)} as a long, or an error naming the key. */
    public static long getLong(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Number n)) throw new IllegalArgumentException("field '" + key + "': expected a number, got " + m.get(key));
        return whole(n, "field '" + key + "'");
    }

    /** {@code m.get(key)} as an int, or an error naming the key: 2^32 + 8 read as a count is not 8. */
    public static int getInt(Map<String, Object> m, String key) {
        long v = getLong(m, key);
        if (v != (int) v) throw new IllegalArgumentException("field '" + key + "': " + v + " is outside the 32-bit integers");
        return (int) v;
    }

    // A count, seed or size written as 1.5 or 1e300 is no such thing: longValue() made them 1 and 2^63 - 1.
    private static long whole(Number n, String what) {
        if (n instanceof Double d && !(d == Math.rint(d) && Math.abs(d) < 0x1p63)) {
            throw new IllegalArgumentException(what + ": expected a whole number, got " + d);
        }
        return n.longValue();
    }

    /** {@code m.get(key)} as a double (null reads as NaN), or an error naming the key. */
    public static double getDouble(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null && m.containsKey(key)) return Double.NaN;
        if (!(v instanceof Number n)) throw new IllegalArgumentException("field '" + key + "': expected a number, got " + v);
        return n.doubleValue();
    }

    /** {@code m.get(key)} as a boolean, or an error naming the key. */
    public static boolean getBoolean(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Boolean b)) throw new IllegalArgumentException("field '" + key + "': expected true or false, got " + m.get(key));
        return b;
    }

    /** {@code m.get(key)} as a string, or an error naming the key. */
    public static String getString(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof String s)) throw new IllegalArgumentException("field '" + key + "': expected a string, got " + m.get(key));
        return s;
    }

    /** {@code m.get(key)} as an object, or an error naming the key. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> getObject(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Map<?, ?> o)) throw new IllegalArgumentException("field '" + key + "': expected an object, got " + m.get(key));
        return (Map<String, Object>) o;
    }

    /** {@code m.get(key)} as a list of whole numbers, or an error naming the key. */
    public static long[] getLongs(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof List<?> l)) throw new IllegalArgumentException("field '" + key + "': expected an array, got " + m.get(key));
        long[] out = new long[l.size()];
        for (int k = 0; k < out.length; k++) {
            if (!(l.get(k) instanceof Number n)) throw new IllegalArgumentException("field '" + key + "'[" + k + "]: expected a number");
            out[k] = whole(n, "field '" + key + "'[" + k + "]");
        }
        return out;
    }

    /** {@code m.get(key)} as a list of 32-bit whole numbers, or an error naming the key and the entry. */
    public static int[] getInts(Map<String, Object> m, String key) {
        long[] l = getLongs(m, key);
        int[] out = new int[l.length];
        for (int k = 0; k < l.length; k++) {
            out[k] = (int) l[k];
            if (out[k] != l[k]) throw new IllegalArgumentException("field '" + key + "'[" + k + "]: " + l[k] + " is outside the 32-bit integers");
        }
        return out;
    }
}
