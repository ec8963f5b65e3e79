package dev.kiln.exporter.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reconciles an image config's {@code history} with the layers the image really has, as BuildKit's
 * exporter does: entries that claim more layers than there are become empty (from the top); layers
 * no entry accounts for get an entry appended; an entry whose layer turned out empty (the step
 * changed nothing) is marked {@code empty_layer} and its layer dropped. Afterwards the entries
 * without {@code empty_layer} match the kept layers one to one, in order.
 */
final class ImageHistory {
  static final String ADDED_COMMENT = "kiln.exporter.image.v0";

  private ImageHistory() {}

  /**
   * The reconciled history. {@code layerKept} has one flag per snapshot layer, lowest first: false
   * for a layer dropped as empty. Entries without a time get {@code created}; with an epoch, no
   * entry is later than it.
   */
  static ArrayNode reconcile(
      List<ObjectNode> history, List<Boolean> layerKept, Instant created, Optional<Instant> epoch) {
    List<ObjectNode> entries = new ArrayList<>();
    history.forEach(h -> entries.add(h.deepCopy()));
    int layers = layerKept.size();
    int claimed = 0;
    for (ObjectNode entry : entries) {
      if (!isEmpty(entry)) {
        if (claimed >= layers) {
          entry.put("empty_layer", true);
        } else {
          claimed++;
        }
      }
    }
    for (; claimed < layers; claimed++) {
      ObjectNode added = JsonNodeFactory.instance.objectNode();
      added.put("comment", ADDED_COMMENT);
      entries.add(added);
    }
    int layer = 0;
    ArrayNode result = JsonNodeFactory.instance.arrayNode();
    for (ObjectNode entry : entries) {
      if (!isEmpty(entry)) {
        if (!layerKept.get(layer)) {
          entry.put("empty_layer", true);
        }
        layer++;
      }
      result.add(normalized(entry, created, epoch));
    }
    return result;
  }

  private static boolean isEmpty(JsonNode entry) {
    return entry.path("empty_layer").asBoolean(false);
  }

  /** The entry with its time settled and its fields in the order Go's image spec writes them. */
  private static ObjectNode normalized(ObjectNode entry, Instant created, Optional<Instant> epoch) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    Optional<Instant> own = time(entry.path("created"));
    Instant when = own.orElse(created);
    if (epoch.isPresent() && (own.isEmpty() || when.isAfter(epoch.get()))) {
      when = epoch.get();
    }
    out.put(
        "created",
        own.isPresent() && when.equals(own.get())
            ? entry.get("created").asText()
            : ImageConfigDocument.goTime(when));
    for (String field : List.of("created_by", "author", "comment")) {
      if (entry.hasNonNull(field)) {
        out.set(field, entry.get(field));
      }
    }
    if (isEmpty(entry)) {
      out.put("empty_layer", true);
    }
    entry
        .fields()
        .forEachRemaining(
            f -> {
              if (!out.has(f.getKey()) && !f.getKey().equals("empty_layer")) {
                out.set(f.getKey(), f.getValue());
              }
            });
    return out;
  }

  static Optional<Instant> time(JsonNode node) {
    if (!node.isTextual()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(node.asText()).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
