package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Lifecycle;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.health.StorageStatus;
import ai.infrastack.gateway.storage.Database;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

import java.nio.file.Path;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/** Binds the request log (its batched writer), the access log and the usage analytics endpoint. */
public final class AnalyticsConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        Database database = mandatoryLookup(context, "gatewayDatabase", Database.class);
        RequestLogWriter requestLog = new RequestLogWriter(database.dataSource(),
                settings.integer("gateway.request-log.buffer-size"),
                settings.integer("gateway.request-log.batch-size"),
                settings.longValue("gateway.request-log.retry-ms"),
                settings.longValue("gateway.request-log.flush-ms"),
                journalFor(Path.of(settings.require("gateway.request-log.journal-dir")), database));
        // Registered after the database's service, so it stops (and flushes) before the pool closes.
        context.addService(Lifecycle.onStop(requestLog::close));
        Registry r = context.getRegistry();
        r.bind("requestLogWriter", requestLog);
        r.bind("usageRecorder", new UsageRecorder(requestLog));
        r.bind("requestLogStatus", (StorageStatus.Source) () -> new StorageStatus(requestLog.databaseUp(),
                database.embedded() ? "h2" : "postgresql", requestLog.pending(), requestLog.spilled(), requestLog.dropped()));
        r.bind("usageEventLogger", new UsageEventLogger(settings.flag("gateway.access-log.enabled")));
        r.bind("usageAnalytics", new UsageAnalytics(database.dataSource(), mandatoryLookup(context, Json.BEAN, ObjectMapper.class)));
    }

    /**
     * A journal folder per database: rows journaled for one database are only ever replayed into
     * that one, even when several gateways (or a test, a benchmark) share the configured folder.
     */
    static Path journalFor(Path dir, Database database) throws java.security.NoSuchAlgorithmException {
        byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                .digest(database.jdbcUrl().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return dir.resolve(java.util.HexFormat.of().formatHex(hash, 0, 6));
    }
}
