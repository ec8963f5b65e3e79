package dev.kiln.engine.registry;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How each registry is reached: its mirrors (tried in order before it, for pulls only) and whether
 * it speaks plain HTTP. Read from {@code registries.json} (see docs/registries.md); loopback
 * registries ({@code localhost}, {@code 127.0.0.1}, {@code [::1]}) use plain HTTP unless
 * configured, as Docker does.
 */
public final class RegistryHosts {
  /**
   * One registry's settings: its mirrors; {@code insecure} true for plain HTTP, false for HTTPS
   * even on loopback, empty for the default (plain HTTP on loopback only).
   */
  public record Host(List<String> mirrors, Optional<Boolean> insecure) {
    public Host {
      mirrors = List.copyOf(mirrors);
    }

    public Host(List<String> mirrors, boolean insecure) {
      this(mirrors, Optional.of(insecure));
    }

    public static Host mirrored(List<String> mirrors) {
      return new Host(mirrors, Optional.empty());
    }
  }

  private static final String DOCKER_HUB_API = "registry-1.docker.io";
  private static final long MAX_FILE = 1024 * 1024;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final Map<String, Host> hosts;
  private final Map<String, List<URI>> mirrors = new LinkedHashMap<>();

  /** Settings for these registries; throws {@link IllegalArgumentException} for a bad one. */
  public RegistryHosts(Map<String, Host> hosts) {
    Map<String, Host> checked = new LinkedHashMap<>();
    for (Map.Entry<String, Host> entry : hosts.entrySet()) {
      String registry = canonical(entry.getKey());
      Optional<String> problem = ImageReference.problemWithRegistry(registry);
      if (problem.isPresent()) {
        throw new IllegalArgumentException(
            "host \"" + Texts.excerpt(entry.getKey()) + "\": " + problem.get());
      }
      checked.put(registry, entry.getValue());
    }
    this.hosts = Map.copyOf(checked);
    for (Map.Entry<String, Host> entry : this.hosts.entrySet()) {
      List<URI> uris = new ArrayList<>();
      for (String mirror : entry.getValue().mirrors()) {
        uris.add(mirrorUri(entry.getKey(), mirror));
      }
      mirrors.put(entry.getKey(), List.copyOf(uris));
    }
  }

  /** No configuration: HTTPS everywhere but on loopback, no mirrors. */
  public static RegistryHosts defaults() {
    return new RegistryHosts(Map.of());
  }

  /** {@code $KILN_CONFIG/registries.json}, else {@code ~/.config/kiln/registries.json}. */
  public static Path defaultFile(Map<String, String> env) {
    String dir = env.get("KILN_CONFIG");
    if (dir != null && !dir.isEmpty()) {
      return Path.of(dir, "registries.json");
    }
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    return Path.of(home, ".config", "kiln", "registries.json");
  }

  /** The settings in {@code file}; the defaults when it does not exist. */
  public static RegistryHosts load(Path file) throws IOException {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_FILE) {
        throw new IOException(file + ": larger than " + MAX_FILE + " bytes; is it the right file?");
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return defaults();
    }
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
    }
    try {
      return new RegistryHosts(parse(root));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage() + " (see docs/registries.md)", e);
    }
  }

  /** Where pulls from {@code registry} go, in order: its mirrors, then the registry itself. */
  public List<RegistryEndpoint> pullEndpoints(String registry) {
    List<RegistryEndpoint> endpoints = new ArrayList<>();
    for (URI mirror : mirrors.getOrDefault(canonical(registry), List.of())) {
      endpoints.add(new RegistryEndpoint(canonical(registry), mirror, true));
    }
    endpoints.add(pushEndpoint(registry));
    return endpoints;
  }

  /** Where pushes to (and logins at) {@code registry} go: the registry itself, never a mirror. */
  public RegistryEndpoint pushEndpoint(String registry) {
    String name = canonical(registry);
    String host = name.equals(ImageReference.DOCKER_HUB) ? DOCKER_HUB_API : name;
    return new RegistryEndpoint(
        name, URI.create((plainHttp(name) ? "http://" : "https://") + host), false);
  }

  /**
   * True when {@code host} is reached over plain HTTP: configured {@code insecure}, or loopback and
   * not configured {@code "insecure": false}.
   */
  public boolean plainHttp(String host) {
    Host configured = hosts.get(canonical(host));
    if (configured != null && configured.insecure().isPresent()) {
      return configured.insecure().get();
    }
    return isLoopback(host);
  }

  /** Docker's exception: registries on this machine are reached without TLS. */
  static boolean isLoopback(String host) {
    String name = host;
    if (name.startsWith("[")) {
      name = name.substring(1, Math.max(1, name.indexOf(']')));
      return name.equals("::1");
    }
    int colon = name.indexOf(':');
    if (colon >= 0) {
      name = name.substring(0, colon);
    }
    return name.equals("localhost") || name.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }

  private static String canonical(String registry) {
    String name = registry.toLowerCase(Locale.ROOT);
    return name.equals("index.docker.io") ? ImageReference.DOCKER_HUB : name;
  }

  private URI mirrorUri(String registry, String mirror) {
    String text = mirror;
    String scheme = null;
    int sep = text.indexOf("://");
    if (sep >= 0) {
      scheme = text.substring(0, sep).toLowerCase(Locale.ROOT);
      text = text.substring(sep + 3);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException(
            "host \"" + registry + "\": mirror \"" + Texts.excerpt(mirror) + "\" is not http(s)");
      }
    }
    if (text.endsWith("/")) {
      text = text.substring(0, text.length() - 1);
    }
    Optional<String> problem =
        text.contains("/")
            ? Optional.of("a mirror is host[:port], without a path")
            : ImageReference.problemWithRegistry(text);
    if (problem.isPresent()) {
      throw new IllegalArgumentException(
          "host \"" + registry + "\": mirror \"" + Texts.excerpt(mirror) + "\": " + problem.get());
    }
    if (scheme == null) {
      scheme = plainHttp(text) ? "http" : "https";
    }
    return URI.create(scheme + "://" + text.toLowerCase(Locale.ROOT));
  }

  private static Map<String, Host> parse(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("expected a JSON object with \"hosts\"");
    }
    checkKeys(root, "the top level", List.of("hosts"));
    JsonNode hostsNode = root.path("hosts");
    if (hostsNode.isMissingNode()) {
      return Map.of();
    }
    if (!hostsNode.isObject()) {
      throw new IllegalArgumentException("\"hosts\" must be an object of registry names");
    }
    Map<String, Host> hosts = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = hostsNode.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String where = "hosts.\"" + Texts.excerpt(entry.getKey()) + "\"";
      JsonNode host = entry.getValue();
      if (!host.isObject()) {
        throw new IllegalArgumentException(where + " must be an object");
      }
      checkKeys(host, where, List.of("mirrors", "insecure"));
      List<String> mirrorList = new ArrayList<>();
      JsonNode mirrorsNode = host.path("mirrors");
      if (!mirrorsNode.isMissingNode()) {
        if (!mirrorsNode.isArray()) {
          throw new IllegalArgumentException(where + ".mirrors must be an array of strings");
        }
        for (JsonNode mirror : mirrorsNode) {
          if (!mirror.isTextual()) {
            throw new IllegalArgumentException(where + ".mirrors must be an array of strings");
          }
          mirrorList.add(mirror.asText());
        }
      }
      JsonNode insecure = host.path("insecure");
      if (!insecure.isMissingNode() && !insecure.isBoolean()) {
        throw new IllegalArgumentException(where + ".insecure must be true or false");
      }
      hosts.put(
          entry.getKey(),
          new Host(
              mirrorList,
              insecure.isMissingNode() ? Optional.empty() : Optional.of(insecure.asBoolean())));
    }
    return hosts;
  }

  private static void checkKeys(JsonNode node, String where, List<String> known) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new IllegalArgumentException(
            "unknown key \""
                + Texts.excerpt(name)
                + "\" in "
                + where
                + " (known: "
                + String.join(", ", known)
                + ")");
      }
    }
  }
}
