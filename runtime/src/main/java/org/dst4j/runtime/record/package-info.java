/**
 * Value semantics for records that hold arrays: equality, hash and string by content, and deep copies
 * for their defensive copies. In runtime, the module every other depends on, so that the results and
 * configurations of nn and algorithms share one implementation.
 */
package org.dst4j.runtime.record;
