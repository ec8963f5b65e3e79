package dev.kiln.engine.check;

import java.util.Locale;

/**
 * One thing wrong in a Kiln root: what kind, the file or key it concerns ({@code subject}), what is
 * wrong with it, what {@code kiln check --repair} does about it, and whether that was done.
 */
public record Problem(Kind kind, String subject, String detail, Action action, boolean repaired) {
  /** What is wrong. Leftovers are garbage an interrupted run leaves: nothing names them. */
  public enum Kind {
    /** A blob whose content does not hash to its file name (flipped bytes, truncated). */
    CORRUPT_BLOB(false),
    /** A blob that cannot be read at all. */
    UNREADABLE_BLOB(false),
    /** A file Kiln did not write where only Kiln writes (not named by a digest, say). */
    STRAY_FILE(false),
    /** A cache record naming a layer that is gone. */
    RECORD_MISSING_LAYER(false),
    /** Cache record values whose checksum fails (seen only by a repair: see docs/check.md). */
    DAMAGED_RECORDS(false),
    /** Size metadata kept for a layer that is gone; a new layer could take its id. */
    STALE_LAYER_META(false),
    /** A committed layer directory without its {@code fs/} tree. */
    BROKEN_LAYER(false),
    /** A tagged image whose manifest, config or layer blob is missing, corrupt or unreadable. */
    BROKEN_IMAGE(false),
    /** The image store's index that cannot be read. */
    DAMAGED_IMAGE_INDEX(false),
    /** The temp file of an interrupted write: a blob being ingested, the image index. */
    TEMP_FILE(true),
    /** The directory of a step's layer that was never committed, or of one half removed. */
    UNFINISHED_LAYER(true);

    private final boolean leftover;

    Kind(boolean leftover) {
      this.leftover = leftover;
    }

    /** Whether this is harmless garbage of an interrupted run rather than damage. */
    public boolean leftover() {
      return leftover;
    }

    /** The kind as users see it: {@code corrupt-blob}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** What {@code --repair} does about a problem. */
  public enum Action {
    DELETE_BLOB("deletes the blob", "deleted the blob"),
    DROP_RECORD("drops the record (its step runs again)", "dropped the record"),
    DROP_LAYER_META("drops the metadata", "dropped the metadata"),
    REMOVE_LAYER("removes it once no record names it", "removed it"),
    REMOVE_LEFTOVER("removes it", "removed it"),
    /** Nothing: the problem needs a person (its detail says what to do). */
    NONE("leaves it alone", "left it alone");

    private final String will;
    private final String did;

    Action(String will, String did) {
      this.will = will;
      this.did = did;
    }

    /** What a repair would do, as in "--repair deletes the blob". */
    public String will() {
      return will;
    }

    /** What a repair did. */
    public String did() {
      return did;
    }

    /** The action as users see it: {@code delete-blob}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** This problem, repaired. */
  Problem asRepaired() {
    return new Problem(kind, subject, detail, action, true);
  }

  /** This problem, its repair having failed with {@code why}. */
  Problem repairFailed(String why) {
    return new Problem(kind, subject, detail + " (the repair failed: " + why + ")", action, false);
  }
}
