package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.Engine;
import dev.kiln.engine.job.JobState;
import dev.kiln.engine.job.JobSummary;
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
    try (Engine engine = Engine.start(root.engineConfig())) {
      for (JobSummary job : engine.listJobs()) {
        ObjectNode row = jobs.addObject();
        row.put("id", job.build().value());
        row.put("state", state(job.status()));
        row.put("accepted", job.accepted().toString());
        job.ended().ifPresent(ended -> row.put("ended", ended.toString()));
        row.put("description", job.description());
      }
    } catch (IOException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    return print(jobs);
  }

  /**
   * A daemon's builds, oldest first, as jobs: running, needs-secrets (resumed, waiting for its
   * client's secrets), finished, failed, cancelled; the ended ones from its job history.
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
      if (build.hasNonNull("finished")) {
        row.put("ended", build.path("finished").asText());
      }
      row.put("description", build.path("description").asText());
    }
  }

  private int print(ArrayNode jobs) {
    if (format.equals("json")) {
      System.out.println(jobs.toPrettyString());
      return 0;
    }
    String line = "%-26s  %-13s  %-20s  %-8s  %s%n";
    System.out.printf(Locale.ROOT, line, "ID", "STATE", "STARTED", "DURATION", "BUILD");
    jobs.forEach(
        row ->
            System.out.printf(
                Locale.ROOT,
                line,
                row.path("id").asText(),
                row.path("state").asText(),
                started(row.path("accepted").asText()),
                duration(row),
                shorten(row.path("description").asText(""))));
    return 0;
  }

  /** When a job was accepted, to the second. */
  private static String started(String accepted) {
    try {
      return Instant.parse(accepted).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    } catch (java.time.format.DateTimeParseException e) {
      return accepted;
    }
  }

  /** How long a job ran, as {@code 12.3s} or {@code 4m05s}; {@code -} while it has not ended. */
  static String duration(com.fasterxml.jackson.databind.JsonNode row) {
    if (!row.hasNonNull("ended")) {
      return "-";
    }
    try {
      java.time.Duration took =
          java.time.Duration.between(
              Instant.parse(row.path("accepted").asText()),
              Instant.parse(row.path("ended").asText()));
      return took.toMinutes() == 0
          ? String.format(Locale.ROOT, "%.1fs", took.toMillis() / 1000.0)
          : String.format(Locale.ROOT, "%dm%02ds", took.toMinutes(), took.toSecondsPart());
    } catch (java.time.format.DateTimeParseException e) {
      return "?";
    }
  }

  /** The state users see: a job not ended while this command holds the root is interrupted. */
  static String state(JobState.Status status) {
    return status == JobState.Status.RUNNING
        ? "interrupted"
        : status.name().toLowerCase(Locale.ROOT);
  }

  private static String shorten(String text) {
    return text.length() > 80 ? text.substring(0, 79) + "…" : text;
  }
}
