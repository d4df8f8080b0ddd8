/**
 * SpaceNet (Sokar, Mocanu, Pechenizkiy, 2021): class-incremental learning in one fixed sparse network,
 * each task placing its connections among free neurons and reserving its most important ones, with
 * fine-tuning and joint-training baselines.
 */
package org.dst4j.algorithms.spacenet;
