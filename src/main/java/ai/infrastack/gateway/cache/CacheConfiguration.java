package ai.infrastack.gateway.cache;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.storage.SharedRedis;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import java.time.Duration;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/**
 * Binds the response cache's two steps: in Redis when REDIS_URL is set (instances share answers, and
 * identical misses across instances make one call), else in process (Caffeine).
 */
public final class CacheConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        ObjectMapper mapper = mandatoryLookup(context, Json.BEAN, ObjectMapper.class);
        SharedRedis redis = mandatoryLookup(context, "sharedRedis", SharedRedis.class);
        Duration ttl = Duration.ofSeconds(settings.longValue("gateway.router.cache-ttl-seconds"));
        RedisOutage outage = new RedisOutage(settings.longValue("gateway.cache.redis-retry-ms"));
        AnswerStore store = redis.client().<AnswerStore>map(client -> new RedisAnswerStore(client, mapper, ttl, outage))
                .orElseGet(() -> new InProcessAnswerStore(ttl, settings.longValue("gateway.cache.max-entries")));
        SingleFlight flights = new SingleFlight();
        CacheKeys keys = new CacheKeys(settings.require("gateway.cache.key-prefix"), new RequestFingerprint(mapper));
        context.getRegistry().bind("responseCacheFlights", flights);
        SharedFlightLock sharedLock = redis.client().map(client -> new SharedFlightLock(client,
                settings.longValue("gateway.cache.shared-lock-ms"), settings.longValue("gateway.cache.shared-lock-poll-ms"), outage))
                .orElse(null);
        context.getRegistry().bind("responseCacheLookup", new ResponseCacheLookup(
                new CachePolicy(settings.flag("gateway.router.cache-enabled")), keys, store, flights, sharedLock,
                settings.longValue("gateway.cache.single-flight-wait-ms")));
        context.getRegistry().bind("responseCacheStore", new ResponseCacheStore(store));
    }
}
