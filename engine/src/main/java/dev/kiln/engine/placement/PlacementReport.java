package dev.kiln.engine.placement;

import java.util.List;

/** A coordinator's view of the workers: each one's slots and steps, and the steps waiting. */
public record PlacementReport(List<Worker> workers, int waiting) {
  public PlacementReport {
    workers = List.copyOf(workers);
  }

  /**
   * A worker: its cluster address, data address, slots, this coordinator's steps in flight on it,
   * and how many steps this coordinator placed on it in all.
   */
  public record Worker(String node, String dataUrl, int slots, int inFlight, long placed) {}
}
