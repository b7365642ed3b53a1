package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.storage.DatabaseUrl;
import ai.infrastack.gateway.support.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The periodic purge of bus messages' idempotency records and kept answers, in H2 and PostgreSQL: what was
 * taken on before the retention goes, both records together; newer ones stay and still answer a redelivery.
 */
class BusRetentionTest {
    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
    private Database db;

    @AfterEach
    void close() {
        if (db != null) {
            db.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void messages_taken_on_before_the_retention_are_forgotten_with_their_answers(String engine) throws Exception {
        db = Database.open(DatabaseUrl.parse(engine.equals("h2") ? TestDatabases.freshH2() : TestDatabases.freshPostgres()), 2);
        takenOn("key_1:old", NOW.minus(Duration.ofDays(8)));
        takenOn("key_1:recent", NOW.minus(Duration.ofDays(6)));

        BusRetention retention = new BusRetention(db.dataSource(), Duration.ofDays(7), Clock.fixed(NOW, ZoneOffset.UTC));
        assertEquals(1, retention.purge());
        assertEquals(0, retention.purge(), "nothing more to purge");

        assertEquals(List.of("key_1:recent"), ids("SELECT message_id FROM processed_message"));
        assertEquals(List.of("key_1:recent"), ids("SELECT message_id FROM bus_result"));
        assertTrue(new BusResultStore(db.dataSource()).find("key_1:recent").orElseThrow().answered(), "its answer is kept");
    }

    /** A message as the ingress leaves it once answered: its idempotency record and its kept answer. */
    private void takenOn(String messageId, Instant at) throws SQLException {
        try (Connection c = db.dataSource().getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO processed_message (processor_name, message_id, created_at)"
                    + " VALUES ('bus-requests', ?, ?)")) {
                ps.setString(1, messageId);
                ps.setTimestamp(2, Timestamp.from(at));
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO bus_result (message_id, request_id, status, total_cost, body,"
                    + " produced, created_at) VALUES (?, 'req_x', 200, '0.0001', '{}', TRUE, ?)")) {
                ps.setString(1, messageId);
                ps.setTimestamp(2, Timestamp.from(at));
                ps.executeUpdate();
            }
        }
    }

    private List<String> ids(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
