package dev.kiln.engine.graph;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable point in a build graph under construction, like BuildKit's {@code llb.State}: a
 * filesystem (the output of some op, or scratch) plus the environment, working directory and user
 * that the next {@link #run} uses. Every method returns a new state.
 *
 * <pre>{@code
 * State base = State.source("oci-layout:///layouts/busybox:latest");
 * State a = base.run("sh", "-c", "echo a > /a").describe("make a");
 * Definition def = State.merge(a, base.run("touch", "/b")).definition();
 * }</pre>
 */
public final class State {
  private final Optional<Node> node;
  private final List<String> env;
  private final String cwd;
  private final String user;
  private final NetworkMode network;

  /** An op with the states it reads; digests are computed when the definition is made. */
  private record Node(Op op, List<State> inputs, VertexMeta meta) {}

  private State(
      Optional<Node> node, List<String> env, String cwd, String user, NetworkMode network) {
    this.node = node;
    this.env = List.copyOf(env);
    this.cwd = cwd;
    this.user = user;
    this.network = network;
  }

  public static State scratch() {
    return new State(Optional.empty(), List.of(), "/", "0", NetworkMode.NONE);
  }

  /** A source op: {@code oci-layout://DIR[:tag]}, {@code local://NAME}, {@code scratch}. */
  public static State source(String identifier) {
    return scratch().withNode(SourceOp.of(identifier), List.of());
  }

  /** Any source op, with its attributes ({@code http.checksum}, ...). */
  public static State source(SourceOp op) {
    return scratch().withNode(op, List.of());
  }

  /** A local directory named {@code name}, filtered by include and exclude patterns. */
  public static State local(String name, List<String> include, List<String> exclude) {
    return scratch().withNode(new SourceOp("local://" + name, include, exclude), List.of());
  }

  /** The filesystems of {@code states} stacked, later ones on top. */
  public static State merge(State... states) {
    return states[0].withNode(new MergeOp(), List.of(states));
  }

  public State env(String key, String value) {
    List<String> next = new ArrayList<>();
    for (String entry : env) {
      if (!entry.startsWith(key + "=")) {
        next.add(entry);
      }
    }
    next.add(key + "=" + value);
    return new State(node, next, cwd, user, network);
  }

  public State dir(String path) {
    return new State(node, env, path, user, network);
  }

  public State user(String spec) {
    return new State(node, env, cwd, spec, network);
  }

  public State network(NetworkMode mode) {
    return new State(node, env, cwd, user, mode);
  }

  /** Runs {@code args} on this filesystem with this state's env, cwd, user and network. */
  public State run(String... args) {
    ExecOp op = new ExecOp(List.of(args), env, cwd, user, network, SecurityMode.SANDBOX, List.of());
    return withNode(op, node.isPresent() ? List.of(this) : List.of());
  }

  /**
   * Runs {@code args} like {@link #run(String...)}, with extra mounts and a security mode. The root
   * filesystem stays input 0 (scratch as an explicit source when this state is scratch and a mount
   * reads an input); each mount with a state reads the next input.
   */
  public State run(List<RunMount> mounts, SecurityMode security, List<String> args) {
    List<State> inputs = new ArrayList<>();
    boolean mountInputs = mounts.stream().anyMatch(m -> m.from().isPresent());
    if (node.isPresent()) {
      inputs.add(this);
    } else if (mountInputs) {
      inputs.add(source("scratch"));
    }
    List<Mount> resolved = new ArrayList<>();
    for (RunMount m : mounts) {
      if (m.from().isEmpty()) {
        resolved.add(m.mount());
        continue;
      }
      State from = m.from().get();
      inputs.add(from.node.isPresent() ? from : source("scratch"));
      resolved.add(m.mount().withInput(inputs.size() - 1));
    }
    ExecOp op = new ExecOp(args, env, cwd, user, network, security, resolved);
    return withNode(op, inputs);
  }

  /** Applies file actions; copy actions name their source by index in {@code sources}+1. */
  public State file(List<FileAction> actions, State... sources) {
    List<State> inputs = new ArrayList<>();
    inputs.add(this);
    inputs.addAll(List.of(sources));
    return withNode(new FileOp(actions), inputs);
  }

  /** Copies {@code src} of {@code from} to {@code dest} of this state, making parents. */
  public State copy(State from, String src, String dest) {
    return file(List.of(FileAction.Copy.of(1, src, dest)), from);
  }

  /**
   * A nested build: solves the definition this state holds at {@code definitionPath}, as part of
   * the same build; the result is the nested root's filesystem.
   */
  public State build(String definitionPath) {
    return withNode(new BuildOp(definitionPath), List.of(this));
  }

  /** Writes {@code data} to the file {@code path} of this state, making its parents. */
  public State mkfile(String path, String data) {
    List<FileAction> actions = new ArrayList<>();
    int slash = path.lastIndexOf('/');
    if (slash > 0) {
      actions.add(new FileAction.Mkdir(path.substring(0, slash), 0755, true, Optional.empty()));
    }
    actions.add(new FileAction.Mkfile(path, 0644, data, Optional.empty()));
    return file(actions);
  }

  /** Sets the description shown in progress for the op that made this state. */
  public State describe(String description) {
    Node current = node.orElseThrow(() -> new IllegalStateException("scratch has no op"));
    Node described =
        new Node(current.op(), current.inputs(), current.meta().withDescription(description));
    return new State(Optional.of(described), env, cwd, user, network);
  }

  /** {@link #ignoreCache()} when {@code ignore}, else this state. */
  public State ignoreCacheIf(boolean ignore) {
    return ignore ? ignoreCache() : this;
  }

  /** Marks the op that made this state to run even when a cached result exists. */
  public State ignoreCache() {
    Node current = node.orElseThrow(() -> new IllegalStateException("scratch has no op"));
    Node uncached = new Node(current.op(), current.inputs(), current.meta().withIgnoreCache(true));
    return new State(Optional.of(uncached), env, cwd, user, network);
  }

  private State withNode(Op op, List<State> inputs) {
    List<State> real = inputs.stream().filter(s -> s.node.isPresent()).toList();
    if (op instanceof FileOp && !inputs.isEmpty() && inputs.get(0).node.isEmpty()) {
      throw new IllegalArgumentException("file ops on scratch: use State.source(\"scratch\")");
    }
    return new State(Optional.of(new Node(op, real, VertexMeta.EMPTY)), env, cwd, user, network);
  }

  /** The definition whose root is this state. */
  public Definition definition() {
    Map<Digest, Vertex> vertices = new LinkedHashMap<>();
    Digest root =
        marshal(
            node.orElseGet(() -> new Node(SourceOp.of("scratch"), List.of(), VertexMeta.EMPTY)),
            vertices,
            new IdentityHashMap<>());
    return new Definition(vertices, Input.of(root));
  }

  private static Digest marshal(Node node, Map<Digest, Vertex> vertices, Map<Node, Digest> done) {
    Digest known = done.get(node);
    if (known != null) {
      return known;
    }
    List<Input> inputs = new ArrayList<>();
    for (State input : node.inputs()) {
      inputs.add(Input.of(marshal(input.node.orElseThrow(), vertices, done)));
    }
    Vertex vertex = new Vertex(node.op(), inputs, node.meta());
    Digest digest = VertexDigests.of(vertex);
    vertices.putIfAbsent(digest, vertex);
    done.put(node, digest);
    return digest;
  }
}
