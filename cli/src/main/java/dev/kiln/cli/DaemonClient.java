package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cli.daemon.DaemonServer;
import dev.kiln.engine.fileop.FileInfo;
import dev.kiln.engine.fileop.SelectedTree;
import dev.kiln.engine.fileop.Selection;
import dev.kiln.engine.progress.ProgressJson;
import dev.kiln.frontend.dockerfile.DockerIgnore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * {@code kiln build --addr}: sends the build to a daemon and shows what it streams back, as an
 * embedded build would show it. The context goes as a tar stream, {@code .dockerignore} applied
 * before any file is read, written while it is sent. No actor system starts on this path.
 */
public final class DaemonClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DaemonClient() {}

  /**
   * Builds {@code context} with {@code dockerfile} and {@code args} on the daemon; the exit code.
   */
  public static int build(
      DaemonAddress address,
      Path context,
      Path dockerfile,
      List<String> args,
      Map<String, byte[]> secrets,
      String progress,
      PrintStream err)
      throws IOException, InterruptedException {
    List<String> ignore = DockerIgnore.patterns(context, dockerfile);
    String name = dockerfile.getFileName().toString();
    RemoteBuild.Request request = new RemoteBuild.Request(name, args);
    DaemonHttp.Answer answer;
    try {
      answer =
          DaemonHttp.exchange(
              address,
              "POST",
              "/v1/builds",
              Map.of(
                  DaemonServer.BUILD_HEADER, request.encode(), "Content-Type", "application/x-tar"),
              Optional.of(out -> writeUpload(out, context, dockerfile, ignore, secrets)));
    } catch (DaemonHttp.Unreachable e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
    try (answer) {
      if (!answer.ok()) {
        err.println(
            "error: the daemon refused the build (" + answer.status() + "): " + answer.error());
        return 1;
      }
      BufferedReader lines =
          new BufferedReader(new InputStreamReader(answer.body(), StandardCharsets.UTF_8));
      return show(lines.lines().iterator(), progress, err);
    }
  }

  /** Shows the daemon's lines; returns the exit code its last line gives. */
  private static int show(Iterator<String> lines, String progress, PrintStream err)
      throws IOException, InterruptedException {
    boolean plain = ProgressDisplay.resolve(progress).equals("plain");
    ProgressDisplay display = ProgressDisplay.of(progress, err);
    boolean displaying = true;
    try {
      while (lines.hasNext()) {
        String line = lines.next();
        JsonNode json = JSON.readTree(line);
        String type = json.path("type").asText();
        switch (type) {
          case "message" -> err.println(json.path("text").asText());
          case "build" -> {
            if (plain) {
              err.println("#0 build " + json.path("id").asText());
            }
          }
          case "tick" -> {
            // the daemon checking that this client is still there
          }
          case "progress-done" -> {
            display.close();
            displaying = false;
          }
          case "exit" -> {
            return json.path("code").asInt(1);
          }
          default -> display.accept(ProgressJson.read(line));
        }
      }
    } finally {
      if (displaying) {
        display.close();
      }
    }
    err.println("error: the daemon ended the build's stream without its result");
    return 1;
  }

  /**
   * The upload: {@code context/} (what .dockerignore leaves), {@code dockerfile/NAME}, and the
   * build's secrets as {@code secret/ID} (which the daemon keeps in memory only).
   */
  private static void writeUpload(
      OutputStream out,
      Path context,
      Path dockerfile,
      List<String> ignore,
      Map<String, byte[]> secrets)
      throws IOException {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    directory(tar, "context/");
    for (SelectedTree.Entry entry : SelectedTree.walk(context, Selection.of(List.of(), ignore))) {
      add(tar, "context/" + entry.relative(), entry.path(), entry.info());
    }
    directory(tar, "dockerfile/");
    String name = dockerfile.getFileName().toString();
    add(tar, "dockerfile/" + name, dockerfile, FileInfo.read(dockerfile).orElseThrow());
    Path ownIgnore = dockerfile.resolveSibling(name + ".dockerignore");
    if (Files.isRegularFile(ownIgnore)) {
      add(
          tar,
          "dockerfile/" + name + ".dockerignore",
          ownIgnore,
          FileInfo.read(ownIgnore).orElseThrow());
    }
    for (Map.Entry<String, byte[]> secret : secrets.entrySet()) {
      TarArchiveEntry entry = new TarArchiveEntry("secret/" + secret.getKey());
      entry.setMode(0400);
      entry.setSize(secret.getValue().length);
      tar.putArchiveEntry(entry);
      tar.write(secret.getValue());
      tar.closeArchiveEntry();
    }
    tar.finish();
  }

  private static void directory(TarArchiveOutputStream tar, String name) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(040755);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  private static void add(TarArchiveOutputStream tar, String name, Path path, FileInfo info)
      throws IOException {
    TarArchiveEntry entry;
    if (info.kind() == FileInfo.Kind.SYMLINK) {
      entry = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
      entry.setLinkName(Files.readSymbolicLink(path).toString());
    } else if (info.kind() == FileInfo.Kind.DIRECTORY) {
      entry = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
    } else if (info.kind() == FileInfo.Kind.REGULAR) {
      entry = new TarArchiveEntry(name);
      entry.setSize(Files.size(path));
    } else {
      return; // sockets, fifos and devices are not build input
    }
    entry.setMode(info.mode());
    entry.setModTime(info.mtime());
    tar.putArchiveEntry(entry);
    if (info.kind() == FileInfo.Kind.REGULAR) {
      try (InputStream in = Files.newInputStream(path)) {
        in.transferTo(tar);
      }
    }
    tar.closeArchiveEntry();
  }
}
