package dev.kiln.frontend.dockerfile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An image's run configuration as the OCI image spec's {@code config} object holds it, plus the
 * history, built up instruction by instruction. Mutable while a stage is converted; {@link #copy}
 * gives the next stage its own.
 */
public final class ImageConfig {
  /** A healthcheck: the test command and its timings in nanoseconds (0: unset). */
  public record Healthcheck(
      List<String> test,
      long interval,
      long timeout,
      long startPeriod,
      long startInterval,
      int retries) {}

  /** One history entry as BuildKit writes it. */
  public record History(String createdBy, boolean emptyLayer) {}

  final List<String> env = new ArrayList<>();
  Optional<List<String>> cmd = Optional.empty();
  Optional<List<String>> entrypoint = Optional.empty();
  String workingDir = "";
  String user = "";
  final Map<String, String> labels = new LinkedHashMap<>();
  final Set<String> exposedPorts = new LinkedHashSet<>();
  final Set<String> volumes = new LinkedHashSet<>();
  String stopSignal = "";
  Optional<Healthcheck> healthcheck = Optional.empty();
  final List<String> onBuild = new ArrayList<>();
  List<String> shell = List.of();
  String author = "";
  final List<History> history = new ArrayList<>();

  ImageConfig copy() {
    ImageConfig next = new ImageConfig();
    next.env.addAll(env);
    next.cmd = cmd;
    next.entrypoint = entrypoint;
    next.workingDir = workingDir;
    next.user = user;
    next.labels.putAll(labels);
    next.exposedPorts.addAll(exposedPorts);
    next.volumes.addAll(volumes);
    next.stopSignal = stopSignal;
    next.healthcheck = healthcheck;
    next.onBuild.addAll(onBuild);
    next.shell = shell;
    next.author = author;
    next.history.addAll(history);
    return next;
  }

  /** The value of environment variable {@code name}, if set. */
  public Optional<String> envValue(String name) {
    for (String entry : env) {
      if (entry.startsWith(name + "=")) {
        return Optional.of(entry.substring(name.length() + 1));
      }
    }
    return Optional.empty();
  }

  void setEnv(String name, String value) {
    env.removeIf(entry -> entry.startsWith(name + "="));
    env.add(name + "=" + value);
  }

  public List<String> env() {
    return List.copyOf(env);
  }

  public Optional<List<String>> cmd() {
    return cmd;
  }

  public Optional<List<String>> entrypoint() {
    return entrypoint;
  }

  public String workingDir() {
    return workingDir;
  }

  public String user() {
    return user;
  }

  public Map<String, String> labels() {
    return Map.copyOf(labels);
  }

  public Set<String> exposedPorts() {
    return Set.copyOf(exposedPorts);
  }

  public Set<String> volumes() {
    return Set.copyOf(volumes);
  }

  public String stopSignal() {
    return stopSignal;
  }

  public Optional<Healthcheck> healthcheck() {
    return healthcheck;
  }

  public List<String> onBuild() {
    return List.copyOf(onBuild);
  }

  public List<String> shell() {
    return shell;
  }

  public String author() {
    return author;
  }

  public List<History> history() {
    return List.copyOf(history);
  }
}
