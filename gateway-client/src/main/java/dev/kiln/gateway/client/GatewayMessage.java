package dev.kiln.gateway.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A message of the gateway API, version {@value #VERSION} (docs/gateway.md), as one frame's JSON
 * names it in {@code "type"} ({@link GatewayCodec} reads and writes them). Requests carry the
 * {@code id} their answer repeats. Missing required fields are refused when a message is read,
 * naming the message and the field.
 */
public sealed interface GatewayMessage {
  /** The API version this library speaks. */
  int VERSION = 1;

  /** A request of the frontend's, answered with the same id. */
  sealed interface Request extends GatewayMessage {
    long id();
  }

  /** Kiln's answer to the request {@code id}. */
  sealed interface Answer extends GatewayMessage {
    long id();
  }

  /**
   * The first message each way: Kiln's names the build's options, the references the frontend may
   * read and the frontend's own reference; the frontend's answers with the version it speaks.
   */
  record Hello(int version, Map<String, String> opts, List<String> inputs, String frontend)
      implements GatewayMessage {
    public Hello {
      if (version < 1) {
        throw new IllegalArgumentException("hello needs a version of 1 or more");
      }
      opts = opts == null ? Map.of() : Map.copyOf(opts);
      inputs = inputs == null ? List.of() : List.copyOf(inputs);
      frontend = frontend == null ? "" : frontend;
    }
  }

  /**
   * Reads {@code length} bytes (all when empty) of {@code path} in {@code ref} from {@code offset}.
   */
  record ReadFile(long id, String ref, String path, long offset, Optional<Long> length)
      implements Request {
    public ReadFile {
      required("read-file", "ref", ref);
      required("read-file", "path", path);
      if (offset < 0) {
        throw new IllegalArgumentException("read-file: offset must be 0 or more");
      }
      length = orEmpty(length);
    }
  }

  /**
   * Lists directory {@code path} of {@code ref}, only what {@code include}'s globs match if any.
   */
  record ReadDir(long id, String ref, String path, List<String> include) implements Request {
    public ReadDir {
      required("read-dir", "ref", ref);
      required("read-dir", "path", path);
      include = include == null ? List.of() : List.copyOf(include);
    }
  }

  /** What {@code path} of {@code ref} is. */
  record Stat(long id, String ref, String path) implements Request {
    public Stat {
      required("stat", "ref", ref);
      required("stat", "path", path);
    }
  }

  /** The digest and OCI config of image {@code image}, for {@code platform} if given. */
  record ResolveImageConfig(long id, String image, Optional<String> platform) implements Request {
    public ResolveImageConfig {
      required("resolve-image-config", "image", image);
      platform = orEmpty(platform);
    }
  }

  /** Solves {@code definition} (Kiln's JSON form): lazily, or at once with {@code evaluate}. */
  record Solve(long id, JsonNode definition, boolean evaluate) implements Request {
    public Solve {
      if (definition == null || !definition.isObject()) {
        throw new IllegalArgumentException("solve needs a definition (a JSON object)");
      }
    }
  }

  /**
   * The frontend's last message: its result {@code ref} with an image {@code config} and {@code
   * metadata}, or the {@code error} the build fails with.
   */
  record Return(
      Optional<String> ref,
      Optional<JsonNode> config,
      Map<String, String> metadata,
      Optional<String> error)
      implements GatewayMessage {
    public Return {
      ref = orEmpty(ref);
      // An absent JSON value reads as a JSON null inside the Optional.
      config = orEmpty(config).filter(node -> !node.isNull() && !node.isMissingNode());
      if (config.isPresent() && !config.get().isObject()) {
        throw new IllegalArgumentException("return: config must be a JSON object");
      }
      metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
      error = orEmpty(error);
      if (ref.isPresent() == error.isPresent()) {
        throw new IllegalArgumentException("return needs a ref or an error, not both");
      }
    }
  }

  /** The bytes read. */
  record FileData(long id, byte[] data) implements Answer {
    public FileData {
      data = data == null ? new byte[0] : data.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof FileData that
          && id == that.id
          && java.util.Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(id) * 31 + java.util.Arrays.hashCode(data);
    }

    @Override
    public String toString() {
      return "FileData[id=" + id + ", " + data.length + " bytes]";
    }
  }

  /** A directory's entries. */
  record DirEntries(long id, List<Entry> entries) implements Answer {
    public DirEntries {
      entries = entries == null ? List.of() : List.copyOf(entries);
    }
  }

  /**
   * One entry: its name, its kind ({@code file}, {@code dir}, {@code symlink} or {@code other}),
   * size and mode.
   */
  record Entry(String name, String kind, long size, int mode) {
    public Entry {
      required("entry", "name", name);
      required("entry", "kind", kind);
    }
  }

  /** What a path is (its kind, as an {@link Entry}'s); a symlink's {@code target}. */
  record FileStat(long id, String kind, long size, int mode, Optional<String> target)
      implements Answer {
    public FileStat {
      required("file-stat", "kind", kind);
      target = orEmpty(target);
    }
  }

  /** An image's manifest digest and its OCI config. */
  record ImageConfig(long id, String digest, JsonNode config) implements Answer {
    public ImageConfig {
      required("image-config", "digest", digest);
      if (config == null || !config.isObject()) {
        throw new IllegalArgumentException("image-config needs a config (a JSON object)");
      }
    }
  }

  /** A solve's result, as a new reference. */
  record Solved(long id, String ref) implements Answer {
    public Solved {
      required("solved", "ref", ref);
    }
  }

  /** The request failed: why, and the step that failed when a solve did. */
  record Error(long id, String message, Optional<String> vertex) implements Answer {
    public Error {
      required("error", "message", message);
      vertex = orEmpty(vertex);
    }
  }

  private static void required(String message, String field, String value) {
    if (value == null) {
      throw new IllegalArgumentException(message + " needs a " + field);
    }
  }

  private static <T> Optional<T> orEmpty(Optional<T> value) {
    return value == null ? Optional.empty() : value;
  }
}
