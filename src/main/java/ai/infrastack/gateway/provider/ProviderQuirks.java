package ai.infrastack.gateway.provider;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What an OpenAI-compatible host does differently, declared in its route file rather than in Java:
 * {@code renameParams} ("seed=random_seed,other=theirs") and {@code toolCallIds} ("alnum9": the host
 * validates tool-call ids as exactly nine letters or digits, as Mistral does).
 */
public record ProviderQuirks(Map<String, String> renamedParams, boolean nineCharToolCallIds) {
    public static final ProviderQuirks NONE = new ProviderQuirks(Map.of(), false);
    private static final Map<String, ProviderQuirks> PARSED = new ConcurrentHashMap<>();

    /** Parsed once per distinct route setting, not per request. */
    public static ProviderQuirks of(String renameParams, String toolCallIds) {
        if ((renameParams == null || renameParams.isBlank()) && toolCallIds == null) {
            return NONE;
        }
        return PARSED.computeIfAbsent(renameParams + "|" + toolCallIds, k -> parse(renameParams, toolCallIds));
    }

    private static ProviderQuirks parse(String renameParams, String toolCallIds) {
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
        return new ProviderQuirks(Map.copyOf(renames), "alnum9".equals(toolCallIds));
    }
}
