package dev.kiln.engine.executor;

import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import java.util.List;

/** What to run: the process and its environment inside the root filesystem. */
public record ExecSpec(
    List<String> args,
    List<String> env,
    String cwd,
    String user,
    NetworkMode network,
    SecurityMode security) {
  public ExecSpec {
    args = List.copyOf(args);
    env = List.copyOf(env);
  }
}
