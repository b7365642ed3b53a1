package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.core.Usage;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a relayed stream adds up to: the text sent (to count tokens when the upstream reports
 * none), the finish reason and the upstream's usage report.
 */
final class StreamTally {
    private final TokenEstimator tokens;
    private final JsonNode messages;
    private final StringBuilder relayed = new StringBuilder();
    private String finishReason;
    private Usage reported;

    StreamTally(TokenEstimator tokens, JsonNode messages) {
        this.tokens = tokens;
        this.messages = messages;
    }

    void relayed(String text) {
        if (text != null) {
            relayed.append(text);
        }
    }

    void finish(String reason) {
        finishReason = reason;
    }

    void usage(Usage usage) {
        reported = usage;
    }

    String finishReason() {
        return finishReason;
    }

    /** A finished stream's usage: the upstream's own report, else counted with the tokenizer. */
    Usage finalUsage() {
        if (reported != null && reported.totalTokens() > 0) {
            return reported;
        }
        return tokens.estimate(messages, relayed);
    }

    /**
     * The usage of a stream cut short (upstream error, broken connection, client gone). The
     * upstream's last report can lag the text already relayed — Anthropic reports output tokens only
     * in its closing message_delta, and a cancelled stream never reads the report queued behind the
     * last text — so the output is never counted as less than the tokens of what was relayed.
     */
    Usage partialUsage() {
        Usage counted = tokens.estimate(messages, relayed);
        if (reported == null || reported.totalTokens() == 0) {
            return counted;
        }
        if (reported.output() >= counted.output()) {
            return reported;
        }
        return new Usage(reported.uncachedInput(), reported.cacheRead(), reported.cacheWrite(), counted.output(), reported.reasoning(), true);
    }
}
