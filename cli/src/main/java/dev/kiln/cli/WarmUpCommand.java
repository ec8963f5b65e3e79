package dev.kiln.cli;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.cli.daemon.DaemonServer;
import dev.kiln.engine.Engine;
import dev.kiln.engine.EngineConfig;
import dev.kiln.engine.snapshot.FileTrees;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code kiln warm-up} (hidden): a tiny Dockerfile build, run three times through {@code kiln
 * build} (a miss, a fully cached rebuild, and one through the gateway) in a throwaway root, once
 * more through a daemon in this process, and one HTTP exchange, so that {@code ./kiln} can record
 * the classes a build loads in its class-data-sharing archive. Without it the archive would only
 * hold what the first command happened to load.
 */
@Command(name = "warm-up", hidden = true, description = "Run a tiny build to train start-up.")
final class WarmUpCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    Path temp = Files.createTempDirectory("kiln-warm-up-");
    PrintStream err = System.err;
    try {
      Path context = Files.createDirectories(temp.resolve("context"));
      Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY hello /hello\n");
      Files.writeString(context.resolve("hello"), "hi\n");
      String[] build = {
        "build",
        "--root",
        temp.resolve("root").toString(),
        "--progress",
        "plain",
        "-t",
        "warm-up",
        context.toString()
      };
      System.setErr(NullStreams.printStream());
      int first = KilnCommand.run(build);
      int second = KilnCommand.run(build);
      // And through the gateway, as # syntax=docker/dockerfile:1 selects it.
      String[] gateway = java.util.Arrays.copyOf(build, build.length + 2);
      gateway[build.length - 1] = "--build-arg";
      gateway[build.length] = "BUILDKIT_SYNTAX=docker/dockerfile:1";
      gateway[build.length + 1] = context.toString();
      int third = KilnCommand.run(gateway);
      exchange();
      return first == 0
              && second == 0
              && third == 0
              && throughDaemon(temp.resolve("root"), context) == 0
          ? 0
          : 1;
    } finally {
      System.setErr(err);
      FileTrees.deleteRecursively(temp);
    }
  }

  /**
   * The same build through a daemon in this process, on a Unix socket and on TCP: trains the
   * client's and the server's paths.
   */
  private static int throughDaemon(Path root, Path context) throws Exception {
    int exit = 0;
    for (DaemonAddress address :
        java.util.List.of(
            new DaemonAddress.Unix(root.resolve("warm-up.sock")),
            new DaemonAddress.Tcp("127.0.0.1", 0))) {
      try (Engine engine = Engine.start(EngineConfig.at(root));
          DaemonServer server = DaemonServer.start(engine, root, address, 1 << 20)) {
        exit |=
            KilnCommand.run(
                "build",
                "--addr",
                server.address().toString(),
                "--progress",
                "plain",
                "-t",
                "warm-up",
                context.toString());
      }
    }
    return exit;
  }

  /** One request and response, as a registry pull makes, against a server in this process. */
  private static void exchange() throws IOException, InterruptedException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        http -> {
          http.sendResponseHeaders(200, 2);
          http.getResponseBody().write("ok".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          http.close();
        });
    server.start();
    try {
      URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v2/");
      HttpClient.newHttpClient()
          .send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    } finally {
      server.stop(0);
    }
  }
}
