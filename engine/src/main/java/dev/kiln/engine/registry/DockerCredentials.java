package dev.kiln.engine.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Registry credentials as Docker keeps them in its config file: a credential helper for the
 * registry ({@code credHelpers}), else the default helper ({@code credsStore}), else the {@code
 * auths} entry ({@code auth} in base64, or {@code username}/{@code password}, or {@code
 * identitytoken}). Keys such as {@code https://index.docker.io/v1/} name docker.io.
 */
public final class DockerCredentials implements CredentialSource {
  /** The key Docker files Docker Hub's credentials under. */
  static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";

  private final DockerConfigFile config;
  private final List<Path> helperPath;

  /** Reads {@code config}; runs helpers found in {@code helperPath}. */
  public DockerCredentials(DockerConfigFile config, List<Path> helperPath) {
    this.config = config;
    this.helperPath = List.copyOf(helperPath);
  }

  /** Docker's config file and {@code PATH} as {@code env} gives them. */
  public static DockerCredentials fromEnvironment(Map<String, String> env) {
    List<Path> path = new ArrayList<>();
    for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        path.add(Path.of(dir));
      }
    }
    return new DockerCredentials(DockerConfigFile.locate(env), path);
  }

  public Path configFile() {
    return config.path();
  }

  /** The credentials for {@code registry} ({@code docker.io}, {@code host:port}), if any. */
  @Override
  public Optional<Credentials> find(String registry) throws IOException {
    String wanted = normalise(registry);
    ObjectNode root = config.read();
    Optional<CredentialHelper> helper = helperFor(root, wanted);
    if (helper.isPresent()) {
      Optional<Credentials> held = helper.get().get(serverAddress(wanted));
      if (held.isPresent()) {
        return held;
      }
    }
    Optional<Map.Entry<String, JsonNode>> entry = authsEntry(root, wanted);
    if (entry.isEmpty()) {
      return Optional.empty();
    }
    return decode(entry.get().getKey(), entry.get().getValue());
  }

  /**
   * The registry a user names as a login server ({@code docker.io}, {@code
   * https://index.docker.io/v1/}, {@code http://localhost:5000}); throws {@link
   * IllegalArgumentException} for one that is not a registry host.
   */
  public static String registryName(String server) {
    String name = normalise(server);
    Optional<String> problem = ImageReference.problemWithRegistry(name);
    if (problem.isPresent()) {
      throw new IllegalArgumentException(
          "invalid registry \"" + Texts.excerpt(server) + "\": " + problem.get());
    }
    return name;
  }

  /**
   * Records {@code credentials} for {@code registry}: with its credential helper when one is
   * configured, else in {@code auths}, keeping every other entry of the file. Returns where they
   * went, for users to see.
   */
  public String save(String registry, Credentials credentials) throws IOException {
    String wanted = normalise(registry);
    ObjectNode root = config.read();
    Optional<CredentialHelper> helper = helperFor(root, wanted);
    ObjectNode auths = auths(root);
    authsEntry(root, wanted).ifPresent(e -> auths.remove(e.getKey()));
    ObjectNode entry = auths.putObject(serverAddress(wanted));
    String where;
    if (helper.isPresent()) {
      helper.get().store(serverAddress(wanted), credentials);
      where = "with " + helper.get().command();
    } else {
      where = "unencrypted in " + config.path();
      entry.put(
          "auth",
          Base64.getEncoder()
              .encodeToString(
                  (credentials.username() + ":" + credentials.password())
                      .getBytes(StandardCharsets.UTF_8)));
    }
    config.write(root);
    return where;
  }

  /** Forgets the credentials for {@code registry}; false when there were none. */
  public boolean remove(String registry) throws IOException {
    String wanted = normalise(registry);
    ObjectNode root = config.read();
    boolean removed = false;
    Optional<CredentialHelper> helper = helperFor(root, wanted);
    if (helper.isPresent()) {
      removed = helper.get().erase(serverAddress(wanted));
    }
    Optional<Map.Entry<String, JsonNode>> entry = authsEntry(root, wanted);
    if (entry.isPresent()) {
      auths(root).remove(entry.get().getKey());
      config.write(root);
      removed = true;
    }
    return removed;
  }

  /**
   * The registry a config key names: the host of {@code https://host/v1/}, lowercased, with Docker
   * Hub's aliases folded into {@code docker.io}.
   */
  static String normalise(String key) {
    String host = key.strip();
    int scheme = host.indexOf("://");
    if (scheme >= 0) {
      host = host.substring(scheme + 3);
    }
    int slash = host.indexOf('/');
    if (slash >= 0) {
      host = host.substring(0, slash);
    }
    host = host.toLowerCase(Locale.ROOT);
    if (host.equals("index.docker.io") || host.equals("registry-1.docker.io")) {
      return ImageReference.DOCKER_HUB;
    }
    return host;
  }

  /** The server name Docker gives helpers and files credentials under. */
  private static String serverAddress(String registry) {
    return registry.equals(ImageReference.DOCKER_HUB) ? DOCKER_HUB_KEY : registry;
  }

  private Optional<CredentialHelper> helperFor(ObjectNode root, String registry)
      throws IOException {
    JsonNode helpers = root.path("credHelpers");
    if (!helpers.isMissingNode() && !helpers.isObject()) {
      throw new IOException(config.path() + ": \"credHelpers\" must be an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = helpers.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (normalise(entry.getKey()).equals(registry)) {
        if (!entry.getValue().isTextual()) {
          throw new IOException(
              config.path() + ": credHelpers." + Texts.excerpt(entry.getKey()) + " is not a name");
        }
        return Optional.of(
            new CredentialHelper(
                entry.getValue().asText(), helperPath, "credHelpers in " + config.path()));
      }
    }
    JsonNode store = root.path("credsStore");
    if (store.isMissingNode() || (store.isTextual() && store.asText().isEmpty())) {
      return Optional.empty();
    }
    if (!store.isTextual()) {
      throw new IOException(config.path() + ": \"credsStore\" must be a helper name");
    }
    return Optional.of(
        new CredentialHelper(store.asText(), helperPath, "credsStore in " + config.path()));
  }

  private ObjectNode auths(ObjectNode root) throws IOException {
    JsonNode auths = root.path("auths");
    if (auths.isMissingNode()) {
      return root.putObject("auths");
    }
    if (!(auths instanceof ObjectNode object)) {
      throw new IOException(config.path() + ": \"auths\" must be an object");
    }
    return object;
  }

  /** The {@code auths} entry for {@code registry}: Docker's own key first, then any alias. */
  private Optional<Map.Entry<String, JsonNode>> authsEntry(ObjectNode root, String registry)
      throws IOException {
    JsonNode auths = root.path("auths");
    if (auths.isMissingNode()) {
      return Optional.empty();
    }
    if (!auths.isObject()) {
      throw new IOException(config.path() + ": \"auths\" must be an object");
    }
    String exact = serverAddress(registry);
    if (auths.has(exact)) {
      return Optional.of(Map.entry(exact, auths.get(exact)));
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (normalise(entry.getKey()).equals(registry)) {
        return Optional.of(entry);
      }
    }
    return Optional.empty();
  }

  private Optional<Credentials> decode(String key, JsonNode entry) throws IOException {
    String where = config.path() + ": auths.\"" + Texts.excerpt(key) + "\"";
    if (!entry.isObject()) {
      throw new IOException(where + " must be an object");
    }
    Optional<String> identityToken = text(entry, "identitytoken", where);
    Optional<String> auth = text(entry, "auth", where);
    String username = text(entry, "username", where).orElse("");
    String password = text(entry, "password", where).orElse("");
    if (auth.isPresent()) {
      String decoded;
      try {
        decoded =
            new String(Base64.getDecoder().decode(auth.get().strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IOException(where + ".auth is not base64 (" + e.getMessage() + ")");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new IOException(where + ".auth does not decode to user:password");
      }
      username = decoded.substring(0, colon);
      password = decoded.substring(colon + 1);
    }
    if (identityToken.isPresent()) {
      return Optional.of(new Credentials(username, "", identityToken));
    }
    if (username.isEmpty() && password.isEmpty()) {
      return Optional.empty(); // an entry a credsStore left, or a logout's remains
    }
    return Optional.of(Credentials.of(username, password));
  }

  private static Optional<String> text(JsonNode entry, String field, String where)
      throws IOException {
    JsonNode value = entry.path(field);
    if (value.isMissingNode() || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw new IOException(where + "." + field + " must be a string");
    }
    return value.asText().isEmpty() ? Optional.empty() : Optional.of(value.asText());
  }
}
