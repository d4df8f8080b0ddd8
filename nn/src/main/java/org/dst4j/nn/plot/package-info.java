/**
 * PNG charts of run outputs drawn with the JDK's own imaging (off-screen, no dependencies): line and bar
 * charts, heatmaps and per-pixel maps.
 */
package org.dst4j.nn.plot;
