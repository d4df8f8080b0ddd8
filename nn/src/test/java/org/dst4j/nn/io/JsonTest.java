package org.dst4j.nn.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JSON of manifests, checkpoint headers and metrics logs: written so that it reads back as it was, parsed strictly,
 * and every error names the offset, line and column, what was expected and what was found there.
 */
class JsonTest {

    private static void refused(String text, String message) {
        assertThatThrownBy(() -> Json.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class).hasMessage("JSON: " + message);
    }

    @Test
    void numbersAreWrittenAsTheyReadBack() {
        assertThat(Json.write(3.0)).isEqualTo("3.0");
        assertThat(Json.write(-2.0)).isEqualTo("-2.0");
        assertThat(Json.write(0.5)).isEqualTo("0.5");
        // a whole double below 10^15 keeps its digits; from 10^15 on, Java's exponent form (both read back as doubles)
        assertThat(Json.write(999_999_999_999_999.0)).isEqualTo("999999999999999.0");
        assertThat(Json.write(1e15)).isEqualTo("1.0E15");
        assertThat(Json.write(Double.POSITIVE_INFINITY)).isEqualTo("null");
        assertThat(Json.write(Float.NaN)).isEqualTo("null");
        assertThat(Json.write(7)).isEqualTo("7");
        assertThat(Json.write(-7L)).isEqualTo("-7");
        // the sign of a negative zero is kept (written "0.0", it would read back as a positive zero)
        assertThat(Json.write(-0.0)).isEqualTo("-0.0");
        assertThat(Json.write(-0.0f)).isEqualTo("-0.0");
        assertThat(Json.write(0.0)).isEqualTo("0.0");
        assertThat((double) Json.parse(Json.write(-0.0))).isEqualTo(-0.0).isNegative();
        assertThat(Json.parse("1.0E15")).isEqualTo(1e15);
        // other numbers as they are, or refused: not every Number as its longValue(), 1.5 as 1
        assertThat(Json.write(new BigDecimal("1.5"))).isEqualTo("1.5");
        assertThat(Json.parse(Json.write(new BigDecimal("1E+3")))).isEqualTo(1000.0);
        assertThat(Json.write(BigInteger.TWO.pow(70))).isEqualTo("1180591620717411303424");
        assertThat(Json.write((short) -3)).isEqualTo("-3");
        assertThatThrownBy(() -> Json.write(new AtomicLong(3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("cannot write java.util.concurrent.atomic.AtomicLong as JSON");
    }

    @Test
    void integersParseAsLongsAndTheRestAsDoubles() {
        assertThat(Json.parse("0")).isEqualTo(0L);
        assertThat(Json.parse("9")).isEqualTo(9L);
        assertThat(Json.parse("-7")).isEqualTo(-7L);
        assertThat(Json.parse("120")).isEqualTo(120L);
        assertThat(Json.parse("2.50")).isEqualTo(2.5);
        assertThat(Json.parse("-0.25")).isEqualTo(-0.25);
        assertThat(Json.parse("1e3")).isEqualTo(1000.0);
        assertThat(Json.parse("1E3")).isEqualTo(1000.0);
        assertThat(Json.parse("2e+2")).isEqualTo(200.0);
        assertThat(Json.parse("1.5e-3")).isEqualTo(0.0015);
        assertThat(Json.parse("[5,6e1]")).isEqualTo(List.of(5L, 60.0));
        // too large for a long: read as the nearest double rather than refused
        assertThat(Json.parse("12345678901234567890")).isEqualTo(1.2345678901234567e19);
    }

    @Test
    void numbersOutsideJsonsGrammarAreRefusedAtTheOffendingCharacter() {
        refused("01", "expected end of input at offset 1 (line 1, column 2), found '1'");
        refused("-", "expected a digit at offset 1 (line 1, column 2), found end of input");
        refused("-a", "expected a digit at offset 1 (line 1, column 2), found 'a'");
        refused("1.", "expected a digit after '.' at offset 2 (line 1, column 3), found end of input");
        refused("1.e5", "expected a digit after '.' at offset 2 (line 1, column 3), found 'e'");
        refused("1e", "expected an exponent digit at offset 2 (line 1, column 3), found end of input");
        refused("1e+", "expected an exponent digit at offset 3 (line 1, column 4), found end of input");
        refused("1e-x", "expected an exponent digit at offset 3 (line 1, column 4), found 'x'");
        refused("+1", "expected a value at offset 0 (line 1, column 1), found '+'");
        refused(".5", "expected a value at offset 0 (line 1, column 1), found '.'");
        // the characters just before '0' and just after '9'
        refused("/", "expected a value at offset 0 (line 1, column 1), found '/'");
        refused(":", "expected a value at offset 0 (line 1, column 1), found ':'");
    }

    // Character.isDigit and Long.parseLong take any script's digits: "1" and an Arabic-Indic 3 would read as 13, and
    // "1." and one be a NumberFormatException naming no offset.
    @Test
    void onlyAsciiDigitsMakeANumber() {
        refused("1\u0663", "expected end of input at offset 1 (line 1, column 2), found '\u0663'");
        refused("-\u0663", "expected a digit at offset 1 (line 1, column 2), found '\u0663'");
        refused("1.\u0663", "expected a digit after '.' at offset 2 (line 1, column 3), found '\u0663'");
        refused("1e\u0663", "expected an exponent digit at offset 2 (line 1, column 3), found '\u0663'");
        refused("[1.5\uff10]", "expected ',' or ']' at offset 4 (line 1, column 5), found '\uff10'");
    }

    @Test
    void stringsAreWrittenWithTheEscapesJsonNeeds() {
        // a space is itself; the control characters below it are escaped
        assertThat(Json.write("q\"b\\s\nr\rt\t\u0001 \u001f\u007f"))
                .isEqualTo("\"q\\\"b\\\\s\\nr\\rt\\t\\u0001 \\u001f\u007f\"");
        // files are UTF-8: every other character as it is
        assertThat(Json.write("caf\u00e9 \ud83c\udfb2")).isEqualTo("\"caf\u00e9 \ud83c\udfb2\"");
    }

    // Under the C locale stdout is ASCII and the JVM printed each character it could not encode as '?'.
    @Test
    void forACharsetOnlyTheCharactersItCannotEncodeAreEscaped() {
        assertThat(Json.write("caf\u00e9 \u0080 \ud83c\udfb2", StandardCharsets.US_ASCII)).isEqualTo("\"caf\\u00e9 \\u0080 \\ud83c\\udfb2\"");
        assertThat(Json.write("plain \u007f", StandardCharsets.US_ASCII)).isEqualTo("\"plain \u007f\"");
        // Latin-1 holds the accent but not the euro sign or the die: only those escaped
        assertThat(Json.write("\u00e9\u20ac\ud83c\udfb2", StandardCharsets.ISO_8859_1)).isEqualTo("\"\u00e9\\u20ac\\ud83c\\udfb2\"");
        // UTF-8 holds everything: nothing escaped, not even a pair of surrogates
        assertThat(Json.write("\u00e9\ud83c\udfb2", StandardCharsets.UTF_8)).isEqualTo("\"\u00e9\ud83c\udfb2\"");
        // keys too, and control characters whatever the charset
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cl\u00e9", List.of("\u00e9\n"));
        assertThat(Json.write(m, StandardCharsets.US_ASCII)).isEqualTo("{\"cl\\u00e9\":[\"\\u00e9\\n\"]}");
        assertThat(Json.parse(Json.write(m, StandardCharsets.US_ASCII))).isEqualTo(m);
    }

    @Test
    void stringsParseWithEveryEscape() {
        assertThat(Json.parse("\"a b\"")).isEqualTo("a b");
        assertThat(Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u00C9\\ud83c\\udfb2\""))
                .isEqualTo("\"\\/\b\f\n\r\t\u00e9\u00c9\ud83c\udfb2");
        assertThat(Json.parse("\"\"")).isEqualTo("");
        // the first and last digit and letter of each case
        assertThat(Json.parse("\"\\u09aF\\uAf00\"")).isEqualTo("\u09af\uaf00");
    }

    @Test
    void badStringsAreRefusedAtTheOffendingCharacter() {
        // Integer.parseInt takes a sign and any script's digits: "\\u+041" would read as 'A', "\\u-041" as U+FFBF
        refused("\"\\u+041\"", "expected 4 hex digits at offset 3 (line 1, column 4), found '+'");
        refused("\"\\u-041\"", "expected 4 hex digits at offset 3 (line 1, column 4), found '-'");
        refused("\"\\u\u0660\u0660\u0664\u0661\"", "expected 4 hex digits at offset 3 (line 1, column 4), found '\u0660'");
        for (char notHex : new char[] {'/', ':', '`', 'g', '@', 'G'}) {
            refused("\"\\u00" + notHex + "0\"", "expected 4 hex digits at offset 3 (line 1, column 4), found '0'");
        }
        refused("\"abc", "expected closing '\"' at offset 4 (line 1, column 5), found end of input");
        refused("\"a\\", "expected an escape at offset 3 (line 1, column 4), found end of input");
        refused("\"\\x\"", "expected a valid escape at offset 2 (line 1, column 3), found 'x'");
        refused("\"\\u00", "expected 4 hex digits at offset 3 (line 1, column 4), found '0'");
        refused("\"\\u00e\"", "expected 4 hex digits at offset 3 (line 1, column 4), found '0'");
        // four digits that end the text are an escape; what is missing is the closing quote
        refused("\"\\u00e9", "expected closing '\"' at offset 7 (line 1, column 8), found end of input");
        refused("\"a\tb\"", "expected no control character in a string at offset 2 (line 1, column 3), found U+0009");
    }

    @Test
    void whitespaceIsAllowedBetweenAnyTokensAndAroundTheValue() {
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("a", List.of(1L, 2L));
        expected.put("b", Map.of());
        expected.put("c", List.of());
        assertThat(Json.parse(" \t\r\n{ \"a\" : [ 1 , 2 ] ,\n\"b\" : { } , \"c\" : [ ] }\r\n ")).isEqualTo(expected);
        assertThat(Json.parse("{\"a\":[1,2],\"b\":{},\"c\":[]}")).isEqualTo(expected);
        assertThat(Json.parse("[]")).isEqualTo(List.of());
        assertThat(Json.parse("{}")).isEqualTo(Map.of());
        assertThat(Json.parse(" true ")).isEqualTo(true);
        assertThat(Json.parse("false")).isEqualTo(false);
        assertThat(Json.parse("null")).isNull();
    }

    @Test
    void unfinishedInputNamesWhatWasExpectedAtItsEnd() {
        refused("", "expected a value at offset 0 (line 1, column 1), found end of input");
        refused("  ", "expected a value at offset 2 (line 1, column 3), found end of input");
        refused("{", "expected a string key at offset 1 (line 1, column 2), found end of input");
        refused("{1:2}", "expected a string key at offset 1 (line 1, column 2), found '1'");
        refused("{\"a\"", "expected ':' at offset 4 (line 1, column 5), found end of input");
        refused("{\"a\" 1", "expected ':' at offset 5 (line 1, column 6), found '1'");
        refused("{\"a\":1", "expected ',' or '}' at offset 6 (line 1, column 7), found end of input");
        refused("{\"a\":1,", "expected a string key at offset 7 (line 1, column 8), found end of input");
        refused("{\"a\":1,\"a\":2}", "expected no duplicate key 'a' at offset 11 (line 1, column 12), found '2'");
        refused("[", "expected a value at offset 1 (line 1, column 2), found end of input");
        refused("[1", "expected ',' or ']' at offset 2 (line 1, column 3), found end of input");
        refused("[1}", "expected ',' or ']' at offset 2 (line 1, column 3), found '}'");
        refused("[1,", "expected a value at offset 3 (line 1, column 4), found end of input");
        refused("tru", "expected 'true' at offset 0 (line 1, column 1), found 't'");
        refused("nul", "expected 'null' at offset 0 (line 1, column 1), found 'n'");
        refused("fals", "expected 'false' at offset 0 (line 1, column 1), found 'f'");
    }

    @Test
    void anErrorOnALaterLineNamesItsLineAndColumn() {
        refused("{\n  \"a\": tru\n}", "expected 'true' at offset 9 (line 2, column 8), found 't'");
        refused("[1,\n2,\n\n  x]", "expected a value at offset 10 (line 4, column 3), found 'x'");
    }

    // What was found is named, not printed, when printing it would break or hide the one-line message.
    @Test
    void controlCharactersFoundAreNamedByCodePoint() {
        refused("- ", "expected a digit at offset 1 (line 1, column 2), found ' '");
        refused("\u007f", "expected a value at offset 0 (line 1, column 1), found U+007F");
        refused("\u0080", "expected a value at offset 0 (line 1, column 1), found U+0080");
        refused("\u009f", "expected a value at offset 0 (line 1, column 1), found U+009F");
        refused("\u00a0", "expected a value at offset 0 (line 1, column 1), found '\u00a0'");
        refused("\u007e", "expected a value at offset 0 (line 1, column 1), found '~'");
    }

    // "[[[[..." as long as a file: an error naming the offset, not a stack overflow.
    @Test
    void nestingDeeperThan256IsAnErrorWhileSiblingsAreNotLimited() {
        Object deepest = Json.parse("[".repeat(256) + "]".repeat(256));
        for (int level = 1; level < 256; level++) deepest = ((List<?>) deepest).getFirst();
        assertThat(deepest).isEqualTo(List.of());
        refused("[".repeat(257) + "]".repeat(257),
                "expected at most 256 nested arrays and objects at offset 256 (line 1, column 257), found '['");
        refused("[".repeat(256) + "{}" + "]".repeat(256),
                "expected at most 256 nested arrays and objects at offset 256 (line 1, column 257), found '{'");
        // leaving an array or object gives its level back: 300 in a row, half holding one more, stay within the limit
        List<?> siblings = (List<?>) Json.parse("[[]," + "[[]],{\"a\":{}},".repeat(150) + "[]]");
        assertThat(siblings).hasSize(302);
        assertThat(siblings.get(1)).isEqualTo(List.of(List.of()));
    }

    @Test
    void parseObjectRefusesAnyOtherValueNamingWhatItWas() {
        assertThat(Json.parseObject(" {\"a\":1} ")).isEqualTo(Map.of("a", 1L));
        assertThatThrownBy(() -> Json.parseObject("[1]")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected a JSON object, got ArrayList");
        assertThatThrownBy(() -> Json.parseObject("null")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected a JSON object, got null");
        assertThatThrownBy(() -> Json.parseObject("\"x\"")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected a JSON object, got String");
    }

    @Test
    void everyKindOfValueIsWrittenAndAnythingElseIsRefused() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", null);
        m.put("b", true);
        m.put("i", new int[] {1, -2});
        m.put("l", new long[] {3_000_000_000L});
        m.put("f", new float[] {0.5f, 0.1f});
        m.put("d", new double[] {1, Double.NaN, 0.1});
        m.put("o", new Object[] {"x", 1});
        m.put("e", List.of());
        m.put("m", Map.of());
        String text = "{\"n\":null,\"b\":true,\"i\":[1,-2],\"l\":[3000000000],\"f\":[0.5,0.1],\"d\":[1.0,null,0.1],\"o\":[\"x\",1],\"e\":[],\"m\":{}}";
        assertThat(Json.write(m)).isEqualTo(text);
        assertThat(Json.write(m, StandardCharsets.US_ASCII)).isEqualTo(text);
        assertThatThrownBy(() -> Json.write(new Object())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot write java.lang.Object as JSON");
        assertThatThrownBy(() -> Json.write(List.of(new StringBuilder("x")))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot write java.lang.StringBuilder as JSON");
    }

    @Test
    void readFileDropsAByteOrderMarkAndNamesTheFileAndByteThatIsNotUtf8(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("manifest.json");
        Files.write(f, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'});
        assertThat(Json.readFile(f)).isEqualTo("{}");
        Files.writeString(f, "\"caf\u00e9\"", StandardCharsets.UTF_8);
        assertThat(Json.readFile(f)).isEqualTo("\"caf\u00e9\"");
        Files.write(f, new byte[] {'"', 'a', (byte) 0xFF, '"'});
        assertThatThrownBy(() -> Json.readFile(f)).isInstanceOf(IOException.class).hasMessage(f + ": byte 2 is not UTF-8 text");
        // a file cut inside a character
        Files.write(f, new byte[] {'"', 'c', 'a', 'f', (byte) 0xC3});
        assertThatThrownBy(() -> Json.readFile(f)).isInstanceOf(IOException.class).hasMessage(f + ": byte 4 is not UTF-8 text");
    }

    // Headers handed out by a model: a caller's change must reach neither the model's copy nor come from the original.
    @Test
    void frozenIsADeepReadOnlyCopy() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("b", 2L);
        List<Object> list = new ArrayList<>(List.of(1L, inner));
        int[] ints = {1, 2};
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", list);
        m.put("i", ints);
        m.put("l", new long[] {3});
        m.put("f", new float[] {0.5f});
        m.put("d", new double[] {1.5});
        m.put("s", "x");
        m.put("n", null);
        Map<String, Object> frozen = Json.frozen(m);
        assertThat(frozen).containsExactly(Map.entry("z", List.of(1L, Map.of("b", 2L))), Map.entry("i", List.of(1, 2)),
                Map.entry("l", List.of(3L)), Map.entry("f", List.of(0.5f)), Map.entry("d", List.of(1.5)), Map.entry("s", "x"),
                new AbstractMap.SimpleEntry<>("n", null));
        // the original changed afterwards, at every level
        m.put("new", 1L);
        list.add(9L);
        inner.put("c", 3L);
        ints[0] = 7;
        assertThat(frozen).doesNotContainKey("new");
        assertThat(frozen.get("z")).isEqualTo(List.of(1L, Map.of("b", 2L)));
        assertThat(frozen.get("i")).isEqualTo(List.of(1, 2));
        // and the copy cannot be changed at any level
        @SuppressWarnings("unchecked")
        Map<String, Object> frozenInner = (Map<String, Object>) ((List<?>) frozen.get("z")).get(1);
        assertThatThrownBy(() -> frozen.put("new", 1L)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> frozenInner.put("c", 3L)).isInstanceOf(UnsupportedOperationException.class);
        for (String key : List.of("z", "i", "l", "f", "d")) {
            assertThatThrownBy(() -> ((List<?>) frozen.get(key)).clear()).as(key).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Test
    void gettersConvertOrNameTheFieldAndWhatItHeld() {
        Map<String, Object> m = Json.parseObject("{\"n\":7,\"min\":-2147483648,\"big\":4294967304,\"half\":1.5,\"two\":2.0,\"huge\":1e300,"
                + "\"p63\":9223372036854775808,\"below\":9.2233720368547748E18,\"nul\":null,\"s\":\"abc\",\"t\":true,\"f\":false,"
                + "\"o\":{\"k\":1},\"arr\":[1,2.0,-3],\"empty\":[],\"bad\":[\"x\"],\"frac\":[1,0.5],\"wide\":[1,4294967304]}");
        assertThat(Json.getLong(m, "n")).isEqualTo(7);
        assertThat(Json.getLong(m, "two")).isEqualTo(2);
        assertThat(Json.getLong(m, "big")).isEqualTo(4294967304L);
        // 2^63 - 1024, the largest double below 2^63, is a long; 2^63 itself (an integer too large, read as a double) is not
        assertThat(Json.getLong(m, "below")).isEqualTo(9223372036854774784L);
        badField(() -> Json.getLong(m, "p63"), "field 'p63': expected a whole number, got 9.223372036854776E18");
        badField(() -> Json.getLong(m, "half"), "field 'half': expected a whole number, got 1.5");
        badField(() -> Json.getLong(m, "huge"), "field 'huge': expected a whole number, got 1.0E300");
        badField(() -> Json.getLong(m, "s"), "field 's': expected a number, got abc");
        badField(() -> Json.getLong(m, "gone"), "field 'gone': expected a number, got null");

        assertThat(Json.getInt(m, "n")).isEqualTo(7);
        assertThat(Json.getInt(m, "min")).isEqualTo(Integer.MIN_VALUE);
        badField(() -> Json.getInt(m, "big"), "field 'big': 4294967304 is outside the 32-bit integers");

        assertThat(Json.getDouble(m, "half")).isEqualTo(1.5);
        assertThat(Json.getDouble(m, "n")).isEqualTo(7.0);
        assertThat(Json.getDouble(m, "nul")).isNaN(); // a NaN is written as null
        badField(() -> Json.getDouble(m, "gone"), "field 'gone': expected a number, got null");
        badField(() -> Json.getDouble(m, "s"), "field 's': expected a number, got abc");

        assertThat(Json.getBoolean(m, "t")).isTrue();
        assertThat(Json.getBoolean(m, "f")).isFalse();
        badField(() -> Json.getBoolean(m, "n"), "field 'n': expected true or false, got 7");
        assertThat(Json.getString(m, "s")).isEqualTo("abc");
        badField(() -> Json.getString(m, "n"), "field 'n': expected a string, got 7");
        assertThat(Json.getObject(m, "o")).isEqualTo(Map.of("k", 1L));
        badField(() -> Json.getObject(m, "s"), "field 's': expected an object, got abc");

        assertThat(Json.getLongs(m, "arr")).containsExactly(1, 2, -3);
        assertThat(Json.getLongs(m, "empty")).isEmpty();
        badField(() -> Json.getLongs(m, "s"), "field 's': expected an array, got abc");
        badField(() -> Json.getLongs(m, "bad"), "field 'bad'[0]: expected a number");
        badField(() -> Json.getLongs(m, "frac"), "field 'frac'[1]: expected a whole number, got 0.5");
        assertThat(Json.getInts(m, "arr")).containsExactly(1, 2, -3);
        assertThat(Json.getInts(m, "empty")).isEmpty();
        badField(() -> Json.getInts(m, "wide"), "field 'wide'[1]: 4294967304 is outside the 32-bit integers");
    }

    private static void badField(ThrowableAssert.ThrowingCallable call, String message) {
        assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }
}
