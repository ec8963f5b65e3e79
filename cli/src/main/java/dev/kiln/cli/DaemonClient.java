package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cli.daemon.DaemonServer;
import dev.kiln.engine.fileop.FileInfo;
import dev.kiln.engine.progress.ProgressJson;
import dev.kiln.frontend.dockerfile.DockerIgnore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * {@code kiln build --addr}: sends the build to a daemon and shows what it streams back, as an
 * embedded build would show it. The context goes as a tar stream, {@code .dockerignore} applied
 * before any file is read, written while it is sent. No actor system starts on this path.
 */
public final class DaemonClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DaemonClient() {}

  /** A directory of this host besides the context that the build reads, and how. */
  public record LocalDir(Path path, SyncedDir.Use use) {}

  /** A directory the daemon keeps a copy of: where it is here, its key and what it holds. */
  private record Copy(Path dir, String key, ContextManifest manifest, byte[] listing) {
    static Copy of(Path dir, String key, ContextManifest manifest) {
      return new Copy(dir, key, manifest, manifest.write().getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * A build for a daemon: {@code file}, the Dockerfile of {@code context} or, without a context, a
   * build graph ({@code --definition}), with {@code args}; {@code secrets}; {@code dirs}, the
   * build's other directories ({@code --build-context}, {@code --cache-from}, {@code --local}),
   * sent as its context is; {@code output}, a file output ({@code --output
   * type=local|tar|oci|docker,dest=…}), written here from the archive the daemon keeps for this
   * client; {@code cacheTo}, a cache layout ({@code --cache-to type=local,dest=DIR}) brought here
   * likewise; {@code metadataFile}, written with what the build produced; {@code sshAgents}, the
   * sockets of the ssh agents here that the build's steps reach through the daemon, by id; {@code
   * reconnect}, how long to keep trying to reattach to the build when its stream breaks (zero: fail
   * at once).
   */
  public record Job(
      Optional<Path> context,
      Path file,
      List<String> args,
      Map<String, byte[]> secrets,
      List<LocalDir> dirs,
      Optional<String> output,
      Optional<String> cacheTo,
      Optional<Path> metadataFile,
      Map<String, Path> sshAgents,
      java.time.Duration reconnect) {
    /** How long a client keeps trying to reattach by default, as {@code --reconnect-timeout}. */
    public static final java.time.Duration RECONNECT = java.time.Duration.ofSeconds(60);

    /** {@code context}'s Dockerfile with {@code args}, and nothing else. */
    public static Job of(Path context, List<String> args) {
      return new Job(
          Optional.of(context),
          context.resolve("Dockerfile"),
          args,
          Map.of(),
          List.of(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Map.of(),
          RECONNECT);
    }

    public Job withSecrets(Map<String, byte[]> secrets) {
      return new Job(
          context, file, args, secrets, dirs, output, cacheTo, metadataFile, sshAgents, reconnect);
    }

    public Job withOutput(Optional<String> output) {
      return new Job(
          context, file, args, secrets, dirs, output, cacheTo, metadataFile, sshAgents, reconnect);
    }

    public Job withSshAgents(Map<String, Path> sshAgents) {
      return new Job(
          context, file, args, secrets, dirs, output, cacheTo, metadataFile, sshAgents, reconnect);
    }

    public Job withReconnect(java.time.Duration reconnect) {
      return new Job(
          context, file, args, secrets, dirs, output, cacheTo, metadataFile, sshAgents, reconnect);
    }

    public Job withMetadataFile(Optional<Path> metadataFile) {
      return new Job(
          context, file, args, secrets, dirs, output, cacheTo, metadataFile, sshAgents, reconnect);
    }
  }

  /**
   * Runs {@code job} on the daemon at {@code address}, showing it on {@code err}; the exit code.
   */
  public static int build(DaemonAddress address, Job job, String progress, PrintStream err)
      throws IOException, InterruptedException {
    return build(address, List.of(), job, progress, err);
  }

  /**
   * Runs {@code job} on the daemon at {@code address}, showing it on {@code err}; the exit code.
   * When that daemon goes away for good mid-build, the build is sent again to the first of {@code
   * coordinators} (others of the same cluster) that takes its job over from the shared journal.
   */
  public static int build(
      DaemonAddress address,
      List<DaemonAddress> coordinators,
      Job job,
      String progress,
      PrintStream err)
      throws IOException, InterruptedException {
    Path dockerfile = job.file();
    Optional<String> output = job.output();
    Optional<Path> cacheDest = job.cacheTo().map(to -> CacheSpec.to(to).dir().orElseThrow());
    Optional<OutputSpec> spec = output.map(OutputSpec::parse);
    String name = dockerfile.getFileName().toString();
    Optional<Copy> main =
        job.context().isEmpty() ? Optional.empty() : Optional.of(contextCopy(job));
    Map<String, Copy> others = new java.util.TreeMap<>();
    List<SyncedDir> synced = new java.util.ArrayList<>();
    for (LocalDir dir : job.dirs()) {
      if (!Files.isDirectory(dir.path())) {
        err.println("error: " + dir.path() + " is not a directory");
        return 1;
      }
      String key = key("kiln-dir-v1", dir.path());
      synced.add(new SyncedDir(key, dir.use()));
      if (!others.containsKey(key)) {
        others.put(key, Copy.of(dir.path(), key, ContextManifest.of(dir.path(), List.of())));
      }
    }
    // A random id of this submission: if the daemon goes away before it has told the build's id,
    // the client asks it for the build of this submission when it is back.
    String submission = java.util.UUID.randomUUID().toString();
    RemoteBuild.Request request =
        new RemoteBuild.Request(
            name,
            job.args(),
            main.map(Copy::key),
            output.map(DaemonClient::remoteOutput),
            synced,
            job.cacheTo().map(DaemonClient::remoteCache),
            job.context().isEmpty(),
            List.copyOf(job.sshAgents().keySet()),
            submission);
    Shown shown;
    DaemonAddress at;
    try (Following following = new Following(address, job.reconnect(), true, job.secrets(), err)) {
      following.takeoverBy(
          coordinators,
          (to, id) -> submit(to, request, main, others, dockerfile, job, Optional.of(id)));
      AgentCalls calls = (id, ssh) -> tunnel(following.address(), id, ssh, job.sshAgents(), err);
      boolean reached = false;
      while (true) {
        Optional<Iterator<String>> lines = Optional.empty();
        try {
          DaemonHttp.Answer answer =
              submit(following.address(), request, main, others, dockerfile, job, Optional.empty());
          reached = true;
          if (!answer.ok()) {
            try (answer) {
              err.println(
                  "error: the daemon refused the build ("
                      + answer.status()
                      + "): "
                      + answer.error());
            }
            return 1;
          }
          following.adopt(answer);
          lines = Optional.of(lines(answer));
        } catch (DaemonHttp.Unreachable e) {
          if (!reached) {
            Optional<DaemonAddress> next = following.next();
            if (next.isEmpty()) {
              err.println("error: " + e.getMessage());
              return 1;
            }
            err.println(e.getMessage() + "; sending the build to " + next.get());
            continue;
          }
        } catch (IOException e) {
          reached = true; // it went away while it took the build
        }
        if (lines.isPresent()) {
          shown = show(lines.get(), progress, err, calls, following);
          if (!shown.id().isEmpty()) {
            break;
          }
        }
        // The daemon went away before it told the build's id: did it keep the build?
        Optional<Optional<String>> kept = following.find(submission);
        if (kept.isEmpty()) {
          return 1;
        }
        if (kept.get().isPresent()) {
          Optional<Iterator<String>> again = following.connect(kept.get().get(), 0);
          if (again.isEmpty()) {
            return 1;
          }
          shown = show(again.get(), progress, err, calls, following);
          break;
        }
      }
      at = following.address();
    }
    if (shown.code() == 0 && spec.isPresent() && shown.output()) {
      OutputReceiver.receive(at, shown.id(), spec.get(), job.reconnect(), err);
    }
    if (shown.code() == 0 && cacheDest.isPresent() && shown.cache()) {
      OutputReceiver.receiveCache(at, shown.id(), cacheDest.get(), job.reconnect(), err);
    }
    if (shown.code() == 0 && job.metadataFile().isPresent() && shown.metadata().isPresent()) {
      BuildMetadata.write(job.metadataFile().get(), shown.metadata().get());
    }
    return shown.code();
  }

  /**
   * Follows build {@code id} on the daemon at {@code address} from its first line, as its own
   * client shows it ({@code kiln attach}); its exit code. An interrupt stops following and leaves
   * the build running.
   */
  public static int attach(DaemonAddress address, String id, String progress, PrintStream err)
      throws IOException, InterruptedException {
    try (Following following = new Following(address, Job.RECONNECT, false, Map.of(), err)) {
      Optional<Iterator<String>> lines = following.connect(id, 0);
      if (lines.isEmpty()) {
        return 1;
      }
      Shown shown =
          show(
              lines.get(),
              progress,
              err,
              (build, ssh) -> err.println("warning: a step asks for its client's ssh agent"),
              following);
      if (shown.output() || shown.cache()) {
        err.println(
            "note: the build's output is kept for the client that started it, which fetches it");
      }
      return shown.code();
    }
  }

  /**
   * Sends the build: its request, and an upload of what the daemon's copies lack; with {@code
   * takeover}, as that build, whose coordinator went away. Another client may change a copy between
   * the question and the upload: the daemon then answers 409, and the question is asked again
   * (three times at most).
   */
  private static DaemonHttp.Answer submit(
      DaemonAddress address,
      RemoteBuild.Request request,
      Optional<Copy> main,
      Map<String, Copy> others,
      Path dockerfile,
      Job job,
      Optional<String> takeover)
      throws IOException {
    Map<String, String> headers = new java.util.HashMap<>();
    headers.put(DaemonServer.BUILD_HEADER, request.encode());
    headers.put("Content-Type", "application/x-tar");
    takeover.ifPresent(id -> headers.put(DaemonServer.TAKEOVER_HEADER, id));
    for (int attempt = 1; ; attempt++) {
      List<String> missing = main.isPresent() ? missing(address, main.get()) : List.of();
      Map<String, List<String>> missingOthers = new java.util.TreeMap<>();
      for (Copy copy : others.values()) {
        missingOthers.put(copy.key(), missing(address, copy));
      }
      DaemonHttp.Answer sent =
          DaemonHttp.exchange(
              address,
              "POST",
              "/v1/builds",
              headers,
              Optional.of(
                  out -> {
                    TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
                    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                    if (main.isPresent()) {
                      writeCopy(tar, ContextManifest.ENTRY, "context/", main.get(), missing);
                    }
                    for (Copy copy : others.values()) {
                      String at = SyncedDir.UPLOAD + "/" + copy.key();
                      writeCopy(
                          tar, at + ".manifest", at + "/", copy, missingOthers.get(copy.key()));
                    }
                    writeRest(tar, dockerfile, job.secrets());
                    tar.finish();
                  }));
      if (sent.status() != 409 || attempt == 3) {
        return sent;
      }
      sent.close();
    }
  }

  /** The copy of the job's context: what its {@code .dockerignore} leaves. */
  private static Copy contextCopy(Job job) throws IOException {
    Path context = job.context().orElseThrow();
    List<String> ignore = DockerIgnore.patterns(context, job.file());
    return Copy.of(context, key("kiln-context-v1", context), ContextManifest.of(context, ignore));
  }

  /** What the daemon is asked to write for {@code --cache-to type=local}: without {@code dest}. */
  static String remoteCache(String text) {
    return String.join(
        ",", java.util.Arrays.stream(text.split(",")).filter(f -> !f.startsWith("dest=")).toList());
  }

  /**
   * What the daemon is asked to write for a file output: its type and attributes, without {@code
   * dest} (the client writes) and {@code tar} (it always sends an archive); a directory comes as a
   * tar archive the client unpacks.
   */
  static String remoteOutput(String text) {
    List<String> fields = new java.util.ArrayList<>();
    boolean typed = false;
    for (String field : text.split(",")) {
      if (field.startsWith("dest=") || field.startsWith("tar=")) {
        continue;
      }
      if (field.startsWith("type=")) {
        typed = true;
        fields.add(field.equals("type=local") ? "type=tar" : field);
      } else if (field.contains("=")) {
        fields.add(field);
      }
    }
    if (!typed) {
      fields.add(0, "type=tar"); // a bare path: a local directory
    }
    return String.join(",", fields);
  }

  /** The end of a build's stream: its exit code, its id, and whether it has an output to fetch. */
  private record Shown(
      int code, String id, boolean output, boolean cache, Optional<JsonNode> metadata) {}

  /** What a client does when a step of build {@code id} connects to one of its agents. */
  @FunctionalInterface
  private interface AgentCalls {
    void connected(String id, JsonNode line);
  }

  /**
   * Joins the step's connection the {@code ssh} line names to its agent, on a thread of its own.
   */
  private static void tunnel(
      DaemonAddress address, String id, JsonNode ssh, Map<String, Path> agents, PrintStream err) {
    Path agent = agents.get(ssh.path("agent").asText());
    if (agent == null) {
      err.println("warning: the daemon asked for an ssh agent not given: " + ssh.path("agent"));
      return;
    }
    Thread thread =
        new Thread(
            () -> {
              try {
                AgentTunnel.join(address, id, ssh.path("conn").asText(), agent);
              } catch (IOException e) {
                err.println("warning: ssh agent " + ssh.path("agent") + ": " + e.getMessage());
              }
            },
            "kiln-ssh-agent");
    thread.setDaemon(true);
    thread.start();
  }

  private static Iterator<String> lines(DaemonHttp.Answer answer) {
    return new BufferedReader(new InputStreamReader(answer.body(), StandardCharsets.UTF_8))
        .lines()
        .iterator();
  }

  /**
   * A client following its build: it reattaches when the stream breaks (the daemon restarted, the
   * connection dropped), and cancels the build if this process is interrupted first, as BuildKit's
   * client does; a client killed outright leaves the build running ({@code kiln attach}).
   */
  static final class Following implements AutoCloseable {
    /** Sends the build again to another coordinator, as build {@code id}, to take it over. */
    @FunctionalInterface
    interface Resubmit {
      DaemonHttp.Answer send(DaemonAddress to, String id) throws IOException;
    }

    private volatile DaemonAddress address;
    private final DaemonAddress first;
    private List<DaemonAddress> others = List.of();
    private Optional<Resubmit> resubmit = Optional.empty();

    /** The lines of the logs followed before the current one (a coordinator that went away). */
    private long base;

    /** The daemons found not there before one took the build. */
    private final java.util.Set<DaemonAddress> tried = new java.util.HashSet<>();

    /** Refusals of a takeover already shown (each once). */
    private final java.util.Set<String> told = new java.util.HashSet<>();

    private final java.time.Duration reconnect;
    private final boolean cancelOnInterrupt;
    private final Map<String, byte[]> secrets;
    private final PrintStream err;
    private Optional<DaemonHttp.Answer> current = Optional.empty();
    private Optional<Thread> canceller = Optional.empty();

    /**
     * Follows on {@code address}, reattaching for up to {@code reconnect}; with {@code
     * cancelOnInterrupt}, as the build's own client, which holds its {@code secrets}.
     */
    Following(
        DaemonAddress address,
        java.time.Duration reconnect,
        boolean cancelOnInterrupt,
        Map<String, byte[]> secrets,
        PrintStream err) {
      this.address = address;
      this.first = address;
      this.reconnect = reconnect;
      this.cancelOnInterrupt = cancelOnInterrupt;
      this.secrets = Map.copyOf(secrets);
      this.err = err;
    }

    /**
     * When the daemon is gone, or no longer knows the build, the build is sent again through {@code
     * resubmit} to the first of {@code others} that takes it over.
     */
    void takeoverBy(List<DaemonAddress> others, Resubmit resubmit) {
      this.others = List.copyOf(others);
      this.resubmit = Optional.of(resubmit);
    }

    /**
     * The daemon followed now is not there before it took the build: the next of the others not
     * tried yet, followed from now on; none when all were.
     */
    Optional<DaemonAddress> next() {
      tried.add(address);
      Optional<DaemonAddress> next =
          coordinators().stream().filter(other -> !tried.contains(other)).findFirst();
      next.ifPresent(other -> address = other);
      return next;
    }

    /** The daemons this build may go to: the first one given, then the others. */
    private List<DaemonAddress> coordinators() {
      List<DaemonAddress> all = new java.util.ArrayList<>(List.of(first));
      all.addAll(others);
      return all;
    }

    /** The daemon followed now: the first one, or the coordinator that took the build over. */
    DaemonAddress address() {
      return address;
    }

    /** The build is {@code id}: an interrupt of this process from now on cancels it. */
    synchronized void building(String id) {
      if (!cancelOnInterrupt || canceller.isPresent() || id.isEmpty()) {
        return;
      }
      Thread hook =
          new Thread(
              () -> {
                try {
                  DaemonHttp.post(
                      address(),
                      "/v1/builds/" + id + "/cancel",
                      com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode());
                  err.println("cancelled build " + id);
                } catch (IOException e) {
                  // The daemon is gone: nothing runs the build to cancel.
                }
              },
              "kiln-cancel-on-interrupt");
      Runtime.getRuntime().addShutdownHook(hook);
      canceller = Optional.of(hook);
    }

    /**
     * The lines of build {@code id} after the first {@code seen}, from a new request; retried with
     * a backoff while the daemon is away, for up to the reconnect timeout. Empty when it gave up.
     */
    Optional<Iterator<String>> reattach(String id, long seen) throws InterruptedException {
      if (reconnect.isZero() || id.isEmpty()) {
        return Optional.empty();
      }
      err.println("lost the daemon's stream; reattaching to build " + id);
      return connect(id, seen);
    }

    /** {@link #reattach}, said nothing about. */
    Optional<Iterator<String>> connect(String id, long seen) throws InterruptedException {
      Backoff backoff = new Backoff(reconnect);
      String last = "";
      while (true) {
        try {
          DaemonHttp.Answer answer =
              DaemonHttp.exchange(
                  address,
                  "GET",
                  "/v1/builds/" + id + "/events?after=" + (seen - base),
                  Map.of(),
                  Optional.empty());
          if (answer.ok()) {
            replace(answer);
            return Optional.of(lines(answer));
          }
          last = answer.status() + ": " + answer.error();
          answer.close();
          if ((answer.status() == 404 || answer.status() == 400) && others.isEmpty()) {
            err.println("error: cannot reattach to build " + id + " (" + last + ")");
            return Optional.empty();
          }
        } catch (IOException e) {
          last = e.getMessage(); // the daemon is not back yet
        }
        Optional<Iterator<String>> elsewhere = takenOver(id, seen);
        if (elsewhere.isPresent()) {
          return elsewhere;
        }
        if (!backoff.next()) {
          err.println(
              "error: the daemon did not come back within --reconnect-timeout "
                  + reconnect.toSeconds()
                  + "s ("
                  + last
                  + "); build "
                  + id
                  + " may still finish: kiln attach "
                  + id);
          return Optional.empty();
        }
      }
    }

    /**
     * The lines of build {@code id} from the first of the other coordinators (the first address
     * included, once the build has moved) that takes it over, or has, for a client that lost its
     * stream again; it is followed there from now on. Each is asked first whether it would ({@code
     * GET /v1/builds/ID/takeover}), so that the build is sent once: it answers 503 while the
     * coordinator that ran the build is still a member of the cluster. Empty when none takes it
     * now; a refusal for good is shown once.
     */
    private Optional<Iterator<String>> takenOver(String id, long seen) {
      if (resubmit.isEmpty() || id.isEmpty()) {
        return Optional.empty();
      }
      for (DaemonAddress other : coordinators()) {
        if (other.equals(address)) {
          continue;
        }
        try {
          try (DaemonHttp.Answer ready =
              DaemonHttp.exchange(
                  other, "GET", "/v1/builds/" + id + "/takeover", Map.of(), Optional.empty())) {
            if (!ready.ok()) {
              refused(other, id, ready);
              continue;
            }
          }
          DaemonHttp.Answer answer = resubmit.get().send(other, id);
          if (answer.ok()) {
            err.println("build " + id + " goes on at " + other + ", which takes it over");
            address = other;
            base = seen;
            replace(answer);
            return Optional.of(lines(answer));
          }
          try (answer) {
            refused(other, id, answer);
          }
        } catch (IOException e) {
          // that one is away too
        }
      }
      return Optional.empty();
    }

    /** Shows, once, why {@code other} does not take build {@code id} over, unless it is not yet. */
    private void refused(DaemonAddress other, String id, DaemonHttp.Answer answer)
        throws IOException {
      String why = other + " cannot take build " + id + " over: " + answer.error();
      if (answer.status() != 503 && told.add(why)) {
        err.println("warning: " + why);
      }
    }

    /**
     * The daemon restarted and build {@code id} waits for what {@code line} names: the build's own
     * client sends its secrets again (its ssh agents are still here); another one cannot.
     */
    void needsSecrets(String id, JsonNode line) throws IOException {
      if (!cancelOnInterrupt) {
        err.println("build " + id + " waits for the client that started it to send its secrets");
        return;
      }
      java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(body)) {
        writeSecrets(tar, secrets);
      }
      try (DaemonHttp.Answer answer =
          DaemonHttp.exchange(
              address,
              "POST",
              "/v1/builds/" + id + "/secrets",
              Map.of("Content-Type", "application/x-tar"),
              Optional.of(new DaemonHttp.Sized(body.toByteArray())))) {
        if (answer.ok()) {
          err.println("sent build " + id + " its secrets again");
        } else if (answer.status() != 409) { // 409: sent already, before a reattach
          err.println("warning: the daemon refused build " + id + "'s secrets: " + answer.error());
        }
      }
    }

    /** The stream of the build's own request, closed with this. */
    void adopt(DaemonHttp.Answer answer) {
      replace(answer);
    }

    /**
     * Waits for the daemon to come back, for up to the reconnect timeout, and asks whether it kept
     * the build of {@code submission}: its id, or none (it never kept it: the build is to be sent
     * again, to {@link #address()}). Empty when it did not come back. While it does not answer,
     * after a first try, the other coordinators are asked too, and the first that answers is
     * followed from then on: a coordinator that died before it told the build's id, or while it
     * took the upload, never started the build's job (or, rarely, did an instant before it died:
     * that job then runs on without a client, and its steps are shared with the build sent again).
     */
    Optional<Optional<String>> find(String submission) throws InterruptedException {
      err.println("lost the daemon before it told the build's id; asking it again");
      Backoff backoff = new Backoff(reconnect);
      String last = "";
      boolean once = false;
      while (backoff.next()) {
        List<DaemonAddress> asked = new java.util.ArrayList<>(List.of(address));
        if (once) {
          asked.addAll(coordinators());
        }
        once = true;
        for (DaemonAddress at : asked.stream().distinct().toList()) {
          try (DaemonHttp.Answer answer =
              DaemonHttp.exchange(
                  at, "GET", "/v1/builds?submission=" + submission, Map.of(), Optional.empty())) {
            JsonNode builds = answer.accepted().json().path("builds");
            if (!at.equals(address)) {
              err.println(
                  address + " did not come back before it told the build's id: on to " + at);
              address = at;
            }
            if (builds.isEmpty()) {
              err.println("the daemon went away before it kept the build; sending it again");
              return Optional.of(Optional.empty());
            }
            return Optional.of(Optional.of(builds.get(0).path("id").asText()));
          } catch (IOException e) {
            last = e.getMessage(); // not back yet
          }
        }
      }
      err.println(
          "error: the daemon did not come back within --reconnect-timeout "
              + reconnect.toSeconds()
              + "s ("
              + last
              + ")");
      return Optional.empty();
    }

    private synchronized void replace(DaemonHttp.Answer answer) {
      current.ifPresent(Following::closeQuietly);
      current = Optional.of(answer);
    }

    private static void closeQuietly(DaemonHttp.Answer answer) {
      try {
        answer.close();
      } catch (IOException e) {
        // a stream already broken
      }
    }

    /** The build has ended, or this client gives up on it: an interrupt no longer cancels. */
    @Override
    public synchronized void close() {
      current.ifPresent(Following::closeQuietly);
      if (canceller.isPresent()) {
        try {
          Runtime.getRuntime().removeShutdownHook(canceller.get());
        } catch (IllegalStateException e) {
          // the JVM is stopping: the hook runs
        }
      }
    }
  }

  /**
   * Shows the daemon's lines; when the stream breaks before the exit line, goes on with what {@code
   * following} reattaches to.
   */
  private static Shown show(
      Iterator<String> stream,
      String progress,
      PrintStream err,
      AgentCalls agents,
      Following following)
      throws IOException, InterruptedException {
    String id = "";
    boolean output = false;
    boolean cache = false;
    Optional<JsonNode> metadata = Optional.empty();
    boolean plain = ProgressDisplay.resolve(progress).equals("plain");
    ProgressDisplay display = ProgressDisplay.of(progress, err);
    boolean displaying = true;
    long seen = 0;
    Optional<Iterator<String>> more = Optional.of(stream);
    try {
      while (more.isPresent()) {
        Iterator<String> lines = more.get();
        try {
          while (lines.hasNext()) {
            String line = lines.next();
            JsonNode json = JSON.readTree(line);
            String type = json.path("type").asText();
            if (!type.equals("tick")) {
              seen++;
            }
            if (!displaying && json.has("vertex")) {
              display = ProgressDisplay.of(progress, err); // a resumed build shows its steps again
              displaying = true;
            }
            switch (type) {
              case "message" -> err.println(json.path("text").asText());
              case "build" -> {
                id = json.path("id").asText();
                following.building(id);
                if (plain) {
                  err.println("#0 build " + id);
                }
              }
              case "output" -> output = true;
              case "cache" -> cache = true;
              case "ssh" -> agents.connected(id, json);
              case "needs-secrets" -> following.needsSecrets(id, json);
              case "metadata" -> metadata = Optional.of(json.path("metadata"));
              case "tick" -> {
                // the daemon checking that this client is still there
              }
              case "progress-done" -> {
                display.close();
                displaying = false;
              }
              case "exit" -> {
                return new Shown(json.path("code").asInt(1), id, output, cache, metadata);
              }
              default -> display.accept(ProgressJson.read(line));
            }
          }
        } catch (java.io.UncheckedIOException e) {
          // the stream broke: reattach below
        }
        more = following.reattach(id, seen);
      }
    } finally {
      if (displaying) {
        display.close();
      }
    }
    if (!id.isEmpty()) {
      err.println("error: the daemon ended the build's stream without its result");
    }
    return new Shown(1, id, false, false, Optional.empty());
  }

  /** The files of {@code copy} the daemon's copy of it lacks. */
  private static List<String> missing(DaemonAddress address, Copy copy) throws IOException {
    JsonNode answer =
        DaemonHttp.exchange(
                address,
                "POST",
                "/v1/contexts/" + copy.key(),
                Map.of("Content-Type", "application/x-ndjson"),
                Optional.of(new DaemonHttp.Sized(copy.listing())))
            .accepted()
            .json();
    List<String> missing = new java.util.ArrayList<>();
    answer.path("missing").forEach(path -> missing.add(path.asText()));
    return missing;
  }

  /** Which of the daemon's copies of build contexts stands for {@code context}. */
  static String contextKey(Path context) throws IOException {
    return key("kiln-context-v1", context);
  }

  /**
   * Which of the daemon's copies stands for {@code dir}: one per host, user, directory and {@code
   * kind} (a context, listed after its {@code .dockerignore}, or another directory, listed whole).
   */
  private static String key(String kind, Path dir) throws IOException {
    String host;
    try {
      host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    } catch (IOException e) {
      host = "";
    }
    return dev.kiln.engine.graph.Digest.sha256(
            kind + "\0" + host + "\0" + System.getProperty("user.name") + "\0" + dir.toRealPath())
        .hex();
  }

  /**
   * A copy in the upload: its manifest (as {@code listing}, the name {@code manifestEntry}) and the
   * files of it the daemon lacks below {@code prefix}, each with its sha256, which the daemon
   * checks.
   */
  private static void writeCopy(
      TarArchiveOutputStream tar,
      String manifestEntry,
      String prefix,
      Copy copy,
      List<String> missing)
      throws IOException {
    TarArchiveEntry list = new TarArchiveEntry(manifestEntry);
    list.setSize(copy.listing().length);
    tar.putArchiveEntry(list);
    tar.write(copy.listing());
    tar.closeArchiveEntry();
    directory(tar, prefix);
    for (String path : missing) {
      ContextManifest.Entry entry = copy.manifest().entries().get(path);
      if (entry == null || entry.kind() != ContextManifest.Kind.FILE) {
        throw new IOException("the daemon asked for \"" + path + "\", which is no file listed");
      }
      Path file = copy.dir().resolve(path);
      TarArchiveEntry sent = new TarArchiveEntry(prefix + path);
      sent.setMode(entry.mode());
      sent.setSize(entry.size());
      sent.addPaxHeader(
          ContextManifest.DIGEST_HEADER, dev.kiln.engine.graph.Digest.ofFile(file).hex());
      tar.putArchiveEntry(sent);
      try (InputStream in = Files.newInputStream(file)) {
        long copied = in.transferTo(tar);
        if (copied != entry.size()) {
          throw new IOException(file + " changed while it was being sent");
        }
      }
      tar.closeArchiveEntry();
    }
  }

  /**
   * The rest of the upload: {@code dockerfile/NAME} (and its own ignore file), and the build's
   * secrets as {@code secret/ID} (which the daemon keeps in memory only).
   */
  private static void writeRest(
      TarArchiveOutputStream tar, Path dockerfile, Map<String, byte[]> secrets) throws IOException {
    directory(tar, "dockerfile/");
    String name = dockerfile.getFileName().toString();
    add(tar, "dockerfile/" + name, dockerfile, FileInfo.read(dockerfile).orElseThrow());
    Path ownIgnore = dockerfile.resolveSibling(name + ".dockerignore");
    if (Files.isRegularFile(ownIgnore)) {
      add(
          tar,
          "dockerfile/" + name + ".dockerignore",
          ownIgnore,
          FileInfo.read(ownIgnore).orElseThrow());
    }
    writeSecrets(tar, secrets);
  }

  /** {@code secrets} as {@code secret/ID} entries, which the daemon keeps in memory only. */
  private static void writeSecrets(TarArchiveOutputStream tar, Map<String, byte[]> secrets)
      throws IOException {
    for (Map.Entry<String, byte[]> secret : secrets.entrySet()) {
      TarArchiveEntry entry = new TarArchiveEntry("secret/" + secret.getKey());
      entry.setMode(0400);
      entry.setSize(secret.getValue().length);
      tar.putArchiveEntry(entry);
      tar.write(secret.getValue());
      tar.closeArchiveEntry();
    }
  }

  private static void directory(TarArchiveOutputStream tar, String name) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(040755);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  private static void add(TarArchiveOutputStream tar, String name, Path path, FileInfo info)
      throws IOException {
    TarArchiveEntry entry;
    if (info.kind() == FileInfo.Kind.SYMLINK) {
      entry = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
      entry.setLinkName(Files.readSymbolicLink(path).toString());
    } else if (info.kind() == FileInfo.Kind.DIRECTORY) {
      entry = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
    } else if (info.kind() == FileInfo.Kind.REGULAR) {
      entry = new TarArchiveEntry(name);
      entry.setSize(Files.size(path));
    } else {
      return; // sockets, fifos and devices are not build input
    }
    entry.setMode(info.mode());
    entry.setModTime(info.mtime());
    tar.putArchiveEntry(entry);
    if (info.kind() == FileInfo.Kind.REGULAR) {
      try (InputStream in = Files.newInputStream(path)) {
        in.transferTo(tar);
      }
    }
    tar.closeArchiveEntry();
  }
}
