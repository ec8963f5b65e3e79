package dev.kiln.cli.daemon;

import dev.kiln.engine.job.BuildId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The daemon's builds by id: every running one, and the most recent finished ones (at most {@code
 * keepFinished}, oldest forgotten first). Held in memory: a daemon restart forgets them.
 */
final class BuildTable {
  private final int keepFinished;
  private final Map<BuildId, DaemonBuild> builds = new LinkedHashMap<>();

  BuildTable(int keepFinished) {
    this.keepFinished = keepFinished;
  }

  /** Adds a new running build. */
  synchronized DaemonBuild add(String dockerfile, List<String> args) {
    DaemonBuild build = new DaemonBuild(BuildId.next(), dockerfile, args);
    builds.put(build.id(), build);
    return build;
  }

  synchronized Optional<DaemonBuild> get(BuildId id) {
    return Optional.ofNullable(builds.get(id));
  }

  /** Every build known, newest first. */
  synchronized List<DaemonBuild> list() {
    List<DaemonBuild> all = new ArrayList<>(builds.values());
    java.util.Collections.reverse(all);
    return all;
  }

  /** {@code build} is over with {@code code}; the oldest finished builds beyond the limit go. */
  synchronized void finished(DaemonBuild build, int code) {
    build.finished(code);
    long over =
        builds.values().stream().filter(b -> b.state() != DaemonBuild.State.RUNNING).count()
            - keepFinished;
    for (Iterator<DaemonBuild> it = builds.values().iterator(); over > 0 && it.hasNext(); ) {
      if (it.next().state() != DaemonBuild.State.RUNNING) {
        it.remove();
        over--;
      }
    }
  }
}
