package ai.infrastack.gateway.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * Fresh, empty databases for tests, one per call, so no test depends on another's rows: a new
 * schema in a real PostgreSQL (the server on 127.0.0.1:5432 where it answers, else an embedded
 * PostgreSQL started once for the test JVM), or a new in-memory H2 in PostgreSQL mode.
 */
public final class TestDatabases {
    private static final String LOCAL = "jdbc:postgresql://127.0.0.1:5432/test";
    private static String postgresBase;
    private static EmbeddedPostgres embedded;

    private TestDatabases() {}

    /** A JDBC URL (user and password included) of an empty schema in a real PostgreSQL. */
    public static synchronized String freshPostgres() {
        String base = postgresBase();
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(base); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create schema in " + base, e);
        }
        return base + "&currentSchema=" + schema;
    }

    /** A JDBC URL of an empty in-memory H2 database in PostgreSQL mode, like the embedded default. */
    public static String freshH2() {
        return "jdbc:h2:mem:t_" + UUID.randomUUID().toString().replace("-", "")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1";
    }

    /** The embedded server, when the tests started one (null when the local server is used). */
    public static synchronized EmbeddedPostgres embeddedServer() {
        postgresBase();
        return embedded;
    }

    private static String postgresBase() {
        if (postgresBase != null) {
            return postgresBase;
        }
        String local = LOCAL + "?user=postgres";
        try (Connection c = DriverManager.getConnection(local)) {
            postgresBase = local;
            return postgresBase;
        } catch (SQLException e) {
            // no server here: start one from the Maven artifact
        }
        try {
            embedded = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    embedded.close();
                } catch (IOException ignored) {
                    // the JVM is exiting
                }
            }));
            // getJdbcUrl carries ?user=…, so further parameters are appended with '&'.
            postgresBase = embedded.getJdbcUrl("postgres", "postgres");
            return postgresBase;
        } catch (IOException e) {
            throw new IllegalStateException("no PostgreSQL on 127.0.0.1:5432 and the embedded one failed to start", e);
        }
    }
}
