package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Mistral La Plateforme Chat Completions ({@code POST /mistral/v1/chat/completions}): OpenAI-like, validated by
 * {@link ChatCompletionsRequest}, with Mistral's quirks: tool-call ids on input must be 9 chars of
 * {@code [a-zA-Z0-9]} (400, code 3280), unknown fields such as {@code seed}, {@code user}, {@code logit_bias},
 * {@code stream_options} are pydantic 422 {@code extra_forbidden} ({@code random_seed} is Mistral's seed), the
 * last message must be user or tool (or a {@code prefix} assistant), the error envelope is
 * {@code {"object":"error",message,type,param,code}} but 401 is {@code {"message":"Unauthorized","request_id"}},
 * the response echoes the request's model, usage has only prompt/completion/total tokens and rides on the
 * final stream chunk without {@code stream_options}, and a streamed tool call arrives whole in one delta.
 */
final class MistralSimulator implements VendorSimulator {

    static final String FORMAT = "mistral";
    private static final String PREFIX = "/mistral";
    private static final String CHAT_COMPLETIONS = PREFIX + "/v1/chat/completions";

    private static final Set<String> FIELDS = Set.of("model", "messages", "temperature", "top_p", "max_tokens",
            "stream", "stop", "random_seed", "metadata", "response_format", "tools", "tool_choice",
            "presence_penalty", "frequency_penalty", "n", "prediction", "parallel_tool_calls", "prompt_mode",
            "safe_prompt", "reasoning_effort", "prompt_cache_key");
    private static final ChatCompletionsRequest.Rules RULES =
            new ChatCompletionsRequest.Rules(false, Integer.MAX_VALUE, true, MistralSimulator::checkToolCallId);
    private static final int TOOL_CALL_ID_LENGTH = 9;
    private static final long TOKENS_PER_MINUTE = 2_000_000;
    private static final long TOKENS_PER_MONTH = 10_000_000_000L;
    private static final long REQUESTS_PER_MINUTE = 600;

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    public String pathPrefix() {
        return PREFIX;
    }

    @Override
    public String basePath() {
        return PREFIX + "/v1";
    }

    // ---- routing and auth -------------------------------------------------------------------------

    @Override
    public SandboxResponse handle(RecordedRequest request, long defaultLatencyMs) {
        Call call = new Call(RequestHash.of(request.body()), SandboxDirectives.parse(null), defaultLatencyMs);
        if (!CHAT_COMPLETIONS.equals(request.path())) {
            return headers(SandboxResponse.json(404, "{\"detail\":\"Not Found\"}"), call);
        }
        if (!"POST".equals(request.method())) {
            return headers(SandboxResponse.json(405, "{\"detail\":\"Method Not Allowed\"}"), call);
        }
        String key = BearerToken.from(request.header("authorization"));
        if (key == null || key.contains("invalid")) {
            return unauthorized(call);
        }
        JsonNode root = SandboxJson.readOrNull(request.body());
        if (root == null || !root.isObject()) {
            return validationError(call, "json_invalid", "body", "JSON decode error", null);
        }
        call = new Call(call.hash, SandboxDirectives.parse(ChatCompletionsRequest.directiveText(root.path("messages"))),
                defaultLatencyMs);
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                return validationError(call, "extra_forbidden", name, "Extra inputs are not permitted", root.get(name));
            }
        }
        try {
            Conversation conversation = ChatCompletionsRequest.read(root, RULES);
            checkLastMessage(root.get("messages"));
            call.promptTokens = Math.max(conversation.inputTokens(), (int) Math.min(Integer.MAX_VALUE,
                    call.directives.cached()));
            if (call.directives.status() != 0) {
                return directedError(call, conversation);
            }
            SandboxReply reply = ReplyComposer.compose(conversation);
            int choices = root.path("n").asInt(1);
            SandboxResponse response = root.path("stream").asBoolean(false)
                    ? stream(call, conversation, reply, choices)
                    : completion(call, conversation, reply, choices);
            return rateLimitHeaders(headers(response, call), call, (long) reply.outputTokens() * choices, false);
        } catch (InvalidRequest invalid) {
            // OpenAI-specific codes mean nothing here; only Mistral's own (e.g. 3280) are kept
            return error(call, invalid.status, invalid.getMessage(),
                    invalid.type == null ? "invalid_request_error" : invalid.type,
                    invalid.type == null ? null : invalid.code);
        }
    }

    /** Per-request facts the headers and bodies share. */
    private static final class Call {
        final RequestHash hash;
        final SandboxDirectives directives;
        final long defaultLatencyMs;
        final long created = System.currentTimeMillis() / 1000;
        int promptTokens;

        Call(RequestHash hash, SandboxDirectives directives, long defaultLatencyMs) {
            this.hash = hash;
            this.directives = directives;
            this.defaultLatencyMs = defaultLatencyMs;
        }
    }

    // ---- validation --------------------------------------------------------------------------------

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
    private static void checkLastMessage(JsonNode messages) {
        JsonNode last = messages.get(messages.size() - 1);
        String role = last.path("role").asText();
        if ("user".equals(role) || "tool".equals(role)
                || "assistant".equals(role) && last.path("prefix").asBoolean(false)) {
            return;
        }
        throw new InvalidRequest(400, "Expected last role User or Tool (or Assistant with prefix True) for serving but "
                + "got " + role, null, "3230", "invalid_request_message_order");
    }

    // ---- success body ------------------------------------------------------------------------------

    /** The reply's finish reason; a {@code finish} directive overrides it for a text reply. */
    private static String finishReason(Call call, SandboxReply reply, boolean stream) {
        String directed = call.directives.finish();
        if (directed != null && !reply.isToolCall()) {
            // the stream enum has no model_length: there it is plain length
            return stream && "model_length".equals(directed) ? "length" : directed;
        }
        switch (reply.finish()) {
            case LENGTH:
                return "length";
            case TOOL_CALL:
                return "tool_calls";
            default:
                return "stop";
        }
    }

    private static String completionId(Call call) {
        return call.hash.hex("cmpl", 32);
    }

    private static String toolCallId(Call call, int choice) {
        return call.hash.alnum("mistral-call" + choice, TOOL_CALL_ID_LENGTH);
    }

    private static ObjectNode toolCall(Call call, SandboxReply reply, int choice) {
        ObjectNode toolCall = SandboxJson.object();
        toolCall.put("id", toolCallId(call, choice));
        toolCall.put("type", "function");
        toolCall.putObject("function")
                .put("name", reply.toolCall().name())
                .put("arguments", reply.toolCall().argumentsJson());
        toolCall.put("index", 0);
        return toolCall;
    }

    private SandboxResponse completion(Call call, Conversation conversation, SandboxReply reply, int choices) {
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
    private static ObjectNode usage(Call call, SandboxReply reply, int choices) {
        long completion = (long) reply.outputTokens() * choices;
        ObjectNode usage = SandboxJson.object();
        usage.put("prompt_tokens", call.promptTokens);
        usage.put("total_tokens", call.promptTokens + completion);
        usage.put("completion_tokens", completion);
        return usage;
    }

    // ---- stream ------------------------------------------------------------------------------------

    private SandboxResponse stream(Call call, Conversation conversation, SandboxReply reply, int choices) {
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
        int errorAfter = call.directives.errorAfter();
        if (errorAfter >= 0 && errorAfter < frames.size()) {
            frames = new ArrayList<>(frames.subList(0, errorAfter));
            frames.add(SseFrames.data(errorBody("Internal server error", "internal_server_error", "1000")));
        }
        return SandboxResponse.stream(frames, call.directives.chunkDelayMs(), call.directives.failAfter());
    }

    private static ObjectNode chunk(String id, long created, String model) {
        ObjectNode chunk = SandboxJson.object();
        chunk.put("id", id);
        chunk.put("object", "chat.completion.chunk");
        chunk.put("created", created);
        chunk.put("model", model);
        chunk.putArray("choices");
        return chunk;
    }

    /** Adds a choice to the chunk and returns its (empty) delta. */
    private static ObjectNode choice(ObjectNode chunk, int index, String finishReason) {
        ObjectNode choice = ((ArrayNode) chunk.get("choices")).addObject();
        choice.put("index", index);
        ObjectNode delta = choice.putObject("delta");
        choice.put("finish_reason", finishReason);
        return delta;
    }

    // ---- headers and errors ------------------------------------------------------------------------

    private static SandboxResponse headers(SandboxResponse response, Call call) {
        return response
                .header("mistral-correlation-id", call.hash.uuid("correlation"))
                .header("x-kong-request-id", call.hash.hex("kong", 30))
                .timed(call.directives, call.defaultLatencyMs);
    }

    private static SandboxResponse rateLimitHeaders(SandboxResponse response, Call call, long completionTokens,
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

    private static SandboxResponse error(Call call, int status, String message, String type, String code) {
        return headers(SandboxResponse.json(status, SandboxJson.write(errorBody(message, type, code))), call);
    }

    /** 401 comes from the API gateway in front of Mistral, not in the error envelope. */
    private static SandboxResponse unauthorized(Call call) {
        ObjectNode body = SandboxJson.object();
        body.put("message", "Unauthorized");
        body.put("request_id", call.hash.hex("request", 32));
        return headers(SandboxResponse.json(401, SandboxJson.write(body)), call);
    }

    /** A pydantic validation failure: 422 with {@code message: {"detail": [...]}}. */
    private static SandboxResponse validationError(Call call, String type, String field, String msg, JsonNode input) {
        ObjectNode body = SandboxJson.object();
        body.put("object", "error");
        ObjectNode detail = body.putObject("message").putArray("detail").addObject();
        detail.put("type", type);
        detail.putArray("loc").add("body").add(field);
        detail.put("msg", msg);
        if (input != null) {
            detail.set("input", input);
        }
        body.put("type", "invalid_request_error");
        body.putNull("param");
        body.putNull("code");
        return headers(SandboxResponse.json(422, SandboxJson.write(body)), call);
    }

    /** The error a {@code [sandbox:status=N]} directive asks for, with the body Mistral sends. */
    private static SandboxResponse directedError(Call call, Conversation conversation) {
        int status = call.directives.status();
        switch (status) {
            case 401:
                return unauthorized(call);
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
