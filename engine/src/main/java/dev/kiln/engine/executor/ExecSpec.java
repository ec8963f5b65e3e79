package dev.kiln.engine.executor;

import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import java.util.List;
import java.util.Map;

/**
 * What to run: the process, its environment and extra mounts inside the root filesystem. {@code
 * secretEnv} holds variables made from secrets: they win over {@code env} and never appear on a
 * command line (the host's process list shows those to every user).
 */
public record ExecSpec(
    List<String> args,
    List<String> env,
    String cwd,
    String user,
    NetworkMode network,
    SecurityMode security,
    List<ExecMount> mounts,
    Map<String, String> secretEnv) {
  public ExecSpec {
    args = List.copyOf(args);
    env = List.copyOf(env);
    mounts = List.copyOf(mounts);
    secretEnv = Map.copyOf(secretEnv);
  }

  /** A spec without secret variables. */
  public ExecSpec(
      List<String> args,
      List<String> env,
      String cwd,
      String user,
      NetworkMode network,
      SecurityMode security,
      List<ExecMount> mounts) {
    this(args, env, cwd, user, network, security, mounts, Map.of());
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

  @Override
  public String toString() {
    return "ExecSpec[args="
        + args
        + ", env="
        + env
        + ", cwd="
        + cwd
        + ", user="
        + user
        + ", mounts="
        + mounts
        + ", secretEnv="
        + secretEnv.keySet()
        + "]";
  }
}
