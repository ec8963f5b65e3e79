package dev.kiln.engine.graph;

import java.util.List;
import java.util.Set;

/** Rejects ops that can never run, before anything runs, naming the vertex at fault. */
public final class OpValidator {
  private static final Set<String> SCHEMES =
      Set.of("scratch", "local", "oci-layout", "docker-image", "git", "https", "http");

  private OpValidator() {}

  /** Throws {@link InvalidDefinitionException} naming {@code who} in {@code file}. */
  public static void validate(Vertex vertex, String who, String file) {
    String problem = problem(vertex);
    if (problem != null) {
      throw new InvalidDefinitionException(file + ": " + who + ": " + problem);
    }
  }

  private static String problem(Vertex vertex) {
    int inputs = vertex.inputs().size();
    Op op = vertex.op();
    if (op instanceof SourceOp s) {
      return source(s, inputs);
    } else if (op instanceof ExecOp e) {
      return exec(e, inputs);
    } else if (op instanceof FileOp f) {
      return file(f, inputs);
    } else if (op instanceof MergeOp) {
      return inputs == 0 ? "merge op needs at least one input" : null;
    } else if (op instanceof DiffOp) {
      return inputs != 2 ? "diff op needs exactly two inputs (lower, upper)" : null;
    } else if (op instanceof BuildOp b) {
      return inputs != 1 ? "build op needs exactly one input" : path(b.definitionPath());
    }
    throw new IllegalStateException("unknown op " + op);
  }

  private static String source(SourceOp s, int inputs) {
    if (inputs != 0) {
      return "source op takes no inputs";
    }
    if (!SCHEMES.contains(s.scheme())) {
      return "unknown source \""
          + s.identifier()
          + "\" (known: "
          + String.join(", ", SCHEMES.stream().sorted().toList())
          + ")";
    }
    if (!s.scheme().equals("scratch") && s.location().isBlank()) {
      return "source \"" + s.identifier() + "\" names nothing after ://";
    }
    return null;
  }

  private static String exec(ExecOp e, int inputs) {
    if (e.args().isEmpty()) {
      return "exec op has no args";
    }
    if (inputs > 1 + e.mounts().size()) {
      return "exec op has more inputs than mounts";
    }
    for (String env : e.env()) {
      if (!env.contains("=") || env.startsWith("=")) {
        return "env entry \"" + env + "\" is not KEY=VALUE";
      }
    }
    String problem = path(e.cwd());
    if (problem != null) {
      return "cwd: " + problem;
    }
    for (Mount m : e.mounts()) {
      problem = m.hasDest() ? path(m.dest()) : null;
      if (problem == null) {
        problem = mountProblem(m);
      }
      if (problem != null) {
        return "mount: " + problem;
      }
      if (m.input().isPresent() && (m.input().get() < 0 || m.input().get() >= inputs)) {
        return "mount at "
            + m.dest()
            + " names input "
            + m.input().get()
            + ", but the vertex has "
            + inputs;
      }
    }
    return null;
  }

  private static String mountProblem(Mount m) {
    switch (m.type()) {
      case CACHE:
        return m.cacheId().filter(id -> !id.isEmpty()).isEmpty()
            ? "cache mount at " + m.dest() + " has no cacheId"
            : null;
      case SECRET:
      case SSH:
        return m.secretId().filter(id -> !id.isEmpty()).isEmpty()
            ? m.type().name().toLowerCase(java.util.Locale.ROOT)
                + " mount at "
                + m.dest()
                + " has no secretId"
            : null;
      default:
        return m.selector().isEmpty() || m.selector().startsWith("/")
            ? null
            : "selector \"" + m.selector() + "\" is not absolute";
    }
  }

  private static String file(FileOp f, int inputs) {
    if (f.actions().isEmpty()) {
      return "file op has no actions";
    }
    for (FileAction action : f.actions()) {
      String problem;
      if (action instanceof FileAction.Mkdir m) {
        problem = path(m.path());
      } else if (action instanceof FileAction.Mkfile m) {
        problem = path(m.path());
      } else if (action instanceof FileAction.Rm r) {
        problem = path(r.path());
      } else {
        problem = copy((FileAction.Copy) action, inputs);
      }
      if (problem != null) {
        return action.summary() + ": " + problem;
      }
    }
    return null;
  }

  private static String copy(FileAction.Copy c, int inputs) {
    if (c.input() < 0 || c.input() >= inputs) {
      return "copies from input " + c.input() + ", but the vertex has " + inputs;
    }
    String problem = path(c.src());
    return problem != null ? problem : path(c.dest());
  }

  /** Paths must be absolute and must not climb out of their root. */
  static String path(String path) {
    if (path == null || path.isEmpty()) {
      return "path is empty";
    }
    if (!path.startsWith("/")) {
      return "path \"" + path + "\" is not absolute";
    }
    if (path.indexOf('\0') >= 0) {
      return "path contains a NUL byte";
    }
    if (GraphPaths.climbsOutOfRoot(path)) {
      return "path \"" + path + "\" climbs out of its root with ..";
    }
    return null;
  }

  static List<String> knownSchemes() {
    return SCHEMES.stream().sorted().toList();
  }
}
