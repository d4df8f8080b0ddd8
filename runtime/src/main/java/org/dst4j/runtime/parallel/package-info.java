/**
 * The worker pool that splits a job into static contiguous ranges, so that results do not depend on the
 * thread count.
 */
package org.dst4j.runtime.parallel;
