package dev.kiln.engine.solver;

import dev.kiln.engine.progress.ProgressEvent;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A nested build's progress stream: its vertices' events, named {@code [nested: LABEL] NAME}, go to
 * the builds that watch the build op. Its end is not theirs: it stops here.
 */
final class NestedProgress {
  private NestedProgress() {}

  static Behavior<ProgressEvent> create(String label, Consumer<ProgressEvent> sink) {
    String prefix = "[nested: " + label + "] ";
    return Behaviors.receiveMessage(
        event -> {
          if (event instanceof ProgressEvent.Ended) {
            return Behaviors.stopped();
          }
          sink.accept(renamed(event, prefix));
          return Behaviors.same();
        });
  }

  static ProgressEvent renamed(ProgressEvent event, String prefix) {
    if (event instanceof ProgressEvent.VertexMissed e) {
      return new ProgressEvent.VertexMissed(
          e.vertex(), prefix + e.name(), e.key(), e.opDigest(), e.inputs(), e.ignoredCache());
    } else if (event instanceof ProgressEvent.VertexStarted e) {
      return new ProgressEvent.VertexStarted(e.vertex(), prefix + e.name(), e.at());
    } else if (event instanceof ProgressEvent.VertexCached e) {
      return new ProgressEvent.VertexCached(e.vertex(), prefix + e.name(), e.key());
    } else if (event instanceof ProgressEvent.VertexCompleted e) {
      return new ProgressEvent.VertexCompleted(e.vertex(), prefix + e.name(), e.took());
    } else if (event instanceof ProgressEvent.VertexRecorded e) {
      return new ProgressEvent.VertexRecorded(e.vertex(), prefix + e.name(), e.key());
    } else if (event instanceof ProgressEvent.VertexFailed e) {
      return new ProgressEvent.VertexFailed(e.vertex(), prefix + e.name(), e.error(), e.took());
    }
    return event;
  }
}
