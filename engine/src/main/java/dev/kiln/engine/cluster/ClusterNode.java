package dev.kiln.engine.cluster;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;

/** This engine's membership in a Kiln cluster: joining it, and what it sees of it. */
public final class ClusterNode {
  private final Cluster cluster;
  private final ClusterSettings settings;

  private ClusterNode(Cluster cluster, ClusterSettings settings) {
    this.cluster = cluster;
    this.settings = settings;
  }

  /**
   * Joins the cluster {@code system} was configured for ({@link ClusterConfig}) and waits until
   * this node is Up; a refusal, or no seed answering within the join timeout, is an error that says
   * which.
   */
  public static ClusterNode join(ActorSystem<?> system, ClusterSettings settings)
      throws IOException {
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
    Cluster cluster = Cluster.get(classic);
    CompletableFuture<Boolean> up = new CompletableFuture<>();
    cluster.registerOnMemberUp(() -> up.complete(true));
    system.getWhenTerminated().thenRun(() -> up.complete(false));
    boolean joined;
    try {
      // Pekko stops the system itself once the join timeout passes; this bound is a backstop.
      joined =
          up.get(
              settings.joinTimeout().plus(Duration.ofSeconds(30)).toMillis(),
              TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while joining the cluster", e);
    } catch (ExecutionException | TimeoutException e) {
      joined = false;
    }
    if (!joined) {
      throw new IOException(whyNotJoined(classic, settings));
    }
    return new ClusterNode(cluster, settings);
  }

  private static String whyNotJoined(
      org.apache.pekko.actor.ActorSystem classic, ClusterSettings settings) {
    Optional<CoordinatedShutdown.Reason> reason =
        CoordinatedShutdown.get(classic).getShutdownReason();
    String seeds = String.join(", ", settings.seeds().stream().map(HostPort::toString).toList());
    if (reason.equals(Optional.of(CoordinatedShutdown.incompatibleConfigurationDetectedReason()))) {
      return "the cluster at "
          + seeds
          + " refused this node: its Kiln version or cluster name differs (this node: cluster "
          + settings.name()
          + ", Kiln "
          + classic.settings().config().getString("kiln.version")
          + ")";
    }
    return "could not join the cluster: no node at "
        + seeds
        + " answered within "
        + settings.joinTimeout().toSeconds()
        + " s (check --join: each address must be a node's --cluster-bind"
        + (settings.tls().isPresent()
            ? "; and that the seeds use TLS with this node's CA and a certificate sharing its subject"
                + " name)"
            : "; a seed that uses TLS does not answer a node without it)");
  }

  /** The settings this node joined with. */
  public ClusterSettings settings() {
    return settings;
  }

  /** What this node sees of the cluster now. */
  public ClusterStatus status() {
    ClusterEvent.CurrentClusterState state = cluster.state();
    Set<Member> unreachable = new HashSet<>();
    state.getUnreachable().forEach(unreachable::add);
    List<ClusterMember> members = new ArrayList<>();
    for (Member member : state.getMembers()) {
      members.add(
          new ClusterMember(
              hostPort(member.address()),
              status(member.status()),
              !unreachable.contains(member),
              ClusterConfig.visibleRoles(member.getRoles()),
              ClusterConfig.slots(member.getRoles()),
              member.appVersion().version()));
    }
    return new ClusterStatus(
        settings.name(),
        hostPort(cluster.selfAddress()),
        Optional.ofNullable(state.getLeader()).map(ClusterNode::hostPort),
        members);
  }

  /**
   * Whether a node ({@code HOST:PORT}) is an Up, reachable member of the cluster {@code system} is
   * in, as this node sees it now.
   */
  public static java.util.function.Predicate<String> members(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(Adapter.toClassic(system));
    return node -> {
      ClusterEvent.CurrentClusterState state = cluster.state();
      Set<Member> unreachable = new HashSet<>();
      state.getUnreachable().forEach(unreachable::add);
      for (Member member : state.getMembers()) {
        if (hostPort(member.address()).equals(node)
            && member.status() == MemberStatus.up()
            && !unreachable.contains(member)) {
          return true;
        }
      }
      return false;
    };
  }

  /**
   * Whether a node ({@code HOST:PORT}) has left the cluster {@code system} is in, as this node sees
   * it now: no member there, or only one that is down or removed (a node killed outright is
   * unreachable first, until the split-brain resolver downs it).
   */
  public static java.util.function.Predicate<String> gone(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(Adapter.toClassic(system));
    return node -> {
      for (Member member : cluster.state().getMembers()) {
        if (hostPort(member.address()).equals(node)
            && member.status() != MemberStatus.down()
            && member.status() != MemberStatus.removed()) {
          return false;
        }
      }
      return true;
    };
  }

  /** A member's address as Kiln writes it: its {@code --cluster-bind}, {@code HOST:PORT}. */
  public static String hostPort(org.apache.pekko.actor.Address address) {
    return address.getHost().orElse("?") + ":" + address.getPort().map(String::valueOf).orElse("?");
  }

  private static String status(MemberStatus status) {
    String name = status.toString();
    return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
  }
}
