package dev.kiln.engine.worker;

import dev.kiln.engine.graph.Definition;
import dev.kiln.engine.graph.DefinitionReader;
import dev.kiln.engine.graph.GraphPaths;
import dev.kiln.engine.graph.InvalidDefinitionException;
import dev.kiln.engine.snapshot.Snapshot;
import dev.kiln.engine.snapshot.SnapshotFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Reads a build op's definition from its input snapshot and checks it as any definition is checked.
 * The snapshot comes from the build, so the file is hostile: its path is taken literally (no
 * symbolic link is followed), its size is bounded, and it may not name host paths.
 */
final class NestedDefinition {
  /** Far above any real graph; a definition this big is a mistake or an attack. */
  static final long MAX_BYTES = 16L * 1024 * 1024;

  private NestedDefinition() {}

  /** The definition at {@code path} in {@code snapshot}; errors start with {@code label}. */
  static Definition read(Snapshot snapshot, String path, String label) throws IOException {
    if (GraphPaths.climbsOutOfRoot(path)) {
      throw new InvalidDefinitionException(label + ": the path climbs out of the build op's input");
    }
    Path file =
        SnapshotFiles.find(snapshot, path)
            .orElseThrow(
                () ->
                    new InvalidDefinitionException(
                        label + ": no such file in the build op's input"));
    if (Files.isSymbolicLink(file)) {
      throw new InvalidDefinitionException(
          label + ": is a symbolic link; a build op reads the file itself, never through a link");
    }
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new InvalidDefinitionException(label + ": is not a regular file");
    }
    long size = Files.size(file);
    if (size > MAX_BYTES) {
      throw new InvalidDefinitionException(
          label + ": is " + size + " bytes; a nested definition may have at most " + MAX_BYTES);
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(Files.readAllBytes(file)))
              .toString();
    } catch (CharacterCodingException e) {
      throw new InvalidDefinitionException(label + ": is not UTF-8 text");
    }
    return DefinitionReader.parse(text, label, null);
  }
}
