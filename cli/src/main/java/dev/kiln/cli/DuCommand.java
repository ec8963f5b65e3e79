package dev.kiln.cli;

import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.cache.CacheUsage;
import dev.kiln.engine.cache.Quantities;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kiln du}: the build cache's disk usage, by record type or record by record. */
@Command(name = "du", description = "Show the disk usage of the build cache.")
final class DuCommand implements Callable<Integer> {
  @Mixin RootOption root = new RootOption();

  @Mixin DaemonOption daemon = new DaemonOption();

  @Option(names = "--verbose", description = "List every record.")
  boolean verbose;

  @Option(
      names = "--why",
      paramLabel = "ID",
      description = "Show what keeps a layer (its number) or a record (a digest prefix) alive.")
  Optional<String> why = Optional.empty();

  /** One record type's totals. */
  private static final class Kind {
    int records;
    long privateBytes;
    long sharedBytes;
    long lastUsed;
  }

  @Override
  public Integer call() {
    PrintStream out = System.out;
    try {
      CacheUsage.Report report = report();
      long now = System.currentTimeMillis();
      if (why.isPresent()) {
        return why(out, report, why.get(), now);
      }
      if (verbose) {
        for (CacheUsage.RecordUsage r : report.records()) {
          out.println("ID:\t\t" + r.key());
          out.println("Kind:\t\t" + r.record().kind());
          out.println("Description:\t" + r.record().description());
          out.println("Created at:\t" + Instant.ofEpochMilli(r.record().createdMillis()));
          out.println("Last used:\t" + Quantities.ago(r.record().lastUsedMillis(), now));
          out.println("Layers:\t\t" + String.join(", ", r.record().layers()));
          out.println("Private:\t" + Quantities.humanSize(r.privateBytes()));
          out.println("Shared:\t\t" + Quantities.humanSize(r.sharedBytes()));
          out.println();
        }
      } else {
        Map<String, Kind> kinds = new LinkedHashMap<>();
        for (CacheUsage.RecordUsage r : report.records()) {
          Kind kind = kinds.computeIfAbsent(r.record().kind(), k -> new Kind());
          kind.records++;
          kind.privateBytes += r.privateBytes();
          kind.sharedBytes += r.sharedBytes();
          kind.lastUsed = Math.max(kind.lastUsed, r.record().lastUsedMillis());
        }
        out.printf(
            Locale.ROOT,
            "%-22s %8s %12s %12s   %s%n",
            "TYPE",
            "RECORDS",
            "PRIVATE",
            "SHARED",
            "LAST USED");
        kinds.forEach(
            (name, kind) ->
                out.printf(
                    Locale.ROOT,
                    "%-22s %8d %12s %12s   %s%n",
                    name.isEmpty() ? "(unknown)" : name,
                    kind.records,
                    Quantities.humanSize(kind.privateBytes),
                    Quantities.humanSize(kind.sharedBytes),
                    Quantities.ago(kind.lastUsed, now)));
      }
      out.println("Private:\t" + Quantities.humanSize(report.privateBytes()));
      out.println("Shared:\t\t" + Quantities.humanSize(report.sharedBytes()));
      if (report.orphanLayers() > 0) {
        out.println(
            "Orphaned:\t"
                + Quantities.humanSize(report.orphanBytes())
                + " ("
                + report.orphanLayers()
                + " layers no record holds; kiln prune removes them)");
      }
      out.println(
          "Content:\t"
              + Quantities.humanSize(report.blobBytes())
              + " ("
              + report.blobs()
              + " blobs of pulled, built and exported images)");
      out.println("Total:\t\t" + Quantities.humanSize(report.totalBytes()));
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }

  /** The daemon's usage, or that of the engine under {@code --root}. */
  private CacheUsage.Report report() throws IOException {
    Optional<DaemonAddress> address = daemon.address();
    if (address.isPresent()) {
      return CacheJson.usage(DaemonHttp.get(address.get(), "/v1/du"));
    }
    try (Engine engine = Engine.start(EngineConfig.at(root.path()))) {
      return engine.diskUsage();
    }
  }

  private static int why(PrintStream out, CacheUsage.Report report, String id, long now) {
    if (id.matches("\\d+")) {
      List<CacheUsage.RecordUsage> holders =
          report.records().stream().filter(r -> r.record().layers().contains(id)).toList();
      if (holders.isEmpty()) {
        out.println("layer " + id + " is held by no record: kiln prune removes it");
        return 0;
      }
      out.println("layer " + id + " is held by " + holders.size() + " record(s):");
      holders.forEach(r -> out.println("  " + line(r, now)));
      return 0;
    }
    String prefix = id.startsWith("sha256:") ? id : "sha256:" + id;
    List<CacheUsage.RecordUsage> matches =
        report.records().stream().filter(r -> r.key().value().startsWith(prefix)).toList();
    if (matches.size() != 1 || prefix.length() < "sha256:".length() + 4) {
      throw new IllegalArgumentException(
          "--why "
              + id
              + ": "
              + (matches.isEmpty() ? "no record" : "several records")
              + " match; give a longer digest prefix or a layer number");
    }
    CacheUsage.RecordUsage record = matches.get(0);
    out.println(line(record, now));
    out.println(
        "kept until pruned (kiln prune --filter until=DURATION removes records unused for longer)");
    for (String layer : record.record().layers()) {
      List<String> others =
          report.records().stream()
              .filter(r -> r != record && r.record().layers().contains(layer))
              .map(r -> r.record().description())
              .toList();
      out.println(
          "  layer "
              + layer
              + (others.isEmpty() ? ": only this record" : ": also held by " + others));
    }
    return 0;
  }

  private static String line(CacheUsage.RecordUsage r, long now) {
    return r.key().shortForm()
        + " "
        + r.record().kind()
        + " "
        + r.record().description()
        + " (last used "
        + Quantities.ago(r.record().lastUsedMillis(), now)
        + ")";
  }
}
