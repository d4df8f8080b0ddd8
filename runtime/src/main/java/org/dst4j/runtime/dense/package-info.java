/**
 * Off-heap dense float matrices stored feature-major (a layer's neurons by a batch's samples), and the
 * argmax that turns their columns, or any row-major scores, into predicted classes.
 */
package org.dst4j.runtime.dense;
