package ai.infrastack.gateway.streaming;

/** One Server-Sent Event as read off the wire: its {@code event:} name (null when absent) and {@code data:}. */
public record SseEvent(String event, String data) {
}
