package dev.kiln.engine.job;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a root's build jobs are journaled: Pekko Persistence's LevelDB journal through LevelDB JNI
 * under {@code ROOT/journal}, every write synced, and its snapshot store under {@code
 * ROOT/snapshots-journal} (design.md's layout). The plugins start when the first job does, so a
 * process that runs no job pays nothing for them.
 */
public final class JobJournal {
  private JobJournal() {}

  /**
   * What a job's entity (a build's job, the index, the history) does when a write fails: it
   * restarts, from what its journal holds, after a backoff.
   */
  static final org.apache.pekko.actor.typed.BackoffSupervisorStrategy RESTART_ON_FAILED_WRITE =
      org.apache.pekko.actor.typed.SupervisorStrategy.restartWithBackoff(
          java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(10), 0.2);

  /**
   * The actor system settings for {@code root}'s journal, whose directories it makes: LevelDB makes
   * only the last level of its own, and would fail on a root not made yet. Ended jobs are erased
   * after {@link JobHistory#DEFAULT_KEEP}.
   */
  public static Config config(Path root) {
    return config(root, JobHistory.DEFAULT_KEEP);
  }

  /** {@link #config(Path)}, erasing ended jobs once they have been over for {@code keepJobs}. */
  public static Config config(Path root, java.time.Duration keepJobs) {
    Path absolute = root.toAbsolutePath();
    try {
      java.nio.file.Files.createDirectories(absolute.resolve("journal"));
      java.nio.file.Files.createDirectories(absolute.resolve("snapshots-journal"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot make the job journal under " + root, e);
    }
    return ConfigFactory.parseMap(
        Map.of(
            Jobs.KEEP_DURATION,
            keepJobs.toMillis() + "ms",
            Jobs.SCOPE,
            "",
            Jobs.READ_JOURNAL,
            org.apache.pekko.persistence.query.journal.leveldb.javadsl.LeveldbReadJournal
                .Identifier(),
            "pekko.persistence.journal.plugin",
            "pekko.persistence.journal.leveldb",
            "pekko.persistence.journal.leveldb.dir",
            absolute.resolve("journal").toString(),
            "pekko.persistence.journal.leveldb.native",
            "on",
            "pekko.persistence.journal.leveldb.fsync",
            "on",
            "pekko.persistence.snapshot-store.plugin",
            "pekko.persistence.snapshot-store.local",
            "pekko.persistence.snapshot-store.local.dir",
            absolute.resolve("snapshots-journal").toString()));
  }

  /**
   * The actor system settings for a journal {@code journal} names, which the coordinators of a
   * cluster share (Pekko Persistence JDBC on PostgreSQL); {@code node} is this node's cluster
   * address, which its index of unfinished jobs and its history are named for.
   */
  public static Config shared(SharedJournal journal, String node, java.time.Duration keepJobs) {
    String db = "pekko-persistence-jdbc.shared-databases.kiln.";
    Map<String, Object> values = new java.util.HashMap<>();
    values.put(Jobs.KEEP_DURATION, keepJobs.toMillis() + "ms");
    values.put(Jobs.SCOPE, "@" + node);
    values.put(Jobs.READ_JOURNAL, "jdbc-read-journal");
    values.put("pekko.persistence.journal.plugin", "jdbc-journal");
    values.put("pekko.persistence.snapshot-store.plugin", "jdbc-snapshot-store");
    values.put("jdbc-journal.use-shared-db", "kiln");
    values.put("jdbc-snapshot-store.use-shared-db", "kiln");
    values.put("jdbc-read-journal.use-shared-db", "kiln");
    values.put(db + "profile", "slick.jdbc.PostgresProfile$");
    values.put(db + "db.url", journal.url());
    values.put(db + "db.user", journal.user());
    values.put(db + "db.password", journal.password());
    values.put(db + "db.driver", "org.postgresql.Driver");
    values.put(db + "db.numThreads", 4);
    values.put(db + "db.maxConnections", 4);
    values.put(db + "db.minConnections", 1);
    return ConfigFactory.parseMap(values);
  }
}
