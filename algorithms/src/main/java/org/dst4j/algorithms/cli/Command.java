package org.dst4j.algorithms.cli;

import java.io.IOException;
import org.dst4j.nn.data.DataFormatException;

/** A subcommand of the {@code dst4j} command line. */
interface Command {
    /** One line for the command list. */
    String summary();

    /**
     * Runs with the arguments after the command name; returns the exit code. Unreadable files, malformed
     * data and a diverged run are the user's problems, not bugs: {@link Main#run} reports them in one line.
     */
    int run(String[] args) throws UsageException, UserException, IOException, DataFormatException;
}
