package ai.infrastack.gateway.api;

import ai.infrastack.gateway.support.CatalogPrices;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official OpenAI Java SDK, pointed at the running gateway, talks to OpenAI and Anthropic
 * models (answered by the sandbox upstreams over real HTTP) and gets the gateway's cost, usage
 * and latency on top of an ordinary OpenAI response.
 */
class OpenAiSdkEndToEndTest {
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
    @CsvSource({"gpt-4o, openai", "claude-3.5-sonnet, anthropic"})
    void plain_completion_carries_provider_usage_cost_and_latency(String model, String provider) {
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("Explain quantum computing in simple terms")
                .maxTokens(200)
                .temperature(0.7)
                .build());

        assertEquals(model, completion.model());
        assertTrue(completion.choices().get(0).message().content().orElse("").startsWith("Sandbox reply"),
                "answer comes from the " + provider + " sandbox");
        assertEquals("stop", completion.choices().get(0).finishReason().asString());
        Map<String, JsonValue> extra = completion._additionalProperties();
        assertEquals(provider, extra.get("provider").convert(String.class));
        JsonNode latency = extra.get("latency").convert(JsonNode.class);
        assertTrue(latency.get("total_time_ms").asLong() >= 0);
        assertTrue(latency.has("ttfb_ms") && latency.has("processing_time_ms"));
        assertCostEqualsCatalogTimesUsage(model, completion);
    }

    @ParameterizedTest
    @CsvSource({"gpt-4o", "claude-3.5-sonnet"})
    void tool_call_round_trip_reaches_a_final_answer(String model) {
        ChatCompletionFunctionTool weather = ChatCompletionFunctionTool.builder()
                .function(FunctionDefinition.builder()
                        .name("get_weather")
                        .description("Get current weather for a location")
                        .parameters(FunctionParameters.builder()
                                .putAdditionalProperty("type", JsonValue.from("object"))
                                .putAdditionalProperty("properties", JsonValue.from(Map.of("location", Map.of("type", "string"))))
                                .putAdditionalProperty("required", JsonValue.from(List.of("location")))
                                .build())
                        .build())
                .build();
        ChatCompletionCreateParams.Builder conversation = ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage("What's the weather in San Francisco?")
                .addTool(weather);

        ChatCompletion first = client.chat().completions().create(conversation.build());
        assertEquals("tool_calls", first.choices().get(0).finishReason().asString());
        ChatCompletionMessageToolCall call = first.choices().get(0).message().toolCalls().orElseThrow().get(0);
        assertEquals("get_weather", call.asFunction().function().name());
        JsonNode args = JsonValue.from(call.asFunction().function().arguments()).convert(JsonNode.class);
        assertTrue(call.asFunction().function().arguments().contains("location"), "arguments name the required property: " + args);
        assertCostEqualsCatalogTimesUsage(model, first);

        conversation.addMessage(first.choices().get(0).message());
        conversation.addMessage(ChatCompletionToolMessageParam.builder()
                .toolCallId(call.asFunction().id())
                .content("18 degrees and sunny")
                .build());
        ChatCompletion second = client.chat().completions().create(conversation.build());

        assertEquals("stop", second.choices().get(0).finishReason().asString());
        assertTrue(second.choices().get(0).message().content().orElse("").contains("18 degrees and sunny"),
                "the final answer uses the tool result: " + second.choices().get(0).message().content());
        assertCostEqualsCatalogTimesUsage(model, second);
    }

    private static void assertCostEqualsCatalogTimesUsage(String model, ChatCompletion completion) {
        var usage = completion.usage().orElseThrow();
        JsonNode cost = completion._additionalProperties().get("cost").convert(JsonNode.class);
        CatalogPrices prices = CatalogPrices.of(model);
        BigDecimal expectedInput = prices.inputFor(usage.promptTokens());
        BigDecimal expectedOutput = prices.outputFor(usage.completionTokens());
        assertEquals(0, expectedInput.compareTo(cost.get("input_cost").decimalValue()), "input_cost " + cost);
        assertEquals(0, expectedOutput.compareTo(cost.get("output_cost").decimalValue()), "output_cost " + cost);
        assertEquals(0, expectedInput.add(expectedOutput).compareTo(cost.get("total_cost").decimalValue()), "total_cost " + cost);
        assertEquals("USD", cost.get("currency").asText());
        assertTrue(usage.promptTokens() > 0 && usage.completionTokens() > 0);
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
    }
}
