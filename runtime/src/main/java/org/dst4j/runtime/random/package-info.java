/**
 * Seeded random streams that can be split by name or index and saved and restored, and named streams
 * derived from one master seed, so that adding a consumer shifts no other's draws.
 */
package org.dst4j.runtime.random;
