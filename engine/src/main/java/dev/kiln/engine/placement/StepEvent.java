package dev.kiln.engine.placement;

import dev.kiln.engine.run.LogStream;
import org.apache.pekko.actor.typed.ActorRef;

/** What a worker tells a coordinator: who it is, and what becomes of the steps placed on it. */
public sealed interface StepEvent extends ClusterMessage {
  /**
   * The answer to {@link StepWorker.Describe}: its cluster address, slots and where its data is
   * served.
   */
  record Described(ActorRef<StepWorker.Command> worker, String node, int slots, String dataUrl)
      implements StepEvent {}

  /** The step has an execution slot: it runs now, and it is no longer queued on the worker. */
  record StepStarted(String stepId) implements StepEvent {}

  /** A line of a step's output. */
  record StepLog(String stepId, LogStream stream, String line) implements StepEvent {}

  /** The step's output, held by the worker; {@code ran} is false for a result it had recorded. */
  record StepDone(String stepId, SnapshotRef output, boolean ran) implements StepEvent {}

  /** The step failed; its output came before as {@link StepLog} lines. */
  record StepFailed(String stepId, String message) implements StepEvent {}
}
