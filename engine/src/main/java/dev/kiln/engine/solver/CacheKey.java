package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Digest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The durable identity of a vertex's result: its op's cache digest combined with its inputs' cache
 * keys, under a format tag so that a format change never returns a stale hit.
 */
public record CacheKey(Digest digest) {
  static final String FORMAT = "kiln.cache.v1";

  /** One input's part of a key: the producing vertex's key and which of its outputs is read. */
  public record InputKey(CacheKey key, int output) {}

  public static CacheKey of(String opCacheDigest, List<InputKey> inputs) {
    MessageDigest sha = Digest.newSha256();
    update(sha, FORMAT);
    update(sha, opCacheDigest);
    for (InputKey input : inputs) {
      update(sha, input.key().digest().value() + "#" + input.output());
    }
    return new CacheKey(Digest.fromHex(java.util.HexFormat.of().formatHex(sha.digest())));
  }

  private static void update(MessageDigest sha, String part) {
    byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
    // Length-prefix every part so that no two different lists hash the same.
    sha.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
    sha.update((byte) ':');
    sha.update(bytes);
  }

  @Override
  public String toString() {
    return digest.value();
  }
}
