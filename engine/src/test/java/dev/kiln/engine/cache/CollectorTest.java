package dev.kiln.engine.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CollectorTest {
  private final AtomicInteger runs = new AtomicInteger();

  @Test
  void collectsOnlyOnceTheLastLeaseCloses() {
    Collector collector =
        new Collector(
            Optional.of(
                () -> {
                  runs.incrementAndGet();
                  return new CachePruner.Pruned(1, 2, 0, 3);
                }),
            Runnable::run);
    Collector.Lease build = collector.lease();
    Collector.Lease export = collector.lease();
    build.close();
    build.close();
    assertEquals(0, runs.get(), "collected while an export still held the cache");
    export.close();
    assertEquals(1, runs.get());
    assertEquals(Optional.of(new CachePruner.Pruned(1, 2, 0, 3)), collector.last());
  }

  @Test
  void aBuildThatStartsDuringACollectionWaitsForIt() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    var pool = Executors.newSingleThreadExecutor();
    try {
      Collector collector =
          new Collector(
              Optional.of(
                  () -> {
                    started.countDown();
                    finish.await();
                    return new CachePruner.Pruned(0, 0, 0, 0);
                  }),
              pool);
      collector.lease().close();
      assertTrue(started.await(10, TimeUnit.SECONDS));
      CompletableFuture<Collector.Lease> next = CompletableFuture.supplyAsync(collector::lease);
      assertFalse(next.isDone(), "a build started in the middle of a collection");
      finish.countDown();
      next.get(10, TimeUnit.SECONDS).close();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void withoutAPolicyNothingRuns() {
    Collector collector = new Collector(Optional.empty(), Runnable::run);
    collector.lease().close();
    assertEquals(Optional.empty(), collector.last());
  }
}
