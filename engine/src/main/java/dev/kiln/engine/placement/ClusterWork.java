package dev.kiln.engine.placement;

import dev.kiln.engine.cluster.ClusterNode;
import dev.kiln.engine.cluster.ClusterSettings;
import dev.kiln.engine.run.LogSink;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.solver.ExecutionSlots;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.solver.Resolver;
import dev.kiln.engine.solver.ResultCache;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/**
 * A cluster node's share of the work: its data server and layer store on every node, a {@link
 * StepWorker} (with execution slots of its own) on a node that runs steps, and a {@link Placement}
 * on a node that coordinates, whose resolver sends exec steps to the workers.
 */
public final class ClusterWork {
  /** Steps in flight on a worker beyond its slots: a small queue, so that it never idles. */
  public static final int QUEUE_PER_WORKER = 1;

  private final DataServer server;
  private final LayerStore layers;

  /** How long the cluster remembers a step's output after its last claim. */
  static final Duration SHARED_STEP_KEPT = Duration.ofMinutes(30);

  /**
   * How long a claim may go unanswered before it is sent again: longer than a shard's allocation
   * takes, shorter than a user would wait on a lost message.
   */
  static final Duration CLAIM_RESEND = Duration.ofSeconds(10);

  private final Optional<Coordination> coordination;
  private final Executor io;
  private final ActorSystem<?> system;

  private ClusterWork(
      ActorSystem<?> system,
      DataServer server,
      LayerStore layers,
      Optional<Coordination> coordination,
      Executor io) {
    this.system = system;
    this.server = server;
    this.layers = layers;
    this.coordination = coordination;
    this.io = io;
  }

  /**
   * Starts this node's share: {@code local} runs its steps, {@code cache} records them, {@code
   * slots} bound them.
   */
  public static ClusterWork start(
      ActorSystem<?> system,
      ClusterSettings settings,
      Snapshotter snapshotter,
      Path root,
      Resolver local,
      ResultCache cache,
      int slots,
      Executor io)
      throws IOException {
    // The nodes' certificates name their cluster hosts: the data plane checks them as HTTPS does.
    Optional<javax.net.ssl.SSLContext> tls =
        settings.tls().isPresent() ? Optional.of(settings.tls().get().context()) : Optional.empty();
    DataServer server =
        DataServer.start(
            system, snapshotter, root, settings.bind().host(), settings.dataPort(), io, tls);
    LayerStore layers = new LayerStore(snapshotter, settings.bind().toString(), server.url(), tls);
    server.serveCopies(layers::copy);
    if (settings.role().runsSteps()) {
      ActorRef<ExecutionSlots.Command> slotActor =
          system.systemActorOf(ExecutionSlots.create(slots), "worker-slots", Props.empty());
      system.systemActorOf(
          StepWorker.create(
              new StepRun.Services(
                  local, cache, layers, slotActor, settings.bind().toString(), slots, io)),
          "worker",
          Props.empty());
    }
    Optional<Coordination> coordination = Optional.empty();
    if (settings.role().coordinates()) {
      Predicate<String> member = ClusterNode.members(system);
      ActorRef<Placement.Command> placement =
          system.systemActorOf(
              Placement.create(QUEUE_PER_WORKER, layers), "placement", Props.empty());
      coordination =
          Optional.of(
              new Coordination(
                  placement,
                  system.systemActorOf(
                      StepClaims.create(sharedSteps(system, member), CLAIM_RESEND),
                      "step-claims",
                      Props.empty()),
                  new Lineage(placement, member, layers, io)));
    }
    return new ClusterWork(system, server, layers, coordination, io);
  }

  /** The shard region of the cluster's steps, hosted by the coordinators. */
  private static ActorRef<ShardingEnvelope<SharedStep.Command>> sharedSteps(
      ActorSystem<?> system, Predicate<String> member) {
    return ClusterSharding.get(system)
        .init(
            Entity.of(
                    SharedStep.KEY,
                    entity -> SharedStep.create(entity.getShard(), member, SHARED_STEP_KEPT))
                .withRole("coordinator"));
  }

  /** The resolver this node's builds use: placing steps on a coordinator, else {@code local}. */
  public Resolver resolver(Resolver local) {
    return coordination.<Resolver>map(c -> new PlacingResolver(local, c, layers, io)).orElse(local);
  }

  /** {@code outcome} with its result made local, for the exporters. */
  public CompletionStage<Outcome> local(Outcome outcome) {
    if (outcome instanceof Outcome.Solved solved
        && solved.result() instanceof PlacedSnapshot
        && coordination.isPresent()) {
      return coordination
          .get()
          .lineage()
          .local(solved.result(), LogSink.DISCARD)
          .thenApply(result -> new Outcome.Solved(result, solved.key()));
    }
    return CompletableFuture.completedFuture(outcome);
  }

  /** This coordinator's view of the workers; empty on a node that only runs steps. */
  public CompletionStage<Optional<PlacementReport>> report() {
    if (coordination.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return AskPattern.<Placement.Command, PlacementReport>ask(
            coordination.get().placement(),
            Placement.Report::new,
            Duration.ofSeconds(5),
            system.scheduler())
        .thenApply(Optional::of);
  }

  /** What this node fetched from the others. */
  public LayerStore.Moved moved() {
    return layers.moved();
  }

  /** The data server's address. */
  public String dataUrl() {
    return server.url();
  }

  public CompletionStage<Void> close() {
    return server.close();
  }
}
