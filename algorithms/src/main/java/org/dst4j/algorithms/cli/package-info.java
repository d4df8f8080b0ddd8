/**
 * The {@code dst4j} command line: one command per algorithm plus {@code predict}, {@code export},
 * {@code inspect}, {@code info} and {@code bench}, with their option parsing and run directories. Everything but
 * {@link org.dst4j.algorithms.cli.Main} is package-private: the Java API is the algorithm packages.
 */
package org.dst4j.algorithms.cli;
