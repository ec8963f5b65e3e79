package dev.kiln.engine.check;

import dev.kiln.engine.cache.CacheStore;
import dev.kiln.engine.cache.LayerMeta;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks the cache's records in {@code ROOT/meta}: every layer a record names must be committed.
 * Also finds size metadata kept for layers that are gone (a new layer can take a gone one's id, and
 * would then be given its size). A repair drops such records and metadata, nothing else: a dropped
 * record is a cache miss, its step runs again.
 */
final class RecordCheck {
  private final CacheStore cache;
  private final Set<String> present;
  private final Set<String> broken;

  /** How many records were read, and what is wrong. */
  record Result(int checked, List<Finding> findings) {}

  /** {@code present}: the committed layers; {@code broken}: layer ids there that are unusable. */
  RecordCheck(CacheStore cache, Set<String> present, Set<String> broken) {
    this.cache = cache;
    this.present = present;
    this.broken = broken;
  }

  Result run() throws IOException {
    List<CacheStore.Entry> entries = new ArrayList<>(cache.entries());
    entries.sort(Comparator.comparing(CacheStore.Entry::key));
    List<Finding> findings = new ArrayList<>();
    // Ids whose metadata may outlive their layer: those records name, those broken, parents.
    Set<String> named =
        new TreeSet<>(Comparator.comparingLong(RecordCheck::number).thenComparing(id -> id));
    named.addAll(broken);
    for (CacheStore.Entry entry : entries) {
      List<String> gone =
          entry.record().layers().stream().distinct().filter(id -> !present.contains(id)).toList();
      named.addAll(entry.record().layers());
      if (!gone.isEmpty()) {
        findings.add(
            Finding.fixable(
                Problem.Kind.RECORD_MISSING_LAYER,
                "cache record " + entry.key(),
                describe(entry)
                    + " names "
                    + (gone.size() == 1 ? "layer " : "layers ")
                    + String.join(", ", gone)
                    + (gone.size() == 1 ? ", which is gone" : ", which are gone"),
                Problem.Action.DROP_RECORD,
                () -> cache.delete(entry.key())));
      }
    }
    for (String id : present) {
      cache.layer(id).flatMap(LayerMeta::parent).ifPresent(named::add);
    }
    for (String id : named) {
      if (!present.contains(id) && cache.layer(id).isPresent()) {
        findings.add(
            Finding.fixable(
                Problem.Kind.STALE_LAYER_META,
                "layer metadata " + id,
                "kept for layer " + id + ", which is gone",
                Problem.Action.DROP_LAYER_META,
                () -> cache.deleteLayer(id)));
      }
    }
    return new Result(entries.size(), findings);
  }

  private static String describe(CacheStore.Entry entry) {
    String kind = entry.record().kind().isEmpty() ? "a record" : entry.record().kind();
    String description = entry.record().description();
    return description.isEmpty() ? kind : kind + " \"" + description + "\"";
  }

  /** A layer id's number, for ordering; ids that are not numbers (never committed) go last. */
  private static long number(String id) {
    return id.matches("\\d{1,18}") ? Long.parseLong(id) : Long.MAX_VALUE;
  }
}
