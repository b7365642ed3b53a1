package ai.infrastack.gateway.support;

import ai.infrastack.gateway.streaming.SseReader;
import ai.infrastack.gateway.streaming.StreamDecoder;
import ai.infrastack.gateway.streaming.SseEvent;
import ai.infrastack.gateway.streaming.StreamEvent;
import ai.infrastack.gateway.streaming.UpstreamStream;
import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Usage;
import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.provider.ProviderQuirks;
import ai.infrastack.gateway.provider.WireTranslator;
import ai.infrastack.gateway.sandbox.SandboxUpstreams;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Captures real native streams from the sandbox vendors: the OpenAI-format request is translated with the
 * provider's own translator ({@code toUpstream} / {@code toUpstreamStream}), POSTed over HTTP, and the
 * streamed body is run through {@link SseReader} and the translator's decoder.
 */
public final class NativeStreams implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    private static final ModelCatalog CATALOG = ModelCatalog.load(Path.of("pricing"));

    public final SandboxUpstreams sandbox = SandboxUpstreams.start(0);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    /** One provider as the gateway would call it. */
    public record Target(String provider, WireTranslator translator, ModelSpec model, ProviderQuirks quirks) {
        public static Target of(String provider, WireTranslator translator, String modelId, ProviderQuirks quirks) {
            return new Target(provider, translator, CATALOG.find(modelId).orElseThrow(), quirks);
        }
    }

    /** What a decoded stream adds up to, as a client would reassemble it. */
    public record Assembled(List<SseEvent> raw, List<Long> arrivalNanos, List<StreamEvent> events, String text, Map<Integer, ToolCall> toolCalls,
                     List<String> finishes, Usage usage, List<StreamEvent.Failure> failures, int starts, int ends) {
        public ToolCall onlyToolCall() {
            assertEquals(1, toolCalls.size(), "tool calls: " + toolCalls + " in " + events);
            return toolCalls.values().iterator().next();
        }
    }

    public static final class ToolCall {
        public String id;
        public String name;
        public final StringBuilder arguments = new StringBuilder();
        public int fragments;

        @Override
        public String toString() {
            return id + " " + name + "(" + arguments + ") in " + fragments + " fragment(s)";
        }
    }

    public static ObjectNode json(String text) {
        try {
            return (ObjectNode) JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The non-streamed answer to the same request, through the translator. */
    public Completion complete(Target target, ObjectNode request) throws IOException, InterruptedException {
        ObjectNode body = target.translator().toUpstream(request, target.model(), target.quirks(), new ArrayList<>());
        HttpResponse<String> response = http.send(post(target, target.translator().chatPath(target.model()), body),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return target.translator().fromUpstream(JSON.readTree(response.body()), target.model());
    }

    /** The streamed answer, decoded event by event. */
    public Assembled stream(Target target, ObjectNode request) throws IOException, InterruptedException {
        return stream(target, request, event -> { });
    }

    /** {@link #stream(Target, ObjectNode)}, handing each decoded event to {@code onEvent} as soon as it is decoded. */
    public Assembled stream(Target target, ObjectNode request, java.util.function.Consumer<StreamEvent> onEvent)
            throws IOException, InterruptedException {
        List<String> dropped = new ArrayList<>();
        ObjectNode body = target.translator().toUpstreamStream(request, target.model(), target.quirks(), dropped);
        HttpResponse<InputStream> response = http.send(post(target, target.translator().streamPath(target.model()), body),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            try (InputStream in = response.body()) {
                throw new AssertionError("HTTP " + response.statusCode() + ": " + new String(in.readAllBytes()));
            }
        }
        StreamDecoder decoder = target.translator().streamDecoder(target.model());
        List<SseEvent> raw = new ArrayList<>();
        List<Long> arrivals = new ArrayList<>();
        List<StreamEvent> events = new ArrayList<>();
        try (SseReader reader = new SseReader(response.body())) {
            for (SseEvent e = reader.next(); e != null; e = reader.next()) {
                arrivals.add(System.nanoTime());
                raw.add(e);
                for (StreamEvent decoded : decoder.decode(e)) {
                    events.add(decoded);
                    onEvent.accept(decoded);
                }
            }
        }
        return assemble(raw, arrivals, events);
    }

    public static Assembled assemble(List<SseEvent> raw, List<Long> arrivals, List<StreamEvent> events) {
        StringBuilder text = new StringBuilder();
        Map<Integer, ToolCall> calls = new TreeMap<>();
        List<String> finishes = new ArrayList<>();
        List<StreamEvent.Failure> failures = new ArrayList<>();
        Usage usage = null;
        int starts = 0;
        int ends = 0;
        for (StreamEvent e : events) {
            if (e instanceof StreamEvent.Start) {
                starts++;
            } else if (e instanceof StreamEvent.Text t) {
                text.append(t.text());
            } else if (e instanceof StreamEvent.ToolCallStart s) {
                ToolCall call = new ToolCall();
                call.id = s.id();
                call.name = s.name();
                call.arguments.append(s.arguments());
                call.fragments = s.arguments().isEmpty() ? 0 : 1;
                calls.put(s.index(), call);
            } else if (e instanceof StreamEvent.ToolCallArguments a) {
                ToolCall call = calls.get(a.index());
                if (call == null) {
                    throw new AssertionError("arguments for a tool call that never started: " + a + " in " + events);
                }
                call.arguments.append(a.fragment());
                call.fragments++;
            } else if (e instanceof StreamEvent.Finish f) {
                finishes.add(f.finishReason());
            } else if (e instanceof StreamEvent.UsageReport u) {
                usage = u.usage();
            } else if (e instanceof StreamEvent.Failure f) {
                failures.add(f);
            } else if (e instanceof StreamEvent.End) {
                ends++;
            }
        }
        return new Assembled(raw, arrivals, events, text.toString(), calls, finishes, usage, failures, starts, ends);
    }

    private HttpRequest post(Target target, String path, ObjectNode body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(
                        sandbox.baseUrlFor(target.provider(), target.translator().format()) + path))
                .timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        target.translator().headers("sk-sandbox-test").forEach(b::header);
        return b.build();
    }

    // ---- requests ----------------------------------------------------------------------------------

    public static ObjectNode textRequest(String model, String userText) {
        ObjectNode request = json("{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}]}");
        request.withArray("messages").addObject().put("role", "user").put("content", userText);
        return request;
    }

    public static ObjectNode toolRequest(String model) {
        return json("""
                {"model": "%s",
                 "messages": [{"role": "user", "content": "What is the weather in Paris, in celsius?"}],
                 "tools": [{"type": "function", "function": {"name": "get_weather",
                    "description": "Current weather for a location",
                    "parameters": {"type": "object",
                       "properties": {"location": {"type": "string"}, "unit": {"type": "string"}, "days": {"type": "integer"}},
                       "required": ["location", "unit", "days"]}}}]}
                """.formatted(model));
    }

    public static String messageText(Completion result) {
        JsonNode content = result.choices().get(0).path("message").path("content");
        return content.isNull() ? "" : content.asText();
    }

    public static JsonNode messageToolCall(Completion result) {
        JsonNode calls = result.choices().get(0).path("message").path("tool_calls");
        assertEquals(1, calls.size(), result.choices().toString());
        return calls.get(0);
    }

    public static String finishReason(Completion result) {
        return result.choices().get(0).path("finish_reason").asText();
    }

    @Override
    public void close() {
        sandbox.close();
    }
}
