package dev.kiln.engine.job;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * A job journal the coordinators of a cluster share: a PostgreSQL database ({@code
 * jdbc:postgresql://HOST:PORT/DB}), its user and password. A coordinator that dies leaves its jobs
 * there for another to take over.
 */
public record SharedJournal(String url, String user, String password) {
  public SharedJournal {
    if (!url.startsWith("jdbc:postgresql://")) {
      throw new IllegalArgumentException(
          "journal URL " + url + ": use jdbc:postgresql://HOST:PORT/DATABASE");
    }
  }

  /** Never the password: settings are printed in errors and status. */
  @Override
  public String toString() {
    return url + " as " + user;
  }

  /**
   * Makes the journal's tables where they are missing (Kiln's own schema file, made for Pekko
   * Persistence JDBC's PostgreSQL layout), so that a new database needs no step by hand. Blocking;
   * the error names the database and what it answered.
   */
  public void prepare() throws IOException {
    String schema;
    try (InputStream in = SharedJournal.class.getResourceAsStream("postgres-schema.sql")) {
      schema = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Properties properties = new Properties();
    properties.setProperty("user", user);
    properties.setProperty("password", password);
    properties.setProperty("connectTimeout", "10");
    try (Connection connection = DriverManager.getConnection(url, properties);
        Statement statement = connection.createStatement()) {
      // Two coordinators starting at once would race on the same CREATEs: one at a time.
      statement.execute("SELECT pg_advisory_lock(74110011)");
      for (String sql : schema.split(";")) {
        if (!sql.isBlank()) {
          statement.execute(sql);
        }
      }
    } catch (SQLException e) {
      throw new IOException("the shared job journal at " + this + ": " + e.getMessage(), e);
    }
  }
}
