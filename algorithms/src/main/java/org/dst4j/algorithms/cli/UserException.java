package org.dst4j.algorithms.cli;

/** A problem with the user's files or data (not a bug): reported in one line, exit code 1. */
final class UserException extends Exception {
    /** @param message the one line shown after {@code dst4j <command>:} */
    public UserException(String message) {
        super(message);
    }

    /**
     * @param message the one line shown after {@code dst4j <command>:}
     * @param cause the underlying failure
     */
    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
