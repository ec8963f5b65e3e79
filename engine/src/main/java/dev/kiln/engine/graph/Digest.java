package dev.kiln.engine.graph;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A content digest in OCI form, {@code sha256:<64 hex digits>}. */
public record Digest(String value) implements Comparable<Digest> {
  private static final Pattern FORM = Pattern.compile("sha256:[0-9a-f]{64}");

  public Digest {
    if (value == null || !FORM.matcher(value).matches()) {
      throw new IllegalArgumentException("not a sha256 digest: " + value);
    }
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static Digest parse(String value) {
    return new Digest(value);
  }

  public static Digest sha256(byte[] data) {
    return new Digest("sha256:" + HexFormat.of().formatHex(newSha256().digest(data)));
  }

  public static Digest sha256(String text) {
    return sha256(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The digest of {@code file}'s content, read as a stream. */
  public static Digest ofFile(java.nio.file.Path file) throws java.io.IOException {
    MessageDigest digest = newSha256();
    try (java.io.InputStream in =
        new java.security.DigestInputStream(java.nio.file.Files.newInputStream(file), digest)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return new Digest("sha256:" + HexFormat.of().formatHex(digest.digest()));
  }

  public static Digest fromHex(String hex) {
    return new Digest("sha256:" + hex);
  }

  /** A fresh SHA-256 engine; every JDK ships one. */
  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public String hex() {
    return value.substring("sha256:".length());
  }

  /** The first 12 hex digits, as shown to users. */
  public String shortForm() {
    return hex().substring(0, 12);
  }

  @JsonValue
  @Override
  public String toString() {
    return value;
  }

  @Override
  public int compareTo(Digest other) {
    return value.compareTo(other.value);
  }
}
