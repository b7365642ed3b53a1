package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.catalog.ModelSpec;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The event format a streamed answer reaches the client in: chat.completion chunks ({@link ChunkEncoder}) or
 * another API's events (the Responses API's). The relay hands it each piece of content as it arrives; the
 * answer's renderer writes the ending, knowing which dialect it asked for.
 */
public interface StreamDialect {

    /** Events sent once, before any content (the assistant's role chunk; a response's creation). */
    byte[] opening();

    byte[] text(String text);

    byte[] toolCallStart(StreamEvent.ToolCallStart start);

    byte[] toolCallArguments(StreamEvent.ToolCallArguments arguments);

    /** The last events of a stream that failed mid-way, from the spec's error body. */
    byte[] failure(ObjectNode errorBody);

    /** Opens a dialect for one stream: a way in that wants its own format puts one on the exchange (ExchangeKeys.STREAM_DIALECT). */
    interface Factory {
        StreamDialect open(String requestId, ModelSpec model);
    }
}
