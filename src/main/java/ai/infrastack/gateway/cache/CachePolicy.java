package ai.infrastack.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Which requests the response cache answers and keeps. With the cache on (the router's
 * {@code cache_enabled}), a request's {@code routing.enable_caching} decides: {@code false} never,
 * {@code true} always (the explicit opt-in, whatever the temperature). Unset, only a deterministic
 * request is cached: {@code temperature} given and 0. A sampled request (temperature above 0, or
 * unset: the vendors' default is 1) asks for a fresh answer each time, so it is cached only on opt-in.
 */
final class CachePolicy {
    private final boolean enabled;

    CachePolicy(boolean enabled) {
        this.enabled = enabled;
    }

    boolean cacheable(JsonNode request) {
        if (!enabled) {
            return false;
        }
        JsonNode optIn = request.path("routing").path("enable_caching");
        if (optIn.isBoolean()) {
            return optIn.booleanValue();
        }
        JsonNode temperature = request.path("temperature");
        return temperature.isNumber() && temperature.decimalValue().signum() == 0;
    }
}
