package dev.kiln.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The lock that gives one process a Kiln root (its journal, cache and store): {@code ROOT/lock},
 * held while an engine or a check runs. The holder writes its pid and command line into the file,
 * so that a second process is told who holds the root, not only that someone does.
 */
public final class RootLock implements AutoCloseable {
  private static final int MAX_HOLDER_BYTES = 4096;

  /**
   * The system property in which the command tells who it is ({@code kiln daemon --root …}), as the
   * lock file shows it; without it, the JVM's command line.
   */
  public static final String COMMAND_PROPERTY = "kiln.command";

  private final FileChannel channel;
  private final FileLock lock;

  private RootLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes {@code root}'s lock; throws, naming the holder and ending with {@code advice}, when
   * another process (or another engine of this one) holds it.
   */
  public static RootLock take(Path root, String advice) throws IOException {
    FileChannel channel =
        FileChannel.open(
            root.resolve("lock"),
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // an engine of this process holds it
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      String holder = holder(channel).map(h -> " (" + h + ")").orElse("");
      channel.close();
      throw new IOException("another kiln process" + holder + " is using " + root + "; " + advice);
    }
    try {
      byte[] me = describe(ProcessHandle.current()).getBytes(StandardCharsets.UTF_8);
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(me), 0);
    } catch (IOException e) {
      // Only the message of a second process loses its holder.
    }
    return new RootLock(channel, lock);
  }

  /** Who holds the lock, as its file says: {@code pid N: COMMAND}; empty if it does not say. */
  private static Optional<String> holder(FileChannel channel) {
    try {
      ByteBuffer bytes = ByteBuffer.allocate(MAX_HOLDER_BYTES);
      channel.read(bytes, 0);
      String text = new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8).strip();
      return text.startsWith("pid ") ? Optional.of(text) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** {@code pid N: COMMAND}, the command cut to 200 characters. */
  static String describe(ProcessHandle process) {
    String command =
        Optional.ofNullable(System.getProperty(COMMAND_PROPERTY))
            .or(() -> process.info().commandLine())
            .map(line -> line.replaceAll("\\s+", " "))
            .map(line -> line.length() > 200 ? line.substring(0, 199) + "…" : line)
            .orElse("?");
    return "pid " + process.pid() + ": " + command;
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
