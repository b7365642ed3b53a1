package ai.infrastack.gateway.core;

/**
 * The one usage model of every path, in explicit, non-overlapping buckets. Each translator fills it
 * from its vendor's own fields; nothing downstream needs to know whether a vendor counts cached
 * tokens inside its prompt total (OpenAI, Gemini) or outside it (Anthropic).
 *
 * @param uncachedInput input tokens billed at the full input rate
 * @param cacheRead     input tokens served from the provider's prompt cache
 * @param cacheWrite    input tokens written to the provider's prompt cache
 * @param output        output tokens, reasoning included
 * @param reasoning     the reasoning part of {@code output} (for reporting; already inside output)
 * @param estimated     true when counted by the gateway because the upstream reported nothing
 */
public record Usage(long uncachedInput, long cacheRead, long cacheWrite, long output, long reasoning, boolean estimated) {

    public static final Usage NONE = new Usage(0, 0, 0, 0, 0, false);

    /** OpenAI's prompt_tokens: every input token, cached or not. */
    public long promptTokens() {
        return uncachedInput + cacheRead + cacheWrite;
    }

    public long completionTokens() {
        return output;
    }

    public long totalTokens() {
        return promptTokens() + output;
    }
}
