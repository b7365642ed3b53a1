package ai.infrastack.gateway.clients;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessage;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.models.Model;
import com.openai.models.responses.Response;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official OpenAI Java SDK against the packaged jar, as its README shows it used: completions,
 * streams rebuilt by its {@code ChatCompletionAccumulator}, a tool round trip replaying the returned
 * message, {@code models.retrieve}, and the Responses API — on one model of each provider.
 */
@ExtendWith(PackagedGatewayExtension.class)
class OpenAiJavaClientIT {
    private static OpenAIClient client;

    @BeforeAll
    static void connect(PackagedGateway gateway) {
        client = OpenAIOkHttpClient.builder().baseUrl(gateway.baseUrl()).apiKey(PackagedGateway.MASTER_KEY).maxRetries(0).build();
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o, openai", "claude-3.5-sonnet, anthropic", "gemini-1.5-pro, google", "llama-3.1-70b, meta",
            "mistral-large, mistral", "command-r-plus, cohere"})
    void a_completion_names_its_provider_and_cost(String model, String provider) {
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(model).addUserMessage("Explain quantum computing").maxTokens(100).build());

        assertTrue(completion.choices().get(0).message().content().orElse("").contains("quantum computing"));
        assertEquals(provider, completion._additionalProperties().get("provider").convert(String.class));
        assertTrue(completion._additionalProperties().containsKey("cost"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void the_accumulator_rebuilds_a_stream_with_include_usage(String model) {
        ChatCompletion completion = accumulate(ChatCompletionCreateParams.builder().model(model)
                .addUserMessage("Describe the sea")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build());

        assertEquals(ChatCompletion.Choice.FinishReason.STOP, completion.choices().get(0).finishReason());
        assertTrue(completion.choices().get(0).message().content().orElse("").contains("Describe the sea"));
        assertTrue(completion.usage().orElseThrow().totalTokens() > 0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void the_accumulator_rebuilds_a_stream_without_include_usage(String model) {
        ChatCompletion completion = accumulate(ChatCompletionCreateParams.builder().model(model)
                .addUserMessage("Describe the sea").build());

        assertEquals(ChatCompletion.Choice.FinishReason.STOP, completion.choices().get(0).finishReason());
        assertTrue(completion.choices().get(0).message().content().orElse("").contains("Describe the sea"));
        assertTrue(completion.usage().orElseThrow().totalTokens() > 0, "usage reaches the accumulator unasked");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void a_stream_cut_mid_way_raises_in_the_sdk(String model) {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(model)
                .addUserMessage("tell me a long tale of seven ships and nine harbours [sandbox:error_after=6]").build();
        StringBuilder text = new StringBuilder();
        assertThrows(RuntimeException.class, () -> {
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
                stream.stream().forEach(chunk -> chunk.choices().forEach(c -> text.append(c.delta().content().orElse(""))));
            }
        });
        assertTrue(text.length() > 0, "content arrived before the failure");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void a_tool_round_trip_replays_the_returned_assistant_message(String model) {
        ChatCompletionCreateParams.Builder conversation = ChatCompletionCreateParams.builder()
                .model(model).addUserMessage("What's the weather in Paris?").addTool(weatherTool());

        ChatCompletionMessage assistant = client.chat().completions().create(conversation.build()).choices().get(0).message();
        ChatCompletionMessageToolCall call = assistant.toolCalls().orElseThrow().get(0);
        conversation.addMessage(assistant);
        conversation.addMessage(ChatCompletionToolMessageParam.builder()
                .toolCallId(call.asFunction().id()).content("18 degrees and sunny").build());
        ChatCompletion second = client.chat().completions().create(conversation.build());

        assertTrue(second.choices().get(0).message().content().orElse("").contains("18 degrees and sunny"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o, openai", "claude-3.5-sonnet, anthropic", "gemini-1.5-pro, google", "llama-3.1-70b, meta",
            "mistral-large, mistral", "command-r-plus, cohere"})
    void models_retrieve_answers_the_model(String model, String provider) {
        Model found = client.models().retrieve(model);

        assertEquals(model, found.id());
        assertEquals(provider, found.ownedBy());
    }

    @Test
    void models_retrieve_of_an_unknown_model_is_not_found() {
        assertThrows(NotFoundException.class, () -> client.models().retrieve("no-such-model"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o, openai", "claude-3.5-sonnet, anthropic", "gemini-1.5-pro, google", "llama-3.1-70b, meta",
            "mistral-large, mistral", "command-r-plus, cohere"})
    void responses_create_answers_with_usage_and_cost_on_every_provider(String model, String provider) {
        Response response = client.responses().create(ResponseCreateParams.builder().model(model).input("Say hello").build());

        assertEquals(ResponseStatus.COMPLETED, response.status().orElseThrow());
        assertTrue(text(response).contains("Say hello"), text(response));
        assertTrue(response.usage().orElseThrow().totalTokens() > 0);
        assertEquals(provider, response._additionalProperties().get("provider").convert(String.class));
        assertTrue(response._additionalProperties().containsKey("cost"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void the_response_accumulator_rebuilds_a_stream(String model) {
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                ResponseCreateParams.builder().model(model).input("Describe the sea").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Response response = accumulator.response();

        assertEquals(ResponseStatus.COMPLETED, response.status().orElseThrow());
        assertTrue(text(response).contains("Describe the sea"), text(response));
        assertTrue(response.usage().orElseThrow().outputTokens() > 0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void a_responses_function_call_round_trip_continues_with_previous_response_id(String model) {
        FunctionTool tool = FunctionTool.builder().name("get_weather").strict(false)
                .parameters(FunctionTool.Parameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("location", Map.of("type", "string"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("location")))
                        .build())
                .build();
        Response first = client.responses().create(ResponseCreateParams.builder().model(model)
                .input("What's the weather in Rome?").addTool(tool).build());
        ResponseFunctionToolCall call = first.output().stream().filter(ResponseOutputItem::isFunctionCall).findFirst()
                .orElseThrow().asFunctionCall();
        assertEquals("get_weather", call.name());

        Response second = client.responses().create(ResponseCreateParams.builder().model(model).addTool(tool)
                .previousResponseId(first.id())
                .inputOfResponse(List.of(ResponseInputItem.ofFunctionCallOutput(ResponseInputItem.FunctionCallOutput.builder()
                        .callId(call.callId()).output("21 degrees").build())))
                .build());
        assertTrue(text(second).contains("21 degrees"), text(second));
    }

    private static String text(Response response) {
        return response.output().stream().filter(ResponseOutputItem::isMessage)
                .flatMap(item -> item.asMessage().content().stream())
                .filter(content -> content.isOutputText())
                .map(content -> content.asOutputText().text())
                .reduce("", String::concat);
    }

    private static ChatCompletion accumulate(ChatCompletionCreateParams params) {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(accumulator::accumulate);
        }
        return accumulator.chatCompletion();
    }

    private static ChatCompletionFunctionTool weatherTool() {
        return ChatCompletionFunctionTool.builder()
                .function(FunctionDefinition.builder()
                        .name("get_weather")
                        .description("Get the current weather for a location")
                        .parameters(FunctionParameters.builder()
                                .putAdditionalProperty("type", JsonValue.from("object"))
                                .putAdditionalProperty("properties", JsonValue.from(Map.of("location", Map.of("type", "string"))))
                                .putAdditionalProperty("required", JsonValue.from(List.of("location")))
                                .build())
                        .build())
                .build();
    }
}
