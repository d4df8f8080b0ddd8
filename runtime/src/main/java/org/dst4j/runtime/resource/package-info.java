/**
 * Closing composite resources: every part is closed even when one fails.
 */
package org.dst4j.runtime.resource;
