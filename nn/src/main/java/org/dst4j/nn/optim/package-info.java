/**
 * Optimizers that update a sparse layer's live connections (SGD with momentum as in the SET code, Adam
 * with decoupled weight decay), keeping their state in the weight matrix's side arrays, and learning-rate
 * schedules.
 */
package org.dst4j.nn.optim;
