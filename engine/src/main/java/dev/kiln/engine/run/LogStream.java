package dev.kiln.engine.run;

/** Which stream a log line came from. */
public enum LogStream {
  STDOUT,
  STDERR
}
