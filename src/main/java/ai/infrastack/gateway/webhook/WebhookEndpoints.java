package ai.infrastack.gateway.webhook;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The endpoints events go to: those of application.properties (fixed at start) and those the admin
 * API added (in the database, so every instance sees them). Read in the event's own transaction.
 */
public final class WebhookEndpoints {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<WebhookEndpoint> configured;
    private final DataSource dataSource;
    private final String adHocSecret;

    /** @param adHocSecret signs deliveries to a URL given with one event (a batch's webhook_url); may be null */
    public WebhookEndpoints(List<WebhookEndpoint> configured, DataSource dataSource, String adHocSecret) {
        this.configured = List.copyOf(configured);
        this.dataSource = dataSource;
        this.adHocSecret = adHocSecret;
    }

    public List<WebhookEndpoint> configured() {
        return configured;
    }

    /** Every live endpoint that takes this event type. */
    public List<WebhookEndpoint> forEvent(Connection c, String eventType) throws SQLException {
        List<WebhookEndpoint> out = new ArrayList<>();
        for (WebhookEndpoint e : configured) {
            if (e.takes(eventType)) {
                out.add(e);
            }
        }
        for (WebhookEndpoint e : stored(c)) {
            if (e.takes(eventType)) {
                out.add(e);
            }
        }
        return out;
    }

    /** The secret of an endpoint (null id: the ad-hoc secret), looked up when a delivery is signed. */
    public Optional<String> secretOf(String endpointId) throws SQLException {
        if (endpointId == null) {
            return Optional.ofNullable(adHocSecret);
        }
        for (WebhookEndpoint e : configured) {
            if (e.id().equals(endpointId)) {
                return Optional.of(e.secret());
            }
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT secret FROM webhook_endpoint WHERE id = ?")) {
            ps.setString(1, endpointId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    public List<WebhookEndpoint> stored() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return stored(c);
        }
    }

    private static List<WebhookEndpoint> stored(Connection c) throws SQLException {
        List<WebhookEndpoint> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT id, url, secret, events FROM webhook_endpoint WHERE deleted_at IS NULL ORDER BY created_at, id");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new WebhookEndpoint(rs.getString(1), rs.getString(2), rs.getString(3), events(rs.getString(4))));
            }
        }
        return out;
    }

    /** Adds an endpoint; a missing secret is generated (and shown once, by the admin API). */
    public WebhookEndpoint add(String url, String secret, Set<String> events) throws SQLException {
        WebhookEndpoint e = new WebhookEndpoint("wh_" + random(12), url, secret != null ? secret : "whsec_" + random(24), events);
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "INSERT INTO webhook_endpoint (id, url, secret, events, created_at) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, e.id());
            ps.setString(2, e.url());
            ps.setString(3, e.secret());
            ps.setString(4, String.join(",", e.events()));
            ps.setTimestamp(5, Timestamp.from(Instant.now()));
            ps.executeUpdate();
        }
        return e;
    }

    /** Stops deliveries of new events to it; pending ones are still sent. False when unknown. */
    public boolean delete(String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "UPDATE webhook_endpoint SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL")) {
            ps.setTimestamp(1, Timestamp.from(Instant.now()));
            ps.setString(2, id);
            return ps.executeUpdate() == 1;
        }
    }

    public static Set<String> events(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) {
            return Set.of("*");
        }
        return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
