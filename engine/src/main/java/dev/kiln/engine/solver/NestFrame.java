package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Input;
import java.nio.file.Path;
import java.util.Set;

/**
 * One level of nested builds: the definition's root, where it was read ({@code label}), and the
 * host layout directories its build may read (those the client's definition names).
 */
public record NestFrame(String label, Input root, Set<Path> hostLayouts) {
  public NestFrame {
    hostLayouts = Set.copyOf(hostLayouts);
  }
}
