package dev.kiln.engine.cluster;

import com.typesafe.config.Config;
import org.apache.pekko.cluster.ConfigValidation;
import org.apache.pekko.cluster.JoinConfigCompatChecker;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Refuses a node whose Kiln version or cluster name differs from the cluster's, when it asks to
 * join: Pekko runs it on the node that answers the join, and the refused node stops.
 */
public final class KilnJoinCheck extends JoinConfigCompatChecker {
  private static final Seq<String> KEYS =
      CollectionConverters.asScala(java.util.List.of("kiln.version", "kiln.cluster.name")).toSeq();

  /** Pekko makes it by reflection, without arguments. */
  public KilnJoinCheck() {}

  @Override
  public Seq<String> requiredKeys() {
    return KEYS;
  }

  @Override
  public ConfigValidation check(Config toCheck, Config actualConfig) {
    return JoinConfigCompatChecker.fullMatch(KEYS, toCheck, actualConfig);
  }
}
