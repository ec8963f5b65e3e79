package dev.kiln.frontend.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.Engine;
import dev.kiln.engine.executor.ExecException;
import dev.kiln.engine.executor.ExecSpec;
import dev.kiln.engine.executor.Executor;
import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import dev.kiln.engine.graph.State;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.run.Cancellation;
import dev.kiln.engine.run.LogSink;
import dev.kiln.engine.run.RunContext;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.source.OciReference;
import dev.kiln.engine.worker.SnapshotResult;
import dev.kiln.gateway.client.GatewayMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs gateway frontends on an engine, each attached to a {@link GatewayServer} that gives it the
 * build's inputs by name: an image, its root filesystem solved from the image and its entrypoint
 * run sandboxed (no network, read-only root, nothing of the build mounted); or a program in this
 * process (Kiln's own Dockerfile frontend), over pipes, through the same server.
 */
public final class FrontendRunner {
  /** What the build gives the frontend. */
  public record Call(
      Map<String, String> opts,
      Map<String, Path> inputs,
      Set<Path> hostLayouts,
      Set<String> entitlements,
      Consumer<ProgressEvent> progress,
      LogSink log,
      Duration idle) {
    public Call {
      opts = Map.copyOf(opts);
      inputs = Map.copyOf(inputs);
      hostLayouts = Set.copyOf(hostLayouts);
      entitlements = Set.copyOf(entitlements);
    }
  }

  private FrontendRunner() {}

  /** The server a frontend named {@code name}, from image {@code identifier}, talks to. */
  private static GatewayServer server(Engine engine, String name, String identifier, Call call) {
    Set<Path> layouts = new HashSet<>(call.hostLayouts());
    if (identifier.startsWith(OciReference.SCHEME)) {
      // The frontend may build on its own image: it is a source it names in hello.
      layouts.add(OciReference.parse(identifier).dir().normalize());
    }
    return new GatewayServer(
        name,
        new GatewayMessage.Hello(
            GatewayMessage.VERSION,
            call.opts(),
            List.copyOf(new java.util.TreeSet<>(call.inputs().keySet())),
            identifier),
        new GatewayServer.Grant(call.inputs(), call.inputs().keySet(), layouts),
        new Backend(engine, call),
        call.idle());
  }

  /**
   * Runs {@code program} in this process as the frontend {@code name}, over pipes; returns what it
   * returned.
   */
  public static FrontendResult inProcess(
      Engine engine, String name, Call call, Executor.Conversation program)
      throws FrontendException, IOException {
    GatewayServer server = server(engine, name, "", call);
    Pipe toFrontend = Pipe.open();
    Pipe fromFrontend = Pipe.open();
    Thread thread =
        new Thread(
            () -> {
              try (InputStream in = Channels.newInputStream(toFrontend.source());
                  OutputStream out = Channels.newOutputStream(fromFrontend.sink())) {
                program.talk(in, out);
              } catch (Exception e) {
                call.log().line(dev.kiln.engine.run.LogStream.STDERR, String.valueOf(e));
              }
            },
            "kiln-frontend-" + name);
    thread.setDaemon(true);
    thread.start();
    try (InputStream in = Channels.newInputStream(fromFrontend.source());
        OutputStream out = Channels.newOutputStream(toFrontend.sink())) {
      server.talk(in, out);
    } catch (FrontendException | IOException e) {
      throw e;
    } catch (Exception e) {
      throw new FrontendException("frontend " + name + ": " + e.getMessage(), e);
    }
    // Kiln's own frontend renders its errors as the direct path does (the file, line, excerpt).
    if (server.returnedError().isPresent()) {
      throw new FrontendException(server.returnedError().get());
    }
    return server.result();
  }

  /** Runs the frontend image {@code identifier}; returns what it returned. */
  public static FrontendResult image(Engine engine, String identifier, Call call)
      throws FrontendException, IOException {
    String name = identifier;
    Snapshot rootfs = rootfs(engine, identifier, call.progress());
    ExecSpec spec = spec(engine.imageConfig(identifier), name);
    GatewayServer server = server(engine, name, identifier, call);
    ActiveLayer upper = engine.snapshotter().prepare();
    try {
      engine
          .executor()
          .runAttached(spec, rootfs, upper, new RunContext(call.log(), new Cancellation()), server);
    } catch (ExecException e) {
      throw new FrontendException(
          e.getCause() instanceof FrontendException
              ? e.getMessage()
              : "frontend "
                  + name
                  + ": "
                  + e.getMessage()
                  + (e.lastLines().isEmpty()
                      ? ""
                      : "\n > its last output:\n   " + String.join("\n   ", e.lastLines())),
          e);
    } finally {
      engine.snapshotter().discard(upper);
    }
    return server.result();
  }

  private static Snapshot rootfs(Engine engine, String identifier, Consumer<ProgressEvent> progress)
      throws FrontendException {
    Outcome outcome;
    try {
      outcome =
          engine
              .solve(
                  State.source(identifier).describe("[frontend] " + identifier).definition(),
                  event -> {
                    if (!(event instanceof ProgressEvent.Ended)) {
                      progress.accept(event);
                    }
                  })
              .toCompletableFuture()
              .get(30, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new FrontendException("frontend " + identifier + ": " + e.getMessage(), e);
    }
    if (outcome instanceof Outcome.SolveFailed failed) {
      throw new FrontendException("frontend " + identifier + ": " + failed.error().message());
    }
    return ((SnapshotResult) ((Outcome.Solved) outcome).result()).snapshot();
  }

  /** The frontend's process: the image's entrypoint and command, env, working dir and user. */
  static ExecSpec spec(JsonNode document, String name) throws FrontendException {
    JsonNode config = document.path("config");
    List<String> args = new ArrayList<>();
    config.path("Entrypoint").forEach(arg -> args.add(arg.asText()));
    config.path("Cmd").forEach(arg -> args.add(arg.asText()));
    if (args.isEmpty()) {
      throw new FrontendException(
          "frontend " + name + ": the image has no entrypoint or command to run");
    }
    List<String> env = new ArrayList<>();
    config.path("Env").forEach(entry -> env.add(entry.asText()));
    String cwd = config.path("WorkingDir").asText("");
    return new ExecSpec(
        args,
        env,
        cwd.isEmpty() ? "/" : cwd,
        config.path("User").asText(""),
        NetworkMode.NONE,
        SecurityMode.SANDBOX);
  }

  /** The gateway's engine: the build's own, with its inputs as local sources. */
  private record Backend(Engine engine, Call call) implements GatewayBackend {
    @Override
    public CompletionStage<Outcome> solve(dev.kiln.engine.graph.Definition definition) {
      // The build's entitlements, no more: the solver refuses a step that needs another.
      return engine
          .start(
              definition,
              dev.kiln.engine.solver.BuildInputs.locals(call.inputs())
                  .withEntitlements(call.entitlements()),
              event -> {
                if (!(event instanceof ProgressEvent.Ended)) {
                  call.progress().accept(event);
                }
              })
          .outcome();
    }

    @Override
    public JsonNode imageConfig(String identifier) throws IOException {
      return engine.imageConfig(identifier);
    }

    @Override
    public MountedFs mount(Snapshot snapshot) throws IOException {
      return engine.snapshotter().mount(snapshot, Optional.empty());
    }
  }
}
