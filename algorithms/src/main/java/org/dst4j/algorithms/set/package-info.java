/**
 * SET (Mocanu et al., 2018): sparse evolutionary training of an MLP classifier, with checkpoints to
 * resume a run, and the benchmark of epoch time and memory against network size.
 */
package org.dst4j.algorithms.set;
