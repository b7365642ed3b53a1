package ai.infrastack.gateway.limits;

import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.health.RedisStatus;
import ai.infrastack.gateway.storage.SharedRedis;
import ai.infrastack.gateway.streaming.TokenEstimator;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

import java.time.Clock;
import java.util.List;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/**
 * Binds the rate limits' steps — {@code rateLimiter} (admission), {@code tokenCharger} (real
 * usage after the answer), {@code rateLimitHeaders} (errors answered before admission) — over
 * Redis when {@code REDIS_URL} is set (falling back on this instance's counters while it is
 * unreachable), else over in-process counters; and what health reports of Redis.
 */
public final class LimitsConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        WindowGeometry geometry = WindowGeometry.hourOf(settings.longValue("gateway.limits.bucket-seconds"));
        TierLimits tiers = TierLimits.from(settings, List.of("free", "pro", "enterprise"));
        SharedRedis redis = mandatoryLookup(context, "sharedRedis", SharedRedis.class);
        LocalWindowStore local = new LocalWindowStore(geometry);
        WindowStore store = local;
        RedisStatus.Source status = () -> RedisStatus.NOT_CONFIGURED;
        Clock clock = Clock.systemUTC();
        if (redis.client().isPresent()) {
            FailoverWindowStore failover = new FailoverWindowStore(
                    new RedisWindowStore(redis.client().get(), settings.require("gateway.limits.redis-prefix"), geometry),
                    local, redis.describe(), clock);
            failover.probe();
            store = failover;
            status = () -> new RedisStatus(true, !failover.sharedDown());
        }
        Registry r = context.getRegistry();
        r.bind("rateLimiter", new RateLimiter(tiers, store, geometry, new TokenDemand(new TokenEstimator()), clock));
        r.bind("tokenCharger", new TokenCharger(store, geometry, clock));
        r.bind("rateLimitHeaders", new RateLimitHeaders(tiers, store, geometry, clock));
        r.bind("redisStatus", status);
    }
}
