package dev.kiln.exporter.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CompressorsTest {
  private static byte[] data() {
    byte[] data = new byte[6 << 20];
    new Random(11).nextBytes(data);
    for (int i = 0; i < data.length; i += 2) {
      data[i] = (byte) (i % 13);
    }
    return data;
  }

  private static byte[] zstd(byte[] data, int workers) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZstdOutputStream zstd = new ZstdOutputStream(out, 3)) {
      zstd.setWorkers(workers);
      zstd.write(data);
    }
    return out.toByteArray();
  }

  @Test
  void zstdGivesTheSameBytesForAnyNumberOfWorkers() throws IOException {
    // What Compressors relies on to keep zstd layers reproducible across core counts.
    byte[] data = data();
    assertArrayEquals(zstd(data, 1), zstd(data, 2));
    assertArrayEquals(zstd(data, 1), zstd(data, 4));
  }

  @Test
  void everyCompressionRoundTrips() throws IOException {
    byte[] data = data();
    for (LayerCompression compression : LayerCompression.values()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (OutputStream c = Compressors.open(out, compression, compression.defaultLevel())) {
        c.write(data);
      }
      byte[] back =
          compression == LayerCompression.ZSTD
              ? new ZstdInputStream(new ByteArrayInputStream(out.toByteArray())).readAllBytes()
              : dev.kiln.engine.layer.Compression.decompress(
                      new ByteArrayInputStream(out.toByteArray()))
                  .readAllBytes();
      assertArrayEquals(data, back, compression.label());
    }
  }
}
