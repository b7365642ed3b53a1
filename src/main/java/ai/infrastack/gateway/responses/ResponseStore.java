package ai.infrastack.gateway.responses;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Stored responses in the gateway's database (tables stored_response, stored_response_item): a response, the
 * conversation it continued, and its output items by id. Every read is scoped (a project never sees another's)
 * and ignores what is past its retention; expired rows are purged by {@link #purgeExpired()}.
 */
public final class ResponseStore {
    private final DataSource dataSource;
    private final ObjectMapper mapper;
    private final Duration retention;
    private final Clock clock;

    public ResponseStore(DataSource dataSource, ObjectMapper mapper, Duration retention, Clock clock) {
        this.dataSource = dataSource;
        this.mapper = mapper;
        this.retention = retention;
        this.clock = clock;
    }

    /** A stored response and the items of the conversation before its output. */
    public record Stored(ObjectNode response, ArrayNode context) {
    }

    /** Keeps the response, its context and its output items, in one transaction. */
    public void save(String scope, ObjectNode response, ArrayNode context) {
        Instant now = clock.instant();
        String id = response.path("id").asText();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement r = c.prepareStatement("INSERT INTO stored_response "
                    + "(id, scope, created_at, expires_at, context_items, response) VALUES (?, ?, ?, ?, ?, ?)");
                 PreparedStatement i = c.prepareStatement(
                         "INSERT INTO stored_response_item (item_id, response_id, scope, item) VALUES (?, ?, ?, ?)")) {
                r.setString(1, id);
                r.setString(2, scope);
                r.setTimestamp(3, Timestamp.from(now));
                r.setTimestamp(4, Timestamp.from(now.plus(retention)));
                r.setString(5, mapper.writeValueAsString(context));
                r.setString(6, mapper.writeValueAsString(response));
                r.executeUpdate();
                for (JsonNode item : response.path("output")) {
                    i.setString(1, item.path("id").asText());
                    i.setString(2, id);
                    i.setString(3, scope);
                    i.setString(4, mapper.writeValueAsString(item));
                    i.addBatch();
                }
                i.executeBatch();
                c.commit();
            } catch (SQLException | JsonProcessingException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException("Could not store response " + id + ": " + e.getMessage(), e);
        }
    }

    public Optional<Stored> find(String scope, String id) {
        return query("SELECT response, context_items FROM stored_response WHERE id = ? AND scope = ? AND expires_at > ?",
                scope, id, rs -> new Stored((ObjectNode) mapper.readTree(rs.getString(1)), (ArrayNode) mapper.readTree(rs.getString(2))));
    }

    /** An output item of a stored response, by its id. */
    public Optional<ObjectNode> item(String scope, String itemId) {
        return query("SELECT i.item FROM stored_response_item i JOIN stored_response r ON r.id = i.response_id "
                + "WHERE i.item_id = ? AND i.scope = ? AND r.expires_at > ?", scope, itemId,
                rs -> (ObjectNode) mapper.readTree(rs.getString(1)));
    }

    /** True when there was such a response (in scope, not expired) to delete. */
    public boolean delete(String scope, String id) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("DELETE FROM stored_response WHERE id = ? AND scope = ? AND expires_at > ?")) {
            s.setString(1, id);
            s.setString(2, scope);
            s.setTimestamp(3, Timestamp.from(clock.instant()));
            return s.executeUpdate() > 0;
        } catch (SQLException e) {
            throw new IllegalStateException("Could not delete response " + id + ": " + e.getMessage(), e);
        }
    }

    /** Deletes what is past its retention; returns how many responses went. */
    public int purgeExpired() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("DELETE FROM stored_response WHERE expires_at <= ?")) {
            s.setTimestamp(1, Timestamp.from(clock.instant()));
            return s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("Could not purge expired responses: " + e.getMessage(), e);
        }
    }

    private interface Row<T> {
        T read(ResultSet rs) throws SQLException, JsonProcessingException;
    }

    private <T> Optional<T> query(String sql, String scope, String id, Row<T> row) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, id);
            s.setString(2, scope);
            s.setTimestamp(3, Timestamp.from(clock.instant()));
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(row.read(rs)) : Optional.empty();
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException("Could not read stored response " + id + ": " + e.getMessage(), e);
        }
    }
}
