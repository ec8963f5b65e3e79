package dev.kiln.exporter.image;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Compressing streams for new layers; closing one finishes the compressed stream and {@code out}.
 */
final class Compressors {
  private Compressors() {}

  static OutputStream open(OutputStream out, LayerCompression compression, int level)
      throws IOException {
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    switch (compression) {
      case GZIP:
        return new ParallelGzipOutputStream(out, level, threads);
      case ZSTD:
        ZstdOutputStream zstd = new ZstdOutputStream(out, level);
        // zstd's multi-threaded mode gives the same bytes for any number of workers >= 1, so
        // always using it keeps images reproducible between machines with different core counts.
        zstd.setWorkers(threads);
        return zstd;
      case UNCOMPRESSED:
        return new FilterOutputStream(out) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
          }
        };
      default:
        throw new IllegalStateException("unknown compression " + compression);
    }
  }
}
