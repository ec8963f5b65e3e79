package dev.kiln.engine.placement;

import dev.kiln.engine.run.CancelledException;
import dev.kiln.engine.run.LogSink;
import dev.kiln.engine.run.LogStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
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
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A coordinator's placement of steps on the cluster's workers. A step goes to the worker that holds
 * most of its inputs' bytes; when that one's slots are all taken, to the least-loaded worker; and
 * never more than a worker's slots plus {@code queuePerWorker} are in flight on it, so a busy
 * worker pushes back and the rest wait here, first come first served. A worker that leaves gets
 * none of its steps' answers counted: they are placed again.
 */
public final class Placement extends AbstractBehavior<Placement.Command> {
  /** The protocol. */
  public sealed interface Command permits Place, Withdraw, Report, Listed, Event, Gone {}

  /**
   * Places a step; {@code done} completes with its output, or fails with the step. Of the steps
   * waiting for a worker, the one of the highest {@code priority} goes first (see the solver's
   * CriticalPath), the oldest on a tie.
   */
  public record Place(
      String stepId,
      StepRequest request,
      LogSink logs,
      CompletableFuture<PlacedSnapshot> done,
      int priority)
      implements Command {
    /** A step of no particular priority. */
    public Place(
        String stepId, StepRequest request, LogSink logs, CompletableFuture<PlacedSnapshot> done) {
      this(stepId, request, logs, done, 0);
    }
  }

  /** A step waiting for a worker: the highest priority first, then the lowest {@code seq}. */
  private record Waiting(Place place, long seq) {
    static final java.util.Comparator<Waiting> ORDER =
        java.util.Comparator.comparingInt((Waiting waiting) -> waiting.place().priority())
            .reversed()
            .thenComparingLong(Waiting::seq);
  }

  /** The step is no longer wanted (its builds were cancelled). */
  public record Withdraw(String stepId) implements Command {}

  /** Asks for this coordinator's view of the workers. */
  public record Report(ActorRef<PlacementReport> replyTo) implements Command {}

  private record Listed(Receptionist.Listing listing) implements Command {}

  private record Event(StepEvent event) implements Command {}

  private record Gone(ActorRef<StepWorker.Command> worker) implements Command {}

  /** Layers remembered per worker at most: beyond, the memory starts again. */
  private static final int MAX_HELD = 100_000;

  /** A worker as this coordinator knows it. */
  private static final class Known {
    final StepEvent.Described described;
    final Set<String> inFlight = new LinkedHashSet<>();
    // Those of inFlight that have a slot there; the others wait in its queue.
    final Set<String> started = new java.util.HashSet<>();
    // The layers its steps read or made, which it therefore holds (until its cache drops them).
    final Set<String> held = new java.util.HashSet<>();
    long placed;

    Known(StepEvent.Described described) {
      this.described = described;
    }

    double load() {
      return (double) inFlight.size() / described.slots();
    }

    long bytes(StepRequest request) {
      return request.bytesHeldBy(described.node(), held);
    }

    void holds(java.util.Collection<LayerRef> layers) {
      if (held.size() + layers.size() > MAX_HELD) {
        held.clear();
      }
      layers.forEach(layer -> held.add(layer.name()));
    }
  }

  private record InFlight(Place place, ActorRef<StepWorker.Command> worker) {}

  private final int queuePerWorker;
  private final LayerStore layers;
  private final ActorRef<StepEvent> events;
  private final Map<ActorRef<StepWorker.Command>, Known> workers = new LinkedHashMap<>();
  private final Set<ActorRef<StepWorker.Command>> describing = new LinkedHashSet<>();
  private final java.util.PriorityQueue<Waiting> waiting =
      new java.util.PriorityQueue<>(Waiting.ORDER);
  // Arrivals count up; steps placed again (their worker left) count down, ahead of the others.
  private long arrivals;
  private long returns;
  private final Map<String, InFlight> inFlight = new HashMap<>();

  /** {@code layers} is this node's: it learns where each worker serves its layers. */
  public static Behavior<Command> create(int queuePerWorker, LayerStore layers) {
    return Behaviors.setup(context -> new Placement(context, queuePerWorker, layers));
  }

  private Placement(ActorContext<Command> context, int queuePerWorker, LayerStore layers) {
    super(context);
    this.queuePerWorker = queuePerWorker;
    this.layers = layers;
    this.events = context.messageAdapter(StepEvent.class, Event::new);
    ActorRef<Receptionist.Listing> listings =
        context.messageAdapter(Receptionist.Listing.class, Listed::new);
    context.getSystem().receptionist().tell(Receptionist.subscribe(StepWorker.KEY, listings));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Place.class, this::onPlace)
        .onMessage(Withdraw.class, this::onWithdraw)
        .onMessage(Report.class, this::onReport)
        .onMessage(Listed.class, this::onListed)
        .onMessage(Event.class, event -> onEvent(event.event()))
        .onMessage(Gone.class, gone -> onGone(gone.worker()))
        .build();
  }

  private Behavior<Command> onPlace(Place place) {
    waiting.add(new Waiting(place, ++arrivals));
    if (workers.isEmpty()) {
      place.logs().line(LogStream.STDERR, "waiting for a worker of the cluster");
    }
    dispatch();
    return this;
  }

  private Behavior<Command> onWithdraw(Withdraw withdraw) {
    waiting.removeIf(
        queued -> {
          Place place = queued.place();
          if (place.stepId().equals(withdraw.stepId())) {
            place.done().completeExceptionally(new CancelledException());
            return true;
          }
          return false;
        });
    InFlight placed = inFlight.remove(withdraw.stepId());
    if (placed != null) {
      Known known = workers.get(placed.worker());
      if (known != null) {
        known.inFlight.remove(withdraw.stepId());
        known.started.remove(withdraw.stepId());
      }
      placed.worker().tell(new StepWorker.CancelStep(withdraw.stepId(), events));
      placed.place().done().completeExceptionally(new CancelledException());
      dispatch();
    }
    return this;
  }

  private Behavior<Command> onReport(Report report) {
    List<PlacementReport.Worker> list = new ArrayList<>();
    for (Known known : workers.values()) {
      list.add(
          new PlacementReport.Worker(
              known.described.node(),
              known.described.dataUrl(),
              known.described.slots(),
              known.inFlight.size(),
              known.placed));
    }
    report.replyTo().tell(new PlacementReport(list, waiting.size()));
    return this;
  }

  private Behavior<Command> onListed(Listed listed) {
    Set<ActorRef<StepWorker.Command>> now = listed.listing().getServiceInstances(StepWorker.KEY);
    for (ActorRef<StepWorker.Command> worker : now) {
      if (!workers.containsKey(worker) && describing.add(worker)) {
        getContext().watchWith(worker, new Gone(worker));
        worker.tell(new StepWorker.Describe(events));
      }
    }
    for (ActorRef<StepWorker.Command> worker : List.copyOf(workers.keySet())) {
      if (!now.contains(worker)) {
        onGone(worker);
      }
    }
    return this;
  }

  private Behavior<Command> onEvent(StepEvent event) {
    if (event instanceof StepEvent.Described described) {
      if (describing.remove(described.worker())) {
        layers.know(described.node(), described.dataUrl());
        workers.put(described.worker(), new Known(described));
        dispatch();
      }
    } else if (event instanceof StepEvent.StepStarted started) {
      inFlight(started.stepId())
          .map(placed -> workers.get(placed.worker()))
          .ifPresent(known -> known.started.add(started.stepId()));
    } else if (event instanceof StepEvent.StepLog log) {
      inFlight(log.stepId())
          .ifPresent(placed -> placed.place().logs().line(log.stream(), log.line()));
    } else if (event instanceof StepEvent.StepDone done) {
      inFlight(done.stepId())
          .map(placed -> workers.get(placed.worker()))
          .ifPresent(known -> known.holds(done.output().layers()));
      end(done.stepId())
          .ifPresent(place -> place.done().complete(new PlacedSnapshot(done.output())));
    } else if (event instanceof StepEvent.StepFailed failed) {
      end(failed.stepId())
          .ifPresent(
              place -> place.done().completeExceptionally(new PlacedStepFailed(failed.message())));
    }
    return this;
  }

  private Optional<InFlight> inFlight(String stepId) {
    return Optional.ofNullable(inFlight.get(stepId));
  }

  /** The step's answer came: its worker has room again. */
  private Optional<Place> end(String stepId) {
    InFlight placed = inFlight.remove(stepId);
    if (placed == null) {
      return Optional.empty(); // withdrawn, or placed again after its worker left
    }
    Known known = workers.get(placed.worker());
    if (known != null) {
      known.inFlight.remove(stepId);
      known.started.remove(stepId);
    }
    dispatch();
    return Optional.of(placed.place());
  }

  /** A worker left (or stopped): its steps wait again, ahead of the others. */
  private Behavior<Command> onGone(ActorRef<StepWorker.Command> worker) {
    describing.remove(worker);
    Known known = workers.remove(worker);
    if (known == null) {
      return this;
    }
    List<String> lost = new ArrayList<>(known.inFlight);
    java.util.Collections.reverse(lost);
    for (String stepId : lost) {
      InFlight placed = inFlight.remove(stepId);
      if (placed != null) {
        placed
            .place()
            .logs()
            .line(
                LogStream.STDERR,
                "the worker at "
                    + known.described.node()
                    + " left the cluster: placing the step again");
        waiting.add(new Waiting(placed.place(), --returns));
      }
    }
    dispatch();
    return this;
  }

  private void dispatch() {
    while (!waiting.isEmpty()) {
      Place next = waiting.peek().place();
      Optional<Map.Entry<ActorRef<StepWorker.Command>, Known>> chosen = choose(next.request());
      if (chosen.isEmpty()) {
        return;
      }
      waiting.poll();
      send(next, chosen.get().getKey(), chosen.get().getValue());
    }
    steal();
  }

  private void send(Place place, ActorRef<StepWorker.Command> worker, Known known) {
    known.inFlight.add(place.stepId());
    known.placed++;
    place.request().inputs().forEach(input -> known.holds(input.layers()));
    inFlight.put(place.stepId(), new InFlight(place, worker));
    worker.tell(
        new StepWorker.RunStep(
            place.stepId(), place.request().withDataUrls(layers.urls()), place.priority(), events));
  }

  /**
   * Nothing waits here, yet a worker has a free slot while another has more steps than slots, one
   * of which has not started: that step moves to the free slot, so that the end of a build never
   * waits on one worker's queue.
   */
  private void steal() {
    for (Map.Entry<ActorRef<StepWorker.Command>, Known> idle : workers.entrySet()) {
      Known free = idle.getValue();
      while (free.inFlight.size() < free.described.slots()) {
        Optional<Map.Entry<ActorRef<StepWorker.Command>, Known>> busy =
            workers.entrySet().stream()
                .filter(
                    entry ->
                        entry.getValue() != free
                            && entry.getValue().inFlight.size() > entry.getValue().described.slots()
                            && queuedOn(entry.getValue()).isPresent())
                .findFirst();
        if (busy.isEmpty()) {
          return;
        }
        Known from = busy.get().getValue();
        String stepId = queuedOn(from).orElseThrow();
        from.inFlight.remove(stepId);
        from.placed--;
        busy.get().getKey().tell(new StepWorker.CancelStep(stepId, events));
        send(inFlight.remove(stepId).place(), idle.getKey(), free);
      }
    }
  }

  /** The last step queued on {@code known} that has not started. */
  private static Optional<String> queuedOn(Known known) {
    String last = null;
    for (String stepId : known.inFlight) {
      if (!known.started.contains(stepId)) {
        last = stepId;
      }
    }
    return Optional.ofNullable(last);
  }

  /**
   * The worker holding most of the step's input bytes while it has a free slot; else the
   * least-loaded worker with room (more input bytes first on a tie); else none.
   */
  private Optional<Map.Entry<ActorRef<StepWorker.Command>, Known>> choose(StepRequest request) {
    Comparator<Map.Entry<ActorRef<StepWorker.Command>, Known>> byBytes =
        Comparator.comparingLong(entry -> entry.getValue().bytes(request));
    Optional<Map.Entry<ActorRef<StepWorker.Command>, Known>> holder =
        workers.entrySet().stream()
            .filter(entry -> entry.getValue().bytes(request) > 0)
            .max(byBytes);
    if (holder.isPresent()
        && holder.get().getValue().inFlight.size() < holder.get().getValue().described.slots()) {
      return holder;
    }
    return workers.entrySet().stream()
        .filter(
            entry ->
                entry.getValue().inFlight.size()
                    < entry.getValue().described.slots() + queuePerWorker)
        .min(
            Comparator.<Map.Entry<ActorRef<StepWorker.Command>, Known>>comparingDouble(
                    entry -> entry.getValue().load())
                .thenComparing(byBytes.reversed()));
  }
}
