package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kiln cluster}: the Kiln cluster a daemon is a node of. */
@Command(
    name = "cluster",
    description = "Show the Kiln cluster a daemon is a node of.",
    subcommands = {ClusterCommand.Status.class})
final class ClusterCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing command: try kiln cluster status");
  }

  /**
   * {@code kiln cluster status}: members, roles, state, slots and the steps this node placed on
   * them, as the daemon sees them.
   */
  @Command(
      name = "status",
      description = "List the cluster's members: address, roles, state and execution slots.")
  static final class Status implements Callable<Integer> {
    @Mixin DaemonOption daemon = new DaemonOption();

    @Option(
        names = "--format",
        paramLabel = "table|json",
        description = "table (the default) or json (the API's form).")
    String format = "table";

    @Override
    public Integer call() {
      try {
        if (!format.equals("table") && !format.equals("json")) {
          throw new IllegalArgumentException("--format " + format + ": use table or json");
        }
        JsonNode cluster = DaemonHttp.get(daemon.required("kiln cluster status"), "/v1/cluster");
        PrintStream out = System.out;
        if (format.equals("json")) {
          out.println(cluster.toPrettyString());
          return 0;
        }
        out.println(
            "Cluster "
                + cluster.path("name").asText()
                + ", seen from "
                + cluster.path("self").asText()
                + ", leader "
                + (cluster.path("leader").isNull() ? "none" : cluster.path("leader").asText()));
        String row = "%-22s  %-10s  %-11s  %-20s  %7s  %7s  %s%n";
        out.printf(
            Locale.ROOT, row, "NODE", "STATE", "REACHABLE", "ROLES", "IN USE", "PLACED", "VERSION");
        for (JsonNode member : cluster.path("members")) {
          List<String> roles = new ArrayList<>();
          member.path("roles").forEach(role -> roles.add(role.asText()));
          out.printf(
              Locale.ROOT,
              row,
              member.path("address").asText(),
              member.path("status").asText(),
              member.path("reachable").asBoolean() ? "yes" : "no",
              String.join(",", roles),
              member.path("inFlight").asInt() + "/" + member.path("slots").asInt(),
              member.path("placed").asLong(),
              member.path("version").asText());
        }
        out.printf(
            Locale.ROOT,
            "%d steps waiting for a worker; this node fetched %d layers (%d bytes) from others%n",
            cluster.path("waiting").asInt(),
            cluster.path("fetched").path("layers").asLong(),
            cluster.path("fetched").path("bytes").asLong());
        return 0;
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("error: " + e.getMessage());
        return 1;
      }
    }
  }
}
