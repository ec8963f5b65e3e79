package dev.kiln.engine.progress;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * A build's progress as a bounded stream feeding a listener. A slow listener never slows the build:
 * past the buffer the oldest events are dropped. The stream ends after {@link ProgressEvent.Ended}.
 */
public final class ProgressStream {
  static final int BUFFER = 65_536;
  private final ActorRef<ProgressEvent> ref;
  private final CompletionStage<Done> drained;

  private ProgressStream(ActorRef<ProgressEvent> ref, CompletionStage<Done> drained) {
    this.ref = ref;
    this.drained = drained;
  }

  public static ProgressStream start(ActorSystem<?> system, Consumer<ProgressEvent> listener) {
    Pair<ActorRef<ProgressEvent>, CompletionStage<Done>> pair =
        ActorSource.<ProgressEvent>actorRef(
                event -> false, event -> Optional.empty(), BUFFER, OverflowStrategy.dropHead())
            .takeWhile(event -> !(event instanceof ProgressEvent.Ended), true)
            .toMat(Sink.foreach(listener::accept), Keep.both())
            .run(system);
    return new ProgressStream(pair.first(), pair.second());
  }

  /** Where the solver sends events. */
  public ActorRef<ProgressEvent> ref() {
    return ref;
  }

  /** Completes when the listener has seen the last event. */
  public CompletionStage<Done> drained() {
    return drained;
  }
}
