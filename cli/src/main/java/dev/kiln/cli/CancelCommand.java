package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.kiln.engine.job.BuildId;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code kiln cancel ID}: cancels a daemon's build; its steps no other build needs stop. */
@Command(
    name = "cancel",
    description = "Cancel a build running on a daemon (its id is in kiln builds).")
final class CancelCommand implements Callable<Integer> {
  @Mixin DaemonOption daemon = new DaemonOption();

  @Parameters(paramLabel = "ID", description = "The build's id.")
  String id;

  @Override
  public Integer call() {
    try {
      DaemonAddress address = daemon.required("kiln cancel");
      DaemonHttp.post(
          address,
          "/v1/builds/" + BuildId.parse(id).value() + "/cancel",
          JsonNodeFactory.instance.objectNode());
      System.out.println("cancelling " + id);
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 1;
    }
  }
}
