package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.snapshot.ActiveLayer;
import dev.kiln.engine.snapshot.HostCommand;
import dev.kiln.engine.snapshot.Layer;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.Snapshotter;
import dev.kiln.engine.snapshot.TestLayers;
import dev.kiln.exporter.Destination;
import dev.kiln.exporter.ExportInput;
import dev.kiln.exporter.Exported;
import dev.kiln.exporter.image.ImageBuilder;
import dev.kiln.exporter.image.ImageOptions;
import dev.kiln.exporter.image.LayerCompression;
import dev.kiln.exporter.oci.OciExporter;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export of a ~200 MB layer (half random bytes, half text, in files of 4 KiB to 8 MiB) to an OCI
 * archive, against {@code tar -c | gzip -1} and {@code tar -c | zstd} of the same directory into a
 * file, measured in the same run with a warm page cache; each figure is the best of three (the two
 * sides run alternately; gzip -6 once). The export includes what the tools skip: the diff ID, the
 * content store's hashing, fsync and rename, and copying the blob into the archive. Goal: within
 * 1.3x of the tools.
 */
class ImageExportBench {
  private static final String[] WORDS =
      "the layer of an image holds files that a build wrote into its snapshot while running steps"
          .split(" ");

  @TempDir Path temp;

  @Test
  void exportOfA200MbLayerAgainstTarAndTheCompressors() throws Exception {
    Snapshotter snapshotter = TestLayers.snapshotter(temp);
    Layer layer = bigLayer(snapshotter);
    Snapshot result = new Snapshot(List.of(layer));
    shell("tar -C '" + layer.dir() + "' -cf - . > /dev/null"); // warms the page cache

    // Other work on the machine comes and goes: each pair runs interleaved, best of three.
    double[] gzip1 =
        pair(
            3,
            () -> shell(tools(layer, "gzip -1", "gz")),
            () -> export(result, snapshotter, LayerCompression.GZIP, 1));
    double[] zstd =
        pair(
            3,
            () -> shell(tools(layer, "zstd -q", "zst")),
            () -> export(result, snapshotter, LayerCompression.ZSTD, 3));
    // Like for like: the content store makes a blob durable (fsync) before the archive exists.
    double[] zstdDurable =
        pair(
            3,
            () ->
                shell(
                    tools(layer, "zstd -q", "zst")
                        + " && sync "
                        + temp.resolve("baseline.tar.zst")),
            () -> build(result, snapshotter, LayerCompression.ZSTD, 3));
    // Slow on both sides and only for the record: once.
    double[] gzip6 =
        pair(
            1,
            () -> shell(tools(layer, "gzip -6", "gz")),
            () -> export(result, snapshotter, LayerCompression.GZIP, 6));

    Benchmarks.report("baseline: tar -c | gzip -1 > file", gzip1[0], gzip1[0]);
    Benchmarks.report("type=oci, gzip level 1 (goal < 1.3x)", gzip1[1], gzip1[0]);
    Benchmarks.report("baseline: tar -c | zstd > file", zstd[0], zstd[0]);
    Benchmarks.report("type=oci, zstd level 3 (goal < 1.3x)", zstd[1], zstd[0]);
    Benchmarks.report("baseline: tar -c | zstd > file; sync file", zstdDurable[0], zstdDurable[0]);
    Benchmarks.report("image into the content store only, zstd", zstdDurable[1], zstdDurable[0]);
    Benchmarks.report("baseline: tar -c | gzip -6 > file", gzip6[0], gzip6[0]);
    Benchmarks.report("type=oci, gzip default level (6)", gzip6[1], gzip6[0]);
  }

  /**
   * Best wall seconds of {@code baseline} and {@code kiln}, run alternately {@code rounds} times.
   */
  static double[] pair(int rounds, Run baseline, Run kiln) throws Exception {
    double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
    for (int i = 0; i < rounds; i++) {
      best[0] = Math.min(best[0], time(baseline));
      best[1] = Math.min(best[1], time(kiln));
    }
    return best;
  }

  private static double time(Run run) throws Exception {
    long start = System.nanoTime();
    run.run();
    return Benchmarks.seconds(start);
  }

  interface Run {
    void run() throws Exception;
  }

  private void build(Snapshot result, Snapshotter snapshotter, LayerCompression c, int level)
      throws Exception {
    Path root = Files.createTempDirectory(temp, "content-");
    new ImageBuilder(new ContentStore(root), snapshotter)
        .build(
            result,
            Optional.empty(),
            new ImageOptions(c, OptionalInt.of(level), true, Optional.empty()));
    dev.kiln.engine.snapshot.FileTrees.deleteRecursively(root);
  }

  // Every run writes a new file: replacing one makes ext4 flush the new file at the rename or
  // truncation (auto_da_alloc), which would time the disk instead of the export.
  private String tools(Layer layer, String compressor, String ext) {
    return "rm -f '"
        + temp.resolve("baseline.tar." + ext)
        + "' && tar -C '"
        + layer.dir()
        + "' -cf - . | "
        + compressor
        + " > '"
        + temp.resolve("baseline.tar." + ext)
        + "'";
  }

  private void export(Snapshot result, Snapshotter snapshotter, LayerCompression c, int level)
      throws Exception {
    // A fresh content store each time: every run compresses and stores the layer.
    Path root = Files.createTempDirectory(temp, "content-");
    Path archive = temp.resolve("image-" + c.label() + ".tar");
    Files.deleteIfExists(archive);
    ImageOptions options = new ImageOptions(c, OptionalInt.of(level), true, Optional.empty());
    Exported exported =
        new OciExporter(new Destination.File(archive), List.of(), options)
            .export(new ExportInput(result, snapshotter, new ContentStore(root), Optional.empty()));
    assertEquals(true, exported.manifest().isPresent());
    dev.kiln.engine.snapshot.FileTrees.deleteRecursively(root);
  }

  static void shell(String command) throws Exception {
    Process process =
        HostCommand.processBuilder(List.of("bash", "-o", "pipefail", "-c", command))
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), command + ": " + out);
  }

  /** 100 MB of random bytes and 100 MB of text, in files from 4 KiB to 8 MiB. */
  static Layer bigLayer(Snapshotter snapshotter) throws Exception {
    ActiveLayer active = snapshotter.prepare();
    Random random = new Random(42);
    long written = 0;
    int file = 0;
    int[] sizes = {4 << 10, 64 << 10, 512 << 10, 2 << 20, 8 << 20};
    while (written < 200L << 20) {
      int size = sizes[file % sizes.length];
      boolean text = file % 2 == 0;
      Path dir = Files.createDirectories(active.upper().resolve("d" + file % 16));
      try (OutputStream out = Files.newOutputStream(dir.resolve("f" + file))) {
        out.write(text ? text(random, size) : bytes(random, size));
      }
      written += size;
      file++;
    }
    return snapshotter.commit(active);
  }

  private static byte[] bytes(Random random, int size) {
    byte[] data = new byte[size];
    random.nextBytes(data);
    return data;
  }

  private static byte[] text(Random random, int size) {
    StringBuilder text = new StringBuilder(size + 16);
    while (text.length() < size) {
      text.append(WORDS[random.nextInt(WORDS.length)])
          .append(random.nextInt(10) == 0 ? '\n' : ' ')
          .append(random.nextInt(1000));
    }
    return text.substring(0, size).getBytes(StandardCharsets.US_ASCII);
  }
}
