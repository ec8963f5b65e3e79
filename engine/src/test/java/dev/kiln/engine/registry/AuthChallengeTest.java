package dev.kiln.engine.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AuthChallengeTest {
  @Test
  void parsesDockerHubsBearerChallenge() {
    List<AuthChallenge> challenges =
        AuthChallenge.parse(
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                + "scope=\"repository:library/busybox:pull\"");

    assertEquals(
        List.of(
            new AuthChallenge(
                "bearer",
                Map.of(
                    "realm", "https://auth.docker.io/token",
                    "service", "registry.docker.io",
                    "scope", "repository:library/busybox:pull"))),
        challenges);
  }

  @Test
  void quotedValuesKeepCommasAndEscapes() {
    AuthChallenge challenge =
        AuthChallenge.parse(
                "Bearer realm=\"https://a/token\", scope=\"repository:a:pull,push"
                    + " repository:b:pull\", error=\"say \\\"hi\\\"\"")
            .get(0);

    assertEquals("repository:a:pull,push repository:b:pull", challenge.params().get("scope"));
    assertEquals("say \"hi\"", challenge.params().get("error"));
  }

  @Test
  void readsSeveralChallengesInOneHeader() {
    List<AuthChallenge> challenges =
        AuthChallenge.parse("Basic realm=\"kiln, test\" , Bearer realm=x,service=y, Negotiate");

    assertEquals(3, challenges.size());
    assertEquals(new AuthChallenge("basic", Map.of("realm", "kiln, test")), challenges.get(0));
    assertEquals(
        new AuthChallenge("bearer", Map.of("realm", "x", "service", "y")), challenges.get(1));
    assertEquals(new AuthChallenge("negotiate", Map.of()), challenges.get(2));
  }

  @Test
  void schemeAndParameterNamesAreCaseInsensitiveValuesAreNot() {
    AuthChallenge challenge = AuthChallenge.parse("BASIC Realm=\"Kiln\"").get(0);

    assertEquals("basic", challenge.scheme());
    assertEquals("Kiln", challenge.param("realm").orElseThrow());
  }

  @Test
  void keepsAToken68() {
    assertEquals(
        new AuthChallenge("negotiate", Map.of("", "YIIC+/==")),
        AuthChallenge.parse("Negotiate YIIC+/==").get(0));
  }

  @Test
  void toleratesSpacesAroundEqualsAndEmptyQuotedValues() {
    assertEquals(
        new AuthChallenge("bearer", Map.of("realm", "r", "scope", "")),
        AuthChallenge.parse("Bearer realm = r , scope=\"\"").get(0));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "   ",
        ",,,",
        "Bearer realm=\"unterminated",
        "Bearer realm=\"ends in backslash\\",
        "Bearer realm=,service=x",
        "Bearer realm=a realm=b",
        "Bearer realm=a,realm=b",
        "Bearer realm=\"a\"junk",
        "Bearer =value",
        "Bearer realm=\"a\",\u0000=b",
        "Bearer realm=\"a\r\nSet-Cookie: x\"",
        "=realm",
        "\"quoted scheme\"",
      })
  void malformedHeadersAreRefusedSayingWhy(String header) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AuthChallenge.parse(header));
    assertTrue(!e.getMessage().isBlank());
  }

  @Test
  void hugeOrParameterFloodedHeadersAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> AuthChallenge.parse("Bearer realm=\"" + "x".repeat(10_000) + "\""));
    StringBuilder flood = new StringBuilder("Bearer ");
    for (int i = 0; i < 100; i++) {
      flood.append("p").append(i).append("=v,");
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AuthChallenge.parse(flood.toString()));
    assertTrue(e.getMessage().contains("more than 32 parameters"), e.getMessage());
  }

  @Test
  void pathologicalInputIsParsedInLinearTime() {
    String commas = "Bearer " + ",".repeat(8000);
    String quotes = "Bearer a=\"" + "\\\"".repeat(3000);
    assertTimeoutPreemptively(
        Duration.ofSeconds(2),
        () -> {
          AuthChallenge.parse(commas);
          assertThrows(IllegalArgumentException.class, () -> AuthChallenge.parse(quotes));
        });
  }
}
