package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Digest;
import java.util.List;

/** Why a vertex failed: the vertex, what went wrong, and the last lines of its output. */
public record SolveError(Digest vertex, String name, String message, List<String> lastLines) {
  public SolveError {
    lastLines = List.copyOf(lastLines);
  }

  /** One paragraph for users, BuildKit style, with the output tail indented below it. */
  public String render() {
    StringBuilder text = new StringBuilder();
    text.append("failed to solve: [")
        .append(name)
        .append("] (vertex ")
        .append(vertex.shortForm())
        .append("): ")
        .append(message);
    if (!lastLines.isEmpty()) {
      text.append("\n------\n > last output of [").append(name).append("]:");
      for (String line : lastLines) {
        text.append("\n   ").append(line);
      }
      text.append("\n------");
    }
    return text.toString();
  }
}
