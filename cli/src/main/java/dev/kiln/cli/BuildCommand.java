package dev.kiln.cli;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.cache.Collector;
import dev.kiln.engine.cache.GcPolicy;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.DefinitionReader;
import dev.kiln.engine.graph.InvalidDefinitionException;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.job.BuildId;
import dev.kiln.engine.job.JobEvent;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.registry.ImageReference;
import dev.kiln.engine.snapshot.SnapshotterMode;
import dev.kiln.engine.solver.BuildInputs;
import dev.kiln.engine.solver.Entitlements;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.source.OciReference;
import dev.kiln.engine.worker.SnapshotResult;
import dev.kiln.exporter.Destination;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.Exported;
import dev.kiln.exporter.Exporter;
import dev.kiln.exporter.cache.CacheExporter;
import dev.kiln.exporter.cache.CacheMode;
import dev.kiln.exporter.docker.DockerExporter;
import dev.kiln.exporter.image.ImageOptions;
import dev.kiln.exporter.local.LocalExporter;
import dev.kiln.exporter.oci.OciExporter;
import dev.kiln.exporter.registry.ImageExporter;
import dev.kiln.exporter.registry.ImagePusher;
import dev.kiln.exporter.tar.TarExporter;
import dev.kiln.frontend.dockerfile.BuildOptions;
import dev.kiln.frontend.dockerfile.Conversion;
import dev.kiln.frontend.dockerfile.ImageConfigJson;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln build}: builds a Dockerfile in a context directory, or a JSON build graph, with an
 * embedded engine and exports the result.
 */
@Command(
    name = "build",
    mixinStandardHelpOptions = true,
    description = {
      "Build a Dockerfile in CONTEXT (as docker buildx build does), or a definition (a JSON build"
          + " graph), and export the result."
    })
final class BuildCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "CONTEXT",
      description =
          "The build context directory; its Dockerfile is built unless -f says otherwise.")
  Optional<Path> context = Optional.empty();

  @Option(
      names = {"-f", "--file"},
      paramLabel = "FILE",
      description = "The Dockerfile (default: CONTEXT/Dockerfile).")
  Optional<Path> file = Optional.empty();

  @Option(
      names = "--definition",
      paramLabel = "FILE",
      description = "Build this JSON build graph instead of a Dockerfile (see docs/definition.md).")
  Optional<Path> definition = Optional.empty();

  @Option(names = "--target", paramLabel = "STAGE", description = "The stage to build.")
  Optional<String> target = Optional.empty();

  @Option(
      names = "--build-arg",
      paramLabel = "NAME=VALUE",
      description = "A value for an ARG of the Dockerfile; repeatable.")
  List<String> buildArgs = List.of();

  @Option(
      names = "--build-context",
      paramLabel = "NAME=VALUE",
      description =
          "A named context that FROM NAME and COPY --from=NAME use instead: oci-layout://DIR[:tag]"
              + " or a local directory; repeatable.")
  List<String> buildContexts = List.of();

  @Option(
      names = "--frontend",
      paramLabel = "NAME",
      description =
          "The frontend: dockerfile (Kiln's own, the default) or gateway, an image given by"
              + " --opt source=REF (see docs/gateway.md).")
  Optional<String> frontend = Optional.empty();

  @Option(
      names = "--opt",
      paramLabel = "KEY=VALUE",
      description = "An option for the frontend (source=REF for --frontend gateway); repeatable.")
  List<String> frontendOpts = List.of();

  @Option(names = "--no-cache", description = "Run every step, even when a cached result exists.")
  boolean noCache;

  @Option(
      names = "--explain",
      description = "After the build, say for each step that ran why the cache missed.")
  boolean explain;

  @Option(
      names = "--no-cache-filter",
      paramLabel = "STAGE",
      split = ",",
      description = "Run the steps of these stages even when cached results exist; repeatable.")
  List<String> noCacheFilter = List.of();

  @Option(
      names = "--label",
      paramLabel = "NAME=VALUE",
      description = "A label for the image configuration; repeatable.")
  List<String> labels = List.of();

  @Option(
      names = {"-o", "--output"},
      paramLabel = "SPEC",
      description =
          "Where the result goes: type=local,dest=DIR (its files in a directory),"
              + " type=tar,dest=FILE (one tar archive), type=oci,dest=FILE|-[,tar=false] (an OCI"
              + " image layout, archived or as a directory) or type=docker,dest=FILE|- (an archive"
              + " for docker load), type=image,name=REF[,push=true] (Kiln's image store, and the"
              + " registry) or type=registry,name=REF; images take name=REF,"
              + " compression=gzip|zstd|uncompressed,"
              + " compression-level=N, oci-mediatypes=true|false. SOURCE_DATE_EPOCH in the"
              + " environment makes images reproducible. Without it the result stays in the cache.")
  Optional<String> output = Optional.empty();

  @Option(
      names = {"-t", "--tag"},
      paramLabel = "NAME",
      description =
          "Name the image (docker.io/library/app:latest for app): it goes into Kiln's local image"
              + " store, where FROM NAME finds it; repeatable. With --push, also to its registry.")
  List<String> tags = List.of();

  @Option(
      names = "--push",
      description = "Push the image to the registries of its -t names (type=registry).")
  boolean push;

  @Option(
      names = "--progress",
      paramLabel = "MODE",
      defaultValue = "auto",
      description =
          "Progress display: auto (tty on a terminal, else plain), tty, plain, rawjson or quiet.")
  String progress;

  @Mixin RootOption root = new RootOption();

  @Mixin DaemonOption daemon = new DaemonOption();

  @Option(
      names = "--reconnect-timeout",
      paramLabel = "DURATION",
      description =
          "With --addr: how long to keep trying to reattach to the build when the daemon goes"
              + " away (seconds, or with s, m or h; 0 to fail at once). Default: 60s.")
  String reconnectTimeout = "60s";

  @Option(
      names = "--metadata-file",
      paramLabel = "FILE",
      description =
          "Write the build result's metadata as JSON: the result's cache key and, for a"
              + " Dockerfile, the image configuration (OCI form) of the target stage.")
  Optional<Path> metadataFile = Optional.empty();

  @Option(
      names = "--local",
      paramLabel = "NAME=DIR",
      description = "The host directory that local://NAME sources read; repeatable.")
  List<String> locals = List.of();

  @Option(
      names = "--snapshotter",
      paramLabel = "MODE",
      description =
          "How snapshots become root filesystems: overlay (mounts, fast) or copy (plain"
              + " directories, for hosts without overlay mounts). Default: overlay where it works.")
  Optional<String> snapshotter = Optional.empty();

  @Option(
      names = "--exec-slots",
      paramLabel = "N",
      defaultValue = "0",
      description = "How many steps may run at once (default: two per core).")
  int execSlots;

  @Option(
      names = "--secret",
      paramLabel = "id=NAME,src=FILE|env=VAR",
      description =
          "A secret for RUN --mount=type=secret,id=NAME: the content of FILE or of the environment"
              + " variable VAR (type=file|env, as buildx). Never stored in layers or the cache;"
              + " repeatable.")
  List<String> secrets = List.of();

  @Option(
      names = "--ssh",
      paramLabel = "ID[=SOCKET]",
      description =
          "An ssh agent for RUN --mount=type=ssh (id default): SOCKET, or $SSH_AUTH_SOCK;"
              + " repeatable.")
  List<String> sshAgents = List.of();

  @Option(
      names = "--allow",
      paramLabel = "ENTITLEMENT",
      description =
          "Grant an entitlement: network.host (RUN --network=host) or security.insecure"
              + " (RUN --security=insecure); repeatable.")
  List<String> allow = List.of();

  @Option(
      names = "--cache-to",
      paramLabel = "type=local,dest=DIR[,mode=min|max]",
      description = "Export the build's cache records to an OCI layout directory.")
  Optional<String> cacheTo = Optional.empty();

  @Option(
      names = "--cache-from",
      paramLabel = "type=local,src=DIR",
      description = "Take steps from a cache exported with --cache-to; repeatable.")
  List<String> cacheFrom = List.of();

  /** Secrets a daemon's client sent with the build (never read from the daemon's files). */
  Map<String, byte[]> sentSecrets = Map.of();

  /** The layouts the build may read: through a daemon, only what its client sent. */
  LayoutPolicy layouts = LayoutPolicy.ANY;

  /** The build's id: a daemon's, or else a new one. */
  Optional<BuildId> buildId = Optional.empty();

  /** The command line as given (after {@code build}), which the build's job records. */
  List<String> commandLine = List.of();

  /** Who asked, which the build's job records. */
  String client = "kiln build (embedded)";

  /**
   * Whether this build goes on with the interrupted job of {@link #buildId} ({@code kiln resume}).
   */
  boolean resume;

  @Override
  public Integer call() throws Exception {
    List<DaemonAddress> addresses;
    try {
      addresses = daemon.addresses();
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    if (!addresses.isEmpty()) {
      return throughDaemon(addresses.get(0), addresses.subList(1, addresses.size()));
    }
    return run(BuildOutput.terminal(System.err), Optional.empty());
  }

  /**
   * The build sent to a daemon: only the options it accepts travel, and the context; {@code
   * coordinators} take it over if that daemon goes away.
   */
  private int throughDaemon(DaemonAddress address, List<DaemonAddress> coordinators)
      throws Exception {
    List<String> args = new ArrayList<>();
    try {
      ProgressDisplay.check(progress);
      List<String> local = new ArrayList<>();
      snapshotter.ifPresent(s -> local.add("--snapshotter (a setting of the daemon)"));
      if (execSlots != 0) {
        local.add("--exec-slots (kiln daemon --exec-slots, --build-slots)");
      }
      if (!local.isEmpty()) {
        throw new IllegalArgumentException(
            String.join(", ", local) + ": not supported with --addr yet (see docs/api.md)");
      }
      List<DaemonClient.LocalDir> dirs = new ArrayList<>();
      for (Map.Entry<String, String> named :
          pairs("--build-context", buildContexts, BuildCommand::absoluteContext).entrySet()) {
        String name = named.getKey();
        String value = named.getValue();
        if (value.startsWith(OciReference.SCHEME)) {
          OciReference layout = OciReference.parse(value);
          String reference =
              value.substring(OciReference.SCHEME.length() + layout.dir().toString().length());
          dirs.add(
              new DaemonClient.LocalDir(layout.dir(), new SyncedDir.NamedLayout(name, reference)));
        } else if (value.contains("://")) {
          args.addAll(List.of("--build-context", name + "=" + value));
        } else {
          dirs.add(new DaemonClient.LocalDir(Path.of(value), new SyncedDir.NamedContext(name)));
        }
      }
      for (String from : cacheFrom) {
        CacheSpec spec = CacheSpec.from(from);
        if (spec.dir().isPresent()) {
          dirs.add(new DaemonClient.LocalDir(spec.dir().get(), new SyncedDir.CacheSource()));
        } else {
          args.addAll(List.of("--cache-from", from));
        }
      }
      Optional<String> cacheLayout = cacheTo.filter(to -> CacheSpec.to(to).dir().isPresent());
      if (cacheTo.isPresent() && cacheLayout.isEmpty()) {
        args.addAll(List.of("--cache-to", cacheTo.get()));
      }
      allow.forEach(a -> args.addAll(List.of("--allow", a)));
      pairs("--local", locals, Path::of)
          .forEach(
              (name, dir) -> dirs.add(new DaemonClient.LocalDir(dir, new SyncedDir.Local(name))));
      if (definition.isPresent() == context.isPresent()) {
        throw new IllegalArgumentException(
            "give a build CONTEXT (a directory with a Dockerfile) or --definition FILE, not both");
      }
      target.ifPresent(t -> args.addAll(List.of("--target", t)));
      frontend.ifPresent(f -> args.addAll(List.of("--frontend", f)));
      frontendOpts.forEach(o -> args.addAll(List.of("--opt", o)));
      buildArgs.forEach(a -> args.addAll(List.of("--build-arg", a)));
      labels.forEach(l -> args.addAll(List.of("--label", l)));
      tags.forEach(t -> args.addAll(List.of("--tag", t)));
      noCacheFilter.forEach(f -> args.addAll(List.of("--no-cache-filter", f)));
      if (noCache) {
        args.add("--no-cache");
      }
      if (push) {
        args.add("--push");
      }
      if (explain) {
        args.add("--explain");
      }
      Path dockerfile;
      if (context.isPresent()) {
        Path dir = context.get();
        dockerfile = file.orElse(dir.resolve("Dockerfile"));
        if (!Files.isDirectory(dir)) {
          throw new IllegalArgumentException("build context " + dir + " is not a directory");
        }
      } else {
        dockerfile = definition.orElseThrow();
      }
      if (!Files.isRegularFile(dockerfile)) {
        throw new IllegalArgumentException("failed to read " + dockerfile + ": no such file");
      }
      Map<String, byte[]> sent = SecretFlags.secrets(secrets, System::getenv);
      for (String id : sent.keySet()) {
        if (!SecretIds.valid(id)) {
          throw new IllegalArgumentException(
              "--secret id=" + id + ": with --addr, an id is " + SecretIds.FORM);
        }
      }
      // An image output names no file: it goes as is; a file output is fetched and written here.
      Optional<String> fileOutput = output;
      if (output.isPresent() && OutputSpec.parse(output.get()) instanceof OutputSpec.Image) {
        args.addAll(List.of("--output", output.get()));
        fileOutput = Optional.empty();
      }
      return DaemonClient.build(
          address,
          coordinators,
          new DaemonClient.Job(
              context,
              dockerfile,
              args,
              sent,
              dirs,
              fileOutput,
              cacheLayout,
              metadataFile,
              SecretFlags.sshAgents(sshAgents, System::getenv),
              Durations.parse("--reconnect-timeout", reconnectTimeout)),
          progress,
          System.err);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }

  /** An engine a build uses: its own (closed after it) or a daemon's (left running). */
  private record EngineHold(Engine engine, boolean owned) implements AutoCloseable {
    @Override
    public void close() throws java.io.IOException {
      if (owned) {
        engine.close();
      }
    }
  }

  /**
   * Runs the build, showing what happens on {@code sink}, on {@code shared} (a daemon's engine) or
   * else on an engine of its own; returns the exit code.
   */
  int run(BuildOutput sink, Optional<Engine> shared) throws Exception {
    PrintStream err = sink.messages();
    Optional<CacheSpec> cacheExport;
    List<CacheSpec> cacheImports;
    Optional<Exporter> exporter;
    Optional<OutputSpec.Image> image;
    Map<String, Path> localDirs;
    Optional<SnapshotterMode> mode;
    Optional<Definition> graph = Optional.empty();
    Optional<DockerfileInput> dockerfile = Optional.empty();
    Optional<dev.kiln.frontend.gateway.FrontendRef> gatewayFrontend = Optional.empty();
    Map<String, byte[]> secretValues;
    Map<String, Path> agents;
    try {
      secretValues = new java.util.LinkedHashMap<>(SecretFlags.secrets(secrets, System::getenv));
      secretValues.putAll(sentSecrets);
      agents = SecretFlags.sshAgents(sshAgents, System::getenv);
      Optional<Instant> epoch = SourceDateEpoch.from(System::getenv);
      cacheExport = cacheTo.map(CacheSpec::to);
      cacheImports = cacheFrom.stream().map(CacheSpec::from).toList();
      Optional<OutputSpec> spec = output.map(OutputSpec::parse);
      image = imageOutput(spec, epoch);
      exporter =
          spec.filter(s -> !(s instanceof OutputSpec.Image))
              .map(s -> exporterFor(output.get(), s, epoch));
      exporter.ifPresent(Exporter::resolve);
      if (cacheExport.filter(CacheSpec::inline).isPresent() && image.isEmpty()) {
        throw new IllegalArgumentException(
            "--cache-to type=inline puts the cache in the image: give -t NAME or --output"
                + " type=image|registry");
      }
      localDirs = pairs("--local", locals, Path::of);
      for (Path dir : localDirs.values()) {
        if (!Files.isDirectory(dir)) {
          throw new IllegalArgumentException("--local: " + dir + " is not a directory");
        }
      }
      ProgressDisplay.check(progress);
      for (String entitlement : allow) {
        if (!Entitlements.ALL.contains(entitlement)) {
          throw new IllegalArgumentException(
              "--allow: unknown entitlement \""
                  + entitlement
                  + "\": use "
                  + Entitlements.NETWORK_HOST
                  + " or "
                  + Entitlements.SECURITY_INSECURE);
        }
      }
      mode = snapshotter.map(BuildCommand::snapshotterMode);
      if (definition.isPresent() == context.isPresent()) {
        throw new IllegalArgumentException(
            "give a build CONTEXT (a directory with a Dockerfile) or --definition FILE, not both");
      }
      if (definition.isPresent()) {
        graph = Optional.of(DefinitionReader.read(definition.get()));
        layouts.check(graph.get());
      } else {
        Path dir = context.get();
        Path buildFile = file.orElse(dir.resolve("Dockerfile"));
        gatewayFrontend =
            FrontendChoice.select(
                frontend,
                pairs("--opt", frontendOpts, v -> v),
                pairs("--build-arg", buildArgs, v -> v),
                pairs("--build-context", buildContexts, BuildCommand::absoluteContext),
                buildFile);
        if (gatewayFrontend.isPresent()) {
          if (gatewayFrontend.get() instanceof dev.kiln.frontend.gateway.FrontendRef.Image named) {
            layouts.check(named.identifier());
          }
          if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("build context " + dir + " is not a directory");
          }
        } else {
          dockerfile = Optional.of(DockerfileInput.read(dir, buildFile, buildOptions()));
        }
      }
    } catch (InvalidDefinitionException | IllegalArgumentException | DockerfileInput.InputError e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
    BuildId id = buildId.orElseGet(BuildId::next);
    if (shared.isEmpty() && ProgressDisplay.resolve(progress).equals("plain")) {
      err.println("#0 build " + id); // as a daemon's client prints it
    }
    Path state = root.path();
    Timings timings = new Timings();
    try (EngineHold hold =
            shared.isPresent()
                ? new EngineHold(shared.get(), false)
                : new EngineHold(
                    Engine.start(
                        new EngineConfig(state, execSlots, Map.of(), mode)
                            .withGc(GcPolicy.load(GcPolicy.defaultFile(System.getenv())))
                            .withKeepJobs(RootOption.keepJobs())),
                    true);
        Collector.Lease lease = hold.engine().lease()) {
      Engine engine = hold.engine();
      timings.lap("start-up");
      if (hold.owned()) {
        engine.startReport().forEach(line -> err.println("warning: " + line));
      }
      for (CacheSpec source : cacheImports) {
        int offered =
            source.dir().isPresent()
                ? engine.importCache(source.dir().get())
                : engine.importCache(source.ref().orElseThrow().toString());
        err.println("importing cache from " + source.where() + ": " + offered + " records");
      }
      Map<String, Path> buildLocals = localDirs;
      Optional<Conversion> conversion = Optional.empty();
      if (dockerfile.isPresent()) {
        conversion = Optional.of(dockerfile.get().convert(engine, layouts));
        graph = Optional.of(conversion.get().definition());
        layouts.check(graph.get());
        buildLocals = dockerfile.get().locals(conversion.get());
      } else if (gatewayFrontend.isPresent()) {
        GatewayBuild gateway =
            GatewayBuild.of(
                context.orElseThrow(),
                file,
                buildOptions(),
                pairs("--opt", frontendOpts, v -> v),
                localDirs);
        conversion = Optional.of(gateway.run(engine, gatewayFrontend.get(), err));
        graph = Optional.of(conversion.get().definition());
        layouts.check(graph.get());
        buildLocals = gateway.inputs();
      }
      List<ProgressEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
      long started = System.currentTimeMillis();
      Optional<CacheExporter> cacheExporter =
          cacheExport.map(
              to ->
                  new CacheExporter(
                      engine,
                      to.inline()
                          ? image.map(OutputSpec.Image::options).orElse(ImageOptions.DEFAULTS)
                          : ImageOptions.DEFAULTS));
      CacheStreamer streamer =
          new CacheStreamer(
              cacheExport
                  .filter(to -> to.mode() == CacheMode.MAX)
                  .flatMap(to -> cacheExporter)
                  .map(cache -> cache::prepare));
      Outcome outcome;
      Engine.JobRun job;
      try (streamer;
          ProgressDisplay display = sink.display(progress)) {
        job =
            engine.start(
                graph.get(),
                BuildInputs.of(buildLocals, secretValues, agents)
                    .withEntitlements(Set.copyOf(allow)),
                display.andThen(events::add).andThen(streamer),
                new JobEvent.BuildAccepted(
                    id,
                    dockerfile.isPresent()
                        ? "dockerfile"
                        : gatewayFrontend.isPresent() ? "gateway" : "definition",
                    Map.of(),
                    commandLine,
                    output.map(List::of).orElse(List.of()),
                    client,
                    shared.isEmpty() ? Path.of("").toAbsolutePath().toString() : "",
                    java.time.Instant.now()),
                resume);
        sink.building(job.running().cancel());
        for (BuildId twin : job.interrupted()) {
          err.println(
              "warning: build "
                  + twin
                  + " of the same definition was interrupted; `kiln resume "
                  + twin
                  + "` would have gone on with its finished steps (this build reuses them too)");
        }
        outcome = job.running().outcome().toCompletableFuture().get();
      }
      timings.lap("solve");
      if (explain) {
        List<String> misses = engine.explainMisses(events, graph.get(), buildLocals, started);
        err.println();
        err.println(misses.isEmpty() ? "cache: every step was cached" : "cache misses:");
        misses.forEach(line -> err.println("  " + line));
      }
      if (outcome instanceof Outcome.SolveFailed failed) {
        err.println();
        err.println("ERROR: " + failed.error().render());
        if (failed.error().render().contains("No space left on device")) {
          err.println(
              "hint: the disk of "
                  + state
                  + " is full ("
                  + java.nio.file.Files.getFileStore(state).getUsableSpace() / (1024 * 1024)
                  + " MiB free): free some space there, or remove cached results with kiln prune");
        }
        return 1;
      }
      var solved = (Outcome.Solved) outcome;
      boolean ended = false;
      try {
        Optional<Descriptor> inlineCache = Optional.empty();
        if (cacheExport.isPresent()) {
          List<dev.kiln.engine.graph.Digest> keys = new ArrayList<>();
          for (ProgressEvent event : events) {
            if (event instanceof ProgressEvent.VertexMissed missed) {
              keys.add(missed.key());
            } else if (event instanceof ProgressEvent.VertexCached cached) {
              keys.add(cached.key());
            }
          }
          CacheSpec to = cacheExport.get();
          CacheExporter.Built written =
              cacheExporter
                  .orElseThrow()
                  .build(
                      keys,
                      ((SnapshotResult) solved.result()).snapshot(),
                      to.mode(),
                      to.cacheMounts());
          if (to.inline()) {
            inlineCache = Optional.of(written.image().config());
          } else if (to.dir().isPresent()) {
            cacheExporter.orElseThrow().writeLayout(written.image(), to.dir().get());
          } else {
            new ImagePusher(engine.registry(), engine.content())
                .push(written.image(), to.ref().orElseThrow());
          }
          timings.lap("cache export");
          err.println(
              "exported cache ("
                  + to.mode().name().toLowerCase(java.util.Locale.ROOT)
                  + "): "
                  + written.records()
                  + " records, "
                  + written.image().layers().size()
                  + " layers to "
                  + to.where());
        }
        List<Exporter> exporters = new ArrayList<>();
        exporter.ifPresent(exporters::add);
        image.ifPresent(
            i ->
                exporters.add(
                    new ImageExporter(
                        i.names(), i.push(), i.options(), engine.images(), engine::registry)));
        var snapshot = ((SnapshotResult) solved.result()).snapshot();
        Optional<String> imageConfig =
            conversion.map(c -> ImageConfigJson.write(c.config()).toString());
        if (inlineCache.isPresent()) {
          imageConfig =
              Optional.of(InlineCache.embed(imageConfig, engine.content(), inlineCache.get()));
        }
        Optional<Descriptor> imageManifest = Optional.empty();
        for (Exporter each : exporters) {
          Exported exported =
              each.export(
                  new ExportInput(snapshot, engine.snapshotter(), engine.content(), imageConfig));
          timings.lap(each instanceof ImageExporter ? "image export" : "export");
          if (exported.manifest().isPresent()) {
            imageManifest = exported.manifest();
          }
          job.exported(each.describe(), exported.manifest().map(Descriptor::digest));
          err.println(
              "exported "
                  + exported.manifest().map(m -> "image " + m.digest() + " ").orElse("")
                  + "to "
                  + each.describe());
        }
        var metadata =
            BuildMetadata.of(solved.key(), conversion.map(Conversion::config), imageManifest);
        if (metadataFile.isPresent()) {
          BuildMetadata.write(metadataFile.get(), metadata);
        }
        sink.metadata(metadata);
        sink.written();
        job.finished(solved.key().digest());
        ended = true;
        err.println(
            "built "
                + solved.key().digest().shortForm()
                + " ("
                + timings
                + "; "
                + engine.describe()
                + ")");
        return 0;
      } finally {
        if (!ended) {
          // The solve succeeded and an output failed: the job ends failed, not interrupted.
          job.failed("its outputs were not all written");
        }
      }
    } catch (DockerfileInput.InputError | dev.kiln.frontend.gateway.FrontendException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (java.io.IOException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (IllegalArgumentException e) {
      // What an exporter finds wrong with its input (say a malformed image configuration).
      err.println("error: " + e.getMessage());
      return 1;
    }
  }

  private BuildOptions buildOptions() {
    return new BuildOptions(
        target,
        pairs("--build-arg", buildArgs, v -> v),
        pairs("--build-context", buildContexts, BuildCommand::absoluteContext),
        noCache,
        pairs("--label", labels, v -> v),
        List.of(),
        Set.copyOf(allow),
        Set.copyOf(noCacheFilter));
  }

  /** Named contexts with relative paths made absolute, against the working directory. */
  private static String absoluteContext(String value) {
    String scheme = "oci-layout://";
    if (value.startsWith(scheme)) {
      String rest = value.substring(scheme.length());
      return rest.startsWith("/") ? value : scheme + Path.of("").toAbsolutePath().resolve(rest);
    }
    return value.contains("://") ? value : Path.of(value).toAbsolutePath().normalize().toString();
  }

  /** Parses repeated {@code NAME=VALUE} flags. */
  private static <T> Map<String, T> pairs(
      String flag, List<String> values, java.util.function.Function<String, T> convert) {
    Map<String, T> parsed = new LinkedHashMap<>();
    for (String value : values) {
      int eq = value.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            flag + " " + value + ": use NAME=" + (flag.equals("--local") ? "DIR" : "VALUE"));
      }
      parsed.put(value.substring(0, eq), convert.apply(value.substring(eq + 1)));
    }
    return parsed;
  }

  /**
   * The image export that {@code --output type=image|registry}, {@code -t} and {@code --push} ask
   * for: -t names the image (type=image may too), --push pushes it.
   */
  private Optional<OutputSpec.Image> imageOutput(
      Optional<OutputSpec> spec, Optional<Instant> epoch) {
    List<ImageReference> names = new ArrayList<>();
    for (String tag : tags) {
      try {
        names.add(ImageReference.parse(tag));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("-t " + tag + ": " + e.getMessage(), e);
      }
    }
    Optional<OutputSpec.Image> asked =
        spec.filter(s -> s instanceof OutputSpec.Image).map(s -> (OutputSpec.Image) s);
    if (asked.isEmpty() && names.isEmpty()) {
      if (push) {
        throw new IllegalArgumentException("--push needs a name to push to: add -t NAME");
      }
      return Optional.empty();
    }
    OutputSpec.Image base =
        asked.orElse(new OutputSpec.Image(List.of(), false, ImageOptions.DEFAULTS));
    names.addAll(base.names());
    if (names.isEmpty()) {
      throw new IllegalArgumentException(
          "--output " + output.get() + ": an image needs a name: name=NAME or -t NAME");
    }
    return Optional.of(
        new OutputSpec.Image(
            names, base.push() || push, base.options().withSourceDateEpoch(epoch)));
  }

  private static Exporter exporterFor(String spec, OutputSpec parsed, Optional<Instant> epoch) {
    if (parsed instanceof OutputSpec.Local local) {
      return new LocalExporter(local.dest());
    }
    if (parsed instanceof OutputSpec.Tar tar) {
      return new TarExporter(tar.dest());
    }
    try {
      if (parsed instanceof OutputSpec.Oci oci) {
        ImageOptions options = oci.options().withSourceDateEpoch(epoch);
        Destination dest =
            oci.tar()
                ? archiveDest(oci.dest())
                : new Destination.Directory(oci.dest().orElseThrow());
        return new OciExporter(dest, oci.names(), options);
      }
      OutputSpec.Docker docker = (OutputSpec.Docker) parsed;
      return new DockerExporter(
          archiveDest(docker.dest()), docker.names(), docker.options().withSourceDateEpoch(epoch));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--output " + spec + ": " + e.getMessage(), e);
    }
  }

  /** A file, or standard output for {@code dest=-} (as buildx, never onto a terminal). */
  private static Destination archiveDest(Optional<Path> dest) {
    if (dest.isPresent()) {
      return new Destination.File(dest.get());
    }
    if (System.console() != null) {
      throw new IllegalArgumentException(
          "dest=- would write an archive to a terminal; redirect standard output or name a file");
    }
    return new Destination.Stream(new CheckedStdout(System.out), "standard output");
  }

  private static SnapshotterMode snapshotterMode(String name) {
    for (SnapshotterMode mode : SnapshotterMode.values()) {
      if (mode.label().equals(name)) {
        return mode;
      }
    }
    throw new IllegalArgumentException("--snapshotter " + name + ": use overlay or copy");
  }
}
