package dev.kiln.engine.solver;

import dev.kiln.engine.graph.Digest;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What one build brings from outside its graph: the directories of its {@code local://NAME}
 * sources, and the contents of its secrets and the sockets of its ssh agents, by id. Only names and
 * ids enter definitions and cache keys; contents stay in memory, with the build that gave them, and
 * reach only that build's steps (and steps of other builds that gave the same).
 */
public final class BuildInputs {
  /** Nothing from outside. */
  public static final BuildInputs NONE =
      new BuildInputs(Map.of(), Map.of(), Map.of(), java.util.Set.of());

  private final Map<String, Path> locals;
  private final Map<String, byte[]> secrets;
  private final Map<String, Path> sshAgents;
  private final java.util.Set<String> entitlements;

  private BuildInputs(
      Map<String, Path> locals,
      Map<String, byte[]> secrets,
      Map<String, Path> sshAgents,
      java.util.Set<String> entitlements) {
    this.locals = Map.copyOf(locals);
    Map<String, byte[]> copied = new HashMap<>();
    secrets.forEach((id, data) -> copied.put(id, data.clone()));
    this.secrets = Map.copyOf(copied);
    this.sshAgents = Map.copyOf(sshAgents);
    this.entitlements = java.util.Set.copyOf(entitlements);
  }

  /** Local directories, secrets and ssh agents. */
  public static BuildInputs of(
      Map<String, Path> locals, Map<String, byte[]> secrets, Map<String, Path> sshAgents) {
    return new BuildInputs(locals, secrets, sshAgents, java.util.Set.of());
  }

  /** Local directories only. */
  public static BuildInputs locals(Map<String, Path> locals) {
    return new BuildInputs(locals, Map.of(), Map.of(), java.util.Set.of());
  }

  /**
   * The same, granted {@code entitlements} ({@link Entitlements}: what {@code --allow} gives); the
   * solver refuses steps, nested ones included, that need one the build lacks.
   */
  public BuildInputs withEntitlements(java.util.Set<String> entitlements) {
    return new BuildInputs(locals, secrets, sshAgents, entitlements);
  }

  public java.util.Set<String> entitlements() {
    return entitlements;
  }

  public Map<String, Path> locals() {
    return locals;
  }

  /** A copy of the secret {@code id}'s content, if the build gave one. */
  public Optional<byte[]> secret(String id) {
    return Optional.ofNullable(secrets.get(id)).map(byte[]::clone);
  }

  public Optional<Path> sshAgent(String id) {
    return Optional.ofNullable(sshAgents.get(id));
  }

  /**
   * What stands for the secret or agent {@code id} in a vertex's identity within a solve: the
   * digest of the secret's content (or the agent's socket), never the content itself, so that
   * builds share a step only when they gave it the same.
   */
  String fingerprint(String id) {
    byte[] secret = secrets.get(id);
    Path agent = sshAgents.get(id);
    return (secret == null ? "-" : Digest.sha256(secret).value())
        + "/"
        + (agent == null ? "-" : agent.toString());
  }

  /** {@code secret:ID=FINGERPRINT} for every secret and agent, sorted by id. */
  java.util.SortedSet<String> fingerprints() {
    java.util.SortedSet<String> all = new java.util.TreeSet<>();
    secrets.keySet().forEach(id -> all.add("secret:" + id + "=" + fingerprint(id)));
    sshAgents.keySet().forEach(id -> all.add("secret:" + id + "=" + fingerprint(id)));
    return all;
  }

  /** Ids only: contents never reach a log. */
  @Override
  public String toString() {
    return "BuildInputs[locals="
        + locals
        + ", secrets="
        + secrets.keySet()
        + ", ssh="
        + sshAgents.keySet()
        + ", entitlements="
        + entitlements
        + "]";
  }
}
