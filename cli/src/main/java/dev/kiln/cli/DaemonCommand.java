package dev.kiln.cli;

import dev.kiln.cli.daemon.DaemonServer;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.cache.GcPolicy;
import dev.kiln.engine.cache.Quantities;
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
      defaultValue = "tcp://127.0.0.1:8787",
      description =
          "Where to listen: tcp://HOST:PORT on a loopback address (default ${DEFAULT-VALUE}).")
  String addr;

  @Option(
      names = "--max-upload",
      paramLabel = "SIZE",
      defaultValue = "10GiB",
      description = "The largest build context a client may send (default ${DEFAULT-VALUE}).")
  String maxUpload;

  @Override
  public Integer call() throws Exception {
    DaemonAddress address;
    long limit;
    try {
      address = DaemonAddress.parse(addr);
      limit = Quantities.parseSize(maxUpload);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    Engine engine =
        Engine.start(
            EngineConfig.at(root.path())
                .withGc(GcPolicy.load(GcPolicy.defaultFile(System.getenv()))));
    engine.startReport().forEach(line -> System.err.println("warning: " + line));
    DaemonServer server;
    try {
      server = DaemonServer.start(engine, root.path(), address.host(), address.port(), limit);
    } catch (java.io.IOException e) {
      engine.close();
      System.err.println("error: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.close();
                    engine.close();
                  } catch (Exception e) {
                    System.err.println("kiln daemon: " + e.getMessage());
                  } finally {
                    stopped.countDown();
                  }
                },
                "kiln-daemon-stop"));
    System.err.println(
        "kiln daemon listening on tcp://"
            + address.host()
            + ":"
            + server.port()
            + " ("
            + engine.describe()
            + ", root "
            + root.path()
            + ")");
    stopped.await();
    return 0;
  }
}
