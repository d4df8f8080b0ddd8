/**
 * How a feature selection is scored, as feature-selection papers do: ExtraTrees accuracy on the selected
 * features, and k-means clustering accuracy with clusters matched to classes by the Hungarian method.
 */
package org.dst4j.algorithms.evaluation;
