/**
 * Trained models for inference: a single network, an ensemble or a multi-head network behind
 * {@link org.dst4j.nn.model.Classifier}, and the model file they are saved in. Apart from
 * {@link org.dst4j.nn.network}, whose networks they wrap, so that what prediction needs (standardizing raw
 * samples, loading, serving several threads) stays out of the code that trains.
 */
package org.dst4j.nn.model;
