/**
 * The mini-batch training loop with topology evolution between epochs, its per-epoch metrics, the
 * evaluation of a network on a dataset, and input noise for denoising autoencoders.
 */
package org.dst4j.nn.train;
