package dev.kiln.engine.worker;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a build hands its steps outside the graph: secret contents and ssh agent sockets, by id.
 * Only ids enter definitions and cache keys; the contents stay here, in memory. Ids are per engine
 * for now, like local directories; the daemon will scope them per client session.
 */
public final class Secrets {
  private final Map<String, byte[]> secrets = new ConcurrentHashMap<>();
  private final Map<String, Path> sshAgents = new ConcurrentHashMap<>();

  /** Secrets and agents to add to a solve. */
  public static Secrets of(Map<String, byte[]> secrets, Map<String, Path> sshAgents) {
    Secrets result = new Secrets();
    result.add(secrets, sshAgents);
    return result;
  }

  public static Secrets none() {
    return new Secrets();
  }

  void addAll(Secrets other) {
    add(other.secrets, other.sshAgents);
  }

  private void add(Map<String, byte[]> newSecrets, Map<String, Path> newAgents) {
    newSecrets.forEach((id, data) -> secrets.put(id, data.clone()));
    sshAgents.putAll(newAgents);
  }

  Optional<byte[]> secret(String id) {
    return Optional.ofNullable(secrets.get(id)).map(byte[]::clone);
  }

  Optional<Path> sshAgent(String id) {
    return Optional.ofNullable(sshAgents.get(id));
  }

  @Override
  public String toString() {
    return "Secrets" + secrets.keySet() + " ssh" + sshAgents.keySet();
  }
}
