package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.ExecOp;
import dev.kiln.engine.graph.Vertex;
import dev.kiln.engine.run.LogStream;
import dev.kiln.engine.run.RunContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * A resolver of fake ops for solver tests, after BuildKit's scheduler tests. An exec op's args say
 * what to do: {@code ["ok", NAME]} completes with NAME plus its inputs' values, {@code ["fail",
 * MSG]} fails, {@code ["gate", NAME]} waits until the test opens the gate named NAME, {@code
 * ["gated-fail", NAME]} fails once it is opened. Every run, start and cancellation is counted.
 */
final class FakeOps implements Resolver {
  record Value(String text) implements Result {
    @Override
    public String describe() {
      return text;
    }
  }

  final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
  final Map<String, AtomicInteger> cacheDigests = new ConcurrentHashMap<>();
  final Map<String, CompletableFuture<Void>> gates = new ConcurrentHashMap<>();

  /** The content checksum of a local directory, by directory; default: its path. */
  final Map<String, String> contents = new ConcurrentHashMap<>();

  final Map<String, CompletableFuture<Void>> started = new ConcurrentHashMap<>();
  final Map<String, CompletableFuture<Void>> cancelled = new ConcurrentHashMap<>();
  final AtomicInteger running = new AtomicInteger();
  final AtomicInteger maxRunning = new AtomicInteger();

  static Vertex ok(String name, List<dev.kiln.engine.graph.Input> inputs) {
    return new Vertex(ExecOp.of("ok", name), inputs, null);
  }

  int runs(String name) {
    return runs.getOrDefault(name, new AtomicInteger()).get();
  }

  CompletableFuture<Void> gate(String name) {
    return gates.computeIfAbsent(name, n -> new CompletableFuture<>());
  }

  CompletableFuture<Void> startedSignal(String name) {
    return started.computeIfAbsent(name, n -> new CompletableFuture<>());
  }

  CompletableFuture<Void> cancelledSignal(String name) {
    return cancelled.computeIfAbsent(name, n -> new CompletableFuture<>());
  }

  @Override
  public OpRunner resolve(Digest digest, Vertex vertex, BuildInputs inputs) {
    if (vertex.op() instanceof dev.kiln.engine.graph.SourceOp source) {
      // A local source: its value is the directory the build gave it, its cache digest that
      // directory's content (its path unless the test says otherwise).
      String dir = String.valueOf(inputs.locals().get(source.location()));
      String name = "local " + dir;
      return new OpRunner() {
        @Override
        public CompletionStage<String> cacheDigest(RunContext context) {
          return CompletableFuture.completedFuture(contents.getOrDefault(dir, name));
        }

        @Override
        public CompletionStage<List<Result>> run(List<Result> inputs, RunContext context) {
          runs.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
          return CompletableFuture.completedFuture(List.of(new Value(name)));
        }
      };
    }
    return resolve(digest, vertex);
  }

  OpRunner resolve(Digest digest, Vertex vertex) {
    List<String> args = ((ExecOp) vertex.op()).args();
    String kind = args.get(0);
    String name = args.get(1);
    return new OpRunner() {
      @Override
      public CompletionStage<String> cacheDigest(RunContext context) {
        cacheDigests.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
        return CompletableFuture.completedFuture(digest.value());
      }

      @Override
      public CompletionStage<List<Result>> run(List<Result> inputs, RunContext context) {
        runs.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
        int now = running.incrementAndGet();
        maxRunning.accumulateAndGet(now, Math::max);
        context.cancellation().onCancel(() -> cancelledSignal(name).complete(null));
        context.logs().line(LogStream.STDOUT, "running " + name);
        startedSignal(name).complete(null);
        String joined =
            inputs.stream().map(Result::describe).collect(Collectors.joining(",", "(", ")"));
        CompletableFuture<List<Result>> result =
            switch (kind) {
              case "ok" -> CompletableFuture.completedFuture(List.of(new Value(name + joined)));
              case "fail" -> CompletableFuture.failedFuture(new IllegalStateException(name));
              case "gate" -> gate(name).thenApply(v -> List.of(new Value(name + joined)));
              case "gated-fail" ->
                  gate(name)
                      .thenApply(
                          v -> {
                            throw new IllegalStateException(name);
                          });
              default -> throw new IllegalArgumentException(kind);
            };
        return result.whenComplete((r, e) -> running.decrementAndGet());
      }
    };
  }
}
