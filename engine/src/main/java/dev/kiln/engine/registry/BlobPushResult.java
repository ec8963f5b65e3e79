package dev.kiln.engine.registry;

/** What pushing a blob took. */
public enum BlobPushResult {
  /** The repository had it already. */
  ALREADY_PRESENT,
  /** Mounted from another repository of the registry, without uploading. */
  MOUNTED,
  /** Uploaded. */
  UPLOADED
}
