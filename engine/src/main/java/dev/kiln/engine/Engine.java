package dev.kiln.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.cache.BlobCollector;
import dev.kiln.engine.cache.CacheManifest;
import dev.kiln.engine.cache.CachePruner;
import dev.kiln.engine.cache.CacheRecord;
import dev.kiln.engine.cache.CacheStore;
import dev.kiln.engine.cache.CacheUsage;
import dev.kiln.engine.cache.Collector;
import dev.kiln.engine.cache.GcPolicy;
import dev.kiln.engine.cache.MissExplainer;
import dev.kiln.engine.cache.PrunePolicy;
import dev.kiln.engine.cluster.ClusterConfig;
import dev.kiln.engine.cluster.ClusterNode;
import dev.kiln.engine.cluster.ClusterSettings;
import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.executor.BwrapExecutor;
import dev.kiln.engine.executor.ExecException;
import dev.kiln.engine.executor.Executor;
import dev.kiln.engine.executor.ExecutorChoice;
import dev.kiln.engine.executor.SandboxSettings;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.DefinitionWriter;
import dev.kiln.engine.graph.Digest;
import dev.kiln.engine.graph.GraphJson;
import dev.kiln.engine.graph.Op;
import dev.kiln.engine.graph.SourceOp;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.ImageStore;
import dev.kiln.engine.job.BuildId;
import dev.kiln.engine.job.JobEvent;
import dev.kiln.engine.job.JobRecorder;
import dev.kiln.engine.job.JobState;
import dev.kiln.engine.job.Jobs;
import dev.kiln.engine.job.TakeoverRefused;
import dev.kiln.engine.placement.ClusterWork;
import dev.kiln.engine.progress.ProgressEvent;
import dev.kiln.engine.progress.ProgressStream;
import dev.kiln.engine.registry.RegistryClient;
import dev.kiln.engine.registry.RegistryImageSource;
import dev.kiln.engine.snapshot.OverlayProbe;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.SnapshotterMode;
import dev.kiln.engine.solver.BuildInputs;
import dev.kiln.engine.solver.CacheKey;
import dev.kiln.engine.solver.Outcome;
import dev.kiln.engine.solver.Resolver;
import dev.kiln.engine.solver.Result;
import dev.kiln.engine.solver.ResultCache;
import dev.kiln.engine.solver.Solver;
import dev.kiln.engine.source.DockerImageSource;
import dev.kiln.engine.source.HttpSource;
import dev.kiln.engine.source.ImageBlobs;
import dev.kiln.engine.source.ImageLoader;
import dev.kiln.engine.source.ImageSource;
import dev.kiln.engine.source.LocalSync;
import dev.kiln.engine.source.OciLayoutSource;
import dev.kiln.engine.worker.SnapshotCache;
import dev.kiln.engine.worker.Worker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * An embedded Kiln engine: one actor system, one worker, one state directory (locked, so two
 * processes never share it).
 */
public final class Engine implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Engine.class);

  /** Longer than any build; the ask only guards against a solver that never answers. */
  private static final Duration SOLVE_TIMEOUT = Duration.ofDays(30);

  private final ActorSystem<Solver.Command> system;
  private final java.util.concurrent.atomic.AtomicLong tickets =
      new java.util.concurrent.atomic.AtomicLong();
  private final Snapshotter snapshotter;
  private final ContentStore content;
  private final Jobs jobs;
  private final Executor executor;
  private final OciLayoutSource layouts;
  private final DockerImageSource dockerImages;
  private final ImageStore images;
  private final RegistryImageSource registries;
  private final Worker worker;
  private final CacheStore cacheStore;
  private final SnapshotCache cache;
  private final Collector collector;
  private final LocalSync localSync;
  private final List<String> startReport;
  private final RootLock lock;
  private final Optional<ClusterNode> cluster;
  private final Optional<ClusterWork> work;
  private final java.util.concurrent.atomic.AtomicBoolean closing =
      new java.util.concurrent.atomic.AtomicBoolean();

  private Engine(
      ActorSystem<Solver.Command> system,
      Snapshotter snapshotter,
      ContentStore content,
      Executor executor,
      OciLayoutSource layouts,
      DockerImageSource dockerImages,
      ImageStore images,
      RegistryImageSource registries,
      Worker worker,
      CacheStore cacheStore,
      SnapshotCache cache,
      Collector collector,
      LocalSync localSync,
      List<String> startReport,
      RootLock lock,
      Optional<ClusterNode> cluster,
      Optional<ClusterWork> work) {
    this.system = system;
    this.jobs = Jobs.of(system);
    this.snapshotter = snapshotter;
    this.content = content;
    this.executor = executor;
    this.layouts = layouts;
    this.dockerImages = dockerImages;
    this.images = images;
    this.registries = registries;
    this.worker = worker;
    this.cacheStore = cacheStore;
    this.cache = cache;
    this.collector = collector;
    this.localSync = localSync;
    this.startReport = List.copyOf(startReport);
    this.lock = lock;
    this.cluster = cluster;
    this.work = work;
  }

  public static Engine start(EngineConfig config) throws IOException {
    try {
      BwrapExecutor.probe();
    } catch (ExecException e) {
      throw new IOException(e.getMessage(), e);
    }
    Path root = config.root().toAbsolutePath();
    Files.createDirectories(root);
    RootLock lock = RootLock.take(root, "wait for it or pass another --root");
    AtomicReference<Resolver> resolver = new AtomicReference<>();
    AtomicReference<SnapshotCache> cache = new AtomicReference<>();
    // Starting the actor system takes about 0.4 s (its configuration and classes): it starts on a
    // thread of its own while this one checks the root.
    CompletableFuture<ActorSystem<Solver.Command>> starting =
        CompletableFuture.supplyAsync(
            () -> startSystem(config, root, resolver, cache),
            task -> {
              Thread thread = new Thread(task, "kiln-engine-start");
              thread.setDaemon(true);
              thread.start();
            });
    Snapshotter snapshotter;
    ContentStore content;
    CacheStore opened = null;
    List<String> journalWarnings;
    ActorSystem<Solver.Command> system;
    Optional<ClusterNode> clusterNode = Optional.empty();
    try {
      SnapshotterMode mode =
          config
              .snapshotter()
              .orElseGet(
                  () -> OverlayProbe.works(root) ? SnapshotterMode.OVERLAY : SnapshotterMode.COPY);
      snapshotter = new Snapshotter(root, mode);
      snapshotter.recover();
      content = new ContentStore(root);
      content.removeInterruptedIngests(); // the root is this process's alone: no ingest runs
      opened = CacheStore.open(root);
      Optional<dev.kiln.engine.job.SharedJournal> shared =
          config.cluster().flatMap(ClusterSettings::journal);
      if (shared.isPresent()) {
        shared.get().prepare();
        journalWarnings = List.of();
      } else {
        // Checked before LevelDB opens the journal, which would drop damaged records silently.
        journalWarnings = dev.kiln.engine.job.JournalCheck.run(root);
      }
      system = join(starting);
      if (config.cluster().isPresent()) {
        clusterNode = Optional.of(ClusterNode.join(system, config.cluster().get()));
      }
    } catch (IOException | RuntimeException e) {
      starting.thenAccept(ActorSystem::terminate);
      if (opened != null) {
        opened.close();
      }
      lock.close();
      throw e;
    }
    CacheStore cacheStore = opened;
    ImageLoader loader = new ImageLoader(content, snapshotter);
    OciLayoutSource layouts = new OciLayoutSource(loader);
    ImageStore images = new ImageStore(root, content);
    // The client is made on the first pull, so that a bad registries.json fails that pull only.
    RegistryImageSource registries =
        new RegistryImageSource(() -> RegistryClient.fromEnvironment(System.getenv()));
    DockerImageSource dockerImages = new DockerImageSource(loader, images, registries);
    ExecutorChoice.Chosen chosen;
    try {
      chosen =
          ExecutorChoice.make(
              snapshotter,
              config
                  .stepLimits()
                  .orElseGet(
                      () -> dev.kiln.engine.executor.StepLimits.from(system.settings().config())),
              config.sandbox().orElseGet(() -> SandboxSettings.from(system.settings().config())));
    } catch (ExecException | RuntimeException e) {
      system.terminate();
      cacheStore.close();
      lock.close();
      throw new IOException(e.getMessage(), e);
    }
    Executor executor = chosen.executor();
    LocalSync localSync = new LocalSync(root, snapshotter);
    var dispatchers = system.dispatchers();
    cache.set(
        new SnapshotCache(
            cacheStore,
            snapshotter,
            loader,
            dispatchers.lookup(DispatcherSelector.fromConfig("kiln.io-dispatcher"))));
    int dropped = cache.get().dropBroken();
    List<String> report = new java.util.ArrayList<>(journalWarnings);
    chosen.note().ifPresent(report::add);
    if (dropped > 0) {
      report.add("cache: dropped " + dropped + " records whose data was gone or damaged");
    }
    Worker worker =
        new Worker(
            executor,
            snapshotter,
            layouts,
            dockerImages,
            new HttpSource(content, snapshotter, root),
            localSync,
            config.locals(),
            dispatchers.lookup(DispatcherSelector.fromConfig("kiln.exec-dispatcher")),
            dispatchers.lookup(DispatcherSelector.fromConfig("kiln.io-dispatcher")));
    Optional<ClusterWork> work = Optional.empty();
    if (clusterNode.isPresent()) {
      try {
        work =
            Optional.of(
                ClusterWork.start(
                    system,
                    config.cluster().get(),
                    snapshotter,
                    root,
                    worker,
                    cache.get(),
                    config.effectiveSlots(),
                    dispatchers.lookup(DispatcherSelector.fromConfig("kiln.io-dispatcher"))));
      } catch (IOException e) {
        system.terminate();
        cacheStore.close();
        lock.close();
        throw e;
      }
    }
    resolver.set(work.map(w -> w.resolver(worker)).orElse(worker));
    return new Engine(
        system,
        snapshotter,
        content,
        executor,
        layouts,
        dockerImages,
        images,
        registries,
        worker,
        cacheStore,
        cache.get(),
        new Collector(
            config
                .gc()
                .map(
                    policy ->
                        () ->
                            collect(
                                root,
                                cacheStore,
                                snapshotter,
                                cache.get(),
                                policy,
                                content,
                                images)),
            dispatchers.lookup(DispatcherSelector.fromConfig("kiln.io-dispatcher"))),
        localSync,
        report,
        lock,
        clusterNode,
        work);
  }

  /**
   * The engine's actor system: the solver as its guardian, reaching the worker and the cache
   * through references set before any build can be submitted; build jobs journal under the root
   * (engine.job), their plugins starting with the first job.
   */
  private static ActorSystem<Solver.Command> startSystem(
      EngineConfig config,
      Path root,
      AtomicReference<Resolver> resolvers,
      AtomicReference<SnapshotCache> cache) {
    Resolver resolver = (digest, vertex, inputs) -> resolvers.get().resolve(digest, vertex, inputs);
    Optional<dev.kiln.engine.job.SharedJournal> shared =
        config.cluster().flatMap(ClusterSettings::journal);
    com.typesafe.config.Config journal =
        shared.isPresent()
            ? dev.kiln.engine.job.JobJournal.shared(
                shared.get(), config.cluster().get().bind().toString(), config.keepJobs())
            : dev.kiln.engine.job.JobJournal.config(root, config.keepJobs());
    com.typesafe.config.Config base =
        journal.withFallback(com.typesafe.config.ConfigFactory.load());
    if (config.cluster().isPresent()) {
      // Cluster classes load only here: a single node pays nothing for them.
      base =
          ClusterConfig.of(
                  config.cluster().get(), config.effectiveSlots(), base.getString("kiln.version"))
              .withFallback(base);
    }
    return ActorSystem.create(
        Solver.create(
            resolver, new LateCache(cache), config.effectiveSlots(), config.effectiveBuildSlots()),
        ClusterConfig.SYSTEM,
        base);
  }

  /** What {@code starting} gives, its failure rethrown as it was. */
  private static <T> T join(CompletableFuture<T> starting) throws IOException {
    try {
      return starting.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw new IOException(String.valueOf(e.getCause().getMessage()), e.getCause());
    }
  }

  /** One automatic collection: once every record is written, under {@code policy}. */
  private static CachePruner.Pruned collect(
      Path root,
      CacheStore store,
      Snapshotter snapshotter,
      SnapshotCache cache,
      GcPolicy policy,
      ContentStore content,
      ImageStore images)
      throws IOException {
    cache.flush();
    CachePruner.Pruned pruned =
        CachePruner.collect(
            store,
            snapshotter,
            policy,
            Set.of(),
            System.currentTimeMillis(),
            Files.getFileStore(root).getUsableSpace());
    return pruned.and(BlobCollector.sweep(content, images, snapshotter));
  }

  /** The solver's cache, once the engine has made it (always, before a build can start). */
  private record LateCache(AtomicReference<SnapshotCache> cache) implements ResultCache {
    @Override
    public CompletionStage<Optional<Hit>> lookup(CacheKey key) {
      return cache.get().lookup(key);
    }

    @Override
    public CompletionStage<Void> record(CacheKey key, List<Result> outputs, Made made) {
      return cache.get().record(key, outputs, made);
    }
  }

  /** The cache's disk usage. Blocking. */
  public CacheUsage.Report diskUsage() throws IOException {
    return CacheUsage.of(cacheStore, snapshotter, content);
  }

  /**
   * Prunes the cache under {@code policy}. Blocking. For an engine with no build running: the
   * automatic collection that runs beside builds, with leases, comes with the daemon.
   */
  public CachePruner.Pruned prune(PrunePolicy policy) throws IOException {
    cache.flush();
    CachePruner.Pruned pruned =
        CachePruner.prune(cacheStore, snapshotter, policy, Set.of(), System.currentTimeMillis());
    if (policy.all()) {
      localSync.forgetAll();
    }
    return pruned.and(BlobCollector.sweep(content, images, snapshotter));
  }

  /**
   * Checks the root {@code root} and, with {@code repair}, drops its broken entries ({@code
   * docs/check.md}). Static: it runs with no engine on the root (it takes the root's lock) and
   * before any start-up recovery, so it sees the root as the last process left it. Blocking.
   */
  public static dev.kiln.engine.check.CheckReport check(Path root, boolean repair)
      throws IOException {
    return dev.kiln.engine.check.RootCheck.run(root, repair);
  }

  /**
   * Why each step of a build that ran had missed the cache, as {@code STEP: REASON} lines, from the
   * build's events, its definition and local directories, and the records made before {@code
   * startedMillis}. Blocking.
   */
  public List<String> explainMisses(
      List<ProgressEvent> events,
      Definition definition,
      Map<String, Path> locals,
      long startedMillis)
      throws IOException {
    List<CacheStore.Entry> earlier =
        cacheStore.entries().stream()
            .filter(e -> e.record().createdMillis() < startedMillis)
            .toList();
    Map<String, String> names = new java.util.HashMap<>();
    Set<dev.kiln.engine.graph.Digest> ran = new java.util.HashSet<>();
    for (ProgressEvent event : events) {
      if (event instanceof ProgressEvent.VertexMissed missed) {
        names.put(missed.key().value(), missed.name());
      } else if (event instanceof ProgressEvent.VertexStarted started) {
        ran.add(started.vertex());
      }
    }
    MissExplainer explainer =
        new MissExplainer(earlier, names, opJson -> localChanges(opJson, locals));
    List<String> lines = new java.util.ArrayList<>();
    for (ProgressEvent event : events) {
      if (event instanceof ProgressEvent.VertexMissed missed && ran.contains(missed.vertex())) {
        String op =
            GraphJson.canonical().writeValueAsString(definition.vertex(missed.vertex()).op());
        lines.add(
            missed.name()
                + ": "
                + explainer.explain(
                    new MissExplainer.Miss(
                        missed.name(),
                        missed.key().value(),
                        missed.opDigest(),
                        missed.inputs(),
                        op,
                        missed.ignoredCache())));
      }
    }
    return lines;
  }

  /** The files a local source's last read found changed; none for other ops. */
  private List<String> localChanges(String opJson, Map<String, Path> locals) {
    try {
      if (GraphJson.mapper().readValue(opJson, Op.class) instanceof SourceOp source
          && source.scheme().equals("local")) {
        return Optional.ofNullable(locals.get(source.location()))
            .or(() -> worker.localDir(source.location()))
            .map(
                dir ->
                    localSync.lastChanges(dir, source.includePatterns(), source.excludePatterns()))
            .orElse(List.of());
      }
    } catch (IOException e) {
      // An op that does not read back has no file list to show.
    }
    return List.of();
  }

  /**
   * Offers the records of a cache exported to the OCI layout {@code layout} ({@code --cache-from
   * type=local,src=DIR}). Blocking.
   */
  public int importCache(Path layout) throws IOException {
    if (!Files.isDirectory(layout)) {
      throw new IOException("cache " + layout + ": not a directory");
    }
    return importCache(
        layouts,
        "oci-layout://" + layout.toAbsolutePath() + ":" + CacheManifest.TAG,
        layout.toString());
  }

  /**
   * Offers the records of a cache image in a registry ({@code --cache-from type=registry,ref=REF}).
   * Blocking.
   */
  public int importCache(String reference) throws IOException {
    return importCache(dockerImages, "docker-image://" + reference, reference);
  }

  /**
   * Reads a cache image's manifest and config (a damaged or foreign one is an error) and offers its
   * records: a step whose key is among them is taken from there, only its layers fetched. Returns
   * how many records it offers.
   */
  private int importCache(ImageSource source, String identifier, String where) throws IOException {
    ImageBlobs blobs = source.blobs(identifier);
    ImageLoader loader = source.loader();
    JsonNode manifest = loader.document(blobs, loader.manifest(blobs));
    Descriptor config = Descriptor.from(manifest.path("config"), where + " cache manifest");
    JsonNode document = loader.document(blobs, config);
    if (!CacheManifest.MEDIA_TYPE.equals(config.mediaType())) {
      // An image whose configuration carries its cache (--cache-to type=inline).
      document = document.path(CacheManifest.INLINE_KEY);
      if (!document.isObject()) {
        throw new IOException(
            "cache "
                + where
                + ": its image is neither a Kiln cache nor one with an inline cache (config "
                + config.mediaType()
                + ")");
      }
    }
    byte[] bytes = GraphJson.mapper().writeValueAsBytes(document);
    CacheManifest parsed = CacheManifest.parse(bytes, "cache " + where);
    for (CacheManifest.MountRef mount : parsed.mounts()) {
      importCacheMount(blobs, mount);
    }
    return cache.offer(blobs, parsed);
  }

  /** The directory of cache mounts' contents ({@code RUN --mount=type=cache}). */
  public Path cacheMountsDir() {
    return snapshotter.snapshotsDir().resolveSibling("cache-mounts");
  }

  /**
   * Restores an exported cache mount unless this root has one of that name: unpacked (hardened, as
   * a layer) into a temporary directory, then renamed into place.
   */
  private void importCacheMount(ImageBlobs blobs, CacheManifest.MountRef mount) throws IOException {
    Path target = cacheMountsDir().resolve(mount.name());
    if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    blobs.fetch(mount.blob(), content);
    Files.createDirectories(cacheMountsDir());
    Path temp = cacheMountsDir().resolve(".import-" + java.util.UUID.randomUUID());
    Files.createDirectory(temp);
    try {
      try (java.io.InputStream raw = content.open(mount.blob().digest());
          java.io.InputStream tar = dev.kiln.engine.layer.Compression.decompress(raw)) {
        dev.kiln.engine.layer.LayerUnpacker.unpack(tar, temp);
      }
      Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      dev.kiln.engine.snapshot.FileTrees.deleteRecursively(temp);
      throw new IOException("cache mount " + mount.name() + ": " + e.getMessage(), e);
    }
  }

  /** The record of {@code key}, once every record this engine made is written. Blocking. */
  public Optional<CacheRecord> cacheRecord(dev.kiln.engine.graph.Digest key) throws IOException {
    cache.flush();
    return cacheStore.get(key);
  }

  /** The records of the cache, newest use first. Blocking. */
  public List<CacheStore.Entry> cacheRecords() throws IOException {
    return cacheStore.entries();
  }

  /** What start-up found worth telling the user (records dropped by the consistency pass). */
  public List<String> startReport() {
    return startReport;
  }

  /**
   * Solves {@code definition} with {@code inputs}: host directories for its {@code local://}
   * sources, secrets and ssh agents for its secret and ssh mounts (for this build only; they never
   * enter the graph).
   */
  public CompletionStage<Outcome> solve(
      Definition definition, BuildInputs inputs, Consumer<ProgressEvent> listener) {
    return start(definition, inputs, listener).outcome();
  }

  /**
   * The engine's actor system, for a daemon's HTTP server: one actor system per process, as the
   * design has it.
   */
  public org.apache.pekko.actor.typed.ActorSystem<?> actorSystem() {
    return system;
  }

  /** Solves {@code definition}; completes after the listener has seen the build's last event. */
  public CompletionStage<Outcome> solve(Definition definition, Consumer<ProgressEvent> listener) {
    return solve(definition, Map.of(), listener);
  }

  /**
   * Solves {@code definition} with these host directories as its {@code local://} sources (for this
   * build only: concurrent builds may give a name other directories); completes after the listener
   * has seen the build's last event.
   */
  public CompletionStage<Outcome> solve(
      Definition definition, Map<String, Path> locals, Consumer<ProgressEvent> listener) {
    return start(definition, locals, listener).outcome();
  }

  /** A build under way: its outcome to come, and a way to give up on it. */
  public record Running(CompletionStage<Outcome> outcome, Runnable cancel) {}

  /**
   * Starts solving {@code definition} as {@link #solve} does; {@code cancel} fails the build at
   * once and stops its steps that no other build needs.
   */
  public Running start(
      Definition definition, Map<String, Path> locals, Consumer<ProgressEvent> listener) {
    return start(definition, BuildInputs.locals(locals), listener);
  }

  /** {@link #start(Definition, Map, Consumer)} with these secrets and ssh agents too. */
  public Running start(
      Definition definition, BuildInputs inputs, Consumer<ProgressEvent> listener) {
    Collector.Lease lease = collector.lease();
    ProgressStream progress = ProgressStream.start(system, listener);
    long ticket = tickets.incrementAndGet();
    CompletionStage<Outcome> outcome =
        AskPattern.ask(
            system,
            replyTo -> new Solver.Solve(definition, inputs, progress.ref(), replyTo, ticket),
            SOLVE_TIMEOUT,
            system.scheduler());
    if (work.isPresent()) {
      outcome = outcome.thenCompose(work.get()::local);
    }
    return new Running(
        outcome
            .thenCombine(progress.drained(), (result, drained) -> result)
            .whenComplete((result, failure) -> lease.close()),
        () -> system.tell(new Solver.Cancel(ticket)));
  }

  /**
   * A build run as a persistent job: its solve, and its job. A failed or cancelled solve ends the
   * job by itself; a successful one leaves it open for the build's exports ({@link #exported}),
   * then its end ({@link #finished}, or {@link #failed} if an export fails), so that a crash before
   * the outputs are written leaves the job to resume.
   */
  public static final class JobRun {
    private final Running running;
    private final Jobs.Open job;
    private final java.util.concurrent.atomic.AtomicBoolean ended;
    private final List<BuildId> interrupted;

    private JobRun(
        Running running,
        Jobs.Open job,
        java.util.concurrent.atomic.AtomicBoolean ended,
        List<BuildId> interrupted) {
      this.running = running;
      this.job = job;
      this.ended = ended;
      this.interrupted = List.copyOf(interrupted);
    }

    /**
     * For an embedded build, the interrupted embedded builds of the same definition ({@code kiln
     * resume ID} would go on with one), oldest first; none for a daemon's build.
     */
    public List<BuildId> interrupted() {
      return interrupted;
    }

    /** The solve: its outcome, and how to cancel it. */
    public Running running() {
      return running;
    }

    /** Journals that {@code output} was written (with the digest it produced, if any). */
    public void exported(String output, Optional<Digest> digest) throws IOException {
      job.record(new JobEvent.ExportCompleted(output, digest, java.time.Instant.now()));
    }

    /** Ends the job of a build whose outputs are all written. */
    public void finished(Digest result) throws IOException {
      end(new JobEvent.BuildFinished(result, java.time.Instant.now()));
    }

    /** Ends the job of a build whose solve succeeded but whose outputs failed, with why. */
    public void failed(String error) throws IOException {
      end(new JobEvent.BuildFailed(error, Optional.empty(), java.time.Instant.now()));
    }

    private void end(JobEvent event) throws IOException {
      if (ended.compareAndSet(false, true)) {
        try {
          job.end(event).toCompletableFuture().get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while ending the job", e);
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IOException("cannot end the job: " + e.getCause().getMessage(), e);
        }
      }
    }
  }

  /**
   * {@link #start(Definition, BuildInputs, Consumer)} as a persistent job ({@code docs/jobs.md}):
   * the definition goes into the content store (its digest joins {@code accepted}'s inputs) and
   * {@code accepted} into the journal before anything runs; with {@code resume}, the interrupted
   * job of that build goes on instead. The build's progress follows as events; see {@link JobRun}
   * for its end. Throws if the job cannot be opened.
   */
  public JobRun start(
      Definition definition,
      BuildInputs inputs,
      Consumer<ProgressEvent> listener,
      JobEvent.BuildAccepted accepted,
      boolean resume)
      throws IOException {
    byte[] json =
        DefinitionWriter.write(definition).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Digest stored =
        content.ingest(new java.io.ByteArrayInputStream(json), Optional.empty(), json.length);
    List<BuildId> twins = new java.util.ArrayList<>();
    // Only an embedded build asks: a daemon's unfinished jobs are its running builds (it resumes
    // its interrupted ones itself), and reading each of them for every new build would cost the
    // daemon's builds a journal replay apiece.
    if (!resume && !accepted.workdir().isEmpty()) {
      for (JobState job : jobs.unfinished()) {
        var other = job.accepted().orElseThrow();
        if (stored.equals(other.inputs().get("definition")) && !other.workdir().isEmpty()) {
          twins.add(other.build());
        }
      }
    }
    Jobs.Open open = jobs.open(accepted.withInput("definition", stored), resume);
    java.util.concurrent.atomic.AtomicBoolean cancelled =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicBoolean ended =
        new java.util.concurrent.atomic.AtomicBoolean();
    Running running = start(definition, inputs, listener.andThen(open.recorder()));
    CompletionStage<Outcome> recorded =
        running
            .outcome()
            .thenCompose(
                outcome ->
                    outcome instanceof Outcome.Solved || !ended.compareAndSet(false, true)
                        ? java.util.concurrent.CompletableFuture.completedFuture(outcome)
                        : open.end(JobRecorder.end(outcome, cancelled.get(), "cancelled"))
                            .handle((reply, failure) -> outcome));
    return new JobRun(
        new Running(
            recorded,
            () -> {
              cancelled.set(true);
              running.cancel().run();
            }),
        open,
        ended,
        twins);
  }

  /** The journaled state of build {@code id}'s job ({@link JobState#NEW} when there is none). */
  public JobState job(BuildId id) throws IOException {
    return jobs.read(id);
  }

  /**
   * Takes build {@code id}'s interrupted job over from the coordinator whose index names it, which
   * must have left the cluster: that index forgets it (restarted, that node does not resume it),
   * and {@link #start} with {@code resume} then goes on with it here. Answers the coordinator it
   * came from, if an index named it; throws saying why it cannot, now or yet.
   */
  public Optional<String> takeOver(BuildId id) throws IOException, TakeoverRefused {
    List<String> holders = mayTakeOver(id);
    for (String holder : holders) {
      jobs.release(id, holder);
    }
    return holders.stream().findFirst();
  }

  /**
   * The coordinators whose index names build {@code id} as unfinished, once this coordinator may
   * take the job over ({@link #takeOver}); changes nothing. Throws saying why it may not, now or
   * yet.
   */
  public List<String> mayTakeOver(BuildId id) throws IOException, TakeoverRefused {
    if (cluster.isEmpty() || !jobs.shared()) {
      throw new TakeoverRefused(
          "this daemon shares no job journal with other coordinators (kiln daemon --journal):"
              + " it cannot take build "
              + id
              + " over",
          false);
    }
    JobState state = jobs.read(id);
    if (state.status() == JobState.Status.NEW) {
      throw new TakeoverRefused("build " + id + " has no job in the shared journal", false);
    }
    if (state.status().ended()) {
      throw new TakeoverRefused(
          "build "
              + id
              + " has ended ("
              + state.status().name().toLowerCase(java.util.Locale.ROOT)
              + ") on its coordinator, and its result went with it: build it again",
          false);
    }
    List<String> holders = jobs.othersHolding(id);
    var gone = ClusterNode.gone(system);
    for (String holder : holders) {
      if (!gone.test(holder)) {
        throw new TakeoverRefused(
            "coordinator "
                + holder
                + " runs build "
                + id
                + " and is still a member of the cluster: the build is taken over once it has"
                + " left (a node that died is downed by the split-brain resolver)",
            true);
      }
    }
    return holders;
  }

  /**
   * Whether this node's index of unfinished jobs names build {@code id}: an interrupted job it does
   * not name was taken over by another coordinator while this one was away.
   */
  public boolean holdsJob(BuildId id) throws IOException {
    return jobs.openIds().contains(id);
  }

  /** Ends build {@code id}'s unfinished job with {@code end}, without running it. */
  public void endJob(BuildId id, JobEvent end) throws IOException {
    jobs.end(id, end);
  }

  /**
   * The jobs of this root that have not ended, oldest first: found through the index of unfinished
   * jobs, so this costs what they do, not what every job ever run would.
   */
  public List<JobState> unfinishedJobs() throws IOException {
    return jobs.unfinished();
  }

  /**
   * The builds the index of unfinished jobs names, oldest first, none read: some may have ended, or
   * never been accepted, which {@link #unfinishedJobs(java.util.Collection)} tells.
   */
  public List<BuildId> unfinishedJobIds() throws IOException {
    return jobs.openIds();
  }

  /**
   * Those of builds {@code ids}' jobs that have not ended, oldest first; the index forgets the
   * others.
   */
  public List<JobState> unfinishedJobs(java.util.Collection<BuildId> ids) throws IOException {
    return jobs.unfinished(ids);
  }

  /**
   * The jobs kept on this root, oldest first, as listings show them: ended ones from the job
   * history, unfinished ones read back. Ended jobs older than {@link EngineConfig#keepJobs} are
   * erased.
   */
  public List<dev.kiln.engine.job.JobSummary> listJobs() throws IOException {
    return jobs.list();
  }

  /** The ended jobs kept on this root, oldest first, from the job history (none is read). */
  public List<dev.kiln.engine.job.JobSummary> endedJobs() throws IOException {
    return jobs.ended();
  }

  /**
   * Every job this root holds, oldest first. Blocking: each is read back. (The journal also names
   * ids that were only looked up, which have no event: they are left out.)
   */
  public List<JobState> jobs() throws IOException {
    List<JobState> all = new java.util.ArrayList<>();
    for (BuildId id : jobs.ids()) {
      JobState job = jobs.read(id);
      if (job.status() != JobState.Status.NEW) {
        all.add(job);
      }
    }
    return all;
  }

  /**
   * A hold on the cache: no automatic collection runs while one is open. {@link #solve} takes its
   * own; a caller that reads a build's results afterwards (an export) holds one around both.
   */
  public Collector.Lease lease() {
    return collector.lease();
  }

  /** What the last automatic collection removed, or why it failed. */
  public Optional<CachePruner.Pruned> lastCollection() throws IOException {
    Optional<Exception> failure = collector.failure();
    if (failure.isPresent()) {
      throw new IOException(
          "cache collection failed: " + failure.get().getMessage(), failure.get());
    }
    return collector.last();
  }

  /**
   * The image configuration of an {@code oci-layout://} reference, for frontends that start a stage
   * from an image. Blocking.
   */
  public JsonNode imageConfig(String identifier) throws IOException {
    if (identifier.startsWith("oci-layout://")) {
      return layouts.imageConfig(identifier);
    }
    if (identifier.startsWith("docker-image://")) {
      return dockerImages.imageConfig(identifier);
    }
    throw new IOException(
        "cannot read the image configuration of \""
            + identifier
            + "\": use an oci-layout:// or docker-image:// reference");
  }

  public Snapshotter snapshotter() {
    return snapshotter;
  }

  /** The executor the engine's steps run with; a gateway frontend runs attached to it. */
  public Executor executor() {
    return executor;
  }

  /** The blobs: images' layers, configs and manifests. */
  /** Kiln's local image store ({@code kiln build -t}). */
  public ImageStore images() {
    return images;
  }

  /** The registry client, made on first use from the environment's configuration. */
  public RegistryClient registry() throws IOException {
    return registries.client();
  }

  public ContentStore content() {
    return content;
  }

  /** This engine's membership in a cluster; none for a single node. */
  /** This node's share of the cluster's work, when it is a cluster node. */
  public Optional<ClusterWork> clusterWork() {
    return work;
  }

  public Optional<ClusterNode> cluster() {
    return cluster;
  }

  /**
   * Completes, saying why, when this engine's actor system stops without being closed: a cluster
   * node the split-brain resolver downed (cut off on the minority side, or removed while
   * unreachable). Such an engine cannot run builds any more; its daemon exits, so that a supervisor
   * restarts it and it joins again as a new member.
   */
  public CompletionStage<String> stoppedByItself() {
    return system
        .getWhenTerminated()
        .thenCompose(
            done ->
                closing.get()
                    ? new CompletableFuture<String>()
                    : CompletableFuture.completedFuture(
                        "this node was removed from the cluster ("
                            + why(
                                org.apache.pekko.actor.CoordinatedShutdown.get(
                                        org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(
                                            system))
                                    .getShutdownReason())
                            + ")"));
  }

  private static String why(Optional<org.apache.pekko.actor.CoordinatedShutdown.Reason> reason) {
    if (reason.equals(
        Optional.of(org.apache.pekko.actor.CoordinatedShutdown.clusterDowningReason()))) {
      return "downed by the split-brain resolver";
    }
    if (reason.equals(
        Optional.of(org.apache.pekko.actor.CoordinatedShutdown.clusterLeavingReason()))) {
      return "it left";
    }
    return reason
        .map(r -> r.getClass().getSimpleName().replace("$", ""))
        .orElse("its actor system stopped");
  }

  /**
   * Runs {@code stop} when the JVM shuts down (SIGTERM), before Pekko's remoting closes its
   * connections: a cluster node then leaves gracefully instead of waiting out Pekko's exit timeout
   * unheard (Artery's own hook waits only for hooks registered here).
   */
  public void onJvmShutdown(Runnable stop) {
    org.apache.pekko.actor.CoordinatedShutdown.get(
            org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system))
        .addJvmShutdownHook(stop);
  }

  /**
   * Waits at most {@code limit} for the actor system to terminate. Pekko 1.7's Artery waits for its
   * remoting streams to end without a deadline (apache/pekko#3247, bounded only after 1.7.0), so a
   * stalled stream to a peer must not keep a stopping daemon alive: by then every actor has
   * stopped, and what still runs under the root is awaited after this.
   */
  private void awaitTerminated(Duration limit)
      throws InterruptedException, java.util.concurrent.ExecutionException {
    try {
      system
          .getWhenTerminated()
          .toCompletableFuture()
          .get(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      LOG.warn(
          "the actor system did not terminate within {} s; stopping without it", limit.toSeconds());
    }
  }

  /** The executor and snapshotter chosen at start-up, for users to see. */
  public String describe() {
    return "executor " + executor.name() + ", snapshotter " + snapshotter.mode().label();
  }

  /** Where exporters may do blocking work. */
  public java.util.concurrent.Executor ioPool() {
    return system.dispatchers().lookup(DispatcherSelector.fromConfig("kiln.io-dispatcher"));
  }

  @Override
  public void close() throws IOException {
    closing.set(true);
    collector.close();
    if (!system.getWhenTerminated().toCompletableFuture().isDone()) {
      jobs.quiesce(Duration.ofSeconds(30)); // a downed node's system has stopped: nothing answers
    }
    work.ifPresent(ClusterWork::close);
    // Terminating stops every vertex, which cancels its work; then wait for that work to end,
    // so that nothing still writes under the root when the next engine takes it over.
    system.terminate();
    try {
      awaitTerminated(Duration.ofSeconds(30));
      worker.awaitIdle(Duration.ofMinutes(1));
      cache.awaitWritten(Duration.ofMinutes(1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      // Termination failures leave nothing to clean up that recover() does not handle.
    }
    executor.close();
    cacheStore.close();
    lock.close();
  }
}
