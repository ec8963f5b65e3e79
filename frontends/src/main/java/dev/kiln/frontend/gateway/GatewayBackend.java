package dev.kiln.frontend.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.snapshot.MountedFs;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.solver.Outcome;
import java.io.IOException;
import java.util.concurrent.CompletionStage;

/** What the gateway needs from the engine: solving, image configs, and views of results. */
public interface GatewayBackend {
  /** Solves {@code definition} with the build's inputs; a solved result is a snapshot. */
  CompletionStage<Outcome> solve(Definition definition);

  /**
   * The OCI config of the image {@code identifier} ({@code oci-layout://…}, {@code
   * docker-image://…}).
   */
  JsonNode imageConfig(String identifier) throws IOException;

  /** A read-only view of {@code snapshot}, to be closed after use. */
  MountedFs mount(Snapshot snapshot) throws IOException;
}
