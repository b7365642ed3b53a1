package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.core.Usage;
import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts tokens with a real BPE tokenizer (o200k_base) when an upstream streams without reporting
 * usage, and a request's prompt before it is sent (rate limits). The count is an estimate for
 * non-OpenAI models, so the usage says {@code estimated: true}.
 */
public final class TokenEstimator {
    /** Per-message overhead of the chat format (role and separators), as OpenAI documents it. */
    private static final int PER_MESSAGE = 3;
    /**
     * One copy of the tokenizer's tables per process (tens of MB) for every estimator. Loading them takes
     * about a second of CPU, so it starts on a thread of its own when the first estimator is made (at
     * start-up), off the start's critical path; a request that needs them sooner waits.
     */
    private static final CompletableFuture<Encoding> VOCABULARY = new CompletableFuture<>();
    private static final AtomicBoolean LOADING = new AtomicBoolean();

    public TokenEstimator() {
        if (LOADING.compareAndSet(false, true)) {
            Thread.ofPlatform().name("token-vocabulary-loader").daemon().start(() -> {
                try {
                    VOCABULARY.complete(Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE));
                } catch (RuntimeException | Error e) {
                    VOCABULARY.completeExceptionally(e);
                }
            });
        }
    }

    public Usage estimate(JsonNode messages, CharSequence completion) {
        long prompt = 3;
        for (JsonNode m : messages) {
            prompt += PER_MESSAGE + count(m.path("role").asText());
            JsonNode content = m.path("content");
            if (content.isTextual()) {
                prompt += count(content.asText());
            } else {
                for (JsonNode part : content) {
                    prompt += count(part.path("text").asText(""));
                }
            }
            for (JsonNode call : m.path("tool_calls")) {
                prompt += count(call.path("function").path("name").asText()) + count(call.path("function").path("arguments").asText());
            }
        }
        return new Usage(prompt, 0, 0, count(completion.toString()), 0, true);
    }

    /** Tokens of one text in o200k_base. */
    public long count(String text) {
        return text.isEmpty() ? 0 : VOCABULARY.join().countTokensOrdinary(text);
    }
}
