package dev.kiln.engine.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.engine.graph.NetworkMode;
import dev.kiln.engine.graph.SecurityMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The OCI configuration crun gets for a step: bwrap's sandbox, field by field. */
class OciConfigTest {
  private static final OciConfig.Host HOST = new OciConfig.Host(false, 0xa80425fbL | 1L << 21);

  private static RootfsExecutor.Step step(
      ExecSpec spec, UnixUser user, List<SandboxMount> mounts, boolean attached) {
    Optional<Executor.Conversation> conversation =
        attached ? Optional.of((from, to) -> {}) : Optional.empty();
    return new RootfsExecutor.Step(
        Path.of("/root/mounts/1"),
        spec,
        user,
        mounts,
        conversation,
        new StepLimiter.Applied("", Optional.empty()));
  }

  private static ExecSpec spec(NetworkMode network, SecurityMode security) {
    return new ExecSpec(
        List.of("sh", "-c", "id"),
        List.of("A=1", "=dropped", "novalue", "TOKEN=visible"),
        "/work",
        "",
        network,
        security,
        List.of(),
        Map.of("TOKEN", "s3cret"));
  }

  private static List<String> texts(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  @Test
  void aRootStepGetsDockersCapabilitiesMasksSeccompAndItsEnvironment() {
    ObjectNode config =
        OciConfig.of(
            step(spec(NetworkMode.NONE, SecurityMode.SANDBOX), UnixUser.ROOT, List.of(), false),
            HOST);

    JsonNode process = config.path("process");
    assertEquals(List.of("sh", "-c", "id"), texts(process.path("args")));
    // The secret's value replaces the plain one, after the step's own variables.
    assertEquals(
        List.of("A=1", "PATH=" + SandboxCommand.DEFAULT_PATH, "HOME=/root", "TOKEN=s3cret"),
        texts(process.path("env")));
    assertEquals("/work", process.path("cwd").asText());
    assertFalse(process.path("noNewPrivileges").asBoolean());
    assertEquals(
        SandboxCommand.DEFAULT_CAPS, texts(process.path("capabilities").path("effective")));
    assertEquals(SandboxCommand.DEFAULT_CAPS, texts(process.path("capabilities").path("bounding")));
    assertFalse(config.path("root").path("readonly").asBoolean());
    assertEquals(
        List.of("pid", "ipc", "uts", "mount", "network"),
        config.path("linux").path("namespaces").findValuesAsText("type"));
    assertTrue(texts(config.path("linux").path("maskedPaths")).contains("/proc/kcore"));
    assertTrue(texts(config.path("mounts").get(0).path("options")).contains("ro"), "/proc is ro");
    assertEquals(
        Base64.getEncoder().encodeToString(SeccompFilter.program()),
        config.path("annotations").path("run.oci.seccomp_bpf_data").asText());
  }

  @Test
  void anotherUserHoldsNoCapabilityButSetuidCanReachDockersSet() {
    ObjectNode config =
        OciConfig.of(
            step(
                spec(NetworkMode.HOST, SecurityMode.SANDBOX),
                new UnixUser(1000, 1000),
                List.of(),
                false),
            new OciConfig.Host(true, HOST.ownCaps()));

    JsonNode caps = config.path("process").path("capabilities");
    assertEquals(List.of(), texts(caps.path("effective")));
    assertEquals(List.of(), texts(caps.path("permitted")));
    assertEquals(SandboxCommand.DEFAULT_CAPS, texts(caps.path("bounding")));
    assertTrue(config.path("process").path("noNewPrivileges").asBoolean());
    assertEquals(1000, config.path("process").path("user").path("uid").asLong());
    assertEquals(
        List.of("pid", "ipc", "uts", "mount"),
        config.path("linux").path("namespaces").findValuesAsText("type"),
        "host network: no network namespace");
  }

  @Test
  void anInsecureStepGetsKilnsOwnCapabilitiesAWritableProcAndNoFilter() {
    ObjectNode config =
        OciConfig.of(
            step(spec(NetworkMode.NONE, SecurityMode.INSECURE), UnixUser.ROOT, List.of(), false),
            HOST);

    assertEquals(
        OciConfig.held(HOST.ownCaps()),
        texts(config.path("process").path("capabilities").path("effective")));
    assertTrue(
        texts(config.path("process").path("capabilities").path("effective"))
            .contains("CAP_SYS_ADMIN"));
    assertFalse(texts(config.path("mounts").get(0).path("options")).contains("ro"));
    assertTrue(config.path("linux").path("seccomp").isMissingNode());
    assertTrue(config.path("annotations").isMissingNode());
    assertTrue(config.path("linux").path("maskedPaths").isMissingNode());
  }

  @Test
  void extraMountsAreNosuidAndNodevAndAnAttachedRunHasAReadOnlyRoot() {
    ObjectNode config =
        OciConfig.of(
            step(
                spec(NetworkMode.NONE, SecurityMode.SANDBOX),
                UnixUser.ROOT,
                List.of(
                    new SandboxMount.Bind(Path.of("/cache/1"), "/c", false),
                    new SandboxMount.Bind(Path.of("/secret"), "/run/secrets/s", true),
                    new SandboxMount.Tmpfs("/t", Optional.of(4096L))),
                true),
            HOST);

    assertTrue(config.path("root").path("readonly").asBoolean());
    JsonNode mounts = config.path("mounts");
    List<String> destinations = mounts.findValuesAsText("destination");
    assertEquals(
        List.of("/tmp", "/c", "/run/secrets/s", "/t"),
        destinations.subList(destinations.size() - 4, destinations.size()));
    JsonNode cache = mounts.get(destinations.indexOf("/c"));
    assertEquals(List.of("rbind", "rw", "nosuid", "nodev"), texts(cache.path("options")));
    JsonNode secret = mounts.get(destinations.indexOf("/run/secrets/s"));
    assertEquals(List.of("rbind", "ro", "nosuid", "nodev"), texts(secret.path("options")));
    JsonNode tmpfs = mounts.get(destinations.indexOf("/t"));
    assertEquals(
        List.of("nosuid", "nodev", "mode=1777", "size=4096"), texts(tmpfs.path("options")));
  }
}
