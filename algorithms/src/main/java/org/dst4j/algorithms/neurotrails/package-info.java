/**
 * NeuroTrails (Grooten et al., 2025): a sparse backbone shared by dynamically sparse heads, compared at
 * an equal parameter budget with a single sparse network and a FreeTickets ensemble.
 */
package org.dst4j.algorithms.neurotrails;
