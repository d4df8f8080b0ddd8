/**
 * Sparse MLPs: the single network of sparse layers that trains and evolves, the multi-head network of a
 * shared backbone and heads, their shape ({@link org.dst4j.nn.network.MlpConfig}), and the
 * {@link org.dst4j.nn.network.Network} interface the trainer works on.
 */
package org.dst4j.nn.network;
