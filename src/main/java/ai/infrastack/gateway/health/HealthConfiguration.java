package ai.infrastack.gateway.health;

import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.provider.ProviderBreakers;
import ai.infrastack.gateway.provider.ProviderTargets;
import ai.infrastack.gateway.routing.ObservedLatency;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import java.util.function.Supplier;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/** Binds what the gateway has seen of each provider, and the health endpoint's step. */
public final class HealthConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        ProviderBreakers breakers = mandatoryLookup(context, ProviderBreakers.BEAN, ProviderBreakers.class);
        ProviderHealth health = new ProviderHealth(provider -> breakers.state(provider).map(Enum::name));
        context.getRegistry().bind("providerHealth", health);
        context.getRegistry().bind("providerHealthRecorder", new ProviderHealthRecorder(health,
                mandatoryLookup(context, ObservedLatency.BEAN, ObservedLatency.class)));
        context.getRegistry().bind("healthReporter", new HealthReporter(mandatoryLookup(context, "modelCatalog", ModelCatalog.class),
                health, mandatoryLookup(context, Json.BEAN, ObjectMapper.class), Settings.of(context).require("gateway.version"),
                mandatoryLookup(context, "providerTargets", ProviderTargets.class).sandboxMode(),
                mandatoryLookup(context, "requestLogStatus", StorageStatus.Source.class)::storageStatus,
                redisStatus(context)));
    }

    private static Supplier<RedisStatus> redisStatus(CamelContext context) {
        RedisStatus.Source source = context.getRegistry().lookupByNameAndType("redisStatus", RedisStatus.Source.class);
        return source == null ? () -> RedisStatus.NOT_CONFIGURED : source::redisStatus;
    }
}
