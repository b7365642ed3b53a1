package ai.infrastack.gateway.webhook;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Writes an event's deliveries, one row per endpoint, into the outbox — inside the caller's
 * transaction when it has one, so an event exists exactly when what caused it was committed.
 * The sender picks the rows up; {@link #wake()} after commit saves it waiting for its next poll.
 */
public final class WebhookOutbox {
    private final DataSource dataSource;
    private final WebhookEndpoints endpoints;
    private volatile Runnable onWritten = () -> { };

    public WebhookOutbox(DataSource dataSource, WebhookEndpoints endpoints) {
        this.dataSource = dataSource;
        this.endpoints = endpoints;
    }

    void onWritten(Runnable wake) {
        this.onWritten = wake;
    }

    /**
     * Adds the event's rows in {@code c}'s transaction: one per endpoint taking {@code eventType},
     * plus one for {@code extraUrl} when given. Returns how many rows were written.
     */
    public int enqueue(Connection c, String eventType, String body, String extraUrl) throws SQLException {
        String eventId = "evt_" + UUID.randomUUID().toString().replace("-", "");
        Instant now = Instant.now();
        int rows = 0;
        for (WebhookEndpoint e : endpoints.forEvent(c, eventType)) {
            insert(c, eventId, eventType, e.id(), e.url(), body, now);
            rows++;
        }
        if (extraUrl != null && !extraUrl.isBlank()) {
            insert(c, eventId, eventType, null, extraUrl, body, now);
            rows++;
        }
        return rows;
    }

    /** The event in a transaction of its own (for producers that have none), then wakes the sender. */
    public int publish(String eventType, String body, String extraUrl) throws SQLException {
        int rows;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                rows = enqueue(c, eventType, body, extraUrl);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        wake();
        return rows;
    }

    public void wake() {
        onWritten.run();
    }

    private static void insert(Connection c, String eventId, String eventType, String endpointId, String url, String body,
                               Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO webhook_outbox (id, event_id, event_type, endpoint_id, url,"
                + " body, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)")) {
            ps.setString(1, "whd_" + UUID.randomUUID().toString().replace("-", ""));
            ps.setString(2, eventId);
            ps.setString(3, eventType);
            ps.setString(4, endpointId);
            ps.setString(5, url);
            ps.setString(6, body);
            ps.setTimestamp(7, Timestamp.from(now));
            ps.setTimestamp(8, Timestamp.from(now));
            ps.executeUpdate();
        }
    }
}
