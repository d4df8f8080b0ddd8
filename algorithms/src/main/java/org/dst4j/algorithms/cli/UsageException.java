package org.dst4j.algorithms.cli;

/** A bad command line: reported in one line, exit code 2. */
final class UsageException extends Exception {
    /** @param message the one line shown after {@code dst4j <command>:} */
    public UsageException(String message) {
        super(message);
    }
}
