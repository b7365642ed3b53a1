package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.analytics.RequestLogWriter;
import ai.infrastack.gateway.recovery.ChargedCallLookup;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.StartupListener;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;

import java.time.Clock;
import java.time.Duration;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/**
 * Binds the batch API ({@code batchApi}) and starts the batch runner once the routes are up; it stops
 * taking items as soon as the gateway begins to stop, before the chat pipeline's routes do.
 */
public final class BatchConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        ObjectMapper mapper = mandatoryLookup(context, Json.BEAN, ObjectMapper.class);
        Database database = mandatoryLookup(context, "gatewayDatabase", Database.class);
        BatchStore store = new BatchStore(database.dataSource());
        ProducerTemplate template = context.createProducerTemplate();
        ChargedCallLookup calls = new ChargedCallLookup(database.dataSource(),
                mandatoryLookup(context, "requestLogWriter", RequestLogWriter.class));
        BatchRunner runner = new BatchRunner(store, new BatchItemCall(template), calls, new BatchCompletionNotice(context, template, mapper),
                Duration.ofSeconds(settings.longValue("gateway.batch.lease-seconds")), settings.longValue("gateway.batch.poll-ms"),
                settings.integer("gateway.batch.rate-limit-retries"),
                Duration.ofSeconds(settings.longValue("gateway.batch.max-retry-wait-seconds")).toMillis());
        BatchSubmission submissions = new BatchSubmission(mapper, settings.integer("gateway.batch.default-concurrency"),
                settings.integer("gateway.batch.max-concurrency"), settings.integer("gateway.batch.max-requests"));
        context.getRegistry().bind("batchApi", new BatchApi(store, submissions, runner, mapper));
        context.getRegistry().bind("batchRetention", new BatchRetention(database.dataSource(),
                Duration.ofDays(settings.integer("gateway.batch.retention-days")), Clock.systemUTC()));
        Duration grace = Duration.ofSeconds(settings.longValue("gateway.batch.stop-grace-seconds"));
        context.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext started, boolean alreadyStarted) {
                // routes are not serving yet: start below, once they are
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext started, boolean alreadyStarted) {
                runner.start();
            }
        });
        context.getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event instanceof CamelEvent.CamelContextStoppingEvent) {
                    runner.stop(grace);
                }
            }
        });
    }
}
