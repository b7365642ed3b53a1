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
import com.openai.models.chat.completions.ChatCompletionMessage;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.completions.CompletionUsage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official OpenAI Java SDK, pointed at the running gateway, uses one model of each of the six
 * providers (answered by the sandbox upstreams in each vendor's own wire format over real HTTP):
 * a plain completion and a full tool-call round trip, each billed at catalog price × usage.
 */
class SixProvidersEndToEndTest {
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

    @ParameterizedTest(name = "{0} via {1}")
    @CsvSource({
            "gpt-4o, openai, openai",
            "claude-3.5-sonnet, anthropic, anthropic",
            "gemini-1.5-pro, google, gemini",
            "llama-3.1-70b, meta, together",
            "mistral-large, mistral, mistral",
            "command-r-plus, cohere, cohere"})
    void plain_completion_of_each_provider_names_the_provider_and_is_billed_at_catalog_price(String model, String provider, String sandbox) {
        gateway.sandbox().clearRecorded();
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(model)
                .addSystemMessage("You are a concise teacher.")
                .addUserMessage("Explain quantum computing in simple terms")
                .maxTokens(200)
                .temperature(0.7)
                .build());

        assertEquals(1, gateway.sandbox().recorded().size(), "exactly one upstream call");
        assertNotNull(gateway.sandbox().lastRequest(sandbox), "the call went to the " + sandbox + " simulator");
        assertEquals(model, completion.model(), "the response names the model the client asked for");
        assertEquals(provider, completion._additionalProperties().get("provider").convert(String.class));
        ChatCompletion.Choice choice = completion.choices().get(0);
        String content = choice.message().content().orElse("");
        assertTrue(content.startsWith("Sandbox reply") && content.contains("Explain quantum computing"),
                "the answer comes from the " + provider + " sandbox: " + content);
        assertTrue(choice.message().toolCalls().map(List::isEmpty).orElse(true), "no tool calls in a plain answer");
        assertEquals("stop", choice.finishReason().asString());
        assertCostEqualsCatalogTimesUsage(model, completion);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void tool_call_round_trip_of_each_provider_reaches_a_final_answer_using_the_tool_result(String model) {
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
        ChatCompletionMessage assistant = first.choices().get(0).message();
        List<ChatCompletionMessageToolCall> calls = assistant.toolCalls().orElseThrow();
        assertEquals(1, calls.size(), calls.toString());
        ChatCompletionMessageToolCall call = calls.get(0);
        assertEquals("get_weather", call.asFunction().function().name());
        assertFalse(call.asFunction().id().isBlank(), "the tool call has an id the client can answer");
        JsonNode args = JsonValue.from(call.asFunction().function().arguments()).convert(JsonNode.class);
        assertTrue(call.asFunction().function().arguments().contains("\"location\""), "arguments name the required property: " + args);
        assertCostEqualsCatalogTimesUsage(model, first);

        conversation.addMessage(assistant);
        conversation.addMessage(ChatCompletionToolMessageParam.builder()
                .toolCallId(call.asFunction().id())
                .content("18 degrees and sunny")
                .build());
        ChatCompletion second = client.chat().completions().create(conversation.build());

        assertEquals("stop", second.choices().get(0).finishReason().asString());
        String answer = second.choices().get(0).message().content().orElse("");
        assertTrue(answer.contains("18 degrees and sunny"), "the final answer uses the tool result: " + answer);
        assertTrue(second.choices().get(0).message().toolCalls().map(List::isEmpty).orElse(true), "no further tool call");
        assertCostEqualsCatalogTimesUsage(model, second);
        assertTrue(second.usage().orElseThrow().promptTokens() > first.usage().orElseThrow().promptTokens(),
                "the second turn sends the longer conversation");
    }

    private static void assertCostEqualsCatalogTimesUsage(String model, ChatCompletion completion) {
        CompletionUsage usage = completion.usage().orElseThrow();
        assertTrue(usage.promptTokens() > 0 && usage.completionTokens() > 0, "usage is reported: " + usage);
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens(), "usage totals add up");
        // Gemini 1.5 Pro changes price above 128k prompt tokens; these prompts stay at the base rate.
        assertTrue(usage.promptTokens() <= 128_000, "below every context tier");

        JsonNode cost = completion._additionalProperties().get("cost").convert(JsonNode.class);
        assertNotNull(cost, "the response carries its cost");
        CatalogPrices prices = CatalogPrices.of(model);
        BigDecimal expectedInput = prices.inputFor(usage.promptTokens());
        BigDecimal expectedOutput = prices.outputFor(usage.completionTokens());
        assertEquals(0, expectedInput.compareTo(cost.get("input_cost").decimalValue()), model + " input_cost " + cost);
        assertEquals(0, expectedOutput.compareTo(cost.get("output_cost").decimalValue()), model + " output_cost " + cost);
        assertEquals(0, expectedInput.add(expectedOutput).compareTo(cost.get("total_cost").decimalValue()), model + " total_cost " + cost);
        assertEquals("USD", cost.get("currency").asText());
    }
}
