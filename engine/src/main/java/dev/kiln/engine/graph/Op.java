package dev.kiln.engine.graph;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** One operation of the build graph; its identity is its canonical JSON plus its inputs. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = SourceOp.class, name = "source"),
  @JsonSubTypes.Type(value = ExecOp.class, name = "exec"),
  @JsonSubTypes.Type(value = FileOp.class, name = "file"),
  @JsonSubTypes.Type(value = MergeOp.class, name = "merge"),
  @JsonSubTypes.Type(value = DiffOp.class, name = "diff"),
  @JsonSubTypes.Type(value = BuildOp.class, name = "build")
})
public sealed interface Op permits SourceOp, ExecOp, FileOp, MergeOp, DiffOp, BuildOp {
  /** A short human description, used when the vertex has none. */
  String summary();
}
