package dev.kiln.frontend.dockerfile;

import dev.kiln.engine.graph.Definition;
import java.nio.file.Path;
import java.util.Map;

/**
 * A converted Dockerfile: the build graph of the target stage, the image configuration it ends
 * with, and the host directories its {@code local://} sources read (named contexts).
 */
public record Conversion(Definition definition, ImageConfig config, Map<String, Path> locals) {
  public Conversion {
    locals = Map.copyOf(locals);
  }
}
