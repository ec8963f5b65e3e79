package dev.kiln.engine.content;

import dev.kiln.engine.graph.Digest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * A small stored value that carries its own check: the sha256 of the body in hex, a newline, then
 * the body. A value whose check fails reads as absent, so damage costs that value only.
 */
public final class CheckedBytes {
  private static final int HEX = 64;

  private CheckedBytes() {}

  /** {@code body} with its check in front. */
  public static byte[] wrap(byte[] body) {
    byte[] check = (Digest.sha256(body).hex() + "\n").getBytes(StandardCharsets.US_ASCII);
    byte[] value = Arrays.copyOf(check, check.length + body.length);
    System.arraycopy(body, 0, value, check.length, body.length);
    return value;
  }

  /** The body of {@code value}; empty when the value is malformed or its check fails. */
  public static Optional<byte[]> unwrap(byte[] value) {
    if (value.length <= HEX || value[HEX] != '\n') {
      return Optional.empty();
    }
    byte[] body = Arrays.copyOfRange(value, HEX + 1, value.length);
    String check = new String(value, 0, HEX, StandardCharsets.US_ASCII);
    return Digest.sha256(body).hex().equals(check) ? Optional.of(body) : Optional.empty();
  }
}
