package dev.kiln.engine.placement;

import dev.kiln.engine.run.LogSink;
import dev.kiln.engine.run.LogStream;
import dev.kiln.engine.solver.Result;
import dev.kiln.engine.worker.Unchecked;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How a coordinator's placed outputs were made: an output whose holder left the cluster, with a
 * layer whose maker left too, is handed on from this coordinator's copy if it fetched one, else
 * made again from its inputs, placed on the workers that remain; every step that reads it reads the
 * new one.
 */
final class Lineage {
  /**
   * Recipes remembered at most; beyond, the oldest are forgotten (those outputs cannot be remade).
   */
  private static final int MAX_RECIPES = 100_000;

  private final Map<SnapshotRef, StepRequest> recipes =
      Collections.synchronizedMap(
          new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<SnapshotRef, StepRequest> eldest) {
              return size() > MAX_RECIPES;
            }
          });
  private final Map<SnapshotRef, CompletableFuture<SnapshotRef>> remade = new ConcurrentHashMap<>();
  private final ActorRef<Placement.Command> placement;
  private final Predicate<String> member;
  private final LayerStore layers;
  private final Executor io;

  /**
   * Remakes through {@code placement}; {@code member} says whether a node is still a member; {@code
   * layers} fetches outputs to this node.
   */
  Lineage(
      ActorRef<Placement.Command> placement,
      Predicate<String> member,
      LayerStore layers,
      Executor io) {
    this.placement = placement;
    this.member = member;
    this.layers = layers;
    this.io = io;
  }

  /**
   * {@code result} as a snapshot of this node: a placed output is fetched, and made again first if
   * it cannot be fetched because the node that made a layer of it left (a copy already fetched here
   * is used as it is).
   */
  CompletableFuture<Result> local(Result result, LogSink logs) {
    if (!(result instanceof PlacedSnapshot placed)) {
      return CompletableFuture.completedFuture(result);
    }
    return CompletableFuture.supplyAsync(() -> Unchecked.get(() -> layers.local(placed)), io)
        .exceptionallyCompose(
            failure ->
                lost(placed.ref())
                    ? available(placed.ref(), logs)
                        .thenApplyAsync(
                            again -> Unchecked.get(() -> layers.local(new PlacedSnapshot(again))),
                            io)
                    : CompletableFuture.failedFuture(failure));
  }

  /** {@code output} was made by {@code request}. */
  void made(StepRequest request, SnapshotRef output) {
    recipes.put(output, request);
  }

  /**
   * Whether a layer of {@code ref} can no longer be fetched: the node holding the snapshot left,
   * and so did the node that made the layer.
   */
  boolean lost(SnapshotRef ref) {
    return !member.test(ref.heldBy())
        && ref.layers().stream().anyMatch(layer -> !member.test(layer.node()));
  }

  /** {@code request} with each input that was lost made again. */
  CompletableFuture<StepRequest> available(StepRequest request, LogSink logs) {
    List<CompletableFuture<SnapshotRef>> inputs = new ArrayList<>();
    for (SnapshotRef input : request.inputs()) {
      inputs.add(available(input, logs));
    }
    return CompletableFuture.allOf(inputs.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> request.withInputs(inputs.stream().map(CompletableFuture::join).toList()));
  }

  /** {@code ref}, or the same output made again (once, however many steps read it) if lost. */
  CompletableFuture<SnapshotRef> available(SnapshotRef ref, LogSink logs) {
    if (!lost(ref)) {
      return CompletableFuture.completedFuture(ref);
    }
    // Off the caller's thread, which may be an actor's: it looks at the disk.
    return CompletableFuture.supplyAsync(() -> layers.holds(ref), io)
        .thenCompose(
            held ->
                held
                    // Fetched here (for a COPY --from, say): the workers fetch this node's copies.
                    ? CompletableFuture.completedFuture(
                        new SnapshotRef(ref.layers(), layers.self()))
                    : remade(ref, logs));
  }

  /** {@code ref} made again, once however many steps ask. */
  private CompletableFuture<SnapshotRef> remade(SnapshotRef ref, LogSink logs) {
    CompletableFuture<SnapshotRef> mine = new CompletableFuture<>();
    CompletableFuture<SnapshotRef> existing = remade.putIfAbsent(ref, mine);
    if (existing != null) {
      return existing.thenCompose(again -> available(again, logs));
    }
    Optional<StepRequest> recipe = Optional.ofNullable(recipes.get(ref));
    if (recipe.isEmpty()) {
      mine.completeExceptionally(
          new IOException(
              "a step's input was held only by "
                  + ref.heldBy()
                  + ", which left the cluster, and this coordinator does not know how it was made"));
      return mine;
    }
    logs.line(
        LogStream.STDERR,
        "making "
            + recipe.get().name()
            + " again: its output was held only by "
            + ref.heldBy()
            + ", which left the cluster");
    available(recipe.get(), logs)
        .thenCompose(
            request -> {
              CompletableFuture<PlacedSnapshot> done = new CompletableFuture<>();
              // A step already waits for this output: ahead of the steps that wait for a worker.
              placement.tell(
                  new Placement.Place(
                      UUID.randomUUID().toString(), request, logs, done, Integer.MAX_VALUE));
              return done.thenApply(
                  output -> {
                    made(request, output.ref());
                    return output.ref();
                  });
            })
        .whenComplete(
            (again, failure) -> {
              if (failure != null) {
                remade.remove(ref, mine);
                mine.completeExceptionally(failure);
              } else {
                mine.complete(again);
              }
            });
    return mine;
  }
}
