package dev.kiln.engine.run;

/** Receives a step's output line by line; must not block. */
@FunctionalInterface
public interface LogSink {
  LogSink DISCARD = (stream, line) -> {};

  void line(LogStream stream, String line);
}
