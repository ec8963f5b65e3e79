package dev.kiln.engine.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One step of the cluster against stand-in coordinators (test probes): who runs it, who waits for
 * it, and what a later claim gets.
 */
class SharedStepTest {
  private final ActorTestKit kit = ActorTestKit.create();
  private final TestProbe<ClusterSharding.ShardCommand> shard = kit.createTestProbe();
  private final Set<String> members = ConcurrentHashMap.newKeySet();
  private static final SharedOutput OUTPUT = TestOutputs.ON_B;

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private ActorRef<SharedStep.Command> step(Duration keep) {
    members.add("10.0.0.2:25520");
    return kit.spawn(SharedStep.create(shard.getRef(), members::contains, keep));
  }

  private ActorRef<SharedStep.Command> step() {
    return step(Duration.ofMinutes(30));
  }

  /**
   * Claims {@code step} by one stand-in coordinator per claim id, in order: the first is granted,
   * the others queued.
   */
  private List<TestProbe<SharedStep.Answer>> claimed(
      ActorRef<SharedStep.Command> step, String... claimIds) {
    List<TestProbe<SharedStep.Answer>> claimants = new java.util.ArrayList<>();
    for (String claimId : claimIds) {
      TestProbe<SharedStep.Answer> claimant = kit.createTestProbe();
      step.tell(new SharedStep.Claim(claimId, claimant.getRef()));
      claimants.add(claimant);
    }
    claimants.get(0).expectMessage(new SharedStep.Granted(claimIds[0]));
    for (int i = 1; i < claimIds.length; i++) {
      claimants.get(i).expectMessage(new SharedStep.Queued(claimIds[i], step));
    }
    return claimants;
  }

  @Test
  void theFirstClaimRunsTheStepAndTheOthersGetItsOutput() {
    ActorRef<SharedStep.Command> step = step();
    List<TestProbe<SharedStep.Answer>> claimants = claimed(step, "a1", "c1");
    TestProbe<SharedStep.Answer> a = claimants.get(0);
    TestProbe<SharedStep.Answer> c = claimants.get(1);
    step.tell(new SharedStep.Finish("a1", OUTPUT));

    c.expectMessage(new SharedStep.Shared("c1", OUTPUT));
    TestProbe<SharedStep.Answer> later = kit.createTestProbe();
    step.tell(new SharedStep.Claim("l1", later.getRef()));
    later.expectMessage(new SharedStep.Shared("l1", OUTPUT));
    a.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aReleasedClaimGrantsTheNextWaiter() {
    ActorRef<SharedStep.Command> step = step();
    TestProbe<SharedStep.Answer> c = claimed(step, "a1", "c1").get(1);

    step.tell(new SharedStep.Release("a1"));

    c.expectMessage(new SharedStep.Granted("c1"));
  }

  @Test
  void aWaiterThatReleasesIsNotGranted() {
    ActorRef<SharedStep.Command> step = step();
    List<TestProbe<SharedStep.Answer>> claimants = claimed(step, "a1", "c1", "d1");
    TestProbe<SharedStep.Answer> c = claimants.get(1);
    TestProbe<SharedStep.Answer> d = claimants.get(2);

    step.tell(new SharedStep.Release("c1"));
    step.tell(new SharedStep.Release("a1"));

    d.expectMessage(new SharedStep.Granted("d1"));
    c.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aCoordinatorThatStopsWhileRunningTheStepHandsItToTheNext() {
    ActorRef<SharedStep.Command> step = step();
    List<TestProbe<SharedStep.Answer>> claimants = claimed(step, "a1", "c1");
    TestProbe<SharedStep.Answer> c = claimants.get(1);

    claimants.get(0).stop();

    c.expectMessage(new SharedStep.Granted("c1"));
  }

  @Test
  void anOutputWhoseHolderLeftIsMadeAgain() {
    ActorRef<SharedStep.Command> step = step();
    TestProbe<SharedStep.Answer> a = kit.createTestProbe();
    step.tell(new SharedStep.Claim("a1", a.getRef()));
    a.expectMessageClass(SharedStep.Granted.class);
    step.tell(new SharedStep.Finish("a1", OUTPUT));

    members.remove("10.0.0.2:25520");
    TestProbe<SharedStep.Answer> later = kit.createTestProbe();
    step.tell(new SharedStep.Claim("l1", later.getRef()));

    later.expectMessage(new SharedStep.Granted("l1"));
  }

  @Test
  void anIdleStepAsksToBePassivatedOnlyWhenNobodyWaits() {
    ActorRef<SharedStep.Command> step = step(Duration.ofMillis(200));
    TestProbe<SharedStep.Answer> a = kit.createTestProbe();
    step.tell(new SharedStep.Claim("a1", a.getRef()));
    a.expectMessageClass(SharedStep.Granted.class);
    shard.expectNoMessage(Duration.ofMillis(400)); // running: kept

    step.tell(new SharedStep.Finish("a1", OUTPUT));

    ClusterSharding.Passivate<?> passivate =
        shard.expectMessageClass(ClusterSharding.Passivate.class, Duration.ofSeconds(3));
    assertEquals(step, passivate.entity());
  }

  @Test
  void aClaimSentAgainGetsTheAnswerItHad() {
    ActorRef<SharedStep.Command> step = step();
    List<TestProbe<SharedStep.Answer>> claimants = claimed(step, "a1", "c1");

    step.tell(new SharedStep.Claim("a1", claimants.get(0).getRef()));
    step.tell(new SharedStep.Claim("c1", claimants.get(1).getRef()));

    claimants.get(0).expectMessage(new SharedStep.Granted("a1"));
    claimants.get(1).expectMessage(new SharedStep.Queued("c1", step));
    step.tell(new SharedStep.Finish("a1", OUTPUT));
    claimants.get(1).expectMessage(new SharedStep.Shared("c1", OUTPUT));
    claimants.get(1).expectNoMessage(Duration.ofMillis(50));
  }
}
