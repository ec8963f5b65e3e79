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
 * keepFinished}, oldest forgotten first). Held in memory: after a restart it holds the builds
 * resumed and the new ones.
 */
final class BuildTable {
  private final int keepFinished;
  private final Map<BuildId, DaemonBuild> builds = new LinkedHashMap<>();

  BuildTable(int keepFinished) {
    this.keepFinished = keepFinished;
  }

  /** Adds a running build (a new one, or one resumed after a restart). */
  synchronized DaemonBuild add(
      BuildId id, String dockerfile, List<String> args, String submission, BuildLog log) {
    DaemonBuild build = new DaemonBuild(id, dockerfile, args, submission, log);
    builds.put(build.id(), build);
    return build;
  }

  synchronized Optional<DaemonBuild> get(BuildId id) {
    return Optional.ofNullable(builds.get(id));
  }

  /** Every build known, newest first. */
  /** Forgets build {@code id}: it runs elsewhere now. */
  synchronized void remove(BuildId id) {
    builds.remove(id);
  }

  synchronized List<DaemonBuild> list() {
    List<DaemonBuild> all = new ArrayList<>(builds.values());
    java.util.Collections.reverse(all);
    return all;
  }

  /** {@code build} is over with {@code code}; the oldest finished builds beyond the limit go. */
  synchronized void finished(DaemonBuild build, int code) {
    build.finished(code);
    long over = builds.values().stream().filter(b -> b.state().ended()).count() - keepFinished;
    for (Iterator<DaemonBuild> it = builds.values().iterator(); over > 0 && it.hasNext(); ) {
      if (it.next().state().ended()) {
        it.remove();
        over--;
      }
    }
  }
}
