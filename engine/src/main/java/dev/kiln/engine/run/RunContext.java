package dev.kiln.engine.run;

/** What a running op may use: a place for its output and a cancellation signal. */
public record RunContext(LogSink logs, Cancellation cancellation) {
  public static RunContext detached() {
    return new RunContext(LogSink.DISCARD, new Cancellation());
  }
}
