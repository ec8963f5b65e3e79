package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.run.Cancellation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A vertex's way to nest builds: it asks the solver that runs the vertex, one level deeper in the
 * vertex's chain, counting against the same build's slots.
 */
final class NestedSolves implements Nesting {
  /** As long as a client's solve may take: nested builds end with their build op. */
  private static final Duration TIMEOUT = Duration.ofDays(30);

  /** Nested builds' tickets count down, so that they never meet a client's. */
  private static final AtomicLong TICKETS = new AtomicLong();

  private final ActorRef<Solver.Command> solver;
  private final Scheduler scheduler;
  private final List<NestFrame> chain;
  private final long account;
  private final Consumer<ProgressEvent> progress;

  NestedSolves(
      ActorRef<Solver.Command> solver,
      Scheduler scheduler,
      List<NestFrame> chain,
      long account,
      Consumer<ProgressEvent> progress) {
    this.solver = solver;
    this.scheduler = scheduler;
    this.chain = List.copyOf(chain);
    this.account = account;
    this.progress = progress;
  }

  @Override
  public CompletionStage<Outcome> solve(
      Definition definition, String label, BuildInputs inputs, Cancellation cancellation) {
    List<NestFrame> deeper = new ArrayList<>(chain);
    deeper.add(new NestFrame(label, definition.root(), chain.get(0).hostLayouts()));
    long ticket = TICKETS.decrementAndGet();
    CompletionStage<Outcome> outcome =
        AskPattern.ask(
            solver,
            replyTo ->
                new Solver.SolveNested(
                    definition, inputs, deeper, account, progress, replyTo, ticket),
            TIMEOUT,
            scheduler);
    cancellation.onCancel(() -> solver.tell(new Solver.Cancel(ticket)));
    return outcome;
  }
}
