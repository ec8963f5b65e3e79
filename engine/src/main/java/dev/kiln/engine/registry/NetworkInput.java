package dev.kiln.engine.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A response body whose read failures (a reset or cut connection) surface as retryable {@link
 * RegistryException}s, told apart from local disk errors by the code that copies it.
 */
final class NetworkInput extends FilterInputStream {
  private final RegistryEndpoint endpoint;
  private final RegistryErrors errors;

  NetworkInput(InputStream in, RegistryEndpoint endpoint, RegistryErrors errors) {
    super(in);
    this.endpoint = endpoint;
    this.errors = errors;
  }

  @Override
  public int read() throws IOException {
    try {
      return super.read();
    } catch (IOException e) {
      throw failed(e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      return super.read(b, off, len);
    } catch (IOException e) {
      throw failed(e);
    }
  }

  private IOException failed(IOException e) {
    if (e instanceof RegistryException) {
      return e;
    }
    return errors.network(endpoint, endpoint.base(), new IOException("download broke: " + e, e));
  }
}
