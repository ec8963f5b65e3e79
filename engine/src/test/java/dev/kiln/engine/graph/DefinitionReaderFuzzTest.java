package dev.kiln.engine.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Any text given as a definition is read, or rejected with a message naming the file: never another
 * exception; what is read writes back to text that reads and writes the same. Seeds: {@code
 * DefinitionReaderFuzzTestInputs/parse/}.
 */
class DefinitionReaderFuzzTest {
  @FuzzTest
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    Definition definition;
    try {
      definition = DefinitionReader.parse(text, "graph.json", Path.of("/defs"));
    } catch (InvalidDefinitionException e) {
      assertTrue(e.getMessage().startsWith("graph.json"), e.getMessage());
      assertTrue(e.getMessage().length() > "graph.json: ".length(), e.getMessage());
      return;
    }
    // The writer writes what the root reaches (a vertex nothing uses is dropped): what it wrote
    // reads back to a definition it writes the same way.
    String written = DefinitionWriter.write(definition);
    assertEquals(
        written,
        DefinitionWriter.write(DefinitionReader.parse(written, "again.json", Path.of("/defs"))));
  }
}
