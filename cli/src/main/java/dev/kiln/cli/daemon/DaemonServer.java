package dev.kiln.cli.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cli.CacheJson;
import dev.kiln.cli.ChannelStreams;
import dev.kiln.cli.ContextManifest;
import dev.kiln.cli.DaemonAddress;
import dev.kiln.cli.RemoteBuild;
import dev.kiln.cli.SafeTar;
import dev.kiln.cli.SyncedDir;
import dev.kiln.engine.Engine;
import dev.kiln.engine.cache.PrunePolicy;
import dev.kiln.engine.cluster.ClusterMember;
import dev.kiln.engine.cluster.ClusterStatus;
import dev.kiln.engine.job.BuildId;
import dev.kiln.engine.job.JobState;
import dev.kiln.engine.job.JobSummary;
import dev.kiln.engine.placement.ClusterWork;
import dev.kiln.engine.placement.LayerStore;
import dev.kiln.engine.placement.PlacementReport;
import dev.kiln.engine.snapshot.FileTrees;
import dev.kiln.engine.tls.TlsFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;

/**
 * The daemon's HTTP/JSON API (docs/api.md) over one shared engine: {@code GET /v1/info}, and {@code
 * POST /v1/builds}, which takes the build's context as a tar stream and answers with its events as
 * newline-delimited JSON. Uploads are unpacked and builds run on a pool of their own; the HTTP
 * threads only move bytes.
 */
public final class DaemonServer extends AllDirectives implements AutoCloseable {
  /** The request header that carries the build's options, base64url-encoded JSON. */
  public static final String BUILD_HEADER = "Kiln-Build";

  /**
   * The request header of a build sent again to another coordinator, naming the build whose
   * coordinator went away: this one takes its job over from the shared journal.
   */
  public static final String TAKEOVER_HEADER = "Kiln-Resume";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_ENTRIES = 1_000_000;
  private static final int EVENT_BUFFER = 100_000;
  private static final Duration TICK = Duration.ofSeconds(2);
  private static final int KEEP_FINISHED = 1_000;
  private static final long MAX_JSON_BYTES = 64 * 1024;
  private static final long MAX_HAVE_BYTES = 4 << 20;
  private static final long MAX_SECRETS_BYTES = 64L << 20; // 100 secrets of 500 KiB, and headers
  private static final java.util.regex.Pattern BLOB =
      java.util.regex.Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Duration OUTPUT_KEPT = Duration.ofMinutes(30);

  private final Engine engine;
  private final Path sessions;
  private final long maxUploadBytes;
  private final ExecutorService pool;
  private final BuildTable table = new BuildTable(KEEP_FINISHED);
  private final ContextSync contexts;
  private final Set<String> entitlements;
  private final Path outputs;
  private final Path logs;
  private final java.util.concurrent.ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "kiln-daemon-timer");
            thread.setDaemon(true);
            return thread;
          });
  private final AgentRelay.Waitlist agents = new AgentRelay.Waitlist(timer);

  /** The builds a restart resumes, taken before the daemon listens, started once it does. */
  private final List<Runnable> toResume = new ArrayList<>();

  /** The builds being taken over from another coordinator now: one request each at a time. */
  private final Set<BuildId> takingOver = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final List<java.util.concurrent.Future<?>> restarting =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /** The longest a resumed build waits for the one before it to begin (see awaitUnderway). */
  private static final Duration RESUME_STAGGER = Duration.ofSeconds(3);

  /** Starts the builds a restart resumes, two at a time. */
  private final ExecutorService resuming =
      Executors.newFixedThreadPool(
          2,
          task -> {
            Thread thread = new Thread(task, "kiln-daemon-resume");
            thread.setDaemon(true);
            return thread;
          });

  private Optional<ServerBinding> binding = Optional.empty();
  private Optional<UnixSocketListener> socket = Optional.empty();
  private DaemonAddress address;

  private DaemonServer(
      Engine engine,
      Path sessions,
      ContextSync contexts,
      long maxUploadBytes,
      Set<String> entitlements) {
    this.engine = engine;
    this.contexts = contexts;
    this.entitlements = Set.copyOf(entitlements);
    this.outputs = sessions.resolveSibling("outputs");
    this.logs = sessions.resolveSibling("logs");
    this.sessions = sessions;
    this.maxUploadBytes = maxUploadBytes;
    this.pool =
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "kiln-daemon-build");
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * Serves {@code engine} on {@code address} (a TCP port 0: any free port); uploads of more than
   * {@code maxUploadBytes} are refused.
   */
  public static DaemonServer start(
      Engine engine, Path root, DaemonAddress address, long maxUploadBytes) throws IOException {
    return start(engine, root, address, maxUploadBytes, Set.of());
  }

  /**
   * As {@link #start(Engine, Path, DaemonAddress, long)}, granting {@code entitlements} ({@code
   * network.host}, {@code security.insecure}) to the builds that ask for them with {@code --allow}.
   */
  public static DaemonServer start(
      Engine engine,
      Path root,
      DaemonAddress address,
      long maxUploadBytes,
      Set<String> entitlements)
      throws IOException {
    Path sessions = Files.createDirectories(root.resolve("sessions"));
    Path outputs = Files.createDirectories(root.resolve("outputs"));
    Files.createDirectories(root.resolve("logs"));
    DaemonServer server =
        new DaemonServer(
            engine,
            sessions,
            new ContextSync(root.resolve("contexts")),
            maxUploadBytes,
            entitlements);
    server.recover(); // before it listens: no new build can take a copy a resumed one needs
    if (address instanceof DaemonAddress.Unix unix) {
      server.socket =
          Optional.of(
              UnixSocketListener.start(
                  engine.actorSystem(), unix.socket(), server.routes().flow(engine.actorSystem())));
      server.address = address;
      server.startResumed();
      return server;
    }
    DaemonAddress.Tcp tcp = (DaemonAddress.Tcp) address;
    ServerBuilder builder = Http.get(engine.actorSystem()).newServerAt(tcp.host(), tcp.port());
    if (tcp.tls().isPresent()) {
      builder = builder.enableHttps(https(tcp.tls().get()));
    }
    try {
      server.binding =
          Optional.of(
              builder.bind(server.routes()).toCompletableFuture().get(30, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
    }
    server.address =
        new DaemonAddress.Tcp(tcp.host(), server.binding.get().localAddress().getPort(), tcp.tls());
    server.startResumed();
    return server;
  }

  /** Starts the builds {@link #recover} took, now that the daemon listens. */
  private void startResumed() {
    toResume.forEach(task -> restarting.add(resuming.submit(task)));
    toResume.clear();
  }

  /**
   * Waits until what the restart left to do once the daemon listens is done: each resumed build
   * launched (and begun, or given up waiting for), the builds that cannot resume ended.
   */
  void awaitRestarted() throws InterruptedException, java.util.concurrent.ExecutionException {
    for (var task : restarting) {
      task.get();
    }
  }

  /** TLS from {@code files}; mutual (a client without a certificate its CA signed is refused). */
  private static HttpsConnectionContext https(TlsFiles files) throws IOException {
    SSLContext context = files.context();
    return ConnectionContext.httpsServer(
        () -> {
          SSLEngine engine = context.createSSLEngine();
          engine.setUseClientMode(false);
          engine.setNeedClientAuth(files.mutual());
          return engine;
        });
  }

  /** Where the server listens (with the port a TCP listener was given). */
  public DaemonAddress address() {
    return address;
  }

  Route routes() {
    return concat(
        pathPrefix(
            "v1",
            () ->
                concat(
                    path("info", () -> get(() -> complete(json(StatusCodes.OK, info())))),
                    path("cluster", () -> get(() -> completeWithFuture(cluster()))),
                    path("du", () -> get(() -> completeWithFuture(blocking(this::diskUsage)))),
                    path("prune", () -> postJson(MAX_JSON_BYTES, body -> () -> prune(body))),
                    pathPrefix(
                        "contexts",
                        () ->
                            path(
                                key ->
                                    post(
                                        () ->
                                            withSizeLimit(
                                                maxUploadBytes,
                                                () ->
                                                    extractRequestEntity(
                                                        entity ->
                                                            completeWithFuture(
                                                                missing(
                                                                    key,
                                                                    entity.getDataBytes()))))))),
                    pathPrefix(
                        "builds",
                        () ->
                            concat(
                                pathEnd(
                                    () ->
                                        concat(
                                            get(
                                                () ->
                                                    parameterOptional(
                                                        "submission",
                                                        submission ->
                                                            completeWithFuture(
                                                                blocking(
                                                                    () -> builds(submission))))),
                                            post(this::submit))),
                                pathPrefix(
                                    id ->
                                        concat(
                                            pathEnd(
                                                () ->
                                                    get(
                                                        () ->
                                                            complete(
                                                                withBuild(
                                                                    id,
                                                                    b ->
                                                                        json(
                                                                            StatusCodes.OK,
                                                                            b.json()))))),
                                            path(
                                                "cancel",
                                                () ->
                                                    post(
                                                        () ->
                                                            complete(withBuild(id, this::cancel)))),
                                            path("output", () -> output(id)),
                                            path("cache", () -> cache(id)),
                                            path("events", () -> events(id)),
                                            path(
                                                "takeover",
                                                () ->
                                                    get(
                                                        () ->
                                                            completeWithFuture(
                                                                blocking(
                                                                    () -> takeoverReady(id))))),
                                            path("secrets", () -> secrets(id)),
                                            pathPrefix(
                                                "ssh", () -> path(conn -> tunnel(id, conn))))))))),
        extractUnmatchedPath(
            path -> complete(json(StatusCodes.NOT_FOUND, error("no such endpoint: " + path)))));
  }

  /**
   * {@code POST /v1/builds/ID/ssh/CONN}: joins a step's connection to its client's ssh agent, the
   * request's body carrying what the agent says, the response's what the step says, both as they
   * come; {@code 404} for a connection that is not waiting (claimed, timed out, of another build).
   */
  private Route tunnel(String build, String conn) {
    return post(() -> extractRequestEntity(entity -> complete(tunnel(build, conn, entity))));
  }

  private HttpResponse tunnel(String build, String conn, HttpEntity entity) {
    Optional<AgentRelay.Waiting> waiting = agents.claim(build, conn);
    if (waiting.isEmpty()) {
      entity.discardBytes(engine.actorSystem());
      return json(
          StatusCodes.NOT_FOUND,
          error("no agent connection " + conn + " waits for build " + build));
    }
    java.nio.channels.SocketChannel step = waiting.get().channel();
    InputStream fromAgent =
        entity
            .getDataBytes()
            .runWith(StreamConverters.asInputStream(Duration.ofHours(1)), engine.actorSystem());
    pool.execute(
        () -> {
          try (fromAgent;
              java.io.OutputStream toStep = ChannelStreams.out(step)) {
            ChannelStreams.pump(fromAgent, toStep);
          } catch (IOException e) {
            ChannelStreams.closeQuietly(step); // the client or the step went away
          }
        });
    Source<ByteString, ?> fromStep =
        whenDone(
            StreamConverters.fromInputStream(() -> ChannelStreams.in(step), 16 * 1024),
            () -> ChannelStreams.closeQuietly(step));
    return HttpResponse.create()
        .withStatus(StatusCodes.OK)
        .withEntity(HttpEntities.createChunked(ContentTypes.APPLICATION_OCTET_STREAM, fromStep));
  }

  /** {@code bytes}, running {@code cleanup} once they are sent or the sending fails. */
  private static <M> Source<ByteString, M> whenDone(Source<ByteString, M> bytes, Runnable cleanup) {
    return bytes.watchTermination(
        (mat, done) -> {
          done.whenComplete((d, failure) -> cleanup.run());
          return mat;
        });
  }

  /** {@code POST /v1/builds/ID/cache}: see {@link #cache(BuildId, String)}. */
  /** {@code GET|DELETE /v1/builds/ID/output}: see {@link #output(BuildId)}. */
  private Route output(String id) {
    return concat(
        get(() -> complete(withId(id, this::output))),
        delete(() -> complete(withId(id, build -> forget(outputs.resolve(build.value()))))));
  }

  private Route cache(String id) {
    return concat(
        postJson(MAX_HAVE_BYTES, body -> () -> withId(id, build -> cache(build, body))),
        delete(() -> complete(withId(id, build -> forget(cacheOf(build))))));
  }

  /**
   * A POST whose JSON body, of at most {@code limit} bytes, {@code answer} answers off the pool.
   */
  private Route postJson(long limit, Function<String, Answer> answer) {
    return post(
        () -> extractRequestEntity(entity -> completeWithFuture(jsonBody(entity, limit, answer))));
  }

  private Route submit() {
    return withSizeLimit(
        maxUploadBytes,
        () ->
            optionalHeaderValueByName(
                BUILD_HEADER,
                header ->
                    optionalHeaderValueByName(
                        TAKEOVER_HEADER,
                        takeover ->
                            extractRequestEntity(
                                entity ->
                                    completeWithFuture(
                                        build(header, takeover, entity.getDataBytes()))))));
  }

  /**
   * {@code POST /v1/contexts/KEY}: the files of the posted manifest that the daemon's copy of the
   * context lacks, which the client then sends.
   */
  private CompletionStage<HttpResponse> missing(String key, Source<ByteString, Object> body) {
    return streamed(
        body,
        Duration.ofMinutes(5),
        "the manifest is too large",
        in -> {
          ContextSync.checkKey(key);
          ContextManifest manifest;
          try {
            manifest = ContextManifest.read(in);
          } catch (IOException e) {
            if (isTooLarge(e)) {
              throw e;
            }
            throw new ContextUpload.BadUpload(e.getMessage());
          }
          ObjectNode answer = JSON.createObjectNode();
          contexts.missing(key, manifest).forEach(answer.putArray("missing")::add);
          return json(StatusCodes.OK, answer);
        });
  }

  /** What answers a request from its body, read as a stream. */
  @FunctionalInterface
  private interface BodyAnswer {
    HttpResponse answer(InputStream in) throws IOException;
  }

  /**
   * Answers, off the HTTP threads, with what {@code answer} makes of the request's body: a
   * malformed one ({@link ContextUpload.BadUpload}, a bad id) is a 400, one beyond the route's
   * limit a 413 saying {@code tooLarge}, another failure a 500; what is left of the body is read
   * and dropped.
   */
  private CompletionStage<HttpResponse> streamed(
      Source<ByteString, Object> body, Duration timeout, String tooLarge, BodyAnswer answer) {
    InputStream in = body.runWith(StreamConverters.asInputStream(timeout), engine.actorSystem());
    return offPool(
        () -> {
          try (in) {
            return answer.answer(in);
          } catch (ContextUpload.BadUpload | IllegalArgumentException e) {
            drain(in);
            return json(StatusCodes.BAD_REQUEST, error(e.getMessage()));
          } catch (IOException | RuntimeException e) {
            drain(in);
            return isTooLarge(e)
                ? json(StatusCodes.PAYLOAD_TOO_LARGE, error(tooLarge))
                : json(StatusCodes.INTERNAL_SERVER_ERROR, error(String.valueOf(e.getMessage())));
          }
        });
  }

  /**
   * {@code GET /v1/builds[?submission=S]}: the builds, newest first: those of this run of the
   * daemon, then the ended ones its job history keeps from before; or the one its client submitted
   * as {@code S} (how a client whose daemon went away before it told the build's id finds it
   * again).
   */
  private HttpResponse builds(Optional<String> submission) throws IOException {
    ObjectNode json = JSON.createObjectNode();
    ArrayNode list = json.putArray("builds");
    List<DaemonBuild> current = table.list();
    current.stream()
        .filter(build -> submission.isEmpty() || build.submission().equals(submission.get()))
        .forEach(build -> list.add(build.json()));
    if (submission.isEmpty()) {
      Set<BuildId> shown = new HashSet<>();
      current.forEach(build -> shown.add(build.id()));
      List<JobSummary> ended = new ArrayList<>(engine.endedJobs());
      Collections.reverse(ended);
      ended.stream()
          .filter(job -> !shown.contains(job.build()))
          .forEach(job -> list.add(ended(job)));
    }
    return json(StatusCodes.OK, json);
  }

  /** An ended build of the job history, as {@code GET /v1/builds} lists it. */
  private static ObjectNode ended(JobSummary job) {
    ObjectNode json = JSON.createObjectNode();
    json.put("id", job.build().value());
    json.put(
        "state",
        job.status() == JobState.Status.FINISHED
            ? "succeeded"
            : job.status().name().toLowerCase(Locale.ROOT));
    json.put("created", job.accepted().toString());
    job.ended().ifPresent(at -> json.put("finished", at.toString()));
    json.put("description", job.description());
    return json;
  }

  /** {@code answer} for the build {@code id} names: 400 if it is no id, 404 if no such build. */
  private HttpResponse withBuild(String id, Function<DaemonBuild, HttpResponse> answer) {
    return withId(
        id,
        buildId ->
            table
                .get(buildId)
                .map(answer)
                .orElseGet(
                    () -> json(StatusCodes.NOT_FOUND, error("no build with id " + buildId))));
  }

  /** {@code answer} for the build id {@code id}: 400 if it is no id. */
  private static HttpResponse withId(String id, Function<BuildId, HttpResponse> answer) {
    BuildId buildId;
    try {
      buildId = BuildId.parse(id);
    } catch (IllegalArgumentException e) {
      return json(StatusCodes.BAD_REQUEST, error(e.getMessage()));
    }
    return answer.apply(buildId);
  }

  private HttpResponse cancel(DaemonBuild build) {
    if (!build.cancel("cancelled through the API")) {
      return json(
          StatusCodes.CONFLICT,
          error("build " + build.id() + " has already " + build.state().json()));
    }
    return json(StatusCodes.ACCEPTED, build.json());
  }

  private HttpResponse diskUsage() throws IOException {
    return json(StatusCodes.OK, CacheJson.usage(engine.diskUsage()));
  }

  /**
   * Reads a small JSON request body (at most {@code MAX_JSON_BYTES}, 413 beyond) and answers it off
   * the HTTP threads.
   */
  private CompletionStage<HttpResponse> jsonBody(
      HttpEntity entity, long limit, Function<String, Answer> answer) {
    return entity
        .withSizeLimit(limit)
        .toStrict(30_000, engine.actorSystem())
        .thenCompose(strict -> blocking(answer.apply(strict.getData().utf8String())))
        .exceptionally(
            e ->
                isTooLarge(e)
                    ? json(
                        StatusCodes.PAYLOAD_TOO_LARGE,
                        error("the request body is larger than " + limit + " bytes"))
                    : json(StatusCodes.BAD_REQUEST, error("cannot read the request body")));
  }

  private HttpResponse prune(String body) throws IOException {
    PrunePolicy policy;
    try {
      policy = CacheJson.policy(JSON.readTree(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return json(StatusCodes.BAD_REQUEST, error("the prune policy is not JSON"));
    } catch (IllegalArgumentException e) {
      return json(StatusCodes.BAD_REQUEST, error(e.getMessage()));
    }
    if (policy.all()) {
      contexts.pruneUnused(); // as the contexts' file indexes go: the next build sends them all
    }
    return json(StatusCodes.OK, CacheJson.pruned(engine.prune(policy)));
  }

  /** Work that blocks (disk walks, the cache's lock), run off the HTTP threads. */
  private CompletionStage<HttpResponse> blocking(Answer answer) {
    return offPool(
        () -> {
          try {
            return answer.get();
          } catch (IOException | RuntimeException e) {
            return json(StatusCodes.INTERNAL_SERVER_ERROR, error(String.valueOf(e.getMessage())));
          }
        });
  }

  /**
   * Answers on the daemon's own threads (never an HTTP thread); a daemon that is stopping answers
   * 503 instead.
   */
  private CompletionStage<HttpResponse> offPool(java.util.function.Supplier<HttpResponse> answer) {
    try {
      return CompletableFuture.supplyAsync(answer, pool);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return CompletableFuture.completedFuture(
          json(StatusCodes.SERVICE_UNAVAILABLE, error("the daemon is stopping")));
    }
  }

  /** An answer that may fail with an I/O error. */
  @FunctionalInterface
  private interface Answer {
    HttpResponse get() throws IOException;
  }

  private ObjectNode info() {
    ObjectNode info = JSON.createObjectNode();
    info.put("version", "0.1.0");
    info.put("api", "v1");
    info.put("engine", engine.describe());
    return info;
  }

  /**
   * {@code GET /v1/cluster}: the cluster as this node sees it, with the steps it placed on each
   * worker and the data it fetched from the others.
   */
  private CompletionStage<HttpResponse> cluster() {
    if (engine.cluster().isEmpty() || engine.clusterWork().isEmpty()) {
      return CompletableFuture.completedFuture(
          json(
              StatusCodes.NOT_FOUND,
              error(
                  "this daemon is a single node: start it with --cluster-bind to make a cluster")));
    }
    ClusterWork work = engine.clusterWork().get();
    return work.report()
        .thenApply(report -> cluster(engine.cluster().get().status(), report, work.moved()));
  }

  private static HttpResponse cluster(
      ClusterStatus status, Optional<PlacementReport> report, LayerStore.Moved moved) {
    Map<String, PlacementReport.Worker> workers = new HashMap<>();
    report.ifPresent(r -> r.workers().forEach(worker -> workers.put(worker.node(), worker)));
    ObjectNode body = JSON.createObjectNode();
    body.put("name", status.name());
    body.put("self", status.self());
    status
        .leader()
        .ifPresentOrElse(leader -> body.put("leader", leader), () -> body.putNull("leader"));
    ArrayNode members = body.putArray("members");
    for (ClusterMember member : status.members()) {
      ObjectNode node = members.addObject();
      node.put("address", member.address());
      node.put("status", member.status());
      node.put("reachable", member.reachable());
      member.roles().forEach(node.putArray("roles")::add);
      node.put("slots", member.slots());
      PlacementReport.Worker worker = workers.get(member.address());
      node.put("inFlight", worker == null ? 0 : worker.inFlight());
      node.put("placed", worker == null ? 0 : worker.placed());
      node.put("version", member.version());
    }
    body.put("waiting", report.map(PlacementReport::waiting).orElse(0));
    ObjectNode fetched = body.putObject("fetched");
    fetched.put("layers", moved.layers());
    fetched.put("bytes", moved.bytes());
    return json(StatusCodes.OK, body);
  }

  private static ObjectNode error(String message) {
    ObjectNode json = JSON.createObjectNode();
    json.put("error", message);
    return json;
  }

  private static HttpResponse json(StatusCode status, JsonNode body) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body.toString() + "\n"));
  }

  /**
   * The copies a build wants brought up to date: its context's (when it sent a key) and those of
   * its other directories, each listed by a manifest in the upload; nothing else may be in it.
   */
  private static List<ContextSync.Wanted> wanted(
      RemoteBuild.Request request, ContextUpload.Upload upload, Path session) throws IOException {
    List<ContextSync.Wanted> wanted = new ArrayList<>();
    if (request.contextKey().isPresent()) {
      ContextManifest manifest =
          upload
              .manifest()
              .orElseThrow(
                  () ->
                      new ContextUpload.BadUpload(
                          "a build with a contextKey needs " + ContextManifest.ENTRY));
      wanted.add(
          new ContextSync.Wanted(
              ContextSync.checkKey(request.contextKey().get()),
              manifest,
              session.resolve("context")));
    }
    Set<String> keys = new TreeSet<>();
    Set<String> layouts = new TreeSet<>();
    for (SyncedDir dir : request.dirs()) {
      keys.add(dir.key());
      if (dir.use() instanceof SyncedDir.NamedLayout
          || dir.use() instanceof SyncedDir.CacheSource) {
        layouts.add(dir.key());
      }
    }
    Path received = session.resolve(SyncedDir.UPLOAD);
    for (String key : keys) {
      ContextManifest manifest = upload.dirs().get(key);
      if (manifest == null) {
        throw new ContextUpload.BadUpload("the upload has no dirs/" + key + ".manifest");
      }
      if (layouts.contains(key)
          && manifest.entries().values().stream()
              .anyMatch(e -> e.kind() == ContextManifest.Kind.SYMLINK)) {
        // The engine reads a layout's files, and would follow a symlink to the daemon's.
        throw new ContextUpload.BadUpload(
            "directory " + key + " is an OCI layout, which holds no symlinks");
      }
      wanted.add(new ContextSync.Wanted(key, manifest, received.resolve(key)));
    }
    if (!keys.containsAll(upload.dirs().keySet())) {
      throw new ContextUpload.BadUpload("the upload lists a directory the request does not use");
    }
    if (Files.isDirectory(received)) {
      try (var sent = Files.list(received)) {
        for (Path dir : sent.toList()) {
          if (!keys.contains(dir.getFileName().toString())) {
            throw new ContextUpload.BadUpload(
                "the upload has files under dirs/ for no directory of the request");
          }
        }
      }
    }
    return wanted;
  }

  /**
   * Receives and unpacks the upload, checks the options, then starts the build and answers with its
   * lines; a bad upload or bad options get a 400 and leave nothing behind. With {@code takeover} (a
   * build id), the build is that one, sent again by its client because its coordinator went away:
   * its job is taken over from the shared journal ({@link #takeOver}).
   */
  private CompletionStage<HttpResponse> build(
      Optional<String> header, Optional<String> takeover, Source<ByteString, Object> body) {
    InputStream in =
        body.runWith(StreamConverters.asInputStream(Duration.ofMinutes(5)), engine.actorSystem());
    return offPool(
        () -> {
          Optional<BuildId> taken = takeover.flatMap(DaemonServer::idOf);
          if (takeover.isPresent() && taken.isEmpty()) {
            drain(in);
            return json(
                StatusCodes.BAD_REQUEST,
                error("the " + TAKEOVER_HEADER + " header is not a build id: " + takeover.get()));
          }
          Optional<DaemonBuild> here = taken.flatMap(table::get);
          if (here.isPresent()) { // taken over already: its client lost the stream again
            drain(in);
            try {
              return respond(here.get().log().follow(0));
            } catch (IOException e) {
              return json(StatusCodes.INTERNAL_SERVER_ERROR, error(String.valueOf(e.getMessage())));
            }
          }
          if (taken.isPresent() && !takingOver.add(taken.get())) {
            drain(in);
            return json(
                StatusCodes.SERVICE_UNAVAILABLE,
                error("build " + taken.get() + " is being taken over already: ask again"));
          }
          BuildId id = taken.orElseGet(BuildId::next);
          Path session = sessions.resolve(id.value());
          try {
            if (header.isEmpty()) {
              return json(
                  StatusCodes.BAD_REQUEST, error("the " + BUILD_HEADER + " header is missing"));
            }
            RemoteBuild.Request request = RemoteBuild.Request.decode(header.get());
            Files.createDirectories(session);
            ContextUpload.Upload upload;
            try (in) {
              upload = ContextUpload.unpack(in, session, maxUploadBytes, MAX_ENTRIES);
            }
            SavedRequest.of(request, upload).write(session);
            dev.kiln.engine.fault.CrashPoint.reach(dev.kiln.engine.fault.CrashPoint.BUILD_UPLOADED);
            if (taken.isPresent()) {
              return respond(takeOver(id, request, upload, session).log().follow(0));
            }
            return respond(
                launch(id, request, upload, session, Optional.empty(), Optional.empty())
                    .log()
                    .follow(0));
          } catch (dev.kiln.engine.job.TakeoverRefused e) {
            delete(session);
            return refused(e);
          } catch (ContextSync.Stale e) {
            delete(session);
            return json(StatusCodes.CONFLICT, error(e.getMessage()));
          } catch (RemoteBuild.BadRequest | SafeTar.Refused e) {
            drain(in);
            delete(session);
            return json(
                e instanceof SafeTar.TooLarge
                    ? StatusCodes.PAYLOAD_TOO_LARGE
                    : StatusCodes.BAD_REQUEST,
                error(e.getMessage()));
          } catch (IOException | RuntimeException e) {
            drain(in);
            delete(session);
            if (isTooLarge(e)) {
              return json(
                  StatusCodes.PAYLOAD_TOO_LARGE,
                  error("the upload is larger than " + maxUploadBytes + " bytes"));
            }
            return json(StatusCodes.INTERNAL_SERVER_ERROR, error(String.valueOf(e.getMessage())));
          } finally {
            taken.ifPresent(takingOver::remove);
          }
        });
  }

  /**
   * {@code GET /v1/builds/ID/takeover}: whether this coordinator takes build ID over if its client
   * sends it again with {@code Kiln-Resume} now (200; also once it has), asked first so that the
   * upload travels once: 503 while the build's coordinator is still a member of the cluster, 409
   * when this one never will, 400 for what is not a build id. Changes nothing.
   */
  private HttpResponse takeoverReady(String id) throws IOException {
    Optional<BuildId> parsed = idOf(id);
    if (parsed.isEmpty()) {
      return json(StatusCodes.BAD_REQUEST, error("not a build id: " + id));
    }
    ObjectNode ready = JSON.createObjectNode();
    ready.put("build", parsed.get().value());
    if (table.get(parsed.get()).isEmpty()) {
      try {
        engine.mayTakeOver(parsed.get());
      } catch (dev.kiln.engine.job.TakeoverRefused e) {
        return refused(e);
      }
    }
    return json(StatusCodes.OK, ready);
  }

  /** A takeover refused: 503 when asking again may succeed (ask later), 409 when it never will. */
  private static HttpResponse refused(dev.kiln.engine.job.TakeoverRefused refusal) {
    return json(
        refusal.later() ? StatusCodes.SERVICE_UNAVAILABLE : StatusCodes.CONFLICT,
        error(refusal.getMessage()));
  }

  /**
   * Goes on here with build {@code id}, whose client sent it again ({@code request}, {@code
   * upload}, unpacked in {@code session}) because its coordinator went away: its job is taken over
   * from the shared journal ({@link Engine#takeOver}), and it resumes as after a restart, its
   * finished steps from the cluster's caches.
   */
  private DaemonBuild takeOver(
      BuildId id, RemoteBuild.Request request, ContextUpload.Upload upload, Path session)
      throws IOException, RemoteBuild.BadRequest, dev.kiln.engine.job.TakeoverRefused {
    Optional<String> from = engine.takeOver(id);
    DaemonBuild build = add(id, request);
    ObjectNode first = JSON.createObjectNode();
    first.put("type", "build");
    first.put("id", id.value());
    build.log().line(first.toString());
    String self = engine.cluster().map(node -> node.status().self()).orElse("this node");
    return launch(
        id,
        request,
        upload,
        session,
        Optional.of(
            from.map(node -> "coordinator " + node + " left the cluster: ").orElse("")
                + "build "
                + id
                + " is taken over by coordinator "
                + self
                + " and goes on where it stood"),
        Optional.of(build));
  }

  /**
   * Takes the copies the build reads, checks its options and runs it on the pool as build {@code
   * id}, its lines going to its log; with {@code resumed} (what its log says of it), its
   * interrupted job goes on ({@code waiting}: the build as it waited for its secrets, or as taken
   * over). Its session goes when it ends.
   */
  private DaemonBuild launch(
      BuildId id,
      RemoteBuild.Request request,
      ContextUpload.Upload upload,
      Path session,
      Optional<String> resumed,
      Optional<DaemonBuild> waiting)
      throws IOException, RemoteBuild.BadRequest {
    return launch(
        contexts.applyAll(wanted(request, upload, session)),
        id,
        request,
        upload,
        session,
        resumed,
        waiting);
  }

  /** {@link #launch}, the copies taken already ({@code leases}, given back if it fails). */
  private DaemonBuild launch(
      ContextSync.Leases leases,
      BuildId id,
      RemoteBuild.Request request,
      ContextUpload.Upload upload,
      Path session,
      Optional<String> resumed,
      Optional<DaemonBuild> waiting)
      throws IOException, RemoteBuild.BadRequest {
    try {
      Path context =
          request.contextKey().isPresent()
              ? leases.dir(request.contextKey().get())
              : session.resolve("context");
      Map<String, Path> dirs = new HashMap<>();
      request.dirs().forEach(dir -> dirs.put(dir.key(), leases.dir(dir.key())));
      RemoteBuild.Prepared prepared =
          RemoteBuild.prepare(request, session, context, dirs, upload.secrets(), entitlements);
      if (resumed.isPresent()) {
        prepared.resuming();
      }
      DaemonBuild build = waiting.isPresent() ? waiting.get() : add(id, request);
      BuildLog log = build.log();
      if (resumed.isPresent()) {
        log.line(message(resumed.get()));
      } else if (!log.isEmpty()) {
        log.line(message("the daemon restarted before build " + id + " began: it begins now"));
      } else {
        ObjectNode first = JSON.createObjectNode();
        first.put("type", "build");
        first.put("id", id.value());
        log.line(first.toString());
      }
      run(
          prepared,
          build,
          () -> {
            leases.close();
            delete(session);
          });
      return build;
    } catch (IOException | RemoteBuild.BadRequest | RuntimeException e) {
      leases.close();
      throw e;
    }
  }

  /** Adds build {@code id} to the table, with its log. */
  private DaemonBuild add(BuildId id, RemoteBuild.Request request) throws IOException {
    return table.add(
        id,
        request.dockerfile(),
        request.args(),
        request.submission(),
        BuildLog.open(logOf(id), EVENT_BUFFER, engine.actorSystem()));
  }

  private Path logOf(BuildId id) {
    return logs.resolve(id.value() + ".ndjson");
  }

  /** A {@code message} line saying {@code text}. */
  private static String message(String text) {
    ObjectNode line = JSON.createObjectNode();
    line.put("type", "message");
    line.put("text", text);
    return line.toString();
  }

  /**
   * Goes on with the daemon's builds that a crash interrupted (docs/jobs.md), and clears what else
   * it left: the sessions of builds that never started or have ended, outputs and logs past their
   * time, half-sent outputs.
   */
  private void recover() throws IOException {
    // The journal is not read before the daemon listens, so that its start does not grow with
    // the journal: the sessions tell which builds to resume, and each resumed build's job is read
    // as it launches. Meanwhile the index of unfinished jobs is read, for those with no session.
    java.util.concurrent.Future<List<BuildId>> named = resuming.submit(engine::unfinishedJobIds);
    Set<BuildId> restarted = new TreeSet<>();
    try (var left = Files.list(sessions)) {
      for (Path session : left.toList()) {
        Optional<BuildId> id = idOf(session.getFileName().toString());
        if (id.isPresent() && Files.isRegularFile(session.resolve(SavedRequest.FILE))) {
          restarted.add(id.get()); // interrupted, or accepted but killed before its job began
          continue;
        }
        delete(session);
      }
    }
    sweep(outputs, Set.of());
    List<BuildId> unended = sweep(logs, restarted);
    for (BuildId id : restarted) {
      resume(id);
    }
    toResume.add(() -> afterRestart(named, restarted, unended));
  }

  /**
   * Once the daemon listens: ends, failed, the unfinished daemon builds whose session is gone (an
   * embedded build's unfinished job is kiln resume's), then gives the logs of builds that ended
   * without their exit line (the crash came between the two) that line.
   */
  private void afterRestart(
      java.util.concurrent.Future<List<BuildId>> named,
      Set<BuildId> restarted,
      List<BuildId> unended) {
    try {
      Set<BuildId> sessionless = new TreeSet<>(named.get());
      sessionless.removeAll(restarted);
      for (var job : engine.unfinishedJobs(sessionless)) {
        if (job.accepted().orElseThrow().workdir().isEmpty()) {
          resume(job.accepted().orElseThrow().build());
        }
      }
      for (BuildId id : unended) {
        endLog(id);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | java.util.concurrent.ExecutionException e) {
      // Left as they are: the next start tries again.
    }
  }

  private static Optional<BuildId> idOf(String name) {
    try {
      return Optional.of(BuildId.parse(name));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * Removes from {@code dir} what a crash left half-sent and what is past {@code OUTPUT_KEPT};
   * schedules the removal of the rest, except the logs of {@code resuming} builds. Answers the
   * builds whose logs lack their exit line (which {@link #endLog} gives them).
   */
  private List<BuildId> sweep(Path dir, Set<BuildId> resuming) throws IOException {
    java.time.Instant now = java.time.Instant.now();
    List<BuildId> unended = new ArrayList<>();
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        String name = file.getFileName().toString();
        Optional<BuildId> id = idOf(name.substring(0, Math.min(name.length(), 26)));
        if (id.isPresent() && resuming.contains(id.get())) {
          continue;
        }
        Duration age = Duration.between(Files.getLastModifiedTime(file).toInstant(), now).abs();
        if (name.contains(".sending-")
            || name.endsWith(".tar")
            || age.compareTo(OUTPUT_KEPT) >= 0) {
          delete(file);
          continue;
        }
        if (dir.equals(logs) && id.isPresent() && !ended(id.get())) {
          unended.add(id.get());
        }
        removeLater(file, OUTPUT_KEPT.minus(age));
      }
    }
    return unended;
  }

  /** Whether build {@code id}'s log has its exit line. */
  private boolean ended(BuildId id) throws IOException {
    Optional<String> last = BuildLog.lastLine(logOf(id));
    return last.isPresent() && BuildLog.isExit(last.get());
  }

  /** Gives the log of ended build {@code id} its exit line if the crash left it without. */
  private void endLog(BuildId id) throws IOException {
    if (ended(id)) {
      return;
    }
    var status = engine.job(id).status();
    BuildLog log = BuildLog.open(logOf(id), EVENT_BUFFER, engine.actorSystem());
    log.line(RemoteBuild.exitLine(status == dev.kiln.engine.job.JobState.Status.FINISHED ? 0 : 1));
  }

  private void removeLater(Path file, Duration after) {
    engine
        .actorSystem()
        .scheduler()
        .scheduleOnce(after, () -> delete(file), engine.actorSystem().executionContext());
  }

  /**
   * Runs interrupted build {@code id} again from its session: its finished steps come from the
   * cache. One that was given secrets or ssh agents waits for its client to give them again
   * (secrets are never written anywhere); one whose session is gone or damaged ends failed, saying
   * why.
   */
  private void resume(BuildId id) {
    Path session = sessions.resolve(id.value());
    String why;
    try {
      Optional<SavedRequest> saved = SavedRequest.read(session);
      if (saved.isPresent() && saved.get().needsClient()) {
        waitForSecrets(id, saved.get());
        return;
      }
      if (saved.isPresent()) {
        // Its copies are taken and its clients can find it before the daemon listens; checking
        // its options and starting it come after, a few at a time, so that start-up stays fast.
        RemoteBuild.Request request = saved.get().request();
        ContextUpload.Upload upload = saved.get().upload(Map.of());
        ContextSync.Leases leases = contexts.applyAll(wanted(request, upload, session));
        DaemonBuild build;
        try {
          build = add(id, request);
        } catch (IOException | RuntimeException e) {
          leases.close();
          throw e;
        }
        toResume.add(
            () -> {
              try {
                var status = engine.job(id).status();
                if (status.ended()) { // a crash came between its end and its session's removal
                  leases.close();
                  endedBefore(id, build, status);
                  return;
                }
                if (status == dev.kiln.engine.job.JobState.Status.RUNNING && !engine.holdsJob(id)) {
                  leases.close();
                  takenOverMeanwhile(id, build);
                  return;
                }
                launch(
                    leases,
                    id,
                    request,
                    upload,
                    session,
                    status == dev.kiln.engine.job.JobState.Status.RUNNING
                        ? Optional.of(restarted(id))
                        : Optional.empty(),
                    Optional.of(build));
                awaitUnderway(build);
              } catch (IOException | RemoteBuild.BadRequest | RuntimeException e) {
                end(
                    id,
                    Optional.of(build),
                    new dev.kiln.engine.job.JobEvent.BuildFailed(
                        "cannot resume: " + e.getMessage(),
                        Optional.empty(),
                        java.time.Instant.now()),
                    "error: build " + id + " cannot resume: " + e.getMessage());
              }
            });
        return;
      }
      why = "its upload did not outlive the daemon";
    } catch (IOException | RuntimeException e) {
      why = String.valueOf(e.getMessage());
    }
    end(
        id,
        Optional.empty(),
        new dev.kiln.engine.job.JobEvent.BuildFailed(
            "cannot resume: " + why, Optional.empty(), java.time.Instant.now()),
        "error: build " + id + " cannot resume: " + why);
  }

  /**
   * Waits until resumed build {@code build}'s first step has started (or it ended), at most {@code
   * RESUME_STAGGER}, before the next resumed build starts: fifty builds starting at once on two
   * cores would each reach their steps late, the first ones included.
   */
  private static void awaitUnderway(DaemonBuild build) {
    try {
      build.underway().get(RESUME_STAGGER.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // It is slow to begin; the next one starts all the same.
    }
  }

  /** What the log of build {@code id} says when it goes on after the daemon's restart. */
  private static String restarted(BuildId id) {
    return "the daemon restarted: build " + id + " goes on where it stood";
  }

  /**
   * Build {@code id}, taken to resume, was taken over by another coordinator while this daemon was
   * away (its index of unfinished jobs no longer names it): it does not run here. Its session goes,
   * its log tells a client already following it here where it went, and the daemon forgets it, so
   * that a client reattaching here is told it has no such build and turns to the coordinators it
   * knows of.
   */
  private void takenOverMeanwhile(BuildId id, DaemonBuild build) throws IOException {
    delete(sessions.resolve(id.value()));
    table.remove(id);
    build
        .log()
        .line(
            message(
                "build "
                    + id
                    + " was taken over by another coordinator of the cluster while this daemon"
                    + " was away: it goes on there"));
    build.log().line(RemoteBuild.exitLine(1));
    table.finished(build, 1);
    removeLater(logOf(id), OUTPUT_KEPT);
  }

  /**
   * Build {@code id}, taken to resume, had ended before the crash: its session goes, its log gets
   * its exit line if it lacks one, and the index of unfinished jobs lets it go.
   */
  private void endedBefore(
      BuildId id, DaemonBuild build, dev.kiln.engine.job.JobState.Status status)
      throws IOException {
    delete(sessions.resolve(id.value()));
    int code = status == dev.kiln.engine.job.JobState.Status.FINISHED ? 0 : 1;
    if (!ended(id)) {
      build.log().line(RemoteBuild.exitLine(code));
    }
    table.finished(build, code);
    removeLater(logOf(id), OUTPUT_KEPT);
    engine.unfinishedJobs(Set.of(id));
  }

  /**
   * Ends build {@code id}'s job with {@code event} without running it, telling its clients {@code
   * text}; its session goes.
   */
  private void end(
      BuildId id, Optional<DaemonBuild> waiting, dev.kiln.engine.job.JobEvent event, String text) {
    delete(sessions.resolve(id.value()));
    try {
      engine.endJob(id, event);
    } catch (IOException e) {
      // The job stays unfinished; the next start tries again.
    }
    try {
      BuildLog log =
          waiting.isPresent()
              ? waiting.get().log()
              : BuildLog.open(logOf(id), EVENT_BUFFER, engine.actorSystem());
      waiting.ifPresent(build -> table.finished(build, 1));
      log.line(message(text));
      log.line(RemoteBuild.exitLine(1));
      removeLater(logOf(id), OUTPUT_KEPT);
    } catch (IOException e) {
      // No log: a client that comes back finds no build.
    }
  }

  /**
   * Build {@code id} resumed without the secrets (or ssh agents) it was given: it waits, saying so
   * on its log in a {@code needs-secrets} line, until its client sends them ({@code POST
   * /v1/builds/ID/secrets}) or it is cancelled.
   */
  private void waitForSecrets(BuildId id, SavedRequest saved) throws IOException {
    DaemonBuild build = add(id, saved.request());
    build.needsSecrets(
        () ->
            pool.execute(
                () ->
                    end(
                        id,
                        Optional.of(build),
                        new dev.kiln.engine.job.JobEvent.BuildCancelled(
                            "cancelled through the API", java.time.Instant.now()),
                        "build " + id + " was cancelled while it waited for its secrets")));
    build
        .log()
        .line(
            message(
                "the daemon restarted: build "
                    + id
                    + " waits for its client to send its secrets again (never kept): "
                    + String.join(", ", saved.secrets())
                    + (saved.request().ssh().isEmpty()
                        ? ""
                        : "; ssh agents " + String.join(", ", saved.request().ssh()))));
    ObjectNode line = JSON.createObjectNode();
    line.put("type", "needs-secrets");
    saved.secrets().forEach(line.putArray("secrets")::add);
    if (!saved.request().ssh().isEmpty()) {
      saved.request().ssh().forEach(line.putArray("ssh")::add);
    }
    build.log().line(line.toString());
  }

  /** {@code POST /v1/builds/ID/secrets}: a tar of {@code secret/ID} entries. */
  private Route secrets(String id) {
    return post(
        () ->
            withSizeLimit(
                MAX_SECRETS_BYTES,
                () ->
                    extractRequestEntity(
                        entity -> completeWithFuture(secrets(id, entity.getDataBytes())))));
  }

  /**
   * Resumes a build that waits for its secrets with those sent: {@code 202}; {@code 409} if it does
   * not wait for any, {@code 400} if some are missing or the body is malformed.
   */
  private CompletionStage<HttpResponse> secrets(String id, Source<ByteString, Object> body) {
    return streamed(
        body,
        Duration.ofMinutes(1),
        "the secrets are larger than " + MAX_SECRETS_BYTES + " bytes",
        in -> {
          Optional<BuildId> parsed = idOf(id);
          Optional<DaemonBuild> build = parsed.flatMap(table::get);
          if (build.isEmpty()) {
            drain(in);
            return json(StatusCodes.NOT_FOUND, error("no build with id " + BuildId.parse(id)));
          }
          Map<String, byte[]> secrets = ContextUpload.secrets(in);
          Path session = sessions.resolve(parsed.get().value());
          if (build.get().state() != DaemonBuild.State.NEEDS_SECRETS) {
            return json(
                StatusCodes.CONFLICT,
                error(
                    "build "
                        + id
                        + " does not wait for secrets: it is "
                        + build.get().state().json()));
          }
          SavedRequest saved =
              SavedRequest.read(session)
                  .orElseThrow(() -> new IOException("build " + id + " has no saved request"));
          List<String> missing =
              saved.secrets().stream().filter(s -> !secrets.containsKey(s)).toList();
          if (!missing.isEmpty()) {
            return json(
                StatusCodes.BAD_REQUEST,
                error("build " + id + " needs the secrets " + String.join(", ", missing)));
          }
          if (!build.get().running()) {
            return json(
                StatusCodes.CONFLICT, error("build " + id + " does not wait for secrets any more"));
          }
          try {
            boolean journaled =
                engine.job(parsed.get()).status() != dev.kiln.engine.job.JobState.Status.NEW;
            launch(
                parsed.get(),
                saved.request(),
                saved.upload(secrets),
                session,
                journaled ? Optional.of(restarted(parsed.get())) : Optional.empty(),
                build);
          } catch (IOException | RemoteBuild.BadRequest | RuntimeException e) {
            end(
                parsed.get(),
                build,
                new dev.kiln.engine.job.JobEvent.BuildFailed(
                    "cannot resume: " + e.getMessage(), Optional.empty(), java.time.Instant.now()),
                "error: build " + id + " cannot resume: " + e.getMessage());
          }
          return json(StatusCodes.ACCEPTED, build.get().json());
        });
  }

  private static boolean isTooLarge(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.apache.pekko.http.scaladsl.model.EntityStreamSizeException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Keeps what a successful build wrote for its client: the archive of a file output ({@code
   * ROOT/outputs/ID}) and a cache layout ({@code ROOT/outputs/ID.cache}), each until the client has
   * it or {@code OUTPUT_KEPT} passes; the lines that tell the client.
   */
  private List<String> keepForClient(DaemonBuild build, RemoteBuild.Prepared prepared) {
    List<String> lines = new ArrayList<>();
    prepared
        .output()
        .filter(Files::isRegularFile)
        .ifPresent(file -> lines.add(keep(file, outputs.resolve(build.id().value()), "output")));
    prepared
        .cacheLayout()
        .filter(Files::isDirectory)
        .ifPresent(dir -> lines.add(keep(dir, cacheOf(build.id()), "cache")));
    return lines;
  }

  private Path cacheOf(BuildId build) {
    return outputs.resolve(build.value() + ".cache");
  }

  /** Moves {@code from} to {@code kept} for a while; the line of {@code type} that says so. */
  private String keep(Path from, Path kept, String type) {
    ObjectNode line = JSON.createObjectNode();
    try {
      delete(kept); // a resumed build's, kept before the crash
      Files.move(from, kept, StandardCopyOption.ATOMIC_MOVE);
      removeLater(kept, OUTPUT_KEPT);
      line.put("type", type);
      if (Files.isRegularFile(kept)) {
        line.put("size", Files.size(kept));
      }
    } catch (IOException e) {
      line.put("type", "message");
      line.put("text", "error: cannot keep the " + type + " for the client: " + e.getMessage());
    }
    return line.toString();
  }

  /**
   * {@code POST /v1/builds/ID/cache} with {@code {"have":["sha256:…"]}}: the cache layout as a tar
   * archive without the blobs the client has. The layout stays, as an output does.
   */
  private HttpResponse cache(BuildId build, String body) {
    Set<String> have = new java.util.HashSet<>();
    try {
      JsonNode json = JSON.readTree(body);
      JsonNode list = json == null ? null : json.get("have");
      if (list == null || !list.isArray()) {
        return json(StatusCodes.BAD_REQUEST, error("the body is {\"have\":[\"sha256:…\",…]}"));
      }
      for (JsonNode digest : list) {
        if (!BLOB.matcher(digest.asText("")).matches()) {
          return json(StatusCodes.BAD_REQUEST, error("not a sha256 digest: " + digest));
        }
        have.add(digest.asText().substring("sha256:".length()));
      }
    } catch (IOException e) {
      return json(StatusCodes.BAD_REQUEST, error("the body is not JSON"));
    }
    if (!Files.isDirectory(cacheOf(build))) {
      return json(
          StatusCodes.NOT_FOUND,
          error("build " + build + " has no cache to fetch (none, or its client has it)"));
    }
    Path archive = outputs.resolve(build.value() + ".cache.sending-" + UUID.randomUUID() + ".tar");
    try {
      CacheArchive.write(cacheOf(build), have, archive);
    } catch (IOException e) {
      delete(archive);
      return json(StatusCodes.INTERNAL_SERVER_ERROR, error(String.valueOf(e.getMessage())));
    }
    return sendOnce(archive);
  }

  /**
   * {@code GET /v1/builds/ID/output}: the archive. It stays until its client says it has it ({@code
   * DELETE}) or 30 minutes pass, so a client whose daemon restarted mid-way asks again.
   */
  private HttpResponse output(BuildId build) {
    Path kept = outputs.resolve(build.value());
    // Sent through a link of its own: a DELETE or the expiry meanwhile does not cut it short.
    Path serving = outputs.resolve(build.value() + ".sending-" + UUID.randomUUID());
    try {
      Files.createLink(serving, kept);
    } catch (IOException e) {
      return json(
          StatusCodes.NOT_FOUND,
          error("build " + build + " has no output to fetch (none, or its client has it)"));
    }
    return sendOnce(serving);
  }

  /** {@code DELETE /v1/builds/ID/output|cache}: the client has it; {@code 204}, or 404. */
  private HttpResponse forget(Path kept) {
    if (!Files.exists(kept)) {
      return json(StatusCodes.NOT_FOUND, error("nothing kept there"));
    }
    delete(kept);
    return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
  }

  /** Sends {@code file}, then deletes it. */
  private static HttpResponse sendOnce(Path file) {
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      delete(file);
      return json(StatusCodes.INTERNAL_SERVER_ERROR, error(String.valueOf(e.getMessage())));
    }
    Source<ByteString, ?> bytes = whenDone(FileIO.fromPath(file), () -> delete(file));
    return HttpResponse.create()
        .withStatus(StatusCodes.OK)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_OCTET_STREAM, size, bytes));
  }

  /**
   * Runs {@code prepared} as {@code build} on the pool, with the ssh agents' sockets it needs, and
   * writes its lines to its log, the exit code last; {@code release} gives back its copies and
   * session once its outputs are kept for the client.
   */
  private void run(RemoteBuild.Prepared prepared, DaemonBuild build, Runnable release) {
    BuildLog lines = build.log();
    List<AgentRelay> relays = new ArrayList<>();
    try {
      for (var agent : prepared.agentSockets().entrySet()) {
        relays.add(
            AgentRelay.start(
                agent.getValue(),
                build.id().value(),
                agent.getKey(),
                agents,
                pool,
                conn -> {
                  ObjectNode line = JSON.createObjectNode();
                  line.put("type", "ssh");
                  line.put("agent", agent.getKey());
                  line.put("conn", conn);
                  lines.line(line.toString());
                }));
      }
    } catch (IOException e) {
      relays.forEach(AgentRelay::close);
      // The build then fails: its agent's socket is missing.
      lines.line(message("error: cannot listen for the build's ssh agents: " + e.getMessage()));
    }
    pool.execute(
        () -> {
          int code = 1;
          try {
            code =
                prepared.run(
                    engine,
                    lines,
                    build,
                    // Kept, and the client told, before the job ends (see BuildOutput.written).
                    () -> keepForClient(build, prepared).forEach(lines::line));
          } finally {
            relays.forEach(AgentRelay::close);
            release.run();
            table.finished(build, code);
            lines.line(RemoteBuild.exitLine(code));
            removeLater(logOf(build.id()), OUTPUT_KEPT);
          }
        });
  }

  /**
   * Answers with a build's {@code lines} as they come. A client that goes away leaves the build
   * running: it may come back for the rest ({@code GET /v1/builds/ID/events}), and {@code kiln
   * cancel} or the client's interrupt stops it.
   */
  private HttpResponse respond(Source<ByteString, NotUsed> lines) {
    // A quiet step sends nothing for minutes; a tick every two seconds finds a client that is gone
    // (the write fails), which a quiet connection would not.
    Source<ByteString, ?> ticks =
        Source.tick(TICK, TICK, ByteString.fromString("{\"type\":\"tick\"}\n"));
    HttpEntity.Chunked entity =
        HttpEntities.createChunked(
            ContentTypes.create(
                org.apache.pekko.http.javadsl.model.MediaTypes.applicationWithFixedCharset(
                    "x-ndjson", org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8)),
            lines.merge(ticks, true));
    return HttpResponse.create().withStatus(StatusCodes.OK).withEntity(entity);
  }

  /**
   * {@code GET /v1/builds/ID/events?after=N}: the build's lines after the first {@code N} (those a
   * client has seen), then the live ones until it ends; from the log of a build that ended before
   * the daemon restarted too.
   */
  private Route events(String id) {
    return get(
        () ->
            parameterOptional(
                "after", after -> completeWithFuture(blocking(() -> events(id, after)))));
  }

  private HttpResponse events(String id, Optional<String> after) throws IOException {
    Optional<BuildId> build;
    try {
      build = Optional.of(BuildId.parse(id));
    } catch (IllegalArgumentException e) {
      return json(StatusCodes.BAD_REQUEST, error(e.getMessage()));
    }
    long skip;
    try {
      skip = Long.parseLong(after.orElse("0"));
    } catch (NumberFormatException e) {
      skip = -1;
    }
    if (skip < 0) {
      return json(StatusCodes.BAD_REQUEST, error("after is a count of lines (0 or more)"));
    }
    Optional<DaemonBuild> running = table.get(build.get());
    if (running.isPresent()) {
      return respond(running.get().log().follow(skip));
    }
    if (Files.isRegularFile(logOf(build.get()))) {
      return respond(BuildLog.replay(logOf(build.get()), skip));
    }
    return json(StatusCodes.NOT_FOUND, error("no build with id " + build.get()));
  }

  private static void drain(InputStream in) {
    try (in) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (IOException e) {
      // The client may be gone; nothing to answer then.
    }
  }

  private static void delete(Path session) {
    try {
      if (Files.exists(session)) {
        FileTrees.deleteRecursively(session);
      }
    } catch (IOException e) {
      // Removed at the next start.
    }
  }

  /** Stops listening, then lets running builds end (at most a minute). */
  @Override
  public void close() throws InterruptedException, IOException {
    binding.ifPresent(b -> b.unbind().toCompletableFuture().join());
    if (socket.isPresent()) {
      socket.get().stopAccepting();
    }
    resuming.shutdown();
    resuming.awaitTermination(1, TimeUnit.MINUTES);
    pool.shutdown();
    pool.awaitTermination(1, TimeUnit.MINUTES);
    timer.shutdownNow();
    if (socket.isPresent()) {
      socket.get().close();
    }
  }
}
