package dev.kiln.engine.graph;

/** Lexical checks on paths inside a root filesystem. */
public final class GraphPaths {
  private GraphPaths() {}

  /** True when {@code ..} components would climb above the root. */
  public static boolean climbsOutOfRoot(String path) {
    int depth = 0;
    for (String part : path.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      depth += part.equals("..") ? -1 : 1;
      if (depth < 0) {
        return true;
      }
    }
    return false;
  }
}
