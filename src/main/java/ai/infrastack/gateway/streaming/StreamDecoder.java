package ai.infrastack.gateway.streaming;

import java.util.List;

/**
 * Turns one vendor's stream into {@link StreamEvent}s, one SSE event at a time. One instance per
 * stream (it keeps state: tool-call numbering, running usage); not thread-safe.
 */
public interface StreamDecoder {

    /** The gateway events for this native event; empty when it carries nothing (e.g. a ping). */
    List<StreamEvent> decode(SseEvent event);
}
