package dev.kiln.engine.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.engine.testing.PostgresServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared job journal's database, against a real PostgreSQL. */
class SharedJournalTest {
  private static PostgresServer postgres;

  @BeforeAll
  static void start() throws Exception {
    postgres = PostgresServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    postgres.close();
  }

  @Test
  void itsTablesAreMadeOnceAndPreparingAgainKeepsWhatTheyHold() throws Exception {
    String url = postgres.createDatabase("prepared");
    SharedJournal journal = new SharedJournal(url, PostgresServer.USER, "");

    journal.prepare();
    try (Connection connection = postgres.connect("prepared")) {
      connection
          .createStatement()
          .execute(
              "INSERT INTO event_journal (persistence_id, sequence_number, writer,"
                  + " event_ser_id, event_ser_manifest, event_payload)"
                  + " VALUES ('build-x', 1, 'w', 1, 'm', '\\x00')");
    }
    journal.prepare();

    try (Connection connection = postgres.connect("prepared");
        ResultSet tables =
            connection
                .createStatement()
                .executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
        ResultSet rows =
            postgres
                .connect("prepared")
                .createStatement()
                .executeQuery("SELECT count(*) FROM event_journal")) {
      Set<String> names = new TreeSet<>();
      while (tables.next()) {
        names.add(tables.getString(1));
      }
      assertEquals(Set.of("event_journal", "event_tag", "snapshot"), names);
      rows.next();
      assertEquals(1, rows.getInt(1));
    }
  }

  @Test
  void aDatabaseNobodyAnswersForIsAnErrorNamingIt() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    SharedJournal journal =
        new SharedJournal("jdbc:postgresql://127.0.0.1:" + closed + "/kiln", "kiln", "secret");

    IOException failure = assertThrows(IOException.class, journal::prepare);

    assertTrue(
        failure
            .getMessage()
            .startsWith(
                "the shared job journal at jdbc:postgresql://127.0.0.1:"
                    + closed
                    + "/kiln as kiln: "),
        failure.getMessage());
    assertTrue(!failure.getMessage().contains("secret"), "no password in errors");
  }

  @Test
  void onlyPostgresqlUrlsAreTaken() {
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () -> new SharedJournal("jdbc:mysql://db/kiln", "kiln", ""));

    assertEquals(
        "journal URL jdbc:mysql://db/kiln: use jdbc:postgresql://HOST:PORT/DATABASE",
        refused.getMessage());
    assertEquals(
        "jdbc:postgresql://db/kiln as kiln",
        new SharedJournal("jdbc:postgresql://db/kiln", "kiln", "pw").toString());
  }
}
