package dev.kiln.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fusesource.leveldbjni.JniDBFactory;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;

/**
 * Finds a text anywhere in a Kiln root, once no engine has it open: in every regular file's bytes
 * (gzip decompressed too), and in every key and value of its LevelDB stores (journal, cache
 * metadata), whose table files are Snappy-compressed and so hide their bytes from a plain search.
 */
final class RootSearch {
  private RootSearch() {}

  /** Where {@code root} holds {@code text}: files, and stores' entries as {@code DIR[key]}. */
  static List<String> holding(Path root, String text) throws IOException {
    List<String> found = new ArrayList<>();
    List<Path> stores = new ArrayList<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path file : (Iterable<Path>) paths::iterator) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        if (file.getFileName().toString().equals("CURRENT")) {
          stores.add(file.getParent());
        }
        if (Bytes.holds(Files.readAllBytes(file), text)) {
          found.add(root.relativize(file).toString());
        }
      }
    }
    for (Path store : stores) {
      found.addAll(entriesHolding(root, store, text));
    }
    return found;
  }

  private static List<String> entriesHolding(Path root, Path store, String text)
      throws IOException {
    List<String> found = new ArrayList<>();
    try (DB db = JniDBFactory.factory.open(store.toFile(), new Options().createIfMissing(false));
        DBIterator entries = db.iterator()) {
      for (entries.seekToFirst(); entries.hasNext(); ) {
        Map.Entry<byte[], byte[]> entry = entries.next();
        if (Bytes.holds(entry.getKey(), text) || Bytes.holds(entry.getValue(), text)) {
          String key =
              new String(entry.getKey(), StandardCharsets.ISO_8859_1).replaceAll("[^ -~]", ".");
          found.add(root.relativize(store) + "[" + key + "]");
        }
      }
    }
    return found;
  }
}
