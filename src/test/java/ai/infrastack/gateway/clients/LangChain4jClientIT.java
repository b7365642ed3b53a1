package ai.infrastack.gateway.clients;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.service.AiServices;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LangChain4j's OpenAI integration against the packaged jar, configured as its documentation shows
 * (base URL and key only): chat, streaming, a tool round trip, a POJO answer through a JSON-schema
 * response format, and OpenAI's newer {@code max_completion_tokens} — on one model of each provider.
 */
@ExtendWith(PackagedGatewayExtension.class)
class LangChain4jClientIT {
    private static String baseUrl;

    /** The answer type of the structured-output scenario. */
    record CityFacts(String city, int population, List<String> landmarks, boolean coastal) {
    }

    interface CityGuide {
        CityFacts factsAbout(String city);
    }

    @BeforeAll
    static void locate(PackagedGateway gateway) {
        baseUrl = gateway.baseUrl();
    }

    private static OpenAiChatModel.OpenAiChatModelBuilder chatModel(String model) {
        return OpenAiChatModel.builder().baseUrl(baseUrl).apiKey(PackagedGateway.MASTER_KEY).modelName(model).maxRetries(0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void chat_answers(String model) {
        ChatResponse response = chatModel(model).build().chat(ChatRequest.builder()
                .messages(UserMessage.from("Explain photosynthesis")).build());

        assertTrue(response.aiMessage().text().contains("Explain photosynthesis"), response.aiMessage().text());
        assertTrue(response.tokenUsage().outputTokenCount() > 0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void streaming_chat_completes_with_the_whole_text_and_usage(String model) throws Exception {
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder()
                .baseUrl(baseUrl).apiKey(PackagedGateway.MASTER_KEY).modelName(model).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat("Describe a mountain", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);

        assertTrue(partial.toString().contains("Describe a mountain"), partial.toString());
        assertEquals(partial.toString(), response.aiMessage().text());
        assertNotNull(response.tokenUsage(), "usage reported");
        assertTrue(response.tokenUsage().outputTokenCount() > 0);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void tool_round_trip(String model) {
        OpenAiChatModel chat = chatModel(model).build();
        ToolSpecification weather = ToolSpecification.builder()
                .name("get_weather").description("Get the current weather for a location")
                .parameters(JsonObjectSchema.builder().addStringProperty("location").required("location").build())
                .build();
        List<ChatMessage> messages = new ArrayList<>(List.of(UserMessage.from("What's the weather in Quito?")));

        AiMessage first = chat.chat(ChatRequest.builder().messages(messages).toolSpecifications(weather).build()).aiMessage();
        ToolExecutionRequest call = first.toolExecutionRequests().get(0);
        assertEquals("get_weather", call.name());
        messages.add(first);
        messages.add(ToolExecutionResultMessage.from(call, "18 degrees and sunny"));
        AiMessage second = chat.chat(ChatRequest.builder().messages(messages).toolSpecifications(weather).build()).aiMessage();

        assertTrue(second.text().contains("18 degrees and sunny"), second.text());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void a_pojo_answer_through_a_json_schema_response_format(String model) {
        CityGuide guide = AiServices.create(CityGuide.class, chatModel(model)
                .supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA).strictJsonSchema(true).build());

        CityFacts facts = guide.factsAbout("Valparaíso");

        assertNotNull(facts.city());
        assertNotNull(facts.landmarks());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void max_completion_tokens_caps_the_answer(String model) {
        ChatResponse response = chatModel(model).maxCompletionTokens(3).build()
                .chat(ChatRequest.builder().messages(UserMessage.from("one two three four five six seven")).build());

        assertTrue(response.tokenUsage().outputTokenCount() <= 3, response.tokenUsage().toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void a_stream_cut_mid_way_is_not_taken_for_a_complete_answer(String model) throws Exception {
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder()
                .baseUrl(baseUrl).apiKey(PackagedGateway.MASTER_KEY).modelName(model).build();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat("tell me a long tale of seven ships and nine harbours [sandbox:error_after=6]", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        try {
            ChatResponse response = done.get(60, TimeUnit.SECONDS);
            // LangChain4j ignores the in-band error event; the finish reason still says the answer is not whole
            assertTrue(response.finishReason() != FinishReason.STOP && response.finishReason() != FinishReason.LENGTH,
                    "a cut stream must not look finished: " + response.finishReason());
        } catch (ExecutionException reported) {
            // reported as an error: recognisable too
        }
    }
}
