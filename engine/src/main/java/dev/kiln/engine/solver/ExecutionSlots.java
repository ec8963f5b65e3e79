package dev.kiln.engine.solver;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Queue;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/** A fair counting semaphore as an actor: bounds how many vertices execute at once. */
public final class ExecutionSlots extends AbstractBehavior<ExecutionSlots.Command> {
  /** The protocol. */
  public sealed interface Command permits Acquire, Release {}

  /** Asks for a slot; {@link Granted} arrives when one is free. */
  public record Acquire(ActorRef<Granted> replyTo) implements Command {}

  /** Gives a slot back, or withdraws a request still queued; idempotent. */
  public record Release(ActorRef<Granted> holder) implements Command {}

  /** A slot is yours until you release it. */
  public enum Granted {
    INSTANCE
  }

  private final int capacity;
  private final Set<ActorRef<Granted>> holders = new HashSet<>();
  private final Queue<ActorRef<Granted>> waiting = new ArrayDeque<>();

  public static Behavior<Command> create(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("execution slots must be >= 1, got " + capacity);
    }
    return Behaviors.setup(context -> new ExecutionSlots(context, capacity));
  }

  private ExecutionSlots(ActorContext<Command> context, int capacity) {
    super(context);
    this.capacity = capacity;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Acquire.class, this::onAcquire)
        .onMessage(Release.class, this::onRelease)
        .build();
  }

  private Behavior<Command> onAcquire(Acquire acquire) {
    if (holders.size() < capacity) {
      grant(acquire.replyTo());
    } else {
      waiting.add(acquire.replyTo());
    }
    return this;
  }

  private Behavior<Command> onRelease(Release release) {
    if (!holders.remove(release.holder())) {
      waiting.remove(release.holder());
      return this;
    }
    ActorRef<Granted> next = waiting.poll();
    if (next != null) {
      grant(next);
    }
    return this;
  }

  private void grant(ActorRef<Granted> requester) {
    holders.add(requester);
    requester.tell(Granted.INSTANCE);
  }
}
