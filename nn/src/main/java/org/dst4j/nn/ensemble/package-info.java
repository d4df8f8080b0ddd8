/**
 * Measures of an ensemble against its members: accuracy, NLL and calibration of the averaged prediction,
 * the members' disagreement and KL divergence, and how far apart their topologies are.
 */
package org.dst4j.nn.ensemble;
