package dev.kiln.engine.executor;

/**
 * The identity a step runs as: numeric ids, and the home directory that becomes {@code HOME} when
 * the step's environment has none (as container runtimes do).
 */
public record UnixUser(long uid, long gid, String home) {
  public static final UnixUser ROOT = new UnixUser(0, 0, "/root");

  public UnixUser {
    if (uid < 0 || gid < 0 || uid > 0xFFFFFFFEL || gid > 0xFFFFFFFEL) {
      throw new IllegalArgumentException("invalid uid/gid " + uid + ":" + gid);
    }
    home = home == null || home.isEmpty() ? "/" : home;
  }

  /** A user without a passwd entry: home is {@code /}. */
  public UnixUser(long uid, long gid) {
    this(uid, gid, "/");
  }

  public boolean isRoot() {
    return uid == 0;
  }
}
