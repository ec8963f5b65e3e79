package dev.kiln.engine.placement;

import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A worker node's door for steps placed by the cluster's coordinators: registered with the
 * receptionist, it answers who it is and runs each step it is given as a {@link StepRun} of its
 * own, under this node's execution slots.
 */
public final class StepWorker extends AbstractBehavior<StepWorker.Command> {
  /** The key workers register under. */
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "kiln-worker");

  /** The protocol. */
  public sealed interface Command permits Describe, RunStep, CancelStep, RunEnded {}

  /** Asks for {@link StepEvent.Described}. */
  public record Describe(ActorRef<StepEvent> replyTo) implements Command, ClusterMessage {}

  /**
   * Runs a step; its log, then its end, go to {@code replyTo}. Of the steps waiting for this node's
   * slots, the one of the highest {@code priority} goes first (the coordinator's critical-path
   * order).
   */
  public record RunStep(
      String stepId, StepRequest request, int priority, ActorRef<StepEvent> replyTo)
      implements Command, ClusterMessage {}

  /** The coordinator no longer wants the step: it stops, and nothing more is said of it. */
  public record CancelStep(String stepId, ActorRef<StepEvent> replyTo)
      implements Command, ClusterMessage {}

  private record RunEnded(String run) implements Command {}

  private final StepRun.Services services;
  private final Map<String, ActorRef<StepRun.Command>> runs = new HashMap<>();
  private long counter;

  public static Behavior<Command> create(StepRun.Services services) {
    return Behaviors.setup(
        context -> {
          context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
          return new StepWorker(context, services);
        });
  }

  private StepWorker(ActorContext<Command> context, StepRun.Services services) {
    super(context);
    this.services = services;
  }

  @Override
  public org.apache.pekko.actor.typed.javadsl.Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(
            Describe.class,
            describe -> {
              describe
                  .replyTo()
                  .tell(
                      new StepEvent.Described(
                          getContext().getSelf(),
                          services.node(),
                          services.slots(),
                          services.layers().selfUrl()));
              return this;
            })
        .onMessage(RunStep.class, this::onRun)
        .onMessage(
            CancelStep.class,
            cancel -> {
              ActorRef<StepRun.Command> run =
                  runs.remove(runName(cancel.stepId(), cancel.replyTo()));
              if (run != null) {
                getContext().stop(run);
              }
              return this;
            })
        .onMessage(
            RunEnded.class,
            ended -> {
              runs.remove(ended.run());
              return this;
            })
        .build();
  }

  private Behavior<Command> onRun(RunStep run) {
    String name = runName(run.stepId(), run.replyTo());
    if (runs.containsKey(name)) {
      return this; // a repeated request: its answer is on its way
    }
    ActorRef<StepRun.Command> child =
        getContext().spawn(StepRun.create(run, services), "step-" + ++counter);
    getContext().watchWith(child, new RunEnded(name));
    runs.put(name, child);
    return this;
  }

  /** Step ids are the coordinator's: unique together with whom the answer goes to. */
  private static String runName(String stepId, ActorRef<StepEvent> replyTo) {
    return replyTo.path() + "#" + stepId;
  }
}
