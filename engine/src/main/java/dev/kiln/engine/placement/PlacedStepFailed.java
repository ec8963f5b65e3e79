package dev.kiln.engine.placement;

/** A step placed on a worker failed there; the message is the worker's, as a local step's. */
public final class PlacedStepFailed extends Exception {
  public PlacedStepFailed(String message) {
    super(message);
  }
}
