package dev.kiln.frontend.dockerfile;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Parses one {@code RUN --mount=...} value with BuildKit's options; errors name the line. Values
 * are expanded with the stage's ARGs and ENVs first. Only the options a type takes are accepted.
 */
final class RunMountParser {
  /** The kinds of mount. */
  enum Type {
    BIND,
    CACHE,
    TMPFS,
    SECRET,
    SSH
  }

  /** A parsed {@code --mount}; {@code target} is as written (may be relative or empty). */
  record Parsed(
      Type type,
      String target,
      Optional<String> from,
      String source,
      boolean readonly,
      Optional<String> id,
      String sharing,
      Optional<Integer> mode,
      Optional<Long> uid,
      Optional<Long> gid,
      boolean required,
      Optional<Long> size,
      Optional<String> env) {}

  private static final Set<String> COMMON = Set.of("type", "target", "dst", "destination");
  private static final Map<Type, Set<String>> OPTIONS =
      Map.of(
          Type.BIND, Set.of("from", "source", "src", "ro", "readonly", "rw", "readwrite"),
          Type.CACHE,
              Set.of(
                  "from",
                  "source",
                  "src",
                  "ro",
                  "readonly",
                  "rw",
                  "readwrite",
                  "id",
                  "sharing",
                  "mode",
                  "uid",
                  "gid"),
          Type.TMPFS, Set.of("size"),
          Type.SECRET, Set.of("id", "required", "mode", "uid", "gid", "env"),
          Type.SSH, Set.of("id", "required", "mode", "uid", "gid"));

  private RunMountParser() {}

  static Parsed parse(String value, int line, UnaryOperator<String> expand) {
    Type type = Type.BIND;
    String target = "";
    Optional<String> from = Optional.empty();
    String source = "";
    Boolean readonly = null;
    Optional<String> id = Optional.empty();
    String sharing = "shared";
    Optional<Integer> mode = Optional.empty();
    Optional<Long> uid = Optional.empty();
    Optional<Long> gid = Optional.empty();
    boolean required = false;
    Optional<Long> size = Optional.empty();
    Optional<String> env = Optional.empty();
    List<String> fields = List.of(value.split(","));
    for (String field : fields) {
      if (field.trim().toLowerCase(Locale.ROOT).startsWith("type=")) {
        type = type(expand.apply(field.trim().substring(5)), line);
      }
    }
    for (String field : fields) {
      String trimmed = field.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      int eq = trimmed.indexOf('=');
      String key = (eq < 0 ? trimmed : trimmed.substring(0, eq)).toLowerCase(Locale.ROOT);
      String raw = eq < 0 ? null : expand.apply(trimmed.substring(eq + 1));
      if (!COMMON.contains(key) && !OPTIONS.get(type).contains(key)) {
        throw new DockerfileError(
            line,
            "RUN --mount: unknown option \""
                + key
                + "\" for type="
                + type.name().toLowerCase(Locale.ROOT)
                + " (it takes "
                + String.join(", ", OPTIONS.get(type).stream().sorted().toList())
                + ")");
      }
      switch (key) {
        case "type":
          break;
        case "target":
        case "dst":
        case "destination":
          target = required(key, raw, line);
          break;
        case "from":
          from = Optional.of(required(key, raw, line));
          break;
        case "source":
        case "src":
          source = required(key, raw, line);
          break;
        case "ro":
        case "readonly":
          readonly = raw == null || bool(key, raw, line);
          break;
        case "rw":
        case "readwrite":
          readonly = !(raw == null || bool(key, raw, line));
          break;
        case "id":
          id = Optional.of(required(key, raw, line));
          break;
        case "sharing":
          sharing = required(key, raw, line).toLowerCase(Locale.ROOT);
          if (!Set.of("shared", "private", "locked").contains(sharing)) {
            throw new DockerfileError(
                line, "RUN --mount: sharing=" + raw + ": use shared, private or locked");
          }
          break;
        case "mode":
          mode = Optional.of(octal(required(key, raw, line), line));
          break;
        case "uid":
          uid = Optional.of(number(key, required(key, raw, line), line));
          break;
        case "gid":
          gid = Optional.of(number(key, required(key, raw, line), line));
          break;
        case "required":
          required = raw == null || bool(key, raw, line);
          break;
        case "size":
          size = Optional.of(bytes(required(key, raw, line), line));
          break;
        default:
          env = Optional.of(required(key, raw, line));
          if (!env.get().matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new DockerfileError(
                line, "RUN --mount: env=" + raw + " is not a valid environment variable name");
          }
      }
    }
    if (target.isEmpty() && (type == Type.BIND || type == Type.CACHE || type == Type.TMPFS)) {
      throw new DockerfileError(line, "RUN --mount: type=" + lower(type) + " needs a target");
    }
    boolean ro = readonly != null ? readonly : type == Type.BIND;
    return new Parsed(
        type, target, from, source, ro, id, sharing, mode, uid, gid, required, size, env);
  }

  private static Type type(String name, int line) {
    for (Type type : Type.values()) {
      if (lower(type).equals(name.toLowerCase(Locale.ROOT))) {
        return type;
      }
    }
    throw new DockerfileError(
        line, "RUN --mount: unknown type \"" + name + "\" (use bind, cache, tmpfs, secret or ssh)");
  }

  private static String lower(Type type) {
    return type.name().toLowerCase(Locale.ROOT);
  }

  private static String required(String key, String raw, int line) {
    if (raw == null || raw.isEmpty()) {
      throw new DockerfileError(line, "RUN --mount: " + key + " needs a value (" + key + "=...)");
    }
    return raw;
  }

  private static boolean bool(String key, String raw, int line) {
    switch (raw.toLowerCase(Locale.ROOT)) {
      case "true":
      case "1":
        return true;
      case "false":
      case "0":
        return false;
      default:
        throw new DockerfileError(line, "RUN --mount: " + key + "=" + raw + ": use true or false");
    }
  }

  private static int octal(String raw, int line) {
    try {
      return Integer.parseInt(raw, 8);
    } catch (NumberFormatException e) {
      throw new DockerfileError(line, "RUN --mount: mode=" + raw + ": not an octal mode");
    }
  }

  private static long number(String key, String raw, int line) {
    try {
      long value = Long.parseLong(raw);
      if (value >= 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // Reported below.
    }
    throw new DockerfileError(line, "RUN --mount: " + key + "=" + raw + ": not a number");
  }

  /** A size like Docker's: bytes, or with a k, m, g suffix (powers of 1024), b optional. */
  static long bytes(String raw, int line) {
    String text = raw.toLowerCase(Locale.ROOT).replaceAll("i?b$", "");
    long unit = 1;
    if (!text.isEmpty() && "kmgt".indexOf(text.charAt(text.length() - 1)) >= 0) {
      unit = 1L << (10 * ("kmgt".indexOf(text.charAt(text.length() - 1)) + 1));
      text = text.substring(0, text.length() - 1);
    }
    try {
      long value = Long.parseLong(text);
      if (value > 0) {
        return value * unit;
      }
    } catch (NumberFormatException e) {
      // Reported below.
    }
    throw new DockerfileError(line, "RUN --mount: size=" + raw + ": not a size (say 64m)");
  }
}
