package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.catalog.PriceTier;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * What a request asks of the model that answers it: tools need function calling, images need
 * vision, and the estimated prompt plus the answer must fit the context window. The prompt is
 * estimated at four characters a token (the ranking needs orders of magnitude, not the count);
 * the answer at {@code max_tokens}, or {@value #DEFAULT_ANSWER_TOKENS} tokens when it is unset.
 */
public record RequestNeeds(boolean tools, boolean images, long promptTokens, long answerTokens, boolean maxTokensGiven) {
    static final long DEFAULT_ANSWER_TOKENS = 256;
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    public static RequestNeeds of(ObjectNode request) {
        long chars = 0;
        boolean images = false;
        for (JsonNode m : request.path("messages")) {
            JsonNode content = m.path("content");
            if (content.isTextual()) {
                chars += content.asText().length();
            }
            for (JsonNode part : content) {
                if ("image_url".equals(part.path("type").asText())) {
                    images = true;
                }
                chars += part.path("text").asText().length();
            }
            chars += 16; // role and framing
        }
        chars += request.path("tools").toString().length();
        JsonNode max = request.has("max_completion_tokens") ? request.get("max_completion_tokens") : request.get("max_tokens");
        boolean given = max != null && max.canConvertToLong() && max.asLong() > 0;
        return new RequestNeeds(request.path("tools").size() > 0, images, Math.max(1, chars / 4),
                given ? max.asLong() : DEFAULT_ANSWER_TOKENS, given);
    }

    /** Why the model cannot answer this request, or null when it can. */
    public String unmetBy(ModelSpec model) {
        if (images && !model.vision()) {
            return "no vision";
        }
        if (tools && !model.functionCalling()) {
            return "no function calling";
        }
        if (model.contextWindow() > 0 && promptTokens + (maxTokensGiven ? answerTokens : 0) > model.contextWindow()) {
            return "context window too small";
        }
        return null;
    }

    /** The estimated price of this request on the model (USD), or null when the catalog has no price for it. */
    public BigDecimal estimatedCost(ModelSpec model) {
        if (!model.priced()) {
            return null;
        }
        PriceTier t = model.tierFor(promptTokens);
        return t.input().multiply(BigDecimal.valueOf(promptTokens)).add(t.output().multiply(BigDecimal.valueOf(answerTokens)))
                .divide(MILLION, MathContext.DECIMAL64);
    }

    /** The estimated price per 1,000 tokens of this request on the model, or null when unpriced. */
    public BigDecimal costPer1k(ModelSpec model) {
        BigDecimal cost = estimatedCost(model);
        return cost == null ? null : cost.multiply(BigDecimal.valueOf(1000))
                .divide(BigDecimal.valueOf(promptTokens + answerTokens), MathContext.DECIMAL64);
    }
}
