package dev.kiln.engine.solver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.graph.Input;
import dev.kiln.engine.graph.MergeOp;
import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.graph.VertexDigests;
import dev.kiln.engine.progress.ProgressEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SolverTest {
  private final ActorTestKit kit = ActorTestKit.create();
  private final FakeOps ops = new FakeOps();
  private ResultCache cache = ResultCache.inMemory();

  @AfterEach
  void shutdown() {
    kit.shutdownTestKit();
  }

  /** Builds definitions from vertices; the last one added is the root. */
  private static final class Graph {
    final Map<Digest, Vertex> vertices = new LinkedHashMap<>();
    Digest last;

    Input add(String kind, String name, Input... inputs) {
      Vertex vertex = new Vertex(ExecOp.of(kind, name), List.of(inputs), null);
      return put(vertex);
    }

    Input uncached(String kind, String name, Input... inputs) {
      return put(
          new Vertex(
              ExecOp.of(kind, name),
              List.of(inputs),
              new dev.kiln.engine.graph.VertexMeta("", true, "")));
    }

    Input merge(Input... inputs) {
      return put(new Vertex(new MergeOp(), List.of(inputs), null));
    }

    Input put(Vertex vertex) {
      last = VertexDigests.of(vertex);
      vertices.put(last, vertex);
      return Input.of(last);
    }

    Definition definition() {
      return new Definition(vertices, Input.of(last));
    }
  }

  private ActorRef<Solver.Command> solver(int slots) {
    Resolver resolver =
        (digest, vertex, locals) ->
            vertex.op() instanceof MergeOp
                ? ops.resolve(digest, new Vertex(ExecOp.of("ok", "merge"), vertex.inputs(), null))
                : ops.resolve(digest, vertex, locals);
    return kit.spawn(Solver.create(resolver, cache, slots));
  }

  private TestProbe<Outcome> solve(
      ActorRef<Solver.Command> solver, Definition definition, TestProbe<ProgressEvent> progress) {
    TestProbe<Outcome> outcome = kit.createTestProbe();
    solver.tell(new Solver.Solve(definition, progress.getRef(), outcome.getRef()));
    return outcome;
  }

  private TestProbe<Outcome> solve(
      ActorRef<Solver.Command> solver,
      Definition definition,
      Map<String, java.nio.file.Path> locals) {
    TestProbe<Outcome> outcome = kit.createTestProbe();
    TestProbe<ProgressEvent> progress = kit.createTestProbe();
    solver.tell(new Solver.Solve(definition, locals, progress.getRef(), outcome.getRef(), 0));
    return outcome;
  }

  private TestProbe<Outcome> solve(
      ActorRef<Solver.Command> solver, Definition definition, long ticket) {
    TestProbe<Outcome> outcome = kit.createTestProbe();
    TestProbe<ProgressEvent> progress = kit.createTestProbe();
    solver.tell(
        new Solver.Solve(definition, Map.of(), progress.getRef(), outcome.getRef(), ticket));
    return outcome;
  }

  @Test
  void aCancelledBuildFailsAtOnceAndStopsTheStepsOnlyItNeeded() throws Exception {
    Graph g = new Graph();
    g.add("gate", "slow");
    ActorRef<Solver.Command> solver = solver(4);

    var outcome = solve(solver, g.definition(), 7);
    ops.startedSignal("slow").get(10, TimeUnit.SECONDS);
    solver.tell(new Solver.Cancel(7));

    Outcome cancelled = outcome.receiveMessage();
    assertInstanceOf(Outcome.SolveFailed.class, cancelled);
    assertTrue(
        ((Outcome.SolveFailed) cancelled).error().message().contains("cancelled"),
        cancelled.toString());
    ops.cancelledSignal("slow").get(10, TimeUnit.SECONDS);
  }

  @Test
  void cancellingOneBuildLeavesTheStepsAnotherBuildNeedsRunning() throws Exception {
    Graph g = new Graph();
    g.add("gate", "shared");
    ActorRef<Solver.Command> solver = solver(4);

    var cancelled = solve(solver, g.definition(), 1);
    var kept = solve(solver, g.definition(), 2);
    ops.startedSignal("shared").get(10, TimeUnit.SECONDS);
    solver.tell(new Solver.Cancel(1));
    assertInstanceOf(Outcome.SolveFailed.class, cancelled.receiveMessage());

    ops.gate("shared").complete(null);
    assertEquals("shared()", value(kept.receiveMessage()));
    assertTrue(!ops.cancelledSignal("shared").isDone(), "the shared step was cancelled");
    assertEquals(1, ops.runs("shared"));
  }

  @Test
  void concurrentBuildsGivingALocalSourceOtherDirectoriesEachGetTheirOwn() throws Exception {
    Graph g = stepOnContext();
    ActorRef<Solver.Command> solver = solver(4);

    var a = solve(solver, g.definition(), Map.of("context", java.nio.file.Path.of("/a")));
    var b = solve(solver, g.definition(), Map.of("context", java.nio.file.Path.of("/b")));
    var alsoA = solve(solver, g.definition(), Map.of("context", java.nio.file.Path.of("/a")));
    ops.startedSignal("use").get(10, TimeUnit.SECONDS);
    ops.gate("use").complete(null);

    assertEquals("use(local /a)", value(a.receiveMessage()));
    assertEquals("use(local /b)", value(b.receiveMessage()));
    assertEquals("use(local /a)", value(alsoA.receiveMessage()));
    assertEquals(1, ops.runs("local /a"), "the builds with the same directory shared the source");
    assertEquals(1, ops.runs("local /b"));
    assertEquals(2, ops.runs("use"), "one run per directory");
  }

  @Test
  void buildsWhoseStepHasOneKeyRunItOnceThoughTheirContextsAreOtherDirectories() throws Exception {
    Graph g = stepOnContext();
    sameFiles("/a", "/b");
    ActorRef<Solver.Command> solver = solver(4);
    TestProbe<ProgressEvent> aProgress = kit.createTestProbe();
    TestProbe<ProgressEvent> bProgress = kit.createTestProbe();

    var a = solve(solver, g.definition(), "/a", aProgress);
    var b = solve(solver, g.definition(), "/b", bProgress);
    // Both builds' steps are under way (one running, one waiting for it) before it may end.
    awaitStarted(aProgress, "use");
    awaitStarted(bProgress, "use");
    ops.gate("use").complete(null);

    String result = value(a.receiveMessage());
    assertEquals(result, value(b.receiveMessage()), "the builds got one result");
    assertEquals(1, ops.runs("use"), "the step of one key ran once");
  }

  @Test
  void aBuildWaitingForAnotherBuildsStepRunsItItselfWhenThatBuildIsCancelled() throws Exception {
    Graph g = stepOnContext();
    sameFiles("/a", "/b");
    ActorRef<Solver.Command> solver = solver(4);
    TestProbe<ProgressEvent> aProgress = kit.createTestProbe();
    TestProbe<ProgressEvent> bProgress = kit.createTestProbe();

    TestProbe<Outcome> a = kit.createTestProbe();
    solver.tell(
        new Solver.Solve(
            g.definition(),
            BuildInputs.of(Map.of("context", java.nio.file.Path.of("/a")), Map.of(), Map.of()),
            aProgress.getRef(),
            a.getRef(),
            9));
    ops.startedSignal("use").get(10, TimeUnit.SECONDS);
    var b = solve(solver, g.definition(), "/b", bProgress);
    awaitStarted(bProgress, "use");
    solver.tell(new Solver.Cancel(9));
    assertInstanceOf(Outcome.SolveFailed.class, a.receiveMessage());
    ops.cancelledSignal("use").get(10, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ops.runs("use") < 2) {
      assertTrue(System.nanoTime() < deadline, "the waiting build never ran the step itself");
      Thread.onSpinWait();
    }
    ops.gate("use").complete(null);

    // Its context's files are the cached ones of the same key, which the first build recorded.
    assertEquals("use(local /a)", value(b.receiveMessage()));
    assertEquals(2, ops.runs("use"));
  }

  private TestProbe<Outcome> solve(
      ActorRef<Solver.Command> solver,
      Definition definition,
      String context,
      TestProbe<ProgressEvent> progress) {
    TestProbe<Outcome> outcome = kit.createTestProbe();
    solver.tell(
        new Solver.Solve(
            definition,
            BuildInputs.of(Map.of("context", java.nio.file.Path.of(context)), Map.of(), Map.of()),
            progress.getRef(),
            outcome.getRef(),
            0));
    return outcome;
  }

  /** The directories {@code dirs} hold the same files: their sources have one cache key. */
  private void sameFiles(String... dirs) {
    for (String dir : dirs) {
      ops.contents.put(dir, "the same files");
    }
  }

  /** A gated step "use" on the local source {@code context}. */
  private static Graph stepOnContext() {
    Graph g = new Graph();
    Input context =
        g.put(new Vertex(dev.kiln.engine.graph.SourceOp.of("local://context"), List.of(), null));
    g.add("gate", "use", context);
    return g;
  }

  private static void awaitStarted(TestProbe<ProgressEvent> progress, String step) {
    progress.fishForMessage(
        Duration.ofSeconds(10),
        event ->
            event instanceof ProgressEvent.VertexStarted started && started.name().contains(step)
                ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
                : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
  }

  @Test
  void concurrentBuildsShareAStepThatMountsASecretOnlyWhenTheyGaveTheSameSecret() throws Exception {
    Graph g = new Graph();
    ExecOp withSecret =
        new ExecOp(
            List.of("gate", "deploy"),
            List.of(),
            "/",
            "0",
            dev.kiln.engine.graph.NetworkMode.NONE,
            null,
            List.of(
                dev.kiln.engine.graph.Mount.secret(
                    "/run/secrets/token",
                    "token",
                    java.util.Optional.empty(),
                    false,
                    java.util.Optional.empty(),
                    java.util.Optional.empty(),
                    java.util.Optional.empty())));
    Input deploy = g.put(new Vertex(withSecret, List.of(), null));
    g.add("ok", "after", deploy);
    ActorRef<Solver.Command> solver = solver(4);

    var alpha = solve(solver, g.definition(), secret("alpha"));
    var beta = solve(solver, g.definition(), secret("beta"));
    var alsoAlpha = solve(solver, g.definition(), secret("alpha"));
    // Both contents run while the gate is shut (the cache, which leaves secrets out of its keys
    // as BuildKit's does, could otherwise answer the later one).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ops.runs("deploy") < 2) {
      assertTrue(System.nanoTime() < deadline, "the build with another secret shared the step");
      Thread.onSpinWait();
    }
    ops.gate("deploy").complete(null);

    for (var outcome : List.of(alpha, beta, alsoAlpha)) {
      assertEquals("after(deploy())", value(outcome.receiveMessage()));
    }
    assertEquals(2, ops.runs("deploy"), "the builds with the same secret shared the step");
  }

  private TestProbe<Outcome> solve(
      ActorRef<Solver.Command> solver, Definition definition, BuildInputs inputs) {
    TestProbe<Outcome> outcome = kit.createTestProbe();
    TestProbe<ProgressEvent> progress = kit.createTestProbe();
    solver.tell(new Solver.Solve(definition, inputs, progress.getRef(), outcome.getRef(), 0));
    return outcome;
  }

  @Test
  void aStepThatNeedsAnEntitlementTheBuildLacksIsRefusedBeforeAnythingRuns() {
    ExecOp insecure =
        new ExecOp(
            List.of("ok", "online"),
            List.of(),
            "/",
            "0",
            null,
            dev.kiln.engine.graph.SecurityMode.INSECURE,
            List.of());
    Vertex first = FakeOps.ok("first", List.of());
    Vertex online = new Vertex(insecure, List.of(Input.of(VertexDigests.of(first))), null);
    Definition definition =
        new Definition(
            Map.of(VertexDigests.of(first), first, VertexDigests.of(online), online),
            Input.of(VertexDigests.of(online)));
    ActorRef<Solver.Command> solver = solver(4);

    Outcome refused = solve(solver, definition, BuildInputs.NONE).receiveMessage();
    Outcome granted =
        solve(solver, definition, BuildInputs.NONE.withEntitlements(Set.of("security.insecure")))
            .receiveMessage();

    SolveError error = ((Outcome.SolveFailed) refused).error();
    assertEquals("ok online", error.name());
    assertTrue(error.message().startsWith("security.insecure is not allowed: pass --allow"));
    assertEquals(1, ops.runs("first"), "nothing ran for the refused build");
    assertEquals("online(first())", value(granted));
  }

  @Test
  void theHostsNetworkNeedsNetworkHostWhileTheDefaultNetworkNeedsNothing() {
    Vertex first = FakeOps.ok("first", List.of());
    Map<NetworkMode, Outcome> outcomes = new java.util.EnumMap<>(NetworkMode.class);
    ActorRef<Solver.Command> solver = solver(4);
    for (NetworkMode network : List.of(NetworkMode.HOST, NetworkMode.DEFAULT)) {
      ExecOp step =
          new ExecOp(
              List.of("ok", network.name()),
              List.of(),
              "/",
              "0",
              network,
              dev.kiln.engine.graph.SecurityMode.SANDBOX,
              List.of());
      Vertex vertex = new Vertex(step, List.of(Input.of(VertexDigests.of(first))), null);
      Definition definition =
          new Definition(
              Map.of(VertexDigests.of(first), first, VertexDigests.of(vertex), vertex),
              Input.of(VertexDigests.of(vertex)));
      outcomes.put(network, solve(solver, definition, BuildInputs.NONE).receiveMessage());
    }

    SolveError error = ((Outcome.SolveFailed) outcomes.get(NetworkMode.HOST)).error();
    assertTrue(error.message().startsWith("network.host is not allowed: pass --allow"));
    assertEquals("DEFAULT(first())", value(outcomes.get(NetworkMode.DEFAULT)));
  }

  private static BuildInputs secret(String token) {
    return BuildInputs.of(
        Map.of(),
        Map.of("token", token.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        Map.of());
  }

  private static String value(Outcome outcome) {
    return ((Outcome.Solved) outcome).result().describe();
  }

  @Test
  void solvesInputsBeforeTheVerticesThatUseThem() {
    Graph g = new Graph();
    Input a = g.add("ok", "a");
    Input b = g.add("ok", "b", a);
    g.add("ok", "c", a, b);
    var outcome = solve(solver(4), g.definition(), kit.createTestProbe());
    assertEquals(
        "c((),b(()))".replace("()", "()"), value(outcome.receiveMessage()).replace("a", ""));
    assertEquals(1, ops.runs("a"));
  }

  @Test
  void runsIndependentVerticesConcurrently() throws Exception {
    Graph g = new Graph();
    Input left = g.add("gate", "left");
    Input right = g.add("gate", "right");
    g.merge(left, right);
    var outcome = solve(solver(4), g.definition(), kit.createTestProbe());
    // Both branches start while neither can finish: only possible if they run at once.
    ops.startedSignal("left").get(10, TimeUnit.SECONDS);
    ops.startedSignal("right").get(10, TimeUnit.SECONDS);
    ops.gate("left").complete(null);
    ops.gate("right").complete(null);
    assertEquals("merge(left(),right())", value(outcome.receiveMessage()));
    assertEquals(2, ops.maxRunning.get());
  }

  @Test
  void neverRunsMoreVerticesThanThereAreSlots() throws Exception {
    Graph g = new Graph();
    List<Input> branches = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      branches.add(g.add("gate", "g" + i));
    }
    g.merge(branches.toArray(Input[]::new));
    var outcome = solve(solver(2), g.definition(), kit.createTestProbe());
    // Open gates only once as many vertices as there are slots (or as remain) have started, so
    // that two really run at once; a third can only start after a gate opens.
    java.util.Set<String> opened = new java.util.HashSet<>();
    java.util.List<String> names =
        java.util.stream.IntStream.range(0, 6).mapToObj(j -> "g" + j).toList();
    while (opened.size() < 6) {
      int want = Math.min(2, 6 - opened.size());
      while (true) {
        // Take the signals still pending before counting: a vertex that starts in between then
        // completes one of them, instead of being missed by both.
        java.util.concurrent.CompletableFuture<?>[] pending =
            names.stream()
                .filter(n -> !ops.startedSignal(n).isDone())
                .map(ops::startedSignal)
                .toArray(java.util.concurrent.CompletableFuture[]::new);
        long ready =
            names.stream()
                .filter(n -> !opened.contains(n) && ops.startedSignal(n).isDone())
                .count();
        if (ready >= want) {
          break;
        }
        java.util.concurrent.CompletableFuture.anyOf(pending).get(10, TimeUnit.SECONDS);
      }
      for (String name : names) {
        if (!opened.contains(name) && ops.startedSignal(name).isDone()) {
          opened.add(name);
          ops.gate(name).complete(null);
        }
      }
    }
    assertInstanceOf(Outcome.Solved.class, outcome.receiveMessage());
    assertEquals(2, ops.maxRunning.get());
  }

  @Test
  void identicalVerticesOfConcurrentBuildsRunOnce() throws Exception {
    Graph g = new Graph();
    Input shared = g.add("gate", "shared");
    g.add("ok", "top", shared);
    ActorRef<Solver.Command> solver = solver(4);
    var first = solve(solver, g.definition(), kit.createTestProbe());
    ops.startedSignal("shared").get(10, TimeUnit.SECONDS);
    var second = solve(solver, g.definition(), kit.createTestProbe());
    ops.gate("shared").complete(null);
    assertEquals("top(shared())", value(first.receiveMessage()));
    assertEquals("top(shared())", value(second.receiveMessage()));
    assertEquals(1, ops.runs("shared"));
    assertEquals(1, ops.runs("top"));
  }

  @Test
  void theSameGraphSolvedTwiceRunsNothingTheSecondTime() {
    Graph g = new Graph();
    Input a = g.add("ok", "a");
    g.add("ok", "b", a);
    ActorRef<Solver.Command> solver = solver(4);
    solve(solver, g.definition(), kit.createTestProbe()).receiveMessage();
    TestProbe<ProgressEvent> progress = kit.createTestProbe();
    var again = solve(solver, g.definition(), progress);
    assertEquals("b(a())", value(again.receiveMessage()));
    assertEquals(1, ops.runs("a"));
    assertEquals(1, ops.runs("b"));
    List<ProgressEvent> events = progress.receiveSeveralMessages(3, Duration.ofSeconds(5));
    assertEquals(2, events.stream().filter(e -> e instanceof ProgressEvent.VertexCached).count());
    assertInstanceOf(ProgressEvent.Ended.class, events.get(2));
  }

  /** A cache that keeps only results whose description starts with {@code prefix}. */
  private static ResultCache keepingOnly(String prefix) {
    ResultCache all = ResultCache.inMemory();
    return new ResultCache() {
      @Override
      public java.util.concurrent.CompletionStage<java.util.Optional<Hit>> lookup(CacheKey key) {
        return all.lookup(key);
      }

      @Override
      public java.util.concurrent.CompletionStage<Void> record(
          CacheKey key, List<Result> outputs, Made made) {
        return outputs.get(0).describe().startsWith(prefix)
            ? all.record(key, outputs, made)
            : java.util.concurrent.CompletableFuture.completedFuture(null);
      }
    };
  }

  @Test
  void aHitAtTheTopNeverRunsTheVerticesBelowItWhoseResultsAreGone() {
    cache = keepingOnly("top(");
    Graph g = new Graph();
    Input a = g.add("ok", "a");
    Input b = g.add("ok", "b", a);
    g.add("ok", "top", b);
    assertEquals(
        "top(b(a()))",
        value(solve(solver(4), g.definition(), kit.createTestProbe()).receiveMessage()));
    TestProbe<ProgressEvent> progress = kit.createTestProbe();
    var again = solve(solver(4), g.definition(), progress);
    assertEquals("top(b(a()))", value(again.receiveMessage()));
    assertEquals(1, ops.runs("a"));
    assertEquals(1, ops.runs("b"));
    assertEquals(1, ops.runs("top"));
    // The vertices below miss (only the top was recorded) but are never asked to run.
    List<ProgressEvent> events =
        progress.receiveSeveralMessages(4, Duration.ofSeconds(5)).stream()
            .filter(e -> !(e instanceof ProgressEvent.VertexMissed))
            .toList();
    assertInstanceOf(ProgressEvent.VertexCached.class, events.get(0));
    assertInstanceOf(ProgressEvent.Ended.class, events.get(1));
  }

  @Test
  void aVertexThatIgnoresTheCacheRunsAgainAndSoDoesEverythingBuiltOnIt() {
    Graph g = new Graph();
    Input base = g.add("ok", "base");
    Input fetched = g.uncached("ok", "fetch", base);
    g.add("ok", "top", fetched);
    ActorRef<Solver.Command> solver = solver(4);
    solve(solver, g.definition(), kit.createTestProbe()).receiveMessage();
    solve(solver, g.definition(), kit.createTestProbe()).receiveMessage();
    assertEquals(1, ops.runs("base"));
    assertEquals(2, ops.runs("fetch"));
    assertEquals(2, ops.runs("top"), "top reused a result made from the old fetch");
  }

  @Test
  void aFailedVertexFailsTheBuildAndNamesItselfWithItsOutput() {
    Graph g = new Graph();
    Input broken = g.add("fail", "broken");
    g.add("ok", "top", broken);
    var outcome = solve(solver(4), g.definition(), kit.createTestProbe()).receiveMessage();
    SolveError error = ((Outcome.SolveFailed) outcome).error();
    assertEquals("fail broken", error.name());
    assertEquals("broken", error.message());
    assertEquals(List.of("running broken"), error.lastLines());
    assertTrue(error.render().contains("[fail broken]"), error.render());
    assertEquals(0, ops.runs("top"));
  }

  @Test
  void aFailureCancelsSiblingsThatNoBuildWantsAnyMore() throws Exception {
    Graph g = new Graph();
    Input slow = g.add("gate", "slow");
    Input broken = g.add("gated-fail", "broken");
    g.merge(slow, broken);
    ActorRef<Solver.Command> solver = solver(4);
    var outcome = solve(solver, g.definition(), kit.createTestProbe());
    ops.startedSignal("slow").get(10, TimeUnit.SECONDS);
    ops.gate("broken").complete(null);
    assertInstanceOf(Outcome.SolveFailed.class, outcome.receiveMessage());
    ops.cancelledSignal("slow").get(10, TimeUnit.SECONDS);
  }

  @Test
  void aSiblingStillWantedByAnotherBuildKeepsRunning() throws Exception {
    Graph failing = new Graph();
    Input slow = failing.add("gate", "slow");
    Input broken = failing.add("fail", "broken");
    failing.merge(slow, broken);
    Graph other = new Graph();
    other.add("ok", "after", other.add("gate", "slow"));
    ActorRef<Solver.Command> solver = solver(4);
    var second = solve(solver, other.definition(), kit.createTestProbe());
    ops.startedSignal("slow").get(10, TimeUnit.SECONDS);
    var first = solve(solver, failing.definition(), kit.createTestProbe());
    assertInstanceOf(Outcome.SolveFailed.class, first.receiveMessage());
    ops.gate("slow").complete(null);
    assertEquals("after(slow())", value(second.receiveMessage()));
    assertTrue(!ops.cancelledSignal("slow").isDone(), "slow was cancelled");
    assertEquals(1, ops.runs("slow"));
  }

  @Test
  void aBuildSentAfterTheLastOneAnsweredLooksAtItsSourcesAgain() {
    Graph g = new Graph();
    g.add("ok", "source");
    ActorRef<Solver.Command> solver = solver(4);
    for (int i = 1; i <= 20; i++) {
      solve(solver, g.definition(), kit.createTestProbe()).receiveMessage();
      // A finished vertex must not answer the next build: its content may have changed.
      assertEquals(i, ops.cacheDigests.get("source").get());
    }
    assertEquals(1, ops.runs("source"));
  }
}
