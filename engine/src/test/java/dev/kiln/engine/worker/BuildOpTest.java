package dev.kiln.engine.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.DefinitionWriter;
import dev.kiln.engine.graph.State;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.SnapshotFiles;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Build ops on a real engine: nested builds share the cache, the dedup and the slots (issue 9). */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BuildOpTest {
  @TempDir Path root;
  State busybox;

  @BeforeEach
  void setUp() throws Exception {
    busybox = State.source(BusyboxLayout.identifier());
  }

  private record Build(Outcome outcome, List<ProgressEvent> events) {
    Snapshot snapshot() {
      if (outcome instanceof Outcome.SolveFailed failed) {
        throw new AssertionError(failed.error().render());
      }
      return ((SnapshotResult) ((Outcome.Solved) outcome).result()).snapshot();
    }

    String error() {
      return assertInstanceOf(Outcome.SolveFailed.class, outcome).error().render();
    }

    List<String> started() {
      return events.stream()
          .filter(ProgressEvent.VertexStarted.class::isInstance)
          .map(e -> ((ProgressEvent.VertexStarted) e).name())
          .toList();
    }
  }

  private static Build solve(Engine engine, Definition definition, Map<String, Path> locals)
      throws Exception {
    List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    Outcome outcome =
        engine
            .solve(definition, locals, events::add)
            .toCompletableFuture()
            .get(4, TimeUnit.MINUTES);
    return new Build(outcome, List.copyOf(events));
  }

  private static String read(Snapshot snapshot, String path) throws Exception {
    return Files.readString(
            SnapshotFiles.find(snapshot, path).orElseThrow(() -> new AssertionError(path)))
        .strip();
  }

  /** {@code base} with {@code nested} written at {@code path} and built there. */
  private static State nest(State base, String path, State nested) {
    return base.mkfile(path, DefinitionWriter.write(nested.definition())).build(path);
  }

  /** Three build ops deep, each level adding a file merged with the level below. */
  private Definition chainThreeDeep() {
    State three = busybox.run("sh", "-c", "echo three > /three");
    State two =
        State.merge(busybox.run("sh", "-c", "echo two > /two"), nest(busybox, "/d3.json", three));
    State one =
        State.merge(busybox.run("sh", "-c", "echo one > /one"), nest(busybox, "/d2.json", two));
    return nest(busybox, "/d1.json", one).definition();
  }

  @Test
  void aChainThreeDeepMakesEveryLevelsFilesAndRunsNothingTheSecondTime() throws Exception {
    Definition chain = chainThreeDeep();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      Build first = solve(engine, chain, Map.of());

      Snapshot result = first.snapshot();
      assertEquals("one", read(result, "/one"));
      assertEquals("two", read(result, "/two"));
      assertEquals("three", read(result, "/three"));
      assertTrue(
          first
              .started()
              .contains(
                  "[nested: d1.json] [nested: d2.json] [nested: d3.json] sh -c echo three > /three"),
          "nested steps show under their build ops: " + first.started());
    }
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      Build second = solve(engine, chain, Map.of());

      assertEquals("three", read(second.snapshot(), "/three"));
      assertEquals(List.of(), second.started(), "everything is cached, nested steps included");
    }
  }

  @Test
  void aBuildOpHoldsNoSlotWhileItsNestedBuildRuns() throws Exception {
    // With one execution slot, a build op that held one would wait for its own nested steps.
    try (Engine engine = Engine.start(new EngineConfig(root, 1, Map.of()))) {
      Snapshot result = solve(engine, chainThreeDeep(), Map.of()).snapshot();

      assertEquals("three", read(result, "/three"));
    }
  }

  @Test
  void aStepTheOuterAndTheNestedGraphBothNeedRunsOnce() throws Exception {
    State shared = busybox.run("sh", "-c", "echo $RANDOM$RANDOM$RANDOM > /shared");
    State nested = shared.run("sh", "-c", "cp /shared /copy");
    Definition definition = State.merge(shared, nest(busybox, "/n.json", nested)).definition();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      Snapshot result = solve(engine, definition, Map.of()).snapshot();

      // Run twice, the two random values would differ.
      assertEquals(read(result, "/shared"), read(result, "/copy"));
    }
  }

  @Test
  void aFailingNestedStepFailsTheBuildNamingTheNestedPathAndItsOutput() throws Exception {
    State failing = busybox.run("sh", "-c", "echo doomed-output; exit 3");
    Definition definition = nest(busybox, "/tools/graph.json", failing).definition();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      String error = solve(engine, definition, Map.of()).error();

      assertTrue(
          error.contains("nested build tools/graph.json: [sh -c echo doomed-output; exit 3]"),
          error);
      assertTrue(error.contains("doomed-output"), "the nested step's output: " + error);

      // The engine is healthy: the next build runs.
      Build next = solve(engine, busybox.run("sh", "-c", "echo ok > /ok").definition(), Map.of());
      assertEquals("ok", read(next.snapshot(), "/ok"));
    }
  }

  @Test
  void aDefinitionThatBuildsItselfFailsShowingTheChain() throws Exception {
    Definition self = State.local("ctx", List.of(), List.of()).build("/self.json").definition();
    Path ctx = Files.createDirectories(root.resolve("ctx"));
    Files.writeString(ctx.resolve("self.json"), DefinitionWriter.write(self));
    try (Engine engine = Engine.start(EngineConfig.at(root.resolve("engine")))) {
      String error = solve(engine, self, Map.of("ctx", ctx)).error();

      assertTrue(error.contains("the nested build builds itself: the build -> self.json"), error);
    }
  }

  @Test
  void nestingDeeperThanTheConfiguredLimitFails() throws Exception {
    System.setProperty("kiln.nesting.max-depth", "2");
    ConfigFactory.invalidateCaches();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      String error = solve(engine, chainThreeDeep(), Map.of()).error();

      assertTrue(
          error.contains(
              "nested builds go deeper than 2 levels (kiln.nesting.max-depth): the build -> d1.json -> d2.json -> d3.json"),
          error);
    } finally {
      System.clearProperty("kiln.nesting.max-depth");
      ConfigFactory.invalidateCaches();
    }
  }

  @Test
  void aNestedBuildCannotReadAHostLayoutItsBuildDoesNotName() throws Exception {
    State scratch = State.source("scratch");
    Definition definition = nest(scratch, "/n.json", busybox.run("true")).definition();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      String error = solve(engine, definition, Map.of()).error();

      assertTrue(error.contains("n.json reads the host layout"), error);
      assertFalse(error.contains("Exception"), error);
    }
  }

  @Test
  void aNestedStepNeedsTheSameEntitlementsAsAnOuterOne() throws Exception {
    State insecure =
        busybox.run(List.of(), dev.kiln.engine.graph.SecurityMode.INSECURE, List.of("true"));
    Definition definition = nest(busybox, "/n.json", insecure).definition();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      String error = solve(engine, definition, Map.of()).error();

      assertTrue(
          error.contains("nested build n.json: [true]: security.insecure is not allowed"), error);
    }
  }

  @Test
  void garbageAtTheDefinitionPathFailsNamingTheFileAndLine() throws Exception {
    Definition definition =
        busybox.mkfile("/g.json", "{\"vertices\": [\n  nonsense\n]}").build("/g.json").definition();
    try (Engine engine = Engine.start(EngineConfig.at(root))) {
      String error = solve(engine, definition, Map.of()).error();

      assertTrue(error.contains("g.json:2:"), error);
    }
  }
}
