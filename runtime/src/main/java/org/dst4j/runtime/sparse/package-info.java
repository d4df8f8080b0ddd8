/**
 * The off-heap CSR matrix that holds every sparse layer's weights, with side arrays for per-connection
 * state and a transpose index built on demand, rewired in place when the topology evolves.
 */
package org.dst4j.runtime.sparse;
