package ai.infrastack.gateway.webhook;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;

/**
 * The background worker that delivers the outbox: claims due rows with a lease (so several instances
 * never send one row at once, and a crashed instance's claim lapses), POSTs each signed body, and
 * records the outcome. A 2xx is delivered; anything else is retried with exponential backoff and
 * jitter until {@code maxAttempts}, then kept as failed. Pending rows survive a restart in the table.
 */
public final class WebhookSender {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookSender.class);

    /** How it retries and how long a claim holds. */
    public record Policy(long pollMs, long backoffBaseMs, long backoffMaxMs, int maxAttempts, long timeoutMs) {
        long leaseMs() {
            return timeoutMs + 5_000;
        }

        /** Exponential, capped, with "equal jitter": half the delay fixed, half random. */
        long backoffMs(int attemptsSoFar) {
            long exp = backoffBaseMs << Math.min(30, Math.max(0, attemptsSoFar - 1));
            long delay = Math.min(backoffMaxMs, exp < 0 ? backoffMaxMs : exp);
            return delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        }
    }

    private final DataSource dataSource;
    private final WebhookEndpoints endpoints;
    private final Policy policy;
    private final HttpClient http;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeUp = lock.newCondition();
    private boolean woken;
    private volatile boolean running;
    private Thread worker;

    public WebhookSender(DataSource dataSource, WebhookEndpoints endpoints, Policy policy) {
        this.dataSource = dataSource;
        this.endpoints = endpoints;
        this.policy = policy;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(policy.timeoutMs()))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public void start() {
        running = true;
        worker = Thread.ofVirtual().name("webhook-sender").start(this::loop);
    }

    public void stop() {
        running = false;
        wake();
        if (worker != null) {
            try {
                worker.join(policy.timeoutMs() + 1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Something was written: look now rather than at the next poll. */
    public void wake() {
        lock.lock();
        try {
            woken = true;
            wakeUp.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (running) {
            try {
                List<String> claimed = claimDue();
                if (!claimed.isEmpty()) {
                    List<Thread> sends = new ArrayList<>();
                    for (String id : claimed) {
                        sends.add(Thread.ofVirtual().name("webhook-delivery").start(() -> deliver(id)));
                    }
                    for (Thread t : sends) {
                        t.join();
                    }
                    continue;
                }
            } catch (SQLException e) {
                LOG.warn("Webhook outbox unavailable, retrying: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("Webhook sender failed a round; continuing", e);
            }
            pause();
        }
    }

    private void pause() {
        lock.lock();
        try {
            if (!woken && running) {
                wakeUp.await(policy.pollMs(), TimeUnit.MILLISECONDS);
            }
            woken = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            lock.unlock();
        }
    }

    /** Due rows claimed by this instance: the conditional UPDATE is the claim, so two workers never both win one. */
    List<String> claimDue() throws SQLException {
        Instant now = Instant.now();
        List<String> due = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM webhook_outbox WHERE status = 'pending'"
                    + " AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT 32")) {
                ps.setTimestamp(1, Timestamp.from(now));
                ps.setTimestamp(2, Timestamp.from(now));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        due.add(rs.getString(1));
                    }
                }
            }
            List<String> claimed = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("UPDATE webhook_outbox SET lease_until = ? WHERE id = ?"
                    + " AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?)")) {
                for (String id : due) {
                    ps.setTimestamp(1, Timestamp.from(now.plusMillis(policy.leaseMs())));
                    ps.setString(2, id);
                    ps.setTimestamp(3, Timestamp.from(now));
                    if (ps.executeUpdate() == 1) {
                        claimed.add(id);
                    }
                }
            }
            return claimed;
        }
    }

    private record Delivery(String id, String eventId, String eventType, String endpointId, String url, String body, int attempts) {}

    private void deliver(String id) {
        try {
            Optional<Delivery> row = load(id);
            if (row.isEmpty()) {
                return;
            }
            Delivery d = row.get();
            int status = 0;
            String error = null;
            try {
                status = post(d);
                if (status < 200 || status > 299) {
                    error = "HTTP " + status;
                }
            } catch (java.io.IOException | IllegalArgumentException e) {
                error = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            record(d, status, error);
        } catch (SQLException e) {
            LOG.warn("Webhook delivery {} not recorded (its lease lapses and it is retried): {}", id, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int post(Delivery d) throws java.io.IOException, InterruptedException, SQLException {
        long timestamp = Instant.now().getEpochSecond();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(d.url()))
                .timeout(Duration.ofMillis(policy.timeoutMs()))
                .header("Content-Type", "application/json")
                .header("User-Agent", "unified-llm-gateway-webhooks")
                .header(WebhookSignature.ID_HEADER, d.eventId())
                .header(WebhookSignature.EVENT_HEADER, d.eventType())
                .header(WebhookSignature.TIMESTAMP_HEADER, String.valueOf(timestamp))
                .POST(HttpRequest.BodyPublishers.ofString(d.body(), StandardCharsets.UTF_8));
        Optional<String> secret = endpoints.secretOf(d.endpointId());
        secret.ifPresent(s -> request.header(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(s, timestamp, d.body())));
        return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private Optional<Delivery> load(String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT event_id, event_type, endpoint_id, url, body, attempts"
                     + " FROM webhook_outbox WHERE id = ? AND status = 'pending'")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Delivery(id, rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getInt(6))) : Optional.empty();
            }
        }
    }

    private void record(Delivery d, int status, String error) throws SQLException {
        Instant now = Instant.now();
        int attempts = d.attempts() + 1;
        boolean delivered = error == null;
        boolean givenUp = !delivered && attempts >= policy.maxAttempts();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE webhook_outbox SET status = ?, attempts = ?, next_attempt_at = ?,"
                     + " lease_until = NULL, last_status = ?, last_error = ?, delivered_at = ? WHERE id = ?")) {
            ps.setString(1, delivered ? "delivered" : givenUp ? "failed" : "pending");
            ps.setInt(2, attempts);
            ps.setTimestamp(3, Timestamp.from(delivered || givenUp ? now : now.plusMillis(policy.backoffMs(attempts))));
            if (status == 0) {
                ps.setNull(4, java.sql.Types.INTEGER);
            } else {
                ps.setInt(4, status);
            }
            ps.setString(5, error == null ? null : error.length() > 500 ? error.substring(0, 500) : error);
            ps.setTimestamp(6, delivered ? Timestamp.from(now) : null);
            ps.setString(7, d.id());
            ps.executeUpdate();
        }
        if (givenUp) {
            LOG.warn("Webhook delivery {} ({} to endpoint {}) failed {} times and is given up: {}", d.id(), d.eventType(),
                    d.endpointId() == null ? "of the event" : d.endpointId(), attempts, error);
        } else if (!delivered) {
            LOG.info("Webhook delivery {} ({}) attempt {} failed: {}; retrying", d.id(), d.eventType(), attempts, error);
        }
    }
}
