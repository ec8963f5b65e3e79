package dev.kiln.engine.placement;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One step of the whole cluster, named by its cache key and sharded over the coordinators: the
 * first coordinator that claims it runs it, the others that claim it meanwhile wait for its output,
 * and those that come later get the output while the node holding it is a member. So a step that
 * builds on several coordinators need runs once in the cluster.
 *
 * <p>Decision: the claim is sharded, not the whole vertex actor. A vertex actor carries its build's
 * own context (secrets, named contexts, progress watchers), and its key phase is cheap and the same
 * everywhere; only running the step must happen once, and that is what this entity decides.
 */
public final class SharedStep extends AbstractBehavior<SharedStep.Command> {
  /** The entity type: one per step cache key. */
  public static final EntityTypeKey<Command> KEY = EntityTypeKey.create(Command.class, "kiln-step");

  /** The protocol. */
  public sealed interface Command extends ClusterMessage
      permits Claim, Finish, Release, ClaimantGone, Rest {}

  /** A coordinator wants the step: it is {@link Granted}, {@link Queued} or {@link Shared}. */
  public record Claim(String claimId, ActorRef<Answer> replyTo) implements Command {}

  /** The claim that ran the step has its output, held by {@code output.heldBy()}. */
  public record Finish(String claimId, SharedOutput output) implements Command {}

  /** The claim is given up: the step failed, or its builds were cancelled. */
  public record Release(String claimId) implements Command {}

  /** The coordinator of these claims stopped (left the cluster or died). */
  record ClaimantGone(ActorRef<Answer> claimant) implements Command {}

  /** Idle long enough: the step is forgotten (the workers' caches still hold it). */
  record Rest() implements Command {}

  /** What a claim gets. */
  public sealed interface Answer extends ClusterMessage permits Granted, Queued, Shared {
    /** The claim answered. */
    String claimId();
  }

  /** Run the step, then {@link Finish} or {@link Release} the claim. */
  public record Granted(String claimId) implements Answer {}

  /** Another claim runs the step: wait for {@link Shared} (or {@link Granted}, if it fails). */
  public record Queued(String claimId, ActorRef<Command> step) implements Answer {}

  /** The step's output. */
  public record Shared(String claimId, SharedOutput output) implements Answer {}

  private record Holder(String claimId, ActorRef<Answer> replyTo) {}

  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final Predicate<String> member;
  private final Duration keep;
  private final TimerScheduler<Command> timers;
  private final java.util.Set<ActorRef<Answer>> watched = new java.util.HashSet<>();
  private final ArrayDeque<Holder> waiters = new ArrayDeque<>();
  private Optional<Holder> owner = Optional.empty();
  private Optional<SharedOutput> output = Optional.empty();

  /**
   * The step of one key. {@code member} says whether a node (its cluster address) is still a
   * member, so that an output whose holder died is made again; {@code keep} is how long an idle
   * step is remembered before it asks {@code shard} to passivate it.
   */
  public static Behavior<Command> create(
      ActorRef<ClusterSharding.ShardCommand> shard, Predicate<String> member, Duration keep) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(timers -> new SharedStep(context, shard, member, keep, timers)));
  }

  private SharedStep(
      ActorContext<Command> context,
      ActorRef<ClusterSharding.ShardCommand> shard,
      Predicate<String> member,
      Duration keep,
      TimerScheduler<Command> timers) {
    super(context);
    this.shard = shard;
    this.member = member;
    this.keep = keep;
    this.timers = timers;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Claim.class, this::onClaim)
        .onMessage(Finish.class, this::onFinish)
        .onMessage(Release.class, this::onRelease)
        .onMessage(ClaimantGone.class, gone -> onGone(gone.claimant()))
        .onMessage(Rest.class, rest -> onRest())
        .build();
  }

  private Behavior<Command> onClaim(Claim claim) {
    timers.cancel(Rest.class);
    if (watched.add(claim.replyTo())) {
      getContext().watchWith(claim.replyTo(), new ClaimantGone(claim.replyTo()));
    }
    // A claim sent again (its answer was not heard) gets the answer it had.
    if (owner.map(o -> o.claimId().equals(claim.claimId())).orElse(false)) {
      claim.replyTo().tell(new Granted(claim.claimId()));
      return this;
    }
    if (waiters.stream().anyMatch(waiter -> waiter.claimId().equals(claim.claimId()))) {
      claim.replyTo().tell(new Queued(claim.claimId(), getContext().getSelf()));
      return this;
    }
    if (output.isPresent() && !member.test(output.get().ref().heldBy())) {
      output = Optional.empty(); // its only holder left: made again
    }
    if (output.isPresent()) {
      claim.replyTo().tell(new Shared(claim.claimId(), output.get()));
      idle();
    } else if (owner.isEmpty()) {
      grant(new Holder(claim.claimId(), claim.replyTo()));
    } else {
      waiters.add(new Holder(claim.claimId(), claim.replyTo()));
      claim.replyTo().tell(new Queued(claim.claimId(), getContext().getSelf()));
    }
    return this;
  }

  /**
   * Any claim's output is taken: after a restart of this entity the one that ran the step may not
   * be the one it granted last.
   */
  private Behavior<Command> onFinish(Finish finish) {
    output = Optional.of(finish.output());
    if (owner.map(o -> o.claimId().equals(finish.claimId())).orElse(false)) {
      owner = Optional.empty();
    }
    while (!waiters.isEmpty()) {
      Holder waiter = waiters.poll();
      waiter.replyTo().tell(new Shared(waiter.claimId(), finish.output()));
    }
    idle();
    return this;
  }

  private Behavior<Command> onRelease(Release release) {
    waiters.removeIf(waiter -> waiter.claimId().equals(release.claimId()));
    if (owner.map(o -> o.claimId().equals(release.claimId())).orElse(false)) {
      owner = Optional.empty();
      next();
    }
    idle();
    return this;
  }

  private Behavior<Command> onGone(ActorRef<Answer> claimant) {
    watched.remove(claimant);
    waiters.removeIf(waiter -> waiter.replyTo().equals(claimant));
    if (owner.map(o -> o.replyTo().equals(claimant)).orElse(false)) {
      owner = Optional.empty();
      next();
    }
    idle();
    return this;
  }

  private Behavior<Command> onRest() {
    if (owner.isEmpty() && waiters.isEmpty()) {
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
    return this;
  }

  /** The first waiter runs the step now. */
  private void next() {
    if (!waiters.isEmpty()) {
      grant(waiters.poll());
    }
  }

  private void grant(Holder holder) {
    owner = Optional.of(holder);
    holder.replyTo().tell(new Granted(holder.claimId()));
  }

  private void idle() {
    if (owner.isEmpty() && waiters.isEmpty()) {
      timers.startSingleTimer(Rest.class, new Rest(), keep);
    }
  }
}
