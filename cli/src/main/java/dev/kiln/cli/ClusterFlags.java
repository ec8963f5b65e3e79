package dev.kiln.cli;

import dev.kiln.engine.cluster.ClusterSettings;
import dev.kiln.engine.cluster.HostPort;
import dev.kiln.engine.cluster.NodeRole;
import dev.kiln.engine.job.SharedJournal;
import dev.kiln.engine.tls.TlsFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A node's cluster settings from what the daemon was given (its flags over its config file's {@code
 * cluster} object), with the defaults for the rest; an error names the flag, or the file's key for
 * a value the file gave.
 */
final class ClusterFlags {
  /** Each flag and the config file's key for it. */
  private static final Map<String, String> KEYS =
      Map.ofEntries(
          Map.entry("--cluster-bind", "cluster.bind"),
          Map.entry("--join", "cluster.join"),
          Map.entry("--role", "cluster.role"),
          Map.entry("--cluster-name", "cluster.name"),
          Map.entry("--split-brain", "cluster.splitBrain"),
          Map.entry("--down-after", "cluster.downAfter"),
          Map.entry("--join-timeout", "cluster.joinTimeout"),
          Map.entry("--data-port", "cluster.dataPort"),
          Map.entry(
              "--cluster-tls-cert, --cluster-tls-key and --cluster-ca",
              "cluster.tls's cert, key and ca"),
          Map.entry("--journal", "cluster.journal.url"),
          Map.entry(
              "--journal-user and --journal-password-file need --journal URL",
              "cluster.journal.user and passwordFile need cluster.journal.url"),
          Map.entry("--journal-password-file", "cluster.journal.passwordFile"));

  private ClusterFlags() {}

  /** The settings of a node {@code given} a bind address. */
  static ClusterSettings settings(DaemonConfig.Cluster given) {
    NodeRole role = given.role().map(NodeRole::parse).orElse(NodeRole.ALL);
    ClusterSettings defaults =
        ClusterSettings.of(
            "kiln", HostPort.parse(given.bind().orElseThrow(), "--cluster-bind"), List.of(), role);
    return new ClusterSettings(
            given.name().orElse(defaults.name()),
            defaults.bind(),
            given.join().stream().map(seed -> HostPort.parse(seed, "--join")).toList(),
            role,
            given.splitBrain().orElse(defaults.strategy()),
            given
                .downAfter()
                .map(d -> Durations.parse("--down-after", d))
                .orElse(defaults.downAfter()),
            given
                .joinTimeout()
                .map(d -> Durations.parse("--join-timeout", d))
                .orElse(defaults.joinTimeout()))
        .withTls(tls(given))
        .withDataPort(given.dataPort().orElse(0))
        .withJournal(journal(given));
  }

  /** The shared job journal, if one is given; its password is read from its file. */
  private static Optional<SharedJournal> journal(DaemonConfig.Cluster given) {
    if (given.journalUrl().isEmpty()) {
      if (given.journalUser().isPresent() || given.journalPasswordFile().isPresent()) {
        throw new IllegalArgumentException(
            "--journal-user and --journal-password-file need --journal URL");
      }
      return Optional.empty();
    }
    String password = "";
    if (given.journalPasswordFile().isPresent()) {
      Path file = given.journalPasswordFile().get();
      try {
        password = java.nio.file.Files.readString(file).strip();
      } catch (java.io.IOException | java.io.UncheckedIOException e) {
        throw new IllegalArgumentException(
            "--journal-password-file " + file + ": cannot read it (" + e.getMessage() + ")");
      }
    }
    try {
      return Optional.of(
          new SharedJournal(
              given.journalUrl().get(), given.journalUser().orElse("kiln"), password));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--journal " + e.getMessage().substring("journal URL ".length()), e);
    }
  }

  /**
   * Checks the values a config file gives on their own (a bind the flags may give aside): an error
   * names the file's key, not the flag.
   */
  static void check(DaemonConfig.Cluster file) {
    try {
      settings(
          new DaemonConfig.Cluster(
              Optional.of(file.bind().orElse("127.0.0.1:1")),
              file.join(),
              file.role(),
              file.name(),
              file.splitBrain(),
              file.downAfter(),
              file.joinTimeout(),
              file.tlsCert(),
              file.tlsKey(),
              file.tlsCa(),
              file.dataPort(),
              file.journalUrl(),
              file.journalUser(),
              Optional.empty())); // the password is read at start: the file may be root's alone
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      for (Map.Entry<String, String> key : KEYS.entrySet()) {
        if (message.equals(key.getKey())
            || message.startsWith(key.getKey() + " ")
            || message.startsWith(key.getKey() + ":")) {
          message = key.getValue() + message.substring(key.getKey().length());
          break;
        }
      }
      throw new IllegalArgumentException(message, e);
    }
  }

  /** Mutual TLS between the nodes: all three files, or none. */
  private static Optional<TlsFiles> tls(DaemonConfig.Cluster given) {
    List<Optional<Path>> files = List.of(given.tlsCert(), given.tlsKey(), given.tlsCa());
    long count = files.stream().filter(Optional::isPresent).count();
    if (count == 0) {
      return Optional.empty();
    }
    if (count < 3) {
      throw new IllegalArgumentException(
          "--cluster-tls-cert, --cluster-tls-key and --cluster-ca go together: nodes check each"
              + " other's certificates");
    }
    return TlsFiles.of(given.tlsCert(), given.tlsKey(), given.tlsCa());
  }
}
