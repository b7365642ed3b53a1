package ai.infrastack.gateway.storage;

import ai.infrastack.gateway.core.Lifecycle;
import ai.infrastack.gateway.core.Settings;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/**
 * Binds the system of record, migrated here — before any route, and so any consumer, starts —
 * and the Redis instances share when one is configured.
 */
public final class StorageConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        Database database = Database.open(DatabaseUrl.parse(settings.optional("gateway.database.url")),
                settings.integer("gateway.database.pool-size"));
        context.addService(Lifecycle.onStop(database::close));
        context.getRegistry().bind("gatewayDatabase", database);
        SharedRedis redis = SharedRedis.of(settings.optional("gateway.redis.url"));
        context.addService(Lifecycle.onStop(redis::close));
        context.getRegistry().bind("sharedRedis", redis);
    }
}
