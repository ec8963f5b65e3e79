package dev.kiln.engine.worker;

import dev.kiln.engine.executor.ExecException;
import dev.kiln.engine.executor.ExecMount;
import dev.kiln.engine.graph.CacheSharing;
import dev.kiln.engine.graph.Mount;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.solver.BuildInputs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves an exec op's mounts for the executor: input indices to snapshots, secret and ssh ids to
 * the build's secrets (a missing one fails the step unless optional), secret env vars to entries.
 */
final class ExecMounts {
  final List<ExecMount> mounts = new ArrayList<>();
  final List<String> env = new ArrayList<>();
  final Map<String, String> secretEnv = new LinkedHashMap<>();

  private ExecMounts() {}

  static ExecMounts resolve(List<Mount> mounts, List<Snapshot> inputs, BuildInputs secrets)
      throws ExecException {
    ExecMounts resolved = new ExecMounts();
    int sshCount = 0;
    for (Mount m : mounts) {
      switch (m.type()) {
        case BIND:
          Snapshot source = m.input().map(inputs::get).orElse(Snapshot.SCRATCH);
          resolved.mounts.add(new ExecMount.Bind(m.dest(), source, m.selector(), m.readonly()));
          break;
        case CACHE:
          resolved.mounts.add(
              new ExecMount.Cache(
                  m.dest(),
                  m.cacheId().orElseThrow(),
                  m.sharing().orElse(CacheSharing.SHARED),
                  m.mode().orElse(0755),
                  m.uid().orElse(0L),
                  m.gid().orElse(0L),
                  m.input().map(inputs::get),
                  m.selector()));
          break;
        case TMPFS:
          resolved.mounts.add(new ExecMount.Tmpfs(m.dest(), m.size()));
          break;
        case SECRET:
          resolved.secret(m, secrets);
          break;
        default:
          Optional<Path> agent = secrets.sshAgent(m.secretId().orElseThrow());
          if (agent.isEmpty()) {
            if (m.optional()) {
              break;
            }
            String id = m.secretId().get();
            throw new ExecException(
                "no ssh agent \""
                    + id
                    + "\" was given to the build: pass --ssh "
                    + id
                    + "=$SSH_AUTH_SOCK",
                -1);
          }
          resolved.mounts.add(new ExecMount.Socket(m.dest(), agent.get()));
          if (sshCount++ == 0) {
            resolved.env.add("SSH_AUTH_SOCK=" + m.dest());
          }
      }
    }
    return resolved;
  }

  private void secret(Mount m, BuildInputs secrets) throws ExecException {
    String id = m.secretId().orElseThrow();
    Optional<byte[]> data = secrets.secret(id);
    if (data.isEmpty()) {
      if (m.optional()) {
        return;
      }
      throw new ExecException(
          "secret \"" + id + "\" was not given to the build: pass --secret id=" + id + ",src=FILE",
          -1);
    }
    if (m.env().isPresent()) {
      secretEnv.put(m.env().get(), new String(data.get(), StandardCharsets.UTF_8));
    }
    if (m.hasDest()) {
      mounts.add(
          new ExecMount.SecretFile(
              m.dest(), data.get(), m.mode().orElse(0400), m.uid().orElse(0L), m.gid().orElse(0L)));
    }
  }
}
