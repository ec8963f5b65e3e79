package dev.kiln.cli;

import dev.kiln.engine.fileop.TreeCopier;
import dev.kiln.engine.snapshot.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;

/**
 * Writes here what a daemon built for a file output: fetches the archive it keeps for this client
 * ({@code GET /v1/builds/ID/output}) and writes it where {@code --output} says — a file (temp then
 * rename), standard output, or a directory it unpacks into (checked entry by entry, as the daemon
 * checks uploads).
 */
final class OutputReceiver {
  private static final long MAX_UNPACKED = Long.MAX_VALUE;
  private static final int MAX_ENTRIES = 10_000_000;

  private OutputReceiver() {}

  /**
   * Writes build {@code id}'s output archive as {@code spec} says, then tells the daemon it may
   * forget it; a daemon that goes away meanwhile is asked again for up to {@code reconnect} (the
   * output is written whole or not at all; standard output is not retried).
   */
  static void receive(
      DaemonAddress address,
      String id,
      OutputSpec spec,
      java.time.Duration reconnect,
      PrintStream err)
      throws IOException, InterruptedException {
    boolean toStandardOutput = isFile(spec) && file(spec).isEmpty();
    Backoff backoff = new Backoff(toStandardOutput ? java.time.Duration.ZERO : reconnect);
    while (true) {
      try {
        receiveOnce(address, id, spec);
        break;
      } catch (IOException e) {
        if (!Backoff.retries(e) || !backoff.next()) {
          throw e;
        }
        err.println("the daemon went away while sending the output; asking again");
      }
    }
    forget(address, "/v1/builds/" + id + "/output");
    err.println("wrote the output to " + where(spec));
  }

  private static boolean isFile(OutputSpec spec) {
    return !(spec instanceof OutputSpec.Local)
        && !(spec instanceof OutputSpec.Oci oci && !oci.tar());
  }

  /** Tells the daemon the client has what {@code path} names; it may go (else it expires). */
  private static void forget(DaemonAddress address, String path) {
    try {
      DaemonHttp.exchange(address, "DELETE", path, Map.of(), Optional.empty()).close();
    } catch (IOException e) {
      // The daemon removes it after a while anyway.
    }
  }

  private static void receiveOnce(DaemonAddress address, String id, OutputSpec spec)
      throws IOException {
    DaemonHttp.Answer answer =
        DaemonHttp.exchange(
            address, "GET", "/v1/builds/" + id + "/output", Map.of(), Optional.empty());
    try (answer) {
      InputStream in = answer.accepted().body();
      if (spec instanceof OutputSpec.Local local) {
        unpack(in, local.dest());
      } else if (spec instanceof OutputSpec.Oci oci && !oci.tar()) {
        unpack(in, oci.dest().orElseThrow());
      } else {
        Optional<Path> file = file(spec);
        if (file.isEmpty()) {
          in.transferTo(System.out); // dest=-
          System.out.flush();
        } else {
          write(in, file.get());
        }
      }
    }
  }

  /**
   * Brings the cache layout a daemon exported for this client ({@code POST /v1/builds/ID/cache})
   * into {@code dest}: tells the daemon which blobs are there already, checks each blob that
   * arrives against its digest, moves it in, and replaces {@code index.json} last, so the layout
   * never names a blob it lacks (as the exporter writes it without a daemon).
   */
  static void receiveCache(
      DaemonAddress address, String id, Path dest, java.time.Duration reconnect, PrintStream err)
      throws IOException, InterruptedException {
    Backoff backoff = new Backoff(reconnect);
    while (true) {
      try {
        receiveCacheOnce(address, id, dest);
        break;
      } catch (IOException e) {
        if (!Backoff.retries(e) || !backoff.next()) {
          throw e;
        }
        err.println("the daemon went away while sending the cache; asking again");
      }
    }
    forget(address, "/v1/builds/" + id + "/cache");
    err.println("wrote the cache to " + dest.toAbsolutePath().normalize());
  }

  private static void receiveCacheOnce(DaemonAddress address, String id, Path dest)
      throws IOException {
    Path target = dest.toAbsolutePath().normalize();
    Path blobs = target.resolve("blobs").resolve("sha256");
    com.fasterxml.jackson.databind.node.ObjectNode body =
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    var have = body.putArray("have");
    if (Files.isDirectory(blobs)) {
      try (var files = Files.list(blobs)) {
        files
            .map(f -> f.getFileName().toString())
            .filter(CacheReceipt::isDigest)
            .forEach(hex -> have.add("sha256:" + hex));
      }
    }
    DaemonHttp.Answer answer =
        DaemonHttp.exchange(
            address,
            "POST",
            "/v1/builds/" + id + "/cache",
            Map.of("Content-Type", "application/json"),
            Optional.of(
                new DaemonHttp.Sized(
                    body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    try (answer) {
      InputStream in = answer.accepted().body();
      Files.createDirectories(target);
      Path temp =
          Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".kiln-tmp");
      try {
        SafeTar.unpack(in, temp, MAX_UNPACKED, MAX_ENTRIES);
        CacheReceipt.moveIn(temp, target);
      } finally {
        FileTrees.deleteRecursively(temp);
      }
    }
  }

  private static Optional<Path> file(OutputSpec spec) {
    if (spec instanceof OutputSpec.Tar tar) {
      return Optional.of(tar.dest());
    }
    if (spec instanceof OutputSpec.Oci oci) {
      return oci.dest();
    }
    return ((OutputSpec.Docker) spec).dest();
  }

  private static String where(OutputSpec spec) {
    if (spec instanceof OutputSpec.Local local) {
      return local.dest().toString();
    }
    if (spec instanceof OutputSpec.Oci oci && !oci.tar()) {
      return oci.dest().orElseThrow().toString();
    }
    return file(spec).map(Path::toString).orElse("standard output");
  }

  private static void write(InputStream in, Path file) throws IOException {
    Path target = file.toAbsolutePath();
    Files.createDirectories(target.getParent());
    Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".kiln-tmp");
    try {
      try (OutputStream out = Files.newOutputStream(temp)) {
        in.transferTo(out);
      }
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Unpacks beside {@code dir}, then copies in (files of the same names replaced), as local. */
  private static void unpack(InputStream in, Path dir) throws IOException {
    Path target = dir.toAbsolutePath().normalize();
    Files.createDirectories(target);
    Path temp =
        Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".kiln-tmp");
    try {
      SafeTar.unpack(in, temp, MAX_UNPACKED, MAX_ENTRIES);
      TreeCopier.copyContents(temp, target, target, TreeCopier.Options.EXPORT);
    } finally {
      FileTrees.deleteRecursively(temp);
    }
  }
}
