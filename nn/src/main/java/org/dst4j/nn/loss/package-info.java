/**
 * Training losses over a batch of outputs: softmax cross-entropy for classifiers, mean squared error for
 * autoencoders.
 */
package org.dst4j.nn.loss;
