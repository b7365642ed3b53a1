package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.provider.ProviderBreakers;
import ai.infrastack.gateway.provider.RetryingUpstreamCall;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import java.nio.file.Path;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/** Binds the steps that pick the model (and so the provider route) and fail over to the next one. */
public final class RoutingConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        RouterSettings router = new RouterSettings(RouterConfig.read(settings::optional));
        ObservedLatency latency = new ObservedLatency();
        ProviderBreakers breakers = mandatoryLookup(context, ProviderBreakers.BEAN, ProviderBreakers.class);
        context.getRegistry().bind(RouterSettings.BEAN, router);
        context.getRegistry().bind(ObservedLatency.BEAN, latency);
        context.getRegistry().bind("modelResolver", new ModelResolver(mandatoryLookup(context, "modelCatalog", ModelCatalog.class),
                router, new ModelRanking(latency), breakers::admits));
        context.getRegistry().bind("failover", new Failover(router, breakers));
        mandatoryLookup(context, "retryingUpstreamCall", RetryingUpstreamCall.class).balanceWhen(() -> router.current().loadBalancingEnabled());
        // the file camel-main read at start (GatewayApplication), unless a test names another
        String file = settings.find("gateway.router.config-file")
                .orElse(System.getProperty("gateway.config", System.getenv().getOrDefault("GATEWAY_CONFIG", "application.properties")));
        context.getRegistry().bind("routerConfigReloader", new RouterConfigReloader(Path.of(file), router, context, settings::optional));
    }
}
