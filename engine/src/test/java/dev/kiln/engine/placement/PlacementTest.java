package dev.kiln.engine.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.run.CancelledException;
import dev.kiln.engine.run.LogStream;
import dev.kiln.engine.snapshot.TestLayers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator's placement against stand-in workers (test probes registered as workers): which
 * worker a step goes to, how many a worker gets, and what happens when a worker frees a slot, fails
 * a step or leaves.
 */
class PlacementTest {
  private final ActorTestKit kit = ActorTestKit.create();
  @TempDir Path temp;
  private ActorRef<Placement.Command> placement;
  private final List<String> logged = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    LayerStore layers =
        new LayerStore(TestLayers.snapshotter(temp), "127.0.0.1:1", "http://127.0.0.1:1");
    placement = kit.spawn(Placement.create(1, layers));
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  /** A stand-in worker of {@code slots}, known to the placement once this returns. */
  private TestProbe<StepWorker.Command> worker(String node, int slots) {
    TestProbe<StepWorker.Command> worker = kit.createTestProbe();
    kit.system().receptionist().tell(Receptionist.register(StepWorker.KEY, worker.getRef()));
    StepWorker.Describe describe = worker.expectMessageClass(StepWorker.Describe.class);
    describe
        .replyTo()
        .tell(new StepEvent.Described(worker.getRef(), node, slots, "http://" + node));
    // Known once it answers a report.
    TestProbe<PlacementReport> report = kit.createTestProbe();
    for (int i = 0; i < 50; i++) {
      placement.tell(new Placement.Report(report.getRef()));
      if (report.receiveMessage().workers().stream().anyMatch(w -> w.node().equals(node))) {
        return worker;
      }
    }
    throw new AssertionError("the placement never knew " + node);
  }

  /** A step whose one input holds {@code bytes} on {@code node}. */
  private static StepRequest step(String name, String node, long bytes) {
    return new StepRequest(
        name,
        "{}",
        "sha256:" + "0".repeat(64),
        "sha256:" + "1".repeat(64),
        List.of(),
        false,
        List.of(new SnapshotRef(List.of(new LayerRef(node, name, bytes)), node)),
        Map.of());
  }

  private CompletableFuture<PlacedSnapshot> place(String id, StepRequest request) {
    CompletableFuture<PlacedSnapshot> done = new CompletableFuture<>();
    placement.tell(
        new Placement.Place(id, request, (stream, line) -> logged.add(stream + " " + line), done));
    return done;
  }

  private static StepWorker.RunStep run(TestProbe<StepWorker.Command> worker) {
    return worker.expectMessageClass(StepWorker.RunStep.class);
  }

  private static SnapshotRef output(String node) {
    return new SnapshotRef(List.of(new LayerRef(node, "99", 1)), node);
  }

  @Test
  void aStepGoesToTheWorkerHoldingMostOfItsInputs() {
    TestProbe<StepWorker.Command> a = worker("a:1", 2);
    TestProbe<StepWorker.Command> b = worker("b:1", 2);

    place("1", step("x", "b:1", 1_000));

    assertEquals("1", run(b).stepId());
    a.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aFullWorkerPassesStepsToTheLeastLoadedAndNoneGetsMoreThanItsSlotsAndOneQueued() {
    TestProbe<StepWorker.Command> a = worker("a:1", 2);
    TestProbe<StepWorker.Command> b = worker("b:1", 1);
    List<String> onA = new ArrayList<>();
    List<String> onB = new ArrayList<>();

    for (int i = 0; i < 7; i++) {
      place("s" + i, step("x" + i, "a:1", 1_000));
    }
    for (int i = 0; i < 3; i++) {
      onA.add(run(a).stepId());
    }
    for (int i = 0; i < 2; i++) {
      onB.add(run(b).stepId());
    }
    a.expectNoMessage(Duration.ofMillis(100));
    b.expectNoMessage(Duration.ofMillis(10));
    TestProbe<PlacementReport> report = kit.createTestProbe();
    placement.tell(new Placement.Report(report.getRef()));

    // a holds the inputs: it takes two (its slots), then b the least loaded, then one queued each.
    assertEquals(List.of("s0", "s1", "s3"), onA);
    assertEquals(List.of("s2", "s4"), onB);
    assertEquals(2, report.receiveMessage().waiting());
  }

  @Test
  void ofTheStepsWaitingForAWorkerTheOneWithMostToFollowGoesFirst() {
    TestProbe<StepWorker.Command> a = worker("a:1", 1);
    place("s0", step("x0", "a:1", 1));
    place("s1", step("x1", "a:1", 1)); // a's slot and its one queued step
    StepWorker.RunStep first = run(a);
    StepWorker.RunStep second = run(a);
    for (String[] waiting :
        new String[][] {{"low", "1"}, {"high", "5"}, {"mid", "3"}, {"mid2", "3"}}) {
      CompletableFuture<PlacedSnapshot> done = new CompletableFuture<>();
      placement.tell(
          new Placement.Place(
              waiting[0],
              step(waiting[0], "a:1", 1),
              (stream, line) -> logged.add(stream + " " + line),
              done,
              Integer.parseInt(waiting[1])));
    }
    List<String> order = new ArrayList<>(List.of(first.stepId(), second.stepId()));
    List<StepWorker.RunStep> running = new ArrayList<>(List.of(first, second));

    while (order.size() < 6) {
      StepWorker.RunStep done = running.remove(0);
      done.replyTo().tell(new StepEvent.StepDone(done.stepId(), output("a:1"), true));
      StepWorker.RunStep next = run(a);
      order.add(next.stepId());
      running.add(next);
    }

    assertEquals(List.of("s0", "s1", "high", "mid", "mid2", "low"), order);
  }

  @Test
  void aQueuedStepMovesToAWorkerThatFreesASlot() throws Exception {
    TestProbe<StepWorker.Command> a = worker("a:1", 1);
    TestProbe<StepWorker.Command> b = worker("b:1", 1);
    place("s0", step("x0", "a:1", 1_000));
    CompletableFuture<PlacedSnapshot> s1 = place("s1", step("x1", "a:1", 1_000));
    place("s2", step("x2", "a:1", 1_000));
    StepWorker.RunStep first = run(a);
    StepWorker.RunStep onB = run(b);
    StepWorker.RunStep queued = run(a);
    first.replyTo().tell(new StepEvent.StepStarted("s0"));

    onB.replyTo().tell(new StepEvent.StepDone("s1", output("b:1"), true));

    assertEquals(List.of("s0", "s1", "s2"), List.of(first.stepId(), onB.stepId(), queued.stepId()));
    assertEquals(output("b:1"), s1.get(5, TimeUnit.SECONDS).ref());
    assertEquals("s2", a.expectMessageClass(StepWorker.CancelStep.class).stepId());
    assertEquals("s2", run(b).stepId());
  }

  @Test
  void aStepThatFailsOnAWorkerFailsWithItsMessageAfterItsOutput() {
    TestProbe<StepWorker.Command> a = worker("a:1", 1);
    CompletableFuture<PlacedSnapshot> done = place("s0", step("x0", "a:1", 1));
    StepWorker.RunStep running = run(a);

    running.replyTo().tell(new StepEvent.StepLog("s0", LogStream.STDOUT, "compiling"));
    running.replyTo().tell(new StepEvent.StepFailed("s0", "exit code: 3"));

    ExecutionException failed =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> done.get(5, TimeUnit.SECONDS));
    assertInstanceOf(PlacedStepFailed.class, failed.getCause());
    assertEquals("exit code: 3", failed.getCause().getMessage());
    assertEquals(List.of("STDOUT compiling"), logged);
  }

  @Test
  void aWithdrawnStepIsCancelledOnItsWorker() {
    TestProbe<StepWorker.Command> a = worker("a:1", 1);
    CompletableFuture<PlacedSnapshot> done = place("s0", step("x0", "a:1", 1));
    run(a);

    placement.tell(new Placement.Withdraw("s0"));

    assertEquals("s0", a.expectMessageClass(StepWorker.CancelStep.class).stepId());
    ExecutionException failed =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> done.get(5, TimeUnit.SECONDS));
    assertInstanceOf(CancelledException.class, failed.getCause());
  }

  @Test
  void theStepsOfAWorkerThatLeavesArePlacedAgain() throws Exception {
    TestProbe<StepWorker.Command> a = worker("a:1", 1);
    TestProbe<StepWorker.Command> b = worker("b:1", 1);
    CompletableFuture<PlacedSnapshot> done = place("s0", step("x0", "a:1", 1_000));
    run(a);

    a.stop();
    StepWorker.RunStep again = run(b);
    again.replyTo().tell(new StepEvent.StepDone("s0", output("b:1"), true));

    assertEquals("s0", again.stepId());
    assertEquals(output("b:1"), done.get(5, TimeUnit.SECONDS).ref());
    assertTrue(
        logged.contains("STDERR the worker at a:1 left the cluster: placing the step again"),
        logged.toString());
  }
}
