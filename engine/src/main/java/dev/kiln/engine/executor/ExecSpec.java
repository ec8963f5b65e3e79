package dev.kiln.engine.executor;

import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import java.util.List;

/** What to run: the process, its environment and extra mounts inside the root filesystem. */
public record ExecSpec(
    List<String> args,
    List<String> env,
    String cwd,
    String user,
    NetworkMode network,
    SecurityMode security,
    List<ExecMount> mounts) {
  public ExecSpec {
    args = List.copyOf(args);
    env = List.copyOf(env);
    mounts = List.copyOf(mounts);
  }

  /** A spec without extra mounts. */
  public ExecSpec(
      List<String> args,
      List<String> env,
      String cwd,
      String user,
      NetworkMode network,
      SecurityMode security) {
    this(args, env, cwd, user, network, security, List.of());
  }
}
