package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Digest;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Which vertex is making the result of each cache key now, so that vertices of other digests with
 * the same key (builds whose contexts are other directories with the same files, say) wait for it
 * instead of running the same work again: BuildKit's merged edges. A vertex that runs claims its
 * key; one that finds it claimed follows the owner. An owner that finishes or stops gives the key
 * up. Keys are scoped by what a step reads that its key leaves out (the secrets and agents it
 * mounts), so a build never receives a result made with another build's secret.
 */
final class RunningKeys extends AbstractBehavior<RunningKeys.Command> {
  /** The protocol. */
  sealed interface Command permits Claim, Release, OwnerStopped {}

  /** A key and the scope it was made in. */
  record Scoped(CacheKey key, String scope) {}

  /** The vertex making a key's result. */
  record Owner(ActorRef<VertexActor.Command> vertex, Digest digest) {}

  /**
   * Claims {@code key} for {@code claimant}; {@code stale}, when present, is an owner the claimant
   * saw stop, which no longer counts even if its stop has not reached this actor yet.
   */
  record Claim(
      Scoped key,
      Owner claimant,
      Optional<ActorRef<VertexActor.Command>> stale,
      ActorRef<Claimed> replyTo)
      implements Command {}

  /** The answer: empty when the claimant owns the key now, else the owner to follow. */
  record Claimed(Optional<Owner> owner) {}

  /** The owner of {@code key} is done with it. */
  record Release(Scoped key, ActorRef<VertexActor.Command> vertex) implements Command {}

  private record OwnerStopped(Scoped key, ActorRef<VertexActor.Command> vertex)
      implements Command {}

  private final Map<Scoped, Owner> owners = new HashMap<>();

  static Behavior<Command> create() {
    return Behaviors.setup(RunningKeys::new);
  }

  private RunningKeys(ActorContext<Command> context) {
    super(context);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Claim.class, this::onClaim)
        .onMessage(Release.class, r -> drop(r.key(), r.vertex(), true))
        .onMessage(OwnerStopped.class, s -> drop(s.key(), s.vertex(), false))
        .build();
  }

  private Behavior<Command> onClaim(Claim claim) {
    Owner owner = owners.get(claim.key());
    if (owner != null && claim.stale().filter(owner.vertex()::equals).isPresent()) {
      drop(claim.key(), owner.vertex(), true);
      owner = null;
    }
    if (owner == null || owner.vertex().equals(claim.claimant().vertex())) {
      if (owner == null) {
        owners.put(claim.key(), claim.claimant());
        getContext()
            .watchWith(
                claim.claimant().vertex(),
                new OwnerStopped(claim.key(), claim.claimant().vertex()));
      }
      claim.replyTo().tell(new Claimed(Optional.empty()));
    } else {
      claim.replyTo().tell(new Claimed(Optional.of(owner)));
    }
    return this;
  }

  private Behavior<Command> drop(
      Scoped key, ActorRef<VertexActor.Command> vertex, boolean unwatch) {
    Owner owner = owners.get(key);
    if (owner != null && owner.vertex().equals(vertex)) {
      owners.remove(key);
      if (unwatch) {
        getContext().unwatch(vertex);
      }
    }
    return this;
  }
}
