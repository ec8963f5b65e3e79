package dev.kiln.engine.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Explains a cache miss: which part of the vertex's key differs from the nearest earlier record of
 * the same step. Same inputs, other op: the step itself changed (which fields). Same op, other
 * inputs: an input changed (which one). A source with the same definition but another digest: the
 * image resolves elsewhere now, or the selected files changed (which ones, when known).
 */
public final class MissExplainer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_DIFFS = 3;
  private static final int MAX_VALUE = 80;

  /** A miss to explain, with the key parts the solver computed. */
  public record Miss(
      String name,
      String key,
      String opDigest,
      List<String> inputs,
      String op,
      boolean ignoredCache) {}

  private final List<CacheStore.Entry> earlier;
  private final Map<String, String> nameOfKey;
  private final Function<String, List<String>> changedFiles;

  /**
   * {@code earlier}: the records made before this build; {@code nameOfKey}: the step names of this
   * build's keys (to name a changed input); {@code changedFiles}: for a local source's op JSON, the
   * files that changed since it was last read.
   */
  public MissExplainer(
      List<CacheStore.Entry> earlier,
      Map<String, String> nameOfKey,
      Function<String, List<String>> changedFiles) {
    this.earlier = earlier;
    this.nameOfKey = nameOfKey;
    this.changedFiles = changedFiles;
  }

  public String explain(Miss miss) {
    if (miss.ignoredCache()) {
      return "the cache was ignored (--no-cache or --no-cache-filter, for this step or one below)";
    }
    if (miss.inputs().isEmpty()) {
      return explainSource(miss);
    }
    Optional<KeyParts> sameInputs =
        nearest(miss, p -> p.inputs().equals(miss.inputs()) && !p.op().isEmpty());
    if (sameInputs.isPresent()) {
      List<String> diffs = diff(sameInputs.get().op(), miss.op());
      return diffs.isEmpty() ? "the step changed" : "the step changed: " + String.join("; ", diffs);
    }
    Optional<KeyParts> sameOp = nearest(miss, p -> p.opDigest().equals(miss.opDigest()));
    if (sameOp.isPresent() && sameOp.get().inputs().size() == miss.inputs().size()) {
      List<String> changed = new ArrayList<>();
      for (int i = 0; i < miss.inputs().size(); i++) {
        if (!miss.inputs().get(i).equals(sameOp.get().inputs().get(i))) {
          String key = miss.inputs().get(i).replaceFirst("#\\d+$", "");
          changed.add(nameOfKey.getOrDefault(key, "input " + i));
        }
      }
      return "an input changed: " + String.join(", ", changed);
    }
    return "no earlier record of this step (new, or both it and its inputs changed)";
  }

  private String explainSource(Miss miss) {
    Optional<KeyParts> same = nearest(miss, p -> p.op().equals(miss.op()) && !p.op().isEmpty());
    if (same.isEmpty()) {
      return "no earlier record of this source";
    }
    String before = same.get().opDigest();
    String now = miss.opDigest();
    if (now.startsWith("image@")) {
      return "the image now resolves to "
          + now.substring(6)
          + " (was "
          + before.replace("image@", "")
          + ")";
    }
    if (now.startsWith("local@")) {
      List<String> files = changedFiles.apply(miss.op());
      return files.isEmpty()
          ? "the selected files changed"
          : "the selected files changed: " + String.join(", ", files);
    }
    return "the source's content changed (" + before + " -> " + now + ")";
  }

  /** The most recently used earlier record whose parts match, preferring the same step name. */
  private Optional<KeyParts> nearest(Miss miss, java.util.function.Predicate<KeyParts> matches) {
    String slot = slot(miss.name());
    return earlier.stream()
        .filter(e -> !e.key().value().equals(miss.key()) && matches.test(e.record().parts()))
        .max(
            Comparator.comparing(
                    (CacheStore.Entry e) -> slot(e.record().description()).equals(slot))
                .thenComparingLong(e -> e.record().lastUsedMillis()))
        .map(e -> e.record().parts());
  }

  /** A step's place in its Dockerfile ({@code [build 3/} of {@code [build 3/5] RUN ...}). */
  private static String slot(String name) {
    int slash = name.indexOf('/');
    return name.startsWith("[") && slash > 0 ? name.substring(0, slash) : name;
  }

  /** The fields that differ between two ops' JSON, as {@code path: old -> new}. */
  static List<String> diff(String before, String now) {
    List<String> out = new ArrayList<>();
    try {
      diff("", JSON.readTree(before), JSON.readTree(now), out);
    } catch (IOException e) {
      return List.of();
    }
    if (out.size() > MAX_DIFFS) {
      int more = out.size() - MAX_DIFFS;
      out = new ArrayList<>(out.subList(0, MAX_DIFFS));
      out.add("and " + more + " more");
    }
    return out;
  }

  private static void diff(String path, JsonNode before, JsonNode now, List<String> out) {
    if (before.equals(now)) {
      return;
    }
    if (before.isObject() && now.isObject()) {
      Set<String> fields = new LinkedHashSet<>();
      before.fieldNames().forEachRemaining(fields::add);
      now.fieldNames().forEachRemaining(fields::add);
      for (String field : fields) {
        diff(path.isEmpty() ? field : path + "." + field, before.path(field), now.path(field), out);
      }
      return;
    }
    if (before.isArray() && now.isArray() && before.size() == now.size()) {
      Iterator<JsonNode> a = before.elements();
      Iterator<JsonNode> b = now.elements();
      for (int i = 0; a.hasNext(); i++) {
        diff(path + "[" + i + "]", a.next(), b.next(), out);
      }
      return;
    }
    out.add(path + ": " + shown(before) + " -> " + shown(now));
  }

  private static String shown(JsonNode value) {
    String text = value.isMissingNode() ? "(none)" : value.toString();
    return text.length() > MAX_VALUE ? text.substring(0, MAX_VALUE - 3) + "..." : text;
  }
}
