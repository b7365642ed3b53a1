package ai.infrastack.gateway.streaming;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes OpenAI {@code chat.completion.chunk} events ({@code data: {...}\n\n}) for one stream: same
 * id, created time and model on every chunk, as OpenAI's own stream has. The default stream dialect.
 */
public final class ChunkEncoder implements StreamDialect {
    public static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    /** The finish reason of a stream that failed mid-way (before its error event). */
    public static final String ERROR_FINISH = "error";

    private final ObjectMapper mapper;
    private final String id;
    private final long created;
    private final String model;
    private final String provider;

    public ChunkEncoder(ObjectMapper mapper, String id, long created, String model, String provider) {
        this.mapper = mapper;
        this.id = id;
        this.created = created;
        this.model = model;
        this.provider = provider;
    }

    /** A chunk whose single choice carries {@code delta} (and {@code finishReason} when not null). */
    public ObjectNode chunk(ObjectNode delta, String finishReason) {
        ObjectNode chunk = envelope();
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return chunk;
    }

    /** OpenAI's extra last chunk for {@code stream_options.include_usage}: no choices; the caller adds usage. */
    public ObjectNode usageChunk() {
        ObjectNode chunk = envelope();
        chunk.putArray("choices");
        return chunk;
    }

    public ObjectNode emptyDelta() {
        return mapper.createObjectNode();
    }

    public ObjectNode roleDelta() {
        return mapper.createObjectNode().put("role", "assistant").put("content", "");
    }

    public ObjectNode textDelta(String text) {
        return mapper.createObjectNode().put("content", text);
    }

    public ObjectNode toolCallStartDelta(StreamEvent.ToolCallStart start) {
        ObjectNode delta = mapper.createObjectNode();
        ObjectNode call = delta.putArray("tool_calls").addObject();
        call.put("index", start.index());
        call.put("id", start.id());
        call.put("type", "function");
        call.putObject("function").put("name", start.name()).put("arguments", start.arguments() == null ? "" : start.arguments());
        return delta;
    }

    public ObjectNode toolCallArgumentsDelta(StreamEvent.ToolCallArguments args) {
        ObjectNode delta = mapper.createObjectNode();
        ArrayNode calls = delta.putArray("tool_calls");
        calls.addObject().put("index", args.index()).putObject("function").put("arguments", args.fragment());
        return delta;
    }

    @Override
    public byte[] opening() {
        return event(chunk(roleDelta(), null));
    }

    @Override
    public byte[] text(String text) {
        return event(chunk(textDelta(text), null));
    }

    @Override
    public byte[] toolCallStart(StreamEvent.ToolCallStart start) {
        return event(chunk(toolCallStartDelta(start), null));
    }

    @Override
    public byte[] toolCallArguments(StreamEvent.ToolCallArguments arguments) {
        return event(chunk(toolCallArgumentsDelta(arguments), null));
    }

    /**
     * A chunk with {@code finish_reason: "error"}, then the error event, and no {@code [DONE]}. The official SDKs
     * raise on the error event; a client that ignores in-band error events (LangChain4j) still sees that the
     * answer did not finish normally.
     */
    @Override
    public byte[] failure(ObjectNode errorBody) {
        return events(List.of(chunk(emptyDelta(), ERROR_FINISH), errorBody), false);
    }

    /** Each chunk as an event, then {@code [DONE]} when {@code done}. */
    public byte[] events(List<ObjectNode> chunks, boolean done) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ObjectNode chunk : chunks) {
            out.writeBytes(event(chunk));
        }
        if (done) {
            out.writeBytes(DONE);
        }
        return out.toByteArray();
    }

    public byte[] event(ObjectNode json) {
        try {
            byte[] body = mapper.writeValueAsBytes(json);
            byte[] out = new byte[body.length + 8];
            System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, out, 0, 6);
            System.arraycopy(body, 0, out, 6, body.length);
            out[out.length - 2] = '\n';
            out[out.length - 1] = '\n';
            return out;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private ObjectNode envelope() {
        ObjectNode chunk = mapper.createObjectNode();
        chunk.put("id", id);
        chunk.put("object", "chat.completion.chunk");
        chunk.put("created", created);
        chunk.put("model", model);
        chunk.put("provider", provider);
        return chunk;
    }
}
