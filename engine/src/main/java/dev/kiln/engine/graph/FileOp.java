package dev.kiln.engine.graph;

import java.util.List;

/**
 * File actions applied in order to input 0 (or to scratch when the vertex has no input); copy
 * actions read from the inputs they name.
 */
public record FileOp(List<FileAction> actions) implements Op {
  public FileOp {
    actions = actions == null ? List.of() : List.copyOf(actions);
  }

  @Override
  public String summary() {
    return String.join("; ", actions.stream().map(FileAction::summary).toList());
  }
}
