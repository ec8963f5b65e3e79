package dev.kiln.engine.placement;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * A coordinator's share of the cluster's work: where its steps go, which of them it runs, and how
 * their outputs were made.
 */
record Coordination(
    ActorRef<Placement.Command> placement, ActorRef<StepClaims.Command> claims, Lineage lineage) {}
