package ai.infrastack.gateway.storage;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * {@code DATABASE_URL} in either form: the spec's {@code postgresql://user:pass@host:port/db} (also
 * {@code postgres://}) or a JDBC URL. Empty means the embedded H2 default under {@code ./data}.
 */
public record DatabaseUrl(String jdbcUrl, String user, String password) {
    public static final String EMBEDDED_DEFAULT =
            "jdbc:h2:file:./data/gateway;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH"
            // closed by the gateway after its last request-log write, not by H2's own shutdown hook first
            + ";DB_CLOSE_ON_EXIT=FALSE";

    public static DatabaseUrl parse(String url) {
        if (url == null || url.isBlank()) {
            return new DatabaseUrl(EMBEDDED_DEFAULT, "sa", "");
        }
        String u = url.trim();
        if (u.startsWith("jdbc:")) {
            return new DatabaseUrl(u, null, null);
        }
        if (!u.startsWith("postgresql://") && !u.startsWith("postgres://")) {
            throw new IllegalArgumentException("DATABASE_URL must be postgresql://user:pass@host:port/db or a jdbc: URL");
        }
        URI uri = URI.create(u);
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(parts[0]);
            password = parts.length > 1 ? decode(parts[1]) : null;
        }
        int port = uri.getPort() < 0 ? 5432 : uri.getPort();
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        return new DatabaseUrl("jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getRawPath() + query, user, password);
    }

    public boolean embedded() {
        return jdbcUrl.startsWith("jdbc:h2:");
    }

    /** The URL without credentials, for the log. */
    public String redacted() {
        int semi = jdbcUrl.indexOf('?');
        return semi < 0 ? jdbcUrl : jdbcUrl.substring(0, semi);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
