package ai.infrastack.gateway.api;

import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.Usage;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The {@code usage} and {@code cost} objects of the API, rendered the same way for a completion
 * and for the last chunk of a stream. Costs are rounded here, and only here, to 8 decimals.
 */
public final class UsageJson {
    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);

    private UsageJson() {}

    public static ObjectNode usage(ObjectMapper mapper, Usage u) {
        return usage(mapper, u, false);
    }

    /**
     * {@code responseCacheHit}: the whole answer came from the gateway's response cache, so every one of its
     * tokens is a cache-hit token ({@code cache_hit_tokens = total_tokens}); OpenAI's
     * {@code prompt_tokens_details.cached_tokens} keeps the provider's prompt-cache count of the original call.
     */
    public static ObjectNode usage(ObjectMapper mapper, Usage u, boolean responseCacheHit) {
        ObjectNode n = mapper.createObjectNode();
        n.put("prompt_tokens", u.promptTokens());
        n.put("completion_tokens", u.completionTokens());
        n.put("total_tokens", u.totalTokens());
        if (responseCacheHit) {
            n.put("cache_hit_tokens", u.totalTokens());
        } else if (u.cacheRead() > 0) {
            n.put("cache_hit_tokens", u.cacheRead());
        }
        if (u.cacheWrite() > 0) {
            n.put("cache_write_tokens", u.cacheWrite());
        }
        // OpenAI's own detail objects, so SDKs read cached and reasoning tokens natively.
        n.putObject("prompt_tokens_details").put("cached_tokens", u.cacheRead());
        n.putObject("completion_tokens_details").put("reasoning_tokens", u.reasoning());
        if (u.estimated()) {
            n.put("estimated", true);
        }
        return n;
    }

    public static ObjectNode cost(ObjectMapper mapper, Cost c, Usage u) {
        return cost(mapper, c, u, false);
    }

    /** {@code responseCacheHit}: {@code cache_savings} is always shown — what the call the cache saved would have cost. */
    public static ObjectNode cost(ObjectMapper mapper, Cost c, Usage u, boolean responseCacheHit) {
        ObjectNode n = mapper.createObjectNode();
        BigDecimal input = Cost.rendered(c.inputCost());
        BigDecimal output = Cost.rendered(c.outputCost());
        n.put("input_cost", input);
        n.put("output_cost", output);
        // The sum of the rendered parts, so input_cost + output_cost = total_cost on every response.
        n.put("total_cost", input.add(output));
        BigDecimal per1k = u.totalTokens() == 0 ? BigDecimal.ZERO
                : c.totalCost().multiply(THOUSAND).divide(BigDecimal.valueOf(u.totalTokens()), 12, RoundingMode.HALF_EVEN);
        n.put("cost_per_1k_tokens", Cost.rendered(per1k));
        n.put("currency", "USD");
        if (responseCacheHit || u.cacheRead() > 0) {
            n.put("cache_savings", Cost.rendered(c.cacheSavings()));
        }
        return n;
    }
}
