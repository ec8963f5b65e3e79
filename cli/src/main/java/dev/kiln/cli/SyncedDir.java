package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.source.OciReference;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A directory of the client besides the build context that a build through a daemon reads: the
 * daemon keeps a copy of it under its key, as of the build context (only changed files travel), and
 * gives the build that copy where the client's {@code kiln build} named the directory.
 */
public record SyncedDir(String key, Use use) {
  /**
   * Where such directories travel in an upload: {@code dirs/KEY/…}, listed by {@code
   * dirs/KEY.manifest}.
   */
  public static final String UPLOAD = "dirs";

  /** Names of named contexts: as a Dockerfile's stage names, which they stand in for. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@-]{0,127}");

  /** OCI's tag grammar. */
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

  /** Where a build reads the directory. */
  public sealed interface Use {
    /** The option the daemon adds for a copy of the directory at {@code dir}. */
    List<String> option(Path dir);
  }

  /** {@code --build-context NAME=DIR}: a local directory as a named context. */
  public record NamedContext(String name) implements Use {
    @Override
    public List<String> option(Path dir) {
      return List.of("--build-context", name + "=" + dir);
    }
  }

  /**
   * {@code --build-context NAME=oci-layout://DIR[:TAG|@DIGEST]}: an OCI layout as a named context;
   * {@code reference} is what followed the directory ({@code ":v1"}, {@code "@sha256:…"}).
   */
  public record NamedLayout(String name, String reference) implements Use {
    @Override
    public List<String> option(Path dir) {
      return List.of("--build-context", name + "=" + OciReference.SCHEME + dir + reference);
    }
  }

  /** {@code --local NAME=DIR}: the directory that a build graph's {@code local://NAME} reads. */
  public record Local(String name) implements Use {
    @Override
    public List<String> option(Path dir) {
      return List.of("--local", name + "=" + dir);
    }
  }

  /** {@code --cache-from type=local,src=DIR}: a cache exported to a directory. */
  public record CacheSource() implements Use {
    @Override
    public List<String> option(Path dir) {
      return List.of("--cache-from", "type=local,src=" + dir);
    }
  }

  /** The JSON form in a build request. */
  ObjectNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("key", key);
    if (use instanceof NamedContext context) {
      json.put("context", context.name());
    } else if (use instanceof NamedLayout layout) {
      json.put("context", layout.name());
      json.put("layout", layout.reference());
    } else if (use instanceof Local local) {
      json.put("local", local.name());
    } else {
      json.put("cache", true);
    }
    return json;
  }

  /** Reads the JSON form, checking every field; throws naming what is wrong. */
  static SyncedDir fromJson(JsonNode json) throws RemoteBuild.BadRequest {
    if (!json.isObject() || !json.path("key").isTextual()) {
      throw new RemoteBuild.BadRequest("each of \"dirs\" is an object with a \"key\"");
    }
    String key = json.get("key").asText();
    if (!key.matches("[0-9a-f]{64}")) {
      throw new RemoteBuild.BadRequest("\"dirs\": not a directory key (64 hex digits): " + key);
    }
    Optional<String> name = name(json, "context");
    Optional<String> local = name(json, "local");
    boolean cache = json.path("cache").asBoolean(false);
    if ((name.isPresent() ? 1 : 0) + (local.isPresent() ? 1 : 0) + (cache ? 1 : 0) != 1) {
      throw new RemoteBuild.BadRequest(
          "\"dirs\": each directory is one of a named \"context\", a \"local\" or the"
              + " \"cache\"");
    }
    if (cache) {
      return new SyncedDir(key, new CacheSource());
    }
    if (local.isPresent()) {
      return new SyncedDir(key, new Local(local.get()));
    }
    if (!json.has("layout")) {
      return new SyncedDir(key, new NamedContext(name.get()));
    }
    String reference = json.get("layout").asText("");
    if (!json.get("layout").isTextual() || !layoutReference(reference)) {
      throw new RemoteBuild.BadRequest(
          "\"dirs\": \"layout\" is \"\", \":TAG\" or \"@sha256:DIGEST\", got "
              + json.get("layout"));
    }
    return new SyncedDir(key, new NamedLayout(name.get(), reference));
  }

  private static Optional<String> name(JsonNode json, String field) throws RemoteBuild.BadRequest {
    if (!json.has(field)) {
      return Optional.empty();
    }
    String text = json.get(field).asText("");
    if (!json.get(field).isTextual() || !NAME.matcher(text).matches()) {
      throw new RemoteBuild.BadRequest("\"dirs\": not a name: " + json.get(field));
    }
    return Optional.of(text);
  }

  /** Whether {@code reference} is what may follow a layout's directory, and nothing more. */
  private static boolean layoutReference(String reference) {
    if (reference.isEmpty()) {
      return true;
    }
    if (reference.startsWith(":")) {
      return TAG.matcher(reference.substring(1)).matches();
    }
    if (!reference.startsWith("@")) {
      return false;
    }
    try {
      OciReference parsed = OciReference.parse(OciReference.SCHEME + "/x" + reference);
      return parsed.dir().equals(Path.of("/x"));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
