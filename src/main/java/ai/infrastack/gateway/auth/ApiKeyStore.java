package ai.infrastack.gateway.auth;

import javax.sql.DataSource;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * API keys in the database. A secret is generated here, returned once, and stored only as its
 * SHA-256 hash; lookups go by hash. All statements are parameterised.
 */
public final class ApiKeyStore {
    private static final String COLUMNS = "id, key_prefix, name, tier, user_id, project_id, allowed_models,"
            + " requests_per_hour, tokens_per_hour, expires_at, revoked_at, created_at";
    private static final char[] BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DataSource dataSource;

    public ApiKeyStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** What a new key is for; limits and expiry optional. */
    public record NewKey(String name, String tier, String userId, String projectId, Set<String> allowedModels,
                         Long requestsPerHour, Long tokensPerHour, Instant expiresAt) {
    }

    /** A key and its secret, which exists only in this object. */
    public record IssuedKey(StoredKey key, String secret) {
    }

    public IssuedKey create(NewKey spec) throws SQLException {
        String id = "key_" + random(20);
        String secret = newSecret();
        Instant now = Instant.now();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO api_keys (" + COLUMNS + ", key_hash)"
                     + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, id);
            ps.setString(2, prefix(secret));
            ps.setString(3, spec.name());
            ps.setString(4, spec.tier());
            ps.setString(5, spec.userId());
            ps.setString(6, spec.projectId());
            ps.setString(7, joined(spec.allowedModels()));
            setLong(ps, 8, spec.requestsPerHour());
            setLong(ps, 9, spec.tokensPerHour());
            setInstant(ps, 10, spec.expiresAt());
            setInstant(ps, 11, null);
            setInstant(ps, 12, now);
            ps.setString(13, hash(secret));
            ps.executeUpdate();
        }
        return new IssuedKey(get(id).orElseThrow(), secret);
    }

    public List<StoredKey> list() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM api_keys ORDER BY created_at, id");
             ResultSet rs = ps.executeQuery()) {
            List<StoredKey> keys = new ArrayList<>();
            while (rs.next()) {
                keys.add(read(rs));
            }
            return keys;
        }
    }

    public Optional<StoredKey> get(String id) throws SQLException {
        return one("SELECT " + COLUMNS + " FROM api_keys WHERE id = ?", id);
    }

    public Optional<StoredKey> findBySecretHash(String sha256Hex) throws SQLException {
        return one("SELECT " + COLUMNS + " FROM api_keys WHERE key_hash = ?", sha256Hex);
    }

    /** Revokes the key; returns it as revoked, or empty when there is no such key. */
    public Optional<StoredKey> revoke(String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
            setInstant(ps, 1, Instant.now());
            ps.setString(2, id);
            ps.executeUpdate();
        }
        return get(id);
    }

    /**
     * Replaces the key's secret: the old one stops working, the id (and so the key's usage history
     * and limits) stays. A revoked key cannot be rotated.
     */
    public Optional<IssuedKey> rotate(String id) throws SQLException {
        String secret = newSecret();
        int updated;
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "UPDATE api_keys SET key_hash = ?, key_prefix = ? WHERE id = ? AND revoked_at IS NULL")) {
            ps.setString(1, hash(secret));
            ps.setString(2, prefix(secret));
            ps.setString(3, id);
            updated = ps.executeUpdate();
        }
        return updated == 0 ? Optional.empty() : get(id).map(k -> new IssuedKey(k, secret));
    }

    private Optional<StoredKey> one(String sql, String arg) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    private static StoredKey read(ResultSet rs) throws SQLException {
        String models = rs.getString("allowed_models");
        Set<String> allowed = models == null || models.isBlank() ? Set.of()
                : Set.copyOf(new LinkedHashSet<>(Arrays.asList(models.split(","))));
        return new StoredKey(rs.getString("id"), rs.getString("key_prefix"), rs.getString("name"), rs.getString("tier"),
                rs.getString("user_id"), rs.getString("project_id"), allowed,
                (Long) rs.getObject("requests_per_hour", Long.class), (Long) rs.getObject("tokens_per_hour", Long.class),
                instant(rs, "expires_at"), instant(rs, "revoked_at"), instant(rs, "created_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private static void setInstant(PreparedStatement ps, int i, Instant v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setTimestamp(i, Timestamp.from(v));
        }
    }

    private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v);
        }
    }

    private static String joined(Set<String> models) {
        return models == null || models.isEmpty() ? null : models.stream().sorted().collect(Collectors.joining(","));
    }

    static String hash(String secret) {
        return HexFormat.of().formatHex(KeyRegistry.sha256(secret));
    }

    private static final String SECRET_PREFIX = "sk-gw-";
    private static final int SECRET_RANDOM = 40;

    private static String newSecret() {
        return SECRET_PREFIX + random(SECRET_RANDOM);
    }

    /** Whether a presented key has the shape of a secret this store issues (and so is worth a lookup). */
    static boolean couldBeIssued(String key) {
        if (key.length() != SECRET_PREFIX.length() + SECRET_RANDOM || !key.startsWith(SECRET_PREFIX)) {
            return false;
        }
        for (int i = SECRET_PREFIX.length(); i < key.length(); i++) {
            char c = key.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')) {
                return false;
            }
        }
        return true;
    }

    /** Enough of the secret to recognise it in a list, not enough to use it. */
    private static String prefix(String secret) {
        return secret.substring(0, 10);
    }

    private static String random(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = BASE62[RANDOM.nextInt(BASE62.length)];
        }
        return new String(out);
    }
}
