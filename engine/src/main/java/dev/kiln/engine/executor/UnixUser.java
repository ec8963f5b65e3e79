package dev.kiln.engine.executor;

/** The numeric identity a step runs as. */
public record UnixUser(long uid, long gid) {
  public static final UnixUser ROOT = new UnixUser(0, 0);

  public UnixUser {
    if (uid < 0 || gid < 0 || uid > 0xFFFFFFFEL || gid > 0xFFFFFFFEL) {
      throw new IllegalArgumentException("invalid uid/gid " + uid + ":" + gid);
    }
  }

  public boolean isRoot() {
    return uid == 0;
  }
}
