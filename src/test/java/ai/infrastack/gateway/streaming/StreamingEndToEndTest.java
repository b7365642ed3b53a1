package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.support.CatalogPrices;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official OpenAI Java SDK's streaming API, pointed at the running gateway, streams from one
 * model of each of the six providers (the sandbox simulators speak each vendor's native stream
 * format over real HTTP). What the SDK reassembles must equal the same request answered without
 * streaming; the finish chunk is OpenAI's, and the last chunk carries usage, cost and latency — OpenAI's
 * {@code choices: []} usage chunk with {@code stream_options.include_usage}, else a chunk whose one choice has
 * an empty delta — so the SDK's {@code ChatCompletionAccumulator} rebuilds the completion either way.
 */
class StreamingEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunningGateway gateway;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
        client = OpenAIOkHttpClient.builder().baseUrl(gateway.baseUrl()).apiKey(RunningGateway.MASTER_KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        gateway.close();
    }

    @ParameterizedTest
    @CsvSource({"gpt-4o, openai", "claude-3.5-sonnet, anthropic", "gemini-1.5-pro, google", "llama-3.1-70b, meta",
            "mistral-large, mistral", "command-r-plus, cohere"})
    void streamed_text_reassembles_to_the_non_streamed_answer_with_usage_cost_and_latency_on_the_last_chunk(
            String model, String provider) {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("Explain quantum computing in simple terms, please")
                .maxTokens(200)
                .build();
        ChatCompletion whole = client.chat().completions().create(params);
        List<ChatCompletionChunk> chunks = stream(params);

        assertFalse(chunks.isEmpty(), "the stream delivered chunks");
        ChatCompletionChunk first = chunks.get(0);
        assertEquals("assistant", first.choices().get(0).delta().role().orElseThrow().asString(), "role in the first chunk");
        for (ChatCompletionChunk chunk : chunks) {
            assertEquals("chat.completion.chunk", chunk._object_().convert(String.class));
            assertEquals(model, chunk.model(), "every chunk names the requested model");
            assertEquals(first.id(), chunk.id(), "every chunk has the stream's id");
        }

        String streamedText = chunks.stream()
                .flatMap(c -> c.choices().stream())
                .map(c -> c.delta().content().orElse(""))
                .collect(Collectors.joining());
        String wholeText = whole.choices().get(0).message().content().orElseThrow();
        assertTrue(wholeText.startsWith("Sandbox reply"), "answered by the " + provider + " sandbox: " + wholeText);
        assertEquals(wholeText, streamedText, "streamed deltas concatenate to the non-streamed content");
        long contentChunks = chunks.stream().flatMap(c -> c.choices().stream())
                .filter(c -> !c.delta().content().orElse("").isEmpty()).count();
        assertTrue(contentChunks > 1, "the text arrives as several deltas, not one: " + contentChunks);

        ChatCompletionChunk finish = onlyFinishChunk(chunks);
        assertEquals("stop", finish.choices().get(0).finishReason().orElseThrow().asString());
        assertTrue(finish.usage().isEmpty(), "the finish chunk is OpenAI's, without usage");
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        CompletionUsage usage = last.usage().orElseThrow(() -> new AssertionError("the last chunk carries usage"));
        CompletionUsage wholeUsage = whole.usage().orElseThrow();
        assertEquals(wholeUsage.promptTokens(), usage.promptTokens(), "prompt_tokens as non-streamed");
        assertEquals(wholeUsage.completionTokens(), usage.completionTokens(), "completion_tokens as non-streamed");
        assertEquals(wholeUsage.totalTokens(), usage.totalTokens(), "total_tokens as non-streamed");
        assertFalse(last._additionalProperties().containsKey("usage"), "usage is the SDK's own field");
        assertCostIsCatalogTimesUsage(model, last, usage);
        assertLatency(last);
        assertEquals(provider, last._additionalProperties().get("provider").convert(String.class));

    }

    @ParameterizedTest
    @CsvSource({"gpt-4o, true", "claude-3.5-sonnet, true", "gemini-1.5-pro, false", "llama-3.1-70b, true",
            "mistral-large, false", "command-r-plus, true"})
    void streamed_tool_call_reassembles_to_the_non_streamed_tool_call(String model, boolean fragmented) throws Exception {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("What's the weather in San Francisco?")
                .addTool(weatherTool())
                .build();
        ChatCompletion whole = client.chat().completions().create(params);
        ChatCompletionMessageToolCall wholeCall = whole.choices().get(0).message().toolCalls().orElseThrow().get(0);
        assertEquals("tool_calls", whole.choices().get(0).finishReason().asString());

        List<ChatCompletionChunk> chunks = stream(params);
        List<ChatCompletionChunk.Choice.Delta.ToolCall> deltas = chunks.stream()
                .flatMap(c -> c.choices().stream())
                .flatMap(c -> c.delta().toolCalls().orElse(List.of()).stream())
                .toList();
        assertFalse(deltas.isEmpty(), "the stream carries tool-call deltas");
        String id = deltas.stream().map(d -> d.id().orElse("")).filter(s -> !s.isEmpty()).findFirst().orElse("");
        String name = deltas.stream().map(d -> d.function().flatMap(f -> f.name()).orElse("")).collect(Collectors.joining());
        List<String> fragments = deltas.stream().map(d -> d.function().flatMap(f -> f.arguments()).orElse(""))
                .filter(s -> !s.isEmpty()).toList();
        assertTrue(deltas.stream().allMatch(d -> d.index() == 0), "one tool call, index 0");
        assertFalse(id.isBlank(), "the tool call has an id");
        assertEquals(wholeCall.asFunction().function().name(), name, "tool name as non-streamed");
        JsonNode streamedArgs = JSON.readTree(String.join("", fragments));
        JsonNode wholeArgs = JSON.readTree(wholeCall.asFunction().function().arguments());
        assertEquals(wholeArgs, streamedArgs, "tool arguments as non-streamed");
        assertTrue(streamedArgs.has("location"), "arguments fill the required property: " + streamedArgs);
        if (fragmented) {
            assertTrue(fragments.size() >= 2, "arguments arrive in fragments, got " + fragments);
        }

        ChatCompletionChunk finish = onlyFinishChunk(chunks);
        assertEquals("tool_calls", finish.choices().get(0).finishReason().orElseThrow().asString());
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        CompletionUsage usage = last.usage().orElseThrow();
        assertEquals(whole.usage().orElseThrow().promptTokens(), usage.promptTokens());
        assertEquals(whole.usage().orElseThrow().completionTokens(), usage.completionTokens());
        assertCostIsCatalogTimesUsage(model, last, usage);

    }

    @ParameterizedTest
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void include_usage_adds_a_final_chunk_with_no_choices_and_the_usage(String model) {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("Count the clouds in the sky")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build();
        List<ChatCompletionChunk> chunks = stream(params);

        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.choices().isEmpty(), "the last chunk has empty choices");
        CompletionUsage usage = last.usage().orElseThrow(() -> new AssertionError("the usage chunk carries usage"));
        assertTrue(usage.promptTokens() > 0 && usage.completionTokens() > 0, "usage counted: " + usage);
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
        assertEquals(1, chunks.stream().filter(c -> c.choices().isEmpty()).count(), "exactly one usage-only chunk");
        ChatCompletionChunk finish = onlyFinishChunk(chunks);
        // Usage goes in OpenAI's usage chunk only, so the SDK's accumulator (below) keeps the finish chunk.
        assertTrue(finish.usage().isEmpty(), "the finish chunk leaves usage to the usage chunk");
        assertTrue(last._additionalProperties().containsKey("cost"), "the usage chunk carries the cost");
        assertTrue(last._additionalProperties().containsKey("latency"), "the usage chunk carries the latency");
        assertEquals(chunks.size() - 2, chunks.indexOf(finish), "the usage chunk follows the finish chunk");
    }

    @ParameterizedTest
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void the_sdks_accumulator_rebuilds_the_completion_with_its_usage(String model) {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        stream(ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("Count the clouds in the sky")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build()).forEach(accumulator::accumulate);

        ChatCompletion completion = accumulator.chatCompletion();
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, completion.choices().get(0).finishReason());
        assertTrue(completion.choices().get(0).message().content().orElse("").startsWith("Sandbox reply"));
        CompletionUsage usage = completion.usage().orElseThrow();
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
        assertTrue(usage.completionTokens() > 0);
    }

    @ParameterizedTest
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void without_include_usage_the_last_chunk_keeps_a_choice_and_carries_usage_cost_and_latency(String model) {
        List<ChatCompletionChunk> chunks = stream(ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("Count the clouds in the sky")
                .build());

        // the spec's example client reads choices[0].delta of every chunk
        assertTrue(chunks.stream().noneMatch(c -> c.choices().isEmpty()), "no chunk with empty choices");
        ChatCompletionChunk finish = onlyFinishChunk(chunks);
        assertEquals(chunks.size() - 2, chunks.indexOf(finish), "the last chunk follows the finish chunk");
        assertTrue(finish.usage().isEmpty(), "no usage on the finish chunk");
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.usage().isPresent(), "usage on the last chunk, asked for or not");
        assertTrue(last._additionalProperties().containsKey("cost") && last._additionalProperties().containsKey("latency"));
        ChatCompletionChunk.Choice choice = last.choices().get(0);
        assertTrue(choice.finishReason().isEmpty() && choice.delta().content().isEmpty(), "an empty delta: " + choice);
    }

    @ParameterizedTest
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void the_sdks_accumulator_rebuilds_the_completion_without_include_usage(String model) {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        stream(ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("Count the clouds in the sky")
                .build()).forEach(accumulator::accumulate);

        ChatCompletion completion = accumulator.chatCompletion();
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, completion.choices().get(0).finishReason());
        assertTrue(completion.choices().get(0).message().content().orElse("").startsWith("Sandbox reply"));
        assertTrue(completion.usage().orElseThrow().completionTokens() > 0);
    }

    private static List<ChatCompletionChunk> stream(ChatCompletionCreateParams params) {
        try (StreamResponse<ChatCompletionChunk> response = client.chat().completions().createStreaming(params)) {
            return response.stream().toList();
        }
    }

    private static ChatCompletionChunk onlyFinishChunk(List<ChatCompletionChunk> chunks) {
        List<ChatCompletionChunk> finishing = chunks.stream()
                .filter(c -> c.choices().stream().anyMatch(choice -> choice.finishReason().isPresent()))
                .toList();
        assertEquals(1, finishing.size(), "exactly one chunk has a finish_reason");
        return finishing.get(0);
    }

    private static void assertCostIsCatalogTimesUsage(String model, ChatCompletionChunk finish, CompletionUsage usage) {
        JsonValue costValue = finish._additionalProperties().get("cost");
        assertNotNull(costValue, "finish chunk carries cost");
        JsonNode cost = costValue.convert(JsonNode.class);
        CatalogPrices prices = CatalogPrices.of(model);
        BigDecimal input = prices.inputFor(usage.promptTokens());
        BigDecimal output = prices.outputFor(usage.completionTokens());
        assertEquals(0, input.compareTo(cost.get("input_cost").decimalValue()), "input_cost " + cost);
        assertEquals(0, output.compareTo(cost.get("output_cost").decimalValue()), "output_cost " + cost);
        assertEquals(0, input.add(output).compareTo(cost.get("total_cost").decimalValue()), "total_cost " + cost);
        assertEquals("USD", cost.get("currency").asText());
        assertTrue(usage.promptTokens() > 0 && usage.completionTokens() > 0, "usage counted: " + usage);
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
    }

    private static void assertLatency(ChatCompletionChunk finish) {
        JsonValue latencyValue = finish._additionalProperties().get("latency");
        assertNotNull(latencyValue, "finish chunk carries latency");
        JsonNode latency = latencyValue.convert(JsonNode.class);
        long total = latency.get("total_time_ms").asLong(-1);
        long ttfb = latency.get("ttfb_ms").asLong(-1);
        long processing = latency.get("processing_time_ms").asLong(-1);
        assertTrue(total >= 0 && ttfb >= 0 && processing >= 0, "latency " + latency);
        assertTrue(ttfb <= total, "ttfb within total: " + latency);
    }

    private static ChatCompletionFunctionTool weatherTool() {
        return ChatCompletionFunctionTool.builder()
                .function(FunctionDefinition.builder()
                        .name("get_weather")
                        .description("Get current weather for a location")
                        .parameters(FunctionParameters.builder()
                                .putAdditionalProperty("type", JsonValue.from("object"))
                                .putAdditionalProperty("properties", JsonValue.from(Map.of(
                                        "location", Map.of("type", "string"),
                                        "unit", Map.of("type", "string"))))
                                .putAdditionalProperty("required", JsonValue.from(List.of("location", "unit")))
                                .build())
                        .build())
                .build();
    }
}
