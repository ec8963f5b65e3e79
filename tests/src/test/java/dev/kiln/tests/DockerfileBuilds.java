package dev.kiln.tests;

import dev.kiln.engine.testing.BusyboxLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds Dockerfiles with {@code kiln build} in a temporary context, on the busybox layout as
 * {@code busybox}, into a local output directory, with state in a temporary root.
 */
final class DockerfileBuilds {
  final Path temp;
  final Path context;

  DockerfileBuilds(Path temp) throws Exception {
    this.temp = temp;
    this.context = Files.createDirectories(temp.resolve("context"));
  }

  KilnRun build(String dockerfile, String... extra) throws Exception {
    return buildTo(dockerfile, "type=local,dest=" + temp.resolve("out"), extra);
  }

  /** Builds with {@code --output output} rather than into the local output directory. */
  KilnRun buildTo(String dockerfile, String output, String... extra) throws Exception {
    return KilnRun.of(arguments(dockerfile, output, extra).toArray(String[]::new));
  }

  /** The {@code kiln} arguments of such a build. */
  List<String> arguments(String dockerfile, String output, String... extra) throws Exception {
    Files.writeString(context.resolve("Dockerfile"), dockerfile);
    List<String> args =
        new ArrayList<>(List.of("build", "--root", temp.resolve("root").toString()));
    args.addAll(List.of("--build-context", "busybox=" + BusyboxLayout.identifier()));
    args.addAll(List.of("--output", output));
    args.addAll(List.of(extra));
    args.add(context.toString());
    return args;
  }

  Path out() {
    return temp.resolve("out");
  }

  String out(String path) throws Exception {
    return Files.readString(out().resolve(path));
  }
}
