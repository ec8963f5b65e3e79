package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.job.BuildId;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln builds}: a daemon's running and recent builds, or one of them. */
@Command(
    name = "builds",
    description = "List a daemon's running and recent builds, or show one (by its id).")
final class BuildsCommand implements Callable<Integer> {
  @Mixin DaemonOption daemon = new DaemonOption();

  @Option(
      names = "--format",
      paramLabel = "table|json",
      description = "table (the default) or json (the API's form).")
  String format = "table";

  @Parameters(arity = "0..1", paramLabel = "ID", description = "Show this build in full (JSON).")
  Optional<String> id = Optional.empty();

  @Override
  public Integer call() {
    PrintStream out = System.out;
    try {
      if (!format.equals("table") && !format.equals("json")) {
        throw new IllegalArgumentException("--format " + format + ": use table or json");
      }
      DaemonAddress address = daemon.required("kiln builds");
      if (id.isPresent()) {
        out.println(
            DaemonHttp.get(address, "/v1/builds/" + BuildId.parse(id.get()).value())
                .toPrettyString());
        return 0;
      }
      JsonNode builds = DaemonHttp.get(address, "/v1/builds");
      if (format.equals("json")) {
        out.println(builds.toPrettyString());
        return 0;
      }
      out.printf(
          Locale.ROOT,
          "%-26s  %-9s  %-20s  %8s  %-14s  %s%n",
          "ID",
          "STATE",
          "CREATED",
          "DURATION",
          "STEPS",
          "TAGS");
      Instant now = Instant.now();
      for (JsonNode build : builds.path("builds")) {
        Instant created = Instant.parse(build.path("created").asText());
        Instant end = build.has("finished") ? Instant.parse(build.path("finished").asText()) : now;
        JsonNode steps = build.path("steps");
        out.printf(
            Locale.ROOT,
            "%-26s  %-9s  %-20s  %7.1fs  %-14s  %s%n",
            build.path("id").asText(),
            build.path("state").asText(),
            created.truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
            Duration.between(created, end).toMillis() / 1000.0,
            steps.path("completed").asInt() + " ran, " + steps.path("cached").asInt() + " cached",
            tags(build.path("args")));
      }
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }

  private static String tags(JsonNode args) {
    StringBuilder tags = new StringBuilder();
    for (int i = 0; i + 1 < args.size(); i++) {
      if (args.get(i).asText().equals("--tag")) {
        tags.append(tags.length() == 0 ? "" : ",").append(args.get(i + 1).asText());
      }
    }
    return tags.toString();
  }
}
