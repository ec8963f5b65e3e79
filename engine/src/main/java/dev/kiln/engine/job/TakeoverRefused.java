package dev.kiln.engine.job;

/**
 * Why this coordinator does not take a build's job over from another: never ({@link #later} false),
 * or not yet, while the coordinator that ran it is still a member of the cluster.
 */
public final class TakeoverRefused extends Exception {
  private static final long serialVersionUID = 1L;

  private final boolean later;

  public TakeoverRefused(String message, boolean later) {
    super(message);
    this.later = later;
  }

  /** Whether asking again may succeed (the other coordinator may yet be downed). */
  public boolean later() {
    return later;
  }
}
