package dev.kiln.cli.daemon;

import dev.kiln.cli.RemoteBuild;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A build's lines as its clients receive them ({@code ROOT/logs/ID.ndjson}), appended as they come,
 * so that a client that lost its stream, or another one ({@code kiln attach}), gets every line it
 * has not seen and then the live ones, even from a daemon that restarted. Lines reach the file with
 * a plain write, which a killed process does not lose; a host that loses power may lose the last
 * ones, and a resumed build then simply goes on after what was kept.
 */
final class BuildLog implements RemoteBuild.Lines {
  /** The last line of a build: its exit code. */
  private static final String EXIT = "{\"type\":\"exit\"";

  private final Path file;
  private final FileChannel channel;
  private final int buffer;
  private final ActorSystem<?> system;
  private final List<BoundedSourceQueue<ByteString>> followers = new ArrayList<>();
  private long count;
  private boolean ended;

  private BuildLog(Path file, FileChannel channel, long count, int buffer, ActorSystem<?> system) {
    this.file = file;
    this.channel = channel;
    this.count = count;
    this.buffer = buffer;
    this.system = system;
  }

  /**
   * The log at {@code file}, new or (a resumed build's) as a crash left it: a last line cut short
   * is dropped. {@code buffer} lines at most wait for a slow follower.
   */
  static BuildLog open(Path file, int buffer, ActorSystem<?> system) throws IOException {
    Files.createDirectories(file.getParent());
    long count = 0;
    long whole = 0;
    if (Files.isRegularFile(file)) {
      try (var in = Files.newInputStream(file)) {
        long at = 0;
        int b;
        byte[] chunk = new byte[64 * 1024];
        for (int n = in.read(chunk); n > 0; n = in.read(chunk)) {
          for (int i = 0; i < n; i++) {
            b = chunk[i];
            at++;
            if (b == '\n') {
              count++;
              whole = at;
            }
          }
        }
      }
    }
    FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    channel.truncate(whole);
    channel.position(whole);
    return new BuildLog(file, channel, count, buffer, system);
  }

  /** Appends {@code json} and hands it to every follower. */
  @Override
  public synchronized void line(String json) {
    if (ended) {
      return;
    }
    ByteString bytes = ByteString.fromString(json + "\n", StandardCharsets.UTF_8);
    try {
      ByteBuffer data = bytes.asByteBuffer();
      while (data.hasRemaining()) {
        channel.write(data);
      }
    } catch (IOException e) {
      // A full disk loses the replay, not the build: live followers still get the line.
    }
    count++;
    // A follower whose client went away is dropped; a slow one misses what overflows its buffer.
    followers.removeIf(
        follower -> follower.offer(bytes) == org.apache.pekko.stream.QueueOfferResult.closed());
    if (json.startsWith(EXIT)) {
      end();
    }
  }

  /** Whether it holds no line yet. */
  synchronized boolean isEmpty() {
    return count == 0;
  }

  /** No more lines: followers' streams complete, the file is closed. */
  synchronized void end() {
    if (ended) {
      return;
    }
    ended = true;
    for (BoundedSourceQueue<ByteString> follower : followers) {
      try {
        follower.complete();
      } catch (IllegalStateException e) {
        // its client went away: its stream is over already
      }
    }
    followers.clear();
    try {
      channel.close();
    } catch (IOException e) {
      // nothing more to write
    }
  }

  /**
   * The lines after the first {@code after}: those written already, from the file, then the live
   * ones until the build ends.
   */
  synchronized Source<ByteString, NotUsed> follow(long after) throws IOException {
    Source<ByteString, NotUsed> replay = Source.from(replay(file, after, count));
    if (ended) {
      return replay;
    }
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, NotUsed>> live =
        Source.<ByteString>queue(buffer).preMaterialize(system);
    followers.add(live.first());
    return replay.concat(live.second());
  }

  /** The lines of a finished build's log {@code file} after the first {@code after}. */
  static Source<ByteString, NotUsed> replay(Path file, long after) throws IOException {
    return Source.from(replay(file, after, Long.MAX_VALUE));
  }

  /** Whether {@code file} ends with a build's exit line. */
  static Optional<String> lastLine(Path file) throws IOException {
    String last = null;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        last = line;
      }
    }
    return Optional.ofNullable(last);
  }

  /** Whether {@code line} is a build's exit line. */
  static boolean isExit(String line) {
    return line.startsWith(EXIT);
  }

  private static List<ByteString> replay(Path file, long after, long upTo) throws IOException {
    List<ByteString> lines = new ArrayList<>();
    if (!Files.isRegularFile(file)) {
      return lines;
    }
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      long index = 0;
      for (String line = in.readLine(); line != null && index < upTo; line = in.readLine()) {
        if (index++ >= after) {
          lines.add(ByteString.fromString(line + "\n", StandardCharsets.UTF_8));
        }
      }
    }
    return lines;
  }
}
