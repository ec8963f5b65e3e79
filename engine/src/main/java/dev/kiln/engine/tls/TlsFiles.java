package dev.kiln.engine.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for the daemon's TCP address, from PEM files as buildkitd and buildctl take them: a
 * certificate (chain) and its private key (PKCS#8, what OpenSSL 3 writes), and the CA certificates
 * to trust (on the daemon: the clients' CA, which makes TLS mutual; on a client: the daemon's CA,
 * else the system's). Read with the JDK alone.
 */
public record TlsFiles(Optional<Path> cert, Optional<Path> key, Optional<Path> ca) {
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

  public TlsFiles {
    if (cert.isPresent() != key.isPresent()) {
      throw new IllegalArgumentException("--tlscert and --tlskey go together");
    }
  }

  /** The files given, if any was. */
  public static Optional<TlsFiles> of(Optional<Path> cert, Optional<Path> key, Optional<Path> ca) {
    if (cert.isEmpty() && key.isEmpty() && ca.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new TlsFiles(cert, key, ca));
  }

  /** Whether the other side must show a certificate signed by {@link #ca}. */
  public boolean mutual() {
    return cert.isPresent() && ca.isPresent();
  }

  /** The TLS context of these files; throws naming the file and what is wrong with it. */
  public SSLContext context() throws IOException {
    try {
      KeyManagerFactory keys = null;
      if (cert.isPresent()) {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        List<Certificate> chain = certificates(cert.get());
        store.setKeyEntry(
            "kiln", privateKey(key.orElseThrow()), new char[0], chain.toArray(Certificate[]::new));
        keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, new char[0]);
      }
      TrustManagerFactory trust = null;
      if (ca.isPresent()) {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int i = 0;
        for (Certificate certificate : certificates(ca.get())) {
          store.setCertificateEntry("ca" + i++, certificate);
        }
        trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(
          keys == null ? null : keys.getKeyManagers(),
          trust == null ? null : trust.getTrustManagers(),
          null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("TLS: " + e.getMessage(), e);
    }
  }

  private static List<Certificate> certificates(Path file) throws IOException {
    List<Certificate> certificates = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (byte[] der : blocks(file, "CERTIFICATE")) {
        certificates.add(factory.generateCertificate(new ByteArrayInputStream(der)));
      }
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": not a valid certificate: " + e.getMessage(), e);
    }
    if (certificates.isEmpty()) {
      throw new IOException(file + ": no PEM certificate (-----BEGIN CERTIFICATE-----) in it");
    }
    return certificates;
  }

  private static PrivateKey privateKey(Path file) throws IOException {
    List<byte[]> keys = blocks(file, "PRIVATE KEY");
    if (keys.size() != 1) {
      throw new IOException(
          file
              + ": expected one PKCS#8 key (-----BEGIN PRIVATE KEY-----); convert others with"
              + " openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
    }
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(keys.get(0));
    for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new IOException(file + ": not an RSA, EC or Ed25519 private key");
  }

  /** The DER contents of the PEM blocks of {@code type} in {@code file}. */
  private static List<byte[]> blocks(Path file, String type) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    List<byte[]> blocks = new ArrayList<>();
    Matcher matcher = PEM.matcher(text);
    while (matcher.find()) {
      if (matcher.group(1).equals(type)) {
        try {
          blocks.add(Base64.getMimeDecoder().decode(matcher.group(2)));
        } catch (IllegalArgumentException e) {
          throw new IOException(file + ": a " + type + " block is not base64", e);
        }
      }
    }
    return blocks;
  }
}
