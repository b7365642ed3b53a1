package ai.infrastack.gateway.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;
import java.util.Set;

/**
 * A pydantic/FastAPI validation failure ({@code {"detail":[{"type","loc","msg","input"}]}}, Mistral's 422 inside
 * its {@code message}) read as the client should see it: every problem as {@code <field>: <msg>}, and the first
 * field as the error's {@code param}, in the client's terms — {@code ["body","messages",3,"assistant","refusal"]}
 * is {@code messages[3].refusal} (pydantic's union tags, a role or part type after an index, are left out) and a
 * host's renamed field is given its OpenAI name ({@code random_seed} is {@code seed}).
 */
record ValidationDetails(String message, String param) {
    private static final Set<String> ROLE_TAGS = Set.of("system", "developer", "user", "assistant", "tool", "function");
    private static final Set<String> PART_TAGS = Set.of("text", "image_url", "document_url", "input_audio", "file",
            "reference", "thinking");
    private static final Map<String, String> OPENAI_NAMES = Map.of("random_seed", "seed");

    /** The details of {@code detail}, or null when it is not a list of them. */
    static ValidationDetails of(JsonNode detail) {
        if (detail == null || !detail.isArray() || detail.isEmpty()) {
            return null;
        }
        StringBuilder message = new StringBuilder();
        String first = null;
        for (JsonNode problem : detail) {
            String field = clientPath(problem.path("loc"));
            if (first == null && field != null) {
                first = field;
            }
            if (message.length() > 0) {
                message.append("; ");
            }
            message.append(field == null ? "" : field + ": ").append(problem.path("msg").asText("invalid"));
        }
        return new ValidationDetails(message.toString(), first);
    }

    static String clientPath(JsonNode loc) {
        StringBuilder path = new StringBuilder();
        String list = null;
        boolean afterIndex = false;
        for (JsonNode step : loc) {
            if (step.isIntegralNumber()) {
                path.append('[').append(step.asInt()).append(']');
                afterIndex = true;
                continue;
            }
            String name = step.asText();
            boolean tag = afterIndex && ("messages".equals(list) && ROLE_TAGS.contains(name)
                    || "content".equals(list) && PART_TAGS.contains(name) || name.contains("["));
            afterIndex = false;
            list = name;
            if (tag || path.length() == 0 && "body".equals(name)) {
                continue;
            }
            if (path.length() > 0) {
                path.append('.');
            }
            path.append(OPENAI_NAMES.getOrDefault(name, name));
        }
        return path.length() == 0 ? null : path.toString();
    }
}
