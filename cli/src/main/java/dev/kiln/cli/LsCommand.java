package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.job.BuildId;
import dev.kiln.engine.job.JobState;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kiln ls}: the build jobs of a root, oldest first: id, state, when it was accepted, what it
 * was asked. A job that has not ended is {@code interrupted}: its process is gone, since this
 * command holds the root (see {@code kiln resume}).
 */
@Command(
    name = "ls",
    mixinStandardHelpOptions = true,
    description =
        "List the build jobs of this root (kiln resume ID goes on with an interrupted one), or"
            + " with --addr a daemon's builds.")
final class LsCommand implements Callable<Integer> {
  @Mixin RootOption root = new RootOption();

  @Mixin DaemonOption daemon = new DaemonOption();

  @Option(names = "--format", paramLabel = "table|json", defaultValue = "table")
  String format;

  @Override
  public Integer call() {
    if (!format.equals("table") && !format.equals("json")) {
      System.err.println("error: --format " + format + ": use table or json");
      return 1;
    }
    ArrayNode jobs = JsonNodeFactory.instance.arrayNode();
    Optional<DaemonAddress> address;
    try {
      address = daemon.address();
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    if (address.isPresent()) {
      try {
        daemonBuilds(address.get(), jobs);
      } catch (IOException e) {
        System.err.println("error: " + e.getMessage());
        return 1;
      }
      return print(jobs);
    }
    try (Engine engine = Engine.start(EngineConfig.at(root.path()))) {
      for (JobState job : engine.jobs()) {
        BuildId id = job.accepted().orElseThrow().build();
        ObjectNode row = jobs.addObject();
        row.put("id", id.value());
        row.put("state", state(job));
        row.put("accepted", Instant.ofEpochMilli(id.millis()).toString());
        job.accepted()
            .ifPresent(
                a -> row.put("description", a.frontend() + ": " + String.join(" ", a.options())));
      }
    } catch (IOException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    return print(jobs);
  }

  /**
   * A daemon's builds, oldest first, as jobs: running, needs-secrets (resumed, waiting for its
   * client's secrets), finished, failed, cancelled.
   */
  private static void daemonBuilds(DaemonAddress address, ArrayNode jobs) throws IOException {
    List<com.fasterxml.jackson.databind.JsonNode> builds = new java.util.ArrayList<>();
    DaemonHttp.get(address, "/v1/builds").path("builds").forEach(builds::add);
    java.util.Collections.reverse(builds); // the daemon lists the newest first
    for (var build : builds) {
      ObjectNode row = jobs.addObject();
      row.put("id", build.path("id").asText());
      String state = build.path("state").asText();
      row.put("state", state.equals("succeeded") ? "finished" : state);
      row.put("accepted", build.path("created").asText());
      List<String> args = new java.util.ArrayList<>();
      build.path("args").forEach(arg -> args.add(arg.asText()));
      row.put(
          "description",
          "dockerfile: " + build.path("dockerfile").asText() + " " + String.join(" ", args));
    }
  }

  private int print(ArrayNode jobs) {
    if (format.equals("json")) {
      System.out.println(jobs.toPrettyString());
      return 0;
    }
    System.out.printf(Locale.ROOT, "%-26s  %-11s  %-24s  %s%n", "ID", "STATE", "ACCEPTED", "BUILD");
    jobs.forEach(
        row ->
            System.out.printf(
                Locale.ROOT,
                "%-26s  %-11s  %-24s  %s%n",
                row.path("id").asText(),
                row.path("state").asText(),
                row.path("accepted").asText(),
                shorten(row.path("description").asText(""))));
    return 0;
  }

  /** The state users see: a job not ended while this command holds the root is interrupted. */
  static String state(JobState job) {
    return job.status() == JobState.Status.RUNNING
        ? "interrupted"
        : job.status().name().toLowerCase(Locale.ROOT);
  }

  private static String shorten(String text) {
    return text.length() > 80 ? text.substring(0, 79) + "…" : text;
  }
}
