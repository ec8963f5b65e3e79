package dev.kiln.engine.solver;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The execution slots as an actor: at most {@code capacity} vertices execute at once, and at most
 * {@code perBuild} of one build. A free slot goes to the waiting build that runs the fewest steps
 * (the one served longest ago on a tie); within a build, the step of the highest priority (see
 * CriticalPath), first come first served on a tie: a build with hundreds of ready steps cannot
 * starve a small one that arrives after it.
 */
public final class ExecutionSlots extends AbstractBehavior<ExecutionSlots.Command> {
  /** The protocol. */
  public sealed interface Command permits Acquire, Release {}

  /**
   * Asks for a slot for a step of {@code build}, of {@code priority} within it (higher first);
   * {@link Granted} arrives when one is free.
   */
  public record Acquire(ActorRef<Granted> replyTo, long build, int priority) implements Command {
    /** A request of no particular priority. */
    public Acquire(ActorRef<Granted> replyTo, long build) {
      this(replyTo, build, 0);
    }
  }

  /** A request in a build's queue: the highest priority first, then the oldest. */
  private record Waiter(ActorRef<Granted> replyTo, int priority, long seq) {
    static final java.util.Comparator<Waiter> ORDER =
        java.util.Comparator.comparingInt(Waiter::priority)
            .reversed()
            .thenComparingLong(Waiter::seq);
  }

  /** Gives a slot back, or withdraws a request still queued; idempotent. */
  public record Release(ActorRef<Granted> holder) implements Command {}

  /** A slot is yours until you release it. */
  public enum Granted {
    INSTANCE
  }

  private final int capacity;
  private final int perBuild;
  private final Map<ActorRef<Granted>, Long> holders = new HashMap<>();
  private final Map<Long, Integer> running = new HashMap<>();
  private final Map<Long, PriorityQueue<Waiter>> waiting = new LinkedHashMap<>();
  private final Map<Long, Long> lastServed = new HashMap<>();
  private long grants;
  private long requests;

  public static Behavior<Command> create(int capacity) {
    return create(capacity, capacity);
  }

  public static Behavior<Command> create(int capacity, int perBuild) {
    if (capacity < 1 || perBuild < 1) {
      throw new IllegalArgumentException(
          "execution slots must be >= 1, got " + capacity + " (per build " + perBuild + ")");
    }
    return Behaviors.setup(context -> new ExecutionSlots(context, capacity, perBuild));
  }

  private ExecutionSlots(ActorContext<Command> context, int capacity, int perBuild) {
    super(context);
    this.capacity = capacity;
    this.perBuild = perBuild;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Acquire.class, this::onAcquire)
        .onMessage(Release.class, this::onRelease)
        .build();
  }

  private Behavior<Command> onAcquire(Acquire acquire) {
    waiting
        .computeIfAbsent(acquire.build(), b -> new PriorityQueue<>(Waiter.ORDER))
        .add(new Waiter(acquire.replyTo(), acquire.priority(), ++requests));
    dispatch();
    return this;
  }

  private Behavior<Command> onRelease(Release release) {
    Long build = holders.remove(release.holder());
    if (build == null) {
      waiting.values().forEach(queue -> queue.removeIf(w -> w.replyTo().equals(release.holder())));
      waiting.values().removeIf(PriorityQueue::isEmpty);
    } else if (running.merge(build, -1, Integer::sum) == 0) {
      running.remove(build);
    }
    dispatch();
    // A daemon serves builds for months: what is known of an idle build goes.
    lastServed.keySet().removeIf(b -> !running.containsKey(b) && !waiting.containsKey(b));
    return this;
  }

  /** Grants free slots while some waiting build may take one. */
  private void dispatch() {
    while (holders.size() < capacity) {
      Optional<Long> next = nextBuild();
      if (next.isEmpty()) {
        return;
      }
      long build = next.orElseThrow();
      PriorityQueue<Waiter> queue = waiting.get(build);
      ActorRef<Granted> requester = queue.poll().replyTo();
      if (queue.isEmpty()) {
        waiting.remove(build);
      }
      holders.put(requester, build);
      running.merge(build, 1, Integer::sum);
      lastServed.put(build, ++grants);
      requester.tell(Granted.INSTANCE);
    }
  }

  private Optional<Long> nextBuild() {
    Optional<Long> best = Optional.empty();
    for (long build : waiting.keySet()) {
      int runs = running.getOrDefault(build, 0);
      if (runs >= perBuild) {
        continue;
      }
      if (best.isEmpty() || better(build, best.get())) {
        best = Optional.of(build);
      }
    }
    return best;
  }

  private boolean better(long build, long than) {
    int a = running.getOrDefault(build, 0);
    int b = running.getOrDefault(than, 0);
    if (a != b) {
      return a < b;
    }
    return lastServed.getOrDefault(build, 0L) < lastServed.getOrDefault(than, 0L);
  }
}
