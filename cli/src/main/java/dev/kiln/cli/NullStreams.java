package dev.kiln.cli;

import java.io.OutputStream;
import java.io.PrintStream;

/** A print stream that discards everything. */
final class NullStreams {
  private NullStreams() {}

  static PrintStream printStream() {
    return new PrintStream(OutputStream.nullOutputStream());
  }
}
