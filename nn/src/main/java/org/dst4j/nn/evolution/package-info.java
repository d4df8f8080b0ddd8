/**
 * Dynamic sparse training's topology updates: prune rules (by magnitude, as SET and RigL), grow rules
 * (at random, or by gradient as RigL, either confined to a {@link org.dst4j.nn.evolution.GrowthRegion}
 * of a layer if need be) and schedules of when and how much, composed by
 * {@link org.dst4j.nn.evolution.TopologyEvolution}.
 */
package org.dst4j.nn.evolution;
