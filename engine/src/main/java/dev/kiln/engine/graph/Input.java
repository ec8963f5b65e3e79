package dev.kiln.engine.graph;

/** One output of another vertex, consumed as an input. */
public record Input(Digest vertex, int output) {
  public Input {
    if (vertex == null) {
      throw new IllegalArgumentException("input vertex is missing");
    }
    if (output < 0) {
      throw new IllegalArgumentException("output index must be >= 0, got " + output);
    }
  }

  public static Input of(Digest vertex) {
    return new Input(vertex, 0);
  }
}
