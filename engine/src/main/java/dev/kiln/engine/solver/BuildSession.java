package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Input;
import dev.kiln.engine.progress.ProgressEvent;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One build's wait for its root vertex: it resolves the root, answers the client, closes the
 * progress stream and tells the solver, which then releases the build's vertices. A cancelled build
 * ends the same way at once, failed; its vertices that no other build needs are stopped, which
 * cancels their work.
 */
final class BuildSession {
  private BuildSession() {}

  /** The protocol. */
  sealed interface Command permits Replied, Cancel {}

  /** The root vertex's answer. */
  record Replied(VertexActor.Reply reply) implements Command {}

  /** The client gave up on the build. */
  enum Cancel implements Command {
    INSTANCE
  }

  /** Sent to the solver when the build is over. */
  record Ended(long build) implements Solver.Command {}

  static Behavior<Command> create(
      long build,
      Input root,
      String rootName,
      ActorRef<VertexActor.Command> rootVertex,
      ActorRef<ProgressEvent> progress,
      ActorRef<Outcome> replyTo,
      ActorRef<Solver.Command> solver) {
    return Behaviors.setup(
        context -> {
          ActorRef<VertexActor.Reply> replies =
              context.messageAdapter(VertexActor.Reply.class, Replied::new);
          rootVertex.tell(new VertexActor.Resolve(replies, progress));
          return Behaviors.receiveMessage(
              command -> {
                Outcome outcome;
                if (command instanceof Replied replied
                    && replied.reply() instanceof VertexActor.Done done) {
                  outcome = new Outcome.Solved(done.outputs().get(root.output()), done.key());
                } else if (command instanceof Replied replied) {
                  outcome = new Outcome.SolveFailed(((VertexActor.Failed) replied.reply()).error());
                } else {
                  outcome =
                      new Outcome.SolveFailed(
                          new SolveError(
                              root.vertex(), rootName, "the build was cancelled", List.of()));
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
