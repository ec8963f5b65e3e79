package dev.kiln.engine.registry;

import dev.kiln.engine.content.ContentStore;
import dev.kiln.engine.image.Descriptor;
import dev.kiln.engine.image.ImagePlatform;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * A client of OCI distribution registries: resolves references, pulls manifests and blobs into a
 * content store, pushes blobs and manifests. Blocking; thread-safe; one per process is enough (it
 * caches tokens and shares in-flight downloads).
 */
public final class RegistryClient {
  /** Size limits: manifests accepted, blobs uploaded in one request, upload chunks. */
  public record Limits(long maxManifestBytes, long monolithicUploadBytes, long chunkBytes) {
    public Limits {
      if (maxManifestBytes < 1 || monolithicUploadBytes < 0 || chunkBytes < 1) {
        throw new IllegalArgumentException("limits must be positive");
      }
    }

    /** 4 MiB manifests (as containerd), 16 MiB monolithic uploads, 16 MiB chunks. */
    public static Limits standard() {
      return new Limits(4L << 20, 16L << 20, 16L << 20);
    }
  }

  private final ManifestFetch manifests;
  private final BlobFetch blobs;
  private final BlobPush blobPush;
  private final ManifestPush manifestPush;
  private final RegistryPing ping;

  private RegistryClient(RegistryCalls calls) {
    this.manifests = new ManifestFetch(calls);
    this.blobs = new BlobFetch(calls);
    this.blobPush = new BlobPush(calls);
    this.manifestPush = new ManifestPush(calls);
    this.ping = new RegistryPing(calls);
  }

  /**
   * A client configured as the user's environment says: {@code registries.json} for hosts, Docker's
   * config file and credential helpers for credentials.
   */
  public static RegistryClient fromEnvironment(Map<String, String> env) throws IOException {
    DockerCredentials credentials = DockerCredentials.fromEnvironment(env);
    return builder()
        .hosts(RegistryHosts.load(RegistryHosts.defaultFile(env)))
        .credentials(credentials, shown(credentials.configFile(), env))
        .build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Resolves {@code reference} to the descriptor of the manifest or index it names. */
  public Descriptor resolve(ImageReference reference) throws IOException {
    return manifests.resolve(reference);
  }

  /** The manifest or index {@code reference} names (by digest when it has one). */
  public Manifest fetchManifest(ImageReference reference) throws IOException {
    return manifests.fetch(reference, Optional.empty());
  }

  /** The manifest or index {@code descriptor} describes, in {@code repository}. */
  public Manifest fetchManifest(ImageReference repository, Descriptor descriptor)
      throws IOException {
    return manifests.fetch(repository, Optional.of(descriptor));
  }

  /**
   * The image manifest of {@code reference} for this machine's platform: the manifest itself, or
   * the entry an index has for this platform.
   */
  public Manifest fetchImageManifest(ImageReference reference) throws IOException {
    Manifest top = fetchManifest(reference);
    if (!top.isIndex()) {
      return top;
    }
    Descriptor chosen;
    try {
      chosen = ImagePlatform.choose(top.json());
    } catch (IOException e) {
      throw new RegistryException(
          RegistryException.Kind.NOT_FOUND, reference + ": " + e.getMessage(), e);
    }
    return fetchManifest(reference, chosen);
  }

  /**
   * Makes blob {@code blob} of {@code repository} present in {@code store}, verified; resumes an
   * interrupted download; concurrent calls for one blob download it once.
   */
  public void fetchBlob(ImageReference repository, Descriptor blob, ContentStore store)
      throws IOException {
    blobs.fetch(repository, blob, store);
  }

  /**
   * Pushes {@code blob} to {@code repository}, unless it is there already; mounts it from {@code
   * mountFrom} (another repository of the same registry that has it) when given.
   */
  public BlobPushResult pushBlob(
      ImageReference repository, Descriptor blob, BlobSource source, Optional<String> mountFrom)
      throws IOException {
    return blobPush.push(repository, blob, source, mountFrom);
  }

  /**
   * Pushes a manifest or index under {@code reference}'s tag, or its digest (which must be the
   * digest of {@code bytes}); returns its descriptor.
   */
  public Descriptor pushManifest(ImageReference reference, String mediaType, byte[] bytes)
      throws IOException {
    return manifestPush.push(reference, mediaType, bytes);
  }

  /** Checks that {@code registry} answers and accepts this client's credentials for it. */
  public void checkLogin(String registry) throws IOException {
    ping.check(registry);
  }

  /** How messages name the credentials file: with {@code ~} for the home directory. */
  static String shown(Path file, Map<String, String> env) {
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    Path homePath = Path.of(home);
    return file.startsWith(homePath) && !home.isEmpty()
        ? "~/" + homePath.relativize(file)
        : file.toString();
  }

  /** Builds a client; every setting has a default. */
  public static final class Builder {
    private RegistryHosts hosts = RegistryHosts.defaults();
    private CredentialSource credentials = CredentialSource.none();
    private String credentialsFile = "~/.docker/config.json";
    private RetryPolicy retry = RetryPolicy.standard();
    private Limits limits = Limits.standard();
    private Clock clock = Clock.systemUTC();
    private Duration timeout = Duration.ofMinutes(2);
    private Duration connectTimeout = Duration.ofSeconds(30);
    private Duration stallTimeout = Duration.ofSeconds(60);
    private Optional<SSLContext> sslContext = Optional.empty();

    private Builder() {}

    public Builder hosts(RegistryHosts value) {
      hosts = value;
      return this;
    }

    /** Credentials, and how error messages name the file they come from. */
    public Builder credentials(CredentialSource value, String file) {
      credentials = value;
      credentialsFile = file;
      return this;
    }

    public Builder retry(RetryPolicy value) {
      retry = value;
      return this;
    }

    public Builder limits(Limits value) {
      limits = value;
      return this;
    }

    /** The clock tokens expire by. */
    public Builder clock(Clock value) {
      clock = value;
      return this;
    }

    /** How long a request may wait for its response headers. */
    public Builder timeout(Duration value) {
      timeout = value;
      return this;
    }

    /** How long a download may receive nothing before it is broken off (and resumed). */
    public Builder stallTimeout(Duration value) {
      stallTimeout = value;
      return this;
    }

    public Builder connectTimeout(Duration value) {
      connectTimeout = value;
      return this;
    }

    /** The TLS context to verify registries with (default: the JVM's trusted CAs). */
    public Builder sslContext(SSLContext value) {
      sslContext = Optional.of(value);
      return this;
    }

    public RegistryClient build() {
      HttpClient.Builder builder =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_2)
              // Redirects are followed by hand, to keep credentials on the registry's origin.
              .followRedirects(HttpClient.Redirect.NEVER)
              .connectTimeout(connectTimeout);
      sslContext.ifPresent(builder::sslContext);
      HttpClient http = builder.build();
      RegistryErrors errors = new RegistryErrors(credentialsFile);
      TokenAuthenticator tokens = new TokenAuthenticator(http, clock, timeout);
      RegistryAuth auth = new RegistryAuth(credentials, tokens, errors);
      RegistryTransport transport = new RegistryTransport(http, auth, errors);
      return new RegistryClient(
          new RegistryCalls(transport, hosts, retry, limits, timeout, stallTimeout));
    }
  }
}
