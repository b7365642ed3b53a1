package ai.infrastack.gateway.batch;

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

/** The periodic purge of finished batches, on the schema the migrations create, in H2 and PostgreSQL. */
class BatchRetentionTest {
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
    void finished_batches_past_their_retention_go_with_their_items_and_unfinished_ones_stay(String engine) throws Exception {
        db = Database.open(DatabaseUrl.parse(engine.equals("h2") ? TestDatabases.freshH2() : TestDatabases.freshPostgres()), 2);
        BatchStore store = new BatchStore(db.dataSource());
        Instant longAgo = NOW.minus(Duration.ofDays(40));
        store.create("old-finished", "k1", batch(3), longAgo);
        store.create("old-cancelled", "k1", batch(2), longAgo);
        store.create("old-unfinished", "k1", batch(2), longAgo); // still running 40 days on: never purged
        store.create("recently-finished", "k1", batch(2), longAgo);
        finishedAt("old-finished", NOW.minus(Duration.ofDays(31)));
        finishedAt("old-cancelled", NOW.minus(Duration.ofDays(35)));
        finishedAt("recently-finished", NOW.minus(Duration.ofDays(29)));

        BatchRetention retention = new BatchRetention(db.dataSource(), Duration.ofDays(30), Clock.fixed(NOW, ZoneOffset.UTC));
        assertEquals(2, retention.purge());
        assertEquals(0, retention.purge(), "nothing more to purge");

        assertEquals(List.of("old-unfinished", "recently-finished"), ids("SELECT id FROM batches ORDER BY id"));
        assertEquals(List.of("old-unfinished", "recently-finished"),
                ids("SELECT DISTINCT batch_id FROM batch_items ORDER BY batch_id"), "the purged batches' items went with them");
    }

    private static NewBatch batch(int n) {
        List<NewBatch.Item> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            items.add(new NewBatch.Item("c" + i, "{\"model\":\"gpt-4o-mini\",\"messages\":[]}"));
        }
        return new NewBatch(items, 2, true, null);
    }

    private void finishedAt(String id, Instant at) throws SQLException {
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE batches SET status = 'completed', finished_at = ? WHERE id = ?")) {
            ps.setTimestamp(1, Timestamp.from(at));
            ps.setString(2, id);
            ps.executeUpdate();
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
