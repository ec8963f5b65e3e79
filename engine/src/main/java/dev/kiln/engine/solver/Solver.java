package dev.kiln.engine.solver;

import dev.kiln.engine.graph.BuildOp;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.graph.Input;
import dev.kiln.engine.graph.InvalidDefinitionException;
import dev.kiln.engine.graph.LayoutLocation;
import dev.kiln.engine.graph.Mount;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.progress.ProgressEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Solves definitions. It keeps one {@link VertexActor} per vertex digest while any build needs it,
 * so identical vertices of concurrent builds run once; when the last build that needs a vertex
 * ends, the vertex is stopped, which cancels its work if it is still running. A vertex that reads a
 * {@code local://} source, itself or below, is shared only by builds that gave that source the same
 * directory: two clients' contexts named alike never mix.
 */
public final class Solver extends AbstractBehavior<Solver.Command> {
  /** The protocol. */
  public sealed interface Command permits Solve, SolveNested, Cancel, BuildSession.Ended {}

  /**
   * Solves {@code definition} with {@code inputs} (its {@code local://NAME} directories, secrets
   * and ssh agents); events go to {@code progress}, the outcome to {@code replyTo}.
   */
  public record Solve(
      Definition definition,
      BuildInputs inputs,
      ActorRef<ProgressEvent> progress,
      ActorRef<Outcome> replyTo,
      long ticket)
      implements Command {
    public Solve(
        Definition definition,
        Map<String, Path> locals,
        ActorRef<ProgressEvent> progress,
        ActorRef<Outcome> replyTo,
        long ticket) {
      this(definition, BuildInputs.locals(locals), progress, replyTo, ticket);
    }

    public Solve(
        Definition definition, ActorRef<ProgressEvent> progress, ActorRef<Outcome> replyTo) {
      this(definition, BuildInputs.NONE, progress, replyTo, 0);
    }
  }

  /**
   * Solves {@code definition} as part of a running build, for a build op ({@link Nesting}): {@code
   * chain} holds the builds it is nested in, outermost first, and its own last; its steps count
   * against the slots of {@code account}, the build that runs the op; its vertices' events go to
   * {@code progress}, renamed under its label.
   */
  public record SolveNested(
      Definition definition,
      BuildInputs inputs,
      List<NestFrame> chain,
      long account,
      java.util.function.Consumer<ProgressEvent> progress,
      ActorRef<Outcome> replyTo,
      long ticket)
      implements Command {
    public SolveNested {
      chain = List.copyOf(chain);
    }
  }

  /**
   * Cancels the build solved with {@code ticket} (its {@link Solve}'s, when not 0): it fails at
   * once, and its vertices that no other build needs stop. Unknown or finished tickets are ignored.
   */
  public record Cancel(long ticket) implements Command {}

  /**
   * What a vertex actor stands for: a vertex digest and what it reads from outside the graph (the
   * directories its local sources were given, fingerprints of the secrets its steps mount; empty
   * when nothing), so that builds share a vertex only when they gave it the same.
   */
  private record VertexKey(Digest digest, String outside) {
    /** What the vertex reads that its cache key leaves out: the secrets and agents it mounts. */
    String unkeyed() {
      return outside
          .lines()
          .filter(line -> line.startsWith("secret:"))
          .collect(Collectors.joining("\n"));
    }
  }

  private final Resolver resolver;
  private final ResultCache cache;
  private final ActorRef<ExecutionSlots.Command> slots;
  private final Map<VertexKey, ActorRef<VertexActor.Command>> vertices = new HashMap<>();
  private final ActorRef<RunningKeys.Command> runningKeys;
  private final Map<VertexKey, Integer> users = new HashMap<>();
  private final Map<Long, List<VertexKey>> builds = new HashMap<>();
  private final Map<Long, ActorRef<BuildSession.Command>> tickets = new HashMap<>();
  private final Map<Long, Long> ticketOfBuild = new HashMap<>();
  private long nextBuild = 1;
  private final int maxNesting;

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
    this.runningKeys = context.spawn(RunningKeys.create(), "running-keys");
    this.resolver = resolver;
    this.cache = cache;
    this.slots = slots;
    this.maxNesting = context.getSystem().settings().config().getInt("kiln.nesting.max-depth");
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Solve.class, this::onSolve)
        .onMessage(SolveNested.class, this::onSolveNested)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(BuildSession.Ended.class, this::onEnded)
        .build();
  }

  private Behavior<Command> onSolve(Solve solve) {
    Definition definition = solve.definition();
    List<NestFrame> chain =
        List.of(new NestFrame("the build", definition.root(), hostLayouts(definition)));
    return solve(
        definition, solve.inputs(), chain, 0, solve.progress(), solve.replyTo(), solve.ticket());
  }

  /**
   * A nested build: refused when it is nested too deep or builds a definition it is part of (it
   * would wait for itself); otherwise solved as any build, its progress renamed.
   */
  private Behavior<Command> onSolveNested(SolveNested solve) {
    Definition definition = solve.definition();
    List<NestFrame> chain = solve.chain();
    String path = chain.stream().map(NestFrame::label).collect(Collectors.joining(" -> "));
    Optional<String> refused = Optional.empty();
    if (chain.size() - 1 > maxNesting) {
      refused =
          Optional.of(
              "nested builds go deeper than "
                  + maxNesting
                  + " levels (kiln.nesting.max-depth): "
                  + path);
    } else if (chain.subList(0, chain.size() - 1).stream()
        .anyMatch(frame -> frame.root().equals(definition.root()))) {
      refused = Optional.of("the nested build builds itself: " + path);
    } else {
      Set<Path> foreign = new java.util.TreeSet<>(hostLayouts(definition));
      foreign.removeAll(chain.get(0).hostLayouts());
      if (!foreign.isEmpty()) {
        refused =
            Optional.of(
                chain.get(chain.size() - 1).label()
                    + " reads the host layout "
                    + foreign.iterator().next()
                    + ", which the build's own definition does not name; a nested build reads"
                    + " only what its build gives it");
      }
    }
    if (refused.isPresent()) {
      Input root = definition.root();
      solve
          .replyTo()
          .tell(
              new Outcome.SolveFailed(
                  new SolveError(
                      root.vertex(),
                      definition.vertex(root.vertex()).name(),
                      refused.get(),
                      List.of())));
      return this;
    }
    ActorRef<ProgressEvent> progress =
        getContext()
            .spawnAnonymous(
                NestedProgress.create(chain.get(chain.size() - 1).label(), solve.progress()));
    return solve(
        definition,
        solve.inputs(),
        chain,
        solve.account(),
        progress,
        solve.replyTo(),
        solve.ticket());
  }

  /** The host directories of the definition's {@code oci-layout://} sources, as written. */
  private static Set<Path> hostLayouts(Definition definition) {
    Set<Path> dirs = new java.util.HashSet<>();
    for (Vertex vertex : definition.vertices().values()) {
      if (vertex.op() instanceof SourceOp source && source.scheme().equals("oci-layout")) {
        dirs.add(Path.of(LayoutLocation.parse(source.location()).dir()).normalize());
      }
    }
    return dirs;
  }

  /**
   * Solves {@code definition} as a build of its own; its vertices count against the slots of {@code
   * account} (0: this build's).
   */
  private Behavior<Command> solve(
      Definition definition,
      BuildInputs inputs,
      List<NestFrame> chain,
      long account,
      ActorRef<ProgressEvent> progress,
      ActorRef<Outcome> replyTo,
      long ticket) {
    Optional<SolveError> refused = Entitlements.refusal(definition, inputs.entitlements());
    if (refused.isPresent()) {
      progress.tell(new ProgressEvent.Ended(false));
      replyTo.tell(new Outcome.SolveFailed(refused.get()));
      return this;
    }
    List<Digest> order = definition.topologicalOrder();
    Map<Digest, VertexKey> keys = keys(definition, order, inputs);
    Map<Digest, OpRunner> runners = new LinkedHashMap<>();
    int resolved = 0;
    try {
      for (Digest digest : order) {
        if (!vertices.containsKey(keys.get(digest))) {
          runners.put(digest, resolver.resolve(digest, definition.vertex(digest), inputs));
        }
        resolved++;
      }
    } catch (InvalidDefinitionException e) {
      Digest failing = order.get(resolved);
      Vertex vertex = definition.vertex(failing);
      SolveError error = new SolveError(failing, vertex.name(), e.getMessage(), List.of());
      progress.tell(new ProgressEvent.Ended(false));
      replyTo.tell(new Outcome.SolveFailed(error));
      return this;
    }
    // A vertex counts against the slots of the build that first needed it.
    long build = nextBuild++;
    long slotAccount = account == 0 ? build : account;
    Map<Digest, Integer> heights = CriticalPath.heights(definition, order);
    for (Digest digest : order) {
      VertexKey key = keys.get(digest);
      vertices.computeIfAbsent(
          key,
          k ->
              spawnVertex(
                  digest,
                  definition,
                  keys,
                  runners.get(digest),
                  slotAccount,
                  heights.get(digest),
                  chain));
      users.merge(key, 1, Integer::sum);
    }
    builds.put(build, order.stream().map(keys::get).toList());
    Input root = definition.root();
    ActorRef<BuildSession.Command> session =
        getContext()
            .spawnAnonymous(
                BuildSession.create(
                    build,
                    root,
                    definition.vertex(root.vertex()).name(),
                    vertices.get(keys.get(root.vertex())),
                    progress,
                    replyTo,
                    getContext().getSelf()));
    if (ticket != 0) {
      tickets.put(ticket, session);
      ticketOfBuild.put(build, ticket);
    }
    return this;
  }

  private Behavior<Command> onCancel(Cancel cancel) {
    ActorRef<BuildSession.Command> session = tickets.get(cancel.ticket());
    if (session != null) {
      session.tell(BuildSession.Cancel.INSTANCE);
    }
    return this;
  }

  /**
   * Each vertex's key: its digest, with what it reads from outside the graph (itself or through its
   * inputs) as lines: {@code NAME=DIR} per local source, {@code secret:ID=FINGERPRINT} per secret
   * or ssh agent its steps mount.
   */
  private static Map<Digest, VertexKey> keys(
      Definition definition, List<Digest> order, BuildInputs inputs) {
    Map<Digest, java.util.SortedSet<String>> reads = new HashMap<>();
    Map<Digest, VertexKey> keys = new HashMap<>();
    for (Digest digest : order) {
      Vertex vertex = definition.vertex(digest);
      java.util.SortedSet<String> names = new java.util.TreeSet<>();
      if (vertex.op() instanceof SourceOp source && source.scheme().equals("local")) {
        names.add(
            source.location() + "=" + inputs.locals().getOrDefault(source.location(), Path.of("")));
      }
      if (vertex.op() instanceof BuildOp) {
        // A nested build may read any of the build's locals and secrets.
        inputs.locals().forEach((name, dir) -> names.add(name + "=" + dir));
        names.addAll(inputs.fingerprints());
      }
      if (vertex.op() instanceof ExecOp exec) {
        for (Mount mount : exec.mounts()) {
          mount
              .secretId()
              .ifPresent(id -> names.add("secret:" + id + "=" + inputs.fingerprint(id)));
        }
      }
      for (Input input : vertex.inputs()) {
        names.addAll(reads.get(input.vertex()));
      }
      reads.put(digest, names);
      keys.put(digest, new VertexKey(digest, String.join("\n", names)));
    }
    return keys;
  }

  private ActorRef<VertexActor.Command> spawnVertex(
      Digest digest,
      Definition definition,
      Map<Digest, VertexKey> keys,
      OpRunner runner,
      long build,
      int priority,
      List<NestFrame> chain) {
    Vertex vertex = definition.vertex(digest);
    List<ActorRef<VertexActor.Command>> inputs = new ArrayList<>();
    for (Input input : vertex.inputs()) {
      inputs.add(vertices.get(keys.get(input.vertex())));
    }
    return getContext()
        .spawnAnonymous(
            VertexActor.create(
                digest,
                vertex,
                runner,
                inputs,
                slots,
                build,
                priority,
                cache,
                runningKeys,
                keys.get(digest).unkeyed(),
                getContext().getSelf(),
                chain));
  }

  private Behavior<Command> onEnded(BuildSession.Ended ended) {
    Long ticket = ticketOfBuild.remove(ended.build());
    if (ticket != null) {
      tickets.remove(ticket);
    }
    for (VertexKey key : builds.remove(ended.build())) {
      int left = users.merge(key, -1, Integer::sum);
      if (left == 0) {
        users.remove(key);
        getContext().stop(vertices.remove(key));
      }
    }
    return this;
  }
}
