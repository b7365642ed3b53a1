package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.streaming.StreamDialect;
import ai.infrastack.gateway.streaming.StreamEvent;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A streamed answer as the Responses API's events ({@code event: <type>} and {@code data: {...}}, each with its
 * {@code sequence_number}): {@code response.created} and {@code response.in_progress} first, then each output
 * item added, its deltas ({@code response.output_text.delta}, {@code response.function_call_arguments.delta}),
 * and at the end each item done and {@code response.completed} (or {@code response.incomplete}) with the whole
 * Response. It keeps the output it has sent, so the ending and the stored Response carry the same items.
 */
final class ResponseEventStream implements StreamDialect {
    private final ObjectMapper mapper;
    private final ResponseJson json;
    private final ResponsesTurn turn;
    private final ModelSpec model;
    private final String itemBase;
    private int sequence;
    private int nextOutputIndex;
    private OpenMessage message;
    private final Map<Integer, OpenCall> calls = new LinkedHashMap<>();
    private final Map<Integer, ObjectNode> finished = new LinkedHashMap<>();

    private static final class OpenMessage {
        final int outputIndex;
        final String id;
        final StringBuilder text = new StringBuilder();

        OpenMessage(int outputIndex, String id) {
            this.outputIndex = outputIndex;
            this.id = id;
        }
    }

    private static final class OpenCall {
        final int outputIndex;
        final String id;
        final String callId;
        final String name;
        final StringBuilder arguments = new StringBuilder();

        OpenCall(int outputIndex, String id, String callId, String name) {
            this.outputIndex = outputIndex;
            this.id = id;
            this.callId = callId;
            this.name = name;
        }
    }

    ResponseEventStream(ObjectMapper mapper, ResponsesTurn turn, ModelSpec model) {
        this.mapper = mapper;
        this.json = new ResponseJson(mapper);
        this.turn = turn;
        this.model = model;
        this.itemBase = turn.responseId().substring("resp_".length());
    }

    @Override
    public byte[] opening() {
        Events out = new Events();
        out.add("response.created", mapper.createObjectNode().set("response", json.skeleton(turn, model, "in_progress")));
        out.add("response.in_progress", mapper.createObjectNode().set("response", json.skeleton(turn, model, "in_progress")));
        return out.bytes();
    }

    @Override
    public byte[] text(String text) {
        Events out = new Events();
        if (message == null) {
            message = new OpenMessage(nextOutputIndex++, "msg_" + itemBase + "_" + (nextOutputIndex - 1));
            out.add("response.output_item.added", mapper.createObjectNode().put("output_index", message.outputIndex)
                    .set("item", json.message(message.id, null, "in_progress")));
            out.add("response.content_part.added", partEvent(message).set("part", json.textPart("")));
        }
        message.text.append(text);
        ObjectNode delta = partEvent(message).put("delta", text);
        delta.putArray("logprobs");
        out.add("response.output_text.delta", delta);
        return out.bytes();
    }

    @Override
    public byte[] toolCallStart(StreamEvent.ToolCallStart start) {
        Events out = new Events();
        closeMessage(out);
        int index = nextOutputIndex++;
        OpenCall call = new OpenCall(index, "fc_" + itemBase + "_" + index, start.id(), start.name());
        calls.put(start.index(), call);
        out.add("response.output_item.added", mapper.createObjectNode().put("output_index", index)
                .set("item", json.functionCall(call.id, call.callId, call.name, "", "in_progress")));
        if (start.arguments() != null && !start.arguments().isEmpty()) {
            argumentsDelta(out, call, start.arguments());
        }
        return out.bytes();
    }

    @Override
    public byte[] toolCallArguments(StreamEvent.ToolCallArguments arguments) {
        Events out = new Events();
        OpenCall call = calls.get(arguments.index());
        if (call != null) {
            argumentsDelta(out, call, arguments.fragment());
        }
        return out.bytes();
    }

    /** {@code response.failed}, the Response carrying the error ({@code server_error} unless rate limited) and the output so far. */
    @Override
    public byte[] failure(ObjectNode errorBody) {
        ObjectNode response = json.skeleton(turn, model, "failed");
        response.set("output", output("incomplete"));
        JsonNode error = errorBody.path("error");
        response.putObject("error")
                .put("code", "rate_limit_error".equals(error.path("type").asText()) ? "rate_limit_exceeded" : "server_error")
                .put("message", error.path("message").asText());
        Events out = new Events();
        out.add("response.failed", mapper.createObjectNode().set("response", response));
        return out.bytes();
    }

    /** The output items sent so far, each in {@code status}. */
    ArrayNode output(String status) {
        Map<Integer, ObjectNode> byIndex = new java.util.TreeMap<>(finished);
        if (message != null) {
            byIndex.put(message.outputIndex, json.message(message.id, message.text.toString(), status));
        }
        for (OpenCall call : calls.values()) {
            byIndex.put(call.outputIndex, json.functionCall(call.id, call.callId, call.name, call.arguments.toString(), status));
        }
        ArrayNode out = mapper.createArrayNode();
        byIndex.values().forEach(out::add);
        return out;
    }

    /** The last events of a stream that ended: each open item done, then {@code response.completed} (or incomplete). */
    byte[] ending(ObjectNode response) {
        Events out = new Events();
        closeMessage(out);
        for (OpenCall call : calls.values()) {
            String arguments = call.arguments.toString();
            out.add("response.function_call_arguments.done", mapper.createObjectNode().put("item_id", call.id)
                    .put("output_index", call.outputIndex).put("name", call.name).put("arguments", arguments));
            ObjectNode item = json.functionCall(call.id, call.callId, call.name, arguments, "completed");
            finished.put(call.outputIndex, item);
            out.add("response.output_item.done", mapper.createObjectNode().put("output_index", call.outputIndex).set("item", item));
        }
        calls.clear();
        String type = "incomplete".equals(response.path("status").asText()) ? "response.incomplete" : "response.completed";
        out.add(type, mapper.createObjectNode().set("response", response));
        return out.bytes();
    }

    private void closeMessage(Events out) {
        if (message == null) {
            return;
        }
        String text = message.text.toString();
        ObjectNode done = partEvent(message).put("text", text);
        done.putArray("logprobs");
        out.add("response.output_text.done", done);
        out.add("response.content_part.done", partEvent(message).set("part", json.textPart(text)));
        ObjectNode item = json.message(message.id, text, "completed");
        finished.put(message.outputIndex, item);
        out.add("response.output_item.done", mapper.createObjectNode().put("output_index", message.outputIndex).set("item", item));
        message = null;
    }

    private ObjectNode partEvent(OpenMessage m) {
        return mapper.createObjectNode().put("item_id", m.id).put("output_index", m.outputIndex).put("content_index", 0);
    }

    private void argumentsDelta(Events out, OpenCall call, String fragment) {
        call.arguments.append(fragment);
        out.add("response.function_call_arguments.delta", mapper.createObjectNode().put("item_id", call.id)
                .put("output_index", call.outputIndex).put("delta", fragment));
    }

    /** Events written together; each gets its type first and the stream's next sequence number. */
    private final class Events {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void add(String type, ObjectNode fields) {
            ObjectNode event = mapper.createObjectNode().put("type", type);
            event.setAll(fields);
            event.put("sequence_number", sequence++);
            try {
                out.writeBytes(("event: " + type + "\ndata: ").getBytes(StandardCharsets.UTF_8));
                out.writeBytes(mapper.writeValueAsBytes(event));
                out.writeBytes(new byte[] {'\n', '\n'});
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
