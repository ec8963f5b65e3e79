package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.Input;
import dev.kiln.engine.graph.InvalidDefinitionException;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.progress.ProgressEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Solves definitions. It keeps one {@link VertexActor} per vertex digest while any build needs it,
 * so identical vertices of concurrent builds run once; when the last build that needs a vertex
 * ends, the vertex is stopped, which cancels its work if it is still running.
 */
public final class Solver extends AbstractBehavior<Solver.Command> {
  /** The protocol. */
  public sealed interface Command permits Solve, BuildSession.Ended {}

  /** Solves {@code definition}; events go to {@code progress}, the outcome to {@code replyTo}. */
  public record Solve(
      Definition definition, ActorRef<ProgressEvent> progress, ActorRef<Outcome> replyTo)
      implements Command {}

  private final Resolver resolver;
  private final ResultCache cache;
  private final ActorRef<ExecutionSlots.Command> slots;
  private final Map<Digest, ActorRef<VertexActor.Command>> vertices = new HashMap<>();
  private final Map<Digest, Integer> users = new HashMap<>();
  private final Map<Long, List<Digest>> builds = new HashMap<>();
  private long nextBuild = 1;

  public static Behavior<Command> create(Resolver resolver, ResultCache cache, int slots) {
    return create(resolver, cache, slots, slots);
  }

  /** A solver running at most {@code slots} steps at once, {@code perBuild} of one build. */
  public static Behavior<Command> create(
      Resolver resolver, ResultCache cache, int slots, int perBuild) {
    return Behaviors.setup(
        context ->
            new Solver(
                context,
                resolver,
                cache,
                context.spawn(ExecutionSlots.create(slots, perBuild), "slots")));
  }

  private Solver(
      ActorContext<Command> context,
      Resolver resolver,
      ResultCache cache,
      ActorRef<ExecutionSlots.Command> slots) {
    super(context);
    this.resolver = resolver;
    this.cache = cache;
    this.slots = slots;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Solve.class, this::onSolve)
        .onMessage(BuildSession.Ended.class, this::onEnded)
        .build();
  }

  private Behavior<Command> onSolve(Solve solve) {
    Definition definition = solve.definition();
    List<Digest> order = definition.topologicalOrder();
    Map<Digest, OpRunner> runners = new LinkedHashMap<>();
    try {
      for (Digest digest : order) {
        if (!vertices.containsKey(digest)) {
          runners.put(digest, resolver.resolve(digest, definition.vertex(digest)));
        }
      }
    } catch (InvalidDefinitionException e) {
      Digest failing = order.get(runners.size());
      Vertex vertex = definition.vertex(failing);
      SolveError error = new SolveError(failing, vertex.name(), e.getMessage(), List.of());
      solve.progress().tell(new ProgressEvent.Ended(false));
      solve.replyTo().tell(new Outcome.SolveFailed(error));
      return this;
    }
    // A vertex counts against the slots of the build that first needed it.
    long build = nextBuild++;
    for (Digest digest : order) {
      vertices.computeIfAbsent(digest, d -> spawnVertex(d, definition, runners.get(d), build));
      users.merge(digest, 1, Integer::sum);
    }
    builds.put(build, order);
    Input root = definition.root();
    getContext()
        .spawnAnonymous(
            BuildSession.create(
                build,
                root,
                vertices.get(root.vertex()),
                solve.progress(),
                solve.replyTo(),
                getContext().getSelf()));
    return this;
  }

  private ActorRef<VertexActor.Command> spawnVertex(
      Digest digest, Definition definition, OpRunner runner, long build) {
    Vertex vertex = definition.vertex(digest);
    List<ActorRef<VertexActor.Command>> inputs = new ArrayList<>();
    for (Input input : vertex.inputs()) {
      inputs.add(vertices.get(input.vertex()));
    }
    return getContext()
        .spawnAnonymous(VertexActor.create(digest, vertex, runner, inputs, slots, build, cache));
  }

  private Behavior<Command> onEnded(BuildSession.Ended ended) {
    for (Digest digest : builds.remove(ended.build())) {
      int left = users.merge(digest, -1, Integer::sum);
      if (left == 0) {
        users.remove(digest);
        getContext().stop(vertices.remove(digest));
      }
    }
    return this;
  }
}
