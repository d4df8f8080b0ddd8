package org.dst4j.algorithms.cli;

/** A problem with the user's files or data (not a bug): reported in one line, exit code 1. */
public final class UserException extends Exception {
    public UserException(String message) {
        super(message);
    }

    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
