package dev.kiln.engine.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.graph.GraphJson;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.TestLayers;
import dev.kiln.engine.solver.CacheKey;
import dev.kiln.engine.solver.ExecutionSlots;
import dev.kiln.engine.solver.OpRunner;
import dev.kiln.engine.solver.Result;
import dev.kiln.engine.solver.ResultCache;
import dev.kiln.engine.worker.SnapshotResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker's placed step, whose inputs are made local while its cache is asked: a hit is answered
 * whatever became of the inputs, a miss runs once they are local, and a miss whose inputs cannot be
 * made local fails with the layer named.
 */
class StepRunTest {
  private static final String SELF = "127.0.0.1:2";
  private static final String KEY =
      "sha256:0000000000000000000000000000000000000000000000000000000000000001";

  private final ActorTestKit kit = ActorTestKit.create();
  @TempDir Path temp;
  private Snapshotter snapshotter;
  private Layer base;
  private LayerStore layers;
  private final ResultCache cache = ResultCache.inMemory();
  // Completes once the worker's first task on the I/O dispatcher (making the inputs local) ran.
  private final CompletableFuture<Void> localized = new CompletableFuture<>();
  private final AtomicInteger runs = new AtomicInteger();
  private final AtomicReference<List<Result>> ranWith = new AtomicReference<>();
  // The first run's end: until it completes, that run holds the worker's one slot.
  private CompletableFuture<List<Result>> firstRun = new CompletableFuture<>();
  private boolean holdFirstRun;
  private TestProbe<Integer> acquired;

  @BeforeEach
  void node() throws Exception {
    snapshotter = TestLayers.snapshotter(temp);
    base = TestLayers.busybox(snapshotter);
    layers = new LayerStore(snapshotter, SELF, "http://127.0.0.1:9");
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  /** A worker whose op's run counts itself and answers its first input as its output. */
  private ActorRef<StepWorker.Command> worker() {
    OpRunner op =
        new OpRunner() {
          @Override
          public CompletionStage<String> cacheDigest(RunContext context) {
            return CompletableFuture.completedFuture("op");
          }

          @Override
          public CompletionStage<List<Result>> run(List<Result> inputs, RunContext context) {
            ranWith.set(inputs);
            if (runs.incrementAndGet() == 1 && holdFirstRun) {
              return firstRun;
            }
            return CompletableFuture.completedFuture(List.of(inputs.get(0)));
          }
        };
    return kit.spawn(
        StepWorker.create(
            new StepRun.Services(
                (digest, vertex, inputs) -> op,
                answeredOnceLocalized(),
                layers,
                slots(),
                SELF,
                1,
                task ->
                    ForkJoinPool.commonPool()
                        .execute(
                            () -> {
                              task.run();
                              localized.complete(null);
                            }))));
  }

  /** The worker's one slot, telling {@link #acquired} the priority of each request for it. */
  private ActorRef<ExecutionSlots.Command> slots() {
    ActorRef<ExecutionSlots.Command> real = kit.spawn(ExecutionSlots.create(1));
    acquired = kit.createTestProbe();
    return kit.spawn(
        org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(
            command -> {
              real.tell(command);
              if (command instanceof ExecutionSlots.Acquire acquire) {
                acquired.getRef().tell(acquire.priority());
              }
              return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
            }));
  }

  /**
   * The cache, answering a lookup only after the inputs were made local (or failed to be): the
   * worker then hears of its inputs first, the order that must not turn a hit into a failure.
   */
  private ResultCache answeredOnceLocalized() {
    return new ResultCache() {
      @Override
      public CompletionStage<java.util.Optional<Hit>> lookup(CacheKey key) {
        return localized.thenCompose(done -> cache.lookup(key));
      }

      @Override
      public CompletionStage<Void> record(CacheKey key, List<Result> outputs, Made made) {
        return cache.record(key, outputs, made);
      }
    };
  }

  private static StepRequest request(SnapshotRef input) throws Exception {
    return request(input, KEY);
  }

  private static StepRequest request(SnapshotRef input, String key) throws Exception {
    return new StepRequest(
        "RUN true",
        GraphJson.canonical().writeValueAsString(ExecOp.of("true")),
        "sha256:0000000000000000000000000000000000000000000000000000000000000002",
        key,
        List.of(),
        false,
        List.of(input),
        Map.of());
  }

  /** A layer of a node nobody knows the data server of: it cannot be made local. */
  private static SnapshotRef unreachable() {
    return new SnapshotRef(List.of(new LayerRef("10.0.0.9:25520", "4", 10)), "10.0.0.9:25520");
  }

  private StepEvent run(SnapshotRef input) throws Exception {
    TestProbe<StepEvent> coordinator = kit.createTestProbe();
    worker().tell(new StepWorker.RunStep("s1", request(input), 0, coordinator.getRef()));
    StepEvent event = coordinator.receiveMessage();
    while (event instanceof StepEvent.StepStarted || event instanceof StepEvent.StepLog) {
      event = coordinator.receiveMessage();
    }
    return event;
  }

  @Test
  void aHitIsAnsweredEvenWhenItsInputsCannotBeMadeLocal() throws Exception {
    Result recorded = new SnapshotResult(new Snapshot(List.of(base)));
    cache
        .record(
            new CacheKey(dev.kiln.engine.graph.Digest.parse(KEY)),
            List.of(recorded),
            new ResultCache.Made("exec", "RUN true", "", List.of(), ""))
        .toCompletableFuture()
        .join();

    StepEvent.StepDone done = assertInstanceOf(StepEvent.StepDone.class, run(unreachable()));

    assertFalse(done.ran());
    assertEquals(base.id(), done.output().layers().get(0).id());
    assertEquals(0, runs.get());
  }

  @Test
  void aMissRunsOnceItsInputsAreLocalAndIsRecordedBeforeItIsAnswered() throws Exception {
    SnapshotRef input = layers.refs(new SnapshotResult(new Snapshot(List.of(base))));

    StepEvent.StepDone done = assertInstanceOf(StepEvent.StepDone.class, run(input));

    assertTrue(done.ran());
    assertEquals(1, runs.get());
    Snapshot local = ((SnapshotResult) ranWith.get().get(0)).snapshot();
    assertEquals(base.dir(), local.layers().get(0).dir());
    assertTrue(
        cache
            .lookup(new CacheKey(dev.kiln.engine.graph.Digest.parse(KEY)))
            .toCompletableFuture()
            .join()
            .isPresent());
  }

  @Test
  void aMissWhoseInputsCannotBeMadeLocalFailsNamingTheLayer() throws Exception {
    StepEvent.StepFailed failed = assertInstanceOf(StepEvent.StepFailed.class, run(unreachable()));

    assertTrue(failed.message().contains("10.0.0.9:25520"), failed.message());
    assertEquals(0, runs.get());
  }

  @Test
  void stepsWaitingForTheWorkersSlotsStartInTheirPriorityOrder() throws Exception {
    holdFirstRun = true;
    SnapshotRef input = layers.refs(new SnapshotResult(new Snapshot(List.of(base))));
    TestProbe<StepEvent> coordinator = kit.createTestProbe();
    ActorRef<StepWorker.Command> worker = worker();
    worker.tell(new StepWorker.RunStep("first", request(input, key(1)), 0, coordinator.getRef()));
    assertEquals(new StepEvent.StepStarted("first"), coordinator.receiveMessage());

    worker.tell(new StepWorker.RunStep("low", request(input, key(2)), 1, coordinator.getRef()));
    worker.tell(new StepWorker.RunStep("high", request(input, key(3)), 5, coordinator.getRef()));
    // Both wait for the slot once their lookups missed and their inputs are local.
    assertEquals(0, acquired.receiveMessage());
    List<Integer> waiting = new java.util.ArrayList<>(List.of(acquired.receiveMessage()));
    waiting.add(acquired.receiveMessage());
    java.util.Collections.sort(waiting);
    assertEquals(List.of(1, 5), waiting);
    firstRun.complete(List.of(new SnapshotResult(new Snapshot(List.of(base)))));

    List<String> started = new java.util.ArrayList<>();
    while (started.size() < 2) {
      if (coordinator.receiveMessage() instanceof StepEvent.StepStarted start
          && !start.stepId().equals("first")) {
        started.add(start.stepId());
      }
    }
    assertEquals(List.of("high", "low"), started);
  }

  private static String key(int n) {
    return String.format("sha256:%064x", n);
  }
}
