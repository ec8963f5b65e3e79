package dev.kiln.engine.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.run.CancelledException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A coordinator's claims against a stand-in shard region (a test probe answering for steps). */
class StepClaimsTest {
  private final ActorTestKit kit = ActorTestKit.create();
  private final TestProbe<ShardingEnvelope<SharedStep.Command>> region = kit.createTestProbe();
  private final ActorRef<StepClaims.Command> claims =
      kit.spawn(StepClaims.create(region.getRef(), java.time.Duration.ofMinutes(1)));
  private static final SharedOutput OUTPUT = TestOutputs.ON_B;

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private CompletableFuture<Optional<SharedOutput>> ask(String claimId) {
    CompletableFuture<Optional<SharedOutput>> answer = new CompletableFuture<>();
    claims.tell(new StepClaims.Ask(claimId, "sha256:k", answer));
    return answer;
  }

  @SuppressWarnings("unchecked")
  private SharedStep.Claim claimed() {
    ShardingEnvelope<SharedStep.Command> envelope = region.receiveMessage();
    assertEquals("sha256:k", envelope.entityId());
    return assertInstanceOf(SharedStep.Claim.class, envelope.message());
  }

  @Test
  void aGrantedClaimRunsAndItsFinishReachesTheStep() throws Exception {
    CompletableFuture<Optional<SharedOutput>> answer = ask("c1");
    claimed().replyTo().tell(new SharedStep.Granted("c1"));

    assertEquals(Optional.empty(), answer.get(5, TimeUnit.SECONDS));
    claims.tell(new StepClaims.Finish("c1", OUTPUT));
    assertEquals(new SharedStep.Finish("c1", OUTPUT), region.receiveMessage().message());
  }

  @Test
  void aSharedOutputAnswersTheClaim() throws Exception {
    CompletableFuture<Optional<SharedOutput>> answer = ask("c1");
    claimed().replyTo().tell(new SharedStep.Shared("c1", OUTPUT));

    assertEquals(Optional.of(OUTPUT), answer.get(5, TimeUnit.SECONDS));
  }

  @Test
  void aClaimWaitingOnAStepThatStopsClaimsAgain() throws Exception {
    CompletableFuture<Optional<SharedOutput>> answer = ask("c1");
    TestProbe<SharedStep.Command> step = kit.createTestProbe();
    SharedStep.Claim first = claimed();
    first.replyTo().tell(new SharedStep.Queued("c1", step.getRef()));

    step.stop();

    SharedStep.Claim again = claimed();
    assertEquals("c1", again.claimId());
    again.replyTo().tell(new SharedStep.Granted("c1"));
    assertEquals(Optional.empty(), answer.get(5, TimeUnit.SECONDS));
  }

  @Test
  void aReleasedClaimFailsCancelledAndTellsTheStep() {
    CompletableFuture<Optional<SharedOutput>> answer = ask("c1");
    claimed();

    claims.tell(new StepClaims.Release("c1"));

    assertEquals(new SharedStep.Release("c1"), region.receiveMessage().message());
    ExecutionException failure =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> answer.get(5, TimeUnit.SECONDS));
    assertTrue(failure.getCause() instanceof CancelledException, failure.toString());
  }

  @Test
  void aClaimNobodyAnswersIsSentAgainUntilItIsAnswered() throws Exception {
    ActorRef<StepClaims.Command> impatient =
        kit.spawn(StepClaims.create(region.getRef(), java.time.Duration.ofMillis(200)));
    CompletableFuture<Optional<SharedOutput>> answer = new CompletableFuture<>();
    impatient.tell(new StepClaims.Ask("c1", "sha256:k", answer));
    claimed(); // lost with the node that was to host the step

    SharedStep.Claim again = claimed();
    again.replyTo().tell(new SharedStep.Granted("c1"));

    assertEquals(Optional.empty(), answer.get(5, TimeUnit.SECONDS));
    region.expectNoMessage(java.time.Duration.ofMillis(500));
  }
}
