package ai.infrastack.gateway.provider.cohere;

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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cohere v2's kebab-case event stream, captured from the sandbox, against the non-streamed answer. */
class CohereStreamDecoderTest {
    private static final CohereWireTranslator TRANSLATOR = new CohereWireTranslator();
    private static NativeStreams streams;
    private static Target cohere;

    @BeforeAll
    static void start() {
        streams = new NativeStreams();
        cohere = Target.of("cohere", TRANSLATOR, "command-r-plus", ProviderQuirks.NONE);
    }

    @AfterAll
    static void stop() {
        streams.close();
    }

    @Test
    void text_reassembles_and_message_end_brings_finish_billed_usage_and_end() throws Exception {
        ObjectNode request = NativeStreams.textRequest(cohere.model().id(),
                "Tell me a story about streaming tokens one by one [sandbox:cached=2]");
        Completion whole = streams.complete(cohere, request);
        Assembled s = streams.stream(cohere, request);

        assertEquals(1, s.starts());
        assertInstanceOf(StreamEvent.Start.class, s.events().get(0));
        assertEquals(NativeStreams.messageText(whole), s.text());
        assertEquals(List.of("stop"), s.finishes());
        assertEquals(whole.usage(), s.usage(), "billed units, not tokens");
        assertEquals(2, s.usage().cacheRead());
        assertEquals(1, s.ends());
        List<StreamEvent> tail = s.events().subList(s.events().size() - 3, s.events().size());
        assertEquals(List.of(new StreamEvent.Finish("stop"), new StreamEvent.UsageReport(whole.usage()), new StreamEvent.End()), tail);
        assertTrue(s.failures().isEmpty());
    }

    @Test
    void a_tool_call_object_starts_the_call_and_its_argument_fragments_reassemble() throws Exception {
        ObjectNode request = NativeStreams.toolRequest(cohere.model().id());
        Completion whole = streams.complete(cohere, request);
        Assembled s = streams.stream(cohere, request);

        ToolCall call = s.onlyToolCall();
        JsonNode expected = NativeStreams.messageToolCall(whole);
        assertTrue(s.toolCalls().containsKey(0));
        assertTrue(call.id.startsWith("get_weather_"), call.id);
        assertEquals(expected.path("function").path("name").asText(), call.name);
        assertEquals(expected.path("function").path("arguments").asText(), call.arguments.toString());
        assertTrue(call.fragments >= 2, "arguments arrive in fragments: " + call);
        assertEquals(NativeStreams.messageText(whole), s.text(), "the tool plan streams as the text, as it is the content unstreamed");
        assertFalse(s.text().isEmpty());
        assertEquals(List.of("tool_calls"), s.finishes());
        assertEquals(whole.usage(), s.usage());
        assertEquals(1, s.ends());
    }

    @Test
    void max_tokens_finishes_with_length() throws Exception {
        ObjectNode request = NativeStreams.textRequest(cohere.model().id(), "A reply that will be cut short by the limit");
        request.put("max_tokens", 3);
        Completion whole = streams.complete(cohere, request);
        Assembled s = streams.stream(cohere, request);
        assertEquals(List.of("length"), s.finishes());
        assertEquals(NativeStreams.finishReason(whole), "length");
        assertEquals(NativeStreams.messageText(whole), s.text());
        assertEquals(whole.usage(), s.usage());
    }

    @Test
    void an_error_finish_is_a_failure_as_it_is_unstreamed() throws Exception {
        ObjectNode request = NativeStreams.textRequest(cohere.model().id(), "Something [sandbox:finish=ERROR]");
        GatewayException unstreamed = assertThrows(GatewayException.class, () -> streams.complete(cohere, request));
        Assembled s = streams.stream(cohere, request);

        assertEquals(1, s.failures().size(), s.events().toString());
        assertInstanceOf(StreamEvent.Failure.class, s.events().get(s.events().size() - 1));
        assertEquals(0, s.ends());
        assertTrue(s.finishes().isEmpty());
        GatewayException error = s.failures().get(0).error();
        assertEquals(unstreamed.status(), error.status());
        assertEquals(unstreamed.code(), error.code());
        assertEquals(ErrorType.PROVIDER, error.type());
        assertTrue(s.usage() != null && s.usage().output() > 0, "the tokens produced are still reported: " + s.usage());
    }

    @Test
    void an_error_mid_stream_is_a_failure_and_no_end() throws Exception {
        ObjectNode request = NativeStreams.textRequest(cohere.model().id(), "This stream breaks after a few events [sandbox:error_after=3]");
        Completion whole = streams.complete(cohere, request);
        Assembled s = streams.stream(cohere, request);

        assertEquals(1, s.failures().size(), s.events().toString());
        assertInstanceOf(StreamEvent.Failure.class, s.events().get(s.events().size() - 1));
        assertEquals(0, s.ends());
        assertTrue(s.finishes().isEmpty());
        GatewayException error = s.failures().get(0).error();
        assertEquals(502, error.status());
        assertEquals("upstream_error", error.code());
        assertEquals("cohere", error.provider());
        assertTrue(error.getMessage().contains("internal server error"), error.getMessage());
        assertFalse(s.text().isEmpty());
        assertTrue(NativeStreams.messageText(whole).startsWith(s.text()));
    }

    @Test
    void the_stream_request_sets_stream() {
        ObjectNode request = NativeStreams.textRequest(cohere.model().id(), "hi");
        request.putObject("stream_options").put("include_usage", true);
        List<String> dropped = new ArrayList<>();
        ObjectNode out = TRANSLATOR.toUpstreamStream(request, cohere.model(), ProviderQuirks.NONE, dropped);
        assertTrue(out.path("stream").asBoolean());
        assertEquals(List.of(), dropped);
        assertEquals("/v2/chat", TRANSLATOR.streamPath(cohere.model()));
    }

    @Test
    void a_done_after_message_end_adds_nothing_and_array_tool_calls_are_tolerated() {
        StreamDecoder decoder = TRANSLATOR.streamDecoder(cohere.model());
        List<StreamEvent> events = new ArrayList<>();
        events.addAll(decoder.decode(new SseEvent("tool-call-start", "{\"type\":\"tool-call-start\",\"index\":0,\"delta\":{\"message\":"
                + "{\"tool_calls\":[{\"id\":\"f_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}}")));
        events.addAll(decoder.decode(new SseEvent("tool-call-delta", "{\"type\":\"tool-call-delta\",\"index\":0,\"delta\":{\"message\":"
                + "{\"tool_calls\":{\"function\":{\"arguments\":\":1}\"}}}}}")));
        events.addAll(decoder.decode(new SseEvent("message-end", "{\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"TOOL_CALL\","
                + "\"usage\":{\"billed_units\":{\"input_tokens\":9,\"output_tokens\":4},\"tokens\":{\"input_tokens\":70,\"output_tokens\":6}}}}")));
        events.addAll(decoder.decode(new SseEvent(null, "[DONE]")));
        assertEquals(List.of(new StreamEvent.ToolCallStart(0, "f_1", "f", "{\"a\""), new StreamEvent.ToolCallArguments(0, ":1}"),
                new StreamEvent.Finish("tool_calls"), new StreamEvent.UsageReport(new Usage(9, 0, 0, 4, 0, false)),
                new StreamEvent.End()), events);
    }
}
