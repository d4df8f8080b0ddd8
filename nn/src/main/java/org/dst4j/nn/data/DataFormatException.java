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
}
