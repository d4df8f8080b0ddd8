/**
 * FreeTickets (Liu et al., ICLR 2022): ensembles of sparse networks trained by dynamic sparse training,
 * DST (independent members) and EDST (tickets taken from one run).
 */
package org.dst4j.algorithms.freetickets;
