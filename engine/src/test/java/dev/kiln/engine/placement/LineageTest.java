package dev.kiln.engine.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.run.LogSink;
import dev.kiln.engine.snapshot.TestLayers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outputs whose node left, made again from how they were made (a test probe places the steps). */
class LineageTest {
  private static final String COORDINATOR = "10.0.0.1:25520";
  private final ActorTestKit kit = ActorTestKit.create();
  private final TestProbe<Placement.Command> placement = kit.createTestProbe();
  private final Set<String> members = ConcurrentHashMap.newKeySet();
  @TempDir Path temp;
  private Lineage lineage;
  private LayerStore layers;

  @BeforeEach
  void start() throws Exception {
    members.addAll(List.of(COORDINATOR, "10.0.0.2:25520", "10.0.0.3:25520"));
    layers =
        new LayerStore(
            TestLayers.snapshotter(java.nio.file.Files.createDirectories(temp.resolve("a"))),
            COORDINATOR,
            "http://10.0.0.1:1");
    lineage = new Lineage(placement.getRef(), members::contains, layers, Runnable::run);
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private static SnapshotRef on(String node, String id, SnapshotRef... below) {
    List<LayerRef> layers = new java.util.ArrayList<>();
    for (SnapshotRef input : below) {
      layers.addAll(input.layers());
    }
    layers.add(new LayerRef(node, id, 10));
    return new SnapshotRef(layers, node);
  }

  private static StepRequest step(String name, SnapshotRef... inputs) {
    return new StepRequest(
        name, "{}", "sha256:op", "sha256:" + name, List.of(), false, List.of(inputs), Map.of());
  }

  /** The next step placed: answered with {@code output}. */
  private StepRequest placed(SnapshotRef output) {
    Placement.Place place = placement.expectMessageClass(Placement.Place.class);
    place.done().complete(new PlacedSnapshot(output));
    return place.request();
  }

  @Test
  void anOutputWhoseNodesAreMembersIsUsedAsItIs() throws Exception {
    SnapshotRef base = on(COORDINATOR, "1");
    SnapshotRef made = on("10.0.0.2:25520", "2", base);
    lineage.made(step("run", base), made);

    assertEquals(made, lineage.available(made, LogSink.DISCARD).get(5, TimeUnit.SECONDS));
    placement.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void anOutputWhoseNodeLeftIsMadeAgainOnceForAllItsReaders() throws Exception {
    SnapshotRef base = on(COORDINATOR, "1");
    SnapshotRef made = on("10.0.0.2:25520", "2", base);
    lineage.made(step("run", base), made);
    members.remove("10.0.0.2:25520");
    List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();

    CompletableFuture<SnapshotRef> first =
        lineage.available(made, (stream, line) -> said.add(line));
    CompletableFuture<SnapshotRef> second = lineage.available(made, LogSink.DISCARD);
    SnapshotRef again = on("10.0.0.3:25520", "9", base);
    StepRequest remade = placed(again);

    assertEquals("run", remade.name());
    assertEquals(List.of(base), remade.inputs());
    assertEquals(again, first.get(5, TimeUnit.SECONDS));
    assertEquals(again, second.get(5, TimeUnit.SECONDS));
    placement.expectNoMessage(Duration.ofMillis(50));
    assertTrue(
        said.contains(
            "making run again: its output was held only by 10.0.0.2:25520, which left the cluster"),
        said.toString());
  }

  @Test
  void lostInputsOfALostOutputAreMadeAgainFirst() throws Exception {
    SnapshotRef base = on(COORDINATOR, "1");
    SnapshotRef one = on("10.0.0.2:25520", "2", base);
    SnapshotRef two = on("10.0.0.2:25520", "3", one);
    lineage.made(step("one", base), one);
    lineage.made(step("two", one), two);
    members.remove("10.0.0.2:25520");

    CompletableFuture<StepRequest> request = lineage.available(step("three", two), LogSink.DISCARD);
    SnapshotRef oneAgain = on("10.0.0.3:25520", "7", base);
    assertEquals("one", placed(oneAgain).name());
    SnapshotRef twoAgain = on("10.0.0.3:25520", "8", oneAgain);
    StepRequest secondPlaced = placed(twoAgain);

    assertEquals(List.of(oneAgain), secondPlaced.inputs());
    assertEquals(List.of(twoAgain), request.get(5, TimeUnit.SECONDS).inputs());
  }

  @Test
  void aLostOutputOfUnknownMakingFailsNamingItsHolder() {
    SnapshotRef foreign = on("10.0.0.2:25520", "2", on(COORDINATOR, "1"));
    members.remove("10.0.0.2:25520");

    ExecutionException failure =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class,
            () -> lineage.available(foreign, LogSink.DISCARD).get(5, TimeUnit.SECONDS));

    assertTrue(
        failure.getCause().getMessage().contains("held only by 10.0.0.2:25520, which left"),
        failure.getCause().getMessage());
  }

  @Test
  void aLostOutputThisCoordinatorFetchedIsHandedOnNotMadeAgain() throws Exception {
    dev.kiln.engine.snapshot.Snapshotter b =
        TestLayers.snapshotter(java.nio.file.Files.createDirectories(temp.resolve("b")));
    dev.kiln.engine.snapshot.Layer made = TestLayers.busybox(b);
    DataServer server =
        DataServer.start(
            kit.system(),
            b,
            temp.resolve("b"),
            "127.0.0.1",
            0,
            java.util.concurrent.ForkJoinPool.commonPool());
    SnapshotRef ref =
        new LayerStore(b, "10.0.0.2:25520", server.url())
            .refs(
                new dev.kiln.engine.worker.SnapshotResult(
                    new dev.kiln.engine.snapshot.Snapshot(List.of(made))));
    layers.know("10.0.0.2:25520", server.url());
    layers.local(ref); // a COPY --from read it here
    server.close().toCompletableFuture().get(5, TimeUnit.SECONDS);
    members.remove("10.0.0.2:25520");

    SnapshotRef handedOn = lineage.available(ref, LogSink.DISCARD).get(5, TimeUnit.SECONDS);

    assertEquals(new SnapshotRef(ref.layers(), COORDINATOR), handedOn);
    placement.expectNoMessage(Duration.ofMillis(50));
  }
}
