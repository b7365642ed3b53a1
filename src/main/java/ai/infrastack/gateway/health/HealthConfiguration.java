package ai.infrastack.gateway.health;

import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.provider.ProviderTargets;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import java.util.function.Supplier;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/** Binds what the gateway has seen of each provider, and the health endpoint's step. */
public final class HealthConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        ProviderHealth health = new ProviderHealth();
        context.getRegistry().bind("providerHealth", health);
        context.getRegistry().bind("providerHealthRecorder", new ProviderHealthRecorder(health));
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
