package dev.kiln.gateway.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import java.io.IOException;

/**
 * Turns gateway messages into frame bodies and back. Reading refuses, with a message that says what
 * is wrong, a body that is not a JSON object, has no known {@code "type"}, or lacks a field its
 * type needs; unknown fields are ignored, so that a newer peer's additions pass.
 */
public final class GatewayCodec {
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new Jdk8Module())
          .setSerializationInclusion(JsonInclude.Include.NON_ABSENT)
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false);

  private GatewayCodec() {}

  /** {@code message} as a frame body. */
  public static byte[] encode(GatewayMessage message) {
    try {
      return JSON.writeValueAsBytes(message);
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
    try {
      return JSON.treeToValue(tree, GatewayMessage.class);
    } catch (InvalidTypeIdException e) {
      throw new IOException("unknown gateway message type \"" + type.asText() + "\"");
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IOException("a gateway message is malformed: " + cause.getMessage());
    } catch (JsonProcessingException e) {
      throw new IOException(
          "a gateway \"" + type.asText() + "\" message is malformed: " + e.getOriginalMessage());
    }
  }
}
