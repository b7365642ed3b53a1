package ai.infrastack.gateway.provider.gemini;

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

/**
 * Gemini's {@code streamGenerateContent?alt=sse}, captured from the sandbox (CRLF framing, no [DONE],
 * cumulative usage), against the non-streamed answer.
 */
class GeminiStreamDecoderTest {
    private static final GeminiWireTranslator TRANSLATOR = new GeminiWireTranslator();
    private static NativeStreams streams;
    private static Target gemini;

    @BeforeAll
    static void start() {
        streams = new NativeStreams();
        gemini = Target.of("google", TRANSLATOR, "gemini-2.5-flash", ProviderQuirks.NONE);
    }

    @AfterAll
    static void stop() {
        streams.close();
    }

    @Test
    void the_stream_path_asks_for_server_sent_events() {
        assertEquals("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", TRANSLATOR.streamPath(gemini.model()));
        ObjectNode request = NativeStreams.textRequest(gemini.model().id(), "hi");
        request.put("stream", true);
        request.putObject("stream_options").put("include_usage", true);
        List<String> dropped = new ArrayList<>();
        List<String> droppedPlain = new ArrayList<>();
        assertEquals(TRANSLATOR.toUpstream(request, gemini.model(), ProviderQuirks.NONE, droppedPlain),
                TRANSLATOR.toUpstreamStream(request, gemini.model(), ProviderQuirks.NONE, dropped), "the body is the same");
        assertEquals(List.of(), dropped);
    }

    @Test
    void text_reassembles_with_the_last_cumulative_usage_and_no_end() throws Exception {
        ObjectNode request = NativeStreams.textRequest(gemini.model().id(),
                "Tell me a story about streaming tokens one by one [sandbox:cached=3] [sandbox:reasoning=4]");
        Completion whole = streams.complete(gemini, request);
        Assembled s = streams.stream(gemini, request);

        assertTrue(s.raw().size() > 3, "CRLF-framed events are split one by one: " + s.raw().size());
        assertEquals(1, s.starts());
        assertInstanceOf(StreamEvent.Start.class, s.events().get(0));
        assertEquals(NativeStreams.messageText(whole), s.text());
        assertEquals(List.of("stop"), s.finishes());
        assertEquals(0, s.ends(), "Gemini has no [DONE]: the end of the connection ends the stream");
        assertTrue(s.failures().isEmpty());
        assertEquals(whole.usage(), s.usage(), "the last cumulative usage, never a sum");
        assertEquals(3, s.usage().cacheRead());
        assertEquals(4, s.usage().reasoning());
        long reports = s.events().stream().filter(e -> e instanceof StreamEvent.UsageReport).count();
        assertTrue(reports > 1, "usage grows chunk by chunk");
    }

    @Test
    void a_function_call_arrives_whole_with_the_id_the_non_streamed_translation_gives_it() throws Exception {
        ObjectNode request = NativeStreams.toolRequest(gemini.model().id());
        Completion whole = streams.complete(gemini, request);
        Assembled s = streams.stream(gemini, request);

        ToolCall call = s.onlyToolCall();
        JsonNode expected = NativeStreams.messageToolCall(whole);
        assertTrue(s.toolCalls().containsKey(0));
        assertEquals(expected.path("id").asText(), call.id, "same synthesized id, thought signature included");
        assertTrue(call.id.contains(".ts."), call.id);
        assertEquals(expected.path("function").path("name").asText(), call.name);
        assertEquals(JSON.readTree(expected.path("function").path("arguments").asText()), JSON.readTree(call.arguments.toString()));
        assertEquals(1, call.fragments, "Gemini sends a function call whole");
        assertEquals(List.of("tool_calls"), s.finishes(), "STOP with a function call");
        assertEquals(NativeStreams.finishReason(whole), s.finishes().get(0));
        assertEquals(whole.usage(), s.usage());
    }

    @Test
    void max_tokens_finishes_with_length() throws Exception {
        ObjectNode request = NativeStreams.textRequest(gemini.model().id(), "A reply that will be cut short by the limit");
        request.put("max_tokens", 3);
        Completion whole = streams.complete(gemini, request);
        Assembled s = streams.stream(gemini, request);
        assertEquals(List.of("length"), s.finishes());
        assertEquals(NativeStreams.finishReason(whole), "length");
        assertEquals(NativeStreams.messageText(whole), s.text());
        assertEquals(whole.usage(), s.usage());
    }

    @Test
    void a_blocked_prompt_and_a_safety_stop_finish_with_content_filter() throws Exception {
        Assembled blocked = streams.stream(gemini, NativeStreams.textRequest(gemini.model().id(), "Something [sandbox:blocked=true]"));
        assertEquals(List.of("content_filter"), blocked.finishes());
        assertEquals("", blocked.text());
        assertTrue(blocked.failures().isEmpty());
        ObjectNode safetyRequest = NativeStreams.textRequest(gemini.model().id(), "Something [sandbox:finish=SAFETY]");
        Assembled safety = streams.stream(gemini, safetyRequest);
        assertEquals(List.of("content_filter"), safety.finishes());
        assertEquals(NativeStreams.finishReason(streams.complete(gemini, safetyRequest)), "content_filter");
    }

    @Test
    void an_error_object_mid_stream_is_a_failure() throws Exception {
        ObjectNode request = NativeStreams.textRequest(gemini.model().id(), "This stream breaks after a few events [sandbox:error_after=2]");
        Completion whole = streams.complete(gemini, request);
        Assembled s = streams.stream(gemini, request);

        assertEquals(1, s.failures().size(), s.events().toString());
        assertInstanceOf(StreamEvent.Failure.class, s.events().get(s.events().size() - 1));
        assertTrue(s.finishes().isEmpty());
        GatewayException error = s.failures().get(0).error();
        assertEquals(ErrorType.PROVIDER, error.type());
        assertEquals(503, error.status());
        assertEquals("google", error.provider());
        assertFalse(s.text().isEmpty());
        assertTrue(NativeStreams.messageText(whole).startsWith(s.text()));
    }

    // ---- hand-written events -------------------------------------------------------------------------

    @Test
    void thoughts_are_skipped_and_early_usage_without_counts_is_ignored() {
        StreamDecoder decoder = TRANSLATOR.streamDecoder(gemini.model());
        List<StreamEvent> events = new ArrayList<>();
        events.addAll(decoder.decode(new SseEvent(null, "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
                + "[{\"text\":\"thinking…\",\"thought\":true},{\"text\":\"Hi\"}]},\"index\":0}],"
                + "\"usageMetadata\":{\"trafficType\":\"ON_DEMAND\"},\"responseId\":\"r1\"}")));
        events.addAll(decoder.decode(new SseEvent(null, "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
                + "[{\"text\":\"!\"}]},\"finishReason\":\"STOP\",\"index\":0}],"
                + "\"usageMetadata\":{\"promptTokenCount\":10,\"candidatesTokenCount\":2,\"thoughtsTokenCount\":5},\"responseId\":\"r1\"}")));
        assertEquals(List.of(new StreamEvent.Start(), new StreamEvent.Text("Hi"), new StreamEvent.Text("!"),
                new StreamEvent.Finish("stop"), new StreamEvent.UsageReport(new Usage(10, 0, 0, 7, 5, false))), events);
    }

    @Test
    void an_invalid_key_error_in_the_stream_goes_through_the_translators_error_mapping() {
        StreamDecoder decoder = TRANSLATOR.streamDecoder(gemini.model());
        List<StreamEvent> events = decoder.decode(new SseEvent(null, "{\"error\":{\"code\":400,\"message\":\"API key not valid.\","
                + "\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\","
                + "\"reason\":\"API_KEY_INVALID\"}]}}"));
        GatewayException error = ((StreamEvent.Failure) events.get(0)).error();
        // A bad key is the gateway's credential: a 502 provider_error, reporting the vendor's own 400.
        assertEquals(502, error.status(), "Gemini's 400 API_KEY_INVALID is a bad key, not the client's mistake");
        assertEquals(400, error.upstreamStatus());
    }
}
