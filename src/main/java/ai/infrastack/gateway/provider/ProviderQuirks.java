package ai.infrastack.gateway.provider;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What an OpenAI-compatible host does differently, declared in its route file rather than in Java:
 * {@code renameParams} ("seed=random_seed,other=theirs") and {@code toolCallIds} ("alnum9": the host
 * validates tool-call ids as exactly nine letters or digits, as Mistral does) and {@code streamOptions}
 * ("omit": the host refuses OpenAI's {@code stream_options} and reports stream usage unasked) and
 * {@code requestFields} ("openai", the default, or "mistral": the schema whose fields the host accepts at
 * every depth; see {@code provider.openai.ChatRequestShape}).
 */
public record ProviderQuirks(Map<String, String> renamedParams, boolean nineCharToolCallIds, boolean omitStreamOptions,
                             String requestFields) {
    public static final ProviderQuirks NONE = new ProviderQuirks(Map.of(), false, false, null);
    private static final Map<String, ProviderQuirks> PARSED = new ConcurrentHashMap<>();

    /** {@link #of(String, String, String)} for a host that takes stream_options. */
    public static ProviderQuirks of(String renameParams, String toolCallIds) {
        return of(renameParams, toolCallIds, null);
    }

    /** {@link #of(String, String, String, String)} for a host that takes OpenAI's request fields. */
    public static ProviderQuirks of(String renameParams, String toolCallIds, String streamOptions) {
        return of(renameParams, toolCallIds, streamOptions, null);
    }

    /** Parsed once per distinct route setting, not per request. */
    public static ProviderQuirks of(String renameParams, String toolCallIds, String streamOptions, String requestFields) {
        if ((renameParams == null || renameParams.isBlank()) && toolCallIds == null && streamOptions == null
                && requestFields == null) {
            return NONE;
        }
        return PARSED.computeIfAbsent(renameParams + "|" + toolCallIds + "|" + streamOptions + "|" + requestFields,
                k -> parse(renameParams, toolCallIds, streamOptions, requestFields));
    }

    private static ProviderQuirks parse(String renameParams, String toolCallIds, String streamOptions, String requestFields) {
        Map<String, String> renames = new LinkedHashMap<>();
        if (renameParams != null) {
            for (String pair : renameParams.split(",")) {
                String[] kv = pair.split("=", 2);
                if (kv.length == 2 && !kv[0].isBlank() && !kv[1].isBlank()) {
                    renames.put(kv[0].trim(), kv[1].trim());
                } else if (!pair.isBlank()) {
                    throw new IllegalArgumentException("renameParams entry '" + pair + "' is not name=newName");
                }
            }
        }
        return new ProviderQuirks(Map.copyOf(renames), "alnum9".equals(toolCallIds), "omit".equals(streamOptions),
                requestFields);
    }
}
