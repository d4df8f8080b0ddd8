package org.dst4j.algorithms.cli;

/** A bad command line: reported in one line, exit code 2. */
public final class UsageException extends Exception {
    public UsageException(String message) {
        super(message);
    }
}
