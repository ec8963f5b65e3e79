package dev.kiln.engine.graph;

import java.util.List;

/**
 * Runs a process in a root filesystem made from input 0 (or scratch when the vertex has no input);
 * its output 0 is that filesystem after the process ran.
 */
public record ExecOp(
    List<String> args,
    List<String> env,
    String cwd,
    String user,
    NetworkMode network,
    SecurityMode security,
    List<Mount> mounts)
    implements Op {
  public ExecOp {
    args = args == null ? List.of() : List.copyOf(args);
    env = env == null ? List.of() : List.copyOf(env);
    cwd = cwd == null || cwd.isEmpty() ? "/" : cwd;
    user = user == null || user.isEmpty() ? "0" : user;
    network = network == null ? NetworkMode.NONE : network;
    security = security == null ? SecurityMode.SANDBOX : security;
    mounts = mounts == null ? List.of() : List.copyOf(mounts);
  }

  public static ExecOp of(String... args) {
    return new ExecOp(List.of(args), List.of(), "/", "0", NetworkMode.NONE, null, List.of());
  }

  @Override
  public String summary() {
    return String.join(" ", args);
  }
}
