package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;

/** Server-sent-event framing. */
final class SseFrames {

    private SseFrames() {
    }

    /** A {@code data:}-only frame (OpenAI style). */
    static String data(JsonNode payload) {
        return "data: " + SandboxJson.write(payload) + "\n\n";
    }

    static String data(String raw) {
        return "data: " + raw + "\n\n";
    }

    /** A {@code data:}-only frame with CRLF line endings (Gemini style). */
    static String dataCrlf(JsonNode payload) {
        return "data: " + SandboxJson.write(payload) + "\r\n\r\n";
    }

    /** A named-event frame (Anthropic and Cohere style). */
    static String event(String name, JsonNode payload) {
        return "event: " + name + "\ndata: " + SandboxJson.write(payload) + "\n\n";
    }
}
