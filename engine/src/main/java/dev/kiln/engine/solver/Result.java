package dev.kiln.engine.solver;

/** The output of a vertex, opaque to the solver (the worker's snapshot, a test's value). */
public interface Result {
  /** A short description for logs and errors. */
  String describe();
}
