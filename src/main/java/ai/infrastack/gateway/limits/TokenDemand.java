package ai.infrastack.gateway.limits;

import ai.infrastack.gateway.streaming.TokenEstimator;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The tokens a request is expected to use, checked against the token limit before the call: its
 * prompt counted with the tokenizer, plus the output it allows itself ({@code max_tokens} or
 * {@code max_completion_tokens}, times {@code n}) when it sets one — as OpenAI counts a request
 * against its own token limits. Without a cap the output is not guessed: the real usage is
 * charged after the answer, so such a request can take the window past its limit by its own
 * output, and the next one is refused.
 */
public final class TokenDemand {
    private final TokenEstimator estimator;

    public TokenDemand(TokenEstimator estimator) {
        this.estimator = estimator;
    }

    public long estimate(JsonNode request) {
        long prompt = estimator.estimate(request.path("messages"), "").promptTokens();
        JsonNode cap = request.hasNonNull("max_completion_tokens") ? request.get("max_completion_tokens") : request.get("max_tokens");
        long output = cap != null && cap.canConvertToLong() ? cap.asLong() : 0;
        long choices = Math.max(1, request.path("n").asLong(1));
        return prompt + output * choices;
    }
}
