package org.dst4j.nn.data;

/**
 * A data option that is wrong in itself or contradicts another one (an unknown dataset, a .npy file
 * without its labels), as opposed to a file that cannot be used: a command line reports it as a usage
 * error. The message names the option and what was expected.
 */
public final class DataOptionException extends DataFormatException {
    /** @param message names the option and what was expected */
    public DataOptionException(String message) {
        super(message);
    }
}
