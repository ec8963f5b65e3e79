package dev.kiln.exporter.image;

import java.util.Locale;

/** How new layers are compressed, with the levels each compressor accepts, as buildx names them. */
public enum LayerCompression {
  GZIP("gzip", 0, 9, 6),
  ZSTD("zstd", 0, 22, 3),
  UNCOMPRESSED("uncompressed", 0, 0, 0);

  private final String label;
  private final int minLevel;
  private final int maxLevel;
  private final int defaultLevel;

  LayerCompression(String label, int minLevel, int maxLevel, int defaultLevel) {
    this.label = label;
    this.minLevel = minLevel;
    this.maxLevel = maxLevel;
    this.defaultLevel = defaultLevel;
  }

  /** Parses {@code gzip}, {@code zstd} or {@code uncompressed}. */
  public static LayerCompression parse(String text) {
    for (LayerCompression c : values()) {
      if (c.label.equals(text.toLowerCase(Locale.ROOT))) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "compression=" + text + ": unknown compression (known: gzip, zstd, uncompressed)");
  }

  public String label() {
    return label;
  }

  /** The level used when none is given: zlib's and zstd's own defaults, as BuildKit uses. */
  public int defaultLevel() {
    return defaultLevel;
  }

  /** Throws unless {@code level} is one this compressor accepts. */
  public void checkLevel(int level) {
    if (this == UNCOMPRESSED) {
      throw new IllegalArgumentException(
          "compression-level=" + level + " does not apply to compression=uncompressed");
    }
    if (level < minLevel || level > maxLevel) {
      throw new IllegalArgumentException(
          "compression-level="
              + level
              + ": "
              + label
              + " takes a level from "
              + minLevel
              + " to "
              + maxLevel);
    }
  }
}
