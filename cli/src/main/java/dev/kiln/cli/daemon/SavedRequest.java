package dev.kiln.cli.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cli.ContextManifest;
import dev.kiln.cli.RemoteBuild;
import dev.kiln.engine.graph.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a daemon's build needs to run again after a crash, saved in its session directory ({@code
 * ROOT/sessions/ID/request.json}) before it starts: the client's request, the manifests of the
 * daemon's copies it reads (so that a resumed build finds them as they were), and the ids, never
 * the contents, of the secrets it was sent. The session's other files (the Dockerfile, a context
 * sent whole) stay there until the build's job ends.
 *
 * <p>Decision: uploads are kept in the session, not copied into the content store, which would
 * double the disk and time every upload costs; a daemon's copy of a context cannot change under an
 * unfinished build, since the build holds it and a restart takes it again before it listens.
 */
public record SavedRequest(
    RemoteBuild.Request request,
    List<String> secrets,
    Optional<ContextManifest> context,
    Map<String, ContextManifest> dirs) {
  /** Its file in a session directory. */
  public static final String FILE = "request.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  public SavedRequest {
    secrets = List.copyOf(secrets);
    dirs = Map.copyOf(new TreeMap<>(dirs));
  }

  /** What {@code request} with {@code upload} leaves to save. */
  static SavedRequest of(RemoteBuild.Request request, ContextUpload.Upload upload) {
    return new SavedRequest(
        request, List.copyOf(upload.secrets().keySet()), upload.manifest(), upload.dirs());
  }

  /** Writes it into {@code session}: to a temporary file, synced, then renamed. */
  public void write(Path session) throws IOException {
    ObjectNode json = JSON.createObjectNode();
    json.put("request", request.encode());
    secrets.forEach(json.putArray("secrets")::add);
    context.ifPresent(manifest -> json.put("context", manifest.write()));
    ObjectNode copies = json.putObject("dirs");
    dirs.forEach((key, manifest) -> copies.put(key, manifest.write()));
    byte[] body = JSON.writeValueAsBytes(json);
    ObjectNode sealed = JSON.createObjectNode();
    sealed.put("sha256", Digest.sha256(body).hex());
    sealed.set("saved", json);
    Path temp = session.resolve(FILE + ".tmp");
    try (var channel =
        java.nio.channels.FileChannel.open(
            temp,
            java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
            java.nio.file.StandardOpenOption.WRITE)) {
      channel.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(sealed)));
      channel.force(true);
    }
    Files.move(temp, session.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * What {@code session} saved; empty when nothing was (the build had not started); throws when the
   * file is damaged, naming it.
   */
  static Optional<SavedRequest> read(Path session) throws IOException {
    Path file = session.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      JsonNode sealed = JSON.readTree(file.toFile());
      JsonNode json = sealed.path("saved");
      if (!json.isObject()
          || !Digest.sha256(JSON.writeValueAsBytes(json))
              .hex()
              .equals(sealed.path("sha256").asText())) {
        throw new IOException("its digest does not match its content");
      }
      RemoteBuild.Request request = RemoteBuild.Request.decode(json.path("request").asText());
      List<String> secrets = new java.util.ArrayList<>();
      json.path("secrets").forEach(id -> secrets.add(id.asText()));
      Optional<ContextManifest> context =
          json.has("context")
              ? Optional.of(manifest(json.get("context").asText()))
              : Optional.empty();
      Map<String, ContextManifest> dirs = new TreeMap<>();
      for (var entry : json.path("dirs").properties()) {
        dirs.put(entry.getKey(), manifest(entry.getValue().asText()));
      }
      return Optional.of(new SavedRequest(request, secrets, context, dirs));
    } catch (IOException | RemoteBuild.BadRequest | RuntimeException e) {
      throw new IOException(file + " is damaged (" + e.getMessage() + ")", e);
    }
  }

  /**
   * The upload as it was for the build's copies (its manifests, the files long moved in), with
   * {@code secrets} sent again.
   */
  ContextUpload.Upload upload(Map<String, byte[]> secrets) {
    return new ContextUpload.Upload(secrets, context, dirs);
  }

  /** Whether the build needs its client to resume: it was given secrets or ssh agents. */
  boolean needsClient() {
    return !secrets.isEmpty() || !request.ssh().isEmpty();
  }

  private static ContextManifest manifest(String text) throws IOException {
    return ContextManifest.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
  }
}
