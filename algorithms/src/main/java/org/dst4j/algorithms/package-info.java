/**
 * The dynamic sparse training algorithms built on {@link org.dst4j.nn}, one package each, and what their
 * runs share: the progress listener and the checks of their config records.
 */
package org.dst4j.algorithms;
