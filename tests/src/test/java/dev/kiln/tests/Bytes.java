package dev.kiln.tests;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/** Searches bytes for a text as they are and, when they are gzip, as they decompress. */
final class Bytes {
  private Bytes() {}

  /** Whether {@code bytes}, or their gzip decompression, hold {@code text}. */
  static boolean holds(byte[] bytes, String text) throws IOException {
    if (contains(bytes, text)) {
      return true;
    }
    if (bytes.length < 2 || (bytes[0] & 0xff) != 0x1f || (bytes[1] & 0xff) != 0x8b) {
      return false;
    }
    try (InputStream in = new GzipCompressorInputStream(new ByteArrayInputStream(bytes), true)) {
      return contains(in.readAllBytes(), text);
    } catch (IOException e) {
      return false; // not gzip after all: its raw bytes were searched
    }
  }

  private static boolean contains(byte[] bytes, String text) {
    // Latin-1 maps each byte to one char, so this finds the UTF-8 bytes of text anywhere.
    return new String(bytes, StandardCharsets.ISO_8859_1)
        .contains(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
  }
}
