package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Lifecycle;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.storage.Database;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

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
                settings.longValue("gateway.request-log.flush-ms"));
        // Registered after the database's service, so it stops (and flushes) before the pool closes.
        context.addService(Lifecycle.onStop(requestLog::close));
        Registry r = context.getRegistry();
        r.bind("requestLogWriter", requestLog);
        r.bind("usageRecorder", new UsageRecorder(requestLog));
        r.bind("usageEventLogger", new UsageEventLogger(settings.flag("gateway.access-log.enabled")));
        r.bind("usageAnalytics", new UsageAnalytics(database.dataSource(), mandatoryLookup(context, Json.BEAN, ObjectMapper.class)));
    }
}
