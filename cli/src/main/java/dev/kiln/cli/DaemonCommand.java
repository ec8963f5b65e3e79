package dev.kiln.cli;

import dev.kiln.cli.daemon.DaemonServer;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.cache.GcPolicy;
import dev.kiln.engine.cache.Quantities;
import dev.kiln.engine.cluster.ClusterSettings;
import dev.kiln.engine.tls.TlsFiles;
import dev.kiln.frontend.dockerfile.BuildOptions;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kiln daemon}: one engine for many clients, serving the HTTP/JSON API of docs/api.md until
 * SIGTERM, when it stops listening, lets running builds end and closes the engine.
 */
@Command(name = "daemon", description = "Run the build service that kiln build --addr talks to.")
final class DaemonCommand implements Callable<Integer> {
  @Mixin RootOption root = new RootOption();

  @Option(
      names = "--addr",
      paramLabel = "ADDR",
      description =
          "Where to listen: unix:///PATH (a socket of mode 0660; default"
              + " unix:///run/kiln/kiln.sock as root, else $XDG_RUNTIME_DIR/kiln/kiln.sock) or"
              + " tcp://HOST:PORT on a loopback address.")
  java.util.Optional<String> addr = java.util.Optional.empty();

  @Option(
      names = "--max-upload",
      paramLabel = "SIZE",
      description = "The largest build context a client may send (default 10GiB).")
  java.util.Optional<String> maxUpload = java.util.Optional.empty();

  @Option(
      names = {"--exec-slots", "--slots"},
      paramLabel = "N",
      description =
          "How many steps may run at once, all builds together (default: two per core); in a"
              + " cluster, this node's execution slots.")
  java.util.Optional<Integer> execSlots = java.util.Optional.empty();

  @Option(
      names = "--build-slots",
      paramLabel = "N",
      description =
          "How many steps of one build may run at once (default: as many as the daemon runs).")
  java.util.Optional<Integer> buildSlots = java.util.Optional.empty();

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Settings as JSON (addr, root, maxUpload, execSlots, buildSlots, tls: cert, key, ca,"
              + " allowInsecureEntitlements);"
              + " flags override them.")
  java.util.Optional<java.nio.file.Path> config = java.util.Optional.empty();

  @Option(
      names = "--tlscert",
      paramLabel = "FILE",
      description = "Serve a tcp:// ADDR over TLS with this certificate (PEM).")
  java.util.Optional<java.nio.file.Path> tlsCert = java.util.Optional.empty();

  @Option(
      names = "--tlskey",
      paramLabel = "FILE",
      description = "The private key (PEM, PKCS#8) of --tlscert.")
  java.util.Optional<java.nio.file.Path> tlsKey = java.util.Optional.empty();

  @Option(
      names = "--tlscacert",
      paramLabel = "FILE",
      description =
          "Accept only clients whose certificate this CA (PEM) signed: mutual TLS, which an"
              + " address other than loopback needs.")
  java.util.Optional<java.nio.file.Path> tlsCa = java.util.Optional.empty();

  @Option(
      names = "--cluster-bind",
      paramLabel = "HOST:PORT",
      description =
          "Make this daemon a node of a Kiln cluster, reached by the others at HOST:PORT (Pekko"
              + " Artery TCP). Without it the daemon is a single node.")
  java.util.Optional<String> clusterBind = java.util.Optional.empty();

  @Option(
      names = "--data-port",
      paramLabel = "PORT",
      description =
          "The port of this node's data plane (layers other nodes fetch), on the --cluster-bind"
              + " host (default: any free port, announced to the others).")
  java.util.Optional<Integer> dataPort = java.util.Optional.empty();

  @Option(
      names = "--journal",
      paramLabel = "URL",
      description =
          "Journal build jobs in this PostgreSQL database (jdbc:postgresql://HOST:PORT/DB), shared"
              + " by the cluster's coordinators, instead of LevelDB under the root.")
  java.util.Optional<String> journalUrl = java.util.Optional.empty();

  @Option(
      names = "--journal-user",
      paramLabel = "NAME",
      description = "The --journal database's user (default: kiln).")
  java.util.Optional<String> journalUser = java.util.Optional.empty();

  @Option(
      names = "--journal-password-file",
      paramLabel = "FILE",
      description = "A file holding the --journal user's password (default: none).")
  java.util.Optional<java.nio.file.Path> journalPasswordFile = java.util.Optional.empty();

  @Option(
      names = "--cluster-tls-cert",
      paramLabel = "FILE",
      description =
          "This node's certificate (PEM) for mutual TLS between the nodes (cluster and data"
              + " traffic); every node's shares a subject name and names its own host.")
  java.util.Optional<java.nio.file.Path> clusterTlsCert = java.util.Optional.empty();

  @Option(
      names = "--cluster-tls-key",
      paramLabel = "FILE",
      description = "The private key (PKCS#8 PEM) of --cluster-tls-cert.")
  java.util.Optional<java.nio.file.Path> clusterTlsKey = java.util.Optional.empty();

  @Option(
      names = "--cluster-ca",
      paramLabel = "FILE",
      description = "The CA certificate (PEM) that signed every node's certificate.")
  java.util.Optional<java.nio.file.Path> clusterCa = java.util.Optional.empty();

  @Option(
      names = "--join",
      paramLabel = "HOST:PORT[,HOST:PORT...]",
      split = ",",
      description =
          "Nodes of the cluster to join through (their --cluster-bind); none: this node starts"
              + " a new cluster.")
  java.util.List<String> join = java.util.List.of();

  @Option(
      names = "--role",
      paramLabel = "all|coordinator|worker",
      description = "What this node does in the cluster (default: all).")
  java.util.Optional<String> role = java.util.Optional.empty();

  @Option(
      names = "--cluster-name",
      paramLabel = "NAME",
      description = "The cluster's name; a node of another cluster is refused (default: kiln).")
  java.util.Optional<String> clusterName = java.util.Optional.empty();

  @Option(
      names = "--split-brain",
      paramLabel = "keep-majority|keep-oldest|down-all",
      description =
          "What the nodes on each side do when the cluster splits (default: keep-majority; see"
              + " docs/cluster.md).")
  java.util.Optional<String> splitBrain = java.util.Optional.empty();

  @Option(
      names = "--down-after",
      paramLabel = "DURATION",
      description =
          "How long a node may be unreachable before the split-brain resolver downs it"
              + " (default: 20s).")
  java.util.Optional<String> downAfter = java.util.Optional.empty();

  @Option(
      names = "--join-timeout",
      paramLabel = "DURATION",
      description = "How long to try joining before giving up (default: 60s).")
  java.util.Optional<String> joinTimeout = java.util.Optional.empty();

  @Option(
      names = "--allow-insecure-entitlement",
      paramLabel = "ENTITLEMENT",
      description =
          "Grant network.host or security.insecure to the builds that ask with --allow, as"
              + " buildkitd; repeatable (none by default).")
  java.util.List<String> entitlements = java.util.List.of();

  @Override
  public Integer call() throws Exception {
    DaemonAddress address;
    long limit;
    java.nio.file.Path rootDir;
    EngineConfig engineConfig;
    java.util.Set<String> granted;
    try {
      DaemonConfig file = config.isPresent() ? DaemonConfig.read(config.get()) : DaemonConfig.NONE;
      java.util.Optional<String> addr = this.addr.or(file::addr);
      java.util.Optional<TlsFiles> tls =
          TlsFiles.of(tlsCert.or(file::tlsCert), tlsKey.or(file::tlsKey), tlsCa.or(file::tlsCa));
      rootDir = root.root.or(file::root).orElseGet(RootOption::defaultRoot);
      int slots = execSlots.or(file::execSlots).orElse(0);
      int perBuild = buildSlots.or(file::buildSlots).orElse(0);
      engineConfig =
          new EngineConfig(rootDir, slots, java.util.Map.of())
              .withBuildSlots(perBuild)
              .withGc(GcPolicy.load(GcPolicy.defaultFile(System.getenv())))
              .withKeepJobs(RootOption.keepJobs());
      if (tls.isPresent() && tls.get().cert().isEmpty()) {
        throw new IllegalArgumentException("--tlscacert needs --tlscert and --tlskey");
      }
      address = addr.map(a -> DaemonAddress.parse(a, tls)).orElseGet(DaemonCommand::defaultSocket);
      if (address instanceof DaemonAddress.Tcp tcp
          && tcp.tls().isPresent()
          && !tcp.tls().get().mutual()
          && !java.net.InetAddress.getByName(tcp.host()).isLoopbackAddress()) {
        throw new IllegalArgumentException(
            "--addr "
                + address
                + ": an address other than loopback needs mutual TLS (add --tlscacert with the"
                + " clients' CA)");
      }
      if (tls.isPresent() && addr.isEmpty()) {
        throw new IllegalArgumentException("TLS is for tcp:// addresses: give --addr tcp://…");
      }
      java.util.Optional<ClusterSettings> cluster = cluster(file.cluster());
      if (cluster.isPresent()) {
        if (cluster.get().tls().isPresent()) {
          cluster.get().tls().get().context(); // a bad file is named now, not at the first peer
        }
        engineConfig = engineConfig.withCluster(cluster.get());
      }
      limit = maxUpload.map(Quantities::parseSize).or(file::maxUpload).orElse(10L << 30);
      granted = new java.util.TreeSet<>(file.entitlements());
      for (String entitlement : entitlements) {
        if (!BuildOptions.ENTITLEMENTS.contains(entitlement)) {
          throw new IllegalArgumentException(
              "--allow-insecure-entitlement "
                  + entitlement
                  + ": unknown (network.host or security.insecure)");
        }
        granted.add(entitlement);
      }
    } catch (IllegalArgumentException | java.io.IOException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    RemoteBuild.prewarm(); // the builds it resumes and the first it gets parse their options
    Engine engine;
    try {
      engine = Engine.start(engineConfig);
    } catch (java.io.IOException | RuntimeException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    engine.startReport().forEach(line -> System.err.println("warning: " + line));
    DaemonServer server;
    try {
      server = DaemonServer.start(engine, rootDir, address, limit, granted);
    } catch (java.io.IOException e) {
      engine.close();
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean stopping =
        new java.util.concurrent.atomic.AtomicBoolean();
    Runnable stop =
        () -> {
          if (!stopping.compareAndSet(false, true)) {
            return;
          }
          try {
            server.close();
            engine.close();
          } catch (Exception e) {
            System.err.println("kiln daemon: " + e.getMessage());
          } finally {
            stopped.countDown();
          }
        };
    engine.onJvmShutdown(stop);
    java.util.concurrent.atomic.AtomicInteger exit =
        new java.util.concurrent.atomic.AtomicInteger();
    engine
        .stoppedByItself()
        .thenAccept(
            why -> {
              System.err.println(
                  "error: "
                      + why
                      + ": this daemon exits; start it again (systemd's Restart=on-failure does) to"
                      + " join as a new member");
              exit.set(1);
              stop.run();
            });
    System.err.println(
        "kiln daemon listening on "
            + server.address()
            + " ("
            + engine.describe()
            + ", root "
            + rootDir
            + ")");
    stopped.await();
    return exit.get();
  }

  /** As buildkitd's: under /run as root, else in the user's runtime directory. */
  static DaemonAddress defaultSocket() {
    if (HostMode.current().systemWide()) {
      return new DaemonAddress.Unix(java.nio.file.Path.of("/run/kiln/kiln.sock"));
    }
    String runtime = System.getenv("XDG_RUNTIME_DIR");
    // In a user namespace Java's user.name is its root's: the host's uid names the user instead.
    java.nio.file.Path dir =
        runtime != null && !runtime.isEmpty()
            ? java.nio.file.Path.of(runtime, "kiln")
            : java.nio.file.Path.of(
                System.getProperty("java.io.tmpdir"), "kiln-" + HostMode.hostUid());
    return new DaemonAddress.Unix(dir.resolve("kiln.sock"));
  }

  /**
   * The cluster settings the options give, each over the config file's {@code cluster} object; none
   * without --cluster-bind (or {@code cluster.bind}).
   */
  private java.util.Optional<ClusterSettings> cluster(DaemonConfig.Cluster file) {
    DaemonConfig.Cluster given =
        new DaemonConfig.Cluster(
            clusterBind.or(file::bind),
            join.isEmpty() ? file.join() : join,
            role.or(file::role),
            clusterName.or(file::name),
            splitBrain.or(file::splitBrain),
            downAfter.or(file::downAfter),
            joinTimeout.or(file::joinTimeout),
            clusterTlsCert.or(file::tlsCert),
            clusterTlsKey.or(file::tlsKey),
            clusterCa.or(file::tlsCa),
            dataPort.or(file::dataPort),
            journalUrl.or(file::journalUrl),
            journalUser.or(file::journalUser),
            journalPasswordFile.or(file::journalPasswordFile));
    if (given.bind().isEmpty()) {
      if (!given.equals(DaemonConfig.Cluster.NONE)) {
        throw new IllegalArgumentException(
            "--join, --role, --cluster-name, --split-brain, --down-after, --join-timeout,"
                + " --data-port, --cluster-tls-* and --journal* are for a cluster node: give"
                + " --cluster-bind HOST:PORT too");
      }
      return java.util.Optional.empty();
    }
    ClusterSettings settings = ClusterFlags.settings(given);
    if (!settings.role().runsSteps() && execSlots.isPresent()) {
      throw new IllegalArgumentException(
          "--slots: a coordinator runs no steps (give --role worker or all)");
    }
    return java.util.Optional.of(settings);
  }
}
