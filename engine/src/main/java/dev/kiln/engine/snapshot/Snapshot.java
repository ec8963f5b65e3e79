package dev.kiln.engine.snapshot;

import java.util.ArrayList;
import java.util.List;

/** A committed filesystem: a stack of layers, lowest first. The empty stack is scratch. */
public record Snapshot(List<Layer> layers) {
  public static final Snapshot SCRATCH = new Snapshot(List.of());

  public Snapshot {
    layers = List.copyOf(layers);
  }

  public Snapshot plus(Layer layer) {
    List<Layer> all = new ArrayList<>(layers);
    all.add(layer);
    return new Snapshot(all);
  }

  /** Stacks snapshots, later ones on top; a layer already below is not repeated. */
  public static Snapshot stack(List<Snapshot> snapshots) {
    List<Layer> all = new ArrayList<>();
    for (Snapshot snapshot : snapshots) {
      for (Layer layer : snapshot.layers()) {
        all.remove(layer);
        all.add(layer);
      }
    }
    return new Snapshot(all);
  }

  public boolean isScratch() {
    return layers.isEmpty();
  }
}
