package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Mistral La Plateforme Chat Completions ({@code POST /mistral/v1/chat/completions}): OpenAI-like, with Mistral's
 * quirks: any field its schema does not know, at any depth, is a pydantic 422 {@code extra_forbidden} with its
 * {@code loc} ({@link MistralFields}; {@code random_seed} is Mistral's seed, {@code max_completion_tokens},
 * {@code store}, {@code stream_options}, {@code user}, a replayed {@code refusal} or {@code annotations} are
 * refused); tool-call ids on input must be 9 chars of {@code [a-zA-Z0-9]} (400, code 3280); the last message must
 * be user or tool (or a {@code prefix} assistant); the error envelope is {@code {"object":"error",message,type,
 * param,code}} but 401 is {@code {"message":"Unauthorized","request_id"}}; the response echoes the request's model
 * and has {@code tool_calls: null} without calls; usage has only prompt/completion/total tokens and rides on the
 * final stream chunk without {@code stream_options}; a streamed tool call arrives whole in one delta.
 */
final class MistralDialect extends ChatCompletionsDialect {

    static final String FORMAT = "mistral";
    private static final ChatCompletionsRequest.Rules RULES =
            new ChatCompletionsRequest.Rules(false, Integer.MAX_VALUE, true, MistralDialect::checkToolCallId);
    private static final int TOOL_CALL_ID_LENGTH = 9;
    private static final long TOKENS_PER_MINUTE = 2_000_000;
    private static final long TOKENS_PER_MONTH = 10_000_000_000L;
    private static final long REQUESTS_PER_MINUTE = 600;

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
        List<ObjectNode> extra = MistralFields.extra(root);
        return extra.isEmpty() ? null : validationError(call, extra);
    }

    /** {@code ^[a-zA-Z0-9]{9}$}, checked without a regex. */
    static boolean isToolCallId(String id) {
        if (id.length() != TOOL_CALL_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')) {
                return false;
            }
        }
        return true;
    }

    private static void checkToolCallId(String id) {
        if (!isToolCallId(id)) {
            throw new InvalidRequest(400, "Tool call id was " + id + " but must be a-z, A-Z, 0-9, with a length of 9.",
                    null, "3280", "invalid_function_call");
        }
    }

    /** The last message must be user or tool, or an assistant message with {@code "prefix": true}. */
    @Override
    void checkConversation(JsonNode root) {
        JsonNode messages = root.get("messages");
        JsonNode last = messages.get(messages.size() - 1);
        String role = last.path("role").asText();
        if ("user".equals(role) || "tool".equals(role)
                || "assistant".equals(role) && last.path("prefix").asBoolean(false)) {
            return;
        }
        throw new InvalidRequest(400, "Expected last role User or Tool (or Assistant with prefix True) for serving but "
                + "got " + role, null, "3230", "invalid_request_message_order");
    }

    // ---- the success body --------------------------------------------------------------------------

    @Override
    String finishReason(ChatCall call, SandboxReply reply, boolean stream) {
        String reason = super.finishReason(call, reply, stream);
        // the stream enum has no model_length: there it is plain length
        return stream && "model_length".equals(reason) ? "length" : reason;
    }

    private static String completionId(ChatCall call) {
        return call.hash.hex("cmpl", 32);
    }

    private static ObjectNode toolCall(ChatCall call, SandboxReply reply, int choice) {
        ObjectNode toolCall = toolCall(call.hash.alnum("mistral-call" + choice, TOOL_CALL_ID_LENGTH), reply);
        toolCall.put("index", 0);
        return toolCall;
    }

    @Override
    SandboxResponse completion(ChatCall call, Conversation conversation, SandboxReply reply, int choices, JsonNode root) {
        ObjectNode body = SandboxJson.object();
        body.put("id", completionId(call));
        body.put("object", "chat.completion");
        body.put("created", call.created);
        body.put("model", conversation.model());
        ArrayNode choiceArray = body.putArray("choices");
        for (int i = 0; i < choices; i++) {
            ObjectNode choice = choiceArray.addObject();
            choice.put("index", i);
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            if (reply.isToolCall()) {
                message.putArray("tool_calls").add(toolCall(call, reply, i));
                message.put("content", "");
            } else {
                message.putNull("tool_calls");
                message.put("content", reply.text());
            }
            choice.put("finish_reason", finishReason(call, reply, false));
        }
        body.set("usage", usage(call, reply, choices));
        return SandboxResponse.json(200, SandboxJson.write(body));
    }

    /** Only the three counts; prompt_tokens includes cached tokens (Mistral reports no cache field). */
    private static ObjectNode usage(ChatCall call, SandboxReply reply, int choices) {
        long completion = (long) reply.outputTokens() * choices;
        ObjectNode usage = SandboxJson.object();
        usage.put("prompt_tokens", call.promptTokens);
        usage.put("total_tokens", call.promptTokens + completion);
        usage.put("completion_tokens", completion);
        return usage;
    }

    // ---- the stream --------------------------------------------------------------------------------

    @Override
    List<String> streamFrames(ChatCall call, Conversation conversation, SandboxReply reply, int choices, JsonNode root) {
        String id = completionId(call);
        String model = conversation.model();
        List<String> frames = new ArrayList<>();
        for (int i = 0; i < choices; i++) {
            ObjectNode first = chunk(id, call.created, model);
            choice(first, i, null).put("role", "assistant").put("content", "");
            frames.add(SseFrames.data(first));
            ObjectNode last = chunk(id, call.created, model);
            if (reply.isToolCall()) {
                // the whole call in one delta, with the finish reason
                choice(last, i, finishReason(call, reply, true)).putArray("tool_calls").add(toolCall(call, reply, i));
            } else {
                for (String word : SandboxText.wordDeltas(reply.text())) {
                    ObjectNode chunk = chunk(id, call.created, model);
                    choice(chunk, i, null).put("content", word);
                    frames.add(SseFrames.data(chunk));
                }
                choice(last, i, finishReason(call, reply, true)).put("content", "");
            }
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
        return SseFrames.data(errorBody("Internal server error", "internal_server_error", "1000"));
    }

    /** Adds a choice to the chunk and returns its (empty) delta. */
    private static ObjectNode choice(ObjectNode chunk, int index, String finishReason) {
        ObjectNode choice = choices(chunk).addObject();
        choice.put("index", index);
        ObjectNode delta = choice.putObject("delta");
        choice.put("finish_reason", finishReason);
        return delta;
    }

    // ---- headers and errors ------------------------------------------------------------------------

    @Override
    SandboxResponse answered(SandboxResponse response, ChatCall call, SandboxReply reply, int choices) {
        return rateLimitHeaders(headers(response, call), call, (long) reply.outputTokens() * choices, false);
    }

    private static SandboxResponse headers(SandboxResponse response, ChatCall call) {
        return response
                .header("mistral-correlation-id", call.hash.uuid("correlation"))
                .header("x-kong-request-id", call.hash.hex("kong", 30))
                .timed(call.directives, call.defaultLatencyMs);
    }

    private static SandboxResponse rateLimitHeaders(SandboxResponse response, ChatCall call, long completionTokens,
                                                    boolean exhausted) {
        long cost = call.promptTokens + completionTokens;
        return response
                .header("x-ratelimit-limit-tokens-minute", TOKENS_PER_MINUTE)
                .header("x-ratelimit-remaining-tokens-minute", exhausted ? 0 : TOKENS_PER_MINUTE - cost)
                .header("x-ratelimit-limit-tokens-month", TOKENS_PER_MONTH)
                .header("x-ratelimit-remaining-tokens-month", exhausted ? 0 : TOKENS_PER_MONTH - cost)
                .header("x-ratelimit-tokens-query-cost", cost)
                .header("x-ratelimit-limit-req-minute", REQUESTS_PER_MINUTE)
                .header("x-ratelimit-remaining-req-minute", exhausted ? 0 : REQUESTS_PER_MINUTE - 1);
    }

    private static ObjectNode errorBody(String message, String type, String code) {
        ObjectNode body = SandboxJson.object();
        body.put("object", "error");
        body.put("message", message);
        body.put("type", type);
        body.putNull("param");
        body.put("code", code);
        return body;
    }

    private static SandboxResponse error(ChatCall call, int status, String message, String type, String code) {
        return headers(SandboxResponse.json(status, SandboxJson.write(errorBody(message, type, code))), call);
    }

    /** A pydantic validation failure: 422 with {@code message: {"detail": [...]}}, one detail per problem. */
    private static SandboxResponse validationError(ChatCall call, List<ObjectNode> details) {
        ObjectNode body = SandboxJson.object();
        body.put("object", "error");
        body.putObject("message").putArray("detail").addAll(details);
        body.put("type", "invalid_request_error");
        body.putNull("param");
        body.putNull("code");
        return headers(SandboxResponse.json(422, SandboxJson.write(body)), call);
    }

    @Override
    SandboxResponse notFound(ChatCall call, String method, String vendorPath) {
        return headers(SandboxResponse.json(404, "{\"detail\":\"Not Found\"}"), call);
    }

    @Override
    SandboxResponse methodNotAllowed(ChatCall call, String method, String vendorPath) {
        return headers(SandboxResponse.json(405, "{\"detail\":\"Method Not Allowed\"}"), call);
    }

    /** 401 comes from the API gateway in front of Mistral, not in the error envelope. */
    @Override
    SandboxResponse unauthorized(ChatCall call, String key) {
        ObjectNode body = SandboxJson.object();
        body.put("message", "Unauthorized");
        body.put("request_id", call.hash.hex("request", 32));
        return headers(SandboxResponse.json(401, SandboxJson.write(body)), call);
    }

    @Override
    SandboxResponse unparseable(ChatCall call) {
        ObjectNode detail = SandboxJson.object();
        detail.put("type", "json_invalid");
        detail.putArray("loc").add("body").add("body");
        detail.put("msg", "JSON decode error");
        return validationError(call, List.of(detail));
    }

    @Override
    SandboxResponse invalid(ChatCall call, InvalidRequest invalid) {
        // OpenAI-specific codes mean nothing here; only Mistral's own (e.g. 3280) are kept
        return error(call, invalid.status, invalid.getMessage(),
                invalid.type == null ? "invalid_request_error" : invalid.type,
                invalid.type == null ? null : invalid.code);
    }

    @Override
    SandboxResponse directedError(ChatCall call, Conversation conversation) {
        int status = call.directives.status();
        switch (status) {
            case 401:
                return unauthorized(call, null);
            case 404:
                return error(call, status, "Invalid model: " + conversation.model(), "invalid_model", "1500");
            case 429:
                return rateLimitHeaders(error(call, status, "Rate limit exceeded", "rate_limited", "1300"), call, 0, true);
            case 500:
                return error(call, status, "Internal server error", "internal_server_error", "1000");
            case 503:
                return error(call, status, "Service unavailable", "service_unavailable", "1000");
            default:
                return error(call, status, "Sandbox directive requested HTTP " + status + ".",
                        status >= 500 ? "internal_server_error" : "invalid_request_error", null);
        }
    }
}
