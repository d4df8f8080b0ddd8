/** Neural-network parts on the runtime: layers, losses, optimizers, topology evolution, data, checkpoints. */
package org.dst4j.nn;
