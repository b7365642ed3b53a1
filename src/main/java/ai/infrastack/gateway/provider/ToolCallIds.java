package ai.infrastack.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Tool-call id rewriting for hosts that validate id formats. The mapping is deterministic, so an
 * assistant's tool call and the tool result that answers it (sent later, in another request) still
 * carry the same id; ids that already fit are kept.
 */
public final class ToolCallIds {
    private static final char[] ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    private ToolCallIds() {}

    /** A copy of the messages with every tool-call id as exactly nine letters or digits (Mistral's rule). */
    public static ArrayNode nineChar(ArrayNode messages) {
        ArrayNode copy = messages.deepCopy();
        for (JsonNode m : copy) {
            for (JsonNode call : m.path("tool_calls")) {
                if (call.hasNonNull("id")) {
                    ((ObjectNode) call).put("id", nineChar(call.get("id").asText()));
                }
            }
            if (m.hasNonNull("tool_call_id")) {
                ((ObjectNode) m).put("tool_call_id", nineChar(m.get("tool_call_id").asText()));
            }
        }
        return copy;
    }

    public static String nineChar(String id) {
        if (id.length() == 9 && id.chars().allMatch(Character::isLetterOrDigit) && id.chars().allMatch(c -> c < 128)) {
            return id;
        }
        byte[] hash = sha256(id);
        char[] out = new char[9];
        for (int i = 0; i < out.length; i++) {
            out[i] = ALNUM[(hash[i] & 0xff) % ALNUM.length];
        }
        return new String(out);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
