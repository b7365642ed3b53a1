package ai.infrastack.gateway.webhook;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.storage.Database;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;

import java.util.ArrayList;
import java.util.List;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/**
 * Binds the webhook outbox, its intake step ({@code direct:webhook-event}), the admin API and the
 * background sender, which starts with the context. Endpoints of application.properties:
 * {@code gateway.webhooks.endpoints = a,b} and {@code gateway.webhooks.endpoint.<name>.url|secret|events}.
 */
public final class WebhookConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        Database database = mandatoryLookup(context, "gatewayDatabase", Database.class);
        ObjectMapper mapper = mandatoryLookup(context, Json.BEAN, ObjectMapper.class);
        WebhookEndpoints endpoints = new WebhookEndpoints(configured(settings), database.dataSource(),
                settings.optional("gateway.webhooks.url-secret"));
        WebhookOutbox outbox = new WebhookOutbox(database.dataSource(), endpoints);
        Registry r = context.getRegistry();
        r.bind("webhookOutbox", outbox);
        r.bind("webhookEventIntake", new WebhookEventIntake(outbox, mapper));
        r.bind("webhookAdminApi", new WebhookAdminApi(endpoints, database.dataSource(), mapper));
        if (settings.flag("gateway.webhooks.delivery-enabled")) {
            WebhookSender sender = new WebhookSender(database.dataSource(), endpoints, new WebhookSender.Policy(
                    settings.longValue("gateway.webhooks.poll-ms"), settings.longValue("gateway.webhooks.backoff-base-ms"),
                    settings.longValue("gateway.webhooks.backoff-max-ms"), settings.integer("gateway.webhooks.max-attempts"),
                    settings.longValue("gateway.webhooks.timeout-ms")));
            outbox.onWritten(sender::wake);
            context.addService(new ServiceSupport() {
                @Override
                protected void doStart() {
                    sender.start();
                }

                @Override
                protected void doStop() {
                    sender.stop();
                }
            });
        }
    }

    private static List<WebhookEndpoint> configured(Settings settings) {
        List<WebhookEndpoint> out = new ArrayList<>();
        String names = settings.optional("gateway.webhooks.endpoints");
        if (names == null) {
            return out;
        }
        for (String name : names.split(",")) {
            String n = name.trim();
            if (n.isEmpty()) {
                continue;
            }
            String prefix = "gateway.webhooks.endpoint." + n + ".";
            out.add(new WebhookEndpoint("config:" + n, settings.require(prefix + "url"), settings.require(prefix + "secret"),
                    WebhookEndpoints.events(settings.optional(prefix + "events"))));
        }
        return out;
    }
}
