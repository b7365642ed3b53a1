package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Together AI Chat Completions ({@code POST /together/v1/chat/completions}), the host of Meta's Llama models:
 * OpenAI's parameters and envelope, with Together's differences: top-level {@code "prompt": []},
 * {@code choices[].seed}, {@code message.tool_calls: []} when there are none, {@code usage.cached_tokens} at the
 * top level of usage ({@code prompt_tokens_details} null), tool-call ids {@code call_<24 lowercase alnum>}, ids like
 * {@code oBUtaEp-62bZhn-9801a2718d0ed123}; stream chunks carry {@code text}, {@code seed} and
 * {@code delta.token_id}, and the final chunk carries finish_reason and usage without {@code stream_options}, then
 * {@code [DONE]}. Extra fields (top_k, repetition_penalty, min_p, …) are accepted, as the real API does.
 */
final class TogetherDialect extends ChatCompletionsDialect {

    static final String FORMAT = "together";
    private static final ChatCompletionsRequest.Rules RULES =
            new ChatCompletionsRequest.Rules(false, Integer.MAX_VALUE, false, id -> { });
    /** Llama 3's {@code <|eot_id|>}, the token_id of the final chunk. */
    private static final int END_OF_TURN_TOKEN = 128009;
    private static final int VOCABULARY = 128000;
    private static final long REQUESTS_LIMIT = 600;
    private static final long TOKENS_LIMIT = 180_000;

    // ---- identity and validation -------------------------------------------------------------------

    @Override
    String format() {
        return FORMAT;
    }

    @Override
    ChatCompletionsRequest.Rules rules() {
        return RULES;
    }

    @Override
    SandboxResponse refuseFields(ChatCall call, JsonNode root) {
        return null;
    }

    // ---- the success body --------------------------------------------------------------------------

    private static String completionId(ChatCall call) {
        return call.hash.alnum("together-a", 7) + '-' + call.hash.alnum("together-b", 6) + '-'
                + call.hash.hex("together-c", 16);
    }

    private static String toolCallId(ChatCall call, int choice) {
        return "call_" + call.hash.lowerAlnum("together-call" + choice, 24);
    }

    private static long seed(ChatCall call, JsonNode root) {
        return root.path("seed").isIntegralNumber() ? root.get("seed").asLong() : call.hash.positiveLong("seed");
    }

    @Override
    SandboxResponse completion(ChatCall call, Conversation conversation, SandboxReply reply, int choices, JsonNode root) {
        long seed = seed(call, root);
        ObjectNode body = SandboxJson.object();
        body.put("id", completionId(call));
        body.put("object", "chat.completion");
        body.put("created", call.created);
        body.put("model", conversation.model());
        body.putArray("prompt");
        ArrayNode choiceArray = body.putArray("choices");
        for (int i = 0; i < choices; i++) {
            ObjectNode choice = choiceArray.addObject();
            choice.put("finish_reason", finishReason(call, reply, false));
            choice.put("seed", seed);
            choice.putNull("logprobs");
            choice.put("index", i);
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            if (reply.isToolCall()) {
                message.putNull("content");
                ObjectNode toolCall = message.putArray("tool_calls").addObject();
                toolCall.put("index", 0);
                toolCall.setAll(toolCall(toolCallId(call, i), reply));
            } else {
                message.put("content", reply.text());
                message.putArray("tool_calls");
            }
        }
        body.set("usage", usage(call, reply, choices));
        return SandboxResponse.json(200, SandboxJson.write(body));
    }

    /** prompt_tokens includes cached tokens, reported beside the counts rather than in prompt_tokens_details. */
    private static ObjectNode usage(ChatCall call, SandboxReply reply, int choices) {
        long completion = (long) reply.outputTokens() * choices;
        ObjectNode usage = SandboxJson.object();
        usage.put("prompt_tokens", call.promptTokens);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", call.promptTokens + completion);
        usage.put("cached_tokens", call.directives.cached());
        usage.putNull("prompt_tokens_details");
        return usage;
    }

    // ---- the stream --------------------------------------------------------------------------------

    @Override
    List<String> streamFrames(ChatCall call, Conversation conversation, SandboxReply reply, int choices, JsonNode root) {
        long seed = seed(call, root);
        String id = completionId(call);
        String model = conversation.model();
        List<String> frames = new ArrayList<>();
        for (int i = 0; i < choices; i++) {
            if (reply.isToolCall()) {
                ObjectNode first = chunk(call, id, model);
                ObjectNode delta = choice(first, i, "", null, null, tokenId(reply.toolCall().name()));
                delta.putNull("content");
                ObjectNode toolCall = delta.putArray("tool_calls").addObject();
                toolCall.put("index", 0);
                toolCall.put("id", toolCallId(call, i));
                toolCall.put("type", "function");
                toolCall.putObject("function").put("name", reply.toolCall().name()).put("arguments", "");
                frames.add(SseFrames.data(first));
                for (String fragment : SandboxText.pieces(reply.toolCall().argumentsJson(), 2)) {
                    ObjectNode chunk = chunk(call, id, model);
                    ObjectNode argumentDelta = choice(chunk, i, "", null, null, tokenId(fragment));
                    argumentDelta.putNull("content");
                    ObjectNode argument = argumentDelta.putArray("tool_calls").addObject();
                    argument.put("index", 0);
                    argument.putObject("function").put("arguments", fragment);
                    frames.add(SseFrames.data(chunk));
                }
            } else {
                for (String word : SandboxText.wordDeltas(reply.text())) {
                    ObjectNode chunk = chunk(call, id, model);
                    choice(chunk, i, word, null, null, tokenId(word)).put("content", word).putNull("tool_calls");
                    frames.add(SseFrames.data(chunk));
                }
            }
            ObjectNode last = chunk(call, id, model);
            choice(last, i, "", finishReason(call, reply, true), seed, END_OF_TURN_TOKEN).put("content", "")
                    .putNull("tool_calls");
            if (i == choices - 1) {
                last.set("usage", usage(call, reply, choices));
            }
            frames.add(SseFrames.data(last));
        }
        frames.add(SseFrames.data("[DONE]"));
        return frames;
    }

    @Override
    String midStreamError(ChatCall call) {
        return SseFrames.data(errorBody("Internal server error", "server_error", null));
    }

    /** A stand-in token id, stable per text. */
    private static int tokenId(String text) {
        return Math.floorMod(text.hashCode(), VOCABULARY);
    }

    private static ObjectNode chunk(ChatCall call, String id, String model) {
        ObjectNode chunk = chunk(id, call.created, model);
        chunk.putNull("usage");
        return chunk;
    }

    /** Adds a choice with Together's extra fields and returns its delta (token_id and role already set). */
    private static ObjectNode choice(ObjectNode chunk, int index, String text, String finishReason, Long seed,
                                     int tokenId) {
        ObjectNode choice = choices(chunk).addObject();
        choice.put("index", index);
        choice.put("text", text);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        choice.put("seed", seed);
        ObjectNode delta = choice.putObject("delta");
        delta.put("token_id", tokenId);
        delta.put("role", "assistant");
        return delta;
    }

    // ---- headers and errors ------------------------------------------------------------------------

    @Override
    SandboxResponse answered(SandboxResponse response, ChatCall call, SandboxReply reply, int choices) {
        return rateLimitHeaders(headers(response, call), call, false);
    }

    private static SandboxResponse headers(SandboxResponse response, ChatCall call) {
        return response
                .header("x-request-id", call.hash.hex("request", 32))
                .timed(call.directives, call.defaultLatencyMs);
    }

    /** Header names follow Together's x-ratelimit-* / x-tokenlimit-* families (exact names unverified). */
    private static SandboxResponse rateLimitHeaders(SandboxResponse response, ChatCall call, boolean exhausted) {
        return response
                .header("x-ratelimit-limit", REQUESTS_LIMIT)
                .header("x-ratelimit-remaining", exhausted ? 0 : REQUESTS_LIMIT - 1)
                .header("x-ratelimit-reset", exhausted ? call.directives.retryAfterSeconds() : 1)
                .header("x-tokenlimit-limit", TOKENS_LIMIT)
                .header("x-tokenlimit-remaining", exhausted ? 0 : Math.max(0, TOKENS_LIMIT - call.promptTokens));
    }

    private static ObjectNode errorBody(String message, String type, String code) {
        ObjectNode body = SandboxJson.object();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.putNull("param");
        error.put("code", code);
        return body;
    }

    private static SandboxResponse error(ChatCall call, int status, String message, String type, String code) {
        return headers(SandboxResponse.json(status, SandboxJson.write(errorBody(message, type, code))), call);
    }

    @Override
    SandboxResponse notFound(ChatCall call, String method, String vendorPath) {
        return error(call, 404, "Not Found: " + vendorPath, "invalid_request_error", null);
    }

    @Override
    SandboxResponse methodNotAllowed(ChatCall call, String method, String vendorPath) {
        return error(call, 405, "Method Not Allowed", "invalid_request_error", null);
    }

    @Override
    SandboxResponse unauthorized(ChatCall call, String key) {
        return error(call, 401, "Invalid API key provided. You can find your API key at "
                + "https://api.together.xyz/settings/api-keys.", "invalid_request_error", "invalid_api_key");
    }

    @Override
    SandboxResponse unparseable(ChatCall call) {
        return error(call, 400, "Request body is not valid JSON", "invalid_request_error", null);
    }

    @Override
    SandboxResponse invalid(ChatCall call, InvalidRequest invalid) {
        return error(call, invalid.status, invalid.getMessage(), "invalid_request_error", invalid.code);
    }

    @Override
    SandboxResponse directedError(ChatCall call, Conversation conversation) {
        int status = call.directives.status();
        switch (status) {
            case 401:
                return unauthorized(call, null);
            case 402:
                return error(call, status, "Credit limit exceeded. Please navigate to "
                        + "https://api.together.xyz/settings/billing to add credit or upgrade your plan.",
                        "credit_limit", null);
            case 404:
                return error(call, status, "Unable to access model " + conversation.model() + ". Please visit "
                        + "https://api.together.ai/models to view the list of supported models.",
                        "invalid_request_error", "model_not_available");
            case 429:
                return rateLimitHeaders(error(call, status, "You have been rate limited. Please try again later.",
                        "rate_limit", null), call, true)
                        .header("retry-after", call.directives.retryAfterSeconds());
            case 503:
                return error(call, status, "The server is overloaded or not ready yet.", "server_error", null);
            default:
                return error(call, status, status >= 500 ? "Internal server error"
                                : "Sandbox directive requested HTTP " + status + ".",
                        status >= 500 ? "server_error" : "invalid_request_error", null);
        }
    }
}
