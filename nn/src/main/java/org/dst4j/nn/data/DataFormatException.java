package org.dst4j.nn.data;

/**
 * A data file or option that cannot be used; the message names the file, position and what was expected.
 * Option mistakes are the subclass {@link DataOptionException}.
 */
public class DataFormatException extends Exception {
    /** @param message names the file, the position in it and what was expected */
    public DataFormatException(String message) {
        super(message);
    }

    /**
     * @param message names the file, the position in it and what was expected
     * @param cause the failure that revealed it
     */
    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    // Text of a file quoted in a message: a damaged file's bytes (a newline, a terminal's escape codes, a megabyte of one
    // "cell") made the one-line error many lines, or wrote to the terminal.
    static String shown(String text) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (; i < text.length() && sb.length() < 80; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        // Cut by what was left, not by the text's length: escapes fill the 80 before the end of a shorter text.
        return i == text.length() ? sb.toString() : sb + "... (" + text.length() + " characters)";
    }
}
