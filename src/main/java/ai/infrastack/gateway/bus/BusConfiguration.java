package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.analytics.RequestLogWriter;
import ai.infrastack.gateway.auth.KeyRegistry;
import ai.infrastack.gateway.recovery.ChargedCallLookup;
import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Lifecycle;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.storage.Database;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.spi.Registry;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/**
 * Binds the steps of the bus ingress (routes/bus-requests.yaml, shared by routes/bus-kafka.yaml and
 * routes/bus-rabbitmq.yaml), the RabbitMQ connections when RABBITMQ_URL is set, and the usage-events
 * publisher the analytics route calls (a no-op without KAFKA_BROKERS).
 */
public final class BusConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        Database database = mandatoryLookup(context, "gatewayDatabase", Database.class);
        ObjectMapper mapper = mandatoryLookup(context, Json.BEAN, ObjectMapper.class);
        BusResultStore results = new BusResultStore(database.dataSource());
        Registry r = context.getRegistry();
        r.bind("busMessageReader", new BusMessageReader(mapper, settings.integer("gateway.bus.max-batch-items")));
        r.bind("busCallerIdentifier", new BusCallerIdentifier(mandatoryLookup(context, "keyRegistry", KeyRegistry.class)));
        r.bind("busDeadlineGuard", new BusDeadlineGuard());
        r.bind("busItemOpener", new BusItemOpener());
        r.bind("busProcessedMessages", new ProcessedMessageRepository(database.dataSource(), "bus-requests"));
        r.bind("busChatRequestPreparer", new BusChatRequestPreparer());
        r.bind("busChatAnswer", new BusChatAnswer());
        r.bind("busResultKeeper", new BusResultKeeper(results));
        ChargedCallLookup calls = new ChargedCallLookup(database.dataSource(),
                mandatoryLookup(context, "requestLogWriter", RequestLogWriter.class));
        BusRedeliveryResolver redelivery = new BusRedeliveryResolver(results, calls, settings.longValue("gateway.bus.redelivery-wait-ms"));
        r.bind("busRedeliveryResolver", redelivery);
        r.bind("busItemTaker", new BusItemTaker(results, redelivery));
        r.bind("busResultProducedMarker", new BusResultProducedMarker(results));
        r.bind("busDeadLetterWriter", new BusDeadLetterWriter());
        r.bind("busRetention", new BusRetention(database.dataSource(),
                Duration.ofDays(settings.integer("gateway.bus.dedup-retention-days")), Clock.systemUTC()));

        String brokers = settings.optional("gateway.bus.kafka.brokers");
        if (brokers == null) {
            r.bind("usageEventPublisher", (Processor) exchange -> { });
        } else {
            UsageEventPublisher events = new UsageEventPublisher(mapper, brokers,
                    settings.require("gateway.bus.kafka.usage-topic"), settings.integer("gateway.bus.usage-events.buffer-size"));
            context.addService(Lifecycle.onStop(events::close));
            r.bind("usageEventPublisher", events);
        }
        String rabbit = settings.optional("gateway.bus.rabbitmq.url");
        if (rabbit != null) {
            CachingConnectionFactory connections = new CachingConnectionFactory(URI.create(rabbit));
            context.addService(Lifecycle.onStop(connections::destroy));
            r.bind("rabbitConnections", connections);
        }
    }
}
