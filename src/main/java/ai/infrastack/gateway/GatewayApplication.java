package ai.infrastack.gateway;

import ai.infrastack.gateway.analytics.AnalyticsConfiguration;
import ai.infrastack.gateway.api.ApiConfiguration;
import ai.infrastack.gateway.auth.AuthConfiguration;
import ai.infrastack.gateway.batch.BatchConfiguration;
import ai.infrastack.gateway.budget.BudgetConfiguration;
import ai.infrastack.gateway.bus.BusConfiguration;
import ai.infrastack.gateway.cache.CacheConfiguration;
import ai.infrastack.gateway.catalog.CatalogConfiguration;
import ai.infrastack.gateway.core.CoreConfiguration;
import ai.infrastack.gateway.cost.CostConfiguration;
import ai.infrastack.gateway.health.HealthConfiguration;
import ai.infrastack.gateway.limits.LimitsConfiguration;
import ai.infrastack.gateway.metrics.MetricsConfiguration;
import ai.infrastack.gateway.provider.ProviderConfiguration;
import ai.infrastack.gateway.reload.ReloadConfiguration;
import ai.infrastack.gateway.responses.ResponsesConfiguration;
import ai.infrastack.gateway.routing.RoutingConfiguration;
import ai.infrastack.gateway.server.ServerConfiguration;
import ai.infrastack.gateway.storage.StorageConfiguration;
import ai.infrastack.gateway.streaming.StreamingConfiguration;
import ai.infrastack.gateway.validation.ValidationConfiguration;
import ai.infrastack.gateway.webhook.WebhookConfiguration;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.main.Main;

import java.util.List;

/**
 * Starts the gateway: camel-main with the top-level {@code application.properties} (over the copy
 * packaged in the jar), the YAML routes from {@code ./routes} and the catalog from {@code ./pricing}.
 */
public final class GatewayApplication {
    private GatewayApplication() {}

    public static void main(String[] args) throws Exception {
        Main main = create();
        main.run(args);
    }

    /** The configured, not yet started, application; tests start it the same way. */
    public static Main create() {
        Main main = new Main();
        String location = System.getProperty("gateway.config", System.getenv().getOrDefault("GATEWAY_CONFIG", "application.properties"));
        main.setDefaultPropertyPlaceholderLocation("classpath:application.properties;optional=true,file:" + location + ";optional=true");
        // Each capability binds its own beans; a later one may look up an earlier one's, so the
        // order is the order of dependence. All run before the route files are loaded.
        for (CamelConfiguration c : List.of(
                new CoreConfiguration(),
                new ReloadConfiguration(),
                new StorageConfiguration(),
                new CatalogConfiguration(),
                new ProviderConfiguration(),
                new AuthConfiguration(),
                new ValidationConfiguration(),
                new LimitsConfiguration(),
                new RoutingConfiguration(),
                new CacheConfiguration(),
                new CostConfiguration(),
                new StreamingConfiguration(),
                new WebhookConfiguration(),
                new BudgetConfiguration(),
                new ApiConfiguration(),
                new ResponsesConfiguration(),
                new AnalyticsConfiguration(),
                new BatchConfiguration(),
                new BusConfiguration(),
                new HealthConfiguration(),
                new MetricsConfiguration(),
                new ServerConfiguration())) {
            main.configure().addConfiguration(c);
        }
        return main;
    }
}
