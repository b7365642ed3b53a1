package ai.infrastack.gateway.cache;

import ai.infrastack.gateway.core.Usage;
import ai.infrastack.gateway.streaming.StreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A successful answer as the cache keeps it: OpenAI choices, the usage of the call that produced it
 * (so a hit can say what it saved) and the upstream model that answered.
 */
record CachedAnswer(ArrayNode choices, Usage usage, String upstreamModel) {

    /** A streamed request is answered from cache as a stream only when the answer is one choice. */
    boolean streamable() {
        return choices.size() == 1 && choices.get(0).path("message").isObject();
    }

    /** The answer as the events of a stream, so the relay sends it as the chunks a live stream has. */
    List<StreamEvent> events() {
        JsonNode choice = choices.get(0);
        JsonNode message = choice.path("message");
        List<StreamEvent> events = new ArrayList<>();
        events.add(new StreamEvent.Start());
        if (message.path("content").isTextual() && !message.path("content").asText().isEmpty()) {
            events.add(new StreamEvent.Text(message.path("content").asText()));
        }
        int index = 0;
        for (JsonNode call : message.path("tool_calls")) {
            events.add(new StreamEvent.ToolCallStart(index++, call.path("id").asText(),
                    call.path("function").path("name").asText(), call.path("function").path("arguments").asText("")));
        }
        events.add(new StreamEvent.Finish(choice.path("finish_reason").asText("stop")));
        events.add(new StreamEvent.UsageReport(usage));
        events.add(new StreamEvent.End());
        return events;
    }

    String toJson(ObjectMapper mapper) {
        ObjectNode n = mapper.createObjectNode();
        n.set("choices", choices);
        n.putObject("usage")
                .put("uncached_input", usage.uncachedInput())
                .put("cache_read", usage.cacheRead())
                .put("cache_write", usage.cacheWrite())
                .put("output", usage.output())
                .put("reasoning", usage.reasoning())
                .put("estimated", usage.estimated());
        n.put("upstream_model", upstreamModel);
        return n.toString();
    }

    static CachedAnswer fromJson(ObjectMapper mapper, String json) throws com.fasterxml.jackson.core.JsonProcessingException {
        JsonNode n = mapper.readTree(json);
        JsonNode u = n.path("usage");
        return new CachedAnswer((ArrayNode) n.get("choices"),
                new Usage(u.path("uncached_input").asLong(), u.path("cache_read").asLong(), u.path("cache_write").asLong(),
                        u.path("output").asLong(), u.path("reasoning").asLong(), u.path("estimated").asBoolean()),
                n.path("upstream_model").asText(null));
    }
}
