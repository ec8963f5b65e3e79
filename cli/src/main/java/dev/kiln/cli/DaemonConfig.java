package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.engine.cache.Quantities;
import dev.kiln.frontend.dockerfile.BuildOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;

/**
 * {@code kiln daemon --config FILE}: the daemon's settings as JSON, each optional, each overridden
 * by its command-line flag (docs/api.md):
 *
 * <pre>{"addr":"unix:///run/kiln/kiln.sock","root":"/var/lib/kiln","maxUpload":"10GiB",
 *  "execSlots":8,"buildSlots":4,"tls":{"cert":"server.pem","key":"server.key","ca":"ca.pem"},
 *  "allowInsecureEntitlements":["network.host"],
 *  "cluster":{"bind":"127.0.0.1:25521","join":["127.0.0.1:25520"],"role":"worker",
 *  "name":"kiln","splitBrain":"keep-majority","downAfter":"20s","joinTimeout":"60s",
 *  "journal":{"url":"jdbc:postgresql://db:5432/kiln","user":"kiln","passwordFile":"pw"}}}</pre>
 *
 * Relative paths are read from the file's directory.
 */
record DaemonConfig(
    Optional<String> addr,
    Optional<Path> root,
    Optional<Long> maxUpload,
    Optional<Integer> execSlots,
    Optional<Integer> buildSlots,
    Optional<Path> tlsCert,
    Optional<Path> tlsKey,
    Optional<Path> tlsCa,
    Set<String> entitlements,
    Cluster cluster) {
  /** The {@code cluster} object: a node's cluster settings, as the daemon's flags give them. */
  record Cluster(
      Optional<String> bind,
      java.util.List<String> join,
      Optional<String> role,
      Optional<String> name,
      Optional<String> splitBrain,
      Optional<String> downAfter,
      Optional<String> joinTimeout,
      Optional<Path> tlsCert,
      Optional<Path> tlsKey,
      Optional<Path> tlsCa,
      Optional<Integer> dataPort,
      Optional<String> journalUrl,
      Optional<String> journalUser,
      Optional<Path> journalPasswordFile) {
    static final Cluster NONE =
        new Cluster(
            Optional.empty(),
            java.util.List.of(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
  }

  private static final Set<String> CLUSTER_KEYS =
      Set.of(
          "bind",
          "join",
          "role",
          "name",
          "splitBrain",
          "downAfter",
          "joinTimeout",
          "tls",
          "dataPort",
          "journal");

  private static final Set<String> JOURNAL_KEYS = Set.of("url", "user", "passwordFile");

  private static final Set<String> KEYS =
      Set.of(
          "addr",
          "root",
          "maxUpload",
          "execSlots",
          "buildSlots",
          "tls",
          "allowInsecureEntitlements",
          "cluster");
  private static final Set<String> TLS_KEYS = Set.of("cert", "key", "ca");

  /** No file: every setting from flags or defaults. */
  static final DaemonConfig NONE =
      new DaemonConfig(
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Set.of(),
          Cluster.NONE);

  /** Reads {@code file}; throws naming the file, the line or the key, and what is wrong. */
  static DaemonConfig read(Path file) throws IOException {
    if (Files.size(file) > 64 * 1024) {
      throw new IOException(file + ": larger than 64 KiB; is it the right file?");
    }
    JsonNode json;
    try {
      json = new ObjectMapper().readTree(Files.readString(file));
    } catch (JsonProcessingException e) {
      throw new IOException(
          file + ":" + e.getLocation().getLineNr() + ": not JSON: " + e.getOriginalMessage());
    }
    if (json == null || !json.isObject()) {
      throw new IOException(file + ": the settings must be a JSON object");
    }
    check(file, json, KEYS, "");
    JsonNode tls = json.path("tls");
    if (!tls.isMissingNode()) {
      if (!tls.isObject()) {
        throw new IOException(file + ": \"tls\" must be an object with cert, key and ca");
      }
      check(file, tls, TLS_KEYS, "tls.");
    }
    JsonNode cluster = json.path("cluster");
    if (!cluster.isMissingNode()) {
      if (!cluster.isObject()) {
        throw new IOException(file + ": \"cluster\" must be an object (bind, join, role, …)");
      }
      check(file, cluster, CLUSTER_KEYS, "cluster.");
    }
    JsonNode clusterTls = cluster.path("tls");
    if (!clusterTls.isMissingNode()) {
      if (!clusterTls.isObject()) {
        throw new IOException(file + ": \"cluster.tls\" must be an object with cert, key and ca");
      }
      check(file, clusterTls, TLS_KEYS, "cluster.tls.");
    }
    JsonNode journal = cluster.path("journal");
    if (!journal.isMissingNode()) {
      if (!journal.isObject()) {
        throw new IOException(
            file + ": \"cluster.journal\" must be an object with url, user and passwordFile");
      }
      check(file, journal, JOURNAL_KEYS, "cluster.journal.");
    }
    Path dir = file.toAbsolutePath().getParent();
    try {
      DaemonConfig config =
          new DaemonConfig(
              text(file, json, "addr"),
              text(file, json, "root").map(dir::resolve),
              text(file, json, "maxUpload").map(Quantities::parseSize),
              count(file, json, "execSlots"),
              count(file, json, "buildSlots"),
              text(file, tls, "cert").map(dir::resolve),
              text(file, tls, "key").map(dir::resolve),
              text(file, tls, "ca").map(dir::resolve),
              entitlements(file, json.path("allowInsecureEntitlements")),
              new Cluster(
                  text(file, cluster, "bind"),
                  texts(file, cluster, "join"),
                  text(file, cluster, "role"),
                  text(file, cluster, "name"),
                  text(file, cluster, "splitBrain"),
                  text(file, cluster, "downAfter"),
                  text(file, cluster, "joinTimeout"),
                  text(file, clusterTls, "cert").map(dir::resolve),
                  text(file, clusterTls, "key").map(dir::resolve),
                  text(file, clusterTls, "ca").map(dir::resolve),
                  count(file, cluster, "dataPort"),
                  text(file, journal, "url"),
                  text(file, journal, "user"),
                  text(file, journal, "passwordFile").map(dir::resolve)));
      if (!config.cluster().equals(Cluster.NONE)) {
        ClusterFlags.check(config.cluster());
      }
      return config;
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static void check(Path file, JsonNode json, Set<String> keys, String prefix)
      throws IOException {
    for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!keys.contains(name)) {
        throw new IOException(
            file
                + ": unknown setting \""
                + prefix
                + name
                + "\" (known: "
                + String.join(", ", keys.stream().sorted().toList())
                + ")");
      }
    }
  }

  private static Optional<String> text(Path file, JsonNode json, String key) throws IOException {
    JsonNode value = json.path(key);
    if (value.isMissingNode()) {
      return Optional.empty();
    }
    if (!value.isTextual() || value.asText().isEmpty()) {
      throw new IOException(file + ": \"" + key + "\" must be a non-empty string");
    }
    return Optional.of(value.asText());
  }

  private static Set<String> entitlements(Path file, JsonNode value) throws IOException {
    if (value.isMissingNode()) {
      return Set.of();
    }
    Set<String> granted = new java.util.TreeSet<>();
    if (value.isArray()) {
      for (JsonNode entitlement : value) {
        granted.add(entitlement.asText(""));
      }
    }
    if (!value.isArray() || !BuildOptions.ENTITLEMENTS.containsAll(granted)) {
      throw new IOException(
          file
              + ": \"allowInsecureEntitlements\" must be a list of "
              + String.join(", ", new java.util.TreeSet<>(BuildOptions.ENTITLEMENTS)));
    }
    return granted;
  }

  private static java.util.List<String> texts(Path file, JsonNode json, String key)
      throws IOException {
    JsonNode value = json.path(key);
    if (value.isMissingNode()) {
      return java.util.List.of();
    }
    java.util.List<String> values = new java.util.ArrayList<>();
    for (JsonNode item : value) {
      values.add(item.isTextual() ? item.asText() : "");
    }
    if (!value.isArray() || values.contains("")) {
      throw new IOException(file + ": \"cluster." + key + "\" must be a list of HOST:PORT strings");
    }
    return values;
  }

  private static Optional<Integer> count(Path file, JsonNode json, String key) throws IOException {
    JsonNode value = json.path(key);
    if (value.isMissingNode()) {
      return Optional.empty();
    }
    if (!value.isInt() || value.asInt() < 0) {
      throw new IOException(file + ": \"" + key + "\" must be a whole number >= 0");
    }
    return Optional.of(value.asInt());
  }
}
