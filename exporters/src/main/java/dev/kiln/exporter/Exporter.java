package dev.kiln.exporter;

import java.io.IOException;

/**
 * Turns a build result into an artifact. {@link #resolve} checks the options and destination
 * cheaply before the build runs; {@link #export} does the work (blocking: run it on an I/O pool).
 */
public interface Exporter {
  /** Throws IllegalArgumentException, saying what to change, when the export cannot work. */
  default void resolve() {}

  /** Writes the build result to the exporter's destination. */
  Exported export(ExportInput input) throws IOException;

  /** Where the artifact went, for users. */
  String describe();
}
