/**
 * Where a sparse network starts: each layer's density (Erdős–Rényi, ERK, uniform), random sparse
 * topologies sampled in O(connections), and weight initializers.
 */
package org.dst4j.nn.init;
