package dev.kiln.engine.graph;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a definition document, resolves its ids to digests and validates it; every error names the
 * file, and the line or vertex at fault.
 */
public final class DefinitionReader {
  private DefinitionReader() {}

  public static Definition read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new InvalidDefinitionException(file + ": no such file");
    } catch (IOException e) {
      throw new InvalidDefinitionException(file + ": cannot read: " + e.getMessage(), e);
    }
    Path base = file.toAbsolutePath().getParent();
    return parse(text, file.toString(), base);
  }

  /** Parses {@code text}; {@code name} labels errors, {@code base} anchors relative paths. */
  public static Definition parse(String text, String name, Path base) {
    DefinitionFile doc;
    try {
      doc = GraphJson.mapper().readValue(text, DefinitionFile.class);
    } catch (UnrecognizedPropertyException e) {
      throw new InvalidDefinitionException(
          where(name, e.getLocation())
              + "unknown field \""
              + e.getPropertyName()
              + "\""
              + pathOf(e),
          e);
    } catch (JsonProcessingException e) {
      throw new InvalidDefinitionException(
          where(name, e.getLocation()) + cleanMessage(e.getOriginalMessage()), e);
    }
    if (doc == null) {
      throw new InvalidDefinitionException(name + ": empty definition");
    }
    return new Resolution(doc, name, base).resolve();
  }

  private static String pathOf(UnrecognizedPropertyException e) {
    var path = e.getPath();
    return path.isEmpty()
        ? ""
        : " in " + e.getPathReference().replace("dev.kiln.engine.graph.", "");
  }

  private static String where(String name, JsonLocation location) {
    if (location == null || location.getLineNr() < 0) {
      return name + ": ";
    }
    return name + ":" + location.getLineNr() + ":" + location.getColumnNr() + ": ";
  }

  private static String cleanMessage(String message) {
    if (message == null) {
      return "malformed JSON";
    }
    return message.replace("dev.kiln.engine.graph.", "").lines().findFirst().orElse(message);
  }

  /** Turns file ids into digests, depth first, rejecting duplicates, dangling ids and cycles. */
  private static final class Resolution {
    private final String name;
    private final Path base;
    private final Map<String, DefinitionFile.FileVertex> byId = new LinkedHashMap<>();
    private final Map<String, Digest> resolved = new HashMap<>();
    private final Map<String, Boolean> inProgress = new HashMap<>();
    private final Map<Digest, Vertex> vertices = new LinkedHashMap<>();
    private final DefinitionFile doc;

    Resolution(DefinitionFile doc, String name, Path base) {
      this.doc = doc;
      this.name = name;
      this.base = base;
    }

    Definition resolve() {
      for (var vertex : doc.vertices()) {
        if (vertex.id() == null || vertex.id().isBlank()) {
          throw new InvalidDefinitionException(name + ": a vertex has no \"id\"");
        }
        if (vertex.op() == null) {
          throw new InvalidDefinitionException(
              name + ": vertex \"" + vertex.id() + "\" has no \"op\"");
        }
        if (byId.put(vertex.id(), vertex) != null) {
          throw new InvalidDefinitionException(
              name + ": vertex id \"" + vertex.id() + "\" is used twice");
        }
      }
      if (doc.root() == null || doc.root().vertex() == null) {
        throw new InvalidDefinitionException(name + ": no \"root\" is given");
      }
      if (!byId.containsKey(doc.root().vertex())) {
        throw new InvalidDefinitionException(
            name + ": the root names unknown vertex \"" + doc.root().vertex() + "\"");
      }
      for (String id : byId.keySet()) {
        digestOf(id, new ArrayList<>());
      }
      Input root = input(doc.root(), "the root");
      return new Definition(vertices, root);
    }

    private Digest digestOf(String id, List<String> trail) {
      Digest done = resolved.get(id);
      if (done != null) {
        return done;
      }
      trail.add(id);
      if (inProgress.put(id, true) != null) {
        throw new InvalidDefinitionException(
            name + ": vertex \"" + id + "\" is part of a cycle: " + String.join(" -> ", trail));
      }
      var fileVertex = byId.get(id);
      List<Input> inputs = new ArrayList<>();
      for (var in : fileVertex.inputs()) {
        if (in == null || in.vertex() == null || !byId.containsKey(in.vertex())) {
          throw new InvalidDefinitionException(
              name
                  + ": vertex \""
                  + id
                  + "\" names missing input \""
                  + (in == null ? null : in.vertex())
                  + "\"");
        }
        Digest inputDigest = digestOf(in.vertex(), trail);
        inputs.add(input(in, "vertex \"" + id + "\""));
        assert inputDigest != null;
      }
      Op op = OpPaths.anchor(fileVertex.op(), base);
      Vertex vertex = new Vertex(op, inputs, fileVertex.meta());
      OpValidator.validate(vertex, "vertex \"" + id + "\"", name);
      Digest digest = VertexDigests.of(vertex);
      vertices.put(digest, vertex);
      resolved.put(id, digest);
      inProgress.remove(id);
      trail.remove(trail.size() - 1);
      return digest;
    }

    private Input input(DefinitionFile.FileInput in, String who) {
      if (in.output() != 0) {
        throw new InvalidDefinitionException(
            name
                + ": "
                + who
                + " reads output "
                + in.output()
                + " of \""
                + in.vertex()
                + "\", which has only output 0");
      }
      Digest digest = resolved.get(in.vertex());
      return new Input(digest, in.output());
    }
  }
}
