/**
 * File formats and safe writing: the versioned, checksummed checkpoint file, a small strict JSON,
 * JSON-lines metrics logs and all-or-nothing file writes.
 */
package org.dst4j.nn.io;
