package dev.kiln.engine.solver;

import dev.kiln.engine.solver.ExecutionSlots.Granted;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ExecutionSlotsTest {
  private final ActorTestKit kit = ActorTestKit.create();
  private static final Duration QUIET = Duration.ofMillis(200);

  @AfterEach
  void shutdown() {
    kit.shutdownTestKit();
  }

  private List<TestProbe<Granted>> ask(ActorRef<ExecutionSlots.Command> slots, long build, int n) {
    List<TestProbe<Granted>> probes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TestProbe<Granted> probe = kit.createTestProbe();
      slots.tell(new ExecutionSlots.Acquire(probe.getRef(), build));
      probes.add(probe);
    }
    return probes;
  }

  private static void release(ActorRef<ExecutionSlots.Command> slots, TestProbe<Granted> probe) {
    slots.tell(new ExecutionSlots.Release(probe.getRef()));
  }

  @Test
  void aSmallBuildThatArrivesLaterIsServedBeforeTheRestOfABigOne() {
    ActorRef<ExecutionSlots.Command> slots = kit.spawn(ExecutionSlots.create(2));
    List<TestProbe<Granted>> big = ask(slots, 1, 10);
    big.get(0).expectMessage(Granted.INSTANCE);
    big.get(1).expectMessage(Granted.INSTANCE);
    big.get(2).expectNoMessage(QUIET);

    List<TestProbe<Granted>> small = ask(slots, 2, 1);
    small.get(0).expectNoMessage(QUIET);
    release(slots, big.get(0));

    small.get(0).expectMessage(Granted.INSTANCE);
    big.get(2).expectNoMessage(QUIET);
    release(slots, big.get(1));
    big.get(2).expectMessage(Granted.INSTANCE);
  }

  @Test
  void withinABuildTheStepWithMostToFollowIsGrantedFirstTheOldestOnATie() {
    ActorRef<ExecutionSlots.Command> slots = kit.spawn(ExecutionSlots.create(1));
    TestProbe<Granted> holder = ask(slots, 1, 1).get(0);
    holder.expectMessage(Granted.INSTANCE);
    List<TestProbe<Granted>> waiting = new ArrayList<>();
    for (int priority : new int[] {1, 5, 3, 5, 0}) {
      TestProbe<Granted> probe = kit.createTestProbe();
      slots.tell(new ExecutionSlots.Acquire(probe.getRef(), 1, priority));
      waiting.add(probe);
    }
    release(slots, waiting.get(2)); // withdrawn while it waits

    TestProbe<Granted> running = holder;
    for (int next : new int[] {1, 3, 0, 4}) {
      release(slots, running);
      running = waiting.get(next);
      running.expectMessage(Granted.INSTANCE);
    }
    waiting.get(2).expectNoMessage(QUIET);
  }

  @Test
  void aBuildNeverRunsMoreThanItsOwnLimit() {
    ActorRef<ExecutionSlots.Command> slots = kit.spawn(ExecutionSlots.create(4, 2));
    List<TestProbe<Granted>> one = ask(slots, 1, 3);
    one.get(0).expectMessage(Granted.INSTANCE);
    one.get(1).expectMessage(Granted.INSTANCE);
    one.get(2).expectNoMessage(QUIET);

    List<TestProbe<Granted>> two = ask(slots, 2, 2);
    two.get(0).expectMessage(Granted.INSTANCE);
    two.get(1).expectMessage(Granted.INSTANCE);

    release(slots, one.get(0));
    one.get(2).expectMessage(Granted.INSTANCE);
  }

  @Test
  void aWithdrawnRequestIsNeverGrantedAndFreesNothing() {
    ActorRef<ExecutionSlots.Command> slots = kit.spawn(ExecutionSlots.create(1));
    List<TestProbe<Granted>> probes = ask(slots, 1, 3);
    probes.get(0).expectMessage(Granted.INSTANCE);
    release(slots, probes.get(1)); // withdrawn while waiting
    release(slots, probes.get(0));

    probes.get(2).expectMessage(Granted.INSTANCE);
    probes.get(1).expectNoMessage(QUIET);
  }
}
