package dev.kiln.gateway.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns gateway messages into frame bodies and back. Reading refuses, with a message that says what
 * is wrong, a body that is not a JSON object, has no known {@code "type"}, or lacks a field its
 * type needs; unknown fields are ignored, so that a newer peer's additions pass.
 *
 * <p>Written by hand over Jackson's tree model rather than with data binding: binding introspects
 * each message class on its first use, which cost a frontend's first conversation in a new JVM some
 * 40 ms.
 */
public final class GatewayCodec {
  private static final ObjectMapper JSON = new ObjectMapper();

  private GatewayCodec() {}

  /** {@code message} as a frame body. */
  public static byte[] encode(GatewayMessage message) {
    try {
      return JSON.writeValueAsBytes(tree(message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + message + ": " + e.getOriginalMessage(), e);
    }
  }

  /** The message in frame body {@code body}; throws saying what is wrong with it. */
  public static GatewayMessage decode(byte[] body) throws IOException {
    JsonNode tree;
    try {
      tree = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IOException("a gateway message is not JSON: " + e.getOriginalMessage());
    }
    if (tree == null || !tree.isObject()) {
      throw new IOException("a gateway message must be a JSON object");
    }
    JsonNode type = tree.get("type");
    if (type == null || !type.isTextual()) {
      throw new IOException("a gateway message has no \"type\"");
    }
    Fields f = new Fields(type.asText(), tree);
    try {
      return switch (f.type) {
        case "hello" ->
            new GatewayMessage.Hello(
                (int) f.number("version", 0),
                f.strings("opts"),
                f.list("inputs"),
                f.text("frontend"));
        case "read-file" ->
            new GatewayMessage.ReadFile(
                f.id(),
                f.text("ref"),
                f.text("path"),
                f.number("offset", 0),
                f.has("length") ? Optional.of(f.number("length", 0)) : Optional.empty());
        case "read-dir" ->
            new GatewayMessage.ReadDir(f.id(), f.text("ref"), f.text("path"), f.list("include"));
        case "stat" -> new GatewayMessage.Stat(f.id(), f.text("ref"), f.text("path"));
        case "resolve-image-config" ->
            new GatewayMessage.ResolveImageConfig(
                f.id(), f.text("image"), Optional.ofNullable(f.text("platform")));
        case "solve" ->
            new GatewayMessage.Solve(f.id(), f.tree.get("definition"), f.bool("evaluate"));
        case "return" ->
            new GatewayMessage.Return(
                Optional.ofNullable(f.text("ref")),
                Optional.ofNullable(f.tree.get("config")),
                f.strings("metadata"),
                Optional.ofNullable(f.text("error")));
        case "file" -> new GatewayMessage.FileData(f.id(), f.base64("data"));
        case "dir" -> new GatewayMessage.DirEntries(f.id(), f.entries());
        case "file-stat" ->
            new GatewayMessage.FileStat(
                f.id(),
                f.text("kind"),
                f.number("size", 0),
                (int) f.number("mode", 0),
                Optional.ofNullable(f.text("target")));
        case "image-config" ->
            new GatewayMessage.ImageConfig(f.id(), f.text("digest"), f.tree.get("config"));
        case "solved" -> new GatewayMessage.Solved(f.id(), f.text("ref"));
        case "error" ->
            new GatewayMessage.Error(
                f.id(), f.text("message"), Optional.ofNullable(f.text("vertex")));
        default -> throw new IOException("unknown gateway message type \"" + f.type + "\"");
      };
    } catch (IllegalArgumentException e) {
      throw new IOException("a gateway message is malformed: " + e.getMessage());
    }
  }

  /** One message's fields, read strictly: a field of the wrong kind is refused, naming it. */
  private record Fields(String type, JsonNode tree) {
    boolean has(String name) {
      JsonNode node = tree.get(name);
      return node != null && !node.isNull();
    }

    private IOException malformed(String name, String what) {
      return new IOException(
          "a gateway \"" + type + "\" message is malformed: \"" + name + "\" must be " + what);
    }

    long id() throws IOException {
      return number("id", 0);
    }

    long number(String name, long absent) throws IOException {
      if (!has(name)) {
        return absent;
      }
      JsonNode node = tree.get(name);
      if (!node.isIntegralNumber() || !node.canConvertToLong()) {
        throw malformed(name, "a whole number");
      }
      return node.asLong();
    }

    boolean bool(String name) throws IOException {
      if (!has(name)) {
        return false;
      }
      if (!tree.get(name).isBoolean()) {
        throw malformed(name, "true or false");
      }
      return tree.get(name).asBoolean();
    }

    String text(String name) throws IOException {
      if (!has(name)) {
        return null;
      }
      if (!tree.get(name).isTextual()) {
        throw malformed(name, "a string");
      }
      return tree.get(name).asText();
    }

    List<String> list(String name) throws IOException {
      List<String> values = new ArrayList<>();
      if (!has(name)) {
        return values;
      }
      if (!tree.get(name).isArray()) {
        throw malformed(name, "a list of strings");
      }
      for (JsonNode item : tree.get(name)) {
        if (!item.isTextual()) {
          throw malformed(name, "a list of strings");
        }
        values.add(item.asText());
      }
      return values;
    }

    Map<String, String> strings(String name) throws IOException {
      Map<String, String> values = new LinkedHashMap<>();
      if (!has(name)) {
        return values;
      }
      if (!tree.get(name).isObject()) {
        throw malformed(name, "an object of strings");
      }
      var fields = tree.get(name).fields();
      while (fields.hasNext()) {
        var field = fields.next();
        if (!field.getValue().isTextual()) {
          throw malformed(name, "an object of strings");
        }
        values.put(field.getKey(), field.getValue().asText());
      }
      return values;
    }

    byte[] base64(String name) throws IOException {
      String text = text(name);
      try {
        return text == null ? new byte[0] : Base64.getDecoder().decode(text);
      } catch (IllegalArgumentException e) {
        throw malformed(name, "base64");
      }
    }

    List<GatewayMessage.Entry> entries() throws IOException {
      List<GatewayMessage.Entry> entries = new ArrayList<>();
      if (!has("entries")) {
        return entries;
      }
      if (!tree.get("entries").isArray()) {
        throw malformed("entries", "a list");
      }
      for (JsonNode item : tree.get("entries")) {
        Fields entry = new Fields(type, item);
        entries.add(
            new GatewayMessage.Entry(
                entry.text("name"),
                entry.text("kind"),
                entry.number("size", 0),
                (int) entry.number("mode", 0)));
      }
      return entries;
    }
  }

  private static ObjectNode tree(GatewayMessage message) {
    ObjectNode node = JSON.createObjectNode();
    if (message instanceof GatewayMessage.Hello m) {
      node.put("type", "hello").put("version", m.version());
      ObjectNode opts = node.putObject("opts");
      m.opts().forEach(opts::put);
      ArrayNode inputs = node.putArray("inputs");
      m.inputs().forEach(inputs::add);
      node.put("frontend", m.frontend());
    } else if (message instanceof GatewayMessage.ReadFile m) {
      node.put("type", "read-file").put("id", m.id()).put("ref", m.ref()).put("path", m.path());
      node.put("offset", m.offset());
      m.length().ifPresent(length -> node.put("length", length));
    } else if (message instanceof GatewayMessage.ReadDir m) {
      node.put("type", "read-dir").put("id", m.id()).put("ref", m.ref()).put("path", m.path());
      ArrayNode include = node.putArray("include");
      m.include().forEach(include::add);
    } else if (message instanceof GatewayMessage.Stat m) {
      node.put("type", "stat").put("id", m.id()).put("ref", m.ref()).put("path", m.path());
    } else if (message instanceof GatewayMessage.ResolveImageConfig m) {
      node.put("type", "resolve-image-config").put("id", m.id()).put("image", m.image());
      m.platform().ifPresent(platform -> node.put("platform", platform));
    } else if (message instanceof GatewayMessage.Solve m) {
      node.put("type", "solve").put("id", m.id());
      node.set("definition", m.definition());
      node.put("evaluate", m.evaluate());
    } else if (message instanceof GatewayMessage.Return m) {
      node.put("type", "return");
      m.ref().ifPresent(ref -> node.put("ref", ref));
      m.config().ifPresent(config -> node.set("config", config));
      ObjectNode metadata = node.putObject("metadata");
      m.metadata().forEach(metadata::put);
      m.error().ifPresent(error -> node.put("error", error));
    } else if (message instanceof GatewayMessage.FileData m) {
      node.put("type", "file").put("id", m.id()).put("data", m.data());
    } else if (message instanceof GatewayMessage.DirEntries m) {
      node.put("type", "dir").put("id", m.id());
      ArrayNode entries = node.putArray("entries");
      for (GatewayMessage.Entry entry : m.entries()) {
        entries
            .addObject()
            .put("name", entry.name())
            .put("kind", entry.kind())
            .put("size", entry.size())
            .put("mode", entry.mode());
      }
    } else if (message instanceof GatewayMessage.FileStat m) {
      node.put("type", "file-stat").put("id", m.id()).put("kind", m.kind());
      node.put("size", m.size()).put("mode", m.mode());
      m.target().ifPresent(target -> node.put("target", target));
    } else if (message instanceof GatewayMessage.ImageConfig m) {
      node.put("type", "image-config").put("id", m.id()).put("digest", m.digest());
      node.set("config", m.config());
    } else if (message instanceof GatewayMessage.Solved m) {
      node.put("type", "solved").put("id", m.id()).put("ref", m.ref());
    } else if (message instanceof GatewayMessage.Error m) {
      node.put("type", "error").put("id", m.id()).put("message", m.message());
      m.vertex().ifPresent(vertex -> node.put("vertex", vertex));
    }
    return node;
  }
}
