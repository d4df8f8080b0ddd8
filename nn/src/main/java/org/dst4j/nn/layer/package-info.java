/**
 * A sparse layer (CSR weights, biases, activation) with its forward and backward passes, the activations,
 * and counter-based dropout.
 */
package org.dst4j.nn.layer;
