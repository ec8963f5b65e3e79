package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Input;
import dev.kiln.engine.progress.ProgressEvent;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One build's wait for its root vertex: it resolves the root, answers the client, closes the
 * progress stream and tells the solver, which then releases the build's vertices.
 */
final class BuildSession {
  private BuildSession() {}

  /** Sent to the solver when the build is over. */
  record Ended(long build) implements Solver.Command {}

  static Behavior<VertexActor.Reply> create(
      long build,
      Input root,
      ActorRef<VertexActor.Command> rootVertex,
      ActorRef<ProgressEvent> progress,
      ActorRef<Outcome> replyTo,
      ActorRef<Solver.Command> solver) {
    return Behaviors.setup(
        context -> {
          rootVertex.tell(new VertexActor.Resolve(context.getSelf(), progress));
          return Behaviors.receiveMessage(
              reply -> {
                Outcome outcome;
                if (reply instanceof VertexActor.Done done) {
                  outcome = new Outcome.Solved(done.outputs().get(root.output()), done.key());
                } else {
                  outcome = new Outcome.SolveFailed(((VertexActor.Failed) reply).error());
                }
                // The solver hears first: a client's next build, sent once it has this reply, must
                // not find this build's finished vertices still alive and reuse their results.
                solver.tell(new Ended(build));
                progress.tell(new ProgressEvent.Ended(outcome instanceof Outcome.Solved));
                replyTo.tell(outcome);
                return Behaviors.stopped();
              });
        });
  }
}
