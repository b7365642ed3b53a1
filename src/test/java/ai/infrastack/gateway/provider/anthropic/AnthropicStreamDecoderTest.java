package ai.infrastack.gateway.provider.anthropic;

import ai.infrastack.gateway.support.NativeStreams;
import ai.infrastack.gateway.streaming.SseEvent;
import ai.infrastack.gateway.streaming.StreamDecoder;
import ai.infrastack.gateway.streaming.StreamEvent;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.Usage;
import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.provider.ProviderQuirks;
import ai.infrastack.gateway.support.NativeStreams.Assembled;
import ai.infrastack.gateway.support.NativeStreams.Target;
import ai.infrastack.gateway.support.NativeStreams.ToolCall;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static ai.infrastack.gateway.support.NativeStreams.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Anthropic's named-event stream, captured from the sandbox, against the non-streamed answer. */
class AnthropicStreamDecoderTest {
    private static final AnthropicWireTranslator TRANSLATOR = new AnthropicWireTranslator();
    private static NativeStreams streams;
    private static Target claude;

    @BeforeAll
    static void start() {
        streams = new NativeStreams();
        claude = Target.of("anthropic", TRANSLATOR, "claude-sonnet-4.5", ProviderQuirks.NONE);
    }

    @AfterAll
    static void stop() {
        streams.close();
    }

    @Test
    void text_reassembles_and_ping_is_ignored() throws Exception {
        ObjectNode request = NativeStreams.textRequest(claude.model().id(), "Tell me a story about streaming tokens one by one");
        Completion whole = streams.complete(claude, request);
        Assembled s = streams.stream(claude, request);

        assertTrue(s.raw().stream().anyMatch(e -> "ping".equals(e.event())), "the sandbox sends a ping");
        assertEquals(List.of(), TRANSLATOR.streamDecoder(claude.model()).decode(new SseEvent("ping", "{\"type\": \"ping\"}")));
        assertEquals(1, s.starts());
        assertInstanceOf(StreamEvent.Start.class, s.events().get(0));
        assertEquals(NativeStreams.messageText(whole), s.text());
        assertEquals(List.of("stop"), s.finishes());
        assertEquals(1, s.ends());
        assertInstanceOf(StreamEvent.End.class, s.events().get(s.events().size() - 1), "message_stop is the last event");
        assertTrue(s.failures().isEmpty());
        assertEquals(whole.usage(), s.usage());
    }

    @Test
    void usage_keeps_input_and_cache_from_message_start_and_takes_the_cumulative_output() throws Exception {
        ObjectNode request = NativeStreams.textRequest(claude.model().id(),
                "A cached prompt about streams and gateways [sandbox:cached=3] [sandbox:cache_write=2]");
        Completion whole = streams.complete(claude, request);
        Assembled s = streams.stream(claude, request);

        List<Usage> reports = s.events().stream().filter(e -> e instanceof StreamEvent.UsageReport)
                .map(e -> ((StreamEvent.UsageReport) e).usage()).toList();
        assertEquals(2, reports.size(), "message_start and message_delta: " + reports);
        Usage first = reports.get(0);
        assertEquals(3, first.cacheRead());
        assertEquals(2, first.cacheWrite());
        assertEquals(1, first.output(), "message_start reports the first output token");
        assertEquals(whole.usage(), s.usage());
        assertEquals(3, s.usage().cacheRead());
        assertEquals(2, s.usage().cacheWrite());
        assertEquals(whole.usage().promptTokens(), s.usage().promptTokens());
    }

    @Test
    void the_tool_call_is_index_0_though_its_block_is_index_1_and_its_arguments_reassemble() throws Exception {
        ObjectNode request = NativeStreams.toolRequest(claude.model().id());
        Completion whole = streams.complete(claude, request);
        Assembled s = streams.stream(claude, request);

        boolean toolBlockAtIndex1 = s.raw().stream().anyMatch(e -> "content_block_start".equals(e.event())
                && e.data().contains("\"tool_use\"") && e.data().contains("\"index\":1"));
        assertTrue(toolBlockAtIndex1, "the sandbox puts a text block first");
        ToolCall call = s.onlyToolCall();
        assertTrue(s.toolCalls().containsKey(0), s.toolCalls().toString());
        assertTrue(call.id.startsWith("toolu_"), call.id);
        JsonNode expected = NativeStreams.messageToolCall(whole);
        assertEquals(expected.path("function").path("name").asText(), call.name);
        assertEquals(JSON.readTree(expected.path("function").path("arguments").asText()), JSON.readTree(call.arguments.toString()));
        assertTrue(call.fragments >= 2, "arguments arrive in fragments: " + call);
        assertEquals(NativeStreams.messageText(whole), s.text(), "the text preamble streams as text");
        assertEquals(List.of("tool_calls"), s.finishes());
        assertEquals(whole.usage(), s.usage());
        assertEquals(1, s.ends());
    }

    @Test
    void max_tokens_finishes_with_length() throws Exception {
        ObjectNode request = NativeStreams.textRequest(claude.model().id(), "A reply that will be cut short by the limit");
        request.put("max_tokens", 3);
        Completion whole = streams.complete(claude, request);
        Assembled s = streams.stream(claude, request);
        assertEquals(List.of("length"), s.finishes());
        assertEquals(NativeStreams.finishReason(whole), "length");
        assertEquals(NativeStreams.messageText(whole), s.text());
    }

    @Test
    void an_overloaded_error_mid_stream_is_a_503_failure_and_no_end() throws Exception {
        Assembled s = streams.stream(claude, NativeStreams.textRequest(claude.model().id(),
                "This stream breaks after a few events [sandbox:error_after=3]"));

        assertEquals(1, s.failures().size(), s.events().toString());
        assertInstanceOf(StreamEvent.Failure.class, s.events().get(s.events().size() - 1));
        assertEquals(0, s.ends());
        assertTrue(s.finishes().isEmpty());
        GatewayException error = s.failures().get(0).error();
        assertEquals(ErrorType.PROVIDER, error.type());
        assertEquals(503, error.status());
        assertEquals("overloaded_error", error.code());
        assertEquals("Overloaded", error.getMessage());
        assertEquals("anthropic", error.provider());
        assertEquals(529, error.upstreamStatus());
        assertFalse(s.usage() == null, "the input usage of message_start is still known");
    }

    @Test
    void the_stream_request_sets_stream_and_does_not_report_stream_options_as_dropped() {
        ObjectNode request = NativeStreams.textRequest(claude.model().id(), "hi");
        request.put("stream", true);
        request.putObject("stream_options").put("include_usage", true);
        List<String> dropped = new ArrayList<>();
        ObjectNode out = TRANSLATOR.toUpstreamStream(request, claude.model(), ProviderQuirks.NONE, dropped);
        assertTrue(out.path("stream").asBoolean());
        assertFalse(out.has("stream_options"));
        assertEquals(List.of(), dropped);
        assertEquals("/v1/messages", TRANSLATOR.streamPath(claude.model()));
    }

    // ---- hand-written events -------------------------------------------------------------------------

    private static List<StreamEvent> decode(String... namedData) {
        StreamDecoder decoder = TRANSLATOR.streamDecoder(claude.model());
        List<StreamEvent> out = new ArrayList<>();
        for (int i = 0; i < namedData.length; i += 2) {
            out.addAll(decoder.decode(new SseEvent(namedData[i], namedData[i + 1])));
        }
        return out;
    }

    @Test
    void a_message_delta_without_input_counts_keeps_those_of_message_start() {
        List<StreamEvent> events = decode(
                "message_start", "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":100,"
                        + "\"cache_read_input_tokens\":50,\"cache_creation_input_tokens\":20,\"output_tokens\":1}}}",
                "message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"refusal\"},\"usage\":{\"output_tokens\":42}}",
                "message_stop", "{\"type\":\"message_stop\"}");
        assertEquals(List.of(new StreamEvent.Start(),
                new StreamEvent.UsageReport(new Usage(100, 50, 20, 1, 0, false)),
                new StreamEvent.Finish("content_filter"),
                new StreamEvent.UsageReport(new Usage(100, 50, 20, 42, 0, false)),
                new StreamEvent.End()), events);
    }

    @Test
    void two_tool_blocks_are_numbered_0_and_1_and_thinking_is_skipped() {
        List<StreamEvent> events = decode(
                "content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}",
                "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}",
                "content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_a\",\"name\":\"a\",\"input\":{}}}",
                "content_block_start", "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_b\",\"name\":\"b\",\"input\":{}}}",
                "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}",
                "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}");
        assertEquals(List.of(new StreamEvent.ToolCallStart(0, "toolu_a", "a", ""),
                new StreamEvent.ToolCallStart(1, "toolu_b", "b", ""),
                new StreamEvent.ToolCallArguments(1, "{}")), events);
    }

    @Test
    void error_types_carry_their_status() {
        GatewayException rate = ((StreamEvent.Failure) decode("error",
                "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow\"}}").get(0)).error();
        assertEquals(429, rate.status());
        assertEquals(ErrorType.RATE_LIMIT, rate.type());
        GatewayException api = ((StreamEvent.Failure) decode("error",
                "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"boom\"}}").get(0)).error();
        assertEquals(502, api.status());
        assertEquals(ErrorType.PROVIDER, api.type());
    }
}
