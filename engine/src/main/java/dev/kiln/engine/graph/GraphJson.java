package dev.kiln.engine.graph;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;

/** The two Jackson mappers of the graph: a lenient-free reader and the canonical writer. */
public final class GraphJson {
  private static final ObjectMapper MAPPER = base().build();
  private static final ObjectMapper CANONICAL =
      base()
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .build();

  private GraphJson() {}

  private static JsonMapper.Builder base() {
    return JsonMapper.builder()
        .addModule(new Jdk8Module())
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .serializationInclusion(JsonInclude.Include.ALWAYS);
  }

  /** The mapper for reading and pretty-writing definitions. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** The mapper whose output is hashed: sorted keys, no whitespace. */
  public static ObjectMapper canonical() {
    return CANONICAL;
  }
}
