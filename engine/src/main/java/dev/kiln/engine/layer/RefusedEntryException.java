package dev.kiln.engine.layer;

import java.io.IOException;

/** A layer entry the unpacker will not write; the message names the entry and the reason. */
final class RefusedEntryException extends IOException {
  RefusedEntryException(String message) {
    super(message);
  }
}
