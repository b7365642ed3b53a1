package ai.infrastack.gateway.sandbox;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test steering written into the last user message, e.g. {@code [sandbox:status=429]}.
 * Unknown names are kept in {@link #all()} and otherwise ignored; unparsable numbers are ignored.
 *
 * <ul>
 *   <li>{@code status=<code>}: answer with that HTTP status and the vendor's error body for it</li>
 *   <li>{@code latency=<ms>}: delay the response (overrides the server default)</li>
 *   <li>{@code cached=<n>}: cache-read input tokens; {@code cache_write=<n>}: cache-creation input tokens</li>
 *   <li>{@code reasoning=<n>}: reasoning tokens (OpenAI: added to completion tokens; Gemini: thoughtsTokenCount)</li>
 *   <li>{@code finish=<reason>}: the vendor's native finish reason for a text reply, verbatim, e.g. Gemini
 *       {@code SAFETY} (candidate without content), Mistral {@code model_length}, Together {@code eos},
 *       Cohere {@code ERROR}; OpenAI and Anthropic ignore it</li>
 *   <li>{@code blocked=true}: Gemini blocks the prompt (HTTP 200, no candidates, {@code promptFeedback.blockReason})</li>
 *   <li>{@code drop=true}: close the connection without responding</li>
 *   <li>{@code processing_ms=<n>}: OpenAI {@code openai-processing-ms} header</li>
 *   <li>{@code retry_after=<s>}: {@code retry-after} header on 429/529 (default 1)</li>
 *   <li>{@code status_times=<n>}: {@code status} applies to the first n requests with the same body only; later
 *       ones are answered normally (a rate limit that clears)</li>
 *   <li>streams: {@code chunk_delay=<ms>} between events, {@code fail_after=<n>} cut the connection after
 *       n events, {@code error_after=<n>} send the vendor's in-stream error event after n events,
 *       {@code hold=<name>} with {@code hold_after=<n>} park the stream after n events until the test calls
 *       {@link SandboxUpstreams#release(String)} with that name</li>
 *   <li>unary answers: {@code hold=<name>} (no {@code hold_after}) parks the whole answer before its first byte
 *       until released</li>
 * </ul>
 *
 * <p>For failover tests, where one request reaches several vendors: a name may be scoped to one vendor
 * (the simulator's format: openai, anthropic, gemini, cohere, mistral, together), e.g.
 * {@code [sandbox:status@openai=503]}, and then applies only there, over an unscoped value.
 * {@code times=<n>} (scopable too) limits the failure directives — status, drop, latency, fail_after,
 * error_after — to the first n receipts of that exact body by that vendor, so a retry can succeed.
 */
public final class SandboxDirectives {

    private static final Pattern DIRECTIVE = Pattern.compile("\\[sandbox:([a-z_]+)(?:@([a-z0-9-]+))?=([^\\]]*)\\]");
    /** What {@code times} limits: the directives that make a call fail or stall. */
    private static final java.util.Set<String> FAILURES = java.util.Set.of("status", "drop", "latency", "fail_after", "error_after");
    private static final SandboxDirectives NONE = new SandboxDirectives(Map.of());

    private final Map<String, String> all;
    private final int status;
    private final long latencyMs;
    private final long cached;
    private final long cacheWrite;
    private final long reasoning;
    private final boolean drop;
    private final long processingMs;
    private final long retryAfterSeconds;
    private final long chunkDelayMs;
    private final int failAfter;
    private final int errorAfter;
    private final String finish;
    private final boolean blocked;
    private final String holdName;
    private final int holdAfter;
    private final long statusTimes;

    private SandboxDirectives(Map<String, String> all) {
        this.all = all;
        this.status = (int) number("status", 0);
        this.latencyMs = number("latency", -1);
        this.cached = number("cached", 0);
        this.cacheWrite = number("cache_write", 0);
        this.reasoning = number("reasoning", 0);
        this.drop = "true".equalsIgnoreCase(all.get("drop"));
        this.processingMs = number("processing_ms", -1);
        this.retryAfterSeconds = number("retry_after", 1);
        this.chunkDelayMs = number("chunk_delay", 0);
        this.failAfter = (int) number("fail_after", -1);
        this.errorAfter = (int) number("error_after", -1);
        String finishValue = all.get("finish");
        this.finish = finishValue == null || finishValue.isEmpty() ? null : finishValue;
        this.blocked = "true".equalsIgnoreCase(all.get("blocked"));
        String hold = all.get("hold");
        this.holdName = hold == null || hold.isEmpty() ? null : hold;
        this.holdAfter = (int) number("hold_after", -1);
        this.statusTimes = number("status_times", -1);
    }

    /** Directives found in {@code text} (null or empty text: none). A later duplicate wins. */
    public static SandboxDirectives parse(String text) {
        return parse(text, null, 1);
    }

    /**
     * Directives as {@code vendor} reads them on the {@code seen}-th receipt of the same body: names
     * scoped to it override unscoped ones, names scoped to another vendor are left out, and
     * {@code times} drops the failure directives once it is exceeded.
     */
    public static SandboxDirectives parse(String text, String vendor, int seen) {
        if (text == null || text.indexOf("[sandbox:") < 0) {
            return NONE;
        }
        Map<String, String> found = new LinkedHashMap<>();
        Map<String, String> scoped = new LinkedHashMap<>();
        Matcher matcher = DIRECTIVE.matcher(text);
        while (matcher.find()) {
            String scope = matcher.group(2);
            if (scope == null) {
                found.put(matcher.group(1), matcher.group(3).trim());
            } else if (scope.equals(vendor)) {
                scoped.put(matcher.group(1), matcher.group(3).trim());
            }
        }
        found.putAll(scoped);
        String times = found.get("times");
        if (times != null && times.matches("\\d{1,9}") && seen > Integer.parseInt(times)) {
            found.keySet().removeAll(FAILURES);
        }
        return found.isEmpty() ? NONE : new SandboxDirectives(Collections.unmodifiableMap(found));
    }

    /** The directives a simulator applies to this request: {@link #parse(String, String, int)} for its vendor. */
    public static SandboxDirectives parse(String text, RecordedRequest request) {
        return parse(text, request.format(), request.seen());
    }

    /** Convenience for tests: {@code directive("status", 429)} → {@code [sandbox:status=429]}. */
    public static String directive(String name, Object value) {
        return "[sandbox:" + name + "=" + value + "]";
    }

    private long number(String name, long fallback) {
        String value = all.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            long parsed = Long.parseLong(value);
            return parsed < 0 ? fallback : parsed;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    public Map<String, String> all() {
        return all;
    }

    /** Requested error status (400–599), or 0 for none. */
    public int status() {
        return status >= 400 && status <= 599 ? status : 0;
    }

    public long latencyMs(long defaultLatencyMs) {
        return latencyMs >= 0 ? latencyMs : Math.max(0, defaultLatencyMs);
    }

    public long cached() {
        return cached;
    }

    public long cacheWrite() {
        return cacheWrite;
    }

    public long reasoning() {
        return reasoning;
    }

    public boolean drop() {
        return drop;
    }

    /** The {@code openai-processing-ms} value: the directive, else the injected latency, else 1. */
    public long processingMs(long injectedLatencyMs) {
        return processingMs >= 0 ? processingMs : Math.max(1, injectedLatencyMs);
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public long chunkDelayMs() {
        return chunkDelayMs;
    }

    /** Events to send before cutting the connection, or -1. */
    public int failAfter() {
        return failAfter;
    }

    /** Events to send before the in-stream error event, or -1. */
    public int errorAfter() {
        return errorAfter;
    }

    /** The native finish reason to report instead of the composed one, or null. */
    public String finish() {
        return finish;
    }

    /** Whether the prompt is to be blocked (Gemini {@code promptFeedback}). */
    public boolean blocked() {
        return blocked;
    }

    /** How many requests with this body get the {@code status}, or -1 for all. */
    public long statusTimes() {
        return statusTimes;
    }

    /** The text without its {@code status} directive. */
    static String withoutStatus(String text) {
        return text.replaceAll("\\[sandbox:status=[^\\]]*\\]", "");
    }

    /** The name a stream is parked under, or null. */
    public String holdName() {
        return holdName;
    }

    /** Events to send before parking the stream, or -1. */
    public int holdAfter() {
        return holdAfter;
    }
}
