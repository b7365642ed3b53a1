package ai.infrastack.gateway.storage;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The system of record: a pooled connection to PostgreSQL (or the embedded H2 default) whose
 * schema is brought up to date by versioned migrations before anything uses it.
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private final HikariDataSource dataSource;
    private final boolean embedded;

    private Database(HikariDataSource dataSource, boolean embedded) {
        this.dataSource = dataSource;
        this.embedded = embedded;
    }

    /** Connects and migrates; fails start-up when the database cannot be reached. */
    public static Database open(DatabaseUrl url, int poolSize) {
        Path embeddedFile = embeddedFile(url.jdbcUrl());
        if (embeddedFile != null) {
            ownerOnly(embeddedFile.getParent(), true);
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url.jdbcUrl());
        if (url.user() != null) {
            config.setUsername(url.user());
        }
        if (url.password() != null) {
            config.setPassword(url.password());
        }
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("gateway-db");
        // Fail fast while the database is down: the request log buffers, nothing waits 30 s.
        config.setConnectionTimeout(2000);
        config.setInitializationFailTimeout(10_000);
        HikariDataSource ds = new HikariDataSource(config);
        try {
            Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        if (embeddedFile != null) {
            ownerOnly(embeddedFile.getParent(), false);
        }
        LOG.info("Database ready: {}{}", url.redacted(), url.embedded() ? " (embedded H2 default; set DATABASE_URL for PostgreSQL)" : "");
        return new Database(ds, url.embedded());
    }

    /** The file an embedded H2 URL names ({@code jdbc:h2:file:./data/gateway;…}), or null. */
    static Path embeddedFile(String jdbcUrl) {
        if (!jdbcUrl.startsWith("jdbc:h2:file:")) {
            return null;
        }
        String rest = jdbcUrl.substring("jdbc:h2:file:".length());
        int semi = rest.indexOf(';');
        return Path.of(semi < 0 ? rest : rest.substring(0, semi)).toAbsolutePath().normalize();
    }

    /**
     * The embedded database holds key hashes and who called what: its folder is the gateway user's
     * alone (created so; tightened if it was not), and so are the files in it.
     */
    private static void ownerOnly(Path dir, boolean before) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            if (!before) {
                try (var files = Files.list(dir)) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) {
                        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
                    }
                }
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its own defaults apply
        } catch (IOException e) {
            throw new IllegalStateException("Cannot restrict the embedded database folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The JDBC URL it connects to, credentials given apart (a URL's own parameters may hold some: never log it). */
    public String jdbcUrl() {
        return dataSource.getJdbcUrl();
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public boolean embedded() {
        return embedded;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
