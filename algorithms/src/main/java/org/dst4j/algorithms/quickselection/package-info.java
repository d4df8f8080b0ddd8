/**
 * QuickSelection (Atashgahi et al., 2022): unsupervised feature selection by the strength of the input
 * neurons of a sparse denoising autoencoder trained with SET.
 */
package org.dst4j.algorithms.quickselection;
