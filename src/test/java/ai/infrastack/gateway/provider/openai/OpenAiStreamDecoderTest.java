package ai.infrastack.gateway.provider.openai;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static ai.infrastack.gateway.support.NativeStreams.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI-compatible stream decoder on native streams captured from the sandbox's OpenAI, Together
 * (Llama) and Mistral simulators, compared with the non-streamed answer to the same request.
 */
class OpenAiStreamDecoderTest {
    private static final OpenAiWireTranslator TRANSLATOR = new OpenAiWireTranslator();
    private static final ProviderQuirks MISTRAL = ProviderQuirks.of("seed=random_seed", "alnum9", "omit");
    private static NativeStreams streams;

    @BeforeAll
    static void start() {
        streams = new NativeStreams();
    }

    @AfterAll
    static void stop() {
        streams.close();
    }

    private static Target target(String provider) {
        return switch (provider) {
            case "openai" -> Target.of("openai", TRANSLATOR, "gpt-4o", ProviderQuirks.NONE);
            case "meta" -> Target.of("meta", TRANSLATOR, "llama-3.1-70b", ProviderQuirks.NONE);
            case "mistral" -> Target.of("mistral", TRANSLATOR, "mistral-large", MISTRAL);
            default -> throw new IllegalArgumentException(provider);
        };
    }

    private static void assertCleanEnd(Assembled s) {
        assertEquals(1, s.starts(), s.events().toString());
        assertInstanceOf(StreamEvent.Start.class, s.events().get(0));
        assertEquals(1, s.ends(), s.events().toString());
        assertInstanceOf(StreamEvent.End.class, s.events().get(s.events().size() - 1), "[DONE] is the last event");
        assertTrue(s.failures().isEmpty(), s.failures().toString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openai", "meta", "mistral"})
    void text_reassembles_to_the_non_streamed_text_with_the_same_usage(String provider) throws Exception {
        Target t = target(provider);
        ObjectNode request = NativeStreams.textRequest(t.model().id(), "Tell me a story about streaming tokens one by one");
        Completion whole = streams.complete(t, request);
        Assembled s = streams.stream(t, request);

        assertCleanEnd(s);
        assertEquals(NativeStreams.messageText(whole), s.text());
        assertTrue(s.events().stream().filter(e -> e instanceof StreamEvent.Text).count() > 3, "word by word: " + s.events());
        assertEquals(List.of("stop"), s.finishes());
        assertEquals(whole.usage(), s.usage());
        assertTrue(s.usage().output() > 0 && s.usage().uncachedInput() > 0, s.usage().toString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openai", "meta", "mistral"})
    void tool_call_arguments_reassemble_to_the_non_streamed_ones(String provider) throws Exception {
        Target t = target(provider);
        ObjectNode request = NativeStreams.toolRequest(t.model().id());
        Completion whole = streams.complete(t, request);
        Assembled s = streams.stream(t, request);

        assertCleanEnd(s);
        JsonNode expected = NativeStreams.messageToolCall(whole);
        ToolCall call = s.onlyToolCall();
        assertTrue(s.toolCalls().containsKey(0), "the first call has index 0");
        assertFalse(call.id.isEmpty());
        assertEquals(expected.path("function").path("name").asText(), call.name);
        assertEquals(expected.path("function").path("arguments").asText(), call.arguments.toString());
        if (provider.equals("mistral")) {
            assertEquals(1, call.fragments, "Mistral sends the whole call in one delta");
            assertTrue(call.id.matches("[A-Za-z0-9]{9}"), call.id);
        } else {
            assertTrue(call.fragments >= 2, "arguments arrive in fragments: " + call);
        }
        assertEquals("", s.text());
        assertEquals(List.of("tool_calls"), s.finishes());
        assertEquals(whole.usage(), s.usage());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openai", "meta"})
    void cached_tokens_come_out_of_the_prompt_in_the_streamed_usage_too(String provider) throws Exception {
        Target t = target(provider);
        ObjectNode request = NativeStreams.textRequest(t.model().id(),
                "Summarise this long cached prompt about gateways and streams [sandbox:cached=4]");
        Completion whole = streams.complete(t, request);
        Assembled s = streams.stream(t, request);
        assertEquals(4, s.usage().cacheRead(), s.usage().toString());
        assertEquals(whole.usage(), s.usage());
    }

    @Test
    void openai_usage_comes_from_the_extra_chunk_without_choices_that_stream_options_asks_for() throws Exception {
        Target t = target("openai");
        ObjectNode request = NativeStreams.textRequest("gpt-4o", "Count the reasoning tokens [sandbox:reasoning=5]");
        Completion whole = streams.complete(t, request);
        Assembled s = streams.stream(t, request);
        JsonNode usageChunk = JSON.readTree(s.raw().get(s.raw().size() - 2).data());
        assertEquals(0, usageChunk.path("choices").size(), usageChunk.toString());
        assertTrue(usageChunk.path("usage").isObject(), usageChunk.toString());
        assertEquals(5, s.usage().reasoning());
        assertEquals(whole.usage(), s.usage());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openai", "meta", "mistral"})
    void max_tokens_finishes_with_length(String provider) throws Exception {
        Target t = target(provider);
        ObjectNode request = NativeStreams.textRequest(t.model().id(), "A reply that will be cut short by the limit");
        request.put("max_tokens", 3);
        Completion whole = streams.complete(t, request);
        Assembled s = streams.stream(t, request);
        assertEquals(List.of("length"), s.finishes());
        assertEquals(NativeStreams.finishReason(whole), s.finishes().get(0));
        assertEquals(NativeStreams.messageText(whole), s.text());
        assertEquals(whole.usage(), s.usage());
    }

    @Test
    void together_eos_and_mistral_model_length_are_mapped() throws Exception {
        Assembled together = streams.stream(target("meta"), NativeStreams.textRequest("llama-3.1-70b", "Hi [sandbox:finish=eos]"));
        assertEquals(List.of("stop"), together.finishes());
        Assembled mistral = streams.stream(target("mistral"),
                NativeStreams.textRequest("mistral-large", "Hi [sandbox:finish=model_length]"));
        assertEquals(List.of("length"), mistral.finishes());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openai", "meta", "mistral"})
    void an_error_mid_stream_is_a_failure_and_no_end(String provider) throws Exception {
        Target t = target(provider);
        ObjectNode request = NativeStreams.textRequest(t.model().id(), "This stream breaks after a few events [sandbox:error_after=3]");
        Completion whole = streams.complete(t, request); // error_after only affects streams
        Assembled s = streams.stream(t, request);

        assertEquals(1, s.failures().size(), s.events().toString());
        assertInstanceOf(StreamEvent.Failure.class, s.events().get(s.events().size() - 1));
        assertEquals(0, s.ends(), "a broken stream must not look finished");
        assertTrue(s.finishes().isEmpty(), s.finishes().toString());
        GatewayException error = s.failures().get(0).error();
        assertEquals(ErrorType.PROVIDER, error.type());
        assertEquals(502, error.status());
        assertEquals(provider, error.provider());
        assertFalse(s.text().isEmpty());
        assertTrue(NativeStreams.messageText(whole).startsWith(s.text()), s.text());
        assertTrue(s.text().length() < NativeStreams.messageText(whole).length(), "the answer was cut: " + s.text());
    }

    /**
     * The sandbox sends the role event and the first word, then holds the stream until released:
     * both must be decoded while it is held — nothing waits for more bytes or for the end.
     */
    @Test
    void events_are_read_as_they_arrive_not_when_the_stream_ends() throws Exception {
        Target t = target("openai");
        String hold = "hold-" + java.util.UUID.randomUUID();
        java.util.concurrent.BlockingQueue<StreamEvent> decoded = new java.util.concurrent.LinkedBlockingQueue<>();
        java.util.concurrent.CompletableFuture<Assembled> whole = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return streams.stream(t, NativeStreams.textRequest("gpt-4o", "One two three four [sandbox:hold=" + hold
                        + "] [sandbox:hold_after=2]"), decoded::add);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            assertInstanceOf(StreamEvent.Start.class, decoded.poll(30, java.util.concurrent.TimeUnit.SECONDS));
            StreamEvent first = decoded.poll(30, java.util.concurrent.TimeUnit.SECONDS);
            assertInstanceOf(StreamEvent.Text.class, first, "the first word was decoded while the rest was held back");
            assertFalse(whole.isDone(), "the stream is still open");
        } finally {
            streams.sandbox.release(hold);
        }
        Assembled s = whole.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(1, s.ends());
        assertTrue(s.text().startsWith("Sandbox reply"), s.text());
    }

    // ---- the request -------------------------------------------------------------------------------

    @Test
    void the_stream_request_asks_for_usage_except_from_hosts_that_refuse_stream_options() {
        ObjectNode request = NativeStreams.textRequest("gpt-4o", "hi");
        request.put("stream", true);
        request.putObject("stream_options").put("include_usage", false);
        List<String> dropped = new ArrayList<>();
        ObjectNode openai = TRANSLATOR.toUpstreamStream(request, target("openai").model(), ProviderQuirks.NONE, dropped);
        assertTrue(openai.path("stream").asBoolean());
        assertTrue(openai.path("stream_options").path("include_usage").asBoolean(), "the gateway always asks for usage");
        ObjectNode mistral = TRANSLATOR.toUpstreamStream(request, target("mistral").model(), MISTRAL, dropped);
        assertTrue(mistral.path("stream").asBoolean());
        assertFalse(mistral.has("stream_options"), mistral.toString());
        assertTrue(dropped.isEmpty(), dropped.toString());
        assertEquals("/chat/completions", TRANSLATOR.streamPath(target("openai").model()));
    }

    // ---- hand-written chunks for what the sandbox does not send -------------------------------------

    private static List<StreamEvent> decode(String... data) {
        StreamDecoder decoder = TRANSLATOR.streamDecoder(target("openai").model());
        List<StreamEvent> out = new ArrayList<>();
        for (String d : data) {
            out.addAll(decoder.decode(new SseEvent(null, d)));
        }
        return out;
    }

    @Test
    void an_error_naming_its_status_keeps_it() {
        List<StreamEvent> events = decode("{\"error\":{\"message\":\"slow down\",\"type\":\"requests\",\"code\":429}}");
        GatewayException error = ((StreamEvent.Failure) events.get(0)).error();
        assertEquals(429, error.status());
        assertEquals(ErrorType.RATE_LIMIT, error.type());
        assertEquals("slow down", error.getMessage());
    }

    @Test
    void several_whole_calls_in_one_delta_keep_their_indexes() {
        List<StreamEvent> events = decode("""
                {"choices":[{"index":0,"delta":{"tool_calls":[
                  {"id":"AAAAAAAAA","type":"function","function":{"name":"a","arguments":"{\\"x\\":1}"},"index":0},
                  {"id":"BBBBBBBBB","type":"function","function":{"name":"b","arguments":"{}"},"index":1}]},
                  "finish_reason":"tool_calls"}],
                 "usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14}}""", "[DONE]");
        assertEquals(List.of(new StreamEvent.Start(),
                new StreamEvent.ToolCallStart(0, "AAAAAAAAA", "a", "{\"x\":1}"),
                new StreamEvent.ToolCallStart(1, "BBBBBBBBB", "b", "{}"),
                new StreamEvent.Finish("tool_calls"),
                new StreamEvent.UsageReport(new Usage(10, 0, 0, 4, 0, false)),
                new StreamEvent.End()), events);
    }

    @Test
    void a_fragment_that_repeats_the_call_id_does_not_start_a_new_call() {
        List<StreamEvent> events = decode(
                "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}",
                "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"arguments\":\"{}\"}}]}}]}");
        assertEquals(List.of(new StreamEvent.Start(), new StreamEvent.ToolCallStart(0, "call_1", "f", ""),
                new StreamEvent.ToolCallArguments(0, "{}")), events);
    }

    @Test
    void together_top_level_cached_tokens_and_groq_usage_are_read() {
        List<StreamEvent> together = decode("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"eos\"}],"
                + "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":5,\"total_tokens\":25,\"cached_tokens\":8,\"prompt_tokens_details\":null}}");
        assertEquals(List.of(new StreamEvent.Start(), new StreamEvent.Finish("stop"),
                new StreamEvent.UsageReport(new Usage(12, 8, 0, 5, 0, false))), together);
        List<StreamEvent> groq = decode("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
                + "\"x_groq\":{\"id\":\"req_1\",\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10,\"queue_time\":0.01}}}");
        assertEquals(new StreamEvent.UsageReport(new Usage(7, 0, 0, 3, 0, false)), groq.get(groq.size() - 1));
    }

    @Test
    void other_choices_than_the_first_and_unreadable_data_are_handled() {
        List<StreamEvent> events = decode("{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"other\"}},"
                + "{\"index\":0,\"delta\":{\"content\":\"mine\"}}]}", "not json");
        assertEquals(new StreamEvent.Text("mine"), events.get(1));
        assertEquals(3, events.size(), events.toString());
        GatewayException error = ((StreamEvent.Failure) events.get(2)).error();
        assertEquals(502, error.status());
        assertEquals("upstream_invalid_response", error.code());
    }

    @Test
    void mistral_top_level_error_envelope_is_a_failure() {
        List<StreamEvent> events = decode("{\"object\":\"error\",\"message\":\"Service unavailable\",\"type\":\"service_unavailable\","
                + "\"param\":null,\"code\":\"1000\",\"raw_status_code\":503}");
        GatewayException error = ((StreamEvent.Failure) events.get(0)).error();
        assertEquals(1, events.size(), events.toString());
        assertEquals(503, error.status());
        assertEquals("The provider openai is overloaded (HTTP 503); retry shortly", error.getMessage());
    }

    @Test
    void mistral_error_finish_is_a_failure() {
        List<StreamEvent> events = decode("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}");
        assertInstanceOf(StreamEvent.Failure.class, events.get(1));
    }
}
