package dev.kiln.cli.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cli.RemoteBuild;
import dev.kiln.engine.job.BuildId;
import dev.kiln.engine.progress.ProgressEvent;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One build the daemon runs: what was asked, where it stands, and how to cancel it, whether its
 * client goes away or someone asks ({@code kiln cancel}).
 */
final class DaemonBuild implements RemoteBuild.Watcher {
  /** Where a build stands; the last three are final. */
  enum State {
    RUNNING,
    /** Resumed after a restart, it waits for its client to send the secrets it was given. */
    NEEDS_SECRETS,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    String json() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    boolean ended() {
      return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final BuildId id;
  private final BuildLog log;
  private final String submission;
  private final String dockerfile;
  private final List<String> args;
  private State state = State.RUNNING;
  private Optional<Instant> finished = Optional.empty();
  private Optional<String> error = Optional.empty();
  private Optional<String> cancelledBecause = Optional.empty();
  private int exitCode;
  private int started;
  private int cached;
  private int completed;
  private int failed;
  private Runnable cancel = () -> {};
  private final java.util.concurrent.CompletableFuture<Void> underway =
      new java.util.concurrent.CompletableFuture<>();

  DaemonBuild(BuildId id, String dockerfile, List<String> args, String submission, BuildLog log) {
    this.id = id;
    this.log = log;
    this.submission = submission;
    this.dockerfile = dockerfile;
    this.args = List.copyOf(args);
  }

  @Override
  public BuildId id() {
    return id;
  }

  /** Its client's id of its submission ("" when none was given). */
  String submission() {
    return submission;
  }

  /** Its lines, for its clients. */
  BuildLog log() {
    return log;
  }

  synchronized State state() {
    return state;
  }

  /** {@code action} cancels the running build: run at once if a cancel came first. */
  @Override
  public synchronized void building(Runnable action) {
    cancel = action;
    if (cancelledBecause.isPresent() && !state.ended()) {
      action.run();
    }
  }

  /** Completed once its first step has started, or it has ended. */
  java.util.concurrent.CompletableFuture<Void> underway() {
    return underway;
  }

  @Override
  public synchronized void event(ProgressEvent event) {
    if (event instanceof ProgressEvent.VertexStarted) {
      started++;
      underway.complete(null);
    } else if (event instanceof ProgressEvent.VertexCached) {
      cached++;
    } else if (event instanceof ProgressEvent.VertexCompleted) {
      completed++;
    } else if (event instanceof ProgressEvent.VertexFailed failure) {
      failed++;
      if (error.isEmpty()) {
        error = Optional.of(failure.name() + ": " + failure.error());
      }
    }
  }

  /** It waits for its secrets (its cancel ends its job); {@link #running} when they came. */
  synchronized void needsSecrets(Runnable cancelWaiting) {
    state = State.NEEDS_SECRETS;
    cancel = cancelWaiting;
  }

  /** It runs (again): its secrets came. False if it was not waiting for them. */
  synchronized boolean running() {
    if (state != State.NEEDS_SECRETS) {
      return false;
    }
    state = State.RUNNING;
    cancel = () -> {};
    return true;
  }

  /**
   * Cancels the build ({@code why}: who asked); false when it had finished. Steps that no other
   * build needs stop, and the build ends as cancelled.
   */
  synchronized boolean cancel(String why) {
    if (state.ended()) {
      return false;
    }
    if (cancelledBecause.isEmpty()) {
      cancelledBecause = Optional.of(why);
      cancel.run();
    }
    return true;
  }

  /** The build is over with {@code code}, {@code kiln build}'s exit code. */
  synchronized void finished(int code) {
    underway.complete(null);
    exitCode = code;
    finished = Optional.of(Instant.now());
    state =
        code == 0 ? State.SUCCEEDED : cancelledBecause.isPresent() ? State.CANCELLED : State.FAILED;
  }

  /** The build as {@code GET /v1/builds/ID} shows it (docs/api.md). */
  synchronized ObjectNode json() {
    ObjectNode json = JSON.createObjectNode();
    json.put("id", id.value());
    json.put("state", state.json());
    json.put("created", Instant.ofEpochMilli(id.millis()).toString());
    finished.ifPresent(at -> json.put("finished", at.toString()));
    json.put("dockerfile", dockerfile);
    args.forEach(json.putArray("args")::add);
    json.put("description", "dockerfile: " + dockerfile + " " + String.join(" ", args));
    ObjectNode steps = json.putObject("steps");
    steps.put("started", started);
    steps.put("cached", cached);
    steps.put("completed", completed);
    steps.put("failed", failed);
    if (state.ended()) {
      json.put("exitCode", exitCode);
    }
    error.ifPresent(e -> json.put("error", e));
    cancelledBecause.ifPresent(why -> json.put("cancelled", why));
    return json;
  }
}
