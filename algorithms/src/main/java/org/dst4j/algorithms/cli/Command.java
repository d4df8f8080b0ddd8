package org.dst4j.algorithms.cli;

/** A subcommand of the {@code dst4j} command line. */
interface Command {
    /** One line for the command list. */
    String summary();

    /** Runs with the arguments after the command name; returns the exit code. */
    int run(String[] args) throws UsageException, UserException;
}
