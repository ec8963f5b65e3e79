package dev.kiln.engine.registry;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.graph.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Where the bytes of a blob being pushed come from; readable from any offset, more than once. */
@FunctionalInterface
public interface BlobSource {
  /** The blob's bytes from {@code offset} on. */
  InputStream open(long offset) throws IOException;

  static BlobSource of(Path file) {
    return offset -> {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
      channel.position(offset);
      return Channels.newInputStream(channel);
    };
  }

  static BlobSource of(byte[] bytes) {
    return offset -> new ByteArrayInputStream(bytes, (int) offset, bytes.length - (int) offset);
  }

  /** The blob {@code digest} of {@code store}. */
  static BlobSource of(ContentStore store, Digest digest) {
    return offset -> {
      Path path =
          store
              .path(digest)
              .orElseThrow(
                  () -> new NoSuchFileException("blob " + digest + " is not in the content store"));
      return of(path).open(offset);
    };
  }
}
