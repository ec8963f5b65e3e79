package dev.kiln.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.engine.graph.Digest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MissExplainerTest {
  private static final String RUN_A =
      "{\"type\":\"exec\",\"args\":[\"sh\",\"-c\",\"make a\"],\"cwd\":\"/\"}";
  private static final String RUN_B =
      "{\"type\":\"exec\",\"args\":[\"sh\",\"-c\",\"make b\"],\"cwd\":\"/src\"}";
  private static final String IMAGE =
      "{\"type\":\"source\",\"identifier\":\"docker-image://busybox\"}";

  private static CacheStore.Entry record(
      String name, String opDigest, List<String> inputs, String op, long used) {
    return new CacheStore.Entry(
        Digest.sha256(name + opDigest + inputs),
        CacheRecord.of(
            List.of(List.of("1")), "exec", name, new KeyParts(opDigest, inputs, op), used));
  }

  private final MissExplainer explainer =
      new MissExplainer(
          List.of(
              record("[s 2/2] RUN make a", "run-a", List.of("sha256:base#0"), RUN_A, 1),
              record("[s 1/2] FROM busybox", "image@sha256:old", List.of(), IMAGE, 1)),
          Map.of("sha256:newbase", "[s 1/2] FROM busybox"),
          op -> List.of());

  @Test
  void theSameInputsWithAnotherOpNameTheFieldsThatChanged() {
    String why =
        explainer.explain(
            new MissExplainer.Miss(
                "[s 2/2] RUN make b", "sha256:k", "run-b", List.of("sha256:base#0"), RUN_B, false));
    assertEquals(
        "the step changed: args[2]: \"make a\" -> \"make b\"; cwd: \"/\" -> \"/src\"", why);
  }

  @Test
  void theSameOpWithAnotherInputNamesTheInput() {
    String why =
        explainer.explain(
            new MissExplainer.Miss(
                "[s 2/2] RUN make a",
                "sha256:k",
                "run-a",
                List.of("sha256:newbase#0"),
                RUN_A,
                false));
    assertEquals("an input changed: [s 1/2] FROM busybox", why);
  }

  @Test
  void anImageThatMovedSaysWhereItResolvesNow() {
    String why =
        explainer.explain(
            new MissExplainer.Miss(
                "[s 1/2] FROM busybox", "sha256:k", "image@sha256:new", List.of(), IMAGE, false));
    assertEquals("the image now resolves to sha256:new (was sha256:old)", why);
  }

  @Test
  void aStepNeverSeenBeforeSaysSo() {
    String why =
        explainer.explain(
            new MissExplainer.Miss(
                "[s 3/3] RUN x", "sha256:k", "run-x", List.of("sha256:other#0"), "{}", false));
    assertEquals("no earlier record of this step (new, or both it and its inputs changed)", why);
  }
}
