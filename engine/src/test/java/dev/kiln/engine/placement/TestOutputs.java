package dev.kiln.engine.placement;

import java.util.List;
import java.util.Map;

/** Outputs the placement tests share. */
final class TestOutputs {
  private TestOutputs() {}

  /** One layer made and held by node b, 10.0.0.2:25520, which serves it on port 40000. */
  static final SharedOutput ON_B =
      new SharedOutput(
          new SnapshotRef(List.of(new LayerRef("10.0.0.2:25520", "7", 100)), "10.0.0.2:25520"),
          Map.of("10.0.0.2:25520", "http://10.0.0.2:40000"));
}
