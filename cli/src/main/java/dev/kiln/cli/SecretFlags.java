package dev.kiln.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Parses {@code --secret} and {@code --ssh} as buildx does, once, at the edge: secrets are read
 * into memory here and go to the engine per solve, never into the graph.
 */
final class SecretFlags {
  private SecretFlags() {}

  /**
   * {@code id=NAME,src=FILE} (or {@code source=}), {@code id=NAME,env=VAR}, with an optional {@code
   * type=file|env}; {@code env} reads this process's environment through {@code getenv}.
   */
  static Map<String, byte[]> secrets(List<String> values, UnaryOperator<String> getenv) {
    Map<String, byte[]> secrets = new LinkedHashMap<>();
    for (String value : values) {
      String id = null;
      String type = null;
      String src = null;
      String env = null;
      for (String field : value.split(",")) {
        int eq = field.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(
              "--secret " + value + ": use id=NAME,src=FILE or id=NAME,env=VAR");
        }
        String key = field.substring(0, eq);
        String v = field.substring(eq + 1);
        switch (key) {
          case "id":
            id = v;
            break;
          case "type":
            if (!v.equals("file") && !v.equals("env")) {
              throw new IllegalArgumentException("--secret " + value + ": type is file or env");
            }
            type = v;
            break;
          case "src":
          case "source":
            src = v;
            break;
          case "env":
            env = v;
            break;
          default:
            throw new IllegalArgumentException(
                "--secret " + value + ": unknown key \"" + key + "\" (id, type, src, env)");
        }
      }
      if (id == null || id.isEmpty()) {
        throw new IllegalArgumentException("--secret " + value + ": id=NAME is missing");
      }
      if ("env".equals(type) && env == null) {
        env = src != null ? src : id;
        src = null;
      }
      secrets.put(id, read(value, src, env, getenv));
    }
    return secrets;
  }

  private static byte[] read(String value, String src, String env, UnaryOperator<String> getenv) {
    if (src != null) {
      try {
        return Files.readAllBytes(Path.of(src));
      } catch (IOException e) {
        throw new IllegalArgumentException("--secret " + value + ": cannot read " + src, e);
      }
    }
    if (env != null) {
      String content = getenv.apply(env);
      if (content == null) {
        throw new IllegalArgumentException(
            "--secret " + value + ": environment variable " + env + " is not set");
      }
      return content.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    throw new IllegalArgumentException(
        "--secret " + value + ": give src=FILE or env=VAR for the secret's content");
  }

  /** {@code ID[=SOCKET]}; without a socket, {@code $SSH_AUTH_SOCK}. The socket must exist. */
  static Map<String, Path> sshAgents(List<String> values, UnaryOperator<String> getenv) {
    Map<String, Path> agents = new LinkedHashMap<>();
    for (String value : values) {
      int eq = value.indexOf('=');
      String id = eq < 0 ? value : value.substring(0, eq);
      String socket = eq < 0 ? getenv.apply("SSH_AUTH_SOCK") : value.substring(eq + 1);
      if (id.isEmpty()) {
        throw new IllegalArgumentException("--ssh " + value + ": use ID[=SOCKET], say default");
      }
      if (socket == null || socket.isEmpty()) {
        throw new IllegalArgumentException(
            "--ssh " + value + ": SSH_AUTH_SOCK is not set; start an agent or give ID=SOCKET");
      }
      Path path = Path.of(socket).toAbsolutePath();
      if (!Files.exists(path)) {
        throw new IllegalArgumentException("--ssh " + value + ": " + path + " does not exist");
      }
      agents.put(id, path);
    }
    return agents;
  }
}
