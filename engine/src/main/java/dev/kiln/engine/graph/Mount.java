package dev.kiln.engine.graph;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Optional;

/**
 * A mount of an exec step: an input's output (or nothing) at {@code dest}. The root mount is
 * implicit (input 0 at {@code /}); these are the extra ones.
 *
 * <p>The fields after {@code cacheId} are optional and left out of the JSON when absent, so that
 * mounts written before they existed keep their digests. {@code secretId} names a secret or an ssh
 * agent given to the build (never its content); {@code env} exposes a secret as an environment
 * variable, in which case {@code dest} may be empty (no file).
 */
public record Mount(
    Optional<Integer> input,
    String dest,
    MountType type,
    boolean readonly,
    String selector,
    Optional<String> cacheId,
    @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<CacheSharing> sharing,
    @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<String> secretId,
    @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<String> env,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean optional,
    @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<Integer> mode,
    @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<Long> uid,
    @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<Long> gid,
    @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<Long> size) {
  public Mount {
    input = input == null ? Optional.empty() : input;
    type = type == null ? MountType.BIND : type;
    selector = selector == null ? "" : selector;
    cacheId = cacheId == null ? Optional.empty() : cacheId;
    sharing = sharing == null ? Optional.empty() : sharing;
    secretId = secretId == null ? Optional.empty() : secretId;
    env = env == null ? Optional.empty() : env;
    mode = mode == null ? Optional.empty() : mode;
    uid = uid == null ? Optional.empty() : uid;
    gid = gid == null ? Optional.empty() : gid;
    size = size == null ? Optional.empty() : size;
    dest = dest == null ? "" : dest;
    boolean envOnly = type == MountType.SECRET && env.isPresent();
    if (dest.isBlank() && !envOnly) {
      throw new IllegalArgumentException("mount destination is missing");
    }
    if (env.isPresent() && !env.get().matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException(
          "secret env name \"" + env.get() + "\" is not a valid environment variable name");
    }
  }

  /** A mount with only the original six fields. */
  public Mount(
      Optional<Integer> input,
      String dest,
      MountType type,
      boolean readonly,
      String selector,
      Optional<String> cacheId) {
    this(
        input,
        dest,
        type,
        readonly,
        selector,
        cacheId,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        false,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  /** A read-only bind of {@code selector} inside input {@code input}. */
  public static Mount bind(int input, String dest, String selector, boolean readonly) {
    return new Mount(
        Optional.of(input), dest, MountType.BIND, readonly, selector, Optional.empty());
  }

  /** An empty tmpfs, at most {@code size} bytes when given. */
  public static Mount tmpfs(String dest, Optional<Long> size) {
    return new Mount(
        Optional.empty(),
        dest,
        MountType.TMPFS,
        false,
        "",
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        false,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        size);
  }

  /** A persistent cache directory named {@code id}, created with the given owner and mode. */
  public static Mount cache(
      String dest,
      String id,
      CacheSharing sharing,
      Optional<Integer> mode,
      Optional<Long> uid,
      Optional<Long> gid) {
    return new Mount(
        Optional.empty(),
        dest,
        MountType.CACHE,
        false,
        "",
        Optional.of(id),
        Optional.of(sharing),
        Optional.empty(),
        Optional.empty(),
        false,
        mode,
        uid,
        gid,
        Optional.empty());
  }

  /**
   * The secret {@code id} as a read-only file at {@code dest} (empty: no file) and/or the variable
   * {@code env}; a missing secret fails the step unless {@code optional}.
   */
  public static Mount secret(
      String dest,
      String id,
      Optional<String> env,
      boolean optional,
      Optional<Integer> mode,
      Optional<Long> uid,
      Optional<Long> gid) {
    return new Mount(
        Optional.empty(),
        dest,
        MountType.SECRET,
        true,
        "",
        Optional.empty(),
        Optional.empty(),
        Optional.of(id),
        env,
        optional,
        mode,
        uid,
        gid,
        Optional.empty());
  }

  /** The ssh agent {@code id} as a socket at {@code dest}, with {@code SSH_AUTH_SOCK} set. */
  public static Mount ssh(String dest, String id, boolean optional) {
    return new Mount(
        Optional.empty(),
        dest,
        MountType.SSH,
        false,
        "",
        Optional.empty(),
        Optional.empty(),
        Optional.of(id),
        Optional.empty(),
        optional,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  /** The same mount reading input {@code index}. */
  public Mount withInput(int index) {
    return new Mount(
        Optional.of(index),
        dest,
        type,
        readonly,
        selector,
        cacheId,
        sharing,
        secretId,
        env,
        optional,
        mode,
        uid,
        gid,
        size);
  }

  /** The same mount reading {@code selector} (absolute) of its input. */
  public Mount withSelector(String selector) {
    return new Mount(
        input, dest, type, readonly, selector, cacheId, sharing, secretId, env, optional, mode, uid,
        gid, size);
  }

  /** Whether this mount puts something in the filesystem (an env-only secret does not). */
  public boolean hasDest() {
    return !dest.isEmpty();
  }
}
