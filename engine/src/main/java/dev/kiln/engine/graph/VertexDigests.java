package dev.kiln.engine.graph;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Computes a vertex digest: the sha256 of the canonical JSON of its op and inputs. */
public final class VertexDigests {
  private VertexDigests() {}

  public static Digest of(Op op, List<Input> inputs) {
    Map<String, Object> identity = new LinkedHashMap<>();
    identity.put("op", op);
    identity.put("inputs", inputs);
    try {
      return Digest.sha256(GraphJson.canonical().writeValueAsBytes(identity));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("op cannot be serialised: " + op, e);
    }
  }

  public static Digest of(Vertex vertex) {
    return of(vertex.op(), vertex.inputs());
  }
}
