/**
 * Off-heap memory: the arenas every matrix, dataset and buffer of dst4j is allocated from, counted, and
 * optionally limited.
 */
package org.dst4j.runtime.memory;
