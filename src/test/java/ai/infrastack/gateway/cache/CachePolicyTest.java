package ai.infrastack.gateway.cache;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rule for what is cached: deterministic by default, sampled only on opt-in, nothing when off. */
class CachePolicyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final CachePolicy on = new CachePolicy(true);

    private boolean cached(CachePolicy policy, String json) throws Exception {
        return policy.cacheable(JSON.readTree(json));
    }

    @Test
    void temperature_zero_is_cached_by_default() throws Exception {
        assertTrue(cached(on, "{\"temperature\":0}"));
        assertTrue(cached(on, "{\"temperature\":0.0}"));
    }

    @Test
    void sampled_or_unset_temperature_is_cached_only_on_opt_in() throws Exception {
        assertFalse(cached(on, "{\"temperature\":0.7}"));
        assertFalse(cached(on, "{}"), "unset: the vendors sample at temperature 1");
        assertTrue(cached(on, "{\"temperature\":0.7,\"routing\":{\"enable_caching\":true}}"));
        assertTrue(cached(on, "{\"routing\":{\"enable_caching\":true}}"));
    }

    @Test
    void opting_out_or_turning_the_cache_off_caches_nothing() throws Exception {
        assertFalse(cached(on, "{\"temperature\":0,\"routing\":{\"enable_caching\":false}}"));
        assertFalse(cached(new CachePolicy(false), "{\"temperature\":0,\"routing\":{\"enable_caching\":true}}"));
    }
}
