package dev.kiln.engine.placement;

import dev.kiln.engine.run.CancelledException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;

/**
 * A coordinator's claims on {@link SharedStep}s: it asks for a step by its key and answers whether
 * this coordinator runs it or gets another's output, claiming again when the entity it waits on
 * stops (its node left, so the step starts over on another).
 */
public final class StepClaims extends AbstractBehavior<StepClaims.Command> {
  /** The protocol. */
  public sealed interface Command permits Ask, Finish, Release, Answered, StepGone, Unanswered {}

  /**
   * Claims the step of {@code key}: {@code answer} completes empty when this coordinator runs it,
   * or with another's output; it fails if the claim is released first.
   */
  public record Ask(String claimId, String key, CompletableFuture<Optional<SharedOutput>> answer)
      implements Command {}

  /** The granted claim ran the step. */
  public record Finish(String claimId, SharedOutput output) implements Command {}

  /** The claim is given up, answered or not. */
  public record Release(String claimId) implements Command {}

  private record Answered(SharedStep.Answer answer) implements Command {}

  private record StepGone(ActorRef<SharedStep.Command> step) implements Command {}

  /** A claim not answered in time: sent again (the node of its entity may have died with it). */
  private record Unanswered(String claimId) implements Command {}

  private record Pending(String key, CompletableFuture<Optional<SharedOutput>> answer) {}

  private final ActorRef<ShardingEnvelope<SharedStep.Command>> steps;
  private final ActorRef<SharedStep.Answer> answers;
  private final org.apache.pekko.actor.typed.javadsl.TimerScheduler<Command> timers;
  private final java.time.Duration resend;
  private final Map<String, Pending> pending = new HashMap<>();
  private final Map<String, String> granted = new HashMap<>();
  private final Map<ActorRef<SharedStep.Command>, Set<String>> queuedOn = new HashMap<>();

  /**
   * Claims through {@code steps}, the shard region of {@link SharedStep#KEY}; a claim neither
   * granted, queued nor answered within {@code resend} is sent again.
   */
  public static Behavior<Command> create(
      ActorRef<ShardingEnvelope<SharedStep.Command>> steps, java.time.Duration resend) {
    return Behaviors.setup(
        context -> Behaviors.withTimers(timers -> new StepClaims(context, steps, timers, resend)));
  }

  private StepClaims(
      ActorContext<Command> context,
      ActorRef<ShardingEnvelope<SharedStep.Command>> steps,
      org.apache.pekko.actor.typed.javadsl.TimerScheduler<Command> timers,
      java.time.Duration resend) {
    super(context);
    this.steps = steps;
    this.timers = timers;
    this.resend = resend;
    this.answers = context.messageAdapter(SharedStep.Answer.class, Answered::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Ask.class, this::onAsk)
        .onMessage(Finish.class, this::onFinish)
        .onMessage(Release.class, this::onRelease)
        .onMessage(Answered.class, answered -> onAnswer(answered.answer()))
        .onMessage(StepGone.class, gone -> onStepGone(gone.step()))
        .onMessage(Unanswered.class, unanswered -> onUnanswered(unanswered.claimId()))
        .build();
  }

  private Behavior<Command> onAsk(Ask ask) {
    pending.put(ask.claimId(), new Pending(ask.key(), ask.answer()));
    claim(ask.claimId(), ask.key());
    return this;
  }

  private void claim(String claimId, String key) {
    steps.tell(new ShardingEnvelope<>(key, new SharedStep.Claim(claimId, answers)));
    timers.startSingleTimer(claimId, new Unanswered(claimId), resend);
  }

  private Behavior<Command> onUnanswered(String claimId) {
    Pending claim = pending.get(claimId);
    if (claim != null) {
      claim(claimId, claim.key());
    }
    return this;
  }

  private Behavior<Command> onFinish(Finish finish) {
    String key = granted.remove(finish.claimId());
    if (key != null) {
      steps.tell(
          new ShardingEnvelope<>(key, new SharedStep.Finish(finish.claimId(), finish.output())));
    }
    return this;
  }

  private Behavior<Command> onRelease(Release release) {
    String key = granted.remove(release.claimId());
    Pending waiting = pending.remove(release.claimId());
    timers.cancel(release.claimId());
    if (waiting != null) {
      key = waiting.key();
      waiting.answer().completeExceptionally(new CancelledException());
    }
    if (key != null) {
      // After the claim through the same region: the entity sees the claim first.
      steps.tell(new ShardingEnvelope<>(key, new SharedStep.Release(release.claimId())));
    }
    return this;
  }

  private Behavior<Command> onAnswer(SharedStep.Answer answer) {
    timers.cancel(answer.claimId()); // a queued claim's entity is watched instead
    if (answer instanceof SharedStep.Granted grant) {
      Pending claim = pending.remove(grant.claimId());
      if (claim != null) {
        granted.put(grant.claimId(), claim.key());
        claim.answer().complete(Optional.empty());
      }
    } else if (answer instanceof SharedStep.Shared shared) {
      Pending claim = pending.remove(shared.claimId());
      if (claim != null) {
        claim.answer().complete(Optional.of(shared.output()));
      }
    } else if (answer instanceof SharedStep.Queued queued
        && pending.containsKey(queued.claimId())) {
      Set<String> claims = queuedOn.computeIfAbsent(queued.step(), step -> new LinkedHashSet<>());
      if (claims.isEmpty()) {
        getContext().watchWith(queued.step(), new StepGone(queued.step()));
      }
      claims.add(queued.claimId());
    }
    return this;
  }

  /** The entity stopped with claims waiting on it: they claim again, from a new one. */
  private Behavior<Command> onStepGone(ActorRef<SharedStep.Command> step) {
    for (String claimId : queuedOn.getOrDefault(step, Set.of())) {
      Pending claim = pending.get(claimId);
      if (claim != null) {
        claim(claimId, claim.key());
      }
    }
    queuedOn.remove(step);
    return this;
  }
}
